/*
 * state_closed.c
 *		prio.state_closed(): the AFTER UPDATE row trigger of customer_state
 *		(WHEN an input of the outcome rule changes) that remembers the old
 *		row of a customer decided or opened again for the statement's flush
 *		(engine/outcomes.c).
 */
#include "prio.h"

#include "commands/trigger.h"

/* The row trigger: the old row, remembered when the outcome changes */
PG_FUNCTION_INFO_V1(prio_state_closed);
Datum
prio_state_closed(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	OutcomesCheckTrigger(fcinfo, true, "prio.state_closed()");
	OutcomeRowChanged(td->tg_trigtuple, td->tg_newtuple, RelationGetDescr(td->tg_relation));
	return PointerGetDatum(NULL);
}
