/*
 * activities_inserted.c
 *		prio.activities_inserted(): the AFTER INSERT statement trigger of
 *		prio.activities, whose body is the event source engine/source_activities.c.
 */
#include "prio.h"


/* prio.activities_inserted() of 0.4 */
PG_FUNCTION_INFO_V1(prio_activities_inserted_0_4);
Datum
prio_activities_inserted_0_4(PG_FUNCTION_ARGS)
{
	return ActivitiesInserted(fcinfo, PRIO_API_0_4);
}
