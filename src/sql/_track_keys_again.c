/*
 * _track_keys_again.c
 *		prio._track_keys_again(source_id): every mirrored customer of a
 *		tracked customers table written again from its row
 *		(engine/source_tracked.c).
 */
#include "prio.h"

/* prio._track_keys_again(source_id integer) RETURNS void */
PG_FUNCTION_INFO_V1(prio_track_keys_again);
Datum
prio_track_keys_again(PG_FUNCTION_ARGS)
{
	CheckArgNotNull(fcinfo, 0, "source_id");
	PrioTrackKeysAgain(PG_GETARG_INT32(0));
	PG_RETURN_VOID();
}
