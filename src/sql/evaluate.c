/*
 * evaluate.c
 *		prio.evaluate(facts, customer, cfg, r_breaks, f_breaks, m_breaks, as_of
 *		[, bgnbd, gammagamma]) RETURNS prio.evaluation: the arguments read
 *		and checked, the rules (rules/evaluate.c) applied, the row built;
 *		and (0.5) prio.evaluate(state, customer, as_of): a customer_state
 *		row, deal facts included, under the configuration in force.
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
	E_P_TIER, E_P_RFM, E_P_BANT, E_P_INTENT, E_P_STAGE,
	E_NFIELDS_04,				/* 0.4's evaluation ends here */
	E_P_FUNNEL = E_NFIELDS_04, E_VALUE_SIGNALS, E_NFIELDS
};

static const Oid evaluation_types[E_NFIELDS] = {
	PRIO_STAGE_TYPE, FLOAT8OID, INT4OID, INT4OID, INT4OID, INT4OID, FLOAT8OID, BOOLOID,
	BOOLOID, BOOLOID, TEXTOID, FLOAT8OID, TIMESTAMPTZOID, TEXTOID,
	FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID,
	FLOAT8OID, TEXTARRAYOID
};

static Datum EvaluationGetDatum(FunctionCallInfo fcinfo, PrioEval *ep, const PrioFacts *f,
								PrioApiVersion api);

typedef struct EvalCache
{
	RowReader	facts_rr;
	RowReader	customer_rr;
	RowReader	settings_rr;
	RowReader	model_rr[2];
	RowReader	types_rr;		/* a state row's types (0.5) */
} EvalCache;

static const char *const types_field[1] = {"types"};
static const Oid types_type[1] = {TEXTARRAYOID};

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
	TimestampTz as_of;
	const float8 *breaks[3] = {NULL, NULL, NULL};
	int			nbreaks[3] = {0, 0, 0};
	PrioHeldTypes held = {0};

	CheckArgNotNull(fcinfo, 0, "facts");
	CheckArgNotNull(fcinfo, 1, "customer");
	CheckArgNotNull(fcinfo, 2, "settings");
	as_of = CheckTimeArg(fcinfo, 6, "as_of");
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
				  breaks, nbreaks, as_of);
	PG_RETURN_DATUM(EvaluationGetDatum(fcinfo, &e, &facts, api));
}

/* The prio.evaluation row of e (0.4's: without the funnel points and value signals) */
static Datum
EvaluationGetDatum(FunctionCallInfo fcinfo, PrioEval *ep, const PrioFacts *f, PrioApiVersion api)
{
	PrioEval	e = *ep;
	PrioFacts	facts = *f;
	TupleDesc	desc;
	Datum		values[E_NFIELDS];
	bool		nulls[E_NFIELDS] = {0};
	int			nfields = api >= PRIO_API_0_5 ? E_NFIELDS : E_NFIELDS_04;

	/* declared to return prio.evaluation; ALTER TYPE is checked below */
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type of prio.evaluate must be a row type");
	CheckResultDesc(desc, evaluation_types, nfields, "prio.evaluation");
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
	if (nfields > E_NFIELDS_04)
	{
		Datum		names[VS_COUNT];
		int			n = 0;

		values[E_P_FUNNEL] = Float8GetDatum(e.points[5]);
		for (int v = 0; v < VS_COUNT; v++)
			if (e.value_signals & (1u << v))
				names[n++] = CStringGetTextDatum(prio_value_signal_names[v]);
		values[E_VALUE_SIGNALS] = PointerGetDatum(construct_array(names, n, TEXTOID, -1, false,
																  TYPALIGN_INT));
	}
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls));
}

/* prio.evaluate(...) of 0.5: the evaluation with the funnel points and value signals */
PG_FUNCTION_INFO_V1(prio_evaluate_0_5);
Datum
prio_evaluate_0_5(PG_FUNCTION_ARGS)
{
	return EvaluateFacts(fcinfo, PRIO_API_0_5, false);
}

PG_FUNCTION_INFO_V1(prio_evaluate_models_0_5);
Datum
prio_evaluate_models_0_5(PG_FUNCTION_ARGS)
{
	return EvaluateFacts(fcinfo, PRIO_API_0_5, true);
}

/*
 * prio.evaluate(state prio.customer_state, customer prio.customers, as_of)
 *   RETURNS prio.evaluation
 *
 * A stored state row (its folded facts and deal facts) evaluated as the
 * engine evaluates it: with the configuration in force (the cache the
 * triggers use: settings, breaks, CLV models, deal stages, value signals).
 */
PG_FUNCTION_INFO_V1(prio_evaluate_state_0_5);
Datum
prio_evaluate_state_0_5(PG_FUNCTION_ARGS)
{
	EvalCache  *cache = fcinfo->flinfo->fn_extra;
	MemoryContext fncxt = fcinfo->flinfo->fn_mcxt;
	MemoryContext mine = CurrentMemoryContext;
	const PrioConfig *cfg;
	PrioFacts	facts;
	PrioEval	e;
	bool		answers[4];
	bool		answer_null[4];
	TimestampTz created_at;
	TimestampTz as_of;
	PrioHeldTypes held = {0};
	Datum		types;
	bool		types_null;

	CheckArgNotNull(fcinfo, 0, "state");
	CheckArgNotNull(fcinfo, 1, "customer");
	as_of = CheckTimeArg(fcinfo, 2, "as_of");
	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fncxt, sizeof(EvalCache));
		CustomerReaderInit(&cache->customer_rr);
		cache->types_rr.what = "prio.customer_state";
		cache->types_rr.names = types_field;
		cache->types_rr.types = types_type;
		cache->types_rr.nfields = 1;
		fcinfo->flinfo->fn_extra = cache;
	}
	FactsFromDatum(&facts, PG_GETARG_DATUM(0), &cache->facts_rr, fncxt, CurrentMemoryContext,
				   PRIO_API_0_5);
	RowBind(&cache->customer_rr, PG_GETARG_DATUM(1), fncxt);
	prio_read_customer(&cache->customer_rr, answers, answer_null, &created_at);

	RowBind(&cache->types_rr, PG_GETARG_DATUM(0), fncxt);
	types = RowGet(&cache->types_rr, 0, &types_null);
	SPI_connect();
	MemoryContextSwitchTo(mine);
	cfg = prio_config(PRIO_API_CURRENT);
	/* the key-customer types the row holds (customer_state.types, 0.5) */
	PrioHeldTypesFromArray(&held, types_null ? NULL : DatumGetArrayTypeP(types), cfg);
	SPI_finish();
	MemoryContextSwitchTo(mine);

	prio_evaluate(&e, &facts, &held, answers, answer_null, created_at, &cfg->settings,
				  cfg->breaks, cfg->nbreaks, as_of);
	PG_RETURN_DATUM(EvaluationGetDatum(fcinfo, &e, &facts, PRIO_API_0_5));
}
