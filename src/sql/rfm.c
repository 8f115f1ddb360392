/*
 * rfm.c
 *		The prio.rfm aggregate, which collects a customer's raw
 *		recency/frequency/monetary facts: rfm_accum, rfm_combine,
 *		rfm_serialize, rfm_deserialize and rfm_final.
 */
#include "prio.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

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

/* Their internal arguments keep SQL from calling them but as an aggregate's. */
static MemoryContext
rfm_aggcontext(FunctionCallInfo fcinfo)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "prio.rfm support function called in non-aggregate context");
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

	/* declared to return prio.rfm_summary; ALTER TYPE is checked below */
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type of prio.rfm_final must be a row type");
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
