/*
 * state_write.c
 *		Writing evaluated customers: their customer_state rows, a
 *		tier_history row and a NOTIFY for every change of tier or stage.
 *
 * The insert trigger and the whole-table sweep (recompute, a settings
 * change) both write through this, in batches: one UPDATE a batch (one
 * parameter per column for a batch of one, the single-row INSERT; one array
 * per column otherwise), one INSERT for its history rows.  The caller holds
 * the rows' locks; what a batch keeps is copied into the batch's context.
 * A batch whose rows the caller located, and handed over with their
 * locations, is written by the executor without a statement to plan when
 * the table allows it (state_update.c).
 *
 * A history row is dated at the writer's changed_at (the evaluation's time),
 * unless a replay of a customer's past (refold.c, PrioReplay) found it: then
 * at the event's own time (StateWriterHistory), written in the same INSERT,
 * not notified.
 */
#include "prio.h"

#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "access/xact.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/syscache.h"

const StateColumn customer_state_columns[Natts_customer_state] = {
	{"customer_id", INT8OID, "0.1"}, {"first_at", TIMESTAMPTZOID, "0.1"},
	{"last_at", TIMESTAMPTZOID, "0.1"}, {"last_inbound_at", TIMESTAMPTZOID, "0.1"},
	{"last_outbound_at", TIMESTAMPTZOID, "0.1"}, {"last_purchase_at", TIMESTAMPTZOID, "0.1"},
	{"frequency", INT8OID, "0.1"}, {"monetary", NUMERICOID, "0.1"}, {"intent", FLOAT8OID, "0.1"},
	{"intent_at", TIMESTAMPTZOID, "0.1"}, {"stage", PRIO_STAGE_TYPE, "0.1"},
	{"effective_stage", PRIO_STAGE_TYPE, "0.1"}, {"r_score", INT4OID, "0.1"},
	{"f_score", INT4OID, "0.1"}, {"m_score", INT4OID, "0.1"}, {"bant", INT4OID, "0.1"},
	{"no_reply", BOOLOID, "0.1"}, {"value_high", BOOLOID, "0.1"}, {"intent_high", BOOLOID, "0.1"},
	{"tier", TEXTOID, "0.1"}, {"priority", FLOAT8OID, "0.1"}, {"next_due_at", TIMESTAMPTZOID, "0.1"},
	{"rule", TEXTOID, "0.1"}, {"updated_at", TIMESTAMPTZOID, "0.1"},
	{"first_purchase_at", TIMESTAMPTZOID, "0.2"}, {"purchase_days", INT8OID, "0.2"},
	{"first_day_amount", NUMERICOID, "0.2"}, {"owner", TEXTOID, "0.2"},
	{"next_planned_at", TIMESTAMPTZOID, "0.4"},
	{"month_purchases", FLOAT8ARRAYOID, "0.5"}, {"month_inbound", INT4ARRAYOID, "0.5"},
	{"types", TEXTARRAYOID, "0.5"},
	{"playbook", TEXTOID, "0.5"},
	{"open_deals", INT4OID, "0.5"}, {"funnel_stage", TEXTOID, "0.5"},
	{"pipeline", NUMERICOID, "0.5"}, {"last_deal_at", TIMESTAMPTZOID, "0.5"},
	{"deal_closed_at", TIMESTAMPTZOID, "0.5"}, {"deal_outcome", TEXTOID, "0.5"},
	{"quote_amount", NUMERICOID, "0.5"}, {"quote_at", TIMESTAMPTZOID, "0.5"},
	{"stage_at", TIMESTAMPTZOID, "0.5"},
};

/* 0.1's table ends at rule (STATE_NCOLS_01): PRIO_API_0_1's writers stop there */
const AttrNumber state_write_anum[STATE_NCOLS] = {
	Anum_customer_state_customer_id, Anum_customer_state_first_at, Anum_customer_state_last_at,
	Anum_customer_state_last_inbound_at, Anum_customer_state_last_outbound_at,
	Anum_customer_state_last_purchase_at, Anum_customer_state_frequency,
	Anum_customer_state_monetary, Anum_customer_state_intent, Anum_customer_state_intent_at,
	Anum_customer_state_stage, Anum_customer_state_effective_stage, Anum_customer_state_r_score,
	Anum_customer_state_f_score, Anum_customer_state_m_score, Anum_customer_state_bant,
	Anum_customer_state_no_reply, Anum_customer_state_value_high, Anum_customer_state_intent_high,
	Anum_customer_state_tier, Anum_customer_state_priority, Anum_customer_state_next_due_at,
	Anum_customer_state_rule, Anum_customer_state_first_purchase_at,
	Anum_customer_state_purchase_days, Anum_customer_state_first_day_amount,
	Anum_customer_state_next_planned_at, Anum_customer_state_month_purchases,
	Anum_customer_state_month_inbound, Anum_customer_state_types,
	Anum_customer_state_playbook, Anum_customer_state_quote_amount,
	Anum_customer_state_quote_at, Anum_customer_state_stage_at,
};

static inline const StateColumn *
written(int c)
{
	return &customer_state_columns[state_write_anum[c] - 1];
}

/* an array column (0.5's): the SQL UPDATE gets it as text, cast (no arrays of arrays) */
static inline bool
array_column(int c)
{
	Oid			t = written(c)->type;

	return t == FLOAT8ARRAYOID || t == INT4ARRAYOID || t == TEXTARRAYOID;
}

/* the UPDATE's parameter type of the writer's column c: stages go as text, cast */
static inline Oid
param_type(int c)
{
	return written(c)->type == PRIO_STAGE_TYPE || array_column(c) ? TEXTOID : written(c)->type;
}

/* this backend's writes by path: [executor, SQL UPDATE][statements, rows] */
static int64 writes[2][2];

/* prepared once per backend (the plan cache revalidates them) */
static SPIPlanPtr update_plans[2][4];	/* [arrays, one row][0.1's, 0.2's, 0.4's columns, all] */
static SPIPlanPtr history_plans[2];	/* [0.1-0.3's history, 0.4's: keyed] */

/*
 * UPDATE customer_state, the first ncols columns: from one array per column,
 * or, for one customer, from one parameter per column, which spares the
 * executor a join of ncols function scans.  Generic plans: planning anew on
 * every call costs more than the statement.
 */
