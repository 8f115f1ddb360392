/*
 * summary.c
 *		prio.customer_summary(): a customer's BTYD inputs (x, t_x, T,
 *		mean_value) from its customer_state row, without reading its
 *		activities.  The fold keeps the first purchase, the number of UTC
 *		calendar days with purchases and the first day's amount, so this
 *		equals prio.clv_summary() over the customer's purchases.
 */
#include "prio.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

enum
{
	S_FIRST_PURCHASE_AT, S_LAST_PURCHASE_AT, S_PURCHASE_DAYS, S_MONETARY,
	S_FIRST_DAY_AMOUNT, S_NFIELDS
};

static const char *const state_fields[S_NFIELDS] = {
	"first_purchase_at", "last_purchase_at", "purchase_days", "monetary", "first_day_amount"
};
static const Oid state_types[S_NFIELDS] = {
	TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID, NUMERICOID, NUMERICOID
};
static const Oid summary_types[4] = {INT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID};

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

/* A reader of the state row fields the summary needs */
void
StateSummaryReaderInit(RowReader *rr)
{
	memset(rr, 0, sizeof(RowReader));
	rr->what = "prio.customer_state";
	rr->names = state_fields;
	rr->types = state_types;
	rr->nfields = S_NFIELDS;
}

/*
 * (x, t_x, T, mean_value) of a customer_state row as of as_of, in units of
 * unit_days: what prio.customer_summary() returns; false without purchases.
 */
bool
prio_state_summary(RowReader *rr, Datum state, MemoryContext cxt, TimestampTz as_of,
				   double unit_days, double *out)
{
	bool		isnull[S_NFIELDS];
	Datum		v[S_NFIELDS];

	RowBind(rr, state, cxt);
	for (int i = 0; i < S_NFIELDS; i++)
		v[i] = RowGet(rr, i, &isnull[i]);
	if (isnull[S_FIRST_PURCHASE_AT] || isnull[S_LAST_PURCHASE_AT])
		return false;
	if (!isnull[S_MONETARY])
		CheckFiniteNumeric(DatumGetNumeric(v[S_MONETARY]), "monetary");
	if (!isnull[S_FIRST_DAY_AMOUNT])
		CheckFiniteNumeric(DatumGetNumeric(v[S_FIRST_DAY_AMOUNT]), "first_day_amount");
	prio_btyd_inputs(DatumGetTimestampTz(v[S_FIRST_PURCHASE_AT]),
					 DatumGetTimestampTz(v[S_LAST_PURCHASE_AT]),
					 isnull[S_PURCHASE_DAYS] ? 0 : DatumGetInt64(v[S_PURCHASE_DAYS]),
					 isnull[S_MONETARY] ? NULL : DatumGetNumeric(v[S_MONETARY]),
					 isnull[S_FIRST_DAY_AMOUNT] ? NULL : DatumGetNumeric(v[S_FIRST_DAY_AMOUNT]),
					 as_of, unit_days, out);
	/* x is returned as a bigint */
	out[0] = (double) (int64) out[0];
	return true;
}

/*
 * prio.customer_summary(state prio.customer_state, as_of timestamptz,
 *                       unit interval) RETURNS prio.btyd_summary
 *
 * NULL for a customer without purchases.
 */
PG_FUNCTION_INFO_V1(prio_customer_summary);
Datum
prio_customer_summary(PG_FUNCTION_ARGS)
{
	RowReader  *rr = fcinfo->flinfo->fn_extra;
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	double		unit_days;
	double		out[4];

	CheckArgNotNull(fcinfo, 0, "state");
	CheckArgNotNull(fcinfo, 1, "as_of");
	CheckArgNotNull(fcinfo, 2, "unit");
	if (TIMESTAMP_NOT_FINITE(PG_GETARG_TIMESTAMPTZ(1)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite time")));
	unit_days = CheckPositiveInterval(PG_GETARG_INTERVAL_P(2), "unit") / USECS_PER_DAY;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("prio.customer_summary must return the composite type prio.btyd_summary")));
	CheckResultDesc(desc, summary_types, 4, "prio.btyd_summary");

	if (rr == NULL)
	{
		rr = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(RowReader));
		StateSummaryReaderInit(rr);
		fcinfo->flinfo->fn_extra = rr;
	}
	if (!prio_state_summary(rr, PG_GETARG_DATUM(0), fcinfo->flinfo->fn_mcxt,
							PG_GETARG_TIMESTAMPTZ(1), unit_days, out))
		PG_RETURN_NULL();
	values[0] = Int64GetDatum((int64) out[0]);
	for (int i = 1; i < 4; i++)
		values[i] = Float8GetDatum(out[i]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
