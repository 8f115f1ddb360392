/*
 * checks.c
 *		Argument and value checks every layer uses, each raising a specific
 *		SQLSTATE a DBA can act on (the statement triggers' 39P01 too); checked
 *		arithmetic; interval, elapsed-time and numeric helpers.
 */
#include "prio.h"

#include <math.h>

#include "commands/trigger.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/rel.h"

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

/* NaN and +-Infinity: no amount a rule can score or sum */
void
CheckFiniteNumeric(Numeric value, const char *name)
{
	if (numeric_is_nan(value) || numeric_is_inf(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number, not %s", name,
						DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(value))))));
}

/*
 * A timestamptz argument a rule counts from (as_of): not NULL (22004) and
 * finite (22023, as prio.refresh(as_of) and the other as_of arguments say):
 * +-infinity is no time to evaluate a customer at.
 */
TimestampTz
CheckTimeArg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	TimestampTz ts;

	CheckArgNotNull(fcinfo, argno, name);
	ts = PG_GETARG_TIMESTAMPTZ(argno);
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite time, not %s", name,
						DatumGetCString(DirectFunctionCall1(timestamptz_out,
															TimestampTzGetDatum(ts))))));
	return ts;
}

/* a + b, or 22003 naming the count (and its customer, when not 0) */
int64
CheckedAdd64(int64 a, int64 b, const char *what, int64 customer_id)
{
	int64		result;

	if (pg_add_s64_overflow(a, b, &result))
	{
		if (customer_id != 0)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s of customer " INT64_FORMAT " is out of range for type bigint",
							what, customer_id)));
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s is out of range for type bigint", what)));
	}
	return result;
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

/* to - from in microseconds, infinite when either end is */
double
ElapsedUsecs(TimestampTz from, TimestampTz to)
{
	if (TIMESTAMP_IS_NOBEGIN(from) || TIMESTAMP_IS_NOEND(to))
		return (TIMESTAMP_IS_NOBEGIN(from) && TIMESTAMP_IS_NOBEGIN(to)) ||
			(TIMESTAMP_IS_NOEND(from) && TIMESTAMP_IS_NOEND(to)) ? 0.0 : INFINITY;
	if (TIMESTAMP_IS_NOEND(from) || TIMESTAMP_IS_NOBEGIN(to))
		return -INFINITY;
	return (double) to - (double) from;
}

/* *sum += add, the result allocated in cxt; *sum NULL stands for 0 */
void
NumericAccum(Numeric *sum, Numeric add, MemoryContext cxt)
{
	MemoryContext old;
	Numeric		result;

	if (*sum == NULL)
	{
		*sum = MemoryContextAlloc(cxt, VARSIZE(add));
		memcpy(*sum, add, VARSIZE(add));
		return;
	}
	old = MemoryContextSwitchTo(cxt);
	result = numeric_add_opt_error(*sum, add, NULL);
	MemoryContextSwitchTo(old);
	pfree(*sum);
	*sum = result;
}

/* An AFTER ... FOR EACH STATEMENT trigger of prio's table, or the 39P01 error */
TriggerData *
CheckStatementTrigger(FunctionCallInfo fcinfo, const char *fn, const char *table)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("prio.%s() must be an AFTER statement trigger of prio.%s", fn, table)));
	/* SECURITY DEFINER: only ever on prio's table, whoever created the trigger */
	if (RelationGetRelid(td->tg_relation) != PrioRelid(table))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("prio.%s() is a trigger of prio.%s only", fn, table)));
	return td;
}
