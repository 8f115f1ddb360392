/*
 * bgnbd_fit.c
 *		The aggregate prio.bgnbd_fit(x, t_x, T) RETURNS prio.bgnbd: the customers
 *		collected, the BG/NBD model fitted (rules/btyd.c) in the final function.
 *		fit_combine, fit_serialize and fit_deserialize serve prio.gammagamma_fit too.
 */
#include "prio.h"

#include "btyd.h"
#include "btyd_args.h"
#include "libpq/pqformat.h"

PG_FUNCTION_INFO_V1(prio_bgnbd_accum);
Datum
prio_bgnbd_accum(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	FitState   *st = BtydFitState(fcinfo, "prio.bgnbd_fit", &cxt);
	MemoryContext old;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(st);
	old = MemoryContextSwitchTo(cxt);
	BtydFitAdd(st, BtydBgnbdRow(fcinfo, 1));
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(prio_fit_combine);
Datum
prio_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	FitState   *a = BtydFitState(fcinfo, "prio fit", &cxt);
	FitState   *b = PG_ARGISNULL(1) ? NULL : (FitState *) PG_GETARG_POINTER(1);
	MemoryContext old = MemoryContextSwitchTo(cxt);

	for (int i = 0; b != NULL && i < b->n; i++)
		BtydFitAdd(a, b->c[i]);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(prio_fit_serialize);
Datum
prio_fit_serialize(PG_FUNCTION_ARGS)
{
	FitState   *st;
	StringInfoData buf;

	(void) BtydAggContext(fcinfo, "prio fit");
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
	MemoryContext cxt = BtydAggContext(fcinfo, "prio fit");
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

PG_FUNCTION_INFO_V1(prio_bgnbd_final);
Datum
prio_bgnbd_final(PG_FUNCTION_ARGS)
{
	FitState   *st = PG_ARGISNULL(0) ? NULL : (FitState *) PG_GETARG_POINTER(0);
	BtydFit		fit;

	BtydCheckFit(btyd_bgnbd_fit(st ? st->c : NULL, st ? st->n : 0, NULL, 0.0, &fit),
				 "prio.bgnbd_fit");
	PG_RETURN_DATUM(BtydFitResult(fcinfo, &fit, 4, "prio.bgnbd"));
}
