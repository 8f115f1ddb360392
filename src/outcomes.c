/*
 * outcomes.c
 *		prio.state_closed() and prio.state_closed_flush(): keep
 *		prio.win_outcomes as customers' base stages enter or leave won/lost.
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
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

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
