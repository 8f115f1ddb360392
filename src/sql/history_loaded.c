/*
 * history_loaded.c
 *		prio.history_loaded(): the statement trigger of prio.tier_history
 *		that refuses rows loaded into it outside a restore (0.5).
 *
 * prio writes the history itself (state_write.c); the rows a dump of 0.4 or
 * later holds load in restore mode (engine/restore.c), where the trigger's
 * WHEN clause skips it.  Rows loaded otherwise are a dump of prio 0.3 or
 * before, which has no prio._restore row to say so: its customers and
 * activities, loaded before the history (name order), went through prio's
 * live triggers, and its history would stand beside the history they
 * wrote.  Refused (55000) as a dump of 0.4 is, with the way to do it --
 * late: the history is the last table of such a dump.  A DBA's own INSERT
 * into the history is refused too: it is prio's log.
 */
#include "prio.h"

#include "commands/trigger.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(prio_history_loaded);
Datum
prio_history_loaded(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("prio.history_loaded() must be an INSERT statement trigger")));
	if (RelationGetRelid(td->tg_relation) != PrioRelid("tier_history"))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("prio.history_loaded() is a trigger of prio.tier_history only")));
	if (!PrioHistoryWriting())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("prio: rows loaded into prio.tier_history outside a restore: prio writes its history itself, and a dump of prio 0.3 or before cannot be loaded as it is"),
				 errdetail("A dump of 0.4 or later loads the history in restore mode. A dump of 0.3 or before has no prio._restore row: its customers and activities went through prio's triggers as new data, and its history would stand beside the history they wrote."),
				 errhint("If this is the restore of a dump of prio 0.3 or before: drop this database; in a new one run CREATE EXTENSION prio VERSION '0.3' (the dump's version), restore the dump into it (that schema prio already exists is expected), then run ALTER EXTENSION prio UPDATE.")));
	return PointerGetDatum(NULL);
}
