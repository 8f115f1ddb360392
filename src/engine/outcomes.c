/*
 * outcomes.c
 *		The engine of prio.state_closed() and prio.state_closed_flush()
 *		(sql/): keep prio.win_outcomes as customers are decided (won or
 *		lost, by their activities or their deals: prio_deals_outcome()) or
 *		open again; prio.win_outcomes_changed(): their count deltas in
 *		prio.win_counts; prio.rebuild_win_counts(): recompute()'s check of
 *		outcomes and counts; prio.win_features()' features of a state row.
 *
 * The row trigger (with a WHEN clause, so it runs only for such rows) just
 * remembers the old row; the statement trigger then writes every outcome of
 * the statement with one INSERT and one DELETE, so win_outcomes' own
 * statement triggers append one set of count deltas per statement, not per
 * customer.  Only prio's own functions update customer_state, so both run
 * as prio's owner already; the flush pins search_path itself, and only when
 * it has something to write, because it fires after every UPDATE.
 */
#include "prio.h"

#include "access/htup_details.h"
#include "access/genam.h"
#include "access/nbtree.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/tuplestore.h"

/* The rows seen by the row trigger, waiting for the statement trigger */
typedef struct Pending
{
	Datum		old_row;		/* the old customer_state row, as a composite */
	bool		closed;			/* now won or lost (else: opened again) */
	bool		won;
	SubTransactionId subid;		/* recorded in */
} Pending;

static MemoryContext pending_cxt = NULL;
static Pending *pending = NULL;
static int	npending = 0;
static int	maxpending = 0;

/*
 * The kinds closing customers had by their last_at, handed over by the
 * insert trigger when it has just read all their activities (a backdated
 * COPY), so the flush need not read them again; valid for the configuration
 * generation they were computed under.  Emptied by every flush and at the
 * end of every (sub)transaction.
 */
typedef struct KnownKinds
{
	int64		customer_id;
	char		status;
	uint64		kinds;
	uint64		generation;
} KnownKinds;

#define SH_PREFIX known
#define SH_ELEMENT_TYPE KnownKinds
#define SH_KEY_TYPE int64
#define SH_KEY customer_id
#define SH_HASH_KEY(tb, key) hash_bytes_uint32((uint32) ((key) ^ ((key) >> 32)))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static MemoryContext known_cxt = NULL;
static known_hash *known = NULL;

static void memory_begin(void);

void
OutcomeKindsKnown(int64 customer_id, uint64 kinds, uint64 config_generation)
{
	KnownKinds *k;
	bool		found;

	memory_begin();
	if (known == NULL)
		known = known_create(known_cxt, 1024, NULL);
	k = known_insert(known, customer_id, &found);
	k->kinds = kinds;
	k->generation = config_generation;
}

void
OutcomeKindsForget(void)
{
	if (known != NULL)
	{
		known = NULL;
		MemoryContextReset(known_cxt);
	}
}

static bool
known_kinds_of(int64 customer_id, uint64 generation, uint64 *kinds)
{
	KnownKinds *k = known != NULL ? known_lookup(known, customer_id) : NULL;

	if (k == NULL || k->generation != generation)
		return false;
	*kinds = k->kinds;
	return true;
}

static void
pending_reset(void)
{
	if (pending_cxt != NULL)
		MemoryContextReset(pending_cxt);
	pending = NULL;
	npending = 0;
	maxpending = 0;
}

/* a statement that failed between the two triggers leaves nothing behind */
void
OutcomesXactEvent(XactEvent event)
{
	if (npending > 0)
		pending_reset();
	OutcomeKindsForget();
}

void
OutcomesSubXactEvent(SubXactEvent event, SubTransactionId mySubid)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		/*
		 * Only what the aborted subtransaction (or one inside it) recorded:
		 * a user's trigger that catches an error between state_closed and
		 * the flush must not lose the statement's closed deals.
		 */
		while (npending > 0 && pending[npending - 1].subid >= mySubid)
			npending--;
		if (npending == 0)
			pending_reset();
		OutcomeKindsForget();
	}
}

/* What outlives a statement (the transaction events empty it at every end) */
static void
memory_begin(void)
{
	if (pending_cxt != NULL)
		return;
	pending_cxt = AllocSetContextCreate(TopMemoryContext, "prio pending outcomes",
										ALLOCSET_SMALL_SIZES);
	known_cxt = AllocSetContextCreate(TopMemoryContext, "prio known kinds",
									  ALLOCSET_SMALL_SIZES);
}

