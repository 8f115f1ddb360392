/*
 * clv_summary.c
 *		The aggregate prio.clv_summary(at, amount, cut_off [, unit]) RETURNS
 *		prio.btyd_summary: one customer's (x, t_x, T, mean_value), purchases on
 *		one UTC calendar day counting as one transaction.
 */
#include "prio.h"

#include <math.h>

#include "btyd_args.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

typedef struct SummaryState
{
	int			n;
	int			cap;
	int32	   *day;			/* UTC day number of each purchase */
	double	   *amount;
	bool		has_cut;
	int32		cut_day;
	double		unit_days;
} SummaryState;

static int32
utc_day(TimestampTz t)
{
	return (int32) floor((double) t / USECS_PER_DAY);
}

static SummaryState *
summary_new(MemoryContext cxt)
{
	SummaryState *st = MemoryContextAllocZero(cxt, sizeof(SummaryState));

	st->cap = 8;
	st->day = MemoryContextAlloc(cxt, sizeof(int32) * st->cap);
	st->amount = MemoryContextAlloc(cxt, sizeof(double) * st->cap);
	return st;
}

static void
summary_add(SummaryState *st, int32 day, double amount)
{
	if (st->n == st->cap)
	{
		st->cap *= 2;
		st->day = repalloc(st->day, sizeof(int32) * st->cap);
		st->amount = repalloc(st->amount, sizeof(double) * st->cap);
	}
	st->day[st->n] = day;
	st->amount[st->n] = amount;
	st->n++;
}

/* cut_off and unit differ between rows (or partial states) of one customer */
static void
summary_mismatch(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("prio.clv_summary: cut_off and unit must be the same on all of a customer's rows"),
			 errhint("Pass one value for the whole query, such as a literal or now(), not a per-row expression.")));
}

/*
 * The transition function of prio.clv_summary(at, amount, cut_off [, unit]);
 * without unit (with_unit false) it counts in weeks.
 */
Datum
ClvSummaryAccum(FunctionCallInfo fcinfo, bool with_unit)
{
	MemoryContext cxt = BtydAggContext(fcinfo, "prio.clv_summary");
	SummaryState *st = PG_ARGISNULL(0) ? NULL : (SummaryState *) PG_GETARG_POINTER(0);
	TimestampTz at;
	double		amount = 0.0;

	CheckArgNotNull(fcinfo, 3, "cut_off");
	if (with_unit)
		CheckArgNotNull(fcinfo, 4, "unit");
	if (st == NULL)
		st = summary_new(cxt);
	{
		TimestampTz cut = PG_GETARG_TIMESTAMPTZ(3);
		double		unit_days;

		if (TIMESTAMP_NOT_FINITE(cut))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cut_off must be a finite time")));
		/* the three-argument form counts in weeks */
		unit_days = with_unit
			? CheckPositiveInterval(PG_GETARG_INTERVAL_P(4), "unit") / USECS_PER_DAY : 7.0;
		if (!st->has_cut)
		{
			st->cut_day = utc_day(cut);
			st->unit_days = unit_days;
			st->has_cut = true;
		}
		else if (utc_day(cut) != st->cut_day || unit_days != st->unit_days)
			summary_mismatch();	/* else the first row's would win */
	}
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	at = PG_GETARG_TIMESTAMPTZ(1);
	if (TIMESTAMP_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("purchase times must be finite")));
	if (utc_day(at) > st->cut_day)
		PG_RETURN_POINTER(st);	/* after the calibration period */
	if (!PG_ARGISNULL(2))
	{
		amount = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
													PG_GETARG_DATUM(2)));
		/* a finite numeric beyond 1e308 converts to Infinity: not "not finite" */
		if (isinf(amount) && !numeric_is_inf(PG_GETARG_NUMERIC(2)))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("amount is out of range for type double precision")));
		CheckFiniteDouble(amount, "amount");
	}
	summary_add(st, utc_day(at), amount);
	PG_RETURN_POINTER(st);
}

/* prio.clv_summary_accum(internal, timestamptz, numeric, timestamptz) of 0.4: weeks */
PG_FUNCTION_INFO_V1(prio_clv_summary_accum_0_4);
Datum
prio_clv_summary_accum_0_4(PG_FUNCTION_ARGS)
{
	return ClvSummaryAccum(fcinfo, false);
}

/* prio.clv_summary_accum(internal, timestamptz, numeric, timestamptz, interval) of 0.4 */
PG_FUNCTION_INFO_V1(prio_clv_summary_accum_unit_0_4);
Datum
prio_clv_summary_accum_unit_0_4(PG_FUNCTION_ARGS)
{
	return ClvSummaryAccum(fcinfo, true);
}

