/*
 * _type_condition_check.c
 *		prio._type_condition_check(condition, type): the row check of
 *		prio.customer_types (rules/types.c compiles the condition).
 */
#include "prio.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"

/*
 * prio._type_condition_check(condition jsonb, type text) RETURNS void
 *		An error 22023 naming the bad part when the condition is not valid.
 */
PG_FUNCTION_INFO_V1(prio_type_condition_check);
Datum
prio_type_condition_check(PG_FUNCTION_ARGS)
{
	CheckArgNotNull(fcinfo, 0, "condition");
	prio_type_compile(PG_GETARG_JSONB_P(0),
					  PG_ARGISNULL(1) ? "(unnamed)" : text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_VOID();
}
