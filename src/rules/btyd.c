/*
 * btyd.c
 *		BG/NBD and Gamma-Gamma customer-lifetime-value models: maximum
 *		likelihood fits, P(alive), expected purchases, expected spend, CLV.
 *
 * See btyd.h for the conventions.  Everything here is plain C99 and libm so
 * that it can be checked outside the server against the published CDNOW
 * numbers.
 */
#include "btyd.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#define SERIES_EPS		1e-16	/* relative size of the neglected tail */
#define SERIES_MAX		20000	/* terms before a series gives up */
#define SERIES_CANCEL	1e8		/* largest term / sum: beyond, digits lost */
#define SERIES_SLOW		2000	/* E[Y]: more terms than this, use 2F1's
								 * connection formula instead */
#define K_CANCEL		1e12	/* E[Y]: |terms| / result beyond this, fewer
								 * than 4 digits are left: refuse */
#define XTAB			256		/* BG/NBD: x-only terms tabulated below this */

#define OPT_MAXDIM		4
#define OPT_MAXIT		1000
#define OPT_GTOL		1e-9	/* max |gradient| of the mean log-likelihood
								 * per log-parameter */
#define OPT_GTOL_STALL	1e-5	/* enough once rounding stops the line search */
#define OPT_MAXSTEP		2.0		/* largest move of a log-parameter per step */
#define OPT_THETA_MAX	20.0	/* |log-parameter| beyond this: runaway; the
								 * parameters carrying a unit are scaled to
								 * the data first, so this is unit-free */

const char *
btyd_status_message(BtydStatus status)
{
	switch (status)
	{
		case BTYD_OK:
			return "ok";
		case BTYD_NO_CONVERGENCE:
			return "did not converge";
		case BTYD_BAD_INPUT:
			return "invalid input";
		case BTYD_TOO_FEW:
			return "too few customers to fit the model";
		case BTYD_NOT_IDENTIFIABLE:
			return "no customer made a repeat purchase, so the dropout parameters cannot be estimated";
		case BTYD_UNDEFINED:
			return "the value is not finite for these parameters";
	}
	return "unknown status";
}

/* ---------------------------------------------------------------------
 * Special functions
 * --------------------------------------------------------------------- */

static bool
is_nonpos_int(double x)
{
	return x <= 0.0 && x == floor(x);
}

static bool
positive_params(const double *par, int n)
{
	if (par == NULL)
		return false;
	for (int i = 0; i < n; i++)
		if (!(par[i] > 0.0) || !isfinite(par[i]))
			return false;
	return true;
}

/* Digamma for x > 0: recurrence up to x >= 10, then the asymptotic series. */
static double
digamma(double x)
{
	double		acc = 0.0;
	double		x2;

	while (x < 10.0)
	{
		acc -= 1.0 / x;
		x += 1.0;
	}
	x2 = 1.0 / (x * x);
	return acc + log(x) - 0.5 / x
		- x2 * (1.0 / 12 - x2 * (1.0 / 120 - x2 * (1.0 / 252 - x2 * (1.0 / 240 - x2 / 132))));
}

/* log|Gamma(x)| and the sign of Gamma(x); sign 0 at the poles (1/Gamma = 0). */
static double
lgamma_sign(double x, int *sign)
{
	if (x > 0.0)
	{
		*sign = 1;
		return lgamma(x);
	}
	if (x == floor(x))
	{
		*sign = 0;
		return 0.0;
	}
	*sign = (fmod(floor(x), 2.0) != 0.0) ? -1 : 1;
	return lgamma(x);
}

/*
 * sum_{n>=0} (p1)_n (p2)_n / ((q1)_n (q2)_n) z^n, for |z| < 1.  2F1 is
 * q2 = 1.  Stops once the factors are past their sign changes and the tail,
 * bounded geometrically by the larger of the last ratio and z, is
 * negligible.
 */
static BtydStatus
series(double p1, double p2, double q1, double q2, double z, double *out)
{
	double		term = 1.0;
	double		sum = 1.0;
	double		big = 1.0;
	int			n;

	for (n = 0; n < SERIES_MAX; n++)
	{
		double		ratio = (p1 + n) * (p2 + n) / ((q1 + n) * (q2 + n)) * z;

		term *= ratio;
		sum += term;
		big = fmax(big, fabs(term));
		if (term == 0.0)
			break;				/* a polynomial, or z = 0 */
		if (n + 1 > -p1 && n + 1 > -p2 && n + 1 > -q1 && n + 1 > -q2)
		{
			double		rho = fmax(fabs(ratio), fabs(z));

			if (rho < 1.0 && fabs(term) * rho <= SERIES_EPS * (1.0 - rho) * fabs(sum))
				break;
		}
	}
	if (n == SERIES_MAX || !isfinite(sum) || big > SERIES_CANCEL * fabs(sum))
		return BTYD_NO_CONVERGENCE;
	*out = sum;
	return BTYD_OK;
}