PG_FUNCTION_INFO_V1(prio_clv_summary_combine);
Datum
prio_clv_summary_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = BtydAggContext(fcinfo, "prio.clv_summary");
	SummaryState *a = PG_ARGISNULL(0) ? NULL : (SummaryState *) PG_GETARG_POINTER(0);
	SummaryState *b = PG_ARGISNULL(1) ? NULL : (SummaryState *) PG_GETARG_POINTER(1);

	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
		a = summary_new(cxt);
	if (!a->has_cut && b->has_cut)
	{
		a->has_cut = true;
		a->cut_day = b->cut_day;
		a->unit_days = b->unit_days;
	}
	else if (a->has_cut && b->has_cut &&
			 (a->cut_day != b->cut_day || a->unit_days != b->unit_days))
		summary_mismatch();
	for (int i = 0; i < b->n; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		summary_add(a, b->day[i], b->amount[i]);
		MemoryContextSwitchTo(old);
	}
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(prio_clv_summary_serialize);
Datum
prio_clv_summary_serialize(PG_FUNCTION_ARGS)
{
	SummaryState *st;
	StringInfoData buf;

	(void) BtydAggContext(fcinfo, "prio.clv_summary");
	st = (SummaryState *) PG_GETARG_POINTER(0);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, st->has_cut);
	pq_sendint32(&buf, st->cut_day);
	pq_sendfloat8(&buf, st->unit_days);
	pq_sendint32(&buf, st->n);
	for (int i = 0; i < st->n; i++)
	{
		pq_sendint32(&buf, st->day[i]);
		pq_sendfloat8(&buf, st->amount[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(prio_clv_summary_deserialize);
Datum
prio_clv_summary_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = BtydAggContext(fcinfo, "prio.clv_summary");
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	SummaryState *st = summary_new(cxt);
	StringInfoData buf;
	int			n;
	MemoryContext old;

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw));
	st->has_cut = pq_getmsgbyte(&buf);
	st->cut_day = pq_getmsgint(&buf, 4);
	st->unit_days = pq_getmsgfloat8(&buf);
	n = pq_getmsgint(&buf, 4);
	old = MemoryContextSwitchTo(cxt);
	for (int i = 0; i < n; i++)
	{
		int32		day = pq_getmsgint(&buf, 4);

		summary_add(st, day, pq_getmsgfloat8(&buf));
	}
	MemoryContextSwitchTo(old);
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

static int
cmp_day(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* (x, t_x, T, mean_value); NULL when nothing was bought by cut_off */
PG_FUNCTION_INFO_V1(prio_clv_summary_final);
Datum
prio_clv_summary_final(PG_FUNCTION_ARGS)
{
	static const Oid types[4] = {INT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID};
	SummaryState *st = PG_ARGISNULL(0) ? NULL : (SummaryState *) PG_GETARG_POINTER(0);
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	int32	   *order;
	double	   *sums;
	int			ndays = 0;
	double		repeat_sum = 0.0;

	if (st == NULL || st->n == 0)
		PG_RETURN_NULL();
	/* declared to return prio.btyd_summary; ALTER TYPE is checked below */
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type of prio.clv_summary must be a row type");
	CheckResultDesc(desc, types, 4, "prio.btyd_summary");

	/* purchases on the same calendar day are one transaction */
	order = palloc(sizeof(int32) * st->n * 2);
	for (int i = 0; i < st->n; i++)
	{
		order[2 * i] = st->day[i];
		order[2 * i + 1] = i;
	}
	qsort(order, st->n, sizeof(int32) * 2, cmp_day);
	sums = palloc0(sizeof(double) * st->n);
	for (int i = 0; i < st->n; i++)
	{
		if (i == 0 || order[2 * i] != order[2 * (i - 1)])
			ndays++;
		sums[ndays - 1] += st->amount[order[2 * i + 1]];
	}
	for (int d = 1; d < ndays; d++)
		repeat_sum += sums[d];
	/* finite amounts can add up to +-Infinity (or NaN: +Infinity - Infinity) */
	if (!isfinite(repeat_sum))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("prio.clv_summary: the repeat purchases of a customer add up beyond the range of double precision")));

	values[0] = Int64GetDatum(ndays - 1);
	values[1] = Float8GetDatum((order[2 * (st->n - 1)] - order[0]) / st->unit_days);
	values[2] = Float8GetDatum((st->cut_day - order[0]) / st->unit_days);
	values[3] = Float8GetDatum(ndays > 1 ? repeat_sum / (ndays - 1) : 0.0);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
