/*
 * restore_begin.c
 *		prio.restore_begin(): the BEFORE INSERT trigger of prio._restore that
 *		puts the session loading a dump in restore mode (engine/restore.c).
 */
#include "prio.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/spi.h"
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

	/*
	 * (0.5) A dump says which version made it (prio._restore.dumped_by); a
	 * dump of 0.4 has no such column, so its row loads NULL.  Loaded into
	 * 0.5 as it is, it would skip what the update to 0.5 does (every
	 * customer evaluated again under 0.5's rules, the typed follow-up views
	 * created again, 0.5's objects granted to prio's roles): refused.  (The
	 * table of a 0.4 installation, which this library serves too, has no
	 * such column: its own dumps load as before.)
	 */
	{
		TupleDesc	desc = RelationGetDescr(td->tg_relation);
		int			attnum = SPI_fnumber(desc, "dumped_by");
		bool		isnull;

		if (attnum > 0)
		{
			(void) heap_getattr(td->tg_trigtuple, attnum, desc, &isnull);
			if (isnull)
			{
				PrioRestoreRefuse();
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("prio: this is a dump of prio 0.4, which prio 0.5 cannot load as it is"),
						 errdetail("Loaded into 0.5, it would skip the update to 0.5: every customer evaluated again, the typed follow-up views created again, 0.5's new objects granted to the roles of prio.grant_reader(), grant_writer() and grant_admin()."),
						 errhint("In a new database, run CREATE EXTENSION prio VERSION '0.4' (the dump's version), restore the dump into it (that schema prio already exists is expected), then run ALTER EXTENSION prio UPDATE.")));
			}
		}
	}
	PrioRestoreBegin();
	/* the row is already there: CREATE EXTENSION seeded it */
	return PointerGetDatum(NULL);
}
