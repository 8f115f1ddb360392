/*
 * trigger.c
 *		prio.activities_inserted(): the statement trigger that folds newly
 *		inserted activities into their customers' state.
 *
 * One pass over the transition table sorted by (customer_id, at,
 * activity_id) -- a tuplesort, so a COPY of any size stays in bounded
 * memory.  Customers are handled in chunks: each chunk's state rows are
 * locked in customer_id order (concurrent writers never deadlock on each
 * other); everything else -- BANT answers, the activities of a customer
 * folded again, and kinds, settings and breaks if they changed (config.c
 * caches them) -- is read afterwards, so it includes what committed while
 * we waited for the locks.  A customer whose new rows all come after its
 * stored last_at continues the stored fold; any other (a backfill, or a tie
 * in time) is folded from scratch.  Each chunk is written with one UPDATE;
 * every change of tier or stage gets a history row and a notification.  The
 * rules are the same C functions prio.fold() and prio.evaluate() use.
 */
#include "prio.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
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
#include "utils/syscache.h"
#include "utils/tuplesort.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#define CHUNK_CUSTOMERS 500

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

/* What one trigger call needs besides the rows */
typedef struct Context
{
	const PrioConfig *cfg;		/* kinds, settings, breaks: read per chunk */
	int			last_kind;
	TimestampTz as_of;
	RowReader	facts_rr;
	bool		isolated;		/* owner isolation on: payloads name history rows only */
	int			ncols;			/* customer_state's columns the UPDATE writes */
	MemoryContext callcxt;
} Context;

static Datum make_array(Datum *v, bool *n, int count, Oid type);


/*
 * Array columns for the chunk's UPDATE: customer_state's.  prio 0.1's table
 * ends at rule (NCOLS_01); the library serves it until ALTER EXTENSION
 * UPDATE adds the rest.
 */
#define NCOLS 26
#define NCOLS_01 23

typedef struct Columns
{
	Datum	   *v[NCOLS];
	bool	   *n[NCOLS];
} Columns;

static const Oid column_types[NCOLS] = {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID,
	TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID, NUMERICOID, FLOAT8OID,
	TIMESTAMPTZOID, TEXTOID, TEXTOID, INT4OID, INT4OID, INT4OID, INT4OID, BOOLOID, BOOLOID,
	BOOLOID, TEXTOID, FLOAT8OID, TIMESTAMPTZOID, TEXTOID, TIMESTAMPTZOID, INT8OID, NUMERICOID};

static const char *const column_names[NCOLS] = {"customer_id", "first_at", "last_at",
	"last_inbound_at", "last_outbound_at", "last_purchase_at", "frequency", "monetary", "intent",
	"intent_at", "stage", "effective_stage", "r_score", "f_score", "m_score", "bant", "no_reply",
	"value_high", "intent_high", "tier", "priority", "next_due_at", "rule", "first_purchase_at",
	"purchase_days", "first_day_amount"};

/* SPI plans, prepared once per backend (the plan cache revalidates them) */
static SPIPlanPtr lock_plan = NULL;
static SPIPlanPtr customers_plan = NULL;
static SPIPlanPtr refold_plan = NULL;
static SPIPlanPtr update_plan[2][2];	/* [arrays, one row][0.1's columns, all] */
static SPIPlanPtr history_plan = NULL;

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
	Oid			hist[6] = {INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID};

	if (lock_plan != NULL)
		return;
	lock_plan = prepare(
		"SELECT s.customer_id, " PRIO_SCHEMA ".stored_facts(s), s.tier, s.effective_stage::pg_catalog.text"
		"  FROM " PRIO_SCHEMA ".customer_state s"
		" WHERE s.customer_id OPERATOR(pg_catalog.=) ANY ($1)"
		" ORDER BY s.customer_id FOR UPDATE", 1, &int8arr);
	customers_plan = prepare(
		"SELECT c.customer_id, c.budget, c.authority, c.need, c.timeline, c.created_at"
		"  FROM " PRIO_SCHEMA ".customers c"
		" WHERE c.customer_id OPERATOR(pg_catalog.=) ANY ($1)"
		" ORDER BY c.customer_id", 1, &int8arr);
	refold_plan = prepare(
		"SELECT a.customer_id, a.at, k.direction OPERATOR(pg_catalog.=) 'inbound', k.stage,"
		"       k.is_purchase, k.intent_weight, a.amount"
		"  FROM " PRIO_SCHEMA ".activities a"
		"  JOIN " PRIO_SCHEMA ".activity_kinds k ON k.kind OPERATOR(pg_catalog.=) a.kind"
		" WHERE a.customer_id OPERATOR(pg_catalog.=) ANY ($1)"
		" ORDER BY a.customer_id, a.at, a.activity_id", 1, &int8arr);
	history_plan = prepare(
		"INSERT INTO " PRIO_SCHEMA ".tier_history"
		"       (customer_id, changed_at, old_tier, new_tier, old_stage, new_stage, reason)"
		"SELECT u.c, pg_catalog.now(), u.ot, u.nt, u.os::" PRIO_SCHEMA ".stage,"
		"       u.ns::" PRIO_SCHEMA ".stage, u.r"
		"  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
		"       pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6))"
		"       AS u(c, ot, nt, os, ns, r)"
		" RETURNING history_id", 6, hist);
}

