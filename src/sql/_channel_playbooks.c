/*
 * _channel_playbooks.c
 *		prio._channel_playbooks(channel): the playbooks naming a channel,
 *		read in the latest snapshot, for prio.channels_in_use().
 *
 * As a type's (_type_playbook.c): prio.playbooks_check() locks the rows of
 * a playbook's channels FOR KEY SHARE, so a removal or a renaming of a
 * channel waits for the transaction adding a playbook that names it, and
 * then, in repeatable read too, must see that playbook: PrioReadLatest().
 */
#include "prio.h"

#include "catalog/pg_type.h"


/*
 * prio._channel_playbooks(channel text) RETURNS text
 *		The playbooks naming channel, comma-separated in name order, or,
 *		channel NULL, the first playbook (every playbook names a channel);
 *		NULL when there is none.
 */
PG_FUNCTION_INFO_V1(prio_channel_playbooks);
Datum
prio_channel_playbooks(PG_FUNCTION_ARGS)
{
	Oid			argtype = TEXTOID;
	Datum		arg;
	Datum		result;
	bool		isnull;

	if (PG_ARGISNULL(0))
		result = PrioReadLatest("SELECT pg_catalog.min(p.playbook) FROM " PRIO_SCHEMA ".playbooks p",
								0, NULL, NULL, &isnull);
	else
	{
		arg = PG_GETARG_DATUM(0);
		result = PrioReadLatest("SELECT pg_catalog.string_agg(p.playbook, ', ' ORDER BY p.playbook)"
								" FROM " PRIO_SCHEMA ".playbooks p"
								" WHERE $1 OPERATOR(pg_catalog.=) ANY (p.channels)",
								1, &argtype, &arg, &isnull);
	}
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}
