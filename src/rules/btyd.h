/*
 * btyd.h
 *		"Buy till you die" customer-lifetime-value models: BG/NBD for the
 *		number of repeat purchases (Fader, Hardie & Lee 2005, "Counting your
 *		customers the easy way"), Gamma-Gamma for their value (Fader, Hardie
 *		& Lee 2005, "RFM and CLV") and the discounted CLV that combines them.
 *
 * Pure C99 and libm: no PostgreSQL headers, no allocation, no global state,
 * deterministic.  Every function returns a BtydStatus and writes its result
 * through a pointer only on BTYD_OK (fits also write their last iterate on
 * BTYD_NO_CONVERGENCE, for diagnostics).
 *
 * Per-customer summary, all times in one unit of the caller's choice (the
 * CDNOW references use weeks = days / 7):
 *	x	repeat transactions (total transactions - 1), a whole number >= 0
 *	t_x	time from the first to the last purchase (ignored when x = 0)
 *	T	time from the first purchase to the end of the calibration period
 *	m	mean value of the x repeat transactions (Gamma-Gamma only)
 * Parameters come back in the same time unit: alpha is a time, r/alpha a
 * purchase rate per unit.
 */
#ifndef BTYD_H
#define BTYD_H

typedef enum BtydStatus
{
	BTYD_OK = 0,
	BTYD_NO_CONVERGENCE,		/* optimizer or series did not converge */
	BTYD_BAD_INPUT,				/* NaN/inf, negative, t_x > T, x not whole,
								 * parameter <= 0 */
	BTYD_TOO_FEW,				/* fewer customers than model parameters */
	BTYD_NOT_IDENTIFIABLE,		/* BG/NBD: nobody bought again (all x = 0),
								 * so a and b are not identified */
	BTYD_UNDEFINED				/* the quantity is infinite or does not exist
								 * for these parameters */
} BtydStatus;

/* Short English text for a status, for error messages. */
extern const char *btyd_status_message(BtydStatus status);

typedef struct BtydCustomer
{
	double		x;				/* repeat transactions */
	double		t_x;			/* recency: last - first purchase */
	double		T;				/* age: end of calibration - first purchase */
	double		m;				/* mean repeat value (Gamma-Gamma) */
	double		w;				/* weight: how many customers share this row;
								 * 1 normally, 0 skips the row */
} BtydCustomer;

typedef struct BtydFit
{
	double		par[4];			/* BG/NBD: r, alpha, a, b; Gamma-Gamma: p, q,
								 * v, unused */
	double		loglik;			/* total weighted log-likelihood at par,
								 * without the penalty */
	double		nobs;			/* sum of the weights of the rows used */
	int			iterations;		/* quasi-Newton iterations */
} BtydFit;

/*
 * BG/NBD maximum likelihood over (r, alpha, a, b) > 0.
 *
 * Quasi-Newton (BFGS) on log(r, alpha*s, a, b), s = 10 / max(T), with the
 * analytic gradient; deterministic, unit-free (fitting days instead of
 * weeks gives alpha * 7 and the same r, a, b).  start: NULL for the default
 * (r = a = b = 1, alpha = weighted sum T / sum (x + 1)), or four positive
 * values, e.g. the previous fit.  penalizer >= 0 adds
 * penalizer * (r^2 + (alpha*s)^2 + a^2 + b^2) to the mean negative
 * log-likelihood: lifetimes' penalizer_coef, which it applies after
 * rescaling time so that max(T) = 10; 0 for plain ML.
 *
 * BTYD_TOO_FEW when the weights sum to < 4, BTYD_NOT_IDENTIFIABLE when no
 * weighted row has x > 0, BTYD_NO_CONVERGENCE when the optimizer stalls or a
 * log-parameter runs beyond +-20: the likelihood has no interior maximum.
 * Typical: a, b -> infinity (dropout looks the same for everyone), which a
 * penalizer of about 0.01 prevents; a -> 0 (no sign of dropout at all,
 * e.g. every repeat buyer bought at the very end), which it does not; and
 * very small samples (a few dozen customers).
 */
extern BtydStatus btyd_bgnbd_fit(const BtydCustomer *c, int n,
								 const double *start, double penalizer,
								 BtydFit *fit);