/*
 * What the installed version of prio's tables is: whether owner isolation
 * (row-level security on customers) is on, and how many customer_state
 * columns there are to write.
 */
static void
read_schema(Context *cx)
{
	Oid			nsp = get_namespace_oid(PRIO_SCHEMA, false);
	Oid			customers = get_relname_relid("customers", nsp);
	Oid			state = get_relname_relid("customer_state", nsp);
	HeapTuple	tp;

	cx->isolated = false;
	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(customers));
	if (HeapTupleIsValid(tp))
	{
		cx->isolated = ((Form_pg_class) GETSTRUCT(tp))->relrowsecurity;
		ReleaseSysCache(tp);
	}
	cx->ncols = get_attnum(state, "first_day_amount") != InvalidAttrNumber ? NCOLS : NCOLS_01;
}

/*
 * UPDATE customer_state, the first ncols columns: from one array per column,
 * or, for one customer (a single-row INSERT), from one parameter per column,
 * which spares the executor a join of ncols function scans.
 */
static SPIPlanPtr
update_plan_for(int ncols, bool single)
{
	SPIPlanPtr *plan = &update_plan[single ? 1 : 0][ncols == NCOLS ? 1 : 0];
	StringInfoData sql;
	Oid			types[NCOLS];

	if (*plan != NULL)
		return *plan;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "UPDATE " PRIO_SCHEMA ".customer_state s SET ");
	for (int c = 1; c < ncols; c++)
	{
		const char *cast = column_types[c] == TEXTOID && strstr(column_names[c], "stage")
			? "::" PRIO_SCHEMA ".stage" : "";

		if (single)
			appendStringInfo(&sql, "%s = $%d%s, ", column_names[c], c + 1, cast);
		else
			appendStringInfo(&sql, "%s = u.%s%s, ", column_names[c], column_names[c], cast);
	}
	appendStringInfoString(&sql, "updated_at = pg_catalog.now()");
	if (single)
		appendStringInfoString(&sql, " WHERE s.customer_id OPERATOR(pg_catalog.=) $1");
	else
	{
		appendStringInfoString(&sql, " FROM ROWS FROM (");
		for (int c = 0; c < ncols; c++)
			appendStringInfo(&sql, "%spg_catalog.unnest($%d)", c > 0 ? ", " : "", c + 1);
		appendStringInfoString(&sql, ") AS u(");
		for (int c = 0; c < ncols; c++)
			appendStringInfo(&sql, "%s%s", c > 0 ? ", " : "", column_names[c]);
		appendStringInfoString(&sql, ") WHERE s.customer_id OPERATOR(pg_catalog.=) u.customer_id");
	}
	for (int c = 0; c < ncols; c++)
		types[c] = single ? column_types[c] : get_array_type(column_types[c]);
	*plan = prepare(sql.data, ncols, types);
	pfree(sql.data);
	return *plan;
}

/*
 * Fold every activity of the customers marked in refold[] again, from
 * nothing, in (at, activity_id) order: one query for the whole chunk.
 */