static SPIPlanPtr
update_plan(int ncols, bool single)
{
	SPIPlanPtr *plan = &update_plans[single ? 1 : 0]
		[ncols == STATE_NCOLS ? 3 : ncols == STATE_NCOLS_04 ? 2 : ncols == STATE_NCOLS_02 ? 1 : 0];
	StringInfoData sql;
	Oid			types[STATE_NCOLS];

	if (*plan != NULL)
		return *plan;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "UPDATE " PRIO_SCHEMA ".customer_state s SET ");
	for (int c = 1; c < ncols; c++)
	{
		const char *cast = written(c)->type == PRIO_STAGE_TYPE ? "::" PRIO_SCHEMA ".stage"
			: written(c)->type == FLOAT8ARRAYOID ? "::pg_catalog.float8[]"
			: written(c)->type == INT4ARRAYOID ? "::pg_catalog.int4[]"
			: written(c)->type == TEXTARRAYOID ? "::pg_catalog.text[]" : "";

		if (single)
			appendStringInfo(&sql, "%s = $%d%s, ", written(c)->name, c + 1, cast);
		else
			appendStringInfo(&sql, "%s = u.%s%s, ", written(c)->name, written(c)->name, cast);
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
			appendStringInfo(&sql, "%s%s", c > 0 ? ", " : "", written(c)->name);
		appendStringInfoString(&sql, ") WHERE s.customer_id OPERATOR(pg_catalog.=) u.customer_id");
	}
	for (int c = 0; c < ncols; c++)
		types[c] = single ? param_type(c) : get_array_type(param_type(c));
	*plan = PrioKeepPlan(sql.data, ncols, types, CURSOR_OPT_GENERIC_PLAN);
	pfree(sql.data);
	return *plan;
}

/*
 * The history rows of a batch; the statement returns each row's
 * notification payload, as json_build_object() writes it.  With owner
 * isolation on ($8) the payload names the history row only.  Keyed (0.4's
 * schema): each row also gets the customer's tracked table and key there
 * (NULL for prio's own customers) from prio.customers, and the payload
 * carries them after the fields of 0.1-0.3: "source", and "key" (the key as
 * text, customer_id for prio's own customers; NULL when longer than
 * NOTIFY_KEY_MAX bytes as a JSON string, quotes aside, which keeps the
 * payload under NOTIFY's limit).  The JSON form is what is measured: an
 * escape takes up to six bytes (\u0001) for one, so a key of 4,096 bytes
 * can take far more than NOTIFY's 8,000 in the payload, and the commit of
 * the application's write would fail.
 */
#define NOTIFY_KEY_MAX 4096

static const char *const history_sql[2] = {
	/* 0.1-0.3's tier_history */
	"INSERT INTO " PRIO_SCHEMA ".tier_history"
	"       (customer_id, changed_at, old_tier, new_tier, old_stage, new_stage, reason)"
	"SELECT u.c, u.at, u.ot, u.nt, u.os::" PRIO_SCHEMA ".stage,"
	"       u.ns::" PRIO_SCHEMA ".stage, u.r"
	"  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
	"       pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6),"
	"       pg_catalog.unnest($7)) WITH ORDINALITY AS u(c, ot, nt, os, ns, r, at, n)"
	" ORDER BY u.n"				/* RETURNING in the arrays' order (quiet[]) */
	" RETURNING CASE WHEN $8 THEN pg_catalog.json_build_object('history_id', history_id)"
	"                ELSE pg_catalog.json_build_object("
	"                     'customer_id', customer_id, 'old_tier', old_tier, 'new_tier', new_tier,"
	"                     'old_stage', old_stage, 'new_stage', new_stage) END::text,"
	"           history_id",
	/* 0.4's: keyed */
	"INSERT INTO " PRIO_SCHEMA ".tier_history"
	"       (customer_id, changed_at, old_tier, new_tier, old_stage, new_stage, reason,"
	"        source, customer_key)"
	"SELECT u.c, u.at, u.ot, u.nt, u.os::" PRIO_SCHEMA ".stage,"
	"       u.ns::" PRIO_SCHEMA ".stage, u.r, k.source, k.customer_key"
	"  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
	"       pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6),"
	"       pg_catalog.unnest($7)) WITH ORDINALITY AS u(c, ot, nt, os, ns, r, at, n)"
	"  LEFT JOIN LATERAL (SELECT c.source, c.customer_key FROM " PRIO_SCHEMA ".customers c"
	"                      WHERE c.customer_id OPERATOR(pg_catalog.=) u.c) k ON true"
	" ORDER BY u.n"
	" RETURNING CASE WHEN $8 THEN pg_catalog.json_build_object('history_id', history_id)"
	"                ELSE pg_catalog.json_build_object("
	"                     'customer_id', customer_id, 'old_tier', old_tier, 'new_tier', new_tier,"
	"                     'old_stage', old_stage, 'new_stage', new_stage, 'source', source::text,"
	"                     'key', CASE WHEN customer_key IS NULL THEN customer_id::text"
	"                                 WHEN pg_catalog.octet_length(pg_catalog.to_json(customer_key)::text)"
	"                                      OPERATOR(pg_catalog.<=) (" CppAsString2(NOTIFY_KEY_MAX)
	"                                      OPERATOR(pg_catalog.+) 2)"
	"                                 THEN customer_key END) END::text,"
	"           history_id",
};

static SPIPlanPtr
get_history_plan(bool keyed)
{
	Oid			types[8] = {INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID, BOOLOID};
	SPIPlanPtr *plan = &history_plans[keyed ? 1 : 0];

	if (*plan == NULL)
		*plan = PrioKeepPlan(history_sql[keyed ? 1 : 0], 8, types, CURSOR_OPT_GENERIC_PLAN);
	return *plan;
}

/*
 * (0.5) A customer made before its backdated events (a customer inserted,
 * or a tracked customers table, before its history is loaded) has a row of
 * its creation dated when it was made; the replay of those events dates
 * rows before it.  Read by time -- as a BI tool reads the history, ORDER BY
 * changed_at -- the customer would start from a row with old values and end
 * with its creation, whose new values are not where it stands.  So the
 * creation row (NULL old values) takes the time of the first replayed row
 * when it is later: the history read by time is one chain.  So do its other
 * rows written before the replay (BANT answered, gone silent: a customer
 * that never had activities is replayed in full): the replay starts from
 * where they left it, with today's answers, and dated when they were
 * written they sat among or after the replayed rows, the chain broken.
 * This flush's own rows (history_id from first_id on) are the replay's.
 */
