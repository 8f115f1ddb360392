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

PG_FUNCTION_INFO_V1(prio_bant_count);
Datum
prio_bant_count(PG_FUNCTION_ARGS)
{
	bool		answers[4];
	bool		isnull[4];

	for (int i = 0; i < 4; i++)
	{
		isnull[i] = PG_ARGISNULL(i);
		answers[i] = isnull[i] ? false : PG_GETARG_BOOL(i);
	}
	PG_RETURN_INT32(prio_bant(answers, isnull));
}
