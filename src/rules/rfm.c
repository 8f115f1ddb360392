/*
 * rfm.c
 *		RFM scores against cut points, and the check of the cut points.
 */
#include "prio.h"

#include <math.h>

#include "catalog/pg_type.h"

/*
 * Validate a breaks array and return its elements: one-dimensional, not
 * empty, no NULL or NaN, ascending (ties allowed).
 */
const float8 *
CheckBreaks(ArrayType *breaks, int *nbreaks)
{
	const float8 *b;
	int			n;

	if (ARR_ELEMTYPE(breaks) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("breaks must be an array of double precision")));
	if (ARR_NDIM(breaks) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("breaks must be a one-dimensional array")));
	n = ArrayGetNItems(ARR_NDIM(breaks), ARR_DIMS(breaks));
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("breaks must not be empty"),
				 errhint("Give n ascending cut points for scores 1 to n+1, e.g. quintiles with 4.")));
	if (ARR_HASNULL(breaks))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("breaks must not contain NULL")));
	b = (const float8 *) ARR_DATA_PTR(breaks);
	for (int i = 0; i < n; i++)
	{
		if (isnan(b[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("breaks must not contain NaN")));
		if (i > 0 && b[i] < b[i - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("breaks must be in ascending order"),
					 errdetail("Break %d (%g) is below break %d (%g).",
							   i + 1, b[i], i, b[i - 1])));
	}
	*nbreaks = n;
	return b;
}

/*
 * k = number of breaks strictly below value; higher is better gives 1 + k,
 * lower is better (recency in days) gives n + 1 - k.
 */
int
prio_rfm_score(double value, const float8 *breaks, int nbreaks,
			   bool higher_is_better)
{
	int			lo = 0;
	int			hi = nbreaks;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (breaks[mid] < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	return higher_is_better ? 1 + lo : nbreaks + 1 - lo;
}
