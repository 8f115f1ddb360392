/*
 * intent.c
 *		The prio.intent aggregate: its transition function intent_accum (the
 *		decay is rules/intent.c's; float8pl combines).
 */
#include "prio.h"

#include <math.h>

/*
 * prio.intent transition: state += weight * 2^(-age / half_life).  The state
 * is a plain float8 sum, so float8pl combines partial aggregates.
 */
PG_FUNCTION_INFO_V1(prio_intent_accum);
Datum
prio_intent_accum(PG_FUNCTION_ARGS)
{
	double		sum = PG_ARGISNULL(0) ? 0.0 : PG_GETARG_FLOAT8(0);
	double		weight;
	double		half_life_us;

	CheckArgNotNull(fcinfo, 3, "half_life");
	CheckArgNotNull(fcinfo, 4, "as_of");
	half_life_us = CheckPositiveInterval(PG_GETARG_INTERVAL_P(3), "half_life");
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_FLOAT8(sum);
	weight = PG_GETARG_FLOAT8(2);
	CheckFiniteDouble(weight, "weight");
	sum += weight * prio_decay(PG_GETARG_TIMESTAMPTZ(1), PG_GETARG_TIMESTAMPTZ(4), half_life_us);
	/* as float8pl does when it combines partial sums */
	if (isinf(sum))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range: overflow")));
	PG_RETURN_FLOAT8(sum);
}