static Datum make_array(Datum *v, bool *n, int count, Oid type);

static const char history_redate_sql[] =
	"UPDATE " PRIO_SCHEMA ".tier_history h SET changed_at = u.at"
	"  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS u(c, at)"
	" WHERE h.customer_id OPERATOR(pg_catalog.=) u.c"
	/* (the index on customer_id, whichever join: the table grows) */
	"   AND h.customer_id OPERATOR(pg_catalog.=) ANY ($1)"
	"   AND (h.history_id OPERATOR(pg_catalog.<) $3"
	"        OR h.old_tier IS NULL AND h.old_stage IS NULL)"
	"   AND h.changed_at OPERATOR(pg_catalog.>) u.at";

static void
history_redate(StateWriter *w, int64 first_id)
{
	static SPIPlanPtr plan = NULL;
	Datum		values[3];
	Datum	   *ids = palloc(sizeof(Datum) * w->nreplay);
	Datum	   *at = palloc(sizeof(Datum) * w->nreplay);
	bool	   *nulls = palloc0(sizeof(bool) * w->nreplay);

	if (plan == NULL)
	{
		Oid			types[3] = {INT8ARRAYOID, TIMESTAMPTZARRAYOID, INT8OID};

		plan = PrioKeepPlan(history_redate_sql, 3, types, CURSOR_OPT_GENERIC_PLAN);
	}
	for (int i = 0; i < w->nreplay; i++)
	{
		ids[i] = Int64GetDatum(w->replay_ids[i]);
		at[i] = TimestampTzGetDatum(w->replay_at[i]);
	}
	values[0] = make_array(ids, nulls, w->nreplay, INT8OID);
	values[1] = make_array(at, nulls, w->nreplay, TIMESTAMPTZOID);
	values[2] = Int64GetDatum(first_id);
	if (SPI_execute_plan(plan, values, NULL, false, 0) != SPI_OK_UPDATE)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not write prio.tier_history")));
	/* SPI returns in its procedure context, which lives until SPI_finish */
	MemoryContextSwitchTo(w->cxt);
}

/*
 * (0.5) The history rows inserted, marked as prio's own: tier_history's
 * statement trigger (src/sql/history_loaded.c) lets only those in outside
 * a restore.
 */
static int
history_insert(SPIPlanPtr plan, Datum *values)
{
	volatile int rc = 0;

	PrioHistoryWriteBegin();
	PG_TRY();
	{
		rc = SPI_execute_plan(plan, values, NULL, false, 0);
	}
	PG_FINALLY();
	{
		PrioHistoryWriteEnd();
	}
	PG_END_TRY();
	return rc;
}

/*
 * Whether owner isolation (row-level security on customers) is on, how
 * many customer_state columns the caller's API version has to write, and
 * whether tier_history has the tracked table and key (0.4's).
 */
static void
read_schema(StateWriter *w, PrioApiVersion api)
{
	Oid			nsp = get_namespace_oid(PRIO_SCHEMA, false);
	Oid			customers = get_relname_relid("customers", nsp);
	HeapTuple	tp;

	Oid			state = get_relname_relid("customer_state", nsp);

	w->isolated = false;
	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(customers));
	if (HeapTupleIsValid(tp))
	{
		w->isolated = ((Form_pg_class) GETSTRUCT(tp))->relrowsecurity;
		ReleaseSysCache(tp);
	}
	/*
	 * next_planned_at where the table has it (0.4 on); the types' columns,
	 * playbook, quote_amount, quote_at and stage_at (0.5: the last is there)
	 */
	w->ncols = !PRIO_API_HAS_BTYD(api) ? STATE_NCOLS_01
		: (OidIsValid(state) &&
		   get_attnum(state, written(STATE_NCOLS - 1)->name) != InvalidAttrNumber)
		? STATE_NCOLS
		: (OidIsValid(state) &&
		   get_attnum(state, written(STATE_NCOLS_04 - 1)->name) != InvalidAttrNumber)
		? STATE_NCOLS_04 : STATE_NCOLS_02;
	/* 0.4's tier_history has the customer's tracked table and key */
	w->keyed = get_attnum(get_relname_relid("tier_history", nsp), "customer_key") != InvalidAttrNumber;
}

/* A writer of batches of up to max customers; the caller is connected to SPI. */
void
StateWriterBegin(StateWriter *w, int max, const char *why, TimestampTz changed_at)
{
	StateWriterBeginApi(w, max, why, changed_at, PRIO_API_CURRENT);
}

/* ... into customer_state as API version api has it (0.1: no BTYD inputs) */
void
StateWriterBeginApi(StateWriter *w, int max, const char *why, TimestampTz changed_at,
					PrioApiVersion api)
{
	memset(w, 0, sizeof(StateWriter));
	w->cxt = AllocSetContextCreate(CurrentMemoryContext, "prio state writer",
								   ALLOCSET_DEFAULT_SIZES);
	w->why = pstrdup(why);
	w->changed_at = changed_at;
	w->max = max;
	read_schema(w, api);
	for (int c = 0; c < STATE_NCOLS; c++)
	{
		w->v[c] = palloc(sizeof(Datum) * max);
		w->nul[c] = palloc(sizeof(bool) * max);
	}
	w->maxhist = max;
	for (int c = 0; c < 6; c++)
	{
		w->hist[c] = palloc(sizeof(Datum) * max);
		w->histn[c] = palloc(sizeof(bool) * max);
	}
	w->hist_at = palloc(sizeof(TimestampTz) * max);
	w->quiet = palloc(sizeof(bool) * max);
	w->last_quiet = -1;
	w->home = CurrentMemoryContext;
	w->tids = palloc(sizeof(ItemPointerData) * max);
	w->stages = palloc(sizeof(PrioStage) * 2 * max);
}

/* ---------------------------------------------------------------- comparison */

/* where column anum (Anum_customer_state_*) is in rel, checked for prio's type */
static AttrNumber
state_att(Relation rel, AttrNumber anum)
{
	const StateColumn *col = &customer_state_columns[anum - 1];

	return PrioAttnum(rel, col->name, col->type == PRIO_STAGE_TYPE ? StageTypeOid() : col->type);
}

