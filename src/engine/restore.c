/*
 * restore.c
 *		A session that loads a dump of prio: prio's triggers stand aside.
 *
 * pg_dump keeps every table of prio as it is, the derived ones too
 * (customer_state, tier_history, win_outcomes, win_counts, auto_breaks), and
 * a restore must give them back exactly.  When a restore loads customers and
 * activities, prio's triggers would fold and re-tier them again and write
 * history of their own on top of the dumped history.  So the first data a
 * dump of prio holds is the one row of prio._restore (its name sorts before
 * every other table of prio, and pg_dump and pg_restore load the data of one
 * schema's tables in name order where keys do not say otherwise): loading it
 * runs prio.restore_begin(), which skips the row (CREATE EXTENSION has
 * seeded it) and marks the session as restoring.  The derived tables'
 * triggers then do nothing for the rest of the session (their WHEN clause
 * asks prio.restoring()), and the dumped state and history are loaded as
 * they were.
 *
 * Only the owner of prio._restore (or a superuser) can insert into it, so
 * only they can put a session in this mode; it lasts until the session ends.
 * The trigger is src/sql/restore_begin.c, the WHEN clauses' test
 * src/sql/restoring.c; the session's mode is kept here.
 */
#include "prio.h"

static bool restoring = false;
static bool refused = false;
static int	history_writes = 0;

/* The session loads a dump from now on (said once in the server log). */
void
PrioRestoreBegin(void)
{
	if (!restoring)
		ereport(LOG,
				(errmsg("prio: this session loads a dump of prio; prio's triggers leave the loaded tables as they are until it ends")));
	restoring = true;
}

bool
PrioRestoring(void)
{
	return restoring;
}

/*
 * (0.5) The session was refused a dump of prio 0.4 (restore_begin.c).  psql
 * -f and pg_restore go on after an error, and the rest of the dump would
 * load through prio's live triggers (state folded again, history written a
 * second time on top of the dumped one): prio.restoring(), which every
 * trigger's WHEN clause asks, refuses from now on, for the whole session.
 */
void
PrioRestoreRefuse(void)
{
	refused = true;
}

bool
PrioRestoreRefused(void)
{
	return refused;
}

/*
 * (0.5) prio's own writer is writing prio.tier_history (state_write.c): the
 * statement trigger of tier_history (src/sql/history_loaded.c) lets only
 * those rows in outside a restore.  A counter: a write nested in another
 * (a trigger of the history's own) stays marked.
 */
void
PrioHistoryWriteBegin(void)
{
	history_writes++;
}

void
PrioHistoryWriteEnd(void)
{
	if (history_writes > 0)
		history_writes--;
}

bool
PrioHistoryWriting(void)
{
	return history_writes > 0;
}
