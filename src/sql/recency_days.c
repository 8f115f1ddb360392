/*
 * recency_days.c
 *		prio.recency_days(last_purchase_at, as_of).
 */
#include "prio.h"

/* Days from last_purchase_at to as_of, exactly as the tier rules count them. */
PG_FUNCTION_INFO_V1(prio_recency_days);
Datum
prio_recency_days(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(ElapsedUsecs(PG_GETARG_TIMESTAMPTZ(0), PG_GETARG_TIMESTAMPTZ(1)) / USECS_PER_DAY);
}
