/*
 * tier.c
 *		From a customer's facts, BANT answers and the settings, as of a time:
 *		RFM scores, effective stage, value and intent, the ABCD tier, the
 *		priority, the next due date and the rule that fired.
 */
#include "prio.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "btyd.h"

enum
{
	C_BUDGET, C_AUTHORITY, C_NEED, C_TIMELINE, C_CREATED_AT, C_NFIELDS
};
static const char *const customer_fields[C_NFIELDS] = {
	"budget", "authority", "need", "timeline", "created_at"
};
static const Oid customer_types[C_NFIELDS] = {
	BOOLOID, BOOLOID, BOOLOID, BOOLOID, TIMESTAMPTZOID
};

enum
{
	S_HALF_LIFE, S_SILENT_AFTER, S_DORMANT_AFTER, S_NO_REPLY_AFTER,
	S_CADENCE_A, S_CADENCE_B, S_CADENCE_C, S_CADENCE_D,
	S_VALUE_SCORE, S_BANT_THRESHOLD, S_INTENT_THRESHOLD,
	S_W_TIER, S_W_RFM, S_W_BANT, S_W_INTENT, S_W_STAGE,
	S_VALUE_MIN_CLV, S_CLV_HORIZON, S_CLV_DISCOUNT,	/* 0.2: absent from 0.1's row */
	S_NFIELDS
};
static const char *const settings_fields[S_NFIELDS] = {
	"intent_half_life", "silent_after", "dormant_after", "no_reply_after",
	"cadence_a", "cadence_b", "cadence_c", "cadence_d",
	"value_score", "bant_threshold", "intent_threshold",
	"weight_tier", "weight_rfm", "weight_bant", "weight_intent", "weight_stage",
	"value_min_clv", "clv_horizon", "clv_discount_rate"
};
static const Oid settings_types[S_NFIELDS] = {
	INTERVALOID, INTERVALOID, INTERVALOID, INTERVALOID,
	INTERVALOID, INTERVALOID, INTERVALOID, INTERVALOID,
	INT4OID, INT4OID, FLOAT8OID,
	FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID,
	FLOAT8OID, INT4OID, FLOAT8OID
};

static const char *const bgnbd_fields[4] = {"r", "alpha", "a", "b"};
static const char *const gg_fields[3] = {"p", "q", "v"};
static const Oid float8_types[4] = {FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID};


/* Score in [0,1] of each effective stage for the priority */
static const double stage_points[STAGE_COUNT] = {
	0.0,						/* prospect */
	0.25,						/* interested */
	0.5,						/* engaged */
	1.0,						/* closing */
	0.5,						/* won */
	0.1,						/* silent */
	0.0							/* lost */
};


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

void
SettingsReaderInit(RowReader *rr)
{
	rr->what = "prio.settings";
	rr->names = settings_fields;
	rr->types = settings_types;
	rr->nfields = S_NFIELDS;
	rr->nrequired = S_VALUE_MIN_CLV;
}

void
CustomerReaderInit(RowReader *rr)
{
	rr->what = "prio.customers";
	rr->names = customer_fields;
	rr->types = customer_types;
	rr->nfields = C_NFIELDS;
}

/* A bound customers row's BANT answers (NULL: unknown, read as false) and created_at */
void
prio_read_customer(RowReader *rr, bool *answers, bool *answer_null, TimestampTz *created_at)
{
	Datum		d;
	bool		isnull;

	for (int i = 0; i < 4; i++)
	{
		d = RowGet(rr, C_BUDGET + i, &answer_null[i]);
		answers[i] = answer_null[i] ? false : DatumGetBool(d);
	}
	d = RowGet(rr, C_CREATED_AT, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("customer created_at must not be NULL")));
	*created_at = DatumGetTimestampTz(d);
}

/* readers[0] for prio.bgnbd, readers[1] for prio.gammagamma */
void
ModelReadersInit(RowReader *readers)
{
	readers[0].what = "prio.bgnbd";
	readers[0].names = bgnbd_fields;
	readers[0].types = float8_types;
	readers[0].nfields = 4;
	readers[0].nrequired = 0;
	readers[1].what = "prio.gammagamma";
	readers[1].names = gg_fields;
	readers[1].types = float8_types;
	readers[1].nfields = 3;
	readers[1].nrequired = 0;
}

