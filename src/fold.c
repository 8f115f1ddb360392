/*
 * fold.c
 *		A customer's facts folded from its activities in (at, activity_id)
 *		order: first/last activity, last inbound/outbound/purchase, purchase
 *		count and sum, decayed intent, the base stage, and the BTYD inputs
 *		(first purchase, purchase days, first day's amount).
 *
 * The same step serves a full rebuild (start from nothing, every activity)
 * and live maintenance (start from the stored facts, only the new rows, when
 * they all come after the stored last_at), so both give identical results.
 */
#include "prio.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/numeric.h"

enum
{
	F_CUSTOMER_ID, F_FIRST_AT, F_LAST_AT, F_LAST_INBOUND_AT, F_LAST_OUTBOUND_AT,
	F_LAST_PURCHASE_AT, F_FREQUENCY, F_MONETARY, F_INTENT, F_INTENT_AT, F_STAGE,
	F_FIRST_PURCHASE_AT, F_PURCHASE_DAYS, F_FIRST_DAY_AMOUNT,
	F_NFIELDS
};

static const char *const facts_fields[F_NFIELDS] = {
	"customer_id", "first_at", "last_at", "last_inbound_at", "last_outbound_at",
	"last_purchase_at", "frequency", "monetary", "intent", "intent_at", "stage",
	"first_purchase_at", "purchase_days", "first_day_amount"
};
static const Oid facts_types[F_NFIELDS] = {
	INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID,
	TIMESTAMPTZOID, INT8OID, NUMERICOID, FLOAT8OID, TIMESTAMPTZOID, PRIO_STAGE_TYPE,
	TIMESTAMPTZOID, INT8OID, NUMERICOID
};

void
prio_facts_init(PrioFacts *f, int64 customer_id)
{
	memset(f, 0, sizeof(PrioFacts));
	f->customer_id = customer_id;
	f->stage = STAGE_PROSPECT;
}

static inline void
max_ts(bool *has, TimestampTz *ts, TimestampTz at)
{
	if (!*has || at > *ts)
		*ts = at;
	*has = true;
}

/* Everything but the purchase accounting, which prio_fold_event adds. */
static void
prio_fold_step(PrioFacts *f, TimestampTz at, bool inbound,
			   bool has_kind_stage, PrioStage kind_stage,
			   double weight, double half_life_us)
{
	if (!f->has_activity)
	{
		f->first_at = f->last_at = f->intent_at = at;
		f->intent = 0.0;
		f->has_activity = true;
	}
	if (at < f->first_at)
		f->first_at = at;
	if (at > f->last_at)
		f->last_at = at;
	if (inbound)
		max_ts(&f->has_inbound, &f->last_inbound_at, at);
	else
		max_ts(&f->has_outbound, &f->last_outbound_at, at);

	/* intent is kept decayed to the newest event it has seen */
	if (at >= f->intent_at)
	{
		f->intent = f->intent * prio_decay(f->intent_at, at, half_life_us) + weight;
		f->intent_at = at;
	}
	else
		f->intent += weight * prio_decay(at, f->intent_at, half_life_us);

	f->stage = prio_stage_step(f->stage, has_kind_stage, kind_stage, inbound);
}

/* One activity, the purchase accounting included; the sum is kept in cxt. */
static void
prio_fold_event(PrioFacts *f, TimestampTz at, bool inbound, bool has_kind_stage,
				PrioStage kind_stage, bool is_purchase, double weight, Numeric amount,
				double half_life_us, MemoryContext cxt)
{
	prio_fold_step(f, at, inbound, has_kind_stage, kind_stage, weight, half_life_us);
	if (!isfinite(f->intent))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("intent of customer " INT64_FORMAT " is out of range", f->customer_id)));
	if (is_purchase)
	{
		/* events come in time order: a new day, or the last one again */
		if (!f->has_purchase)
		{
			f->first_purchase_at = at;
			f->purchase_days = 1;
		}
		else if (prio_utc_day(at) > prio_utc_day(f->last_purchase_at))
			f->purchase_days = CheckedAdd64(f->purchase_days, 1, "purchase_days", f->customer_id);
		max_ts(&f->has_purchase, &f->last_purchase_at, at);
		f->frequency = CheckedAdd64(f->frequency, 1, "frequency", f->customer_id);
		if (amount != NULL)
		{
			NumericAccum(&f->monetary, amount, cxt);
			if (f->purchase_days == 1)
				NumericAccum(&f->first_day_amount, amount, cxt);
		}
	}
}

