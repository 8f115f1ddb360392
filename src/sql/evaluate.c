/*
 * evaluate.c
 *		prio.evaluate(facts, customer, cfg, r_breaks, f_breaks, m_breaks, as_of
 *		[, bgnbd, gammagamma]) RETURNS prio.evaluation: the arguments read
 *		and checked, the rules (rules/evaluate.c) applied, the row built.
 */
#include "prio.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"

enum
{
	E_STAGE, E_RECENCY, E_R, E_F, E_M, E_BANT, E_INTENT, E_NO_REPLY, E_VALUE_HIGH,
	E_INTENT_HIGH, E_TIER, E_PRIORITY, E_NEXT_DUE, E_RULE,
	E_P_TIER, E_P_RFM, E_P_BANT, E_P_INTENT, E_P_STAGE, E_NFIELDS
};

static const Oid evaluation_types[E_NFIELDS] = {
	PRIO_STAGE_TYPE, FLOAT8OID, INT4OID, INT4OID, INT4OID, INT4OID, FLOAT8OID, BOOLOID,
	BOOLOID, BOOLOID, TEXTOID, FLOAT8OID, TIMESTAMPTZOID, TEXTOID,
	FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID
};

typedef struct EvalCache
{
	RowReader	facts_rr;
	RowReader	customer_rr;
	RowReader	settings_rr;
	RowReader	model_rr[2];
} EvalCache;

/*
 * prio.evaluate(facts prio.facts, customer prio.customers, cfg prio.settings,
 *               r_breaks, f_breaks, m_breaks, as_of [, bgnbd, gammagamma])
 *   RETURNS prio.evaluation
 *
 * with_models: the nine-argument form (0.2 on), whose CLV models count when
 * settings.value_min_clv is set.
 */
Datum
EvaluateFacts(FunctionCallInfo fcinfo, PrioApiVersion api, bool with_models)
{
	EvalCache  *cache = fcinfo->flinfo->fn_extra;
	MemoryContext fncxt = fcinfo->flinfo->fn_mcxt;
	PrioFacts	facts;
	PrioSettings settings;
	PrioEval	e;
	bool		answers[4];
	bool		answer_null[4];
	TimestampTz created_at;
	const float8 *breaks[3] = {NULL, NULL, NULL};
	int			nbreaks[3] = {0, 0, 0};
	TupleDesc	desc;
	Datum		values[E_NFIELDS];
	bool		nulls[E_NFIELDS] = {0};
	PrioHeldTypes held = {0};

	CheckArgNotNull(fcinfo, 0, "facts");
	CheckArgNotNull(fcinfo, 1, "customer");
	CheckArgNotNull(fcinfo, 2, "settings");
	CheckArgNotNull(fcinfo, 6, "as_of");
	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fncxt, sizeof(EvalCache));
		CustomerReaderInit(&cache->customer_rr);
		SettingsReaderInit(&cache->settings_rr);
		ModelReadersInit(cache->model_rr);
		fcinfo->flinfo->fn_extra = cache;
	}

	FactsFromDatum(&facts, PG_GETARG_DATUM(0), &cache->facts_rr, fncxt, CurrentMemoryContext,
				   api);

	RowBind(&cache->customer_rr, PG_GETARG_DATUM(1), fncxt);
	prio_read_customer(&cache->customer_rr, answers, answer_null, &created_at);

	RowBind(&cache->settings_rr, PG_GETARG_DATUM(2), fncxt);
	prio_read_settings(&settings, &cache->settings_rr);
	/* the playbooks in force (0.5): due dates as the engine sets them */
	settings.playbooks = prio_playbooks();
	/* the nine-argument form: the CLV model, read only when the rules use it */
	if (with_models && settings.has_min_clv)
		prio_read_model(&settings, PG_GETARG_DATUM(7), PG_ARGISNULL(7), PG_GETARG_DATUM(8),
						PG_ARGISNULL(8), cache->model_rr, fncxt);

	for (int i = 0; i < 3; i++)
		if (!PG_ARGISNULL(3 + i))
			breaks[i] = CheckBreaks(PG_GETARG_ARRAYTYPE_P(3 + i), &nbreaks[i]);

	/*
	 * the key-customer types the customer holds (0.5) as the engine stored
	 * them (prio.facts has no monthly buckets to compute them from): a held
	 * type's playbook may set the due date
	 */
	if (api >= PRIO_API_0_4)	/* prio_evaluate*_0_4, which 0.5 names too */
	{
		MemoryContext cxt = CurrentMemoryContext;

		SPI_connect();
		MemoryContextSwitchTo(cxt);
		PrioStoredTypes(&held, facts.customer_id, prio_config(PRIO_API_CURRENT));
		SPI_finish();
	}

	prio_evaluate(&e, &facts, &held, answers, answer_null, created_at, &settings,
				  breaks, nbreaks, PG_GETARG_TIMESTAMPTZ(6));

	/* declared to return prio.evaluation; ALTER TYPE is checked below */
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type of prio.evaluate must be a row type");
	CheckResultDesc(desc, evaluation_types, E_NFIELDS, "prio.evaluation");
	values[E_STAGE] = StageGetDatum(e.stage);
	nulls[E_RECENCY] = !facts.has_purchase;
	values[E_RECENCY] = Float8GetDatum(e.recency_days);
	for (int i = 0; i < 3; i++)
	{
		nulls[E_R + i] = !e.has_scores[i];
		values[E_R + i] = Int32GetDatum(e.score[i]);
	}
	values[E_BANT] = Int32GetDatum(e.bant);
	values[E_INTENT] = Float8GetDatum(e.intent_now);
	values[E_NO_REPLY] = BoolGetDatum(e.no_reply);
	values[E_VALUE_HIGH] = BoolGetDatum(e.value_high);
	values[E_INTENT_HIGH] = BoolGetDatum(e.intent_high);
	values[E_TIER] = PointerGetDatum(cstring_to_text_with_len(&e.tier, 1));
	values[E_PRIORITY] = Float8GetDatum(e.priority);
	values[E_NEXT_DUE] = TimestampTzGetDatum(e.next_due_at);
	values[E_RULE] = PointerGetDatum(cstring_to_text(e.rule.data));
	for (int i = 0; i < 5; i++)
		values[E_P_TIER + i] = Float8GetDatum(e.points[i]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/* prio.evaluate(facts, customer, cfg, r_breaks, f_breaks, m_breaks, as_of) of 0.4 */
PG_FUNCTION_INFO_V1(prio_evaluate_0_4);
Datum
prio_evaluate_0_4(PG_FUNCTION_ARGS)
{
	return EvaluateFacts(fcinfo, PRIO_API_0_4, false);
}

/* prio.evaluate(..., as_of, bgnbd, gammagamma) of 0.4: with the CLV models */
PG_FUNCTION_INFO_V1(prio_evaluate_models_0_4);
Datum
prio_evaluate_models_0_4(PG_FUNCTION_ARGS)
{
	return EvaluateFacts(fcinfo, PRIO_API_0_4, true);
}
