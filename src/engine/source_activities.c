/*
 * source_activities.c
 *		The event source of prio.activities: ActivitiesInserted(), the body
 *		of the statement trigger prio.activities_inserted() that folds newly
 *		inserted activities into their customers' state; and
 *		PrioActivitiesChanged() (prio.activities_changed: UPDATE, DELETE,
 *		TRUNCATE of activities), which hands their customers to the engine's
 *		rebuild (refold.c) or, for TRUNCATE, to the sweep (sweep.c).  The
 *		triggers' entry points are in sql/; prio.customers_changed()'s
 *		engine part is source_customers.c.
 *
 * One pass over the transition table sorted by (customer_id, at,
 * activity_id) -- a tuplesort, so a COPY of any size stays in bounded
 * memory.  Customers are handled in chunks: each chunk's customers rows and
 * then its state rows are locked in customer_id order (concurrent writers
 * never deadlock on each other, nor with an UPDATE of prio.customers, which
 * takes the same two locks in the same order); a customer with no state row
 * yet gets one.  The customers rows (BANT answers) are read as locked;
 * everything else -- the activities of a customer folded again, and kinds,
 * settings and breaks if they changed (config.c caches them) -- is read
 * afterwards, so it includes what committed while we waited for the locks.
 * A customer whose new rows all come after its stored last_at continues the
 * stored fold and is written with its chunk; any other (a backfill, a tie in
 * time, a state row just made, or one written during this statement: an
 * application's trigger that fired first changed, deleted or added rows of
 * the customer, so the committed rows, not the transition table, are the
 * truth) is folded again from all its activities
 * once every chunk is locked (refold.c): by one query per chunk of them, or,
 * when they are many (a backdated COPY), by one scan of the activities.
 * state_write.c writes the state rows, a history row and a notification for
 * every change of tier or stage.  The rules are the same C functions
 * prio.fold() and prio.evaluate() use.
 */
#include "prio.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/tuplesort.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#define CHUNK_CUSTOMERS 500

typedef struct Chunk
{
	MemoryContext cxt;			/* reset after each chunk */
	int64		ids[CHUNK_CUSTOMERS];
	int			first[CHUNK_CUSTOMERS]; /* first row of each customer */
	int			ncust;
	PrioEvent  *rows;			/* in (customer_id, at, activity_id) order */
	char	  **kinds;			/* each row's kind, resolved once locked */
	int			nrows;
	int			maxrows;
} Chunk;

/* What one trigger call needs besides the rows */
typedef struct Context
{
	const PrioConfig *cfg;		/* kinds, settings, breaks: read per chunk */
	int			last_kind;
	TimestampTz as_of;
	RowReader	facts_rr;
	RowReader	state_rr;		/* a state row's tier and effective stage */
	RowReader	customer_rr;
	PrioApiVersion api;			/* the schema the trigger function's script made */
	CommandId	since;			/* the INSERT's command: state written since is refolded */
	StateWriter writer;
	RefoldSet	rs;				/* customers folded again once every chunk is locked */
	bool		lenient;		/* a customer without a customers row is skipped */
	MemoryContext callcxt;
} Context;

/* The insert path, fed row by row (PrioInsertFoldBegin) */
struct PrioInsertFold
{
	Context		cx;
	Chunk		ch;
};

static const char *const state_fields[2] = {"tier", "effective_stage"};
static const Oid state_types[2] = {TEXTOID, PRIO_STAGE_TYPE};

