/*
 * rfm_score.c
 *		prio.rfm_score(value, breaks, higher_is_better): one score against cut
 *		points (rules/rfm.c).
 */
#include "prio.h"

#include <math.h>

PG_FUNCTION_INFO_V1(prio_rfm_score_sql);
Datum
prio_rfm_score_sql(PG_FUNCTION_ARGS)
{
	const float8 *breaks;
	int			nbreaks;
	double		value;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("breaks must not be NULL")));
	breaks = CheckBreaks(PG_GETARG_ARRAYTYPE_P(1), &nbreaks);
	CheckArgNotNull(fcinfo, 2, "higher_is_better");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	value = PG_GETARG_FLOAT8(0);
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value must not be NaN")));
	PG_RETURN_INT32(prio_rfm_score(value, breaks, nbreaks, PG_GETARG_BOOL(2)));
}
