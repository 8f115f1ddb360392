/*
 * source_changed.c
 *		prio.source_changed(): the statement trigger of every tracked table
 *		(engine/source_tracked.c).
 */
#include "prio.h"

#include "commands/trigger.h"

PG_FUNCTION_INFO_V1(prio_source_changed);
Datum
prio_source_changed(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("prio.source_changed() must be an AFTER statement trigger of a tracked table")));
	PrioSourceChanged(td);
	return PointerGetDatum(NULL);
}
