/*
 * sweep_rebuild.c
 *		prio.sweep_rebuild(why, force): every customer refolded and evaluated,
 *		by one scan of the activities (engine/sweep.c).
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
	fixed = PrioSweepRebuild(text_to_cstring(PG_GETARG_TEXT_PP(0)), PG_GETARG_BOOL(1));
	PG_RETURN_INT32((int32) Min(fixed, PG_INT32_MAX));
}
