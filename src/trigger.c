/*
 * trigger.c
 *		prio.activities_inserted(): the statement trigger that folds newly
 *		inserted activities into their customers' state.
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
 * once every chunk is locked: by one query per chunk of them, or, when they
 * are many (a backdated COPY), by one scan of the activities (sweep.c).
 * statewrite.c writes the state rows, a history row and a notification for
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

/*
 * Customers to fold again from all their activities: by one scan of the
 * activities rather than a query per chunk when there are at least this
 * many and they are at least 1/REFOLD_SCAN_SHARE of all customers.
 */
#define REFOLD_SCAN_MIN 1000
#define REFOLD_SCAN_SHARE 16

typedef struct NewRow
{
	TimestampTz at;
	char	   *kind;
	Numeric		amount;
} NewRow;

typedef struct Chunk
{
	MemoryContext cxt;			/* reset after each chunk */
	int64		ids[CHUNK_CUSTOMERS];
	int			first[CHUNK_CUSTOMERS]; /* first row of each customer */
	int			ncust;
	NewRow	   *rows;
	int			nrows;
	int			maxrows;
} Chunk;

/* A locked customer to be folded again once every chunk is locked */
typedef struct Refold
{
	int64		id;
	char	   *old_tier;
	char	   *old_stage;
	bool		answers[4];
	bool		answer_null[4];
	TimestampTz created_at;
	ItemPointerData tid;		/* the state row's locked version */
	bool		had_activity;	/* before this statement ... */
	TimestampTz old_last_at;	/* ... up to here */
} Refold;

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
	Refold	   *refold;			/* in callcxt */
	int			nrefold;
	int			maxrefold;
	MemoryContext callcxt;
} Context;

/* SPI plans, prepared once per backend (the plan cache revalidates them) */
static SPIPlanPtr refold_plan = NULL;
static SPIPlanPtr create_plans[2];	/* [0.2 on]: 0.1's state has no owner */

static const char *const state_fields[2] = {"tier", "effective_stage"};
static const Oid state_types[2] = {TEXTOID, PRIO_STAGE_TYPE};

/*
 * Generic plans: a custom plan would be cheaper to run by an estimate, but
 * planning it anew on every call costs more than the whole statement.
 */
static SPIPlanPtr
prepare(const char *sql, int nargs, Oid *types)
{
	return PrioKeepPlan(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);
}

static void
prepare_plans(void)
{
	Oid			int8arr = INT8ARRAYOID;

	if (refold_plan == NULL)
		refold_plan = prepare(
			"SELECT a.customer_id, a.at, k.direction OPERATOR(pg_catalog.=) 'inbound', k.stage,"
			"       k.is_purchase, k.intent_weight, a.amount"
			"  FROM " PRIO_SCHEMA ".activities a"
			"  JOIN " PRIO_SCHEMA ".activity_kinds k ON k.kind OPERATOR(pg_catalog.=) a.kind"
			" WHERE a.customer_id OPERATOR(pg_catalog.=) ANY ($1)"
			" ORDER BY a.customer_id, a.at, a.activity_id", 1, &int8arr);
}

/* What prio.customers_changed() inserts for a new customer ([0.2 on]) */
static const char *const create_sql[2] = {
	"INSERT INTO " PRIO_SCHEMA ".customer_state (customer_id)"
	" SELECT c.customer_id FROM " PRIO_SCHEMA ".customers c"
	" WHERE c.customer_id OPERATOR(pg_catalog.=) ANY ($1)"
	" ORDER BY c.customer_id ON CONFLICT (customer_id) DO NOTHING",
	"INSERT INTO " PRIO_SCHEMA ".customer_state (customer_id, owner)"
	" SELECT c.customer_id, c.owner FROM " PRIO_SCHEMA ".customers c"
	" WHERE c.customer_id OPERATOR(pg_catalog.=) ANY ($1)"
	" ORDER BY c.customer_id ON CONFLICT (customer_id) DO NOTHING"};