/* An AFTER UPDATE row or statement trigger of customer_state, or 39P01 */
void
OutcomesCheckTrigger(FunctionCallInfo fcinfo, bool row, const char *name)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(td->tg_event) ||
		(row ? !TRIGGER_FIRED_FOR_ROW(td->tg_event) : !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be an AFTER UPDATE %s trigger on prio.customer_state",
						name, row ? "row" : "statement")));
	/* the pending rows must be customer_state rows, whoever attached the trigger */
	if (RelationGetRelid(td->tg_relation) !=
		get_relname_relid("customer_state", get_namespace_oid(PRIO_SCHEMA, false)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s is a trigger of prio.customer_state only", name)));
}

/*
 * The outcome of a customer_state row (a composite) by the one rule,
 * prio_deals_outcome(): decided, and *won.  Only the rule's inputs are read
 * (FactsFromDatum's meanings; the deal facts, the implicit deal and
 * stage_at may be absent, before 0.5): followup calls it for every row.  rr (zeroed at
 * first) keeps its field map in cxt.
 */
enum
{
	W_STAGE, W_OPEN_DEALS, W_LAST_DEAL_AT, W_DEAL_CLOSED_AT, W_DEAL_OUTCOME, W_QUOTE_AT,
	W_QUOTE_AMOUNT, W_STAGE_AT, W_NFIELDS
};
static const char *const outcome_fields[W_NFIELDS] = {
	"stage", "open_deals", "last_deal_at", "deal_closed_at", "deal_outcome", "quote_at",
	"quote_amount", "stage_at"
};
static const Oid outcome_types[W_NFIELDS] = {
	PRIO_STAGE_TYPE, INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, TIMESTAMPTZOID,
	NUMERICOID, TIMESTAMPTZOID
};

/* (a zeroed reader becomes this one; the deal facts may be absent) */
static const RowReader outcome_reader = {
	.what = "prio.customer_state", .names = outcome_fields, .types = outcome_types,
	.nfields = W_NFIELDS, .nrequired = W_OPEN_DEALS
};

/*
 * The row trigger's reader, kept for the session (its field map in
 * TopMemoryContext): RowBind() maps the fields again only when
 * customer_state's row type changes, not for every row.  The rebuild scans
 * the table and reads its slots instead (StateOutcomeFromSlot()).
 */
static RowReader state_reader;

bool
OutcomeOfRow(Datum row, RowReader *rr, MemoryContext cxt, bool *won)
{
	PrioFacts	f;
	bool		isnull;
	bool		amount_null;
	bool		closed_null;
	TimestampTz closed_at;
	Datum		d;

	if (rr->names == NULL)
		*rr = outcome_reader;
	RowBind(rr, row, cxt);
	prio_facts_init(&f, 0);
	d = RowGet(rr, W_STAGE, &isnull);
	if (!isnull)
		f.stage = StageFromDatum(d);
	d = RowGet(rr, W_STAGE_AT, &isnull);
	f.has_stage_at = !isnull;
	f.stage_at = isnull ? 0 : DatumGetTimestampTz(d);
	d = RowGet(rr, W_OPEN_DEALS, &isnull);
	f.deals.open_deals = isnull ? 0 : DatumGetInt32(d);
	(void) RowGet(rr, W_LAST_DEAL_AT, &isnull);
	f.deals.has_deal_at = !isnull;
	d = RowGet(rr, W_DEAL_CLOSED_AT, &closed_null);
	closed_at = closed_null ? 0 : DatumGetTimestampTz(d);
	d = RowGet(rr, W_DEAL_OUTCOME, &isnull);
	prio_deals_closed(&f, !closed_null, closed_at, isnull ? NULL : DatumGetTextPP(d));
	(void) RowGet(rr, W_QUOTE_AT, &isnull);
	(void) RowGet(rr, W_QUOTE_AMOUNT, &amount_null);
	f.has_quote = !isnull && !amount_null;
	*won = false;
	return prio_deals_outcome(&f, won);
}

/*
 * The row trigger's work: a customer_state row whose outcome changes (the
 * WHEN clause lets through only rows whose inputs to the rule changed) is
 * remembered, as it was before, for OutcomesFlush().
 */
void
OutcomeRowChanged(HeapTuple oldtup, HeapTuple newtup, TupleDesc desc)
{
	Datum		old_row = heap_copy_tuple_as_datum(oldtup, desc);
	bool		old_won;
	bool		new_won;
	bool		was;
	bool		is;
	MemoryContext old;

	was = OutcomeOfRow(old_row, &state_reader, TopMemoryContext, &old_won);
	is = OutcomeOfRow(heap_copy_tuple_as_datum(newtup, desc), &state_reader, TopMemoryContext,
					  &new_won);
	if (was == is && (!is || old_won == new_won))
		return;
	memory_begin();
	old = MemoryContextSwitchTo(pending_cxt);
	if (npending == maxpending)
	{
		maxpending = Max(16, maxpending * 2);
		pending = pending ? repalloc_huge(pending, sizeof(Pending) * (Size) maxpending)
			: palloc(sizeof(Pending) * maxpending);
	}
	pending[npending].old_row = datumCopy(old_row, false, -1);
	pending[npending].closed = is;
	pending[npending].won = is && new_won;
	pending[npending].subid = GetCurrentSubTransactionId();
	npending++;
	MemoryContextSwitchTo(old);
}


/*
 * The features of old customer_state rows, as prio.win_features() gives
 * them: base stage, owner, BANT answers, RFM segment, and kind:<k> yes/no
 * for every kind that does not close a deal, seen by the row's last_at.
 * win_features() runs a query per row, too much for a COPY that closes many
 * deals; here each row is one index probe of
 * customers and one index range of activities (or none, when the insert
 * trigger has just read them: OutcomeKindsKnown).  The flush runs as prio's
 * owner, inside prio's own UPDATE of customer_state, so the direct reads
 * see what win_features() would (test/win_probability.sql and
 * test/sweep.sql compare them).
 */
enum
{
	O_ID, O_STAGE, O_FREQUENCY, O_R, O_F, O_M, O_LAST_AT, O_NFIELDS
};
static const char *const old_fields[O_NFIELDS] = {
	"customer_id", "stage", "frequency", "r_score", "f_score", "m_score", "last_at"
};
static const Oid old_types[O_NFIELDS] = {
	INT8OID, PRIO_STAGE_TYPE, INT8OID, INT4OID, INT4OID, INT4OID, TIMESTAMPTZOID
};

typedef struct FeatureReader
{
	const PrioConfig *cfg;
	uint64		generation;		/* of cfg */
	Snapshot	snapshot;
	Relation	customers;
	Relation	customers_pkey;
	Relation	activities;
	Relation	activities_idx;
	TupleTableSlot *cslot;
	TupleTableSlot *aslot;
	AttrNumber	c_owner;
	AttrNumber	c_bant[4];
	AttrNumber	a_kind;
	bool	   *seen;			/* per kind */
	char	  **kind_keys;		/* "kind:<name>" per kind; NULL: not a feature */
	RowReader	rr;
	MemoryContext cxt;			/* the reader's own allocations */
	bool		by_sql;			/* prio.win_features(): read, never handed over */
} FeatureReader;

/*
 * Ready to read features with snapshot (NULL: what a statement starting now
 * sees, after this transaction's latest command).
 */
static void
features_begin(FeatureReader *fr, Snapshot snapshot)
{
	const char *bant[4] = {"budget", "authority", "need", "timeline"};
	AttrNumber	a_customer;
	AttrNumber	a_at;

	memset(fr, 0, sizeof(FeatureReader));
	fr->cxt = CurrentMemoryContext;
	AcceptInvalidationMessages();
	/* named by the scripts of 0.2 on, whose schemas are alike for it */
	fr->cfg = prio_config(PRIO_API_0_2);
	fr->generation = prio_config_generation();
	fr->seen = palloc(sizeof(bool) * Max(fr->cfg->nkinds, 1));
	fr->kind_keys = palloc(sizeof(char *) * Max(fr->cfg->nkinds, 1));
	for (int k = 0; k < fr->cfg->nkinds; k++)
	{
		const PrioKind *kind = &fr->cfg->kinds[k];

		/* kinds that close a deal are not features */
		fr->kind_keys[k] = kind->is_purchase ||
			(kind->has_stage && (kind->stage == STAGE_WON || kind->stage == STAGE_LOST))
			? NULL : psprintf("kind:%s", kind->name);
	}
	if (snapshot == NULL)
	{
		CommandCounterIncrement();
		snapshot = GetTransactionSnapshot();
	}
	fr->snapshot = RegisterSnapshot(snapshot);
	fr->customers = table_open(PrioRelid("customers"), AccessShareLock);
	fr->customers_pkey = PrioOpenIndex("customers_pkey", fr->customers,
									PrioAttnum(fr->customers, "customer_id", InvalidOid), 0);
	fr->c_owner = PrioAttnum(fr->customers, "owner", InvalidOid);
	for (int b = 0; b < 4; b++)
		fr->c_bant[b] = PrioAttnum(fr->customers, bant[b], InvalidOid);
	fr->activities = table_open(PrioRelid("activities"), AccessShareLock);
	a_customer = PrioAttnum(fr->activities, "customer_id", InvalidOid);
	a_at = PrioAttnum(fr->activities, "at", InvalidOid);
	fr->a_kind = PrioAttnum(fr->activities, "kind", InvalidOid);
	fr->activities_idx = PrioOpenIndex("activities_customer_at_idx", fr->activities, a_customer, a_at);
	fr->cslot = table_slot_create(fr->customers, NULL);
	fr->aslot = table_slot_create(fr->activities, NULL);
	fr->rr.what = "prio.customer_state";
	fr->rr.names = old_fields;
	fr->rr.types = old_types;
	fr->rr.nfields = O_NFIELDS;
}

static void
features_end(FeatureReader *fr)
{
	ExecDropSingleTupleTableSlot(fr->cslot);
	ExecDropSingleTupleTableSlot(fr->aslot);
	index_close(fr->customers_pkey, AccessShareLock);
	index_close(fr->activities_idx, AccessShareLock);
	table_close(fr->customers, AccessShareLock);
	table_close(fr->activities, AccessShareLock);
	UnregisterSnapshot(fr->snapshot);
}

static void
push_pair(JsonbParseState **ps, const char *key, const char *value)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	pushJsonbValue(ps, WJB_KEY, &v);
	if (value == NULL)
		v.type = jbvNull;
	else
	{
		v.val.string.val = (char *) value;
		v.val.string.len = strlen(value);
	}
	pushJsonbValue(ps, WJB_VALUE, &v);
}