static void
refold_chunk(Context *cx, Chunk *ch, PrioFacts *facts, const bool *refold, int nrefold)
{
	Datum	   *idv = palloc(sizeof(Datum) * nrefold);
	Datum		ids;
	int			n = 0;
	int			c = 0;

	for (int i = 0; i < ch->ncust; i++)
		if (refold[i])
		{
			prio_facts_init(&facts[i], ch->ids[i]);
			idv[n++] = Int64GetDatum(ch->ids[i]);
		}
	ids = make_array(idv, NULL, nrefold, INT8OID);
	if (SPI_execute_plan(refold_plan, &ids, NULL, false, 0) != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not read the activities of prio.activities")));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	t = SPI_tuptable->vals[r];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull;
		bool		amount_null;
		int64		id = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
		bool		stage_null;
		Datum		stage = SPI_getbinval(t, d, 4, &stage_null);
		Datum		amount = SPI_getbinval(t, d, 7, &amount_null);

		/* both in customer_id order */
		while (c < ch->ncust && (ch->ids[c] != id || !refold[c]))
			c++;
		if (c == ch->ncust)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("activities came back out of customer order")));
		prio_fold_event(&facts[c], DatumGetTimestampTz(SPI_getbinval(t, d, 2, &isnull)),
						DatumGetBool(SPI_getbinval(t, d, 3, &isnull)),
						!stage_null, stage_null ? STAGE_PROSPECT : StageFromDatum(stage),
						DatumGetBool(SPI_getbinval(t, d, 5, &isnull)),
						DatumGetFloat8(SPI_getbinval(t, d, 6, &isnull)),
						amount_null ? NULL : DatumGetNumeric(amount),
						cx->cfg->settings.half_life_us, ch->cxt);
	}
	SPI_freetuptable(SPI_tuptable);
}

static Datum
make_array(Datum *v, bool *n, int count, Oid type)
{
	int16		len;
	bool		byval;
	char		align;
	int			dims[1] = {count};
	int			lbs[1] = {1};

	get_typlenbyvalalign(type, &len, &byval, &align);
	return PointerGetDatum(construct_md_array(v, n, 1, dims, lbs, type, len, byval, align));
}

static inline void
put(Columns *c, int col, int row, bool isnull, Datum value)
{
	c->n[col][row] = isnull;
	c->v[col][row] = isnull ? (Datum) 0 : value;
}

static Datum
text_or_null(const char *s)
{
	return s ? PointerGetDatum(cstring_to_text(s)) : (Datum) 0;
}

static void
json_text(StringInfo buf, const char *key, const char *value, bool last)
{
	if (value)
		appendStringInfo(buf, "\"%s\" : \"%s\"%s", key, value, last ? "" : ", ");
	else
		appendStringInfo(buf, "\"%s\" : null%s", key, last ? "" : ", ");
}