static SPIPlanPtr
create_plan(PrioApiVersion api)
{
	int			v02 = PRIO_API_HAS_BTYD(api) ? 1 : 0;

	Oid			int8arr = INT8ARRAYOID;

	if (create_plans[v02] == NULL)
		create_plans[v02] = prepare(create_sql[v02], 1, &int8arr);
	return create_plans[v02];
}

static void
evaluate_and_write(Context *cx, Refold *r, PrioFacts *f)
{
	PrioEval	e;

	prio_evaluate(&e, f, r->answers, r->answer_null, r->created_at,
				  &cx->cfg->settings, cx->cfg->breaks, cx->cfg->nbreaks, cx->as_of);
	StateWriterAdd(&cx->writer, f, &e, r->old_tier, r->old_stage, &r->tid);
}

/*
 * Fold the customers r[0..n-1] (in customer_id order) again from nothing,
 * in (at, activity_id) order: one query for all of them.
 */
static void
refold_by_query(Context *cx, Refold *r, int n, MemoryContext cxt)
{
	int64	   *ids = palloc(sizeof(int64) * n);
	PrioFacts  *facts = palloc(sizeof(PrioFacts) * n);
	MemoryContext mine = CurrentMemoryContext;
	Datum		arg;
	int			c = 0;

	for (int i = 0; i < n; i++)
	{
		ids[i] = r[i].id;
		prio_facts_init(&facts[i], r[i].id);
	}
	arg = Int8ArrayDatum(ids, n);
	/* its columns are read by position, as the types they were created with */
	PrioCheckTableByName("activities");
	PrioCheckTableByName("activity_kinds");
	if (SPI_execute_plan(refold_plan, &arg, NULL, false, 0) != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not read the activities of prio.activities")));
	/* SPI returns in its procedure context, which lives until SPI_finish */
	MemoryContextSwitchTo(mine);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	t = SPI_tuptable->vals[row];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull;
		bool		amount_null;
		int64		id = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
		bool		stage_null;
		Datum		stage = SPI_getbinval(t, d, 4, &stage_null);
		Datum		amount = SPI_getbinval(t, d, 7, &amount_null);

		/* both in customer_id order */
		while (c < n && ids[c] != id)
			c++;
		if (c == n)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("activities came back out of customer order")));
		prio_fold_event(&facts[c], DatumGetTimestampTz(SPI_getbinval(t, d, 2, &isnull)),
						DatumGetBool(SPI_getbinval(t, d, 3, &isnull)),
						!stage_null, stage_null ? STAGE_PROSPECT : StageFromDatum(stage),
						DatumGetBool(SPI_getbinval(t, d, 5, &isnull)),
						DatumGetFloat8(SPI_getbinval(t, d, 6, &isnull)),
						amount_null ? NULL : DatumGetNumeric(amount),
						cx->cfg->settings.half_life_us, cxt);
	}
	SPI_freetuptable(SPI_tuptable);
	for (int i = 0; i < n; i++)
		evaluate_and_write(cx, &r[i], &facts[i]);
	StateWriterFlush(&cx->writer);
}

