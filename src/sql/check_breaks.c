/*
 * check_breaks.c
 *		prio.check_breaks(breaks): the cut-point check of rules/rfm.c, for
 *		CHECK constraints on settings.
 */
#include "prio.h"

/* prio.check_breaks(breaks): for CHECK constraints on settings */
PG_FUNCTION_INFO_V1(prio_check_breaks);
Datum
prio_check_breaks(PG_FUNCTION_ARGS)
{
	int			n;

	(void) CheckBreaks(PG_GETARG_ARRAYTYPE_P(0), &n);
	PG_RETURN_BOOL(true);
}
