/*
 * restore_begin.c
 *		prio.restore_begin(): the BEFORE INSERT trigger of prio._restore that
 *		puts the session loading a dump in restore mode (engine/restore.c).
 */
#include "prio.h"

#include "commands/trigger.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(prio_restore_begin);
Datum
prio_restore_begin(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || !TRIGGER_FIRED_BY_INSERT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("prio.restore_begin() must be a BEFORE INSERT row trigger")));
	if (RelationGetRelid(td->tg_relation) != PrioRelid("_restore"))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("prio.restore_begin() is a trigger of prio._restore only")));
	PrioRestoreBegin();
	/* the row is already there: CREATE EXTENSION seeded it */
	return PointerGetDatum(NULL);
}
