/*
 * rebuild_win_counts.c
 *		prio.rebuild_win_counts(): win_outcomes and win_counts made to follow
 *		the base stages (engine/outcomes.c).
 */
#include "prio.h"


/* prio.rebuild_win_counts() RETURNS void: PrioRebuildWinCounts() */
PG_FUNCTION_INFO_V1(prio_rebuild_win_counts);
Datum
prio_rebuild_win_counts(PG_FUNCTION_ARGS)
{
	PrioRebuildWinCounts();
	PG_RETURN_VOID();
}
