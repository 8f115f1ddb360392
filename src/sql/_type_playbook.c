/*
 * _type_playbook.c
 *		prio._type_playbook(type): a playbook for a key-customer type, read
 *		in the latest snapshot, for prio._customer_types_in_use().
 *
 * A type's playbook is checked like a foreign key: prio.playbooks_check()
 * locks the type's row FOR KEY SHARE, so a removal or a renaming of the
 * type waits for the transaction adding its playbook.  Once it has waited,
 * the removal must see that playbook; in read committed any new snapshot
 * does, but in repeatable read (serializable) the transaction's snapshot
 * is older than it.  A foreign key's check reads the referencing rows in
 * the latest snapshot then (ri_triggers.c, detectNewRows); so does this,
 * and it only ever refuses on what it finds, never returns rows the
 * transaction could not see otherwise.
 */
#include "prio.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"


/*
 * prio._type_playbook(type text) RETURNS text
 *		The playbook for type (its name), or, type NULL, the first playbook
 *		for any type (not a tier's); NULL when there is none.
 */
PG_FUNCTION_INFO_V1(prio_type_playbook);
Datum
prio_type_playbook(PG_FUNCTION_ARGS)
{
	Oid			argtype = TEXTOID;
	Datum		arg = (Datum) 0;
	SPIPlanPtr	plan;
	int			ret;
	bool		isnull = true;
	Datum		result = (Datum) 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (PG_ARGISNULL(0))
		plan = SPI_prepare("SELECT pg_catalog.min(p.playbook) FROM " PRIO_SCHEMA ".playbooks p"
						   " WHERE p.playbook OPERATOR(pg_catalog.<>) ALL ('{A,B,C,D}'::text[])",
						   0, NULL);
	else
	{
		arg = PG_GETARG_DATUM(0);
		plan = SPI_prepare("SELECT p.playbook FROM " PRIO_SCHEMA ".playbooks p"
						   " WHERE p.playbook OPERATOR(pg_catalog.=) $1",
						   1, &argtype);
	}
	if (plan == NULL)
		elog(ERROR, "could not prepare the read of prio.playbooks: %s",
			 SPI_result_code_string(SPI_result));
	/* our own earlier commands' rows, and every committed transaction's */
	CommandCounterIncrement();
	ret = SPI_execute_snapshot(plan, PG_ARGISNULL(0) ? NULL : &arg, NULL,
							   GetLatestSnapshot(), InvalidSnapshot, true, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read prio.playbooks: %s", SPI_result_code_string(ret));
	if (SPI_processed > 0)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			result = SPI_datumTransfer(d, false, -1);
	}
	SPI_finish();
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}
