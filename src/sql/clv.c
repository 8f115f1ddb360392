/*
 * clv.c
 *		SQL face of the "buy till you die" models in btyd.c: the per-customer
 *		summary (x, t_x, T, mean_value), the BG/NBD and Gamma-Gamma fits as
 *		aggregates, and P(alive), expected purchases, expected spend and CLV.
 */
#include "prio.h"

#include <math.h>

#include "btyd.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

static MemoryContext
clv_aggcontext(FunctionCallInfo fcinfo, const char *name)
{
	MemoryContext cxt;

	if (!AggCheckCallContext(fcinfo, &cxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s support functions can only be called as part of the aggregate", name)));
	return cxt;
}

/* A model status as an error a DBA can act on. */
static void
CheckBtyd(BtydStatus status, const char *what)
{
	switch (status)
	{
		case BTYD_OK:
			return;
		case BTYD_TOO_FEW:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: too few customers to fit the model", what),
					 errhint("BG/NBD needs at least 4 customers, Gamma-Gamma 3 with repeat purchases; a few hundred give stable estimates.")));
			break;
		case BTYD_NOT_IDENTIFIABLE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: no customer made a repeat purchase", what),
					 errdetail("With x = 0 for everyone the dropout parameters a and b cannot be estimated."),
					 errhint("Fit on a longer calibration period.")));
			break;
		case BTYD_NO_CONVERGENCE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s did not converge", what),
					 errdetail("The likelihood has no interior maximum for these data."),
					 errhint("Fit on more customers or a longer calibration period.")));
			break;
		case BTYD_UNDEFINED:

			/*
			 * The likelihood overflows at the start: no amount of data helps.
			 * Still 22023, as every failed fit (prio.fit_clv() catches it).
			 */
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: the log-likelihood of these data is out of range", what),
					 errdetail("Some x, t_x, T or mean_value are too large or too small for the model to be evaluated."),
					 errhint("Check the units: x counts repeat purchases, t_x and T are times in the unit of prio.clv_summary.")));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: %s", what, btyd_status_message(status))));
	}
}

/*
 * The same for a value computed from fitted parameters: the fits' wording
 * ("no interior maximum", "fit on more customers") would mislead here.
 */
static void
CheckBtydValue(BtydStatus status, const char *what)
{
	switch (status)
	{
		case BTYD_OK:
			return;
		case BTYD_NO_CONVERGENCE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s cannot be computed accurately for these parameters and this customer", what),
					 errdetail("Its hypergeometric series does not converge or loses its digits to cancellation."),
					 errhint("Use parameters from prio.bgnbd_fit and x, t_x, T in the time unit of the fit: these are far outside what a fit produces.")));
			break;
		case BTYD_UNDEFINED:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s is out of range for these parameters and this customer", what),
					 errdetail("A result or an intermediate value (such as alpha + T + t) exceeds the range of double precision.")));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: %s", what, btyd_status_message(status))));
	}
}

/* ------------------------------------------------------------------ */
/* clv_summary(at, amount, cut_off, unit): one customer's (x, t_x, T, m) */

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
	MemoryContext cxt = clv_aggcontext(fcinfo, "prio.clv_summary");
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
	MemoryContext cxt = clv_aggcontext(fcinfo, "prio.clv_summary");
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

	(void) clv_aggcontext(fcinfo, "prio.clv_summary");
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
	MemoryContext cxt = clv_aggcontext(fcinfo, "prio.clv_summary");
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
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("prio.clv_summary must return prio.btyd_summary")));
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

/* ------------------------------------------------------------------ */
/* the fits: collect customers, fit in the final function              */

typedef struct FitState
{
	int			n;
	int			cap;
	BtydCustomer *c;
} FitState;

static FitState *
fit_state(FunctionCallInfo fcinfo, const char *name, MemoryContext *cxt)
{
	*cxt = clv_aggcontext(fcinfo, name);
	if (PG_ARGISNULL(0))
	{
		FitState   *st = MemoryContextAllocZero(*cxt, sizeof(FitState));

		st->cap = 64;
		st->c = MemoryContextAlloc(*cxt, sizeof(BtydCustomer) * st->cap);
		return st;
	}
	return (FitState *) PG_GETARG_POINTER(0);
}

