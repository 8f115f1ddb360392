/*
 * expected_spend.c
 *		prio.expected_spend(params, x, mean_value): the Gamma-Gamma expected
 *		spend per transaction of a customer.
 */
#include "prio.h"

#include <math.h>

#include "btyd.h"
#include "btyd_args.h"

static double
spend_of(FunctionCallInfo fcinfo, const double *gg, int xarg)
{
	double		x;
	double		m;

	CheckArgNotNull(fcinfo, xarg, "x");
	CheckArgNotNull(fcinfo, xarg + 1, "mean_value");
	x = BtydArgDouble(fcinfo, xarg, "x");
	m = BtydArgDouble(fcinfo, xarg + 1, "mean_value");
	if (x < 0 || x != floor(x) || m < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("need a whole x >= 0 and mean_value >= 0, not x = %g, mean_value = %g", x, m)));
	return prio_gg_spend(gg, x, m, "prio.expected_spend");
}

PG_FUNCTION_INFO_V1(prio_expected_spend);
Datum
prio_expected_spend(PG_FUNCTION_ARGS)
{
	double		gg[3];

	BtydReadParams(fcinfo, 0, true, gg);
	PG_RETURN_FLOAT8(spend_of(fcinfo, gg, 1));
}