/*
 * The features of a customer_state row (win_features): base stage, owner,
 * BANT answers, RFM segment, and every kind that does not close a deal:
 * whether the customer had one by last_at.  A customer that does not exist
 * is an error, or, when found is given, *found = false and (Datum) 0.
 */
static Datum
features_of(FeatureReader *fr, Datum oldrow, bool *found_out)
{
	static const char *const bant[4] = {"budget", "authority", "need", "timeline"};
	RowReader  *rr = &fr->rr;
	ScanKeyData key[2];
	IndexScanDesc scan;
	bool		isnull;
	bool		found;
	int64		id;
	Datum		d;
	JsonbParseState *ps = NULL;
	JsonbValue *res;
	char	   *owner = NULL;
	const char *answers[4];
	const char *segment = "none";
	int			hint = 0;
	uint64		known_kinds;

	RowBind(rr, oldrow, fr->cxt);
	d = RowGet(rr, O_ID, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a customer_state row without customer_id")));
	id = DatumGetInt64(d);

	/* the customer: owner and BANT answers */
	ScanKeyInit(&key[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	scan = index_beginscan(fr->customers, fr->customers_pkey, fr->snapshot, 1, 0);
	index_rescan(scan, key, 1, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, fr->cslot);
	if (found)
	{
		slot_getallattrs(fr->cslot);
		if (!fr->cslot->tts_isnull[fr->c_owner - 1])
			owner = TextDatumGetCString(fr->cslot->tts_values[fr->c_owner - 1]);
		for (int b = 0; b < 4; b++)
			answers[b] = fr->cslot->tts_isnull[fr->c_bant[b] - 1] ? "unknown"
				: DatumGetBool(fr->cslot->tts_values[fr->c_bant[b] - 1]) ? "yes" : "no";
	}
	index_endscan(scan);
	if (found_out != NULL)
	{
		*found_out = found;
		if (!found)
			return (Datum) 0;
	}
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("customer " INT64_FORMAT " of a closed deal does not exist", id)));

	/* the kinds it had by last_at: handed over, or read */
	memset(fr->seen, 0, sizeof(bool) * Max(fr->cfg->nkinds, 1));
	d = RowGet(rr, O_LAST_AT, &isnull);
	if (!fr->by_sql && known_kinds_of(id, fr->generation, &known_kinds))
	{
		for (int k = 0; k < fr->cfg->nkinds && k < KNOWN_KINDS_MAX; k++)
			fr->seen[k] = (known_kinds >> k) & 1;
	}
	else if (!isnull)
	{
		ScanKeyInit(&key[1], 2, BTLessEqualStrategyNumber, F_TIMESTAMPTZ_LE, d);
		scan = index_beginscan(fr->activities, fr->activities_idx, fr->snapshot, 2, 0);
		index_rescan(scan, key, 2, NULL, 0);
		while (index_getnext_slot(scan, ForwardScanDirection, fr->aslot))
		{
			text	   *kind;

			slot_getsomeattrs(fr->aslot, fr->a_kind);
			if (fr->aslot->tts_isnull[fr->a_kind - 1])
				continue;
			kind = DatumGetTextPP(fr->aslot->tts_values[fr->a_kind - 1]);
			hint = prio_kind_index(fr->cfg, VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind), hint);
			fr->seen[hint] = true;
		}
		index_endscan(scan);
	}

	/* the segment of a buyer (rfm_segment is strict: a missing score is none) */
	d = RowGet(rr, O_FREQUENCY, &isnull);
	if (!isnull && DatumGetInt64(d) > 0)
	{
		bool		n[3];
		Datum		sc[3];

		for (int i = 0; i < 3; i++)
			sc[i] = RowGet(rr, O_R + i, &n[i]);
		if (!n[0] && !n[1] && !n[2])
			segment = prio_rfm_segment(DatumGetInt32(sc[0]), DatumGetInt32(sc[1]),
									   DatumGetInt32(sc[2]));
	}

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	d = RowGet(rr, O_STAGE, &isnull);
	push_pair(&ps, "stage", isnull ? NULL : prio_stage_names[StageFromDatum(d)]);
	push_pair(&ps, "owner", owner ? owner : "(none)");
	for (int b = 0; b < 4; b++)
		push_pair(&ps, bant[b], answers[b]);
	push_pair(&ps, "rfm_segment", segment);
	for (int k = 0; k < fr->cfg->nkinds; k++)
		if (fr->kind_keys[k] != NULL)
			push_pair(&ps, fr->kind_keys[k], fr->seen[k] ? "yes" : "no");
	res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(res));
}

