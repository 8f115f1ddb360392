/*
 * segment.c
 *		Named RFM segments: the rule rows of prio.rfm_segments, in position
 *		order, compiled into a lookup map of every (r, f, m) score triple
 *		(engine/rfm_segments.c reads the table and keeps the map).
 */
#include "prio.h"

void
CheckScore(int32 score, const char *name)
{
	if (score < 1 || score > SEGMENT_NSCORE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s score must be between 1 and 5, not %d", name, score)));
}

/*
 * Name every cell of the map that the row's limits (r_min, r_max, f_min,
 * f_max, m_min, m_max; inclusive, clipped to 1..5, a NULL read as -1 covers
 * nothing) cover and no earlier row claimed: the first matching row wins.
 */
void
prio_segment_map_add(SegmentMap map, const char *name, const int *lim)
{
	for (int r = Max(lim[0], 1); r <= Min(lim[1], SEGMENT_NSCORE); r++)
		for (int f = Max(lim[2], 1); f <= Min(lim[3], SEGMENT_NSCORE); f++)
			for (int m = Max(lim[4], 1); m <= Min(lim[5], SEGMENT_NSCORE); m++)
				if (map[r - 1][f - 1][m - 1] == NULL)
					map[r - 1][f - 1][m - 1] = name;
}
