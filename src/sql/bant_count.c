/*
 * bant_count.c
 *		prio.bant_count(budget, authority, need, timeline): the BANT rule
 *		(rules/bant.c) on four booleans, NULL meaning "not known".
 */
#include "prio.h"

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