static void
process_chunk(Context *cx, Chunk *ch)
{
	MemoryContext old = MemoryContextSwitchTo(ch->cxt);
	Datum	   *locked = palloc(sizeof(Datum) * ch->ncust);
	ItemPointerData *tids = palloc(sizeof(ItemPointerData) * ch->ncust);
	Datum	   *customers = palloc(sizeof(Datum) * ch->ncust);
	bool	   *made = palloc(sizeof(bool) * ch->ncust);
	bool	   *written = palloc(sizeof(bool) * ch->ncust);
	int		   *last = palloc(sizeof(int) * ch->ncust);	/* after a customer's rows */
	TimestampTz *since;
	int			n = 0;

	/*
	 * Lock, in customer_id order, the customers rows (as an UPDATE of them
	 * does, and before the state rows, as its trigger does: one lock order
	 * for every writer), then the state rows; read the latest committed
	 * versions of both.  Nobody changes a customers row we hold, so what we
	 * read is what the customer is until we commit.
	 */
	PrioLockCustomers(ch->ids, ch->ncust, customers);
	for (int i = 0; i < ch->ncust; i++)
	{
		int			to = i + 1 < ch->ncust ? ch->first[i + 1] : ch->nrows;

		if (customers[i] == (Datum) 0)
		{
			/*
			 * A tracked table's customer deleted since its key was read (its
			 * rows are no customer's now): nothing to fold.
			 */
			if (cx->lenient)
				continue;
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("customer " INT64_FORMAT " has no row in prio.customers", ch->ids[i])));
		}
		ch->ids[n] = ch->ids[i];
		ch->first[n] = ch->first[i];
		customers[n] = customers[i];
		last[n++] = to;
	}
	ch->ncust = n;
	if (n > 0)
	{
		PrioLockStateRows(ch->ids, n, locked, tids, cx->since, written);
		PrioCreateStateRows(ch->ids, n, cx->api, locked, tids, made);
	}

	/*
	 * What committed while we waited counts: the configuration is checked
	 * for changes now.
	 */
	AcceptInvalidationMessages();
	cx->cfg = prio_config(cx->api);
	cx->rs.cfg = cx->cfg;

	/*
	 * (0.5) the customers below may replay: up to when their history is
	 * written already (refold.c), one query for the chunk
	 */
	since = palloc(sizeof(TimestampTz) * Max(ch->ncust, 1));
	{
		int64	   *cand = palloc(sizeof(int64) * Max(ch->ncust, 1));
		int		   *at = palloc(sizeof(int) * Max(ch->ncust, 1));
		TimestampTz *got = palloc(sizeof(TimestampTz) * Max(ch->ncust, 1));
		int			m = 0;

		for (int i = 0; i < ch->ncust; i++)
		{
			PrioFacts	f;

			since[i] = DT_NOBEGIN;
			FactsFromDatum(&f, locked[i], &cx->facts_rr, cx->callcxt, ch->cxt, cx->api);
			if (!f.has_activity && ch->rows[ch->first[i]].at < cx->as_of)
			{
				cand[m] = ch->ids[i];
				at[m++] = i;
			}
		}
		PrioHistorySince(cand, m, got);
		for (int k = 0; k < m; k++)
			since[at[k]] = got[k];
	}

	for (int i = 0; i < ch->ncust; i++)
	{
		bool		isnull;
		PrioFacts	f;
		PrioEval	e;
		PrioHeldTypes held;
		bool		answers[4];
		bool		answer_null[4];
		TimestampTz created_at;
		char	   *old_tier;
		char	   *old_stage;
		Datum		d;
		int			from = ch->first[i];
		int			to = last[i];

		FactsFromDatum(&f, locked[i], &cx->facts_rr, cx->callcxt, ch->cxt, cx->api);
		RowBind(&cx->state_rr, locked[i], cx->callcxt);
		d = RowGet(&cx->state_rr, 0, &isnull);
		old_tier = isnull ? NULL : TextDatumGetCString(d);
		d = RowGet(&cx->state_rr, 1, &isnull);
		old_stage = isnull ? NULL : pstrdup(prio_stage_names[StageFromDatum(d)]);
		RowBind(&cx->customer_rr, customers[i], cx->callcxt);
		prio_read_customer(&cx->customer_rr, answers, answer_null, &created_at);

		/*
		 * A backfill, a tie in time, or a state row just made (the customer
		 * may have had activities): folded again once all chunks are locked.
		 * So is a customer whose state was written during this statement:
		 * the application's own trigger, which fired before this one, has
		 * changed or deleted its new rows, or inserted more (prio's trigger
		 * of that statement wrote the state), and the committed rows, not
		 * the transition table, are the truth.  And so is a customer whose
		 * planned touch has come due: it is not in the stored fold yet.
		 */
		if (made[i] || written[i] || (f.has_activity && ch->rows[from].at <= f.last_at) ||
			(f.has_planned && f.next_planned_at <= cx->as_of))
		{
			RefoldSetAside(&cx->rs, &f, (Datum) 0, old_tier, old_stage, answers, answer_null,
						   created_at, &tids[i]);
			continue;
		}
		for (int r = from; r < to; r++)
			ch->rows[r].kind = cx->last_kind =
				prio_kind_index(cx->cfg, ch->kinds[r], strlen(ch->kinds[r]), cx->last_kind);

		/*
		 * A customer's first events, when they begin before this
		 * transaction did (a backfill, a COPY of history): replayed, so its
		 * history rows are dated at the events' own times (refold.c).  New
		 * events of now, and every event of a customer with folded activity,
		 * go the live way: one fold, one evaluation (rows[] is in time
		 * order: one comparison decides).
		 */
		if (!f.has_activity && ch->rows[from].at < cx->as_of)
			PrioReplay(&cx->writer, &f, &ch->rows[from], to - from, cx->cfg, answers,
					   answer_null, created_at, cx->as_of, since[i], customers[i], &old_tier,
					   &old_stage, ch->cxt);
		else
			prio_fold_events(&f, &ch->rows[from], to - from, cx->cfg->kinds,
							 &cx->cfg->settings, cx->as_of, ch->cxt);
		PrioCustomerTypes(&held, &f, cx->cfg, cx->as_of, customers[i]);
		prio_evaluate(&e, &f, &held, answers, answer_null, created_at,
					  &cx->cfg->settings, cx->cfg->breaks, cx->cfg->nbreaks, cx->as_of);
		StateWriterAdd(&cx->writer, &f, &e, old_tier, old_stage, &tids[i]);
	}
	StateWriterFlush(&cx->writer);

	MemoryContextSwitchTo(old);
	MemoryContextReset(ch->cxt);
	ch->ncust = 0;
	ch->nrows = 0;
	ch->rows = NULL;
	ch->kinds = NULL;
	ch->maxrows = 0;
}

