/*
 * rfm.c
 *		RFM scores against cut points, and the prio.rfm aggregate that
 *		collects a customer's raw recency/frequency/monetary facts.
 */
#include "prio.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

/*
 * Validate a breaks array and return its elements: one-dimensional, not
 * empty, no NULL or NaN, ascending (ties allowed).
 */
const float8 *
CheckBreaks(ArrayType *breaks, int *nbreaks)
{
	const float8 *b;
	int			n;

	if (ARR_ELEMTYPE(breaks) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("breaks must be an array of double precision")));
	if (ARR_NDIM(breaks) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("breaks must be a one-dimensional array")));
	n = ArrayGetNItems(ARR_NDIM(breaks), ARR_DIMS(breaks));
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("breaks must not be empty"),
				 errhint("Give n ascending cut points for scores 1 to n+1, e.g. quintiles with 4.")));
	if (ARR_HASNULL(breaks))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("breaks must not contain NULL")));
	b = (const float8 *) ARR_DATA_PTR(breaks);
	for (int i = 0; i < n; i++)
	{
		if (isnan(b[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("breaks must not contain NaN")));
		if (i > 0 && b[i] < b[i - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("breaks must be in ascending order"),
					 errdetail("Break %d (%g) is below break %d (%g).",
							   i + 1, b[i], i, b[i - 1])));
	}
	*nbreaks = n;
	return b;
}

/*
 * k = number of breaks strictly below value; higher is better gives 1 + k,
 * lower is better (recency in days) gives n + 1 - k.
 */
int
prio_rfm_score(double value, const float8 *breaks, int nbreaks,
			   bool higher_is_better)
{
	int			lo = 0;
	int			hi = nbreaks;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (breaks[mid] < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	return higher_is_better ? 1 + lo : nbreaks + 1 - lo;
}

PG_FUNCTION_INFO_V1(prio_rfm_score_sql);
Datum
prio_rfm_score_sql(PG_FUNCTION_ARGS)
{
	const float8 *breaks;
	int			nbreaks;
	double		value;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("breaks must not be NULL")));
	breaks = CheckBreaks(PG_GETARG_ARRAYTYPE_P(1), &nbreaks);
	CheckArgNotNull(fcinfo, 2, "higher_is_better");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	value = PG_GETARG_FLOAT8(0);
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value must not be NaN")));
	PG_RETURN_INT32(prio_rfm_score(value, breaks, nbreaks, PG_GETARG_BOOL(2)));
}

/*
 * prio.rfm aggregate state.  Lives in the aggregate memory context.
 *
 * frequency counts rows with a non-NULL "at"; monetary is their exact sum
 * (NULL amount counts as 0), NULL standing for 0 until a non-zero arrives.
 */
typedef struct RfmState
{
	TimestampTz first_at;
	TimestampTz last_at;
	int64		frequency;
	Numeric		monetary;
} RfmState;

static MemoryContext
rfm_aggcontext(FunctionCallInfo fcinfo)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("prio.rfm support functions can only be called as part of the aggregate")));
	return aggcontext;
}

static RfmState *
rfm_new_state(MemoryContext aggcontext)
{
	RfmState   *state = MemoryContextAllocZero(aggcontext, sizeof(RfmState));

	state->first_at = DT_NOEND;
	state->last_at = DT_NOBEGIN;
	return state;
}

PG_FUNCTION_INFO_V1(prio_rfm_accum);
Datum
prio_rfm_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_aggcontext(fcinfo);
	RfmState   *state = PG_ARGISNULL(0) ? rfm_new_state(aggcontext)
		: (RfmState *) PG_GETARG_POINTER(0);
	TimestampTz at;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(state);
	at = PG_GETARG_TIMESTAMPTZ(1);
	if (at < state->first_at)
		state->first_at = at;
	if (at > state->last_at)
		state->last_at = at;
	state->frequency = CheckedAdd64(state->frequency, 1, "prio.rfm frequency", 0);
	/* a plain summary, as sum() is: NaN and Infinity add up as numeric's do */
	if (!PG_ARGISNULL(2))
		NumericAccum(&state->monetary, PG_GETARG_NUMERIC(2), aggcontext);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(prio_rfm_combine);
