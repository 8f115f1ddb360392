/*
 * effective_stage.c
 *		prio.effective_stage(base_stage, since, as_of, silent_after,
 *		dormant_after): the stage at a time (rules/lifecycle.c).
 */
#include "prio.h"

PG_FUNCTION_INFO_V1(prio_effective_stage_sql);
Datum
prio_effective_stage_sql(PG_FUNCTION_ARGS)
{
	double		silent_us;
	double		dormant_us;

	CheckArgNotNull(fcinfo, 0, "base_stage");
	CheckArgNotNull(fcinfo, 2, "as_of");
	CheckArgNotNull(fcinfo, 3, "silent_after");
	CheckArgNotNull(fcinfo, 4, "dormant_after");
	if (StageFromDatum(PG_GETARG_DATUM(0)) == STAGE_SILENT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("silent is not a base stage"),
				 errhint("Base stages come from activities; silent is only ever an effective stage.")));
	silent_us = CheckPositiveInterval(PG_GETARG_INTERVAL_P(3), "silent_after");
	dormant_us = CheckPositiveInterval(PG_GETARG_INTERVAL_P(4), "dormant_after");
	PG_RETURN_DATUM(StageGetDatum(prio_effective_stage(StageFromDatum(PG_GETARG_DATUM(0)),
													   !PG_ARGISNULL(1),
													   PG_ARGISNULL(1) ? 0 : PG_GETARG_TIMESTAMPTZ(1),
													   PG_GETARG_TIMESTAMPTZ(2),
													   silent_us, dormant_us)));
}