static void
add_row(Chunk *ch, PrioEvent row, char *kind)
{
	if (ch->nrows == ch->maxrows)
	{
		int			n = Max(64, ch->maxrows * 2);

		ch->rows = ch->rows
			? repalloc_huge(ch->rows, sizeof(PrioEvent) * (Size) n)
			: MemoryContextAlloc(ch->cxt, sizeof(PrioEvent) * n);
		ch->kinds = ch->kinds
			? repalloc_huge(ch->kinds, sizeof(char *) * (Size) n)
			: MemoryContextAlloc(ch->cxt, sizeof(char *) * n);
		ch->maxrows = n;
	}
	ch->kinds[ch->nrows] = kind;
	row.seq = ch->nrows;
	ch->rows[ch->nrows++] = row;
}

/*
 * The insert path, for any event source: PrioInsertFoldBegin(), then each
 * new event (PrioInsertFoldAdd) in (customer_id, at, tiebreak) order, then
 * PrioInsertFoldEnd().  nrows (an estimate) sizes the writer's batches;
 * since is the inserting statement's command id (state written since is
 * refolded); lenient: a customer without a prio.customers row is skipped
 * (else an error).  The caller is connected to SPI and stays so until End.
 */
PrioInsertFold *
PrioInsertFoldBegin(PrioApiVersion api, double nrows, CommandId since, bool lenient)
{
	PrioInsertFold *fold = palloc0(sizeof(PrioInsertFold));
	Context    *cx = &fold->cx;

	cx->callcxt = CurrentMemoryContext;
	cx->state_rr.what = "prio.customer_state";
	cx->state_rr.names = state_fields;
	cx->state_rr.types = state_types;
	cx->state_rr.nfields = 2;
	CustomerReaderInit(&cx->customer_rr);
	cx->as_of = GetCurrentTransactionStartTimestamp();
	cx->since = since;
	cx->lenient = lenient;
	cx->api = api;
	/* a single-row INSERT needs a batch of one, not of CHUNK_CUSTOMERS */
	StateWriterBeginApi(&cx->writer, (int) Min(CHUNK_CUSTOMERS, Max(nrows, 1)),
						"activity", cx->as_of, api);
	/* every customer folded again is written (no comparison) */
	RefoldSetInit(&cx->rs, &cx->writer, cx->as_of, false, true);
	fold->ch.cxt = AllocSetContextCreate(CurrentMemoryContext, "prio trigger chunk",
										 ALLOCSET_DEFAULT_SIZES);
	return fold;
}

/*
 * One new event: kind a text datum, amount a numeric datum (any amount is
 * kept: whether the kind is a purchase is read once the customer is locked).
 */
void
PrioInsertFoldAdd(PrioInsertFold *fold, int64 customer_id, TimestampTz at, int64 tiebreak,
				  Datum kind, Datum amount, bool amount_null)
{
	Chunk	   *ch = &fold->ch;
	PrioEvent	row;
	char	   *kindstr;
	MemoryContext old;

	CHECK_FOR_INTERRUPTS();
	if (ch->ncust == 0 || ch->ids[ch->ncust - 1] != customer_id)
	{
		if (ch->ncust == CHUNK_CUSTOMERS)
			process_chunk(&fold->cx, ch);
		ch->ids[ch->ncust] = customer_id;
		ch->first[ch->ncust] = ch->nrows;
		ch->ncust++;
	}
	old = MemoryContextSwitchTo(ch->cxt);
	row.at = at;
	row.activity_id = tiebreak;
	row.kind = -1;
	kindstr = TextDatumGetCString(kind);
	row.amount = amount_null ? NULL : DatumGetNumeric(datumCopy(amount, false, -1));
	MemoryContextSwitchTo(old);
	add_row(ch, row, kindstr);
}