#define ISNULL(slot, att) ((slot)->tts_isnull[(att) - 1])
#define VALUE(slot, att) ((slot)->tts_values[(att) - 1])

void
StateAttsInit(Relation rel, StateAtts *a)
{
	/* in SF_* order */
	static const AttrNumber facts[SF_N] = {Anum_customer_state_first_at,
		Anum_customer_state_last_at, Anum_customer_state_last_inbound_at,
		Anum_customer_state_last_outbound_at, Anum_customer_state_last_purchase_at,
		Anum_customer_state_frequency, Anum_customer_state_monetary, Anum_customer_state_intent,
		Anum_customer_state_intent_at, Anum_customer_state_stage,
		Anum_customer_state_first_purchase_at, Anum_customer_state_purchase_days,
	Anum_customer_state_first_day_amount};

	a->customer_id = state_att(rel, Anum_customer_state_customer_id);
	for (int i = 0; i < SF_N; i++)
		a->facts[i] = state_att(rel, facts[i]);
	a->effective_stage = state_att(rel, Anum_customer_state_effective_stage);
	a->score[0] = state_att(rel, Anum_customer_state_r_score);
	a->score[1] = state_att(rel, Anum_customer_state_f_score);
	a->score[2] = state_att(rel, Anum_customer_state_m_score);
	a->bant = state_att(rel, Anum_customer_state_bant);
	a->no_reply = state_att(rel, Anum_customer_state_no_reply);
	a->value_high = state_att(rel, Anum_customer_state_value_high);
	a->intent_high = state_att(rel, Anum_customer_state_intent_high);
	a->tier = state_att(rel, Anum_customer_state_tier);
	a->priority = state_att(rel, Anum_customer_state_priority);
	a->next_due_at = state_att(rel, Anum_customer_state_next_due_at);
	a->rule = state_att(rel, Anum_customer_state_rule);
	a->owner = state_att(rel, Anum_customer_state_owner);
	/* 0.4 on: a table not yet updated has none (InvalidAttrNumber) */
	a->next_planned_at = get_attnum(RelationGetRelid(rel), "next_planned_at");
	if (a->next_planned_at != InvalidAttrNumber)
		a->next_planned_at = state_att(rel, Anum_customer_state_next_planned_at);
	/* 0.5 on: the types and their monthly buckets, together */
	a->types = get_attnum(RelationGetRelid(rel), "types");
	a->month_purchases = a->month_inbound = InvalidAttrNumber;
	if (a->types != InvalidAttrNumber)
	{
		a->types = state_att(rel, Anum_customer_state_types);
		a->month_purchases = state_att(rel, Anum_customer_state_month_purchases);
		a->month_inbound = state_att(rel, Anum_customer_state_month_inbound);
	}
	/* 0.5 on: the playbook */
	a->playbook = get_attnum(RelationGetRelid(rel), "playbook");
	if (a->playbook != InvalidAttrNumber)
		a->playbook = state_att(rel, Anum_customer_state_playbook);
	/* 0.5 on: the implicit deal, a fold field (InvalidAttrNumber: none) */
	a->quote_at = get_attnum(RelationGetRelid(rel), "quote_at");
	a->quote_amount = get_attnum(RelationGetRelid(rel), "quote_amount");
	if (a->quote_at != InvalidAttrNumber && a->quote_amount != InvalidAttrNumber)
	{
		a->quote_at = state_att(rel, Anum_customer_state_quote_at);
		a->quote_amount = state_att(rel, Anum_customer_state_quote_amount);
	}
	else
		a->quote_at = a->quote_amount = InvalidAttrNumber;
	/* 0.5 on: when the stage was decided, a fold field (or none) */
	a->stage_at = get_attnum(RelationGetRelid(rel), "stage_at");
	if (a->stage_at != InvalidAttrNumber)
		a->stage_at = state_att(rel, Anum_customer_state_stage_at);
	/* 0.5 on: the deal facts (InvalidAttrNumber: a table not yet updated) */
	for (int i = 0; i < 6; i++)
	{
		AttrNumber	anum = Anum_customer_state_open_deals + i;

		a->deals[i] = get_attnum(RelationGetRelid(rel), customer_state_columns[anum - 1].name);
		if (a->deals[i] != InvalidAttrNumber)
			a->deals[i] = state_att(rel, anum);
	}
}

/*
 * The deal facts the outcome rule reads (open deals, the last deal's date,
 * the last closed deal) of a stored row (deformed in slot) into f, the rest
 * zero
 */
static void
deals_for_outcome(TupleTableSlot *slot, const StateAtts *a, PrioFacts *f)
{
	const AttrNumber *x = a->deals;

	memset(&f->deals, 0, sizeof(f->deals));
	if (x[0] == InvalidAttrNumber)
		return;
	if (!ISNULL(slot, x[0]))
		f->deals.open_deals = DatumGetInt32(VALUE(slot, x[0]));
	if (x[3] != InvalidAttrNumber && !ISNULL(slot, x[3]))
	{
		f->deals.has_deal_at = true;
		f->deals.last_deal_at = DatumGetTimestampTz(VALUE(slot, x[3]));
	}
	if (x[4] != InvalidAttrNumber && !ISNULL(slot, x[4]) &&
		x[5] != InvalidAttrNumber && !ISNULL(slot, x[5]))
		prio_deals_closed(f, true, DatumGetTimestampTz(VALUE(slot, x[4])),
						  DatumGetTextPP(VALUE(slot, x[5])));
}

/*
 * The deal facts of a stored row (deformed in slot) into f: prio writes
 * them apart from the fold (prio._deal_facts), and every evaluation of the
 * customer reads them from its row.
 */
void
StateDealsFromSlot(TupleTableSlot *slot, const StateAtts *a, PrioFacts *f)
{
	const AttrNumber *x = a->deals;

	deals_for_outcome(slot, a, f);
	if (x[0] == InvalidAttrNumber)
		return;
	if (x[1] != InvalidAttrNumber && !ISNULL(slot, x[1]))
	{
		f->deals.has_funnel = true;
		text_to_cstring_buffer(DatumGetTextPP(VALUE(slot, x[1])), f->deals.funnel_stage,
							   sizeof(f->deals.funnel_stage));
	}
	if (x[2] != InvalidAttrNumber && !ISNULL(slot, x[2]))
		f->deals.pipeline = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
															   VALUE(slot, x[2])));
}

