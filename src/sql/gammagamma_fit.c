/*
 * gammagamma_fit.c
 *		The aggregate prio.gammagamma_fit(x, mean_value) RETURNS prio.gammagamma:
 *		the repeat buyers collected, the Gamma-Gamma model fitted (rules/btyd.c).
 *		Its combine, serialize and deserialize functions are in bgnbd_fit.c.
 */
#include "prio.h"

#include <math.h>

#include "btyd.h"
#include "btyd_args.h"

PG_FUNCTION_INFO_V1(prio_gammagamma_accum);
Datum
prio_gammagamma_accum(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	FitState   *st = BtydFitState(fcinfo, "prio.gammagamma_fit", &cxt);
	BtydCustomer c = {0, 0, 0, 0, 1};
	MemoryContext old;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);
	c.x = BtydArgDouble(fcinfo, 1, "x");
	c.m = BtydArgDouble(fcinfo, 2, "mean_value");
	if (c.x < 0 || c.x != floor(c.x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x must be a whole number of repeat purchases, not %g", c.x)));
	if (c.x > 0 && !(c.m > 0))
		return PointerGetDatum(st);	/* repeat purchases worth nothing say nothing of spend */
	if (c.x == 0)
		return PointerGetDatum(st);	/* the model uses repeat buyers only */
	old = MemoryContextSwitchTo(cxt);
	BtydFitAdd(st, c);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(prio_gammagamma_final);
Datum
prio_gammagamma_final(PG_FUNCTION_ARGS)
{
	FitState   *st = PG_ARGISNULL(0) ? NULL : (FitState *) PG_GETARG_POINTER(0);
	BtydFit		fit;

	BtydCheckFit(btyd_gg_fit(st ? st->c : NULL, st ? st->n : 0, NULL, 0.0, &fit),
				 "prio.gammagamma_fit");
	PG_RETURN_DATUM(BtydFitResult(fcinfo, &fit, 3, "prio.gammagamma"));
}