static bool
read_params(RowReader *rr, Datum row, MemoryContext cxt, double *par)
{
	RowBind(rr, row, cxt);
	for (int i = 0; i < rr->nfields; i++)
	{
		bool		isnull;
		Datum		d = RowGet(rr, i, &isnull);

		if (isnull || !(DatumGetFloat8(d) > 0) || isinf(DatumGetFloat8(d)))
			return false;
		par[i] = DatumGetFloat8(d);
	}
	return true;
}

/* The latest CLV model (prio.rule_config); a missing or broken one is none */
void
prio_read_model(PrioSettings *s, Datum bgnbd, bool bgnbd_null, Datum gammagamma,
				bool gammagamma_null, RowReader *readers, MemoryContext cxt)
{
	s->has_model = !bgnbd_null && !gammagamma_null &&
		read_params(&readers[0], bgnbd, cxt, s->bgnbd) &&
		read_params(&readers[1], gammagamma, cxt, s->gammagamma);
}

/* A setting's value; the table refuses NULLs, a hand-made row may not. */
static Datum
field_value(RowReader *rr, int f)
{
	bool		isnull;
	Datum		d = RowGet(rr, f, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("setting %s must not be NULL", settings_fields[f])));
	return d;
}

static double
field_usecs(RowReader *rr, int f)
{
	return CheckPositiveInterval(DatumGetIntervalP(field_value(rr, f)), settings_fields[f]);
}

static double
field_float(RowReader *rr, int f)
{
	double		v = DatumGetFloat8(field_value(rr, f));

	CheckFiniteDouble(v, settings_fields[f]);
	return v;
}

void
prio_read_settings(PrioSettings *s, RowReader *rr)
{
	s->half_life_us = field_usecs(rr, S_HALF_LIFE);
	s->silent_us = field_usecs(rr, S_SILENT_AFTER);
	s->dormant_us = field_usecs(rr, S_DORMANT_AFTER);
	s->no_reply_us = field_usecs(rr, S_NO_REPLY_AFTER);
	for (int t = 0; t < 4; t++)
		s->cadence_us[t] = field_usecs(rr, S_CADENCE_A + t);
	s->value_score = DatumGetInt32(field_value(rr, S_VALUE_SCORE));
	s->bant_threshold = DatumGetInt32(field_value(rr, S_BANT_THRESHOLD));
	if (s->value_score < 1 || s->value_score > 5 || s->bant_threshold < 1 || s->bant_threshold > 4)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("setting value_score must be 1..5 and bant_threshold 1..4")));
	s->intent_threshold = field_float(rr, S_INTENT_THRESHOLD);
	if (s->intent_threshold <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("setting intent_threshold must be positive")));
	s->w_tier = field_float(rr, S_W_TIER);
	s->w_rfm = field_float(rr, S_W_RFM);
	s->w_bant = field_float(rr, S_W_BANT);
	s->w_intent = field_float(rr, S_W_INTENT);
	s->w_stage = field_float(rr, S_W_STAGE);
	if (s->w_tier < 0 || s->w_rfm < 0 || s->w_bant < 0 || s->w_intent < 0 || s->w_stage < 0 ||
		s->w_tier >= 1e6 || s->w_rfm >= 1e6 || s->w_bant >= 1e6 || s->w_intent >= 1e6 ||
		s->w_stage >= 1e6)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("priority weights must be between 0 and 1e6")));
	{
		bool		isnull;
		Datum		d = RowGet(rr, S_VALUE_MIN_CLV, &isnull);

		s->has_min_clv = !isnull;
		s->min_clv = isnull ? 0 : DatumGetFloat8(d);
		if (s->has_min_clv && !(s->min_clv > 0 && isfinite(s->min_clv)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("setting value_min_clv must be positive and finite")));
		d = RowGet(rr, S_CLV_HORIZON, &isnull);
		s->clv_horizon = isnull ? 12 : DatumGetInt32(d);
		d = RowGet(rr, S_CLV_DISCOUNT, &isnull);
		s->clv_discount = isnull ? 0.01 : DatumGetFloat8(d);
		if (s->clv_horizon < 1 || s->clv_horizon > 600 ||
			!(s->clv_discount >= 0 && s->clv_discount < 1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("setting clv_horizon must be 1..600 and clv_discount_rate in [0, 1)")));
	}
	s->has_model = false;
}

/*
 * The customer's CLV under the model, as prio.clv() over its state row
 * computes it (repeat purchases all worth 0: the population's mean spend);
 * false when it has no purchases or the model cannot score it.
 */