/*
 * 2F1 for 0.75 < z < 1 by the connection formula in w = 1 - z (Abramowitz
 * & Stegun 15.3.6):
 *	 F = G(c)G(m)/(G(c-a)G(c-b)) F(a,b;1-m;w)
 *	   + w^m G(c)G(-m)/(G(a)G(b)) F(c-a,c-b;1+m;w),	 m = c - a - b.
 * Both terms have poles at whole m that cancel; F is analytic in c, so for
 * m within 1e-5 of a whole number use the mean of c +- 2e-5 (error ~1e-10).
 * Takes w itself: 1 - z loses digits that w^m would magnify.
 */
static BtydStatus
hyp2f1_near_one(double a, double b, double c, double w, double *f)
{
	double		m = c - a - b;
	double		t1 = 0.0;
	double		t2 = 0.0;
	double		g;
	double		lg;
	int			s1,
				s2,
				s3,
				s4;
	BtydStatus	st;

	if (fabs(m - rint(m)) < 1e-5)
	{
		const double h = 2e-5;
		double		f1,
					f2;

		if (is_nonpos_int(c - h) || is_nonpos_int(c + h))
			return BTYD_NO_CONVERGENCE;

		/*
		 * Beyond c ~ 1e11, c +- h rounds back to (nearly) c and m stays on
		 * the whole number: recursing again would never end (a stack
		 * overflow, e.g. for x = 1e12 repeat purchases).
		 */
		if (fabs(((c + h) - a - b) - rint((c + h) - a - b)) < 1e-5 ||
			fabs(((c - h) - a - b) - rint((c - h) - a - b)) < 1e-5)
			return BTYD_NO_CONVERGENCE;
		if ((st = hyp2f1_near_one(a, b, c + h, w, &f1)) != BTYD_OK ||
			(st = hyp2f1_near_one(a, b, c - h, w, &f2)) != BTYD_OK)
			return st;
		*f = 0.5 * (f1 + f2);
		return BTYD_OK;
	}

	lg = lgamma_sign(c, &s1) + lgamma_sign(m, &s2);
	lg -= lgamma_sign(c - a, &s3) + lgamma_sign(c - b, &s4);
	if (s3 != 0 && s4 != 0)
	{
		if ((st = series(a, b, 1.0 - m, 1.0, w, &g)) != BTYD_OK)
			return st;
		t1 = s1 * s2 * s3 * s4 * exp(lg) * g;
	}
	lg = lgamma_sign(c, &s1) + lgamma_sign(-m, &s2) + m * log(w);
	lg -= lgamma_sign(a, &s3) + lgamma_sign(b, &s4);
	if (s3 != 0 && s4 != 0)
	{
		if ((st = series(c - a, c - b, 1.0 + m, 1.0, w, &g)) != BTYD_OK)
			return st;
		t2 = s1 * s2 * s3 * s4 * exp(lg) * g;
	}
	g = t1 + t2;
	if (!isfinite(g) || fabs(t1) + fabs(t2) > SERIES_CANCEL * fabs(g))
		return BTYD_NO_CONVERGENCE;
	*f = g;
	return BTYD_OK;
}

BtydStatus
btyd_hyp2f1(double a, double b, double c, double z, double *f)
{
	if (!isfinite(a) || !isfinite(b) || !isfinite(c) || !isfinite(z) ||
		!(z < 1.0) || is_nonpos_int(c) || f == NULL)
		return BTYD_BAD_INPUT;
	if (z < 0.0)
	{
		/* Pfaff: F(a,b;c;z) = (1-z)^-a F(a,c-b;c;z/(z-1)), argument in [0,1) */
		double		g;
		BtydStatus	st = btyd_hyp2f1(a, c - b, c, z / (z - 1.0), &g);

		if (st != BTYD_OK)
			return st;
		g *= pow(1.0 - z, -a);
		if (!isfinite(g))
			return BTYD_NO_CONVERGENCE;
		*f = g;
		return BTYD_OK;
	}
	if (z <= 0.75 || is_nonpos_int(a) || is_nonpos_int(b))
		return series(a, b, c, 1.0, z, f);
	return hyp2f1_near_one(a, b, c, 1.0 - z, f);
}

/* ---------------------------------------------------------------------
 * Quasi-Newton minimizer (BFGS on the inverse Hessian, backtracking
 * Armijo line search).  Small and deterministic; dim <= OPT_MAXDIM.
 * --------------------------------------------------------------------- */

/* Returns f(theta) and fills grad; +inf where f is not finite. */
typedef double (*Objective) (const double *theta, double *grad, void *arg);

static void
set_identity(double *H, int dim, double scale)
{
	for (int i = 0; i < dim; i++)
		for (int j = 0; j < dim; j++)
			H[i * dim + j] = (i == j) ? scale : 0.0;
}

