/*
 * sweep_due.c
 *		prio.sweep_due(as_of): the customers whose evaluation at as_of differs
 *		from the stored one, found by one scan (engine/sweep.c).
 */
#include "prio.h"


/*
 * prio.sweep_due(as_of timestamptz) RETURNS bigint[]
 *		PrioSweepDue(): in customer_id order; NULL when there are none.
 */
PG_FUNCTION_INFO_V1(prio_sweep_due);
Datum
prio_sweep_due(PG_FUNCTION_ARGS)
{
	int64	   *due;
	int			ndue;

	due = PrioSweepDue(CheckTimeArg(fcinfo, 0, "as_of"), &ndue);
	if (ndue == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(Int8ArrayDatum(due, ndue));
}
