/*
 * fold.c
 *		A customer's facts folded from its activities in (at, activity_id)
 *		order: first/last activity, last inbound/outbound/purchase, purchase
 *		count and sum, decayed intent (with the reply term, 0.5), the base
 *		stage (0.5: and when it was decided won or lost), and the BTYD
 *		inputs (first purchase, purchase days, first day's amount).
 *
 * The same step serves a full rebuild (start from nothing, every activity)
 * and live maintenance (start from the stored facts, only the new rows, when
 * they all come after the stored last_at), so both give identical results.
 */
#include "prio.h"

#include "utils/datum.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

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

/*
 * Everything but the purchase accounting, which prio_fold_event adds.  A
 * refund (signal false) is a contact in its direction and nothing more: it
 * neither steps the stage nor adds intent.
 *
 * Reply speed (0.5): an inbound activity that answers an outbound touch
 * (the last outbound after the last inbound, or no inbound yet) adds
 * reply_weight * 2^(-(at - last_outbound_at) / reply_half_life) to intent
 * beside its kind's weight, decaying from then on like the rest: a reply
 * ten minutes after our call counts nearly reply_weight, one three days
 * later an eighth of it (half-life one day).  Only a kind that carries
 * intent (intent_weight > 0) earns it: a quick "no" (rejected, weight 0)
 * answers the touch but adds nothing.
 *
 * A lost customer and a kind that does not revive (activity_kinds.revives,
 * an automated email_open): an inbound one is a contact and nothing more --
 * not inbound for the silent clock (last_inbound_at) nor an answer to our
 * last touch, no intent, the stage stays lost; an outbound one is our touch
 * as any other, but leaves the stage lost too.
 */
static void
prio_fold_step(PrioFacts *f, TimestampTz at, bool inbound, bool revives,
			   bool has_kind_stage, PrioStage kind_stage,
			   double weight, const PrioSettings *s, bool signal, bool purchase)
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
	if (inbound && !revives && f->stage == STAGE_LOST)
		return;
	if (inbound && signal && weight > 0.0 && s->reply_weight != 0.0 && f->has_outbound &&
		(!f->has_inbound || f->last_outbound_at > f->last_inbound_at))
		weight += s->reply_weight * prio_decay(f->last_outbound_at, at, s->reply_half_life_us);
	if (inbound)
		max_ts(&f->has_inbound, &f->last_inbound_at, at);
	else
		max_ts(&f->has_outbound, &f->last_outbound_at, at);
	if (!signal)
		return;

	/* intent is kept decayed to the newest event it has seen */
	if (at >= f->intent_at)
	{
		f->intent = f->intent * prio_decay(f->intent_at, at, s->half_life_us) + weight;
		f->intent_at = at;
	}
	else
		f->intent += weight * prio_decay(at, f->intent_at, s->half_life_us);

	f->stage = prio_stage_step(f->stage, has_kind_stage, kind_stage, inbound, revives);

	/*
	 * stage_at: this activity decided the business when it left the stage
	 * won or lost by its own word -- its kind's stage, or won by a purchase.
	 * A call, a refund, a won kind that cannot revive a lost customer decide
	 * nothing.  The deal rules compare this with a closed deal's date
	 * (rules/deals.c): only what the activities decided after it counts.
	 */
	if ((f->stage == STAGE_WON || f->stage == STAGE_LOST) &&
		((has_kind_stage && kind_stage == f->stage) || (purchase && f->stage == STAGE_WON)))
	{
		f->stage_at = at;
		f->has_stage_at = true;
	}
}

static bool
numeric_negative(Numeric n)
{
	static Numeric zero = NULL;

	if (zero == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		zero = int64_to_numeric(0);
		MemoryContextSwitchTo(old);
	}
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(n),
											 NumericGetDatum(zero))) < 0;
}

/*
 * (0.5) The monthly buckets of the key-customer types' facts (rules/types.c):
 * month_purchases[i] and month_inbound[i] are the net purchases and inbound
 * activities of the UTC month i months before last_at's (month_at); older
 * months fall off.  Called after the step that moved last_at, so a newer
 * month shifts the buckets first.
 */
static void
prio_fold_months(PrioFacts *f, bool had_activity, TimestampTz at, bool inbound,
				 Numeric amount)
{
	int32		anchor = prio_utc_month(f->last_at);
	int32		i;

	if (!had_activity)
		f->month_at = anchor;
	else if (anchor > f->month_at)
	{
		int32		shift = anchor - f->month_at;

		for (int k = PRIO_MONTHS - 1; k >= 0; k--)
		{
			f->month_purchases[k] = k >= shift ? f->month_purchases[k - shift] : 0.0;
			f->month_inbound[k] = k >= shift ? f->month_inbound[k - shift] : 0;
		}
		f->month_at = anchor;
	}
	i = f->month_at - prio_utc_month(at);
	if (i < 0 || i >= PRIO_MONTHS)
		return;
	if (inbound && f->month_inbound[i] < PG_INT32_MAX)
		f->month_inbound[i]++;
	if (amount != NULL)
		f->month_purchases[i] += DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
																	NumericGetDatum(amount)));
}