static BtydStatus
minimize(Objective fn, void *arg, int dim, double *theta, int *iterations)
{
	double		H[OPT_MAXDIM * OPT_MAXDIM];
	double		g[OPT_MAXDIM],
				g1[OPT_MAXDIM],
				d[OPT_MAXDIM],
				th1[OPT_MAXDIM],
				s[OPT_MAXDIM],
				y[OPT_MAXDIM],
				Hy[OPT_MAXDIM];
	double		f,
				f1 = 0.0;
	bool		fresh = true;	/* H is a multiple of the identity */
	int			tiny = 0;		/* successive steps that gained ~nothing */
	int			it;

	*iterations = 0;
	f = fn(theta, g, arg);
	if (!isfinite(f))
		return BTYD_UNDEFINED;	/* not a convergence problem: the data */
	set_identity(H, dim, 1.0);

	for (it = 0; it < OPT_MAXIT; it++)
	{
		double		gmax = 0.0,
					slope = 0.0,
					dmax = 0.0,
					step,
					sy = 0.0,
					yy = 0.0,
					yHy = 0.0;
		int			ls;

		*iterations = it;
		for (int i = 0; i < dim; i++)
			gmax = fmax(gmax, fabs(g[i]));
		if (gmax <= OPT_GTOL)
			return BTYD_OK;

		for (int i = 0; i < dim; i++)
		{
			d[i] = 0.0;
			for (int j = 0; j < dim; j++)
				d[i] -= H[i * dim + j] * g[j];
			slope += g[i] * d[i];
		}
		if (!(slope < 0.0))
		{
			/* not a descent direction: restart from steepest descent */
			set_identity(H, dim, 1.0);
			fresh = true;
			slope = 0.0;
			for (int i = 0; i < dim; i++)
			{
				d[i] = -g[i];
				slope -= g[i] * g[i];
			}
		}
		for (int i = 0; i < dim; i++)
			dmax = fmax(dmax, fabs(d[i]));
		/* cap the step: exp() of a log-parameter overflows easily */
		step = (dmax > OPT_MAXSTEP) ? OPT_MAXSTEP / dmax : 1.0;

		for (ls = 0; ls < 60; ls++)
		{
			bool		moved = false;

			for (int i = 0; i < dim; i++)
			{
				th1[i] = theta[i] + step * d[i];
				moved |= (th1[i] != theta[i]);
			}
			if (!moved)
			{
				ls = 60;		/* the step vanished in rounding */
				break;
			}
			f1 = fn(th1, g1, arg);
			if (isfinite(f1) && f1 <= f + 1e-4 * step * slope)
				break;
			if (isfinite(f1))
			{
				/* minimum of the quadratic through f, slope and f1 */
				double		q = -slope * step * step / (2.0 * (f1 - f - slope * step));

				step = fmin(fmax(q, 0.1 * step), 0.5 * step);
			}
			else
				step *= 0.1;
		}
		if (ls == 60)
		{
			/* no decrease: at the optimum within rounding, or H is stale */
			if (gmax <= OPT_GTOL_STALL)
				return BTYD_OK;
			if (fresh)
				return BTYD_NO_CONVERGENCE;
			set_identity(H, dim, 1.0);
			fresh = true;
			continue;
		}

		for (int i = 0; i < dim; i++)
		{
			s[i] = th1[i] - theta[i];
			y[i] = g1[i] - g[i];
			sy += s[i] * y[i];
			yy += y[i] * y[i];
		}
		/* BFGS update; skipped without positive curvature to keep H > 0 */
		if (sy > 1e-14 * yy)
		{
			if (fresh)
				set_identity(H, dim, sy / yy);
			for (int i = 0; i < dim; i++)
			{
				Hy[i] = 0.0;
				for (int j = 0; j < dim; j++)
					Hy[i] += H[i * dim + j] * y[j];
				yHy += y[i] * Hy[i];
			}
			for (int i = 0; i < dim; i++)
				for (int j = 0; j < dim; j++)
					H[i * dim + j] += (sy + yHy) / (sy * sy) * s[i] * s[j]
						- (Hy[i] * s[j] + s[i] * Hy[j]) / sy;
			fresh = false;
		}
		for (int i = 0; i < dim; i++)
		{
			theta[i] = th1[i];
			g[i] = g1[i];
			if (fabs(theta[i]) > OPT_THETA_MAX)
			{
				*iterations = it + 1;
				return BTYD_NO_CONVERGENCE;
			}
		}
		/* creeping on rounding noise near the optimum: done */
		tiny = (f - f1 <= 1e-14 * fabs(f)) ? tiny + 1 : 0;
		f = f1;
		if (tiny >= 3 && gmax <= OPT_GTOL_STALL)
		{
			*iterations = it + 1;
			return BTYD_OK;
		}
	}
	*iterations = it;
	return BTYD_NO_CONVERGENCE;
}

/* ---------------------------------------------------------------------
 * BG/NBD
 * --------------------------------------------------------------------- */

typedef struct BgData
{
	const BtydCustomer *c;
	int			n;
	double		wsum;
	double		pen;
	double		scale;			/* 10 / max T: theta[1] = log(alpha * scale),
								 * lifetimes' time rescaling */
	int			xtab;			/* tables cover x < xtab */
} BgData;

static bool
bgnbd_row_ok(double x, double t_x, double T)
{
	if (!isfinite(x) || x < 0.0 || x != floor(x) || !isfinite(T) || T < 0.0)
		return false;
	return x == 0.0 || (isfinite(t_x) && t_x >= 0.0 && t_x <= T);
}

