/*
 * outcomes.c
 *		prio.state_closed() and prio.state_closed_flush(): keep
 *		prio.win_outcomes as customers' base stages enter or leave won/lost;
 *		prio.rebuild_win_counts(): recompute()'s check of outcomes and counts.
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
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

/* The rows seen by the row trigger, waiting for the statement trigger */
typedef struct Pending
{
	Datum		old_row;		/* the old customer_state row, as a composite */
	bool		closed;			/* now won or lost (else: opened again) */
	bool		won;
} Pending;

static MemoryContext pending_cxt = NULL;
static Pending *pending = NULL;
static int	npending = 0;
static int	maxpending = 0;
static Oid	row_type = InvalidOid;

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
static void
pending_xact_callback(XactEvent event, void *arg)
{
	if (npending > 0)
		pending_reset();
}

static void
pending_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB && npending > 0)
		pending_reset();
}

static void
check_trigger(FunctionCallInfo fcinfo, bool row, const char *name)
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

PG_FUNCTION_INFO_V1(prio_state_closed);
Datum
prio_state_closed(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	int			att;
	bool		isnull;
	PrioStage	stage;
	MemoryContext old;

	check_trigger(fcinfo, true, "prio.state_closed()");
	desc = RelationGetDescr(td->tg_relation);
	att = SPI_fnumber(desc, "stage");
	if (att <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("prio.customer_state has no column \"stage\"")));
	stage = StageFromDatum(heap_getattr(td->tg_newtuple, att, desc, &isnull));

	if (pending_cxt == NULL)
	{
		pending_cxt = AllocSetContextCreate(TopMemoryContext, "prio pending outcomes",
											ALLOCSET_SMALL_SIZES);
		RegisterXactCallback(pending_xact_callback, NULL);
		RegisterSubXactCallback(pending_subxact_callback, NULL);
	}
	old = MemoryContextSwitchTo(pending_cxt);
	if (npending == maxpending)
	{
		maxpending = Max(16, maxpending * 2);
		pending = pending ? repalloc(pending, sizeof(Pending) * maxpending)
			: palloc(sizeof(Pending) * maxpending);
	}
	pending[npending].old_row = heap_copy_tuple_as_datum(td->tg_trigtuple, desc);
	pending[npending].closed = (stage == STAGE_WON || stage == STAGE_LOST);
	pending[npending].won = (stage == STAGE_WON);
	npending++;
	row_type = desc->tdtypeid;
	MemoryContextSwitchTo(old);
	return PointerGetDatum(NULL);
}

/*
 * The statement that writes the outcomes, prepared once per backend (the
 * plan cache revalidates it).  Closed: the features as they were just
 * before; opened again: no outcome.
 */
static SPIPlanPtr
flush_plan(Oid *types)
{
	static SPIPlanPtr plan = NULL;
	static Oid	plan_type = InvalidOid;

	SPIPlanPtr	old = plan;

	if (plan != NULL && plan_type == types[0])
		return plan;
	/* forget it first: SPI_prepare may throw */
	plan = NULL;
	plan_type = InvalidOid;
	if (old != NULL)
		SPI_freeplan(old);
	plan = PrioKeepPlan(
		"WITH c AS (SELECT $1[i] AS o, $2[i] AS won FROM pg_catalog.generate_subscripts($1, 1) AS i),"
		"     gone AS (DELETE FROM " PRIO_SCHEMA ".win_outcomes w USING c"
		"               WHERE c.won IS NULL AND w.customer_id OPERATOR(pg_catalog.=) (c.o).customer_id)"
		" INSERT INTO " PRIO_SCHEMA ".win_outcomes AS w (customer_id, won, features)"
		" SELECT (c.o).customer_id, c.won, " PRIO_SCHEMA ".win_features(c.o) FROM c"
		"  WHERE c.won IS NOT NULL"
		"  ORDER BY (c.o).customer_id"
		" ON CONFLICT (customer_id) DO UPDATE SET won = EXCLUDED.won"
		"  WHERE w.won IS DISTINCT FROM EXCLUDED.won",
		2, types, 0);
	plan_type = types[0];
	return plan;
}