void
PrioInsertFoldEnd(PrioInsertFold *fold)
{
	if (fold->ch.ncust > 0)
		process_chunk(&fold->cx, &fold->ch);
	RefoldAll(&fold->cx.rs);
	RefoldSetEnd(&fold->cx.rs);
	StateWriterEnd(&fold->cx.writer);
	OutcomeKindsForget();
	MemoryContextDelete(fold->ch.cxt);
	pfree(fold);
}

/* The insert trigger on prio.activities, as API version api's schema has it */
Datum
ActivitiesInserted(FunctionCallInfo fcinfo, PrioApiVersion api)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Tuplestorestate *newrows;
	TupleDesc	desc;
	AttrNumber	keys[3];
	Oid			ops[3];
	Oid			colls[3] = {InvalidOid, InvalidOid, InvalidOid};
	bool		nullsfirst[3] = {false, false, false};
	AttrNumber	att_kind;
	AttrNumber	att_amount;
	Tuplesortstate *sort;
	TupleTableSlot *slot;
	int			readptr;
	PrioInsertFold *fold;
	TimestampTz latest;
	CommandId	since;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) || td->tg_newtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("prio.activities_inserted() must be an AFTER INSERT statement trigger with a NEW TABLE")));
	/* SECURITY DEFINER: only ever on prio.activities, whoever created the trigger */
	if (RelationGetRelid(td->tg_relation) !=
		get_relname_relid("activities", get_namespace_oid(PRIO_SCHEMA, false)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("prio.activities_inserted() is a trigger of prio.activities only")));
	newrows = td->tg_newtable;
	desc = RelationGetDescr(td->tg_relation);

	/*
	 * The INSERT's (or COPY's) snapshot is still the active one: its command
	 * id is the statement's, and anything that ran after it started (a row
	 * trigger, a statement trigger named before this one) wrote with a later
	 * one.  Without a snapshot, every state row this transaction wrote counts.
	 */
	since = ActiveSnapshotSet() ? GetActiveSnapshot()->curcid : FirstCommandId;
	latest = GetCurrentTransactionStartTimestamp() + USECS_PER_DAY;

	SPI_connect();
	fold = PrioInsertFoldBegin(api, (double) tuplestore_tuple_count(newrows), since, false);

	/* the new rows are read as prio's types: the table may have been altered */
	keys[0] = PrioAttnum(td->tg_relation, "customer_id", INT8OID);
	keys[1] = PrioAttnum(td->tg_relation, "at", TIMESTAMPTZOID);
	keys[2] = PrioAttnum(td->tg_relation, "activity_id", INT8OID);
	att_kind = PrioAttnum(td->tg_relation, "kind", TEXTOID);
	att_amount = PrioAttnum(td->tg_relation, "amount", NUMERICOID);
	ops[0] = lookup_type_cache(INT8OID, TYPECACHE_LT_OPR)->lt_opr;
	ops[1] = lookup_type_cache(TIMESTAMPTZOID, TYPECACHE_LT_OPR)->lt_opr;
	ops[2] = ops[0];

	/* sort the new rows; bounded memory whatever the size of the statement */
	sort = tuplesort_begin_heap(desc, 3, keys, ops, colls, nullsfirst, work_mem, NULL,
								TUPLESORT_NONE);
	slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	readptr = tuplestore_alloc_read_pointer(newrows, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(newrows, readptr);
	tuplestore_rescan(newrows);
	while (tuplestore_gettupleslot(newrows, true, false, slot))
	{
		bool		isnull;
		TimestampTz at = DatumGetTimestampTz(slot_getattr(slot, keys[1], &isnull));

		if (at > latest)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_FIELD_OVERFLOW),
					 errmsg("activity of customer " INT64_FORMAT " is dated more than a day in the future",
							DatumGetInt64(slot_getattr(slot, keys[0], &isnull))),
					 errdetail("at = %s", DatumGetCString(DirectFunctionCall1(timestamptz_out,
																			  TimestampTzGetDatum(at)))),
					 errhint("Record activities when they happen; at defaults to now().")));
		tuplesort_puttupleslot(sort, slot);
		CHECK_FOR_INTERRUPTS();
	}
	tuplestore_select_read_pointer(newrows, 0);
	tuplesort_performsort(sort);

	while (tuplesort_gettupleslot(sort, true, false, slot, NULL))
	{
		bool		isnull;
		bool		amount_null;
		Datum		amount = slot_getattr(slot, att_amount, &amount_null);

		PrioInsertFoldAdd(fold, DatumGetInt64(slot_getattr(slot, keys[0], &isnull)),
						  DatumGetTimestampTz(slot_getattr(slot, keys[1], &isnull)),
						  DatumGetInt64(slot_getattr(slot, keys[2], &isnull)),
						  slot_getattr(slot, att_kind, &isnull), amount, amount_null);
	}
	PrioInsertFoldEnd(fold);

	ExecDropSingleTupleTableSlot(slot);
	tuplesort_end(sort);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/* ---------------------------------------------------------------- UPDATE, DELETE, TRUNCATE; customers */