/*
 * Mean negative log-likelihood (plus penalty) at theta = log(r, alpha *
 * scale, a, b) and its gradient in theta.  Per customer (paper eq. 6, in logs):
 *	 lnG(r+x) - lnG(r) + r ln alpha + lnB(a,b+x) - lnB(a,b)
 *	 + ln(e^A3 + [x>0] e^A4),  A3 = -(r+x) ln(alpha+T),
 *	   A4 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x)
 * the last term by log-sum-exp.  The x-only terms are sums over j < x, so
 * they are tabulated by recurrence once per call: no lgamma per customer.
 */
static double
bgnbd_objective(const double *theta, double *grad, void *arg)
{
	const BgData *d = (const BgData *) arg;
	double		r = exp(theta[0]),
				al = exp(theta[1]) / d->scale,
				a = exp(theta[2]),
				b = exp(theta[3]);
	double		lal = log(al),
				la = log(a);
	double		lg_r[XTAB],		/* lnG(r+x) - lnG(r) */
				lb_ab[XTAB],	/* lnB(a,b+x) - lnB(a,b) */
				dg_r[XTAB],		/* d/dr of lg_r */
				dg_a[XTAB],		/* d/da of lb_ab */
				dg_b[XTAB],		/* d/db of lb_ab */
				l_b1[XTAB];		/* ln(b+x-1) */
	double		ll = 0.0,
				gr = 0.0,
				gal = 0.0,
				ga = 0.0,
				gb = 0.0,
				pen;

	lg_r[0] = lb_ab[0] = dg_r[0] = dg_a[0] = dg_b[0] = l_b1[0] = 0.0;
	for (int k = 1; k < d->xtab; k++)
	{
		double		j = k - 1;

		lg_r[k] = lg_r[k - 1] + log(r + j);
		l_b1[k] = log(b + j);
		lb_ab[k] = lb_ab[k - 1] + l_b1[k] - log(a + b + j);
		dg_r[k] = dg_r[k - 1] + 1.0 / (r + j);
		dg_a[k] = dg_a[k - 1] - 1.0 / (a + b + j);
		dg_b[k] = dg_b[k - 1] + 1.0 / (b + j) - 1.0 / (a + b + j);
	}

	for (int i = 0; i < d->n; i++)
	{
		const BtydCustomer *c = &d->c[i];
		double		w = c->w,
					x = c->x,
					lT;

		if (w == 0.0)
			continue;
		lT = log(al + c->T);
		if (x == 0.0)
		{
			ll += w * r * (lal - lT);
			gr += w * (lal - lT);
			gal += w * r * (1.0 / al - 1.0 / (al + c->T));
		}
		else
		{
			double		lgr,
						lbab,
						dgr,
						dga,
						dgb,
						lb1,
						lt,
						A3,
						A4,
						u,
						lse,
						wB;

			if (x < d->xtab)
			{
				int			k = (int) x;

				lgr = lg_r[k];
				lbab = lb_ab[k];
				dgr = dg_r[k];
				dga = dg_a[k];
				dgb = dg_b[k];
				lb1 = l_b1[k];
			}
			else
			{
				lgr = lgamma(r + x) - lgamma(r);
				lbab = lgamma(b + x) - lgamma(b) - lgamma(a + b + x) + lgamma(a + b);
				dgr = digamma(r + x) - digamma(r);
				dga = digamma(a + b) - digamma(a + b + x);
				dgb = digamma(b + x) - digamma(b) + dga;
				lb1 = log(b + x - 1.0);
			}
			lt = log(al + c->t_x);
			A3 = -(r + x) * lT;
			A4 = la - lb1 - (r + x) * lt;
			/* wB: the weight of the "dropped out after the last purchase" term */
			if (A3 >= A4)
			{
				u = exp(A4 - A3);
				lse = A3 + log1p(u);
				wB = u / (1.0 + u);
			}
			else
			{
				u = exp(A3 - A4);
				lse = A4 + log1p(u);
				wB = 1.0 / (1.0 + u);
			}
			ll += w * (lgr + r * lal + lbab + lse);
			gr += w * (dgr + lal - (1.0 - wB) * lT - wB * lt);
			gal += w * (r / al - (r + x) * ((1.0 - wB) / (al + c->T) + wB / (al + c->t_x)));
			ga += w * (dga + wB / a);
			gb += w * (dgb - wB / (b + x - 1.0));
		}
	}

	pen = d->pen * (r * r + exp(2.0 * theta[1]) + a * a + b * b);
	grad[0] = -r * gr / d->wsum + 2.0 * d->pen * r * r;
	grad[1] = -al * gal / d->wsum + 2.0 * d->pen * exp(2.0 * theta[1]);
	grad[2] = -a * ga / d->wsum + 2.0 * d->pen * a * a;
	grad[3] = -b * gb / d->wsum + 2.0 * d->pen * b * b;
	ll = -ll / d->wsum + pen;
	if (!isfinite(ll) || !isfinite(grad[0]) || !isfinite(grad[1]) ||
		!isfinite(grad[2]) || !isfinite(grad[3]))
		return INFINITY;
	return ll;
}

