/*
 * btyd_args.c
 *		What the SQL functions of the BTYD models share: the aggregates'
 *		memory context, the fits' collected customers and result row, the
 *		models' parameter rows and the customer arguments, read and checked.
 */
#include "prio.h"

#include <math.h>

#include "btyd.h"
#include "btyd_args.h"
#include "catalog/pg_type.h"
#include "funcapi.h"

MemoryContext
BtydAggContext(FunctionCallInfo fcinfo, const char *name)
{
	MemoryContext cxt;

	/* their internal arguments keep SQL from calling them but as an aggregate's */
	if (!AggCheckCallContext(fcinfo, &cxt))
		elog(ERROR, "%s support function called in non-aggregate context", name);
	return cxt;
}

FitState *
BtydFitState(FunctionCallInfo fcinfo, const char *name, MemoryContext *cxt)
{
	*cxt = BtydAggContext(fcinfo, name);
	if (PG_ARGISNULL(0))
	{
		FitState   *st = MemoryContextAllocZero(*cxt, sizeof(FitState));

		st->cap = 64;
		st->c = MemoryContextAlloc(*cxt, sizeof(BtydCustomer) * st->cap);
		return st;
	}
	return (FitState *) PG_GETARG_POINTER(0);
}

void
BtydFitAdd(FitState *st, BtydCustomer c)
{
	if (st->n == st->cap)
	{
		st->cap *= 2;
		st->c = repalloc(st->c, sizeof(BtydCustomer) * st->cap);
	}
	st->c[st->n++] = c;
}

double
BtydArgDouble(FunctionCallInfo fcinfo, int argno, const char *name)
{
	double		v = PG_GETARG_FLOAT8(argno);

	CheckFiniteDouble(v, name);
	return v;
}

BtydCustomer
BtydBgnbdRow(FunctionCallInfo fcinfo, int first)
{
	double		x = BtydArgDouble(fcinfo, first, "x");
	double		t_x = BtydArgDouble(fcinfo, first + 1, "t_x");

	return prio_bgnbd_customer(x, t_x, BtydArgDouble(fcinfo, first + 2, "T"));
}

Datum
BtydFitResult(FunctionCallInfo fcinfo, const BtydFit *fit, int npar, const char *what)
{
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	Oid			want[6];
	int			k = 0;

	/* declared to return the model's row type; ALTER TYPE is checked below */
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type of %s must be a row type", what);
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

static const char *const bgnbd_fields[4] = {"r", "alpha", "a", "b"};
static const char *const gg_fields[3] = {"p", "q", "v"};
static const Oid float8_types[4] = {FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID};

/* fn_extra: a ParamsCache, or a larger struct that begins with one */
ParamsCache *
BtydParamsCache(FunctionCallInfo fcinfo, Size size)
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

void
BtydReadParams(FunctionCallInfo fcinfo, int argno, bool gg, double *par)
{
	ParamsCache *cache = BtydParamsCache(fcinfo, sizeof(ParamsCache));
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

/*
 * The customer's (x, t_x, T, mean_value) in weeks as of as_of, as
 * prio.customer_summary(state, as_of) gives them; false without purchases.
 */
bool
BtydStateSummary(FunctionCallInfo fcinfo, int state_arg, int as_of_arg, double *out)
{
	StateCache *sc = (StateCache *) BtydParamsCache(fcinfo, sizeof(StateCache));
	TimestampTz as_of;

	CheckArgNotNull(fcinfo, state_arg, "state");
	as_of = CheckTimeArg(fcinfo, as_of_arg, "as_of");
	if (sc->state.names == NULL)
		StateSummaryReaderInit(&sc->state);
	return prio_state_summary(&sc->state, PG_GETARG_DATUM(state_arg), fcinfo->flinfo->fn_mcxt,
							  as_of, 7.0, out);
}
