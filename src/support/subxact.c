/*
 * subxact.c
 *		A piece of work run in a subtransaction whose error is caught: the
 *		reads of a tracked table (a mapping that errors on one of its rows,
 *		row-level security that applies to prio's owner) must not fail the
 *		statement that caused them.  What is the server's or the session's
 *		to say (PrioErrorIsTheServers()) is raised again.
 */
#include "prio.h"

#include "access/xact.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

/*
 * Errors that are the server's or the session's, not a tracked table's:
 * serialization failure, deadlock, out of memory or disk, lock timeout,
 * cancel, an internal error.
 */
bool
PrioErrorIsTheServers(int sqlerrcode)
{
	char	   *state = unpack_sql_state(sqlerrcode);

	return strncmp(state, "40", 2) == 0 || strncmp(state, "53", 2) == 0 ||
		strncmp(state, "54", 2) == 0 || strncmp(state, "57", 2) == 0 ||
		strncmp(state, "58", 2) == 0 || strncmp(state, "XX", 2) == 0 ||
		strcmp(state, "55P03") == 0;
}

/*
 * fn(arg) in a subtransaction: NULL when it returned, else its error,
 * copied into the caller's memory context, the subtransaction rolled back.
 * An error of the server's is raised again; an internal error (XX) too
 * unless internal_caught (the application's write, which prio's own bug
 * must not fail).  The caller's memory context is current on return.
 */
ErrorData *
PrioTry(void (*fn) (void *arg), void *arg, bool internal_caught)
{
	MemoryContext mine = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(mine);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(mine);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(mine);
		e = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(mine);
		CurrentResourceOwner = owner;
		if (PrioErrorIsTheServers(e->sqlerrcode) &&
			!(internal_caught && strncmp(unpack_sql_state(e->sqlerrcode), "XX", 2) == 0))
			ReThrowError(e);
		edata = e;
	}
	PG_END_TRY();
	return edata;
}
