/*
 * _track_keys_gone.c
 *		prio._track_keys_gone(source_id): the customers of a tracked customers
 *		table whose keys it no longer has removed (engine/source_tracked.c).
 */
#include "prio.h"

/* prio._track_keys_gone(source_id integer) RETURNS void */
PG_FUNCTION_INFO_V1(prio_track_keys_gone);
Datum
prio_track_keys_gone(PG_FUNCTION_ARGS)
{
	CheckArgNotNull(fcinfo, 0, "source_id");
	PrioTrackKeysGone(PG_GETARG_INT32(0));
	PG_RETURN_VOID();
}
