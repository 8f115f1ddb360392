/*
 * prio.c
 *		Module magic and the small argument checks every entry point uses.
 */
#include "prio.h"

#include <math.h>

#include "datatype/timestamp.h"

PG_MODULE_MAGIC;

void
CheckArgNotNull(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
}

void
CheckFiniteDouble(double value, const char *name)
{
	if (isnan(value) || isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number, not %g", name, value)));
}

/* Same convention as interval comparison: a month is 30 days, a day 24 hours. */
double
IntervalToUsecs(const Interval *iv)
{
	return (double) iv->time
		+ (double) iv->day * USECS_PER_DAY
		+ (double) iv->month * DAYS_PER_MONTH * USECS_PER_DAY;
}

double
CheckPositiveInterval(const Interval *iv, const char *name)
{
	double		us = IntervalToUsecs(iv);

	if (!(us > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a positive interval", name),
				 errhint("Use a value such as '14 days'.")));
	return us;
}
