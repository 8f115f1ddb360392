/*
 * customer_summary.c
 *		prio.customer_summary(): a customer's BTYD inputs (x, t_x, T,
 *		mean_value) from its customer_state row (engine/summary.c).
 */
#include "prio.h"

#include "catalog/pg_type.h"
#include "funcapi.h"

static const Oid summary_types[4] = {INT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID};

/*
 * prio.customer_summary(state prio.customer_state, as_of timestamptz,
 *                       unit interval) RETURNS prio.btyd_summary
 *
 * NULL for a customer without purchases.
 */
PG_FUNCTION_INFO_V1(prio_customer_summary);
Datum
prio_customer_summary(PG_FUNCTION_ARGS)
{
	RowReader  *rr = fcinfo->flinfo->fn_extra;
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	double		unit_days;
	double		out[4];

	CheckArgNotNull(fcinfo, 0, "state");
	(void) CheckTimeArg(fcinfo, 1, "as_of");
	CheckArgNotNull(fcinfo, 2, "unit");
	unit_days = CheckPositiveInterval(PG_GETARG_INTERVAL_P(2), "unit") / USECS_PER_DAY;

	/* declared to return prio.btyd_summary; ALTER TYPE is checked below */
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type of prio.customer_summary must be a row type");
	CheckResultDesc(desc, summary_types, 4, "prio.btyd_summary");

	if (rr == NULL)
	{
		rr = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(RowReader));
		StateSummaryReaderInit(rr);
		fcinfo->flinfo->fn_extra = rr;
	}
	if (!prio_state_summary(rr, PG_GETARG_DATUM(0), fcinfo->flinfo->fn_mcxt,
							PG_GETARG_TIMESTAMPTZ(1), unit_days, out))
		PG_RETURN_NULL();
	values[0] = Int64GetDatum((int64) out[0]);
	for (int i = 1; i < 4; i++)
		values[i] = Float8GetDatum(out[i]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

