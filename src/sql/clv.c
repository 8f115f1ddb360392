/*
 * clv.c
 *		prio.clv(bgnbd, gammagamma, x, t_x, T, mean_value, horizon,
 *		discount_rate, period) and prio.clv(bgnbd, gammagamma, state, horizon,
 *		discount_rate, as_of): the discounted value of a customer over a horizon
 *		(the maths in rules/clv.c and rules/btyd.c).
 */
#include "prio.h"

#include "btyd.h"
#include "btyd_args.h"

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

	BtydReadParams(fcinfo, 0, false, bg);
	BtydReadParams(fcinfo, 1, true, gg);
	for (int i = 2; i <= 8; i++)
		CheckArgNotNull(fcinfo, i, i == 6 ? "horizon" : i == 7 ? "discount_rate" : i == 8 ? "period" : "customer summary");
	c = BtydBgnbdRow(fcinfo, 2);
	horizon = PG_GETARG_INT32(6);
	rate = BtydArgDouble(fcinfo, 7, "discount_rate");
	period = BtydArgDouble(fcinfo, 8, "period");
	prio_clv_check_horizon(horizon, rate, period);
	PG_RETURN_FLOAT8(prio_clv_value(bg, gg, c, horizon, rate, period,
									BtydArgDouble(fcinfo, 5, "mean_value")));
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
	if (!BtydStateSummary(fcinfo, 2, 5, in))
		PG_RETURN_NULL();
	/* the raw (unchecked) Gamma-Gamma fields, as SQL read them */
	cache = BtydParamsCache(fcinfo, sizeof(StateCache));
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
	BtydReadParams(fcinfo, 0, false, bg);
	BtydReadParams(fcinfo, 1, true, gg);
	CheckArgNotNull(fcinfo, 3, "horizon");
	CheckArgNotNull(fcinfo, 4, "discount_rate");
	c = prio_bgnbd_customer(in[0], in[1], in[2]);
	horizon = PG_GETARG_INT32(3);
	rate = BtydArgDouble(fcinfo, 4, "discount_rate");
	prio_clv_check_horizon(horizon, rate, 4.345);
	CheckFiniteDouble(mean, "mean_value");
	PG_RETURN_FLOAT8(prio_clv_value(bg, gg, c, horizon, rate, 4.345, mean));
}
