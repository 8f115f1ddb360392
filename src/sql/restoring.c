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
	PG_RETURN_BOOL(PrioRestoring());
}
