/*
 * restore.c
 *		A session that loads a dump of prio: prio's triggers stand aside.
 *
 * pg_dump keeps every table of prio as it is, the derived ones too
 * (customer_state, tier_history, win_outcomes, win_counts, auto_breaks), and
 * a restore must give them back exactly.  When a restore loads customers and
 * activities, prio's triggers would fold and re-tier them again and write
 * history of their own on top of the dumped history.  So the first data a
 * dump of prio holds is the one row of prio._restore (its name sorts before
 * every other table of prio, and pg_dump and pg_restore load the data of one
 * schema's tables in name order where keys do not say otherwise): loading it
 * runs prio.restore_begin(), which skips the row (CREATE EXTENSION has
 * seeded it) and marks the session as restoring.  The derived tables'
 * triggers then do nothing for the rest of the session (their WHEN clause
 * asks prio.restoring()), and the dumped state and history are loaded as
 * they were.
 *
 * Only the owner of prio._restore (or a superuser) can insert into it, so
 * only they can put a session in this mode; it lasts until the session ends.
 */
#include "prio.h"

#include "commands/trigger.h"
#include "utils/rel.h"

static bool restoring = false;

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
	if (!restoring)
		ereport(LOG,
				(errmsg("prio: this session loads a dump of prio; prio's triggers leave the loaded tables as they are until it ends")));
	restoring = true;
	/* the row is already there: CREATE EXTENSION seeded it */
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(prio_restoring);
Datum
prio_restoring(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(restoring);
}