/* Check the rows and set up d; also the sums a default start needs. */
static BtydStatus
bgnbd_prepare(const BtydCustomer *c, int n, BgData *d, double *swT,
			  double *swx, bool *repeat)
{
	double		maxT = 0.0,
				maxx = 0.0;

	if (n < 0 || (n > 0 && c == NULL))
		return BTYD_BAD_INPUT;
	d->c = c;
	d->n = n;
	d->wsum = d->pen = 0.0;
	*swT = *swx = 0.0;
	*repeat = false;
	for (int i = 0; i < n; i++)
	{
		if (!isfinite(c[i].w) || c[i].w < 0.0)
			return BTYD_BAD_INPUT;
		if (c[i].w == 0.0)
			continue;
		if (!bgnbd_row_ok(c[i].x, c[i].t_x, c[i].T))
			return BTYD_BAD_INPUT;
		d->wsum += c[i].w;
		*swT += c[i].w * c[i].T;
		*swx += c[i].w * c[i].x;
		maxT = fmax(maxT, c[i].T);
		maxx = fmax(maxx, c[i].x);
		if (c[i].x > 0.0)
			*repeat = true;
	}
	d->scale = (maxT > 0.0) ? 10.0 / maxT : 1.0;
	d->xtab = (maxx + 1.0 < XTAB) ? (int) maxx + 1 : XTAB;
	return BTYD_OK;
}

BtydStatus
btyd_bgnbd_loglik(const double *par, const BtydCustomer *c, int n,
				  double *loglik)
{
	BgData		d;
	double		theta[4],
				grad[4],
				swT,
				swx,
				f;
	bool		repeat;
	BtydStatus	st;

	if (!positive_params(par, 4) || loglik == NULL)
		return BTYD_BAD_INPUT;
	if ((st = bgnbd_prepare(c, n, &d, &swT, &swx, &repeat)) != BTYD_OK)
		return st;
	if (d.wsum == 0.0)
	{
		*loglik = 0.0;
		return BTYD_OK;
	}
	for (int j = 0; j < 4; j++)
		theta[j] = log(par[j]);
	theta[1] += log(d.scale);
	f = bgnbd_objective(theta, grad, &d);
	if (!isfinite(f))
		return BTYD_UNDEFINED;
	*loglik = -f * d.wsum;
	return BTYD_OK;
}

BtydStatus
btyd_bgnbd_fit(const BtydCustomer *c, int n, const double *start,
			   double penalizer, BtydFit *fit)
{
	BgData		d;
	double		theta[4],
				swT,
				swx;
	bool		repeat;
	BtydStatus	st,
				st2;

	if (fit == NULL || !isfinite(penalizer) || penalizer < 0.0 ||
		(start != NULL && !positive_params(start, 4)))
		return BTYD_BAD_INPUT;
	if ((st = bgnbd_prepare(c, n, &d, &swT, &swx, &repeat)) != BTYD_OK)
		return st;
	if (d.wsum < 4.0)
		return BTYD_TOO_FEW;
	if (!repeat)
		return BTYD_NOT_IDENTIFIABLE;

	if (start != NULL)
		for (int j = 0; j < 4; j++)
			theta[j] = log(start[j]);
	else
	{
		/* r = 1 and alpha near mean T per purchase: the scale of the data */
		theta[0] = theta[2] = theta[3] = 0.0;
		theta[1] = (swT > 0.0) ? log(swT / (d.wsum + swx)) : 0.0;
	}
	theta[1] += log(d.scale);
	d.pen = penalizer;
	st = minimize(bgnbd_objective, &d, 4, theta, &fit->iterations);

	for (int j = 0; j < 4; j++)
		fit->par[j] = exp(theta[j]);
	fit->par[1] /= d.scale;
	fit->nobs = d.wsum;
	st2 = btyd_bgnbd_loglik(fit->par, c, n, &fit->loglik);
	if (st == BTYD_OK && st2 != BTYD_OK)
		st = BTYD_NO_CONVERGENCE;
	return st;
}

BtydStatus
btyd_bgnbd_p_alive(const double *par, double x, double t_x, double T,
				   double *p)
{
	double		r,
				al,
				a,
				b,
				la,
				lt,
				rl;

	if (!positive_params(par, 4) || !bgnbd_row_ok(x, t_x, T) || p == NULL)
		return BTYD_BAD_INPUT;
	r = par[0];
	al = par[1];
	a = par[2];
	b = par[3];
	if (x == 0.0)
	{
		*p = 1.0;				/* no repeat purchase, no chance to drop out */
		return BTYD_OK;
	}

	/*
	 * 1 / (1 + e^(la + rl)), la = ln(a / (b+x-1)), rl = (r+x) ln((alpha+T) /
	 * (alpha+t_x)).  Near the ends of the double range the ratios and sums
	 * overflow or underflow (la = -inf with rl = +inf gave NaN): then each
	 * piece in logs, which keeps la finite and rl >= 0.
	 */
	la = log(a / (b + x - 1.0));
	if (!isfinite(la))
		la = log(a) - ((b >= x - 1.0) ? log(b) + log1p((x - 1.0) / b)
					   : log(x - 1.0) + log1p(b / (x - 1.0)));
	lt = log1p((T - t_x) / (al + t_x));
	if (!isfinite(al + t_x))
		lt = log1p((0.5 * (T - t_x)) / (0.5 * al + 0.5 * t_x));
	else if (!isfinite(lt))
		lt = log(T - t_x) - log(al + t_x);	/* the ratio overflowed */
	rl = (r + x) * lt;
	if (!isfinite(r + x))
		rl = r * lt + x * lt;	/* inf * 0 would be NaN */
	*p = 1.0 / (1.0 + exp(la + rl));
	return BTYD_OK;
}

