/*
 * activities_changed.c
 *		prio.activities_changed(): the AFTER UPDATE, DELETE and TRUNCATE
 *		statement trigger of prio.activities: checked here, then the event
 *		source (engine/source_activities.c) refolds the customers.
 */
#include "prio.h"

#include "commands/trigger.h"

/*
 * prio.activities_changed(): the statement trigger of UPDATE, DELETE and
 * TRUNCATE of prio.activities (PrioActivitiesChanged).
 */
PG_FUNCTION_INFO_V1(prio_activities_changed);
Datum
prio_activities_changed(PG_FUNCTION_ARGS)
{
	PrioActivitiesChanged(CheckStatementTrigger(fcinfo, "activities_changed", "activities"));
	return PointerGetDatum(NULL);
}
