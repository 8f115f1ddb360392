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
 * is older than it: PrioReadLatest().
 */
#include "prio.h"

#include "catalog/pg_type.h"


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
	Datum		arg;
	Datum		result;
	bool		isnull;

	if (PG_ARGISNULL(0))
		result = PrioReadLatest("SELECT pg_catalog.min(p.playbook) FROM " PRIO_SCHEMA ".playbooks p"
								" WHERE p.playbook OPERATOR(pg_catalog.<>) ALL ('{A,B,C,D}'::pg_catalog.text[])",
								0, NULL, NULL, &isnull);
	else
	{
		arg = PG_GETARG_DATUM(0);
		result = PrioReadLatest("SELECT p.playbook FROM " PRIO_SCHEMA ".playbooks p"
								" WHERE p.playbook OPERATOR(pg_catalog.=) $1",
								1, &argtype, &arg, &isnull);
	}
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}