/*
 * The statement that writes the outcomes, prepared once per backend (the
 * plan cache revalidates it).  Closed: the features as they were just
 * before; opened again: no outcome.
 */
static SPIPlanPtr
flush_plan(void)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[3] = {INT8ARRAYOID, BOOLARRAYOID, JSONBARRAYOID};

	if (plan == NULL)
		plan = PrioKeepPlan(
			"WITH c AS (SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
			"                                    pg_catalog.unnest($3)) AS c (id, won, features)),"
			"     gone AS (DELETE FROM " PRIO_SCHEMA ".win_outcomes w USING c"
			"               WHERE c.won IS NULL AND w.customer_id OPERATOR(pg_catalog.=) c.id)"
			" INSERT INTO " PRIO_SCHEMA ".win_outcomes AS w (customer_id, won, features)"
			" SELECT c.id, c.won, c.features FROM c"
			"  WHERE c.won IS NOT NULL"
			"  ORDER BY c.id"
			" ON CONFLICT (customer_id) DO UPDATE SET won = EXCLUDED.won"
			"  WHERE w.won IS DISTINCT FROM EXCLUDED.won",
			3, types, 0);
	return plan;
}

/*
 * Write the outcomes of the rows remembered since the last flush: what the
 * statement trigger prio.state_closed_flush() does, and the state writer
 * when it updates customer_state itself.
 */