Datum
prio_rfm_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_aggcontext(fcinfo);
	RfmState   *a = PG_ARGISNULL(0) ? NULL : (RfmState *) PG_GETARG_POINTER(0);
	RfmState   *b = PG_ARGISNULL(1) ? NULL : (RfmState *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = rfm_new_state(aggcontext);
	if (b->first_at < a->first_at)
		a->first_at = b->first_at;
	if (b->last_at > a->last_at)
		a->last_at = b->last_at;
	a->frequency = CheckedAdd64(a->frequency, b->frequency, "prio.rfm frequency", 0);
	if (b->monetary != NULL)
		NumericAccum(&a->monetary, b->monetary, aggcontext);
	PG_RETURN_POINTER(a);
}

/* bytea: first_at, last_at, frequency as int64, then monetary in numeric_send form */
PG_FUNCTION_INFO_V1(prio_rfm_serialize);
Datum
prio_rfm_serialize(PG_FUNCTION_ARGS)
{
	RfmState   *state;
	StringInfoData buf;

	(void) rfm_aggcontext(fcinfo);
	state = (RfmState *) PG_GETARG_POINTER(0);
	pq_begintypsend(&buf);
	pq_sendint64(&buf, state->first_at);
	pq_sendint64(&buf, state->last_at);
	pq_sendint64(&buf, state->frequency);
	if (state->monetary != NULL)
	{
		bytea	   *m = DatumGetByteaPP(DirectFunctionCall1(numeric_send,
															 NumericGetDatum(state->monetary)));

		pq_sendbytes(&buf, VARDATA_ANY(m), VARSIZE_ANY_EXHDR(m));
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(prio_rfm_deserialize);
Datum
prio_rfm_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = rfm_aggcontext(fcinfo);
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	RfmState   *state = rfm_new_state(aggcontext);
	StringInfoData buf;

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw));
	state->first_at = pq_getmsgint64(&buf);
	state->last_at = pq_getmsgint64(&buf);
	state->frequency = pq_getmsgint64(&buf);
	if (buf.cursor < buf.len)
	{
		Datum		sum = DirectFunctionCall3(numeric_recv, PointerGetDatum(&buf),
											  ObjectIdGetDatum(InvalidOid),
											  Int32GetDatum(-1));

		NumericAccum(&state->monetary, DatumGetNumeric(sum), aggcontext);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

static const Oid summary_types[4] = {TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID, NUMERICOID};

/* (first_at, last_at, frequency, monetary); no rows gives (NULL, NULL, 0, 0) */
PG_FUNCTION_INFO_V1(prio_rfm_final);
Datum
prio_rfm_final(PG_FUNCTION_ARGS)
{
	RfmState   *state = PG_ARGISNULL(0) ? NULL : (RfmState *) PG_GETARG_POINTER(0);
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("prio.rfm must return the composite type prio.rfm_summary")));
	CheckResultDesc(tupdesc, summary_types, 4, "prio.rfm_summary");
	tupdesc = BlessTupleDesc(tupdesc);

	if (state == NULL || state->frequency == 0)
	{
		nulls[0] = nulls[1] = true;
		values[2] = Int64GetDatum(0);
		values[3] = NumericGetDatum(int64_to_numeric(0));
	}
	else
	{
		values[0] = TimestampTzGetDatum(state->first_at);
		values[1] = TimestampTzGetDatum(state->last_at);
		values[2] = Int64GetDatum(state->frequency);
		values[3] = NumericGetDatum(state->monetary != NULL ? state->monetary
									: int64_to_numeric(0));
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* prio.check_breaks(breaks): for CHECK constraints on settings */
PG_FUNCTION_INFO_V1(prio_check_breaks);
Datum
prio_check_breaks(PG_FUNCTION_ARGS)
{
	int			n;

	(void) CheckBreaks(PG_GETARG_ARRAYTYPE_P(0), &n);
	PG_RETURN_BOOL(true);
}

/* Days from last_purchase_at to as_of, exactly as the tier rules count them. */
PG_FUNCTION_INFO_V1(prio_recency_days);
Datum
prio_recency_days(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(ElapsedUsecs(PG_GETARG_TIMESTAMPTZ(0), PG_GETARG_TIMESTAMPTZ(1)) / USECS_PER_DAY);
}