/* Total weighted BG/NBD log-likelihood at par = {r, alpha, a, b}. */
extern BtydStatus btyd_bgnbd_loglik(const double *par, const BtydCustomer *c,
									int n, double *loglik);

/*
 * P(alive | x, t_x, T) = 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)),
 * the probability that the customer has not dropped out by T.
 */
extern BtydStatus btyd_bgnbd_p_alive(const double *par, double x, double t_x,
									 double T, double *p);

/*
 * E[Y(t) | x, t_x, T]: expected repeat purchases in (T, T + t] (paper
 * eq. 10).  Computed through Euler's transformation of its 2F1 as a series
 * that is regular in a and b, so it is valid for every a, b > 0, including
 * a = 1, a < 1 and a + b + x - 1 <= 0 (the paper's form divides by a - 1
 * and has 2F1(.; a+b+x-1; .), both singular there); for z = t/(alpha+T+t)
 * near 1 it switches to 2F1's connection formula.  About 1 us, at most
 * ~50 us; relative error ~1e-9 or better against 50-digit references.
 */
extern BtydStatus btyd_bgnbd_conditional(const double *par, double x,
										 double t_x, double T, double t,
										 double *e);

/*
 * E[X(t)]: expected repeat purchases of a new customer in (0, t] (paper
 * eq. 9), valid for every a > 0 the same way (for a <= 1 the expectation is
 * finite for finite t but grows without bound in t).
 */
extern BtydStatus btyd_bgnbd_expected(const double *par, double t, double *e);

/*
 * Gamma-Gamma maximum likelihood over (p, q, v) > 0, from the rows with
 * x > 0 (rows with x = 0 are skipped; m must be > 0 where x > 0).  start:
 * NULL (p = 1, q = 2, v = weighted mean m) or three positive values.
 * penalizer as lifetimes: penalizer * (p^2 + q^2 + v^2), no rescaling.
 * BTYD_TOO_FEW when the used weights sum to < 3.
 */
extern BtydStatus btyd_gg_fit(const BtydCustomer *c, int n,
							  const double *start, double penalizer,
							  BtydFit *fit);

/* Total weighted Gamma-Gamma log-likelihood at par = {p, q, v} (x > 0 rows). */
extern BtydStatus btyd_gg_loglik(const double *par, const BtydCustomer *c,
								 int n, double *loglik);

/*
 * E[M | x, m_x] = p (v + x m_x) / (p x + q - 1): the customer's expected mean
 * transaction value, shrunk towards the population mean p v / (q - 1), which
 * is also the answer for x = 0.  BTYD_UNDEFINED when p x + q <= 1.
 */
extern BtydStatus btyd_gg_expected_spend(const double *par, double x,
										 double m_x, double *spend);

/*
 * Discounted expected value of a customer over the next `periods` periods,
 * as lifetimes' customer_lifetime_value():
 *
 *	 sum_{i=1..periods} (E[Y(i L)] - E[Y((i-1) L)]) * spend / (1 + d)^i
 *
 * with E[Y(.)] = btyd_bgnbd_conditional(), L = period_length in the model's
 * time unit (lifetimes: a month, i.e. 4.345 for weeks, 30 for days), d =
 * discount_rate per period (lifetimes: 0.01 a month), each period's
 * purchases discounted at the period's end.  spend usually comes from
 * btyd_gg_expected_spend() (any finite value is accepted, e.g. a margin).
 * With d = 0 this is spend * E[Y(periods * L)].
 */
extern BtydStatus btyd_clv(const double *bgnbd, double x, double t_x, double T,
						   double spend, int periods, double period_length,
						   double discount_rate, double *clv);

/*
 * Gauss hypergeometric 2F1(a, b; c; z) for real z < 1: power series for
 * 0 <= z <= 0.75, the 1 - z connection formula above, Pfaff's z/(z-1) below
 * 0.  c must not be 0, -1, -2, ... (BTYD_BAD_INPUT).  BTYD_NO_CONVERGENCE
 * when a series fails or the result would lose more than 8 digits to
 * cancellation (large parameters of both signs, c near a pole).  Not needed
 * by the BG/NBD functions above except near z = 1; exported for callers
 * and tests.
 */
extern BtydStatus btyd_hyp2f1(double a, double b, double c, double z,
							  double *f);

#endif							/* BTYD_H */