static bool
customer_clv(const PrioFacts *f, const PrioSettings *s, TimestampTz as_of, double *clv)
{
	double		in[4];
	double		m;
	double		spend;

	if (!f->has_purchase || !s->has_model)
		return false;
	prio_btyd_inputs(f->first_purchase_at, f->last_purchase_at, f->purchase_days, f->monetary,
					 f->first_day_amount, as_of, 7.0, in);
	m = in[3];
	if (in[0] > 0 && m == 0)
	{
		if (!(s->gammagamma[1] > 1))
			return false;
		m = s->gammagamma[0] * s->gammagamma[2] / (s->gammagamma[1] - 1);
	}
	if (btyd_gg_expected_spend(s->gammagamma, in[0], m, &spend) != BTYD_OK)
		return false;
	return btyd_clv(s->bgnbd, in[0], in[1], in[2], spend, s->clv_horizon, 4.345,
					s->clv_discount, clv) == BTYD_OK;
}

/*
 * ts + us, counting a day as 24 hours and a month as 30 days like every
 * other duration here, so the result does not depend on the TimeZone.
 */
static TimestampTz
due_plus(TimestampTz ts, double us)
{
	double		due = (double) ts + us;

	if (TIMESTAMP_NOT_FINITE(ts))
		return ts;
	if (!(due >= (double) MIN_TIMESTAMP && due < (double) END_TIMESTAMP))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("next due date is out of range")));
	return (TimestampTz) due;
}

