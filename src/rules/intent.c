/*
 * intent.c
 *		Buying intent from behaviour: each event's weight halves every
 *		half-life, so recent replies count more than last quarter's visits.
 */
#include "prio.h"

#include <math.h>

/*
 * Fraction of an event's weight left at as_of.  Events at or after as_of
 * count in full; an event infinitely far back has decayed to nothing.
 */
double
prio_decay(TimestampTz at, TimestampTz as_of, double half_life_us)
{
	if (at >= as_of)
		return 1.0;
	if (TIMESTAMP_NOT_FINITE(at) || TIMESTAMP_NOT_FINITE(as_of))
		return 0.0;
	return exp2(-((double) as_of - (double) at) / half_life_us);
}

/*
 * An intent known as of intent_at, seen at as_of.  Later as_of decays it;
 * an earlier as_of (activities dated ahead of the evaluation, at most a day)
 * takes the decay back, which is exact for every event up to as_of.
 */
double
prio_intent_at(double intent, TimestampTz intent_at, TimestampTz as_of, double half_life_us)
{
	double		age = ElapsedUsecs(intent_at, as_of);
	double		v;

	if (intent == 0.0 || age == 0.0)
		return intent;
	v = intent * exp2(-age / half_life_us);
	/* infinitely far apart: nothing left, or (far in the past) no decay at all */
	return isfinite(v) ? v : (age > 0 ? 0.0 : intent);
}

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
