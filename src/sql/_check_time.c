/*
 * _check_time.c
 *		prio._check_time(value, name): CheckTimeArg() for the SQL functions
 *		that take an as_of (prio.reason(), prio.reactivation_reason()), so
 *		an infinite or NULL as_of is refused there as the C ones refuse it.
 */
#include "prio.h"

#include "utils/builtins.h"


/*
 * prio._check_time(value timestamptz, name text) RETURNS boolean
 *		true, or 22004 (NULL) / 22023 (+-infinity) naming the argument.
 */
PG_FUNCTION_INFO_V1(prio_check_time);
Datum
prio_check_time(PG_FUNCTION_ARGS)
{
	CheckArgNotNull(fcinfo, 1, "name");
	(void) CheckTimeArg(fcinfo, 0, text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_BOOL(true);
}
