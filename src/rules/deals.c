/*
 * deals.c
 *		The deal rules, pure: what a customer's deal facts (customer_state's
 *		open_deals .. deal_outcome, computed from prio.deals) do to its
 *		stage, its quiet clock and its funnel points; and the value signals
 *		as 0.4's settings give them.
 *
 * With an open deal, the customer's base stage is the lifecycle stage its
 * most advanced open deal's stage stands for (prio.deal_stages.lifecycle):
 * a new deal after a win takes the customer through the funnel again.  A
 * deal won or lost closes that deal only.  With no open deal the stage is
 * the activities' (0.4), and a won last deal counts as a purchase-stage win:
 * the customer is won unless the activities decided lost after the deal
 * closed.  "Decided after": the stage is won or lost and stage_at, when an
 * activity last decided it so (rules/fold.c), is after the deal's close --
 * one test, decided_after(), for the base stage and the outcome alike.
 */
#include "prio.h"

#include "utils/builtins.h"
#include "utils/numeric.h"

const char *const prio_value_signal_names[VS_COUNT] = {
	"monetary_score", "frequency_score", "budget_authority", "clv", "pipeline", "key_type"
};

/* The deal stage called name (NULL: no such stage, or name is NULL) */
const PrioDealStage *
prio_deal_stage(const PrioSettings *s, const char *name)
{
	if (name == NULL)
		return NULL;
	for (int i = 0; i < s->ndeal_stages; i++)
		if (strcmp(s->deal_stages[i].name, name) == 0)
			return &s->deal_stages[i];
	return NULL;
}

/*
 * With no deals at all (no row of prio.deals, ever: no last_deal_at), a
 * quote or proposal activity with an amount stands for an open deal at
 * stage quote (the fold's implicit deal: has_quote, quote_amount).
 */
bool
prio_deals_implicit(const PrioFacts *f)
{
	return f->deals.open_deals <= 0 && !f->deals.has_deal_at && f->has_quote;
}

/* the open funnel stage of the customer's most advanced open deal, if any */
static const PrioDealStage *
funnel_of(const PrioFacts *f, const PrioSettings *s)
{
	const PrioDealStage *st;

	if (prio_deals_implicit(f))
		st = prio_deal_stage(s, "quote");
	else if (f->deals.open_deals <= 0 || !f->deals.has_funnel)
		return NULL;
	else
		st = prio_deal_stage(s, f->deals.funnel_stage);
	return st != NULL && st->open ? st : NULL;
}

/* The open pipeline: the open deals' amounts, else the implicit deal's */
double
prio_deals_pipeline(const PrioFacts *f)
{
	if (f->deals.open_deals > 0)
		return f->deals.pipeline;
	if (prio_deals_implicit(f) && f->quote_amount != NULL)
		return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
												  NumericGetDatum(f->quote_amount)));
	return 0.0;
}

/*
 * The last closed deal as customer_state keeps it: deal_closed_at
 * (has_closed_at) and deal_outcome (NULL: none).  Closed when both are set;
 * won when the outcome is 'won' -- the one reading of a stored outcome, for
 * every path that reads a state row (a prio.facts value, the sweep's slot,
 * the win outcome's composite).
 */
void
prio_deals_closed(PrioFacts *f, bool has_closed_at, TimestampTz closed_at, text *outcome)
{
	f->deals.has_closed = has_closed_at && outcome != NULL;
	f->deals.deal_closed_at = f->deals.has_closed ? closed_at : 0;
	f->deals.won = f->deals.has_closed && VARSIZE_ANY_EXHDR(outcome) == 3 &&
		memcmp(VARDATA_ANY(outcome), "won", 3) == 0;
}

/*
 * Whether the activities decided the business after the last closed deal
 * closed: their stage is won or lost, and the activity that last decided
 * it so (stage_at) came after.  Activities that decide nothing (a call, a
 * meeting) do not reopen the question, whenever they come; a decision
 * before the deal closed is the deal's to overrule.
 */
static bool
decided_after(const PrioFacts *f)
{
	return (f->stage == STAGE_WON || f->stage == STAGE_LOST) &&
		f->has_stage_at && f->stage_at > f->deals.deal_closed_at;
}

/*
 * The base stage: the activities' (f->stage), as the deal facts change it
 * (an implicit deal does not: its quote or proposal moved the stage already)
 */
PrioStage
prio_deals_base_stage(const PrioFacts *f, const PrioSettings *s)
{
	const PrioDealStage *st = prio_deals_implicit(f) ? NULL : funnel_of(f, s);

	if (st != NULL)
		return st->lifecycle;
	/* a won deal is a win, as a purchase is: lost only by what decided so after it */
	if (f->deals.open_deals <= 0 && f->deals.has_closed && f->deals.won && !decided_after(f))
		return STAGE_WON;
	return f->stage;
}

/*
 * The win model's outcome: whether the customer's business is decided, and
 * (*won) how.  Nothing is decided while a deal is in flight (an open deal,
 * or the implicit one).  With a closed deal, the last one decides, unless
 * the activities decided after it closed (decided_after: won or lost by an
 * activity after it, a purchase, a contract, a rejection).  With no closed
 * deal, the activities' base stage decides.  The one rule of the row
 * trigger, recompute() and prio.win_outcome() (followup, explain,
 * win_probability(id)); it agrees with the base stage whenever that is won
 * or lost by the deals or by what the activities decided after them.
 */
bool
prio_deals_outcome(const PrioFacts *f, bool *won)
{
	if (f->deals.open_deals > 0 || prio_deals_implicit(f))
		return false;
	if (f->deals.has_closed)
	{
		*won = decided_after(f) ? f->stage == STAGE_WON : f->deals.won;
		return true;
	}
	if (f->stage != STAGE_WON && f->stage != STAGE_LOST)
		return false;
	*won = (f->stage == STAGE_WON);
	return true;
}

/* The quiet clock's start: a deal opened or closed counts as the customer acting */
TimestampTz
prio_deals_quiet_since(const PrioFacts *f, TimestampTz since)
{
	if (f->deals.has_deal_at && f->deals.last_deal_at > since)
		return f->deals.last_deal_at;
	return since;
}

/* The funnel points: the most advanced open deal's stage's (0: no open deal) */
double
prio_deals_funnel_points(const PrioFacts *f, const PrioSettings *s)
{
	const PrioDealStage *st = funnel_of(f, s);

	return st != NULL ? st->points : 0.0;
}

/*
 * The value signals as 0.4's settings row gives them (prio.value_signals'
 * built-in rows mean the same): the monetary and frequency scores at
 * value_score, budget and authority, CLV at value_min_clv when set; no
 * pipeline or key-customer type signal.
 */
void
prio_value_signals_default(PrioSettings *s)
{
	for (int i = 0; i < VS_COUNT; i++)
	{
		s->vs_enabled[i] = false;
		s->vs_has_threshold[i] = false;
		s->vs_threshold[i] = 0;
	}
	s->vs_enabled[VS_MONETARY] = s->vs_enabled[VS_FREQUENCY] = true;
	s->vs_has_threshold[VS_MONETARY] = s->vs_has_threshold[VS_FREQUENCY] = true;
	s->vs_threshold[VS_MONETARY] = s->vs_threshold[VS_FREQUENCY] = s->value_score;
	s->vs_enabled[VS_BUDGET_AUTHORITY] = true;
	s->vs_enabled[VS_CLV] = s->has_min_clv;
	s->vs_has_threshold[VS_CLV] = s->has_min_clv;
	s->vs_threshold[VS_CLV] = s->min_clv;
}
