/*
 * evaluate.c
 *		The rules, pure: from a customer's facts, BANT answers and the
 *		settings, as of a time: RFM scores, effective stage, value and
 *		intent, the ABCD tier, the priority, the next due date and the rule
 *		that fired.  prio.evaluate() (sql/evaluate.c), the triggers and the
 *		sweeps all call prio_evaluate().
 */
#include "prio.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

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

/*
 * The follow-up cadence of a customer at an effective stage, given its
 * playbook's: a silent or lost one is woken up on its own cadence (0.5,
 * settings silent_cadence and lost_cadence), everyone else followed up on
 * the cadence of its playbook (of its tier, when there are no playbooks).
 */
double
prio_cadence_us(const PrioSettings *s, PrioStage stage, double cadence_us)
{
	if (s->has_react_cadence && stage == STAGE_SILENT)
		return s->silent_cadence_us;
	if (s->has_react_cadence && stage == STAGE_LOST)
		return s->lost_cadence_us;
	return cadence_us;
}

/* The rules, in the order the README gives them. */
void
prio_evaluate(PrioEval *e, const PrioFacts *f, const PrioHeldTypes *held,
			  const bool *bant_answers,
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
	if (held != NULL)
	{
		e->ntypes = held->ntypes;
		e->types = held->types;
		e->type_implies_value = held->implies_value;
	}

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

	/*
	 * lifecycle: quiet since the last inbound, else the first activity, else
	 * creation, or since the last deal opened or closed (0.5); the base stage
	 * is the most advanced open deal's (rules/deals.c)
	 */
	since = f->has_inbound ? f->last_inbound_at
		: f->has_activity ? f->first_at : created_at;
	since = prio_deals_quiet_since(f, since);
	e->stage = prio_effective_stage(prio_deals_base_stage(f, s), true, since, as_of,
									s->silent_us, s->dormant_us);

	/*
	 * intent_at is the newest folded event, so an as_of before it (a
	 * refresh(as_of) in the past of the facts) would take that event's
	 * decay back and count it above its weight: it sees the intent as kept
	 */
	e->intent_now = !f->has_activity ? 0.0
		: as_of < f->intent_at ? f->intent
		: prio_intent_at(f->intent, f->intent_at, as_of, s->half_life_us);

	/*
	 * value: high when any enabled signal fires (prio.value_signals; 0.4's
	 * settings give the default ones); the rule names the first, in the
	 * order 0.4 tried them, and e->value_signals keeps every one
	 */
	for (int v = 0; v < VS_COUNT; v++)
	{
		bool		fired = false;
		StringInfoData why;

		if (!s->vs_enabled[v])
			continue;
		initStringInfo(&why);
		switch ((PrioValueSignal) v)
		{
			case VS_MONETARY:
			case VS_FREQUENCY:
				{
					int			i = v == VS_MONETARY ? 2 : 1;

					fired = s->vs_has_threshold[v] && e->has_scores[i] &&
						e->score[i] >= s->vs_threshold[v];
					if (fired)
						appendStringInfo(&why, "%s score %d >= %d",
										 v == VS_MONETARY ? "monetary" : "frequency",
										 e->score[i], (int) s->vs_threshold[v]);
					break;
				}
			case VS_BUDGET_AUTHORITY:
				fired = !bant_null[0] && bant_answers[0] && !bant_null[1] && bant_answers[1];
				if (fired)
					appendStringInfoString(&why, "budget and authority");
				break;
			case VS_CLV:
				fired = s->vs_has_threshold[v] && prio_customer_clv(f, s, as_of, &clv) &&
					clv >= s->vs_threshold[v];
				if (fired)
					appendStringInfo(&why, "CLV %.0f >= %g", clv, s->vs_threshold[v]);
				break;
			case VS_PIPELINE:
				{
					/* the open deals' amounts, or the implicit deal's */
					double		pipeline = prio_deals_pipeline(f);

					fired = s->vs_has_threshold[v] &&
						(f->deals.open_deals > 0 || prio_deals_implicit(f)) &&
						pipeline >= s->vs_threshold[v];
					if (fired)
						appendStringInfo(&why, "%s %.0f >= %g",
										 f->deals.open_deals > 0 ? "pipeline" : "quoted",
										 pipeline, s->vs_threshold[v]);
					break;
				}
			case VS_KEY_TYPE:
				fired = e->type_implies_value;	/* prio_evaluate()'s held */
				if (fired)
					appendStringInfoString(&why, "a key-customer type that implies value");
				break;
			case VS_COUNT:
				break;
		}
		if (fired)
		{
			if (!e->value_high)
				appendStringInfo(&e->rule, "value high (%s)", why.data);
			e->value_high = true;
			e->value_signals |= 1u << v;
		}
		pfree(why.data);
	}
	if (!e->value_high)
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

	/*
	 * 0.5: the funnel counts -- an open deal adds weight_funnel x its stage's
	 * funnel points on top of the 0..100 above (README: the formula)
	 */
	e->points[5] = prio_deals_funnel_points(f, s);
	e->priority += s->w_funnel * e->points[5];
	e->priority = rint(e->priority * 10.0) / 10.0;

	/*
	 * next due: the last outbound touch (else first activity, else creation)
	 * + the cadence of the playbook that wins among the tier's and the
	 * held types' (rules/playbook.c); (0.5) a silent or lost customer is
	 * woken up on its re-activation cadence instead (settings
	 * silent_cadence, lost_cadence)
	 */
	due_base = f->has_outbound ? f->last_outbound_at
		: f->has_activity ? f->first_at : created_at;
	e->next_due_at = due_plus(due_base,
							  prio_cadence_us(s, e->stage,
											  prio_playbook_cadence(e, s, e->types, e->ntypes)));
}