/*
 * The customer_id (as bigint) of every row of a transition table, appended
 * to ids (grown as needed); *n counts them.
 */
void
PrioCollectIds(Tuplestorestate *rows, Relation rel, int64 **ids, int *n, int *max,
			   AttrNumber att_at, TimestampTz latest, const char *future_msg, const char *future_hint)
{
	TupleDesc	desc = RelationGetDescr(rel);
	AttrNumber	att_id = PrioAttnum(rel, "customer_id", INT8OID);
	TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	int			readptr = tuplestore_alloc_read_pointer(rows, EXEC_FLAG_REWIND);

	tuplestore_select_read_pointer(rows, readptr);
	tuplestore_rescan(rows);
	while (tuplestore_gettupleslot(rows, true, false, slot))
	{
		bool		isnull;
		Datum		id = slot_getattr(slot, att_id, &isnull);

		CHECK_FOR_INTERRUPTS();
		if (att_at != InvalidAttrNumber)
		{
			bool		at_null;
			Datum		at = slot_getattr(slot, att_at, &at_null);

			if (!at_null && DatumGetTimestampTz(at) > latest)
				ereport(ERROR,
						(errcode(ERRCODE_DATETIME_FIELD_OVERFLOW),
						 errmsg("%s", future_msg),
						 errhint("%s", future_hint)));
		}
		if (isnull)
			continue;
		if (*n == *max)
		{
			*max = Max(64, *max * 2);
			*ids = *ids ? repalloc_huge(*ids, sizeof(int64) * (Size) *max)
				: palloc(sizeof(int64) * *max);
		}
		(*ids)[(*n)++] = DatumGetInt64(id);
	}
	tuplestore_select_read_pointer(rows, 0);
	ExecDropSingleTupleTableSlot(slot);
}

/*
 * prio.activities_changed(): the statement trigger of UPDATE, DELETE and
 * TRUNCATE of prio.activities.  The customers the rows belonged to (before
 * and after an UPDATE) are folded again from all their activities
 * (PrioRebuild, force: see there); TRUNCATE refolds everyone by the sweep.
 * td is checked (sql/activities_changed.c).
 */
void
PrioActivitiesChanged(TriggerData *td)
{
	TimestampTz latest = GetCurrentTransactionStartTimestamp() + USECS_PER_DAY;
	int64	   *ids = NULL;
	int			n = 0;
	int			max = 0;
	const char *why;

	if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
	{
		PrioSweepRebuild("activities truncated", true, NULL, 0);
		return;
	}
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		if (td->tg_oldtable == NULL || td->tg_newtable == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("prio.activities_changed() needs an OLD TABLE and a NEW TABLE on UPDATE")));
		PrioCollectIds(td->tg_newtable, td->tg_relation, &ids, &n, &max,
					   PrioAttnum(td->tg_relation, "at", TIMESTAMPTZOID), latest,
					   "activity dated more than a day in the future",
					   "Record activities when they happen.");
		PrioCollectIds(td->tg_oldtable, td->tg_relation, &ids, &n, &max, InvalidAttrNumber, 0,
					   NULL, NULL);
		why = "activity update";
	}
	else if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
	{
		if (td->tg_oldtable == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("prio.activities_changed() needs an OLD TABLE on DELETE")));
		PrioCollectIds(td->tg_oldtable, td->tg_relation, &ids, &n, &max, InvalidAttrNumber, 0,
					   NULL, NULL);
		why = "activity delete";
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("prio.activities_changed() is a trigger of UPDATE, DELETE or TRUNCATE")));
	n = PrioSortIds(ids, n);
	if (n > 0)
	{
		SPI_connect();
		PrioRebuild(ids, n, why, true);
		SPI_finish();
	}
}
