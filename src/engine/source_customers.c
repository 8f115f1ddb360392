/*
 * source_customers.c
 *		The event source of prio.customers: the customers an INSERT or UPDATE
 *		of them named, handed to the engine (state rows made, owners
 *		followed, re-evaluation: engine/refold.c).  prio.customers_changed()
 *		(sql/customers_changed.c) is its trigger.
 */
#include "prio.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"

/*
 * prio.customers_changed(): the statement trigger of INSERT and UPDATE of
 * prio.customers.  A new customer gets its state row (unless an activity of
 * it made one already: that one is kept); the state's owner follows the
 * customer's; then the customers are evaluated again (PrioReevaluate), so
 * a change of BANT answers or created_at re-tiers them.  The customers are
 * read as they are now, not as the statement left them: an application's
 * trigger that fired before this one may have changed or deleted them.
 * td is checked (sql/customers_changed.c).
 */
void
PrioCustomersChanged(TriggerData *td)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	int64	   *ids = NULL;
	int			n = 0;
	int			max = 0;
	bool		inserted = TRIGGER_FIRED_BY_INSERT(td->tg_event);

	if ((!inserted && !TRIGGER_FIRED_BY_UPDATE(td->tg_event)) || td->tg_newtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("prio.customers_changed() must be an INSERT or UPDATE trigger with a NEW TABLE")));
	PrioCollectIds(td->tg_newtable, td->tg_relation, &ids, &n, &max,
				   PrioAttnum(td->tg_relation, "created_at", TIMESTAMPTZOID), now + USECS_PER_DAY,
				   "customer created_at is more than a day in the future",
				   "created_at defaults to now().");
	n = PrioSortIds(ids, n);
	if (n == 0)
		return;
	SPI_connect();
	if (inserted)
	{
		/* rows this transaction made and locked: no lock to wait for */
		if (PrioMakeStateRows(ids, n) < (uint64) n)
			PrioStateOwnersFollow(ids, n);
	}
	else
	{
		/*
		 * The UPDATE holds the customers rows; lock their state rows in
		 * customer_id order, as every writer does after the customers rows.
		 */
		Datum	   *rows = palloc(sizeof(Datum) * n);

		PrioLockStateRows(ids, n, rows, NULL, InvalidCommandId, NULL);
		PrioStateOwnersFollow(ids, n);
	}
	PrioReevaluate(ids, n, now, inserted ? "new customer" : "customer");
	SPI_finish();
}
