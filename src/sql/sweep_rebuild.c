/*
 * sweep_rebuild.c
 *		prio.sweep_rebuild(why, force [, counted]): every customer refolded
 *		and evaluated, by one scan of the activities (engine/sweep.c).
 */
#include "prio.h"

#include "utils/builtins.h"

/*
 * prio.sweep_rebuild(why text, force boolean) RETURNS integer
 *		PrioSweepRebuild(): how many customers' stored facts differed from
 *		the refold.
 */
PG_FUNCTION_INFO_V1(prio_sweep_rebuild);
Datum
prio_sweep_rebuild(PG_FUNCTION_ARGS)
{
	int64		fixed;

	CheckArgNotNull(fcinfo, 0, "why");
	CheckArgNotNull(fcinfo, 1, "force");
	fixed = PrioSweepRebuild(text_to_cstring(PG_GETARG_TEXT_PP(0)), PG_GETARG_BOOL(1), NULL, 0);
	PG_RETURN_INT32((int32) Min(fixed, PG_INT32_MAX));
}

/*
 * (0.5) prio.sweep_rebuild(why text, force boolean, counted bigint[]) RETURNS integer
 *		The same, not counting the customers of counted (NULL: none), which
 *		prio.recompute() has counted already (their deal facts).
 */
PG_FUNCTION_INFO_V1(prio_sweep_rebuild_counted);
Datum
prio_sweep_rebuild_counted(PG_FUNCTION_ARGS)
{
	int64		fixed;
	int64	   *counted = NULL;
	int			ncounted = 0;

	CheckArgNotNull(fcinfo, 0, "why");
	CheckArgNotNull(fcinfo, 1, "force");
	if (!PG_ARGISNULL(2))
		counted = PrioIdsArg(PG_GETARG_ARRAYTYPE_P(2), &ncounted);
	fixed = PrioSweepRebuild(text_to_cstring(PG_GETARG_TEXT_PP(0)), PG_GETARG_BOOL(1),
							 counted, ncounted);
	PG_RETURN_INT32((int32) Min(fixed, PG_INT32_MAX));
}