/*
 * The win outcome of a stored row (deformed in slot) by the one rule,
 * prio_deals_outcome(): decided, and *won.  Reads the rule's inputs only:
 * the stage and stage_at, the deal facts it reads and the implicit deal
 * (the last three absent before 0.5): rebuild_win_counts() reads every
 * customer_state row so.  OutcomeOfRow() reads the same of a composite.
 */
bool
StateOutcomeFromSlot(TupleTableSlot *slot, const StateAtts *a, bool *won)
{
	PrioFacts	f;

	prio_facts_init(&f, 0);
	if (!ISNULL(slot, a->facts[SF_STAGE]))
		f.stage = StageFromDatum(VALUE(slot, a->facts[SF_STAGE]));
	if (a->stage_at != InvalidAttrNumber && !ISNULL(slot, a->stage_at))
	{
		f.has_stage_at = true;
		f.stage_at = DatumGetTimestampTz(VALUE(slot, a->stage_at));
	}
	deals_for_outcome(slot, a, &f);
	f.has_quote = a->quote_at != InvalidAttrNumber &&
		!ISNULL(slot, a->quote_at) && !ISNULL(slot, a->quote_amount);
	*won = false;
	return prio_deals_outcome(&f, won);
}

/* IS DISTINCT FROM, column by column, as SQL compares the stored row */
static inline bool
ts_differs(TupleTableSlot *slot, AttrNumber att, bool has, TimestampTz ts)
{
	if (ISNULL(slot, att))
		return has;
	return !has || DatumGetTimestampTz(VALUE(slot, att)) != ts;
}

static inline bool
numeric_differs(TupleTableSlot *slot, AttrNumber att, Numeric n)
{
	Numeric		v = n ? n : int64_to_numeric(0);

	if (ISNULL(slot, att))
		return true;
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, VALUE(slot, att),
											 NumericGetDatum(v))) != 0;
}

static inline bool
float_differs(Datum stored, double v)
{
	/* float8 = : NaN equals NaN */
	double		s = DatumGetFloat8(stored);

	return isnan(s) ? !isnan(v) : (isnan(v) || s != v);
}

static inline bool
text_differs(TupleTableSlot *slot, AttrNumber att, const char *s, int len)
{
	text	   *t;

	if (ISNULL(slot, att))
		return true;
	t = DatumGetTextPP(VALUE(slot, att));
	return VARSIZE_ANY_EXHDR(t) != len || memcmp(VARDATA_ANY(t), s, len) != 0;
}

/* (0.5) a stored bucket array differs from the fold's (NULL: no activity) */
static bool
months_differ(TupleTableSlot *slot, AttrNumber att, const PrioFacts *f, bool inbound)
{
	ArrayType  *a;
	Datum	   *v;
	bool	   *n;
	int			len;

	if (att == InvalidAttrNumber)
		return false;
	if (ISNULL(slot, att))
		return f->has_activity;
	if (!f->has_activity)
		return true;
	a = DatumGetArrayTypeP(VALUE(slot, att));
	if (inbound)
		deconstruct_array(a, INT4OID, 4, true, TYPALIGN_INT, &v, &n, &len);
	else
		deconstruct_array(a, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &v, &n, &len);
	if (len != PRIO_MONTHS)
		return true;
	for (int i = 0; i < len; i++)
		if (n[i] || (inbound ? DatumGetInt32(v[i]) != f->month_inbound[i]
					 : float_differs(v[i], f->month_purchases[i])))
			return true;
	return false;
}

/*
 * The one comparison of a stored customer_state row (deformed in slot) with
 * facts and their evaluation, column by column as IS DISTINCT FROM compares
 * them: the sweeps, rebuild() and reevaluate() all decide with it whether a
 * row is written.  The stored facts differ from f:
 */
bool
StateFactsDiffer(TupleTableSlot *slot, const StateAtts *a, const PrioFacts *f)
{
	const AttrNumber *x = a->facts;

	return ts_differs(slot, x[SF_FIRST_AT], f->has_activity, f->first_at) ||
		ts_differs(slot, x[SF_LAST_AT], f->has_activity, f->last_at) ||
		ts_differs(slot, x[SF_LAST_INBOUND_AT], f->has_inbound, f->last_inbound_at) ||
		ts_differs(slot, x[SF_LAST_OUTBOUND_AT], f->has_outbound, f->last_outbound_at) ||
		ts_differs(slot, x[SF_LAST_PURCHASE_AT], f->has_purchase, f->last_purchase_at) ||
		ISNULL(slot, x[SF_FREQUENCY]) ||
		DatumGetInt64(VALUE(slot, x[SF_FREQUENCY])) != f->frequency ||
		numeric_differs(slot, x[SF_MONETARY], f->monetary) ||
		ISNULL(slot, x[SF_INTENT]) || float_differs(VALUE(slot, x[SF_INTENT]), f->intent) ||
		ts_differs(slot, x[SF_INTENT_AT], f->has_activity, f->intent_at) ||
		ISNULL(slot, x[SF_STAGE]) || StageFromDatum(VALUE(slot, x[SF_STAGE])) != f->stage ||
		ts_differs(slot, x[SF_FIRST_PURCHASE_AT], f->has_purchase, f->first_purchase_at) ||
		ISNULL(slot, x[SF_PURCHASE_DAYS]) ||
		DatumGetInt64(VALUE(slot, x[SF_PURCHASE_DAYS])) != f->purchase_days ||
		numeric_differs(slot, x[SF_FIRST_DAY_AMOUNT], f->first_day_amount) ||
		(a->next_planned_at != InvalidAttrNumber &&
		 ts_differs(slot, a->next_planned_at, f->has_planned, f->next_planned_at)) ||
		months_differ(slot, a->month_purchases, f, false) ||
		months_differ(slot, a->month_inbound, f, true) ||
		(a->quote_at != InvalidAttrNumber &&
		 (ts_differs(slot, a->quote_at, f->has_quote, f->quote_at) ||
		  (f->has_quote ? numeric_differs(slot, a->quote_amount, f->quote_amount)
		   : !ISNULL(slot, a->quote_amount)))) ||
		(a->stage_at != InvalidAttrNumber &&
		 ts_differs(slot, a->stage_at, f->has_stage_at, f->stage_at));
}

