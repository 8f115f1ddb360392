/*
 * expected_purchases.c
 *		prio.expected_purchases(params, t [, x, t_x, T]): BG/NBD expected
 *		purchases in t, of a new customer or given the customer's history.
 */
#include "prio.h"

#include "btyd.h"
#include "btyd_args.h"

PG_FUNCTION_INFO_V1(prio_expected_purchases_conditional);
Datum
prio_expected_purchases_conditional(PG_FUNCTION_ARGS)
{
	double		par[4];
	BtydCustomer c;
	double		t;
	double		e;

	BtydReadParams(fcinfo, 0, false, par);
	CheckArgNotNull(fcinfo, 1, "t");
	for (int i = 2; i <= 4; i++)
		CheckArgNotNull(fcinfo, i, i == 2 ? "x" : i == 3 ? "t_x" : "T");
	t = BtydArgDouble(fcinfo, 1, "t");
	if (t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t must not be negative")));
	c = BtydBgnbdRow(fcinfo, 2);
	BtydCheckValue(btyd_bgnbd_conditional(par, c.x, c.t_x, c.T, t, &e),
				   "prio.expected_purchases");
	PG_RETURN_FLOAT8(e);
}

PG_FUNCTION_INFO_V1(prio_expected_purchases_new);
Datum
prio_expected_purchases_new(PG_FUNCTION_ARGS)
{
	double		par[4];
	double		t;
	double		e;

	BtydReadParams(fcinfo, 0, false, par);
	CheckArgNotNull(fcinfo, 1, "t");
	t = BtydArgDouble(fcinfo, 1, "t");
	if (t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t must not be negative")));
	BtydCheckValue(btyd_bgnbd_expected(par, t, &e), "prio.expected_purchases");
	PG_RETURN_FLOAT8(e);
}
