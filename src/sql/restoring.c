/*
 * restoring.c
 *		prio.restoring(): whether this session loads a dump of prio
 *		(engine/restore.c); the WHEN clause of prio's triggers.
 */
#include "prio.h"

PG_FUNCTION_INFO_V1(prio_restoring);
Datum
prio_restoring(PG_FUNCTION_ARGS)
{
	if (PrioRestoreRefused())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("prio: this session was refused a dump of prio 0.4 and loads nothing more into prio"),
				 errdetail("The rest of the dump would go through prio's triggers as new data, on top of the dumped state and history."),
				 errhint("Drop this database; in a new one run CREATE EXTENSION prio VERSION '0.4', restore the dump, then ALTER EXTENSION prio UPDATE.")));
	PG_RETURN_BOOL(PrioRestoring());
}
