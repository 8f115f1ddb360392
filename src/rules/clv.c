/*
 * clv.c
 *		Customer valuation, pure: a customer's BTYD inputs (x, t_x, T,
 *		mean_value) from its facts, its CLV under the latest models for the
 *		value rule, and the checked expected spend and CLV the SQL functions
 *		return, with each model status as an error a DBA can act on.  The
 *		models themselves are rules/btyd.c.
 */
#include "prio.h"

#include <math.h>

#include "clv.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

static double
numeric_to_double(Numeric n)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(n)));
}

/*
 * The BTYD inputs of a customer with purchases: out = (x, t_x, T,
 * mean_value) in units of unit_days.  T runs to as_of's day, or to the last
 * purchase's day when that is later (activities may be dated up to a day
 * ahead).  Errors for inconsistent inputs (a hand-made row).
 */
void
prio_btyd_inputs(TimestampTz first_purchase_at, TimestampTz last_purchase_at,
				 int64 days, Numeric monetary, Numeric first_day_amount,
				 TimestampTz as_of, double unit_days, double *out)
{
	int32		first_day;
	int32		last_day;
	int32		cut_day;
	double		repeat_sum = 0.0;

	if (days < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("purchase_days must be at least 1 when the customer has purchases"),
				 errhint("SELECT prio.recompute() rebuilds customer_state from the activities.")));
	if (TIMESTAMP_NOT_FINITE(first_purchase_at) ||
		TIMESTAMP_NOT_FINITE(last_purchase_at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("first_purchase_at and last_purchase_at must be finite times")));
	first_day = prio_utc_day(first_purchase_at);
	last_day = prio_utc_day(last_purchase_at);
	cut_day = Max(prio_utc_day(as_of), last_day);
	if (last_day < first_day)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("last_purchase_at is before first_purchase_at")));
	/* the fold counts a day only when it comes after the last one */
	if (days - 1 > (int64) last_day - first_day || (days > 1 && monetary == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("purchase_days %lld do not fit between first_purchase_at and last_purchase_at",
						(long long) days),
				 errhint("SELECT prio.recompute() rebuilds customer_state from the activities.")));
	if (days > 1 && monetary != NULL)
	{
		Numeric		repeat = monetary;

		/* exact difference first: the sums may be large */
		if (first_day_amount != NULL)
			repeat = numeric_sub_opt_error(repeat, first_day_amount, NULL);
		repeat_sum = numeric_to_double(repeat);
	}

	if (!isfinite(repeat_sum) || repeat_sum < 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the repeat purchases' amount is out of range: %g", repeat_sum),
				 errhint("monetary must be at least first_day_amount and within double precision.")));
	out[0] = (double) (days - 1);
	out[1] = (last_day - first_day) / unit_days;
	out[2] = (cut_day - first_day) / unit_days;
	out[3] = days > 1 ? repeat_sum / (days - 1) : 0.0;
}

/*
 * The customer's CLV under the model, as prio.clv() over its state row
 * computes it (repeat purchases all worth 0: the population's mean spend);
 * false when it has no purchases or the model cannot score it.
 */
bool
prio_customer_clv(const PrioFacts *f, const PrioSettings *s, TimestampTz as_of, double *clv)
{
	double		in[4];
	double		m;
	double		spend;

	if (!f->has_purchase || !s->has_model)
		return false;
	prio_btyd_inputs(f->first_purchase_at, f->last_purchase_at, f->purchase_days, f->monetary,
					 f->first_day_amount, as_of, 7.0, in);
	m = in[3];
	if (in[0] > 0 && m == 0)
	{
		if (!(s->gammagamma[1] > 1))
			return false;
		m = s->gammagamma[0] * s->gammagamma[2] / (s->gammagamma[1] - 1);
	}
	if (btyd_gg_expected_spend(s->gammagamma, in[0], m, &spend) != BTYD_OK)
		return false;
	return btyd_clv(s->bgnbd, in[0], in[1], in[2], spend, s->clv_horizon, 4.345,
					s->clv_discount, clv) == BTYD_OK;
}

/* A model status as an error a DBA can act on. */
void
BtydCheckFit(BtydStatus status, const char *what)
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
void
BtydCheckValue(BtydStatus status, const char *what)
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

/* BG/NBD rows: x whole and >= 0, 0 <= t_x <= T (t_x ignored when x = 0) */
BtydCustomer
prio_bgnbd_customer(double x, double t_x, double T)
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

/* Gamma-Gamma expected spend of a customer with x repeat purchases of mean m */
double
prio_gg_spend(const double *gg, double x, double m, const char *what)
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
	BtydCheckValue(st, what);
	return spend;
}

void
prio_clv_check_horizon(int32 horizon, double rate, double period)
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
double
prio_clv_value(const double *bg, const double *gg, BtydCustomer c, int32 horizon,
			   double rate, double period, double mean_value)
{
	double		spend;
	double		value;
	BtydStatus	st;

	if (mean_value < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mean_value must not be negative")));
	spend = prio_gg_spend(gg, c.x, mean_value, "prio.clv");
	st = btyd_clv(bg, c.x, c.t_x, c.T, spend, horizon, period, rate, &value);
	if (st == BTYD_UNDEFINED)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("prio.clv is out of range for these inputs"),
				 errdetail("The discounted value (or an intermediate value) exceeds the range of double precision."),
				 errhint("A discount_rate near -1 grows without bound over a long horizon.")));
	BtydCheckValue(st, "prio.clv");
	return value;
}