void
OutcomesFlush(void)
{
	Datum	   *rows;
	Datum	   *ids;
	Datum	   *won;
	bool	   *won_null;
	Datum	   *features;
	int			n = npending;
	int			dims[1];
	int			lbs[1] = {1};
	Datum		args[3];
	int			save_nestlevel;
	FeatureReader fr;
	RowReader	idr;
	static const char *const id_field[1] = {"customer_id"};
	static const Oid id_type[1] = {INT8OID};

	if (n == 0)
	{
		/* the kinds handed over were for this UPDATE's rows; none closed */
		OutcomeKindsForget();
		return;
	}

	/* take the rows out first: whatever happens next, they are handled once */
	rows = palloc(sizeof(Datum) * n);
	ids = palloc(sizeof(Datum) * n);
	won = palloc(sizeof(Datum) * n);
	won_null = palloc(sizeof(bool) * n);
	features = palloc(sizeof(Datum) * n);
	for (int i = 0; i < n; i++)
	{
		rows[i] = PointerGetDatum(PG_DETOAST_DATUM_COPY(pending[i].old_row));
		won[i] = BoolGetDatum(pending[i].won);
		won_null[i] = !pending[i].closed;
	}
	pending_reset();

	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	SPI_connect();
	memset(&idr, 0, sizeof(idr));
	idr.what = "prio.customer_state";
	idr.names = id_field;
	idr.types = id_type;
	idr.nfields = 1;
	features_begin(&fr, NULL);
	for (int i = 0; i < n; i++)
	{
		bool		isnull;

		CHECK_FOR_INTERRUPTS();
		RowBind(&idr, rows[i], CurrentMemoryContext);
		ids[i] = RowGet(&idr, 0, &isnull);
		features[i] = won_null[i] ? (Datum) 0 : features_of(&fr, rows[i], NULL);
	}
	features_end(&fr);
	OutcomeKindsForget();

	dims[0] = n;
	args[0] = PointerGetDatum(construct_md_array(ids, NULL, 1, dims, lbs, INT8OID,
												 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[1] = PointerGetDatum(construct_md_array(won, won_null, 1, dims, lbs, BOOLOID,
												 1, true, TYPALIGN_CHAR));
	args[2] = PointerGetDatum(construct_md_array(features, won_null, 1, dims, lbs, JSONBOID,
												 -1, false, TYPALIGN_INT));
	if (SPI_execute_plan(flush_plan(), args, NULL, false, 0) != SPI_OK_INSERT)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not write prio.win_outcomes")));
	SPI_finish();
	AtEOXact_GUC(true, save_nestlevel);
}


/* ---------------------------------------------------------------- rebuild */

/* A (variable, value) pair of the features and its counts */
typedef struct PairKey
{
	const char *s;				/* variable '\0' value '\0' */
	int			len;
} PairKey;

typedef struct PairCount
{
	PairKey		key;
	char		status;
	int64		won;
	int64		lost;
	int64		stored_won;		/* what win_counts sums to */
	int64		stored_lost;
} PairCount;

#define SH_PREFIX pairs
#define SH_ELEMENT_TYPE PairCount
#define SH_KEY_TYPE PairKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) hash_bytes((const unsigned char *) (k).s, (k).len)
#define SH_EQUAL(tb, a, b) ((a).len == (b).len && memcmp((a).s, (b).s, (a).len) == 0)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static PairCount *
pair_entry(pairs_hash *h, const char *var, int varlen, const char *val, int vallen)
{
	char		buf[1024];
	char	   *s = varlen + vallen + 2 <= sizeof(buf) ? buf : palloc(varlen + vallen + 2);
	PairKey		k;
	bool		found;
	PairCount  *e;

	memcpy(s, var, varlen);
	s[varlen] = '\0';
	memcpy(s + varlen + 1, val, vallen);
	s[varlen + 1 + vallen] = '\0';	/* both halves read as C strings */
	k.s = s;
	k.len = varlen + 1 + vallen;
	e = pairs_lookup(h, k);
	if (e != NULL)
		return e;
	k.s = MemoryContextAlloc(h->ctx, k.len + 1);
	memcpy((char *) k.s, s, k.len + 1);
	e = pairs_insert(h, k, &found);
	e->won = e->lost = e->stored_won = e->stored_lost = 0;
	return e;
}

/* jsonb_each_text's text of a value */
static char *
value_text(JsonbValue *v, int64 customer_id)
{
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		case jbvBinary:
			return JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
		default:
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the features of the outcome of customer " INT64_FORMAT " have a null value",
							customer_id)));
	}
	pg_unreachable();
}

/* count one outcome's features, and the totals ('*', '*'), sign times */
static void
count_features(pairs_hash *h, Jsonb *features, bool won, int64 customer_id, int sign)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	PairCount  *e;

	if (!JB_ROOT_IS_OBJECT(features) || JB_ROOT_IS_SCALAR(features))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the features of the outcome of customer " INT64_FORMAT " are not a JSON object",
						customer_id)));
	it = JsonbIteratorInit(&features->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *var;
		int			varlen;
		char	   *val;

		if (tok != WJB_KEY)
			continue;
		var = v.val.string.val;
		varlen = v.val.string.len;
		tok = JsonbIteratorNext(&it, &v, true);
		val = value_text(&v, customer_id);
		e = pair_entry(h, var, varlen, val, strlen(val));
		if (won)
			e->won += sign;
		else
			e->lost += sign;
		pfree(val);
	}
	e = pair_entry(h, "*", 1, "*", 1);
	if (won)
		e->won += sign;
	else
		e->lost += sign;
}

/*
 * The pairs of h whose counts are not both zero, written to win_counts:
 * appended, or (replace) in place of every row there.
 */