PG_FUNCTION_INFO_V1(prio_state_closed_flush);
Datum
prio_state_closed_flush(PG_FUNCTION_ARGS)
{
	Datum	   *rows;
	Datum	   *won;
	bool	   *won_null;
	int			n = npending;
	int			dims[1];
	int			lbs[1] = {1};
	Datum		args[2];
	Oid			types[2];
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			save_nestlevel;

	check_trigger(fcinfo, false, "prio.state_closed_flush()");
	if (n == 0)
		return PointerGetDatum(NULL);

	/* take the rows out first: whatever happens next, they are handled once */
	rows = palloc(sizeof(Datum) * n);
	won = palloc(sizeof(Datum) * n);
	won_null = palloc(sizeof(bool) * n);
	for (int i = 0; i < n; i++)
	{
		rows[i] = PointerGetDatum(PG_DETOAST_DATUM_COPY(pending[i].old_row));
		won[i] = BoolGetDatum(pending[i].won);
		won_null[i] = !pending[i].closed;
	}
	types[0] = get_array_type(row_type);
	types[1] = BOOLARRAYOID;
	pending_reset();

	dims[0] = n;
	get_typlenbyvalalign(row_type, &typlen, &typbyval, &typalign);
	args[0] = PointerGetDatum(construct_md_array(rows, NULL, 1, dims, lbs, row_type,
												 typlen, typbyval, typalign));
	args[1] = PointerGetDatum(construct_md_array(won, won_null, 1, dims, lbs, BOOLOID,
												 1, true, TYPALIGN_CHAR));

	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	SPI_connect();
	if (SPI_execute_plan(flush_plan(types), args, NULL, false, 0) != SPI_OK_INSERT)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not write prio.win_outcomes")));
	SPI_finish();
	AtEOXact_GUC(true, save_nestlevel);
	return PointerGetDatum(NULL);
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

/* count one outcome's features, and the totals ('*', '*') */
static void
count_features(pairs_hash *h, Jsonb *features, bool won, int64 customer_id)
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
			e->won++;
		else
			e->lost++;
		pfree(val);
	}
	e = pair_entry(h, "*", 1, "*", 1);
	if (won)
		e->won++;
	else
		e->lost++;
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

static Oid
prio_table(const char *name)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid(PRIO_SCHEMA, false));

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation " PRIO_SCHEMA ".%s does not exist", name)));
	return relid;
}

static AttrNumber
table_column(Relation rel, const char *name)
{
	AttrNumber	a = SPI_fnumber(RelationGetDescr(rel), name);

	if (a <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s has no column \"%s\"", RelationGetRelationName(rel), name)));
	return a;
}