static void
fit_add(FitState *st, BtydCustomer c)
{
	if (st->n == st->cap)
	{
		st->cap *= 2;
		st->c = repalloc(st->c, sizeof(BtydCustomer) * st->cap);
	}
	st->c[st->n++] = c;
}

static double
arg_double(FunctionCallInfo fcinfo, int argno, const char *name)
{
	double		v = PG_GETARG_FLOAT8(argno);

	CheckFiniteDouble(v, name);
	return v;
}

/* BG/NBD rows: x whole and >= 0, 0 <= t_x <= T (t_x ignored when x = 0) */
static BtydCustomer
bgnbd_customer(double x, double t_x, double T)
{
	BtydCustomer c = {0, 0, 0, 0, 1};

	c.x = x;
	c.t_x = t_x;
	c.T = T;
	if (c.x < 0 || c.x != floor(c.x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x must be a whole number of repeat purchases, not %g", c.x)));
	if (c.x == 0 && c.t_x != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t_x must be 0 when x = 0 (no repeat purchase), not %g", c.t_x)));
	if (c.T < 0 || (c.x > 0 && (c.t_x < 0 || c.t_x > c.T)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("need 0 <= t_x <= T, not t_x = %g, T = %g", c.t_x, c.T)));
	return c;
}

static BtydCustomer
bgnbd_row(FunctionCallInfo fcinfo, int first)
{
	double		x = arg_double(fcinfo, first, "x");
	double		t_x = arg_double(fcinfo, first + 1, "t_x");

	return bgnbd_customer(x, t_x, arg_double(fcinfo, first + 2, "T"));
}

PG_FUNCTION_INFO_V1(prio_bgnbd_accum);
Datum
prio_bgnbd_accum(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	FitState   *st = fit_state(fcinfo, "prio.bgnbd_fit", &cxt);
	MemoryContext old;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(st);
	old = MemoryContextSwitchTo(cxt);
	fit_add(st, bgnbd_row(fcinfo, 1));
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(prio_gammagamma_accum);
Datum
prio_gammagamma_accum(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	FitState   *st = fit_state(fcinfo, "prio.gammagamma_fit", &cxt);
	BtydCustomer c = {0, 0, 0, 0, 1};
	MemoryContext old;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);
	c.x = arg_double(fcinfo, 1, "x");
	c.m = arg_double(fcinfo, 2, "mean_value");
	if (c.x < 0 || c.x != floor(c.x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x must be a whole number of repeat purchases, not %g", c.x)));
	if (c.x > 0 && !(c.m > 0))
		return PointerGetDatum(st);	/* repeat purchases worth nothing say nothing of spend */
	if (c.x == 0)
		return PointerGetDatum(st);	/* the model uses repeat buyers only */
	old = MemoryContextSwitchTo(cxt);
	fit_add(st, c);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(prio_fit_combine);
Datum
prio_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	FitState   *a = fit_state(fcinfo, "prio fit", &cxt);
	FitState   *b = PG_ARGISNULL(1) ? NULL : (FitState *) PG_GETARG_POINTER(1);
	MemoryContext old = MemoryContextSwitchTo(cxt);

	for (int i = 0; b != NULL && i < b->n; i++)
		fit_add(a, b->c[i]);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(prio_fit_serialize);
Datum
prio_fit_serialize(PG_FUNCTION_ARGS)
{
	FitState   *st;
	StringInfoData buf;

	(void) clv_aggcontext(fcinfo, "prio fit");
	st = (FitState *) PG_GETARG_POINTER(0);
	pq_begintypsend(&buf);
	pq_sendint32(&buf, st->n);
	for (int i = 0; i < st->n; i++)
	{
		pq_sendfloat8(&buf, st->c[i].x);
		pq_sendfloat8(&buf, st->c[i].t_x);
		pq_sendfloat8(&buf, st->c[i].T);
		pq_sendfloat8(&buf, st->c[i].m);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(prio_fit_deserialize);
Datum
prio_fit_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = clv_aggcontext(fcinfo, "prio fit");
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	FitState   *st = MemoryContextAllocZero(cxt, sizeof(FitState));
	StringInfoData buf;

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw));
	st->n = pq_getmsgint(&buf, 4);
	st->cap = Max(st->n, 1);
	st->c = MemoryContextAlloc(cxt, sizeof(BtydCustomer) * st->cap);
	for (int i = 0; i < st->n; i++)
	{
		st->c[i].x = pq_getmsgfloat8(&buf);
		st->c[i].t_x = pq_getmsgfloat8(&buf);
		st->c[i].T = pq_getmsgfloat8(&buf);
		st->c[i].m = pq_getmsgfloat8(&buf);
		st->c[i].w = 1;
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

static Datum
fit_result(FunctionCallInfo fcinfo, const BtydFit *fit, int npar, const char *what)
{
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	Oid			want[6];
	int			k = 0;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s must return a composite type", what)));
	for (int i = 0; i < npar; i++)
	{
		want[k] = FLOAT8OID;
		values[k++] = Float8GetDatum(fit->par[i]);
	}
	want[k] = FLOAT8OID;
	values[k++] = Float8GetDatum(fit->loglik);
	want[k] = INT8OID;
	values[k++] = Int64GetDatum((int64) fit->nobs);
	CheckResultDesc(desc, want, k, what);
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls));
}

PG_FUNCTION_INFO_V1(prio_bgnbd_final);
Datum
prio_bgnbd_final(PG_FUNCTION_ARGS)
{
	FitState   *st = PG_ARGISNULL(0) ? NULL : (FitState *) PG_GETARG_POINTER(0);
	BtydFit		fit;

	CheckBtyd(btyd_bgnbd_fit(st ? st->c : NULL, st ? st->n : 0, NULL, 0.0, &fit),
			  "prio.bgnbd_fit");
	PG_RETURN_DATUM(fit_result(fcinfo, &fit, 4, "prio.bgnbd"));
}

PG_FUNCTION_INFO_V1(prio_gammagamma_final);
Datum
prio_gammagamma_final(PG_FUNCTION_ARGS)
{
	FitState   *st = PG_ARGISNULL(0) ? NULL : (FitState *) PG_GETARG_POINTER(0);
	BtydFit		fit;

	CheckBtyd(btyd_gg_fit(st ? st->c : NULL, st ? st->n : 0, NULL, 0.0, &fit),
			  "prio.gammagamma_fit");
	PG_RETURN_DATUM(fit_result(fcinfo, &fit, 3, "prio.gammagamma"));
}

/* ------------------------------------------------------------------ */
/* scoring with fitted parameters                                      */

static const char *const bgnbd_fields[4] = {"r", "alpha", "a", "b"};
static const char *const gg_fields[3] = {"p", "q", "v"};
static const Oid float8_types[4] = {FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID};

typedef struct ParamsCache
{
	RowReader	bgnbd;
	RowReader	gg;
} ParamsCache;

/* The functions of a state row keep its reader beside the models' */
typedef struct StateCache
{
	ParamsCache params;			/* first: read_params() finds it */
	RowReader	state;
} StateCache;

/* fn_extra: a ParamsCache, or a larger struct that begins with one */
static ParamsCache *
params_cache(FunctionCallInfo fcinfo, Size size)
{
	ParamsCache *cache = fcinfo->flinfo->fn_extra;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, size);
		cache->bgnbd.what = "prio.bgnbd";
		cache->bgnbd.names = bgnbd_fields;
		cache->bgnbd.types = float8_types;
		cache->bgnbd.nfields = 4;
		cache->gg.what = "prio.gammagamma";
		cache->gg.names = gg_fields;
		cache->gg.types = float8_types;
		cache->gg.nfields = 3;
		fcinfo->flinfo->fn_extra = cache;
	}
	return cache;
}

static void
read_params(FunctionCallInfo fcinfo, int argno, bool gg, double *par)
{
	ParamsCache *cache = params_cache(fcinfo, sizeof(ParamsCache));
	RowReader  *rr;
	int			n = gg ? 3 : 4;

	CheckArgNotNull(fcinfo, argno, gg ? "gammagamma parameters" : "bgnbd parameters");
	rr = gg ? &cache->gg : &cache->bgnbd;
	RowBind(rr, PG_GETARG_DATUM(argno), fcinfo->flinfo->fn_mcxt);
	for (int i = 0; i < n; i++)
	{
		bool		isnull;
		Datum		d = RowGet(rr, i, &isnull);

		if (isnull || !(DatumGetFloat8(d) > 0) || isinf(DatumGetFloat8(d)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model parameter %s must be a positive number", rr->names[i])));
		par[i] = DatumGetFloat8(d);
	}
}

PG_FUNCTION_INFO_V1(prio_p_alive);
Datum
prio_p_alive(PG_FUNCTION_ARGS)
{
	double		par[4];
	BtydCustomer c;
	double		p;

	read_params(fcinfo, 0, false, par);
	for (int i = 1; i <= 3; i++)
		CheckArgNotNull(fcinfo, i, i == 1 ? "x" : i == 2 ? "t_x" : "T");
	c = bgnbd_row(fcinfo, 1);
	CheckBtydValue(btyd_bgnbd_p_alive(par, c.x, c.t_x, c.T, &p), "prio.p_alive");
	PG_RETURN_FLOAT8(p);
}

PG_FUNCTION_INFO_V1(prio_expected_purchases_conditional);
Datum
prio_expected_purchases_conditional(PG_FUNCTION_ARGS)
{
	double		par[4];
	BtydCustomer c;
	double		t;
	double		e;

	read_params(fcinfo, 0, false, par);
	CheckArgNotNull(fcinfo, 1, "t");
	for (int i = 2; i <= 4; i++)
		CheckArgNotNull(fcinfo, i, i == 2 ? "x" : i == 3 ? "t_x" : "T");
	t = arg_double(fcinfo, 1, "t");
	if (t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t must not be negative")));
	c = bgnbd_row(fcinfo, 2);
	CheckBtydValue(btyd_bgnbd_conditional(par, c.x, c.t_x, c.T, t, &e), "prio.expected_purchases");
	PG_RETURN_FLOAT8(e);
}

PG_FUNCTION_INFO_V1(prio_expected_purchases_new);
Datum
prio_expected_purchases_new(PG_FUNCTION_ARGS)
{
	double		par[4];
	double		t;
	double		e;

	read_params(fcinfo, 0, false, par);
	CheckArgNotNull(fcinfo, 1, "t");
	t = arg_double(fcinfo, 1, "t");
	if (t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t must not be negative")));
	CheckBtydValue(btyd_bgnbd_expected(par, t, &e), "prio.expected_purchases");
	PG_RETURN_FLOAT8(e);
}

/* Gamma-Gamma expected spend of a customer with x repeat purchases of mean m */
static double
gg_spend(const double *gg, double x, double m, const char *what)
{
	double		spend;
	BtydStatus	st;

	/* btyd says only "invalid input" for this one */
	if (x > 0 && m == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: mean_value must be positive when x > 0, not 0 with x = %g", what, x),
				 errdetail("The Gamma-Gamma model describes positive transaction values."),
				 errhint("Score such a customer with x = 0, which gives the population mean spend; prio.gammagamma_fit leaves these rows out too.")));
	st = btyd_gg_expected_spend(gg, x, m, &spend);
	if (st == BTYD_UNDEFINED && !(gg[0] * x + gg[1] > 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the expected spend is infinite for these parameters", what),
				 errdetail("It needs p * x + q > 1; here p = %g, q = %g, x = %g.", gg[0], gg[1], x),
				 errhint("Use parameters from prio.gammagamma_fit; a fitted q is above 1 whenever the mean spend is finite.")));
	CheckBtydValue(st, what);
	return spend;
}

static double
spend_of(FunctionCallInfo fcinfo, const double *gg, int xarg)
{
	double		x;
	double		m;

	CheckArgNotNull(fcinfo, xarg, "x");
	CheckArgNotNull(fcinfo, xarg + 1, "mean_value");
	x = arg_double(fcinfo, xarg, "x");
	m = arg_double(fcinfo, xarg + 1, "mean_value");
	if (x < 0 || x != floor(x) || m < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("need a whole x >= 0 and mean_value >= 0, not x = %g, mean_value = %g", x, m)));
	return gg_spend(gg, x, m, "prio.expected_spend");
}

PG_FUNCTION_INFO_V1(prio_expected_spend);
Datum
prio_expected_spend(PG_FUNCTION_ARGS)
{
	double		gg[3];

	read_params(fcinfo, 0, true, gg);
	PG_RETURN_FLOAT8(spend_of(fcinfo, gg, 1));
}

/*
 * clv(bgnbd, gammagamma, x, t_x, T, mean_value, horizon, discount_rate,
 *     period): Σ over the horizon's periods of the expected purchases in the
 * period times the expected spend, discounted at the end of each period.
 */
static void
check_horizon(int32 horizon, double rate, double period)
{
	if (horizon < 0 || horizon > 10000 || rate <= -1 || !(period > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("need 0 <= horizon <= 10000 periods, discount_rate > -1 and period > 0")));
	/* else btyd says only "invalid input" once horizon * period is infinite */
	if (!isfinite(horizon * period))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("prio.clv: horizon * period is out of range (%d periods of %g)", horizon, period)));
}

/* Both forms of prio.clv end here: the spend, then the discounted sum */
static double
clv_of(const double *bg, const double *gg, BtydCustomer c, int32 horizon, double rate,
	   double period, double mean_value)
{
	double		spend;
	double		value;
	BtydStatus	st;

	if (mean_value < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mean_value must not be negative")));
	spend = gg_spend(gg, c.x, mean_value, "prio.clv");
	st = btyd_clv(bg, c.x, c.t_x, c.T, spend, horizon, period, rate, &value);
	if (st == BTYD_UNDEFINED)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("prio.clv is out of range for these inputs"),
				 errdetail("The discounted value (or an intermediate value) exceeds the range of double precision."),
				 errhint("A discount_rate near -1 grows without bound over a long horizon.")));
	CheckBtydValue(st, "prio.clv");
	return value;
}

/*
 * clv(bgnbd, gammagamma, x, t_x, T, mean_value, horizon, discount_rate,
 *     period): Σ over the horizon's periods of the expected purchases in the
 * period times the expected spend, discounted at the end of each period.
 */
PG_FUNCTION_INFO_V1(prio_clv);
Datum
prio_clv(PG_FUNCTION_ARGS)
{
	double		bg[4];
	double		gg[3];
	BtydCustomer c;
	int32		horizon;
	double		rate;
	double		period;

	read_params(fcinfo, 0, false, bg);
	read_params(fcinfo, 1, true, gg);
	for (int i = 2; i <= 8; i++)
		CheckArgNotNull(fcinfo, i, i == 6 ? "horizon" : i == 7 ? "discount_rate" : i == 8 ? "period" : "customer summary");
	c = bgnbd_row(fcinfo, 2);
	horizon = PG_GETARG_INT32(6);
	rate = arg_double(fcinfo, 7, "discount_rate");
	period = arg_double(fcinfo, 8, "period");
	check_horizon(horizon, rate, period);
	PG_RETURN_FLOAT8(clv_of(bg, gg, c, horizon, rate, period, arg_double(fcinfo, 5, "mean_value")));
}

/* ---------------------------------------------------------------- of a state row */

/*
 * The customer's (x, t_x, T, mean_value) in weeks as of as_of, as
 * prio.customer_summary(state, as_of) gives them; false without purchases.
 */
static bool
state_summary(FunctionCallInfo fcinfo, int state_arg, int as_of_arg, double *out)
{
	StateCache *sc = (StateCache *) params_cache(fcinfo, sizeof(StateCache));
	TimestampTz as_of;

	CheckArgNotNull(fcinfo, state_arg, "state");
	CheckArgNotNull(fcinfo, as_of_arg, "as_of");
	as_of = PG_GETARG_TIMESTAMPTZ(as_of_arg);
	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite time")));
	if (sc->state.names == NULL)
		StateSummaryReaderInit(&sc->state);
	return prio_state_summary(&sc->state, PG_GETARG_DATUM(state_arg), fcinfo->flinfo->fn_mcxt,
							  as_of, 7.0, out);
}

/*
 * prio.p_alive(params bgnbd, state customer_state, as_of): P(alive) from the
 * state row; NULL without params or purchases.  (An SQL function before
 * 0.3, whose checks and NULLs this keeps: it ran once per follow-up row.)
 */
PG_FUNCTION_INFO_V1(prio_p_alive_state);
Datum
prio_p_alive_state(PG_FUNCTION_ARGS)
{
	double		par[4];
	double		in[4];
	BtydCustomer c;
	double		p;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (!state_summary(fcinfo, 1, 2, in))
		PG_RETURN_NULL();
	read_params(fcinfo, 0, false, par);
	c = bgnbd_customer(in[0], in[1], in[2]);
	CheckBtydValue(btyd_bgnbd_p_alive(par, c.x, c.t_x, c.T, &p), "prio.p_alive");
	PG_RETURN_FLOAT8(p);
}

/*
 * prio.clv(bgnbd, gammagamma, state customer_state, horizon, discount_rate,
 * as_of): CLV from the state row, periods of 4.345 weeks; NULL without both
 * models or purchases.  Repeat purchases all worth 0 carry no spend
 * information (gammagamma_fit leaves them out): the population mean
 * p v / (q - 1) takes their place, so the expected spend is that mean.
 */
PG_FUNCTION_INFO_V1(prio_clv_state);
Datum
prio_clv_state(PG_FUNCTION_ARGS)
{
	ParamsCache *cache;
	double		in[4];
	double		mean;
	double		gp[3];
	bool		gnull[3];
	double		bg[4];
	double		gg[3];
	BtydCustomer c;
	int32		horizon;
	double		rate;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (!state_summary(fcinfo, 2, 5, in))
		PG_RETURN_NULL();
	/* the raw (unchecked) Gamma-Gamma fields, as SQL read them */
	cache = params_cache(fcinfo, sizeof(StateCache));
	RowBind(&cache->gg, PG_GETARG_DATUM(1), fcinfo->flinfo->fn_mcxt);
	for (int i = 0; i < 3; i++)
	{
		Datum		d = RowGet(&cache->gg, i, &gnull[i]);

		gp[i] = gnull[i] ? 0 : DatumGetFloat8(d);
	}
	mean = in[3];
	/* WHERE mean_value > 0 OR x = 0 OR q > 1 (a NULL q: no row) */
	if (!(mean > 0 || in[0] == 0 || (!gnull[1] && gp[1] > 1)))
		PG_RETURN_NULL();
	if (in[0] > 0 && mean == 0 && !gnull[0] && !gnull[1] && !gnull[2])
		mean = gp[0] * gp[2] / (gp[1] - 1);
	/* then prio.clv(bgnbd, gammagamma, x, t_x, T, mean, horizon, discount_rate), checks in its order */
	read_params(fcinfo, 0, false, bg);
	read_params(fcinfo, 1, true, gg);
	CheckArgNotNull(fcinfo, 3, "horizon");
	CheckArgNotNull(fcinfo, 4, "discount_rate");
	c = bgnbd_customer(in[0], in[1], in[2]);
	horizon = PG_GETARG_INT32(3);
	rate = arg_double(fcinfo, 4, "discount_rate");
	check_horizon(horizon, rate, 4.345);
	CheckFiniteDouble(mean, "mean_value");
	PG_RETURN_FLOAT8(clv_of(bg, gg, c, horizon, rate, 4.345, mean));
}