static void
pairs_write(pairs_hash *h, bool replace)
{
	Datum	   *vars = palloc(sizeof(Datum) * Max(h->members, 1));
	Datum	   *vals = palloc(sizeof(Datum) * Max(h->members, 1));
	Datum	   *wons = palloc(sizeof(Datum) * Max(h->members, 1));
	Datum	   *losts = palloc(sizeof(Datum) * Max(h->members, 1));
	int			n = 0;
	Datum		args[4];
	Oid			types[4] = {TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID};
	pairs_iterator iter;
	PairCount  *e;

	pairs_start_iterate(h, &iter);
	while ((e = pairs_iterate(h, &iter)) != NULL)
	{
		if (e->won == 0 && e->lost == 0)
			continue;
		vars[n] = CStringGetTextDatum(e->key.s);
		vals[n] = CStringGetTextDatum(e->key.s + strlen(e->key.s) + 1);
		wons[n] = Int64GetDatum(e->won);
		losts[n] = Int64GetDatum(e->lost);
		n++;
	}
	if (n == 0 && !replace)
		return;
	args[0] = PointerGetDatum(construct_array(vars, n, TEXTOID, -1, false, TYPALIGN_INT));
	args[1] = PointerGetDatum(construct_array(vals, n, TEXTOID, -1, false, TYPALIGN_INT));
	args[2] = PointerGetDatum(construct_array(wons, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[3] = PointerGetDatum(construct_array(losts, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	if (SPI_execute_with_args(replace
							  ? "WITH gone AS (DELETE FROM " PRIO_SCHEMA ".win_counts)"
							  " INSERT INTO " PRIO_SCHEMA ".win_counts (variable, value, won, lost)"
							  " SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
							  "                          pg_catalog.unnest($3), pg_catalog.unnest($4))"
							  "  ORDER BY 1, 2"
							  : "INSERT INTO " PRIO_SCHEMA ".win_counts (variable, value, won, lost)"
							  " SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
							  "                          pg_catalog.unnest($3), pg_catalog.unnest($4))",
							  4, types, args, NULL, false, 0) != SPI_OK_INSERT)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not write prio.win_counts")));
}

/* the outcomes of a transition table counted into h, sign times */
static void
count_rows(pairs_hash *h, Relation rel, Tuplestorestate *rows, int sign)
{
	AttrNumber	att_id = PrioAttnum(rel, "customer_id", INT8OID);
	AttrNumber	att_won = PrioAttnum(rel, "won", BOOLOID);
	AttrNumber	att_features = PrioAttnum(rel, "features", JSONBOID);
	TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsMinimalTuple);
	int			readptr = tuplestore_alloc_read_pointer(rows, EXEC_FLAG_REWIND);

	tuplestore_select_read_pointer(rows, readptr);
	tuplestore_rescan(rows);
	while (tuplestore_gettupleslot(rows, true, false, slot))
	{
		bool		id_null;
		bool		won_null;
		bool		features_null;
		Datum		id = slot_getattr(slot, att_id, &id_null);
		Datum		won = slot_getattr(slot, att_won, &won_null);
		Datum		features = slot_getattr(slot, att_features, &features_null);

		CHECK_FOR_INTERRUPTS();
		/* (NOT NULL columns: as a NULL would have counted, nowhere) */
		if (won_null || features_null)
			continue;
		count_features(h, DatumGetJsonbP(features), DatumGetBool(won),
					   id_null ? 0 : DatumGetInt64(id), sign);
	}
	tuplestore_select_read_pointer(rows, 0);
	ExecDropSingleTupleTableSlot(slot);
}

/*
 * prio.win_outcomes_changed() (sql/win_outcomes_changed.c), the statement
 * triggers of win_outcomes (td checked): the statement's won and lost
 * deltas per (variable, value) appended to win_counts -- each new row
 * counted once, each old row taken away once; pairs that come to nothing
 * are left out -- and every 100th appending statement sums the rows up
 * (compact_win_counts(), which never waits).  Runs as prio's owner.
 */
void
PrioWinOutcomesChanged(TriggerData *td)
{
	pairs_hash *h;

	SPI_connect();
	h = pairs_create(CurrentMemoryContext, 256, NULL);
	if (td->tg_newtable != NULL && !TRIGGER_FIRED_BY_DELETE(td->tg_event))
		count_rows(h, td->tg_relation, td->tg_newtable, 1);
	if (td->tg_oldtable != NULL && !TRIGGER_FIRED_BY_INSERT(td->tg_event))
		count_rows(h, td->tg_relation, td->tg_oldtable, -1);
	pairs_write(h, false);
	if (nextval_internal(PrioRelid("win_counts_appends"), true) % 100 == 0 &&
		SPI_execute("SELECT " PRIO_SCHEMA ".compact_win_counts()", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not sum up prio.win_counts");
	SPI_finish();
}

typedef struct Closed
{
	int64		customer_id;
	bool		won;
	bool		has_outcome;
} Closed;

static int
cmp_closed(const void *a, const void *b)
{
	int64		x = ((const Closed *) a)->customer_id;
	int64		y = ((const Closed *) b)->customer_id;

	return (x > y) - (x < y);
}

/* a boolean[] of n bool Datums */
static Datum
bool_array(Datum *v, int n)
{
	return PointerGetDatum(construct_array(v, n, BOOLOID, 1, true, TYPALIGN_CHAR));
}

/*
 * prio.rebuild_win_counts() (sql/rebuild_win_counts.c): win_outcomes follow
 * the outcome rule, prio_deals_outcome(), as the row trigger does (an open
 * customer's outcome goes; one decided the other way since is turned; a
 * decided customer without one gets its current features, stage unknown),
 * then win_counts equal the outcomes' counts --
 * rewritten, compacted, only when they do not already.  One scan of
 * customer_state and one of win_outcomes; runs as the caller (prio's own
 * SECURITY DEFINER recompute()), holding the compaction's job row.
 */
void
PrioRebuildWinCounts(void)
{
	Snapshot	snapshot;
	Relation	rel;
	TupleTableSlot *slot;
	TableScanDesc scan;
	Closed	   *closed;
	int			nclosed = 0;
	int			maxclosed = 1024;
	int64	   *gone;
	int			ngone = 0;
	int			maxgone = 64;
	int64	   *missing;
	int			nmissing = 0;
	pairs_hash *h;
	pairs_iterator iter;
	PairCount  *e;
	bool		same = true;
	int64	   *flipped;
	Datum	   *flipped_won;
	int			nflipped = 0;
	int			maxflipped = 64;
	Datum	   *missing_won;
	MemoryContext rowcxt;
	StateAtts	atts;
	AttrNumber	att_id;
	AttrNumber	att_won;
	AttrNumber	att_features;
	uint64		nrows;

	SPI_connect();

	/*
	 * The compaction's job row (0.4; an advisory lock before, which any role
	 * could take and hold, and 0.3's schema still has only that).
	 */
	if (OidIsValid(get_relname_relid("job_locks", get_namespace_oid(PRIO_SCHEMA, false))))
	{
		if (SPI_execute("SELECT 1 FROM " PRIO_SCHEMA ".job_locks j"
						" WHERE j.job OPERATOR(pg_catalog.=) 'win_counts' FOR UPDATE",
						false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not lock the win_counts row of prio.job_locks");
		if (SPI_processed != 1)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("prio.job_locks has no row for the job win_counts"),
					 errhint("INSERT INTO prio.job_locks (job) VALUES ('win_counts'), as prio's owner.")));
	}
	else if (SPI_execute("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('prio.win_counts')::bigint)",
						 false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not lock prio.win_counts");
	CommandCounterIncrement();
	snapshot = RegisterSnapshot(GetTransactionSnapshot());

	/* the decided customers, by the outcome rule, read as the sweep reads */
	closed = palloc(sizeof(Closed) * maxclosed);
	rel = table_open(PrioRelid("customer_state"), AccessShareLock);
	StateAttsInit(rel, &atts);
	att_id = atts.customer_id;
	slot = table_slot_create(rel, NULL);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "prio outcome row", ALLOCSET_SMALL_SIZES);
	scan = table_beginscan(rel, snapshot, 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		MemoryContext old;
		bool		decided;
		bool		won;

		CHECK_FOR_INTERRUPTS();
		slot_getallattrs(slot);
		if (slot->tts_isnull[att_id - 1])
			continue;
		/* what the reader allocates (a detoasted outcome) goes per row */
		old = MemoryContextSwitchTo(rowcxt);
		decided = StateOutcomeFromSlot(slot, &atts, &won);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
		if (!decided)
			continue;
		if (nclosed == maxclosed)
		{
			maxclosed *= 2;
			closed = repalloc_huge(closed, sizeof(Closed) * (Size) maxclosed);
		}
		closed[nclosed].customer_id = DatumGetInt64(slot->tts_values[att_id - 1]);
		closed[nclosed].won = won;
		closed[nclosed].has_outcome = false;
		nclosed++;
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);
	MemoryContextDelete(rowcxt);
	qsort(closed, nclosed, sizeof(Closed), cmp_closed);

	/* the outcomes: an open customer's goes, the others are counted */
	h = pairs_create(CurrentMemoryContext, 256, NULL);
	gone = palloc(sizeof(int64) * maxgone);
	flipped = palloc(sizeof(int64) * maxflipped);
	flipped_won = palloc(sizeof(Datum) * maxflipped);
	rel = table_open(PrioRelid("win_outcomes"), AccessShareLock);
	att_id = PrioAttnum(rel, "customer_id", InvalidOid);
	att_won = PrioAttnum(rel, "won", InvalidOid);
	att_features = PrioAttnum(rel, "features", InvalidOid);
	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, snapshot, 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		Closed		key;
		Closed	   *c;

		CHECK_FOR_INTERRUPTS();
		slot_getallattrs(slot);
		key.customer_id = DatumGetInt64(slot->tts_values[att_id - 1]);
		c = bsearch(&key, closed, nclosed, sizeof(Closed), cmp_closed);
		if (c == NULL)
		{
			if (ngone == maxgone)
			{
				maxgone *= 2;
				gone = repalloc_huge(gone, sizeof(int64) * (Size) maxgone);
			}
			gone[ngone++] = key.customer_id;
			continue;
		}
		c->has_outcome = true;
		if (DatumGetBool(slot->tts_values[att_won - 1]) != c->won)
		{
			/* decided the other way since: as the row trigger's flush does */
			if (nflipped == maxflipped)
			{
				maxflipped *= 2;
				flipped = repalloc_huge(flipped, sizeof(int64) * (Size) maxflipped);
				flipped_won = repalloc_huge(flipped_won, sizeof(Datum) * (Size) maxflipped);
			}
			flipped[nflipped] = key.customer_id;
			flipped_won[nflipped++] = BoolGetDatum(c->won);
		}
		count_features(h, DatumGetJsonbP(slot->tts_values[att_features - 1]),
					   c->won, key.customer_id, 1);
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);
	UnregisterSnapshot(snapshot);

	if (ngone > 0)
	{
		Oid			type = INT8ARRAYOID;
		Datum		arg = Int8ArrayDatum(gone, ngone);

		if (SPI_execute_with_args("DELETE FROM " PRIO_SCHEMA ".win_outcomes w"
								  " WHERE w.customer_id OPERATOR(pg_catalog.=) ANY ($1)",
								  1, &type, &arg, NULL, false, 0) != SPI_OK_DELETE)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("could not write prio.win_outcomes")));
	}
	if (nflipped > 0)
	{
		Oid			types[2] = {INT8ARRAYOID, BOOLARRAYOID};
		Datum		args[2] = {Int8ArrayDatum(flipped, nflipped), bool_array(flipped_won, nflipped)};

		if (SPI_execute_with_args("UPDATE " PRIO_SCHEMA ".win_outcomes w SET won = f.won"
								  "  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS f (id, won)"
								  " WHERE w.customer_id OPERATOR(pg_catalog.=) f.id",
								  2, types, args, NULL, false, 0) != SPI_OK_UPDATE)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("could not write prio.win_outcomes")));
	}
	missing = palloc_extended(sizeof(int64) * Max(nclosed, 1), MCXT_ALLOC_HUGE);
	missing_won = palloc_extended(sizeof(Datum) * Max(nclosed, 1), MCXT_ALLOC_HUGE);
	for (int i = 0; i < nclosed; i++)
		if (!closed[i].has_outcome)
		{
			missing_won[nmissing] = BoolGetDatum(closed[i].won);
			missing[nmissing++] = closed[i].customer_id;
		}
	if (nmissing > 0)
	{
		/* closed before prio kept outcomes: their current features, stage unknown */
		Oid			types[2] = {INT8ARRAYOID, BOOLARRAYOID};
		Datum		args[2] = {Int8ArrayDatum(missing, nmissing), bool_array(missing_won, nmissing)};

		if (SPI_execute_with_args("INSERT INTO " PRIO_SCHEMA ".win_outcomes (customer_id, won, features)"
								  " SELECT s.customer_id, m.won,"
								  "        " PRIO_SCHEMA ".win_features(s) OPERATOR(pg_catalog.||) '{\"stage\": \"unknown\"}'::jsonb"
								  "   FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS m (id, won)"
								  "   JOIN " PRIO_SCHEMA ".customer_state s ON s.customer_id OPERATOR(pg_catalog.=) m.id"
								  "  ORDER BY s.customer_id"
								  " RETURNING customer_id, won, features",
								  2, types, args, NULL, false, 0) != SPI_OK_INSERT_RETURNING)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("could not write prio.win_outcomes")));
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	t = SPI_tuptable->vals[r];
			bool		isnull;

			count_features(h, DatumGetJsonbP(SPI_getbinval(t, SPI_tuptable->tupdesc, 3, &isnull)),
						   DatumGetBool(SPI_getbinval(t, SPI_tuptable->tupdesc, 2, &isnull)),
						   DatumGetInt64(SPI_getbinval(t, SPI_tuptable->tupdesc, 1, &isnull)), 1);
		}
	}

	/* what win_counts says now, summed; rewritten only if it differs or has deltas */
	PrioCheckTableByName("win_counts");
	if (SPI_execute("SELECT w.variable, w.value, pg_catalog.sum(w.won)::bigint,"
					"       pg_catalog.sum(w.lost)::bigint, pg_catalog.count(*)"
					"  FROM " PRIO_SCHEMA ".win_counts w GROUP BY 1, 2", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read prio.win_counts");
	nrows = SPI_processed;
	for (uint64 r = 0; r < nrows; r++)
	{
		HeapTuple	t = SPI_tuptable->vals[r];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull;
		text	   *var = DatumGetTextPP(SPI_getbinval(t, d, 1, &isnull));
		text	   *val = DatumGetTextPP(SPI_getbinval(t, d, 2, &isnull));
		int64		won = DatumGetInt64(SPI_getbinval(t, d, 3, &isnull));
		int64		lost = DatumGetInt64(SPI_getbinval(t, d, 4, &isnull));

		if (DatumGetInt64(SPI_getbinval(t, d, 5, &isnull)) > 1)
			same = false;		/* deltas to compact */
		if (won == 0 && lost == 0)
		{
			same = false;		/* a spent row */
			continue;
		}
		e = pair_entry(h, VARDATA_ANY(var), VARSIZE_ANY_EXHDR(var),
					   VARDATA_ANY(val), VARSIZE_ANY_EXHDR(val));
		e->stored_won = won;
		e->stored_lost = lost;
	}
	pairs_start_iterate(h, &iter);
	while (same && (e = pairs_iterate(h, &iter)) != NULL)
		same = (e->won == e->stored_won && e->lost == e->stored_lost);

	if (!same)
		pairs_write(h, true);
	SPI_finish();
}

/* ---------------------------------------------------------------- win_features */

/*
 * prio.win_features(state customer_state) (sql/win_features.c): the features the closing writes keep in win_outcomes (features_of), for
 * any state row, read with the calling statement's snapshot, in *result;
 * false (NULL) when its customer does not exist or the caller cannot see it.  Runs as the caller:
 * it needs SELECT on customers, activities and activity_kinds, as the SQL it
 * replaces did; under row-level security (owner isolation) the customer
 * must be visible to the caller (the policy of activities follows the
 * customers'), so no row names a customer the caller cannot see.
 */
bool
PrioWinFeatures(Datum row, Datum *result)
{
	static const char *const tables[3] = {"customers", "activities", "activity_kinds"};
	static const char *const id_field[1] = {"customer_id"};
	static const Oid id_type[1] = {INT8OID};
	RowReader	idr;
	FeatureReader fr;
	Datum		id;
	bool		isnull;
	bool		found;
	bool		rls = false;
	MemoryContext caller = CurrentMemoryContext;

	for (int t = 0; t < 3; t++)
	{
		Oid			relid = PrioRelid(tables[t]);
		AclResult	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);

		if (aclresult != ACLCHECK_OK)
			aclcheck_error(aclresult, OBJECT_TABLE, get_rel_name(relid));
		if (t < 2 && check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED)
			rls = true;
	}
	memset(&idr, 0, sizeof(idr));
	idr.what = "prio.customer_state";
	idr.names = id_field;
	idr.types = id_type;
	idr.nfields = 1;
	RowBind(&idr, row, CurrentMemoryContext);
	id = RowGet(&idr, 0, &isnull);
	if (isnull)
		return false;
	/* the configuration (kinds) is read through SPI when it changed */
	SPI_connect();
	MemoryContextSwitchTo(caller);
	if (rls)
	{
		/* as the caller, through the policies */
		Oid			type = INT8OID;
		bool		visible;

		if (SPI_execute_with_args("SELECT 1 FROM " PRIO_SCHEMA ".customers c"
								  " WHERE c.customer_id OPERATOR(pg_catalog.=) $1",
								  1, &type, &id, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read prio.customers");
		visible = SPI_processed > 0;
		MemoryContextSwitchTo(caller);
		if (!visible)
		{
			SPI_finish();
			return false;
		}
	}
	features_begin(&fr, ActiveSnapshotSet() ? GetActiveSnapshot() : NULL);
	fr.by_sql = true;
	*result = features_of(&fr, row, &found);
	features_end(&fr);
	SPI_finish();
	return found;
}
