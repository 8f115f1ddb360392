/*
 * state_closed.c
 *		prio.state_closed(): the AFTER UPDATE row trigger of customer_state
 *		(WHEN the base stage enters or leaves won/lost) that remembers the old
 *		row for the statement's flush (engine/outcomes.c).
 */
#include "prio.h"

#include "commands/trigger.h"

/* The row trigger: the old row and the new base stage, remembered */
PG_FUNCTION_INFO_V1(prio_state_closed);
Datum
prio_state_closed(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	int			att;
	bool		isnull;

	OutcomesCheckTrigger(fcinfo, true, "prio.state_closed()");
	desc = RelationGetDescr(td->tg_relation);
	att = PrioAttnum(td->tg_relation, "stage", StageTypeOid());
	OutcomeRemember(heap_copy_tuple_as_datum(td->tg_trigtuple, desc),
					StageFromDatum(heap_getattr(td->tg_newtuple, att, desc, &isnull)));
	return PointerGetDatum(NULL);
}
