/*
 * _track_check_owner.c
 *		prio._track_check_owner(source, action): prio.track()'s check that the
 *		caller owns the table (engine/track.c).
 */
#include "prio.h"

#include "utils/builtins.h"

/* prio._track_check_owner(source regclass, action text) RETURNS void */
PG_FUNCTION_INFO_V1(prio_track_check_owner);
Datum
prio_track_check_owner(PG_FUNCTION_ARGS)
{
	CheckArgNotNull(fcinfo, 0, "source");
	CheckArgNotNull(fcinfo, 1, "action");
	PrioTrackCheckOwner(PG_GETARG_OID(0), text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_VOID();
}