/* The rules, in the order the README gives them. */
void
prio_evaluate(PrioEval *e, const PrioFacts *f, const bool *bant_answers,
			  const bool *bant_null, TimestampTz created_at, const PrioSettings *s,
			  const float8 *const *breaks, const int *nbreaks, TimestampTz as_of)
{
	double		raw[3];
	TimestampTz since;
	TimestampTz due_base;
	double		wsum;
	double		clv;

	memset(e, 0, sizeof(PrioEval));
	initStringInfo(&e->rule);

	/* RFM: recency in days since the last purchase (none: infinitely long) */
	e->recency_days = f->has_purchase
		? ElapsedUsecs(f->last_purchase_at, as_of) / USECS_PER_DAY : INFINITY;
	raw[0] = e->recency_days;
	raw[1] = (double) f->frequency;
	raw[2] = f->monetary ? DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(f->monetary))) : 0.0;
	for (int i = 0; i < 3; i++)
		if (breaks[i] != NULL)
		{
			e->has_scores[i] = true;
			e->score[i] = prio_rfm_score(raw[i], breaks[i], nbreaks[i], i != 0);
		}
	e->bant = prio_bant(bant_answers, bant_null);

	/* lifecycle: quiet since the last inbound, else the first activity, else creation */
	since = f->has_inbound ? f->last_inbound_at
		: f->has_activity ? f->first_at : created_at;
	e->stage = prio_effective_stage(f->stage, true, since, as_of,
									s->silent_us, s->dormant_us);

	e->intent_now = f->has_activity
		? prio_intent_at(f->intent, f->intent_at, as_of, s->half_life_us) : 0.0;

	/* value */
	if (e->has_scores[2] && e->score[2] >= s->value_score)
	{
		e->value_high = true;
		appendStringInfo(&e->rule, "value high (monetary score %d >= %d)", e->score[2], s->value_score);
	}
	else if (e->has_scores[1] && e->score[1] >= s->value_score)
	{
		e->value_high = true;
		appendStringInfo(&e->rule, "value high (frequency score %d >= %d)", e->score[1], s->value_score);
	}
	else if (!bant_null[0] && bant_answers[0] && !bant_null[1] && bant_answers[1])
	{
		e->value_high = true;
		appendStringInfoString(&e->rule, "value high (budget and authority)");
	}
	else if (s->has_min_clv && customer_clv(f, s, as_of, &clv) && clv >= s->min_clv)
	{
		e->value_high = true;
		appendStringInfo(&e->rule, "value high (CLV %.0f >= %g)", clv, s->min_clv);
	}
	else
		appendStringInfoString(&e->rule, "value low");

	/* intent; an unanswered outbound touch overrides the rest */
	e->no_reply = f->has_outbound &&
		(!f->has_inbound || f->last_outbound_at > f->last_inbound_at) &&
		ElapsedUsecs(f->last_outbound_at, as_of) > s->no_reply_us;
	if (e->no_reply)
		appendStringInfoString(&e->rule, "; intent low (last outbound touch unanswered)");
	else if (e->bant >= s->bant_threshold)
	{
		e->intent_high = true;
		appendStringInfo(&e->rule, "; intent high (BANT %d/4 >= %d)", e->bant, s->bant_threshold);
	}
	else if (e->stage == STAGE_ENGAGED || e->stage == STAGE_CLOSING)
	{
		e->intent_high = true;
		appendStringInfo(&e->rule, "; intent high (stage %s)", prio_stage_names[e->stage]);
	}
	else if (e->intent_now >= s->intent_threshold)
	{
		e->intent_high = true;
		appendStringInfo(&e->rule, "; intent high (decayed intent >= %g)", s->intent_threshold);
	}
	else
		appendStringInfoString(&e->rule, "; intent low");

	if (e->stage == STAGE_LOST)
	{
		e->tier = 'D';
		resetStringInfo(&e->rule);
		appendStringInfoString(&e->rule, "lost customers are tier D");
	}
	else
		e->tier = e->value_high ? (e->intent_high ? 'A' : 'B') : (e->intent_high ? 'C' : 'D');

	/* priority: weighted mean of five points in [0,1], scaled to 0..100 */
	e->points[0] = e->tier == 'A' ? 1.0 : (e->tier == 'D' ? 0.0 : 0.5);
	e->points[1] = (e->has_scores[0] && e->has_scores[1] && e->has_scores[2])
		? (e->score[0] + e->score[1] + e->score[2] - 3) /
		(3.0 * (Max(Max(nbreaks[0], nbreaks[1]), nbreaks[2]))) : 0.0;
	e->points[2] = e->bant / 4.0;
	e->points[3] = e->intent_now > 0
		? e->intent_now / (e->intent_now + s->intent_threshold) : 0.0;
	e->points[4] = stage_points[e->stage];
	wsum = s->w_tier + s->w_rfm + s->w_bant + s->w_intent + s->w_stage;
	e->priority = wsum > 0
		? 100.0 * (s->w_tier * e->points[0] + s->w_rfm * e->points[1] +
				   s->w_bant * e->points[2] + s->w_intent * e->points[3] +
				   s->w_stage * e->points[4]) / wsum : 0.0;
	e->priority = rint(e->priority * 10.0) / 10.0;

	/* next due: the last outbound touch (else first activity, else creation) + cadence */
	due_base = f->has_outbound ? f->last_outbound_at
		: f->has_activity ? f->first_at : created_at;
	e->next_due_at = due_plus(due_base, s->cadence_us[e->tier - 'A']);
}

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
	/* the nine-argument form: the CLV model, read only when the rules use it */
	if (with_models && settings.has_min_clv)
		prio_read_model(&settings, PG_GETARG_DATUM(7), PG_ARGISNULL(7), PG_GETARG_DATUM(8),
						PG_ARGISNULL(8), cache->model_rr, fncxt);

	for (int i = 0; i < 3; i++)
		if (!PG_ARGISNULL(3 + i))
			breaks[i] = CheckBreaks(PG_GETARG_ARRAYTYPE_P(3 + i), &nbreaks[i]);

	prio_evaluate(&e, &facts, answers, answer_null, created_at, &settings,
				  breaks, nbreaks, PG_GETARG_TIMESTAMPTZ(6));

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("prio.evaluate must return the composite type prio.evaluation")));
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

/* prio.decayed(value, since, half_life, as_of): value * 2^(-(as_of - since)/half_life) */
PG_FUNCTION_INFO_V1(prio_decayed);
Datum
prio_decayed(PG_FUNCTION_ARGS)
{
	double		hl;

	CheckArgNotNull(fcinfo, 2, "half_life");
	CheckArgNotNull(fcinfo, 3, "as_of");
	hl = CheckPositiveInterval(PG_GETARG_INTERVAL_P(2), "half_life");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	CheckFiniteDouble(PG_GETARG_FLOAT8(0), "value");
	if (PG_ARGISNULL(1))
		PG_RETURN_FLOAT8(PG_GETARG_FLOAT8(0));
	PG_RETURN_FLOAT8(prio_intent_at(PG_GETARG_FLOAT8(0), PG_GETARG_TIMESTAMPTZ(1),
									PG_GETARG_TIMESTAMPTZ(3), hl));
}