static Datum
int8_array(const int64 *ids, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = Int64GetDatum(ids[i]);
	return PointerGetDatum(construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * prio.rebuild_win_counts(): win_outcomes follow the base stages (an open
 * customer's outcome goes; a closed customer without one gets its current
 * features, stage unknown), then win_counts equal the outcomes' counts --
 * rewritten, compacted, only when they do not already.  One scan of
 * customer_state and one of win_outcomes; runs as the caller (prio's own
 * SECURITY DEFINER recompute()), holding the compaction lock.
 */
PG_FUNCTION_INFO_V1(prio_rebuild_win_counts);
Datum
prio_rebuild_win_counts(PG_FUNCTION_ARGS)
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
	Oid			stage_type = StageTypeOid();
	AttrNumber	att_id;
	AttrNumber	att_stage;
	AttrNumber	att_won;
	AttrNumber	att_features;
	uint64		nrows;

	SPI_connect();
	if (SPI_execute("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('prio.win_counts')::bigint)",
					false, 0) != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not lock prio.win_counts")));
	CommandCounterIncrement();
	snapshot = RegisterSnapshot(GetTransactionSnapshot());

	/* the closed customers, by base stage */
	closed = palloc(sizeof(Closed) * maxclosed);
	rel = table_open(prio_table("customer_state"), AccessShareLock);
	att_id = table_column(rel, "customer_id");
	att_stage = table_column(rel, "stage");
	if (TupleDescAttr(RelationGetDescr(rel), att_stage - 1)->atttypid != stage_type)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("customer_state.stage is not of type " PRIO_SCHEMA ".stage")));
	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, snapshot, 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		PrioStage	stage;

		CHECK_FOR_INTERRUPTS();
		slot_getsomeattrs(slot, Max(att_id, att_stage));
		if (slot->tts_isnull[att_stage - 1] || slot->tts_isnull[att_id - 1])
			continue;
		stage = StageFromDatum(slot->tts_values[att_stage - 1]);
		if (stage != STAGE_WON && stage != STAGE_LOST)
			continue;
		if (nclosed == maxclosed)
		{
			maxclosed *= 2;
			closed = repalloc(closed, sizeof(Closed) * maxclosed);
		}
		closed[nclosed].customer_id = DatumGetInt64(slot->tts_values[att_id - 1]);
		closed[nclosed].won = (stage == STAGE_WON);
		closed[nclosed].has_outcome = false;
		nclosed++;
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);
	qsort(closed, nclosed, sizeof(Closed), cmp_closed);

	/* the outcomes: an open customer's goes, the others are counted */
	h = pairs_create(CurrentMemoryContext, 256, NULL);
	gone = palloc(sizeof(int64) * maxgone);
	rel = table_open(prio_table("win_outcomes"), AccessShareLock);
	att_id = table_column(rel, "customer_id");
	att_won = table_column(rel, "won");
	att_features = table_column(rel, "features");
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
				gone = repalloc(gone, sizeof(int64) * maxgone);
			}
			gone[ngone++] = key.customer_id;
			continue;
		}
		c->has_outcome = true;
		count_features(h, DatumGetJsonbP(slot->tts_values[att_features - 1]),
					   DatumGetBool(slot->tts_values[att_won - 1]), key.customer_id);
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);
	UnregisterSnapshot(snapshot);

	if (ngone > 0)
	{
		Oid			type = INT8ARRAYOID;
		Datum		arg = int8_array(gone, ngone);

		if (SPI_execute_with_args("DELETE FROM " PRIO_SCHEMA ".win_outcomes w"
								  " WHERE w.customer_id OPERATOR(pg_catalog.=) ANY ($1)",
								  1, &type, &arg, NULL, false, 0) != SPI_OK_DELETE)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("could not write prio.win_outcomes")));
	}
	missing = palloc(sizeof(int64) * Max(nclosed, 1));
	for (int i = 0; i < nclosed; i++)
		if (!closed[i].has_outcome)
			missing[nmissing++] = closed[i].customer_id;
	if (nmissing > 0)
	{
		/* closed before prio kept outcomes: their current features, stage unknown */
		Oid			type = INT8ARRAYOID;
		Datum		arg = int8_array(missing, nmissing);

		if (SPI_execute_with_args("INSERT INTO " PRIO_SCHEMA ".win_outcomes (customer_id, won, features)"
								  " SELECT s.customer_id, s.stage OPERATOR(pg_catalog.=) 'won',"
								  "        " PRIO_SCHEMA ".win_features(s) OPERATOR(pg_catalog.||) '{\"stage\": \"unknown\"}'::jsonb"
								  "   FROM " PRIO_SCHEMA ".customer_state s"
								  "  WHERE s.customer_id OPERATOR(pg_catalog.=) ANY ($1)"
								  "  ORDER BY s.customer_id"
								  " RETURNING customer_id, won, features",
								  1, &type, &arg, NULL, false, 0) != SPI_OK_INSERT_RETURNING)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("could not write prio.win_outcomes")));
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	t = SPI_tuptable->vals[r];
			bool		isnull;

			count_features(h, DatumGetJsonbP(SPI_getbinval(t, SPI_tuptable->tupdesc, 3, &isnull)),
						   DatumGetBool(SPI_getbinval(t, SPI_tuptable->tupdesc, 2, &isnull)),
						   DatumGetInt64(SPI_getbinval(t, SPI_tuptable->tupdesc, 1, &isnull)));
		}
	}

	/* what win_counts says now, summed; rewritten only if it differs or has deltas */
	if (SPI_execute("SELECT w.variable, w.value, pg_catalog.sum(w.won)::bigint,"
					"       pg_catalog.sum(w.lost)::bigint, pg_catalog.count(*)"
					"  FROM " PRIO_SCHEMA ".win_counts w GROUP BY 1, 2", false, 0) != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not read prio.win_counts")));
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
	{
		Datum	   *vars = palloc(sizeof(Datum) * Max(h->members, 1));
		Datum	   *vals = palloc(sizeof(Datum) * Max(h->members, 1));
		Datum	   *wons = palloc(sizeof(Datum) * Max(h->members, 1));
		Datum	   *losts = palloc(sizeof(Datum) * Max(h->members, 1));
		int			n = 0;
		Datum		args[4];
		Oid			types[4] = {TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID};

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
		args[0] = PointerGetDatum(construct_array(vars, n, TEXTOID, -1, false, TYPALIGN_INT));
		args[1] = PointerGetDatum(construct_array(vals, n, TEXTOID, -1, false, TYPALIGN_INT));
		args[2] = PointerGetDatum(construct_array(wons, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		args[3] = PointerGetDatum(construct_array(losts, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		if (SPI_execute_with_args("WITH gone AS (DELETE FROM " PRIO_SCHEMA ".win_counts)"
								  " INSERT INTO " PRIO_SCHEMA ".win_counts (variable, value, won, lost)"
								  " SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
								  "                          pg_catalog.unnest($3), pg_catalog.unnest($4))"
								  "  ORDER BY 1, 2",
								  4, types, args, NULL, false, 0) != SPI_OK_INSERT)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("could not write prio.win_counts")));
	}
	SPI_finish();
	PG_RETURN_VOID();
}