/* (0.5) the stored types differ from e's */
static bool
types_differ(TupleTableSlot *slot, AttrNumber att, const PrioEval *e)
{
	Datum	   *v;
	bool	   *n;
	int			len;

	if (att == InvalidAttrNumber)
		return false;
	if (ISNULL(slot, att))
		return true;
	deconstruct_array(DatumGetArrayTypeP(VALUE(slot, att)), TEXTOID, -1, false, TYPALIGN_INT,
					  &v, &n, &len);
	if (len != e->ntypes)
		return true;
	for (int i = 0; i < len; i++)
	{
		text	   *t;

		if (n[i])
			return true;
		t = DatumGetTextPP(v[i]);
		if (VARSIZE_ANY_EXHDR(t) != strlen(e->types[i]) ||
			memcmp(VARDATA_ANY(t), e->types[i], VARSIZE_ANY_EXHDR(t)) != 0)
			return true;
	}
	return false;
}

static inline bool
int_differs(TupleTableSlot *slot, AttrNumber att, bool has, int32 v)
{
	if (ISNULL(slot, att))
		return has;
	return !has || DatumGetInt32(VALUE(slot, att)) != v;
}

static inline bool
bool_differs(TupleTableSlot *slot, AttrNumber att, bool v)
{
	return ISNULL(slot, att) || DatumGetBool(VALUE(slot, att)) != v;
}

/* the stored evaluation differs from e */
bool
StateEvaluationDiffers(TupleTableSlot *slot, const StateAtts *a, const PrioEval *e)
{
	char		tier = e->tier;

	return ISNULL(slot, a->effective_stage) ||
		StageFromDatum(VALUE(slot, a->effective_stage)) != e->stage ||
		int_differs(slot, a->score[0], e->has_scores[0], e->score[0]) ||
		int_differs(slot, a->score[1], e->has_scores[1], e->score[1]) ||
		int_differs(slot, a->score[2], e->has_scores[2], e->score[2]) ||
		int_differs(slot, a->bant, true, e->bant) ||
		bool_differs(slot, a->no_reply, e->no_reply) ||
		bool_differs(slot, a->value_high, e->value_high) ||
		bool_differs(slot, a->intent_high, e->intent_high) ||
		text_differs(slot, a->tier, &tier, 1) ||
		ISNULL(slot, a->priority) || float_differs(VALUE(slot, a->priority), e->priority) ||
		ts_differs(slot, a->next_due_at, true, e->next_due_at) ||
		text_differs(slot, a->rule, e->rule.data, e->rule.len) ||
		types_differ(slot, a->types, e) ||
		(a->playbook != InvalidAttrNumber &&
		 (e->playbook == NULL ? !ISNULL(slot, a->playbook)
		  : text_differs(slot, a->playbook, e->playbook, strlen(e->playbook))));
}


/* ---------------------------------------------------------------- writing */

static inline void
put(StateWriter *w, int col, bool isnull, Datum value)
{
	w->nul[col][w->n] = isnull;
	w->v[col][w->n] = isnull ? (Datum) 0 : value;
}

/* a copy in the batch's context: the caller's facts may go before the flush */
static Datum
numeric_or_zero(Numeric n)
{
	return n ? datumCopy(NumericGetDatum(n), false, -1) : NumericGetDatum(int64_to_numeric(0));
}

static Datum
text_or_null(const char *s)
{
	return s ? PointerGetDatum(cstring_to_text(s)) : (Datum) 0;
}

/* (0.5) the monthly buckets (NULL without activity) and the types held */
static void
put_types(StateWriter *w, const PrioFacts *f, const PrioEval *e)
{
	Datum		v[PRIO_MONTHS];
	Datum	   *names = palloc(sizeof(Datum) * Max(e->ntypes, 1));

	if (f->has_activity)
	{
		for (int i = 0; i < PRIO_MONTHS; i++)
			v[i] = Float8GetDatum(f->month_purchases[i]);
		put(w, 27, false, PointerGetDatum(construct_array(v, PRIO_MONTHS, FLOAT8OID, 8,
														  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE)));
		for (int i = 0; i < PRIO_MONTHS; i++)
			v[i] = Int32GetDatum(f->month_inbound[i]);
		put(w, 28, false, PointerGetDatum(construct_array(v, PRIO_MONTHS, INT4OID, 4, true,
														  TYPALIGN_INT)));
	}
	else
	{
		put(w, 27, true, (Datum) 0);
		put(w, 28, true, (Datum) 0);
	}
	for (int i = 0; i < e->ntypes; i++)
		names[i] = PointerGetDatum(cstring_to_text(e->types[i]));
	put(w, 29, false, PointerGetDatum(construct_array(names, e->ntypes, TEXTOID, -1, false,
													  TYPALIGN_INT)));
}

/*
 * A history row into the batch (in w->cxt): quiet, a row of the past,
 * replayed, that is not notified.
 */
static void
add_history(StateWriter *w, int64 customer_id, TimestampTz at, const char *old_tier,
			const char *new_tier, const char *old_stage, const char *new_stage, char *reason,
			bool quiet)
{
	int			h = w->nhist;

	if (h == w->maxhist)
	{
		/* a replay may add many rows of one customer: the arrays grow */
		w->maxhist *= 2;
		for (int c = 0; c < 6; c++)
		{
			w->hist[c] = repalloc_huge(w->hist[c], sizeof(Datum) * (Size) w->maxhist);
			w->histn[c] = repalloc_huge(w->histn[c], sizeof(bool) * (Size) w->maxhist);
		}
		w->hist_at = repalloc_huge(w->hist_at, sizeof(TimestampTz) * (Size) w->maxhist);
		w->quiet = repalloc_huge(w->quiet, sizeof(bool) * (Size) w->maxhist);
	}
	w->hist[0][h] = Int64GetDatum(customer_id);
	w->histn[0][h] = false;
	w->hist[1][h] = text_or_null(old_tier);
	w->histn[1][h] = old_tier == NULL;
	w->hist[2][h] = text_or_null(new_tier);
	w->histn[2][h] = new_tier == NULL;
	w->hist[3][h] = text_or_null(old_stage);
	w->histn[3][h] = old_stage == NULL;
	w->hist[4][h] = text_or_null(new_stage);
	w->histn[4][h] = new_stage == NULL;
	w->hist[5][h] = PointerGetDatum(cstring_to_text(reason));
	w->histn[5][h] = false;
	w->hist_at[h] = at;
	w->quiet[h] = quiet;
	if (quiet)
	{
		w->last_quiet = h;
		w->last_quiet_customer = customer_id;
	}
	w->nhist++;
}

