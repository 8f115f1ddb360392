/*
 * invalidate_cache.c
 *		prio.invalidate_cache(): statement trigger on prio.rfm_segments.
 *		Plain DML sends no relcache invalidation, so backends that cached
 *		the segment map would never notice a change; this sends one.
 */
#include "prio.h"

#include "commands/trigger.h"
#include "utils/inval.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(prio_invalidate_cache);
Datum
prio_invalidate_cache(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("prio.invalidate_cache() must be called as a trigger")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}
