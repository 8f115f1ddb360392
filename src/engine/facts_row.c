/*
 * facts_row.c
 *		The composite type prio.facts, to and from PrioFacts: read by field
 *		name (0.1's facts end at stage), written in the type's order.
 */
#include "prio.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

enum
{
	F_CUSTOMER_ID, F_FIRST_AT, F_LAST_AT, F_LAST_INBOUND_AT, F_LAST_OUTBOUND_AT,
	F_LAST_PURCHASE_AT, F_FREQUENCY, F_MONETARY, F_INTENT, F_INTENT_AT, F_STAGE,
	F_FIRST_PURCHASE_AT, F_PURCHASE_DAYS, F_FIRST_DAY_AMOUNT,
	F_NFIELDS,
	/* read from a customer_state row (0.4 on), not a field of prio.facts */
	F_NEXT_PLANNED_AT = F_NFIELDS,
	F_MONTH_PURCHASES,			/* 0.5 on */
	F_MONTH_INBOUND,
	/* 0.5: the deal facts of a customer_state row */
	F_OPEN_DEALS, F_FUNNEL_STAGE, F_PIPELINE, F_LAST_DEAL_AT, F_DEAL_CLOSED_AT, F_DEAL_OUTCOME,
	F_QUOTE_AMOUNT, F_QUOTE_AT,
	F_STAGE_AT,
	F_NREAD
};

static const char *const facts_fields[F_NREAD] = {
	"customer_id", "first_at", "last_at", "last_inbound_at", "last_outbound_at",
	"last_purchase_at", "frequency", "monetary", "intent", "intent_at", "stage",
	"first_purchase_at", "purchase_days", "first_day_amount", "next_planned_at",
	"month_purchases", "month_inbound",
	"open_deals", "funnel_stage", "pipeline", "last_deal_at", "deal_closed_at", "deal_outcome",
	"quote_amount", "quote_at", "stage_at"
};
static const Oid facts_types[F_NREAD] = {
	INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID,
	TIMESTAMPTZOID, INT8OID, NUMERICOID, FLOAT8OID, TIMESTAMPTZOID, PRIO_STAGE_TYPE,
	TIMESTAMPTZOID, INT8OID, NUMERICOID, TIMESTAMPTZOID, FLOAT8ARRAYOID, INT4ARRAYOID,
	INT4OID, TEXTOID, NUMERICOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID,
	NUMERICOID, TIMESTAMPTZOID, TIMESTAMPTZOID
};

/*
 * (0.5) A customer_state row's monthly buckets (rules/types.c), anchored at
 * last_at's month; absent or NULL (prio.facts, a table not yet updated):
 * none.  An array of another length is read as far as it goes.
 */
static void
facts_months(PrioFacts *f, RowReader *rr)
{
	bool		isnull;
	Datum		d;

	if (!f->has_activity)
		return;
	f->month_at = prio_utc_month(f->last_at);
	d = RowGet(rr, F_MONTH_PURCHASES, &isnull);
	if (!isnull)
	{
		Datum	   *v;
		bool	   *n;
		int			len;

		deconstruct_array(DatumGetArrayTypeP(d), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &v, &n, &len);
		for (int i = 0; i < len && i < PRIO_MONTHS; i++)
			f->month_purchases[i] = n[i] ? 0.0 : DatumGetFloat8(v[i]);
	}
	d = RowGet(rr, F_MONTH_INBOUND, &isnull);
	if (!isnull)
	{
		Datum	   *v;
		bool	   *n;
		int			len;

		deconstruct_array(DatumGetArrayTypeP(d), INT4OID, 4, true, TYPALIGN_INT, &v, &n, &len);
		for (int i = 0; i < len && i < PRIO_MONTHS; i++)
			f->month_inbound[i] = n[i] ? 0 : DatumGetInt32(v[i]);
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
	bool		has_closed_at;
	TimestampTz closed_at;
	Datum		d;

	rr->what = "prio.facts";
	rr->names = facts_fields;
	rr->types = facts_types;
	rr->nfields = F_NREAD;
	/*
	 * 0.1's facts (and customer_state) end at stage: no BTYD inputs; a
	 * customer_state row of 0.4 on has next_planned_at, prio.facts has not
	 */
	rr->nrequired = PRIO_API_HAS_BTYD(api) ? F_NEXT_PLANNED_AT : F_FIRST_PURCHASE_AT;
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
	f->next_planned_at = facts_ts(rr, F_NEXT_PLANNED_AT, &f->has_planned);
	facts_months(f, rr);
	/* 0.5: the deal facts (a prio.facts value has none: no deals) */
	d = RowGet(rr, F_OPEN_DEALS, &isnull);
	f->deals.open_deals = isnull ? 0 : DatumGetInt32(d);
	d = RowGet(rr, F_FUNNEL_STAGE, &isnull);
	f->deals.has_funnel = !isnull;
	if (!isnull)
		text_to_cstring_buffer(DatumGetTextPP(d), f->deals.funnel_stage,
							   sizeof(f->deals.funnel_stage));
	d = RowGet(rr, F_PIPELINE, &isnull);
	f->deals.pipeline = isnull ? 0.0
		: DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, d));
	f->deals.last_deal_at = facts_ts(rr, F_LAST_DEAL_AT, &f->deals.has_deal_at);
	closed_at = facts_ts(rr, F_DEAL_CLOSED_AT, &has_closed_at);
	d = RowGet(rr, F_DEAL_OUTCOME, &isnull);
	prio_deals_closed(f, has_closed_at, closed_at, isnull ? NULL : DatumGetTextPP(d));
	/* 0.5: the implicit deal (a fold field) */
	f->quote_at = facts_ts(rr, F_QUOTE_AT, &f->has_quote);
	d = RowGet(rr, F_QUOTE_AMOUNT, &isnull);
	if (f->has_quote && !isnull)
	{
		CheckFiniteNumeric(DatumGetNumeric(d), "quote_amount");
		NumericAccum(&f->quote_amount, DatumGetNumeric(d), cxt);
	}
	else
		f->has_quote = false;
	/* 0.5: when the stage was decided (a fold field; prio.facts has none) */
	f->stage_at = facts_ts(rr, F_STAGE_AT, &f->has_stage_at);
	return has_id;
}

static inline void
put_ts(Datum *values, bool *nulls, int field, bool has, TimestampTz ts)
{
	nulls[field] = !has;
	values[field] = has ? TimestampTzGetDatum(ts) : (Datum) 0;
}

Datum
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

/* The function's result type is prio.facts (0.1's: up to stage) */
void
FactsCheckResultDesc(TupleDesc desc)
{
	CheckResultDescPrefix(desc, facts_types, F_FIRST_PURCHASE_AT, F_NFIELDS, "prio.facts");
}