/*
 * K = k = t1 - t2 for bgnbd_bracket(), size = |t1| + |t2|.  K >= 0 (the
 * expected purchases of a customer alive at T), but at extreme parameters
 * (r ~ 1e-100 with b ~ 1e100, alpha and a ~ 1e15) t1 and t2 are huge and
 * nearly equal, and their difference is noise, even negative: refuse rather
 * than return it.
 */
static BtydStatus
bracket_result(double k, double size, double *K)
{
	if (!isfinite(k))
		return BTYD_UNDEFINED;
	if (k < 0.0 || size > K_CANCEL * k)
		return BTYD_NO_CONVERGENCE;
	*K = k;
	return BTYD_OK;
}

/* bgnbd_bracket() near z = 1 by the connection formula; see there. */
static BtydStatus
bgnbd_bracket_far(double A, double B, double C, double w, double lw, double *K)
{
	double		F;
	BtydStatus	st;

	if (fabs(B) < 1e-5 || fabs(C) < 1e-5)
	{
		double		dB = (fabs(B) < 1e-5) ? 2e-5 : 0.0,
					dC = (fabs(C) < 1e-5) ? 2e-5 : 0.0,
					k1,
					k2;

		if ((st = bgnbd_bracket_far(A, B + dB, C + dC, w, lw, &k1)) != BTYD_OK ||
			(st = bgnbd_bracket_far(A, B - dB, C - dC, w, lw, &k2)) != BTYD_OK)
			return st;
		*K = 0.5 * (k1 + k2);
		return BTYD_OK;
	}
	if ((st = hyp2f1_near_one(A, B, C, w, &F)) != BTYD_OK)
		return st;
	return bracket_result(C / B * (1.0 - exp(B * lw) * F),
						  fabs(C / B) * (1.0 + fabs(exp(B * lw) * F)), K);
}

/*
 * The bracket of paper eqs. 9 and 10,
 *	 K = C/B * [1 - w^(r+x) 2F1(r+x, b+x; C; z)],	w = 1 - z,
 * with B = a - 1, C = a+b+x-1.  Euler's transformation turns it into
 * C/B * [1 - w^B 2F1(A, B; C; z)] with A = a+b-1-r, whose parameters no
 * longer grow with x.  Writing (B)_n = B (B+1)_{n-1} and (C)_n =
 * C (C+1)_{n-1} removes the 1/B and the 1/C:
 *	 K = -C expm1(B ln w)/B - w^B S,
 *	 S = sum_{n>=1} (A)_n (B+1)_{n-1} / ((C+1)_{n-1} n!) z^n
 *	   = A z 3F2(A+1, B+1, 1; C+1, 2; z),
 * regular for all a, b > 0 (C + 1 = a+b+x > 0).  S converges like
 * n^(a-r-x-2) z^n, slowly as z -> 1; there the 2F1 form with the
 * connection formula takes over, stepping around B = 0 and C = 0 (mean of
 * two neighbours; K is analytic in both).
 */
static BtydStatus
bgnbd_bracket(double A, double B, double C, double z, double w, double lw,
			  double *K)
{
	double		e = (B == 0.0) ? -lw : -expm1(B * lw) / B;
	double		s;
	bool		far;
	BtydStatus	st;

	if (z == 0.0)
	{
		*K = 0.0;
		return BTYD_OK;
	}

	/*
	 * The series needs about 37/(-ln z) terms; past SERIES_SLOW the
	 * connection formula is much cheaper, and as accurate except for large
	 * x with large a and b, where it cancels (and says so): then each method
	 * is the other's fallback.
	 */
	far = (z > 0.75 && 37.0 > -log1p(-w) * SERIES_SLOW);
	if (far && bgnbd_bracket_far(A, B, C, w, lw, K) == BTYD_OK)
		return BTYD_OK;
	st = series(A + 1.0, B + 1.0, C + 1.0, 2.0, z, &s);
	if (st == BTYD_OK)
		return bracket_result(C * e - exp(B * lw) * A * z * s,
							  fabs(C * e) + fabs(exp(B * lw) * A * z * s), K);
	if (far || z <= 0.75)
		return st;
	return bgnbd_bracket_far(A, B, C, w, lw, K);
}

