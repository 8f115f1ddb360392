/*
 * rfm_segment.c
 *		prio.rfm_segment(r, f, m): the segment prio.rfm_segments names for a
 *		score triple (engine/rfm_segments.c).
 */
#include "prio.h"

#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(prio_rfm_segment_sql);
Datum
prio_rfm_segment_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(prio_rfm_segment(PG_GETARG_INT32(0),
													  PG_GETARG_INT32(1),
													  PG_GETARG_INT32(2))));
}
