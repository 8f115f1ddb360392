/*
 * p_alive.c
 *		prio.p_alive(params, x, t_x, T) and prio.p_alive(params, state, as_of):
 *		the probability under BG/NBD that the customer is still alive.
 */
#include "prio.h"

#include "btyd.h"
#include "btyd_args.h"

PG_FUNCTION_INFO_V1(prio_p_alive);
Datum
prio_p_alive(PG_FUNCTION_ARGS)
{
	double		par[4];
	BtydCustomer c;
	double		p;

	BtydReadParams(fcinfo, 0, false, par);
	for (int i = 1; i <= 3; i++)
		CheckArgNotNull(fcinfo, i, i == 1 ? "x" : i == 2 ? "t_x" : "T");
	c = BtydBgnbdRow(fcinfo, 1);
	BtydCheckValue(btyd_bgnbd_p_alive(par, c.x, c.t_x, c.T, &p), "prio.p_alive");
	PG_RETURN_FLOAT8(p);
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
	if (!BtydStateSummary(fcinfo, 1, 2, in))
		PG_RETURN_NULL();
	BtydReadParams(fcinfo, 0, false, par);
	c = prio_bgnbd_customer(in[0], in[1], in[2]);
	BtydCheckValue(btyd_bgnbd_p_alive(par, c.x, c.t_x, c.T, &p), "prio.p_alive");
	PG_RETURN_FLOAT8(p);
}
