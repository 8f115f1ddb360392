/*
 * reevaluate.c
 *		prio.reevaluate(ids, as_of, why): the customers' stored facts evaluated
 *		again (engine/refold.c).
 */
#include "prio.h"

#include "executor/spi.h"
#include "utils/builtins.h"

/*
 * prio.reevaluate(ids bigint[], as_of timestamptz, why text) RETURNS integer
 *		PrioReevaluate() of the given customers (NULL ids: none).
 */
PG_FUNCTION_INFO_V1(prio_reevaluate);
Datum
prio_reevaluate(PG_FUNCTION_ARGS)
{
	int64	   *ids;
	int			n;
	int64		changed;

	(void) CheckTimeArg(fcinfo, 1, "as_of");
	CheckArgNotNull(fcinfo, 2, "why");
	if (PG_ARGISNULL(0))
		PG_RETURN_INT32(0);
	ids = PrioIdsArg(PG_GETARG_ARRAYTYPE_P(0), &n);
	SPI_connect();
	changed = PrioReevaluate(ids, n, PG_GETARG_TIMESTAMPTZ(1), text_to_cstring(PG_GETARG_TEXT_PP(2)));
	SPI_finish();
	PG_RETURN_INT32((int32) Min(changed, PG_INT32_MAX));
}
