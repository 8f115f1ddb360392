/*
 * fold.c
 *		The aggregate prio.fold(start, customer_id, at, inbound, kind_stage,
 *		is_purchase, weight, amount, half_life [, activity_id [, revives,
 *		reply_weight, reply_half_life]]) RETURNS prio.facts: fold_accum
 *		keeps the rows, fold_final folds them (prio_fold_events,
 *		rules/fold.c) into the start.  Without the last three (0.4's
 *		aggregates) every kind revives and there is no reply term.
 */
#include "prio.h"

#include "funcapi.h"
#include "utils/numeric.h"

/*
 * prio.fold aggregate state.  The rows are kept and folded in
 * prio_event_cmp's order by the final function, so the caller needs no
 * ORDER BY -- which PostgreSQL 15 would honour with one sort per group.
 */
typedef struct FoldState
{
	PrioFacts	facts;			/* the start */
	bool		has_start_id;	/* start named its customer */
	PrioSettings settings;		/* half_life_us, reply_weight, reply_half_life_us */
	RowReader	reader;
	PrioEvent  *ev;
	int			nev;
	int			cap;
	PrioKind   *kinds;			/* the distinct kinds the rows gave */
	int			nkinds;
	int			capkinds;
} FoldState;

/*
 * The index of a kind given by its properties, added when new: an
 * aggregate's rows name a handful of kinds, so a linear search does.
 */
static int
fold_kind(FoldState *st, bool inbound, bool has_stage, PrioStage stage, bool is_purchase,
		  double weight, bool revives, MemoryContext aggcontext)
{
	PrioKind   *k;

	for (int i = 0; i < st->nkinds; i++)
	{
		k = &st->kinds[i];
		if (k->inbound == inbound && k->has_stage == has_stage && k->stage == stage &&
			k->is_purchase == is_purchase && k->weight == weight && k->revives == revives)
			return i;
	}
	if (st->nkinds == st->capkinds)
	{
		st->capkinds = Max(8, st->capkinds * 2);
		st->kinds = st->kinds ? repalloc(st->kinds, sizeof(PrioKind) * st->capkinds)
			: MemoryContextAlloc(aggcontext, sizeof(PrioKind) * st->capkinds);
	}
	k = &st->kinds[st->nkinds];
	memset(k, 0, sizeof(PrioKind));
	k->inbound = inbound;
	k->has_stage = has_stage;
	k->stage = stage;
	k->is_purchase = is_purchase;
	k->weight = weight;
	k->revives = revives;
	return st->nkinds++;
}

/*
 * prio.fold(start, customer_id, at, inbound, kind_stage, is_purchase,
 *           weight, amount, half_life [, activity_id [, revives,
 *           reply_weight, reply_half_life]]): the transition function of
 * the aggregate without activity_id (ties keep their arrival order) and
 * with it (ties in activity_id order), for API version api; 0.5's has the
 * last three too (the kind's revives, settings.reply_weight and
 * reply_half_life).
 */
Datum
FoldAccum(FunctionCallInfo fcinfo, PrioApiVersion api, bool with_activity_id)
{
	MemoryContext aggcontext;
	FoldState  *st;
	PrioEvent  *e;
	bool		inbound;
	bool		has_stage;
	PrioStage	stage;
	bool		is_purchase;
	double		weight;
	bool		revives = true;

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
		st->settings.half_life_us = CheckPositiveInterval(PG_GETARG_INTERVAL_P(9), "half_life");
		st->settings.reply_weight = 0.0;
		st->settings.reply_half_life_us = (double) USECS_PER_DAY;
		if (api >= PRIO_API_0_5)
		{
			CheckArgNotNull(fcinfo, 12, "reply_weight");
			CheckArgNotNull(fcinfo, 13, "reply_half_life");
			st->settings.reply_weight = PG_GETARG_FLOAT8(12);
			if (!(st->settings.reply_weight >= 0 && st->settings.reply_weight < 1e6))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("reply_weight must be between 0 and 1e6, not %g",
								st->settings.reply_weight)));
			st->settings.reply_half_life_us =
				CheckPositiveInterval(PG_GETARG_INTERVAL_P(13), "reply_half_life");
		}
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
		st->ev = st->ev ? repalloc(st->ev, sizeof(PrioEvent) * st->cap)
			: MemoryContextAlloc(aggcontext, sizeof(PrioEvent) * st->cap);
	}
	inbound = PG_GETARG_BOOL(4);
	has_stage = !PG_ARGISNULL(5);
	stage = PG_ARGISNULL(5) ? STAGE_PROSPECT : StageFromDatum(PG_GETARG_DATUM(5));
	is_purchase = !PG_ARGISNULL(6) && PG_GETARG_BOOL(6);
	weight = PG_ARGISNULL(7) ? 0.0 : PG_GETARG_FLOAT8(7);
	CheckFiniteDouble(weight, "weight");
	if (api >= PRIO_API_0_5)
	{
		CheckArgNotNull(fcinfo, 11, "revives");
		revives = PG_GETARG_BOOL(11);
	}
	e = &st->ev[st->nev];
	e->at = PG_GETARG_TIMESTAMPTZ(3);
	e->activity_id = (with_activity_id && !PG_ARGISNULL(10)) ? PG_GETARG_INT64(10) : 0;
	e->seq = st->nev;
	e->kind = fold_kind(st, inbound, has_stage, stage, is_purchase, weight, revives, aggcontext);
	e->amount = NULL;
	if (is_purchase && !PG_ARGISNULL(8))
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

/* prio.fold_accum(internal, facts, ..., activity_id, revives, reply_weight, reply_half_life) of 0.5 */
PG_FUNCTION_INFO_V1(prio_fold_accum_0_5);
Datum
prio_fold_accum_0_5(PG_FUNCTION_ARGS)
{
	return FoldAccum(fcinfo, PRIO_API_0_5, true);
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
	prio_fold_events(&f, st->ev, st->nev, st->kinds, &st->settings, DT_NOEND,
					 CurrentMemoryContext);
	PG_RETURN_DATUM(FactsGetDatum(&f, BlessTupleDesc(desc)));
}
