/*
 * state_closed_flush.c
 *		prio.state_closed_flush(): the AFTER UPDATE statement trigger of
 *		customer_state that writes the remembered outcomes (engine/outcomes.c).
 */
#include "prio.h"


/* The statement trigger: OutcomesFlush() */
PG_FUNCTION_INFO_V1(prio_state_closed_flush);
Datum
prio_state_closed_flush(PG_FUNCTION_ARGS)
{
	OutcomesCheckTrigger(fcinfo, false, "prio.state_closed_flush()");
	OutcomesFlush();
	return PointerGetDatum(NULL);
}
