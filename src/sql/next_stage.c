/*
 * next_stage.c
 *		prio.next_stage(stage, kind_stage, inbound): one activity's step of
 *		the base stage (rules/lifecycle.c), by a kind that revives a lost
 *		customer (activity_kinds.revives).
 */
#include "prio.h"

PG_FUNCTION_INFO_V1(prio_next_stage);
Datum
prio_next_stage(PG_FUNCTION_ARGS)
{
	CheckArgNotNull(fcinfo, 0, "stage");
	CheckArgNotNull(fcinfo, 2, "inbound");
	if (StageFromDatum(PG_GETARG_DATUM(0)) == STAGE_SILENT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("silent is not a base stage"),
				 errhint("Base stages come from activities; silent is only ever an effective stage.")));
	PG_RETURN_DATUM(StageGetDatum(prio_stage_step(StageFromDatum(PG_GETARG_DATUM(0)),
												  !PG_ARGISNULL(1),
												  PG_ARGISNULL(1) ? STAGE_PROSPECT
												  : StageFromDatum(PG_GETARG_DATUM(1)),
												  PG_GETARG_BOOL(2), true)));
}