/* The order every fold takes: time, then activity_id, then arrival */
int
prio_event_cmp(const void *a, const void *b)
{
	const PrioEvent *x = a;
	const PrioEvent *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->activity_id != y->activity_id)
		return x->activity_id < y->activity_id ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/*
 * Fold ev[0..n-1] into f in prio_event_cmp's order (sorted in place unless
 * they come sorted, as the heap and the callers' queries mostly give them).
 */
void
prio_fold_events(PrioFacts *f, PrioEvent *ev, int n, const PrioKind *kinds,
				 double half_life_us, MemoryContext cxt)
{
	bool		sorted = true;

	for (int i = 1; i < n && sorted; i++)
		sorted = prio_event_cmp(&ev[i - 1], &ev[i]) <= 0;
	if (!sorted)
		qsort(ev, n, sizeof(PrioEvent), prio_event_cmp);
	for (int i = 0; i < n; i++)
	{
		const PrioKind *k = &kinds[ev[i].kind];

		prio_fold_event(f, ev[i].at, k->inbound, k->has_stage, k->stage, k->is_purchase,
						k->weight, k->is_purchase ? ev[i].amount : NULL, half_life_us, cxt);
	}
}

static TimestampTz
facts_ts(RowReader *rr, int field, bool *has)
{
	bool		isnull;
	Datum		d = RowGet(rr, field, &isnull);

	*has = !isnull;
	return isnull ? 0 : DatumGetTimestampTz(d);
}

/*
 * Unpack a prio.facts value; rr's field map lives in rrcxt (as long as rr),
 * monetary is copied into cxt.  Returns whether it named its customer.
 */
bool
FactsFromDatum(PrioFacts *f, Datum row, RowReader *rr, MemoryContext rrcxt,
			   MemoryContext cxt, PrioApiVersion api)
{
	bool		isnull;
	bool		has_last;
	bool		has_intent_at;
	bool		has_id;
	Datum		d;

	rr->what = "prio.facts";
	rr->names = facts_fields;
	rr->types = facts_types;
	rr->nfields = F_NFIELDS;
	/* 0.1's facts (and customer_state) end at stage: no BTYD inputs */
	rr->nrequired = PRIO_API_HAS_BTYD(api) ? 0 : F_FIRST_PURCHASE_AT;
	RowBind(rr, row, rrcxt);

	d = RowGet(rr, F_CUSTOMER_ID, &isnull);
	prio_facts_init(f, isnull ? 0 : DatumGetInt64(d));
	has_id = !isnull;
	f->first_at = facts_ts(rr, F_FIRST_AT, &f->has_activity);
	f->last_at = facts_ts(rr, F_LAST_AT, &has_last);
	f->last_inbound_at = facts_ts(rr, F_LAST_INBOUND_AT, &f->has_inbound);
	f->last_outbound_at = facts_ts(rr, F_LAST_OUTBOUND_AT, &f->has_outbound);
	f->last_purchase_at = facts_ts(rr, F_LAST_PURCHASE_AT, &f->has_purchase);
	d = RowGet(rr, F_FREQUENCY, &isnull);
	f->frequency = isnull ? 0 : DatumGetInt64(d);
	d = RowGet(rr, F_MONETARY, &isnull);
	if (!isnull)
	{
		CheckFiniteNumeric(DatumGetNumeric(d), "monetary");
		NumericAccum(&f->monetary, DatumGetNumeric(d), cxt);
	}
	d = RowGet(rr, F_INTENT, &isnull);
	f->intent = isnull ? 0.0 : DatumGetFloat8(d);
	CheckFiniteDouble(f->intent, "intent");
	f->intent_at = facts_ts(rr, F_INTENT_AT, &has_intent_at);
	/* facts written by prio are consistent; hand-made ones are made so */
	if (f->has_activity && !has_last)
		f->last_at = f->first_at;
	if (f->has_activity && !has_intent_at)
		f->intent_at = f->last_at;
	d = RowGet(rr, F_STAGE, &isnull);
	f->stage = isnull ? STAGE_PROSPECT : StageFromDatum(d);
	{
		bool		has_first;

		f->first_purchase_at = facts_ts(rr, F_FIRST_PURCHASE_AT, &has_first);
		d = RowGet(rr, F_PURCHASE_DAYS, &isnull);
		f->purchase_days = isnull ? 0 : DatumGetInt64(d);
		d = RowGet(rr, F_FIRST_DAY_AMOUNT, &isnull);
		if (!isnull)
		{
			CheckFiniteNumeric(DatumGetNumeric(d), "first_day_amount");
			NumericAccum(&f->first_day_amount, DatumGetNumeric(d), cxt);
		}
		/* hand-made facts with purchases but no BTYD inputs: one day of them */
		if (f->has_purchase && (!has_first || f->purchase_days < 1))
		{
			f->first_purchase_at = f->last_purchase_at;
			f->purchase_days = 1;
		}
	}
	return has_id;
}