/* One activity, the purchase accounting included; the sum is kept in cxt. */
static void
prio_fold_event(PrioFacts *f, TimestampTz at, const PrioKind *k, Numeric amount,
				const PrioSettings *s, MemoryContext cxt)
{
	/*
	 * A refund: a tracked table's purchase of a negative amount (prio's own
	 * activities have none).  It is no purchase and no step towards one: the
	 * stage does not move (a purchase kind's won), intent does not grow; it
	 * counts as a contact in its kind's direction, and monetary is net of it,
	 * never below 0.  Folded in time order, as everything else.
	 */
	bool		is_purchase = k->is_purchase;
	bool		refund = is_purchase && amount != NULL && numeric_negative(amount);
	bool		had_activity = f->has_activity;
	/* a lost customer's inbound of a kind that does not revive: no interaction */
	bool		counts_inbound = k->inbound && (k->revives || f->stage != STAGE_LOST);

	prio_fold_step(f, at, k->inbound, k->revives, k->has_stage, k->stage, k->weight, s, !refund,
				   is_purchase && !refund);
	prio_fold_months(f, had_activity, at, counts_inbound, is_purchase ? amount : NULL);
	if (!isfinite(f->intent))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("intent of customer " INT64_FORMAT " is out of range", f->customer_id)));
	if (refund)
	{
		if (f->monetary != NULL)
		{
			NumericAccum(&f->monetary, amount, cxt);
			if (numeric_negative(f->monetary))
			{
				Numeric		zero = int64_to_numeric(0);
				MemoryContext old = MemoryContextSwitchTo(cxt);

				pfree(f->monetary);
				f->monetary = palloc(VARSIZE(zero));
				memcpy(f->monetary, zero, VARSIZE(zero));
				MemoryContextSwitchTo(old);
			}
		}
	}
	else if (is_purchase)
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

/*
 * 0.5: the implicit deal.  A quote or proposal with an amount above 0 opens
 * it (the latest one's amount); a purchase (not a refund), or a kind whose
 * stage is won or lost, after it closes it.
 */
static void
prio_fold_quote(PrioFacts *f, const PrioKind *k, const PrioEvent *ev, MemoryContext cxt)
{
	if (k->deal_quote && ev->amount != NULL && !numeric_is_nan(ev->amount) &&
		!numeric_is_inf(ev->amount) && !numeric_negative(ev->amount) &&
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(ev->amount),
										  NumericGetDatum(int64_to_numeric(0)))) > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		f->has_quote = true;
		f->quote_at = ev->at;
		f->quote_amount = DatumGetNumeric(datumCopy(NumericGetDatum(ev->amount), false, -1));
		MemoryContextSwitchTo(old);
	}
	else if (f->has_quote &&
			 ((k->is_purchase && !(ev->amount != NULL && numeric_negative(ev->amount))) ||
			  (k->has_stage && (k->stage == STAGE_WON || k->stage == STAGE_LOST))))
	{
		f->has_quote = false;
		f->quote_amount = NULL;
	}
}

/*
 * The order every fold takes: time, then activity_id, then arrival.  An
 * event of a tracked table has no activity_id: its tiebreak, a hash of its
 * kind and amount, stands in for it, so events at the same instant fold in
 * one order on every path (two with the same kind and amount are alike).
 */
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
 * An event dated after upto (the time the customer is evaluated as of) is
 * a planned touch: not folded; the earliest is kept in next_planned_at, so
 * the customer is folded again once it is due (refresh()).  DT_NOEND: none.
 */
void
prio_fold_events(PrioFacts *f, PrioEvent *ev, int n, const PrioKind *kinds,
				 const PrioSettings *s, TimestampTz upto, MemoryContext cxt)
{
	bool		sorted = true;

	for (int i = 1; i < n && sorted; i++)
		sorted = prio_event_cmp(&ev[i - 1], &ev[i]) <= 0;
	if (!sorted)
		qsort(ev, n, sizeof(PrioEvent), prio_event_cmp);
	for (int i = 0; i < n; i++)
	{
		const PrioKind *k = &kinds[ev[i].kind];

		if (ev[i].at > upto)
		{
			/* in time order: the rest are planned too, none earlier */
			if (!f->has_planned || ev[i].at < f->next_planned_at)
				f->next_planned_at = ev[i].at;
			f->has_planned = true;
			break;
		}
		prio_fold_event(f, ev[i].at, k, k->is_purchase ? ev[i].amount : NULL, s, cxt);
		prio_fold_quote(f, k, &ev[i], cxt);
	}
}
