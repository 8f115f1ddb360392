/*
 * fold.c
 *		The aggregate prio.fold(start, customer_id, at, inbound, kind_stage,
 *		is_purchase, weight, amount, half_life [, activity_id]) RETURNS
 *		prio.facts: fold_accum keeps the rows, fold_final sorts them and
 *		folds them (rules/fold.c) into the start.
 */
#include "prio.h"

#include "funcapi.h"
#include "utils/numeric.h"

/*
 * prio.fold aggregate state.  The rows are kept and sorted by (at,
 * activity_id, arrival) in the final function, so the caller needs no
 * ORDER BY -- which PostgreSQL 15 would honour with one sort per group.
 */
typedef struct FoldEvent
{
	TimestampTz at;
	int64		activity_id;	/* 0 when not given: ties keep arrival order */
	int			seq;
	bool		inbound;
	bool		has_stage;
	PrioStage	stage;
	bool		is_purchase;
	double		weight;
	Numeric		amount;
} FoldEvent;

typedef struct FoldState
{
	PrioFacts	facts;			/* the start */
	bool		has_start_id;	/* start named its customer */
	double		half_life_us;
	RowReader	reader;
	FoldEvent  *ev;
	int			nev;
	int			cap;
} FoldState;

/*
 * prio.fold(start, customer_id, at, inbound, kind_stage, is_purchase,
 *           weight, amount, half_life [, activity_id]): the transition
 * function of the aggregate without activity_id (ties keep their arrival
 * order) and with it (ties in activity_id order), for API version api.
 */
Datum
FoldAccum(FunctionCallInfo fcinfo, PrioApiVersion api, bool with_activity_id)
{
	MemoryContext aggcontext;
	FoldState  *st;
	FoldEvent  *e;

	/* its internal argument keeps SQL from calling it but as the aggregate's */
	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "prio.fold support function called in non-aggregate context");

	if (PG_ARGISNULL(0))
	{
		st = MemoryContextAllocZero(aggcontext, sizeof(FoldState));
		if (!PG_ARGISNULL(1))
			st->has_start_id = FactsFromDatum(&st->facts, PG_GETARG_DATUM(1), &st->reader,
											  aggcontext, aggcontext, api);
		else
			prio_facts_init(&st->facts, 0);
		/* the customer_id argument names the customer when start does not */
		if (PG_ARGISNULL(1) || !st->has_start_id)
		{
			CheckArgNotNull(fcinfo, 2, "customer_id");
			st->facts.customer_id = PG_GETARG_INT64(2);
		}
		CheckArgNotNull(fcinfo, 9, "half_life");
		st->half_life_us = CheckPositiveInterval(PG_GETARG_INTERVAL_P(9), "half_life");
	}
	else
		st = (FoldState *) PG_GETARG_POINTER(0);

	/* a customer without activities (outer join) contributes a NULL at */
	if (PG_ARGISNULL(3))
		PG_RETURN_POINTER(st);
	CheckArgNotNull(fcinfo, 4, "inbound");
	if (st->nev == st->cap)
	{
		st->cap = Max(16, st->cap * 2);
		st->ev = st->ev ? repalloc(st->ev, sizeof(FoldEvent) * st->cap)
			: MemoryContextAlloc(aggcontext, sizeof(FoldEvent) * st->cap);
	}
	e = &st->ev[st->nev];
	e->at = PG_GETARG_TIMESTAMPTZ(3);
	e->activity_id = (with_activity_id && !PG_ARGISNULL(10)) ? PG_GETARG_INT64(10) : 0;
	e->seq = st->nev;
	e->inbound = PG_GETARG_BOOL(4);
	e->has_stage = !PG_ARGISNULL(5);
	e->stage = PG_ARGISNULL(5) ? STAGE_PROSPECT : StageFromDatum(PG_GETARG_DATUM(5));
	e->is_purchase = !PG_ARGISNULL(6) && PG_GETARG_BOOL(6);
	e->weight = PG_ARGISNULL(7) ? 0.0 : PG_GETARG_FLOAT8(7);
	CheckFiniteDouble(e->weight, "weight");
	e->amount = NULL;
	if (e->is_purchase && !PG_ARGISNULL(8))
	{
		Numeric		a = PG_GETARG_NUMERIC(8);

		CheckFiniteNumeric(a, "amount");
		e->amount = MemoryContextAlloc(aggcontext, VARSIZE(a));
		memcpy(e->amount, a, VARSIZE(a));
	}
	st->nev++;
	PG_RETURN_POINTER(st);
}

/* prio.fold_accum(internal, facts, ..., half_life) of 0.4 */
PG_FUNCTION_INFO_V1(prio_fold_accum_0_4);
Datum
prio_fold_accum_0_4(PG_FUNCTION_ARGS)
{
	return FoldAccum(fcinfo, PRIO_API_0_4, false);
}

/* prio.fold_accum(internal, facts, ..., half_life, activity_id) of 0.4 */
PG_FUNCTION_INFO_V1(prio_fold_accum_by_id_0_4);
Datum
prio_fold_accum_by_id_0_4(PG_FUNCTION_ARGS)
{
	return FoldAccum(fcinfo, PRIO_API_0_4, true);
}

static int
cmp_event(const void *a, const void *b)
{
	const FoldEvent *x = a;
	const FoldEvent *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->activity_id != y->activity_id)
		return x->activity_id < y->activity_id ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

PG_FUNCTION_INFO_V1(prio_fold_final);
Datum
prio_fold_final(PG_FUNCTION_ARGS)
{
	FoldState  *st;
	TupleDesc	desc;
	PrioFacts	f;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (FoldState *) PG_GETARG_POINTER(0);
	/* declared to return prio.facts; ALTER TYPE is checked below */
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type of prio.fold must be a row type");
	FactsCheckResultDesc(desc);

	/* fold a copy of the start, so the state itself stays as it was */
	qsort(st->ev, st->nev, sizeof(FoldEvent), cmp_event);
	f = st->facts;
	if (f.monetary != NULL)
	{
		Numeric		m = palloc(VARSIZE(f.monetary));

		memcpy(m, f.monetary, VARSIZE(f.monetary));
		f.monetary = m;
	}
	if (f.first_day_amount != NULL)
	{
		Numeric		m = palloc(VARSIZE(f.first_day_amount));

		memcpy(m, f.first_day_amount, VARSIZE(f.first_day_amount));
		f.first_day_amount = m;
	}
	for (int i = 0; i < st->nev; i++)
	{
		FoldEvent  *e = &st->ev[i];

		prio_fold_event(&f, e->at, e->inbound, e->has_stage, e->stage, e->is_purchase,
						e->weight, e->amount, st->half_life_us, CurrentMemoryContext);
	}
	PG_RETURN_DATUM(FactsGetDatum(&f, BlessTupleDesc(desc)));
}