/*
 * A change of tier or stage of the past, dated at, that a replay of a
 * customer's events found (refold.c, PrioReplay): written with the next
 * batch, before the customer's own row's history, reason "<why> then:
 * <rule>"; not notified (listeners hear of the present: the customer's row).
 */
void
StateWriterHistory(StateWriter *w, int64 customer_id, TimestampTz at, const char *old_tier,
				   const char *new_tier, const char *old_stage, const char *new_stage,
				   const char *rule)
{
	MemoryContext old = MemoryContextSwitchTo(w->cxt);

	/*
	 * A customer's first replayed row with old values follows a row of its
	 * creation, dated when it was created (now, for a customer made before
	 * its backdated events): that row is dated at this one's time at the
	 * flush, so the history read by time starts with its creation
	 */
	if (!w->replay_seen || w->replay_last != customer_id)
	{
		w->replay_seen = true;
		w->replay_last = customer_id;
		if (old_tier != NULL || old_stage != NULL)
		{
			if (w->replay_ids == NULL)
			{
				w->maxreplay = 64;
				w->replay_ids = palloc(sizeof(int64) * w->maxreplay);
				w->replay_at = palloc(sizeof(TimestampTz) * w->maxreplay);
			}
			else if (w->nreplay == w->maxreplay)
			{
				w->maxreplay *= 2;
				w->replay_ids = repalloc_huge(w->replay_ids, sizeof(int64) * (Size) w->maxreplay);
				w->replay_at = repalloc_huge(w->replay_at, sizeof(TimestampTz) * (Size) w->maxreplay);
			}
			w->replay_ids[w->nreplay] = customer_id;
			w->replay_at[w->nreplay] = at;
			w->nreplay++;
		}
	}
	add_history(w, customer_id, at, old_tier, new_tier, old_stage, new_stage,
				psprintf("%s then: %s", w->why, rule), true);
	MemoryContextSwitchTo(old);
}

/*
 * Add one customer: its facts and their evaluation, and what its row said
 * before (NULL: nothing, a new customer).  tid: where the version the caller
 * locked or scanned is (NULL: not known).  Flushes when the batch is full.
 */
void
StateWriterAdd(StateWriter *w, const PrioFacts *f, const PrioEval *e,
			   const char *old_tier, const char *old_stage, const ItemPointerData *tid)
{
	MemoryContext old = MemoryContextSwitchTo(w->cxt);
	const char *stage = prio_stage_names[e->stage];
	char		tier[2] = {e->tier, '\0'};

	put(w, 0, false, Int64GetDatum(f->customer_id));
	put(w, 1, !f->has_activity, TimestampTzGetDatum(f->first_at));
	put(w, 2, !f->has_activity, TimestampTzGetDatum(f->last_at));
	put(w, 3, !f->has_inbound, TimestampTzGetDatum(f->last_inbound_at));
	put(w, 4, !f->has_outbound, TimestampTzGetDatum(f->last_outbound_at));
	put(w, 5, !f->has_purchase, TimestampTzGetDatum(f->last_purchase_at));
	put(w, 6, false, Int64GetDatum(f->frequency));
	put(w, 7, false, numeric_or_zero(f->monetary));
	put(w, 8, false, Float8GetDatum(f->intent));
	put(w, 9, !f->has_activity, TimestampTzGetDatum(f->intent_at));
	put(w, 10, false, text_or_null(prio_stage_names[f->stage]));
	put(w, 11, false, text_or_null(stage));
	for (int s = 0; s < 3; s++)
		put(w, 12 + s, !e->has_scores[s], Int32GetDatum(e->score[s]));
	put(w, 15, false, Int32GetDatum(e->bant));
	put(w, 16, false, BoolGetDatum(e->no_reply));
	put(w, 17, false, BoolGetDatum(e->value_high));
	put(w, 18, false, BoolGetDatum(e->intent_high));
	put(w, 19, false, text_or_null(tier));
	put(w, 20, false, Float8GetDatum(e->priority));
	put(w, 21, false, TimestampTzGetDatum(e->next_due_at));
	put(w, 22, false, text_or_null(e->rule.data));
	put(w, 23, !f->has_purchase, TimestampTzGetDatum(f->first_purchase_at));
	put(w, 24, false, Int64GetDatum(f->purchase_days));
	put(w, 25, false, numeric_or_zero(f->first_day_amount));
	put(w, 26, !f->has_planned, TimestampTzGetDatum(f->next_planned_at));
	put_types(w, f, e);
	put(w, 30, e->playbook == NULL, text_or_null(e->playbook));
	put(w, 31, !f->has_quote, f->has_quote ? numeric_or_zero(f->quote_amount) : (Datum) 0);
	put(w, 32, !f->has_quote, TimestampTzGetDatum(f->quote_at));
	put(w, 33, !f->has_stage_at, TimestampTzGetDatum(f->stage_at));
	w->stages[2 * w->n] = f->stage;
	w->stages[2 * w->n + 1] = e->stage;
	if (tid != NULL)
	{
		w->tids[w->n] = *tid;
		w->nlocated++;
	}

	if (old_tier == NULL || strcmp(old_tier, tier) != 0 ||
		old_stage == NULL || strcmp(old_stage, stage) != 0)
	{
		add_history(w, f->customer_id, w->changed_at, old_tier, tier, old_stage, stage,
					psprintf("%s: %s", w->why, e->rule.data), false);
	}
	else if (w->last_quiet >= 0 && w->last_quiet_customer == f->customer_id)
	{
		/*
		 * A replay's last change is where the customer stands now: listeners
		 * hear of it, as of any change this transaction makes
		 */
		w->quiet[w->last_quiet] = false;
	}
	w->last_quiet = -1;
	w->n++;
	MemoryContextSwitchTo(old);
	if (w->n == w->max)
		StateWriterFlush(w);
}

/*
 * The notifications of the transaction, sent at its commit.  Queued by the
 * trigger itself they would make an application's PREPARE TRANSACTION fail
 * (PostgreSQL refuses to prepare a transaction that executed NOTIFY), so
 * they wait here, each with the subtransaction that wrote its history row:
 * an aborted subtransaction takes its own (and its children's, whose ids are
 * higher) with it, as NOTIFY's own queue does.  PRE_COMMIT runs before
 * PostgreSQL's own pre-commit of notifications, so they go out with the
 * commit, in the order written; a prepared transaction sends none (it
 * cannot): its tier_history rows are the record.  The list lives in
 * TopTransactionContext, beside NOTIFY's own, and goes with it.
 */