static inline void
put_ts(Datum *values, bool *nulls, int field, bool has, TimestampTz ts)
{
	nulls[field] = !has;
	values[field] = has ? TimestampTzGetDatum(ts) : (Datum) 0;
}

static Datum
FactsGetDatum(const PrioFacts *f, TupleDesc desc)
{
	Datum		values[F_NFIELDS];
	bool		nulls[F_NFIELDS] = {0};

	values[F_CUSTOMER_ID] = Int64GetDatum(f->customer_id);
	put_ts(values, nulls, F_FIRST_AT, f->has_activity, f->first_at);
	put_ts(values, nulls, F_LAST_AT, f->has_activity, f->last_at);
	put_ts(values, nulls, F_LAST_INBOUND_AT, f->has_inbound, f->last_inbound_at);
	put_ts(values, nulls, F_LAST_OUTBOUND_AT, f->has_outbound, f->last_outbound_at);
	put_ts(values, nulls, F_LAST_PURCHASE_AT, f->has_purchase, f->last_purchase_at);
	values[F_FREQUENCY] = Int64GetDatum(f->frequency);
	values[F_MONETARY] = NumericGetDatum(f->monetary ? f->monetary : int64_to_numeric(0));
	values[F_INTENT] = Float8GetDatum(f->intent);
	put_ts(values, nulls, F_INTENT_AT, f->has_activity, f->intent_at);
	values[F_STAGE] = StageGetDatum(f->stage);
	put_ts(values, nulls, F_FIRST_PURCHASE_AT, f->has_purchase, f->first_purchase_at);
	values[F_PURCHASE_DAYS] = Int64GetDatum(f->purchase_days);
	values[F_FIRST_DAY_AMOUNT] = NumericGetDatum(f->first_day_amount ? f->first_day_amount
												 : int64_to_numeric(0));
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

/*
 * prio.fold aggregate state.  The rows are kept and folded in
 * prio_event_cmp's order by the final function, so the caller needs no
 * ORDER BY -- which PostgreSQL 15 would honour with one sort per group.
 */
typedef struct FoldState
{
	PrioFacts	facts;			/* the start */
	bool		has_start_id;	/* start named its customer */
	double		half_life_us;
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
		  double weight, MemoryContext aggcontext)
{
	PrioKind   *k;

	for (int i = 0; i < st->nkinds; i++)
	{
		k = &st->kinds[i];
		if (k->inbound == inbound && k->has_stage == has_stage && k->stage == stage &&
			k->is_purchase == is_purchase && k->weight == weight)
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
	return st->nkinds++;
}

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
	PrioEvent  *e;
	bool		inbound;
	bool		has_stage;
	PrioStage	stage;
	bool		is_purchase;
	double		weight;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("prio.fold support functions can only be called as part of the aggregate")));

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
		st->ev = st->ev ? repalloc(st->ev, sizeof(PrioEvent) * st->cap)
			: MemoryContextAlloc(aggcontext, sizeof(PrioEvent) * st->cap);
	}
	inbound = PG_GETARG_BOOL(4);
	has_stage = !PG_ARGISNULL(5);
	stage = PG_ARGISNULL(5) ? STAGE_PROSPECT : StageFromDatum(PG_GETARG_DATUM(5));
	is_purchase = !PG_ARGISNULL(6) && PG_GETARG_BOOL(6);
	weight = PG_ARGISNULL(7) ? 0.0 : PG_GETARG_FLOAT8(7);
	CheckFiniteDouble(weight, "weight");
	e = &st->ev[st->nev];
	e->at = PG_GETARG_TIMESTAMPTZ(3);
	e->activity_id = (with_activity_id && !PG_ARGISNULL(10)) ? PG_GETARG_INT64(10) : 0;
	e->seq = st->nev;
	e->kind = fold_kind(st, inbound, has_stage, stage, is_purchase, weight, aggcontext);
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
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("prio.fold must return the composite type prio.facts")));
	CheckResultDescPrefix(desc, facts_types, F_FIRST_PURCHASE_AT, F_NFIELDS, "prio.facts");

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
	prio_fold_events(&f, st->ev, st->nev, st->kinds, st->half_life_us, CurrentMemoryContext);
	PG_RETURN_DATUM(FactsGetDatum(&f, BlessTupleDesc(desc)));
}
