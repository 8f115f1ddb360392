/*
 * decayed.c
 *		prio.decayed(value, since, half_life, as_of): a value decayed with
 *		the intent rule (rules/intent.c).
 */
#include "prio.h"

/* prio.decayed(value, since, half_life, as_of): value * 2^(-(as_of - since)/half_life) */
PG_FUNCTION_INFO_V1(prio_decayed);
Datum
prio_decayed(PG_FUNCTION_ARGS)
{
	double		hl;

	CheckArgNotNull(fcinfo, 2, "half_life");
	CheckArgNotNull(fcinfo, 3, "as_of");
	hl = CheckPositiveInterval(PG_GETARG_INTERVAL_P(2), "half_life");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	CheckFiniteDouble(PG_GETARG_FLOAT8(0), "value");
	if (PG_ARGISNULL(1))
		PG_RETURN_FLOAT8(PG_GETARG_FLOAT8(0));
	PG_RETURN_FLOAT8(prio_intent_at(PG_GETARG_FLOAT8(0), PG_GETARG_TIMESTAMPTZ(1),
									PG_GETARG_TIMESTAMPTZ(3), hl));
}
