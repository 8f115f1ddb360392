/*
 * win_features.c
 *		prio.win_features(state): the features the closing writes keep in
 *		win_outcomes, for any state row (engine/outcomes.c).
 */
#include "prio.h"


/*
 * prio.win_features(state customer_state) RETURNS jsonb
 *		PrioWinFeatures(); NULL when the customer does not exist or the
 *		caller cannot see it.
 */
PG_FUNCTION_INFO_V1(prio_win_features);
Datum
prio_win_features(PG_FUNCTION_ARGS)
{
	Datum		result;

	if (!PrioWinFeatures(PG_GETARG_DATUM(0), &result))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}