BtydStatus
btyd_bgnbd_conditional(const double *par, double x, double t_x, double T,
					   double t, double *e)
{
	double		r,
				a,
				b,
				span,
				lw,
				K,
				p;
	BtydStatus	st;

	if (!positive_params(par, 4) || !bgnbd_row_ok(x, t_x, T) ||
		!isfinite(t) || t < 0.0 || e == NULL)
		return BTYD_BAD_INPUT;
	r = par[0];
	a = par[2];
	b = par[3];
	span = par[1] + T + t;
	if (!isfinite(span))
		return BTYD_UNDEFINED;	/* else z = t/span = 0 and E = 0, wrongly */

	/*
	 * z = t/(alpha+T+t); 1 - z computed directly, it matters near z = 1.
	 * ln(1 - z) = -ln(1 + t/(alpha+T)): log(1 - z) has an absolute error of
	 * ~1e-16, which (1-z)^(a-1) turns into a relative error of ~(a-1)1e-16/z
	 * (all of E's digits for a ~ 1e5 and z ~ 1e-4).
	 */
	lw = -log1p(t / (par[1] + T));
	if (!isfinite(lw))
		lw = log((par[1] + T) / span);
	st = bgnbd_bracket(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0,
					   t / span, (par[1] + T) / span, lw, &K);
	if (st != BTYD_OK)
		return st;
	if ((st = btyd_bgnbd_p_alive(par, x, t_x, T, &p)) != BTYD_OK)
		return st;
	*e = K * p;
	return isfinite(*e) ? BTYD_OK : BTYD_UNDEFINED;
}

BtydStatus
btyd_bgnbd_expected(const double *par, double t, double *e)
{
	/* a new customer: eq. 10 at x = t_x = T = 0 is eq. 9 */
	return btyd_bgnbd_conditional(par, 0.0, 0.0, 0.0, t, e);
}

/* ---------------------------------------------------------------------
 * Gamma-Gamma
 * --------------------------------------------------------------------- */

typedef struct GgData
{
	const BtydCustomer *c;
	int			n;
	double		wsum;
	double		pen;
	double		vscale;			/* theta[2] = log(v / vscale), vscale = mean m */
} GgData;

/*
 * Mean negative log-likelihood (plus penalty) at theta = log(p, q, v/vscale)
 * over the rows with x > 0: the density of the mean m of x transactions,
 *	 lnG(px+q) - lnG(px) - lnG(q) + q ln v + (px-1) ln m + px ln x
 *	 - (px+q) ln(x m + v).
 */
static double
gg_objective(const double *theta, double *grad, void *arg)
{
	const GgData *d = (const GgData *) arg;
	double		p = exp(theta[0]),
				q = exp(theta[1]),
				v = exp(theta[2]) * d->vscale;
	double		lgq = lgamma(q),
				dgq = digamma(q),
				lv = log(v);
	double		ll = 0.0,
				gp = 0.0,
				gq = 0.0,
				gv = 0.0;

	for (int i = 0; i < d->n; i++)
	{
		const BtydCustomer *c = &d->c[i];
		double		w = c->w,
					x = c->x,
					px,
					lxm,
					lxmv,
					dpq;

		if (w == 0.0 || x == 0.0)
			continue;
		px = p * x;
		lxm = log(x * c->m);
		lxmv = log(x * c->m + v);
		dpq = digamma(px + q);
		ll += w * (lgamma(px + q) - lgamma(px) - lgq + q * lv + px * lxm
				   - log(c->m) - (px + q) * lxmv);
		gp += w * x * (dpq - digamma(px) + lxm - lxmv);
		gq += w * (dpq - dgq + lv - lxmv);
		gv += w * (q / v - (px + q) / (x * c->m + v));
	}
	grad[0] = -p * gp / d->wsum + 2.0 * d->pen * p * p;
	grad[1] = -q * gq / d->wsum + 2.0 * d->pen * q * q;
	grad[2] = -v * gv / d->wsum + 2.0 * d->pen * v * v;
	ll = -ll / d->wsum + d->pen * (p * p + q * q + v * v);
	if (!isfinite(ll) || !isfinite(grad[0]) || !isfinite(grad[1]) ||
		!isfinite(grad[2]))
		return INFINITY;
	return ll;
}

static BtydStatus
gg_prepare(const BtydCustomer *c, int n, GgData *d)
{
	double		swm = 0.0;

	if (n < 0 || (n > 0 && c == NULL))
		return BTYD_BAD_INPUT;
	d->c = c;
	d->n = n;
	d->wsum = d->pen = 0.0;
	d->vscale = 1.0;
	for (int i = 0; i < n; i++)
	{
		if (!isfinite(c[i].w) || c[i].w < 0.0 || !isfinite(c[i].x) ||
			c[i].x < 0.0)
			return BTYD_BAD_INPUT;
		if (c[i].w == 0.0 || c[i].x == 0.0)
			continue;
		if (!isfinite(c[i].m) || c[i].m <= 0.0)
			return BTYD_BAD_INPUT;
		d->wsum += c[i].w;
		swm += c[i].w * c[i].m;
	}
	if (d->wsum > 0.0)
		d->vscale = swm / d->wsum;
	return BTYD_OK;
}

