/*
 * rebuild.c
 *		prio.rebuild(ids, why, force): the customers refolded from all their
 *		activities (engine/refold.c), or everyone by the sweep (engine/sweep.c).
 */
#include "prio.h"

#include "executor/spi.h"
#include "utils/builtins.h"

/*
 * prio.rebuild(ids bigint[], why text, force boolean) RETURNS integer
 *		PrioRebuild() of the given customers; NULL ids: everyone, by the
 *		sweep (prio.sweep_rebuild).
 */
PG_FUNCTION_INFO_V1(prio_rebuild);
Datum
prio_rebuild(PG_FUNCTION_ARGS)
{
	int64	   *ids;
	int			n;
	int64		fixed;

	CheckArgNotNull(fcinfo, 1, "why");
	CheckArgNotNull(fcinfo, 2, "force");
	if (PG_ARGISNULL(0))
		fixed = PrioSweepRebuild(text_to_cstring(PG_GETARG_TEXT_PP(1)), PG_GETARG_BOOL(2),
								 NULL, 0);
	else
	{
		ids = PrioIdsArg(PG_GETARG_ARRAYTYPE_P(0), &n);
		SPI_connect();
		fixed = PrioRebuild(ids, n, text_to_cstring(PG_GETARG_TEXT_PP(1)), PG_GETARG_BOOL(2));
		SPI_finish();
	}
	PG_RETURN_INT32((int32) Min(fixed, PG_INT32_MAX));
}