static void
process_chunk(Context *cx, Chunk *ch)
{
	MemoryContext old = MemoryContextSwitchTo(ch->cxt);
	Datum		ids;
	Datum	   *idv = palloc(sizeof(Datum) * ch->ncust);
	Columns		cols;
	Datum		hv[6];
	Datum	   *hist[6];
	bool	   *histn[6];
	char	  **payloads = palloc(sizeof(char *) * ch->ncust);
	int			nhist = 0;
	uint64		nlocked;
	SPITupleTable *locked;
	SPITupleTable *customers;
	PrioFacts  *facts;
	bool	   *refold;
	int			nrefold = 0;

	for (int i = 0; i < ch->ncust; i++)
		idv[i] = Int64GetDatum(ch->ids[i]);
	ids = make_array(idv, NULL, ch->ncust, INT8OID);
	for (int c = 0; c < NCOLS; c++)
	{
		cols.v[c] = palloc(sizeof(Datum) * ch->ncust);
		cols.n[c] = palloc(sizeof(bool) * ch->ncust);
	}
	for (int c = 0; c < 6; c++)
	{
		hist[c] = palloc(sizeof(Datum) * ch->ncust);
		histn[c] = palloc0(sizeof(bool) * ch->ncust);
	}

	/* lock, in customer_id order, and read the latest committed state */
	if (SPI_execute_plan(lock_plan, &ids, NULL, false, 0) != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not lock prio.customer_state")));
	locked = SPI_tuptable;
	nlocked = SPI_processed;
	if (nlocked != (uint64) ch->ncust)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a customer has no row in prio.customer_state"),
				 errhint("SELECT prio.recompute() rebuilds the state of every customer.")));

	/*
	 * What committed while we waited counts: the configuration is checked
	 * for changes now, and the customers read by a later statement, not
	 * read-only (in READ COMMITTED each takes a new snapshot).
	 */
	AcceptInvalidationMessages();
	cx->cfg = prio_config(cx->ncols == NCOLS);
	if (SPI_execute_plan(customers_plan, &ids, NULL, false, 0) != SPI_OK_SELECT ||
		SPI_processed != (uint64) ch->ncust)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not read prio.customers")));
	customers = SPI_tuptable;

	/* continue the stored fold, or mark the customer to be folded again */
	facts = palloc(sizeof(PrioFacts) * ch->ncust);
	refold = palloc0(sizeof(bool) * ch->ncust);
	for (int i = 0; i < ch->ncust; i++)
	{
		HeapTuple	t = locked->vals[i];
		bool		isnull;
		PrioFacts  *f = &facts[i];
		int			from = ch->first[i];
		int			to = i + 1 < ch->ncust ? ch->first[i + 1] : ch->nrows;

		FactsFromDatum(f, SPI_getbinval(t, locked->tupdesc, 2, &isnull), &cx->facts_rr,
					   cx->callcxt, ch->cxt);
		if (f->customer_id != ch->ids[i])
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("prio.customer_state changed under the trigger")));
		if (f->has_activity && ch->rows[from].at <= f->last_at)
		{
			refold[i] = true;
			nrefold++;
			continue;
		}
		for (int r = from; r < to; r++)
		{
			const PrioKind *k;

			cx->last_kind = prio_kind_index(cx->cfg, ch->rows[r].kind, cx->last_kind);
			k = &cx->cfg->kinds[cx->last_kind];

			prio_fold_event(f, ch->rows[r].at, k->inbound, k->has_stage, k->stage,
							k->is_purchase, k->weight,
							k->is_purchase ? ch->rows[r].amount : NULL,
							cx->cfg->settings.half_life_us, ch->cxt);
		}
	}
	if (nrefold > 0)
		refold_chunk(cx, ch, facts, refold, nrefold);

	for (int i = 0; i < ch->ncust; i++)
	{
		HeapTuple	t = locked->vals[i];
		TupleDesc	d = locked->tupdesc;
		PrioFacts	f = facts[i];
		PrioEval	e;
		bool		answers[4];
		bool		answer_null[4];
		bool		isnull;
		char	   *old_tier = SPI_getvalue(t, d, 3);
		char	   *old_stage = SPI_getvalue(t, d, 4);
		char		tier[2];

		for (int b = 0; b < 4; b++)
		{
			Datum		v = SPI_getbinval(customers->vals[i], customers->tupdesc, 2 + b,
										  &answer_null[b]);

			answers[b] = answer_null[b] ? false : DatumGetBool(v);
		}
		prio_evaluate(&e, &f, answers, answer_null,
					  DatumGetTimestampTz(SPI_getbinval(customers->vals[i], customers->tupdesc,
														6, &isnull)),
					  &cx->cfg->settings, cx->cfg->breaks, cx->cfg->nbreaks, cx->as_of);

		tier[0] = e.tier;
		tier[1] = '\0';
		put(&cols, 0, i, false, Int64GetDatum(f.customer_id));
		put(&cols, 1, i, !f.has_activity, TimestampTzGetDatum(f.first_at));
		put(&cols, 2, i, !f.has_activity, TimestampTzGetDatum(f.last_at));
		put(&cols, 3, i, !f.has_inbound, TimestampTzGetDatum(f.last_inbound_at));
		put(&cols, 4, i, !f.has_outbound, TimestampTzGetDatum(f.last_outbound_at));
		put(&cols, 5, i, !f.has_purchase, TimestampTzGetDatum(f.last_purchase_at));
		put(&cols, 6, i, false, Int64GetDatum(f.frequency));
		put(&cols, 7, i, false, NumericGetDatum(f.monetary ? f.monetary : int64_to_numeric(0)));
		put(&cols, 8, i, false, Float8GetDatum(f.intent));
		put(&cols, 9, i, !f.has_activity, TimestampTzGetDatum(f.intent_at));
		put(&cols, 10, i, false, text_or_null(prio_stage_names[f.stage]));
		put(&cols, 11, i, false, text_or_null(prio_stage_names[e.stage]));
		for (int s = 0; s < 3; s++)
			put(&cols, 12 + s, i, !e.has_scores[s], Int32GetDatum(e.score[s]));
		put(&cols, 15, i, false, Int32GetDatum(e.bant));
		put(&cols, 16, i, false, BoolGetDatum(e.no_reply));
		put(&cols, 17, i, false, BoolGetDatum(e.value_high));
		put(&cols, 18, i, false, BoolGetDatum(e.intent_high));
		put(&cols, 19, i, false, text_or_null(tier));
		put(&cols, 20, i, false, Float8GetDatum(e.priority));
		put(&cols, 21, i, false, TimestampTzGetDatum(e.next_due_at));
		put(&cols, 22, i, false, text_or_null(e.rule.data));
		put(&cols, 23, i, !f.has_purchase, TimestampTzGetDatum(f.first_purchase_at));
		put(&cols, 24, i, false, Int64GetDatum(f.purchase_days));
		put(&cols, 25, i, false,
			NumericGetDatum(f.first_day_amount ? f.first_day_amount : int64_to_numeric(0)));

		if (old_tier == NULL || strcmp(old_tier, tier) != 0 ||
			old_stage == NULL || strcmp(old_stage, prio_stage_names[e.stage]) != 0)
		{
			StringInfoData payload;

			hist[0][nhist] = Int64GetDatum(f.customer_id);
			hist[1][nhist] = text_or_null(old_tier);
			histn[1][nhist] = old_tier == NULL;
			hist[2][nhist] = text_or_null(tier);
			hist[3][nhist] = text_or_null(old_stage);
			histn[3][nhist] = old_stage == NULL;
			hist[4][nhist] = text_or_null(prio_stage_names[e.stage]);
			hist[5][nhist] = PointerGetDatum(cstring_to_text(psprintf("activity: %s", e.rule.data)));

			/* the same payload json_build_object() gives */
			initStringInfo(&payload);
			appendStringInfo(&payload, "{\"customer_id\" : " INT64_FORMAT ", ", f.customer_id);
			json_text(&payload, "old_tier", old_tier, false);
			json_text(&payload, "new_tier", tier, false);
			json_text(&payload, "old_stage", old_stage, false);
			json_text(&payload, "new_stage", prio_stage_names[e.stage], true);
			appendStringInfoChar(&payload, '}');
			payloads[nhist++] = payload.data;
		}
	}
	SPI_freetuptable(locked);
	SPI_freetuptable(customers);

	{
		Datum		args[NCOLS];
		char		nulls[NCOLS];
		bool		single = (ch->ncust == 1);

		for (int c = 0; c < cx->ncols; c++)
		{
			args[c] = single ? cols.v[c][0]
				: make_array(cols.v[c], cols.n[c], ch->ncust, column_types[c]);
			nulls[c] = single && cols.n[c][0] ? 'n' : ' ';
		}
		if (SPI_execute_plan(update_plan_for(cx->ncols, single), args, nulls, false, 0)
			!= SPI_OK_UPDATE)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("could not update prio.customer_state")));
	}
	if (nhist > 0)
	{
		for (int c = 0; c < 6; c++)
			hv[c] = make_array(hist[c], histn[c], nhist, c == 0 ? INT8OID : TEXTOID);
		if (SPI_execute_plan(history_plan, hv, NULL, false, 0) != SPI_OK_INSERT_RETURNING ||
			SPI_processed != (uint64) nhist)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("could not write prio.tier_history")));
		/* anyone may LISTEN: with owner isolation on, name only the history row */
		for (int h = 0; h < nhist; h++)
			Async_Notify("prio_tier_change", cx->isolated
						 ? psprintf("{\"history_id\" : %s}",
									SPI_getvalue(SPI_tuptable->vals[h], SPI_tuptable->tupdesc, 1))
						 : payloads[h]);
		SPI_freetuptable(SPI_tuptable);
	}
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
			? repalloc(ch->rows, sizeof(NewRow) * n)
			: MemoryContextAlloc(ch->cxt, sizeof(NewRow) * n);
		ch->maxrows = n;
	}
	ch->rows[ch->nrows++] = row;
}

static AttrNumber
column(TupleDesc desc, const char *name)
{
	int			n = SPI_fnumber(desc, name);

	if (n <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("prio.activities has no column \"%s\"", name)));
	return n;
}

PG_FUNCTION_INFO_V1(prio_activities_inserted);
Datum
prio_activities_inserted(PG_FUNCTION_ARGS)
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
	cx.as_of = GetCurrentTransactionStartTimestamp();
	latest = cx.as_of + USECS_PER_DAY;

	SPI_connect();
	prepare_plans();
	read_schema(&cx);

	keys[0] = column(desc, "customer_id");
	keys[1] = column(desc, "at");
	keys[2] = column(desc, "activity_id");
	att_kind = column(desc, "kind");
	att_amount = column(desc, "amount");
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
		row.amount = DatumGetNumeric(datumCopy(slot_getattr(slot, att_amount, &isnull), false, -1));
		MemoryContextSwitchTo(old);
		add_row(&ch, row);
	}
	if (ch.ncust > 0)
		process_chunk(&cx, &ch);

	ExecDropSingleTupleTableSlot(slot);
	tuplesort_end(sort);
	MemoryContextDelete(ch.cxt);
	SPI_finish();
	return PointerGetDatum(NULL);
}
