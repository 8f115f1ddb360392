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
