/*
 * customers_changed.c
 *		prio.customers_changed(): the AFTER INSERT and UPDATE statement trigger
 *		of prio.customers: checked here, then engine/source_customers.c.
 */
#include "prio.h"

#include "commands/trigger.h"

/*
 * prio.customers_changed(): the statement trigger of INSERT and UPDATE of
 * prio.customers (PrioCustomersChanged).
 */
PG_FUNCTION_INFO_V1(prio_customers_changed);
Datum
prio_customers_changed(PG_FUNCTION_ARGS)
{
	PrioCustomersChanged(CheckStatementTrigger(fcinfo, "customers_changed", "customers"));
	return PointerGetDatum(NULL);
}