typedef struct LaterNotify
{
	char	   *payload;
	SubTransactionId subid;
} LaterNotify;

static LaterNotify *later = NULL;
static int	nlater = 0;
static int	maxlater = 0;

static void
notify_later(const char *payload)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

	if (nlater == maxlater)
	{
		maxlater = maxlater == 0 ? 16 : maxlater * 2;
		later = later == NULL ? palloc(sizeof(LaterNotify) * maxlater)
			: repalloc(later, sizeof(LaterNotify) * maxlater);
	}
	later[nlater].payload = pstrdup(payload);
	later[nlater].subid = GetCurrentSubTransactionId();
	nlater++;
	MemoryContextSwitchTo(old);
}

/* forget the list: its memory goes with TopTransactionContext */
static void
later_reset(void)
{
	later = NULL;
	nlater = 0;
	maxlater = 0;
}

void
StateNotifyXactEvent(XactEvent event)
{
	if (later == NULL)
		return;
	if (event == XACT_EVENT_PRE_COMMIT)
	{
		for (int i = 0; i < nlater; i++)
			Async_Notify("prio_tier_change", later[i].payload);
		later_reset();
	}
	else if (event != XACT_EVENT_PARALLEL_PRE_COMMIT)
		later_reset();			/* aborted, prepared: never sent */
}

void
StateNotifySubXactEvent(SubXactEvent event, SubTransactionId mySubid)
{
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	while (nlater > 0 && later[nlater - 1].subid >= mySubid)
		nlater--;
	if (nlater == 0)
		later_reset();
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

/* Write the batch: one UPDATE, one INSERT of history rows, the notifications. */
void
StateWriterFlush(StateWriter *w)
{
	MemoryContext old;
	Datum		args[STATE_NCOLS];
	char		nulls[STATE_NCOLS];
	bool		single = (w->n == 1);
	int64		first_id = PG_INT64_MAX;	/* this flush's first history row */

	if (w->n == 0)
		return;
	old = MemoryContextSwitchTo(w->cxt);
	if (w->nlocated == w->n && !w->exec_tried)
	{
		MemoryContextSwitchTo(w->home);
		w->exec = StateUpdateBegin(w->ncols);
		w->exec_tried = true;
		MemoryContextSwitchTo(w->cxt);
	}
	if (w->nlocated == w->n && w->exec != NULL && StateUpdateBatch(w->exec, w))
	{
		MemoryContextSwitchTo(w->cxt);
		writes[0][0]++;
		writes[0][1] += w->n;
	}
	else
	{
		writes[1][0]++;
		writes[1][1] += w->n;
		for (int c = 0; c < w->ncols; c++)
		{
			/* an array column as text (its input cast back in the UPDATE) */
			if (array_column(c))
				for (int r = 0; r < w->n; r++)
					if (!w->nul[c][r])
						w->v[c][r] = PointerGetDatum(cstring_to_text(OidOutputFunctionCall(F_ARRAY_OUT,
																						   w->v[c][r])));
			args[c] = single ? w->v[c][0] : make_array(w->v[c], w->nul[c], w->n, param_type(c));
			nulls[c] = single && w->nul[c][0] ? 'n' : ' ';
		}
		if (SPI_execute_plan(update_plan(w->ncols, single), args, nulls, false, 0) != SPI_OK_UPDATE)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("could not update prio.customer_state")));
		/* SPI returns in its procedure context, which lives until SPI_finish */
		MemoryContextSwitchTo(w->cxt);
	}
	if (w->nhist > 0)
	{
		Datum		hv[8];
		Datum	   *at = palloc(sizeof(Datum) * w->nhist);
		bool	   *atn = palloc0(sizeof(bool) * w->nhist);
		int64		notified = 0;

		for (int c = 0; c < 6; c++)
			hv[c] = make_array(w->hist[c], w->histn[c], w->nhist, c == 0 ? INT8OID : TEXTOID);
		for (int h = 0; h < w->nhist; h++)
			at[h] = TimestampTzGetDatum(w->hist_at[h]);
		hv[6] = make_array(at, atn, w->nhist, TIMESTAMPTZOID);
		/* anyone may LISTEN: with owner isolation on, name only the history row */
		hv[7] = BoolGetDatum(w->isolated);
		if (history_insert(get_history_plan(w->keyed), hv) != SPI_OK_INSERT_RETURNING ||
			SPI_processed != (uint64) w->nhist)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("could not write prio.tier_history")));
		MemoryContextSwitchTo(w->cxt);
		for (int h = 0; h < w->nhist; h++)
		{
			bool		isnull;
			int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[h],
														 SPI_tuptable->tupdesc, 2, &isnull));

			if (!isnull && id < first_id)
				first_id = id;
			if (w->quiet[h])
				continue;		/* replayed: of the past */
			if (prio_notify)
				notify_later(SPI_getvalue(SPI_tuptable->vals[h], SPI_tuptable->tupdesc, 1));
			notified++;
		}
		SPI_freetuptable(SPI_tuptable);
		w->changed += notified;
	}
	if (w->nreplay > 0)
		history_redate(w, first_id);
	MemoryContextSwitchTo(old);
	/* the arrays were allocated beside the writer, not in its batch context */
	MemoryContextReset(w->cxt);
	w->n = 0;
	w->nlocated = 0;
	w->nhist = 0;
	w->last_quiet = -1;
	/* (the replay's arrays were in the batch's context) */
	w->replay_ids = NULL;
	w->replay_at = NULL;
	w->nreplay = 0;
	w->maxreplay = 0;
	w->replay_seen = false;
}

void
StateWriterEnd(StateWriter *w)
{
	StateWriterFlush(w);
	if (w->exec != NULL)
		StateUpdateEnd(w->exec);
	MemoryContextDelete(w->cxt);
	w->cxt = NULL;
}

/*
 * How many statements (what 0) and state rows (what 1) this backend wrote
 * by path (0: through the executor, 1: by the SQL UPDATE): for
 * prio.state_writes() (sql/state_writes.c).
 */
int64
StateWrites(int path, int what)
{
	return writes[path][what];
}