/* Every customer set aside for a refold, now that all of them are locked */
static void
refold_all(Context *cx)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "prio trigger refold",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	double		customers = 0;
	Oid			relid = get_relname_relid("customers", get_namespace_oid(PRIO_SCHEMA, false));

	if (cx->nrefold >= REFOLD_SCAN_MIN && OidIsValid(relid))
	{
		HeapTuple	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));

		if (HeapTupleIsValid(tp))
		{
			customers = ((Form_pg_class) GETSTRUCT(tp))->reltuples;
			ReleaseSysCache(tp);
		}
	}
	if (cx->nrefold >= REFOLD_SCAN_MIN &&
		(double) cx->nrefold * REFOLD_SCAN_SHARE >= customers)
	{
		/* one scan of the activities (a pass per share that fits in memory) */
		Snapshot	snapshot;
		ActivityCollector *c;
		int64	   *ids = palloc_extended(sizeof(int64) * cx->nrefold, MCXT_ALLOC_HUGE);
		MemoryContext factscxt = AllocSetContextCreate(cxt, "prio trigger facts",
													   ALLOCSET_DEFAULT_SIZES);

		for (int i = 0; i < cx->nrefold; i++)
			ids[i] = cx->refold[i].id;
		CommandCounterIncrement();
		snapshot = RegisterSnapshot(GetTransactionSnapshot());
		c = ActivityCollectorBegin(cx->cfg, snapshot, cx->nrefold);
		for (int pass = 0; pass < ActivityCollectorPasses(c); pass++)
		{
			ActivityCollectorRun(c, ids, cx->nrefold, pass);
			for (int i = 0; i < cx->nrefold; i++)
			{
				PrioFacts	f;

				if (!ActivityCollectorInPass(c, ids[i], pass))
					continue;
				CHECK_FOR_INTERRUPTS();
				MemoryContextSwitchTo(factscxt);
				ActivityCollectorFold(c, ids[i], &f, factscxt);
				/* the kinds it had before, should it close: the flush needs them */
				if (cx->cfg->nkinds <= KNOWN_KINDS_MAX)
					OutcomeKindsKnown(ids[i], cx->refold[i].had_activity
									  ? ActivityCollectorKinds(c, ids[i], cx->refold[i].old_last_at)
									  : 0, prio_config_generation());
				evaluate_and_write(cx, &cx->refold[i], &f);
				MemoryContextSwitchTo(cxt);
				MemoryContextReset(factscxt);
			}
			StateWriterFlush(&cx->writer);
		}
		ActivityCollectorEnd(c);
		UnregisterSnapshot(snapshot);
	}
	else
	{
		for (int from = 0; from < cx->nrefold; from += CHUNK_CUSTOMERS)
		{
			refold_by_query(cx, &cx->refold[from], Min(CHUNK_CUSTOMERS, cx->nrefold - from), cxt);
			MemoryContextReset(cxt);
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

static void
set_aside(Context *cx, const PrioFacts *stored, const char *old_tier, const char *old_stage,
		  const bool *answers, const bool *answer_null, TimestampTz created_at,
		  const ItemPointerData *tid)
{
	MemoryContext old = MemoryContextSwitchTo(cx->callcxt);
	Refold	   *r;

	if (cx->nrefold == cx->maxrefold)
	{
		cx->maxrefold = Max(64, cx->maxrefold * 2);
		cx->refold = cx->refold ? repalloc_huge(cx->refold, sizeof(Refold) * (Size) cx->maxrefold)
			: palloc(sizeof(Refold) * cx->maxrefold);
	}
	r = &cx->refold[cx->nrefold++];
	r->id = stored->customer_id;
	r->had_activity = stored->has_activity;
	r->old_last_at = stored->last_at;
	r->old_tier = old_tier ? pstrdup(old_tier) : NULL;
	r->old_stage = old_stage ? pstrdup(old_stage) : NULL;
	memcpy(r->answers, answers, sizeof(r->answers));
	memcpy(r->answer_null, answer_null, sizeof(r->answer_null));
	r->created_at = created_at;
	r->tid = *tid;
	MemoryContextSwitchTo(old);
}

/*
 * The customers of ids[0..n-1] (ascending, their customers rows locked) that
 * have no state row get one, as prio.customers_changed() makes it: the state
 * row appears when it is first needed.  An application's trigger on
 * prio.customers that inserts an activity for a new customer may run before
 * prio's own (AFTER triggers fire in name order, row triggers before
 * statement triggers); a state row a DBA deleted comes back the same way.
 * Then lock them; locked[i] and tids[i] are filled in for them, and made[i]
 * is set: such a row is folded from all the customer's activities.
 */
static void
create_state_rows(const int64 *ids, int n, PrioApiVersion api, Datum *locked,
				  ItemPointerData *tids, bool *made)
{
	MemoryContext mine = CurrentMemoryContext;
	int64	   *missing = palloc(sizeof(int64) * n);
	int		   *at = palloc(sizeof(int) * n);
	Datum	   *rows;
	ItemPointerData *mtids;
	Datum		arg;
	int			m = 0;

	for (int i = 0; i < n; i++)
	{
		made[i] = false;
		if (locked[i] == (Datum) 0)
		{
			at[m] = i;
			missing[m++] = ids[i];
		}
	}
	if (m == 0)
		return;
	arg = Int8ArrayDatum(missing, m);
	if (SPI_execute_plan(create_plan(api), &arg, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not create the state rows of new customers");
	/* SPI returns in its procedure context */
	MemoryContextSwitchTo(mine);
	rows = palloc(sizeof(Datum) * m);
	mtids = palloc(sizeof(ItemPointerData) * m);
	PrioLockStateRows(missing, m, rows, mtids, InvalidCommandId, NULL);
	for (int j = 0; j < m; j++)
	{
		if (rows[j] == (Datum) 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("customer " INT64_FORMAT " has no row in prio.customer_state", missing[j]),
					 errhint("SELECT prio.recompute() rebuilds the state of every customer.")));
		locked[at[j]] = rows[j];
		tids[at[j]] = mtids[j];
		made[at[j]] = true;
	}
}

static void
process_chunk(Context *cx, Chunk *ch)
{
	MemoryContext old = MemoryContextSwitchTo(ch->cxt);
	Datum	   *locked = palloc(sizeof(Datum) * ch->ncust);
	ItemPointerData *tids = palloc(sizeof(ItemPointerData) * ch->ncust);
	Datum	   *customers = palloc(sizeof(Datum) * ch->ncust);
	bool	   *made = palloc(sizeof(bool) * ch->ncust);
	bool	   *written = palloc(sizeof(bool) * ch->ncust);

	/*
	 * Lock, in customer_id order, the customers rows (as an UPDATE of them
	 * does, and before the state rows, as its trigger does: one lock order
	 * for every writer), then the state rows; read the latest committed
	 * versions of both.  Nobody changes a customers row we hold, so what we
	 * read is what the customer is until we commit.
	 */
	PrioLockCustomers(ch->ids, ch->ncust, customers);
	for (int i = 0; i < ch->ncust; i++)
		if (customers[i] == (Datum) 0)
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("customer " INT64_FORMAT " has no row in prio.customers", ch->ids[i])));
	PrioLockStateRows(ch->ids, ch->ncust, locked, tids, cx->since, written);
	create_state_rows(ch->ids, ch->ncust, cx->api, locked, tids, made);

	/*
	 * What committed while we waited counts: the configuration is checked
	 * for changes now.
	 */
	AcceptInvalidationMessages();
	cx->cfg = prio_config(cx->api);

	for (int i = 0; i < ch->ncust; i++)
	{
		bool		isnull;
		PrioFacts	f;
		PrioEval	e;
		bool		answers[4];
		bool		answer_null[4];
		TimestampTz created_at;
		char	   *old_tier;
		char	   *old_stage;
		Datum		d;
		int			from = ch->first[i];
		int			to = i + 1 < ch->ncust ? ch->first[i + 1] : ch->nrows;

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
		 * the transition table, are the truth.
		 */
		if (made[i] || written[i] || (f.has_activity && ch->rows[from].at <= f.last_at))
		{
			set_aside(cx, &f, old_tier, old_stage, answers, answer_null, created_at, &tids[i]);
			continue;
		}
		for (int r = from; r < to; r++)
		{
			const PrioKind *k;

			cx->last_kind = prio_kind_index(cx->cfg, ch->rows[r].kind, strlen(ch->rows[r].kind),
											 cx->last_kind);
			k = &cx->cfg->kinds[cx->last_kind];

			prio_fold_event(&f, ch->rows[r].at, k->inbound, k->has_stage, k->stage,
							k->is_purchase, k->weight,
							k->is_purchase ? ch->rows[r].amount : NULL,
							cx->cfg->settings.half_life_us, ch->cxt);
		}
		prio_evaluate(&e, &f, answers, answer_null, created_at,
					  &cx->cfg->settings, cx->cfg->breaks, cx->cfg->nbreaks, cx->as_of);
		StateWriterAdd(&cx->writer, &f, &e, old_tier, old_stage, &tids[i]);
	}
	StateWriterFlush(&cx->writer);

	MemoryContextSwitchTo(old);
	MemoryContextReset(ch->cxt);
	ch->ncust = 0;
	ch->nrows = 0;
	ch->rows = NULL;
	ch->maxrows = 0;
}

static void
add_row(Chunk *ch, NewRow row)
{
	if (ch->nrows == ch->maxrows)
	{
		int			n = Max(64, ch->maxrows * 2);

		ch->rows = ch->rows
			? repalloc_huge(ch->rows, sizeof(NewRow) * (Size) n)
			: MemoryContextAlloc(ch->cxt, sizeof(NewRow) * n);
		ch->maxrows = n;
	}
	ch->rows[ch->nrows++] = row;
}

/* prio.activities_inserted() of 0.4 */
PG_FUNCTION_INFO_V1(prio_activities_inserted_0_4);
Datum
prio_activities_inserted_0_4(PG_FUNCTION_ARGS)
{
	return ActivitiesInserted(fcinfo, PRIO_API_0_4);
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
	Context		cx;
	Chunk		ch;
	TimestampTz latest;

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

	memset(&cx, 0, sizeof(cx));
	cx.callcxt = CurrentMemoryContext;
	cx.state_rr.what = "prio.customer_state";
	cx.state_rr.names = state_fields;
	cx.state_rr.types = state_types;
	cx.state_rr.nfields = 2;
	CustomerReaderInit(&cx.customer_rr);
	cx.as_of = GetCurrentTransactionStartTimestamp();

	/*
	 * The INSERT's (or COPY's) snapshot is still the active one: its command
	 * id is the statement's, and anything that ran after it started (a row
	 * trigger, a statement trigger named before this one) wrote with a later
	 * one.  Without a snapshot, every state row this transaction wrote counts.
	 */
	cx.since = ActiveSnapshotSet() ? GetActiveSnapshot()->curcid : FirstCommandId;
	latest = cx.as_of + USECS_PER_DAY;

	SPI_connect();
	prepare_plans();
	/* a single-row INSERT needs a batch of one, not of CHUNK_CUSTOMERS */
	cx.api = api;
	StateWriterBeginApi(&cx.writer,
						(int) Min(CHUNK_CUSTOMERS, Max(tuplestore_tuple_count(newrows), 1)),
						"activity", cx.as_of, api);

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

	memset(&ch, 0, sizeof(ch));
	ch.cxt = AllocSetContextCreate(CurrentMemoryContext, "prio trigger chunk",
								   ALLOCSET_DEFAULT_SIZES);
	while (tuplesort_gettupleslot(sort, true, false, slot, NULL))
	{
		bool		isnull;
		int64		id = DatumGetInt64(slot_getattr(slot, keys[0], &isnull));
		NewRow		row;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		if (ch.ncust == 0 || ch.ids[ch.ncust - 1] != id)
		{
			if (ch.ncust == CHUNK_CUSTOMERS)
				process_chunk(&cx, &ch);
			ch.ids[ch.ncust] = id;
			ch.first[ch.ncust] = ch.nrows;
			ch.ncust++;
		}
		old = MemoryContextSwitchTo(ch.cxt);
		row.at = DatumGetTimestampTz(slot_getattr(slot, keys[1], &isnull));
		row.kind = TextDatumGetCString(slot_getattr(slot, att_kind, &isnull));
		/* every amount is kept: whether the kind is a purchase is read later */
		{
			Datum		amount = slot_getattr(slot, att_amount, &isnull);

			row.amount = isnull ? NULL : DatumGetNumeric(datumCopy(amount, false, -1));
		}
		MemoryContextSwitchTo(old);
		add_row(&ch, row);
	}
	if (ch.ncust > 0)
		process_chunk(&cx, &ch);
	if (cx.nrefold > 0)
		refold_all(&cx);
	StateWriterEnd(&cx.writer);
	OutcomeKindsForget();

	ExecDropSingleTupleTableSlot(slot);
	tuplesort_end(sort);
	MemoryContextDelete(ch.cxt);
	SPI_finish();
	return PointerGetDatum(NULL);
}
