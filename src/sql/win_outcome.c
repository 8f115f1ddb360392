/*
 * win_outcome.c
 *		prio.win_outcome(state): whether a customer's business is decided,
 *		by the rule the win outcomes follow (rules/deals.c).
 */
#include "prio.h"

#include "utils/builtins.h"

/*
 * prio.win_outcome(state customer_state) RETURNS text
 *		'won' or 'lost' once decided (prio_deals_outcome()), NULL while a
 *		deal is in flight or nothing is decided.
 */
PG_FUNCTION_INFO_V1(prio_win_outcome);
Datum
prio_win_outcome(PG_FUNCTION_ARGS)
{
	RowReader  *rr = fcinfo->flinfo->fn_extra;
	bool		won;

	if (rr == NULL)
	{
		rr = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RowReader));
		fcinfo->flinfo->fn_extra = rr;
	}
	if (!OutcomeOfRow(PG_GETARG_DATUM(0), rr, fcinfo->flinfo->fn_mcxt, &won))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(won ? "won" : "lost"));
}