BtydStatus
btyd_gg_loglik(const double *par, const BtydCustomer *c, int n,
			   double *loglik)
{
	GgData		d;
	double		theta[3],
				grad[3],
				f;
	BtydStatus	st;

	if (!positive_params(par, 3) || loglik == NULL)
		return BTYD_BAD_INPUT;
	if ((st = gg_prepare(c, n, &d)) != BTYD_OK)
		return st;
	if (d.wsum == 0.0)
	{
		*loglik = 0.0;
		return BTYD_OK;
	}
	for (int j = 0; j < 3; j++)
		theta[j] = log(par[j]);
	theta[2] -= log(d.vscale);
	f = gg_objective(theta, grad, &d);
	if (!isfinite(f))
		return BTYD_UNDEFINED;
	*loglik = -f * d.wsum;
	return BTYD_OK;
}

BtydStatus
btyd_gg_fit(const BtydCustomer *c, int n, const double *start,
			double penalizer, BtydFit *fit)
{
	GgData		d;
	double		theta[3];
	BtydStatus	st,
				st2;

	if (fit == NULL || !isfinite(penalizer) || penalizer < 0.0 ||
		(start != NULL && !positive_params(start, 3)))
		return BTYD_BAD_INPUT;
	if ((st = gg_prepare(c, n, &d)) != BTYD_OK)
		return st;
	if (d.wsum < 3.0)
		return BTYD_TOO_FEW;

	if (start != NULL)
		for (int j = 0; j < 3; j++)
			theta[j] = log(start[j]);
	else
	{
		/* p = 1, q = 2: population mean spend p v / (q - 1) = v = mean m */
		theta[0] = 0.0;
		theta[1] = log(2.0);
		theta[2] = log(d.vscale);
	}
	theta[2] -= log(d.vscale);
	d.pen = penalizer;
	st = minimize(gg_objective, &d, 3, theta, &fit->iterations);

	for (int j = 0; j < 3; j++)
		fit->par[j] = exp(theta[j]);
	fit->par[2] *= d.vscale;
	fit->par[3] = 0.0;
	fit->nobs = d.wsum;
	st2 = btyd_gg_loglik(fit->par, c, n, &fit->loglik);
	if (st == BTYD_OK && st2 != BTYD_OK)
		st = BTYD_NO_CONVERGENCE;
	return st;
}

BtydStatus
btyd_gg_expected_spend(const double *par, double x, double m_x, double *spend)
{
	double		p,
				q,
				v,
				s;

	if (!positive_params(par, 3) || !isfinite(x) || x < 0.0 ||
		!isfinite(m_x) || spend == NULL)
		return BTYD_BAD_INPUT;
	p = par[0];
	q = par[1];
	v = par[2];
	if (x > 0.0 && !(m_x > 0.0))
		return BTYD_BAD_INPUT;
	if (!(p * x + q > 1.0))
		return BTYD_UNDEFINED;	/* the posterior mean of 1/nu is infinite */
	s = p * (v + (x > 0.0 ? x * m_x : 0.0)) / (p * x + q - 1.0);
	if (!isfinite(s))
	{
		/*
		 * p (v + x m) and p x overflow (inf / inf was NaN) where the spend
		 * itself need not: divide by p first.
		 */
		double		den = x + (q - 1.0) / p;

		if (!(den > 0.0))
			return BTYD_UNDEFINED;
		s = v / den + (x > 0.0 ? (x / den) * m_x : 0.0);
		if (!isfinite(s))
			return BTYD_UNDEFINED;
	}
	*spend = s;
	return BTYD_OK;
}

/* ---------------------------------------------------------------------
 * CLV
 * --------------------------------------------------------------------- */

BtydStatus
btyd_clv(const double *bgnbd, double x, double t_x, double T, double spend,
		 int periods, double period_length, double discount_rate, double *clv)
{
	double		prev = 0.0,
				disc = 1.0,
				sum = 0.0;

	if (!isfinite(spend) || periods < 0 || !isfinite(period_length) ||
		!(period_length > 0.0) || !isfinite(discount_rate) ||
		!(discount_rate > -1.0) || clv == NULL)
		return BTYD_BAD_INPUT;
	if (!positive_params(bgnbd, 4) || !bgnbd_row_ok(x, t_x, T))
		return BTYD_BAD_INPUT;
	for (int i = 1; i <= periods; i++)
	{
		double		cur;
		BtydStatus	st = btyd_bgnbd_conditional(bgnbd, x, t_x, T,
												i * period_length, &cur);

		if (st != BTYD_OK)
			return st;
		disc /= 1.0 + discount_rate;
		sum += (cur - prev) * disc;
		prev = cur;
	}
	/* a discount rate near -1 overflows disc (and inf * 0 is NaN) */
	if (!isfinite(sum) || !isfinite(spend * sum))
		return BTYD_UNDEFINED;
	*clv = spend * sum;
	return BTYD_OK;
}
