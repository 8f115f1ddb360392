/*
 * bant.c
 *		BANT qualification: how many of budget, authority, need and timeline
 *		are known to be met.
 */
#include "prio.h"

/* NULL means "not known", which is not met. */
int
prio_bant(const bool *answers, const bool *isnull)
{
	int			n = 0;

	for (int i = 0; i < 4; i++)
		if (!isnull[i] && answers[i])
			n++;
	return n;
}
