/*
 * spi.c
 *		Helpers for the code that runs statements through SPI: plans kept for
 *		the life of the backend, id lists as int8[] parameters, and a value
 *		read in the latest snapshot.
 */
#include "prio.h"

#include "catalog/pg_type.h"
#include "access/xact.h"
#include "executor/spi.h"
#include "utils/snapmgr.h"

/*
 * A statement prepared and kept for the life of the backend (SPI connected).
 * A statement that does not parse or names a missing object raises its own
 * error inside SPI_prepare_cursor(); NULL only means a bad argument or no
 * SPI connection, which prio's callers never give it.
 */
SPIPlanPtr
PrioKeepPlan(const char *sql, int nargs, Oid *types, int cursor_options)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, types, cursor_options);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed: %s", SPI_result_code_string(SPI_result));
	SPI_keepplan(plan);
	return plan;
}

/* ids as an int8[] datum */
Datum
Int8ArrayDatum(const int64 *ids, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = Int64GetDatum(ids[i]);
	return PointerGetDatum(construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * The first column of the first row of sql, read in the latest snapshot
 * (*isnull: no row, or NULL), copied into the caller's memory context; not
 * connected to SPI.  A check that refuses a removal while a row refers to
 * it reads so, as a foreign key's check does (ri_triggers.c, detectNewRows):
 * after waiting for the row lock a transaction adding a reference holds, a
 * repeatable-read removal must see that reference, which its snapshot
 * predates.  Only ever to refuse on what is found: never to return rows the
 * transaction could not otherwise see.
 */
Datum
PrioReadLatest(const char *sql, int nargs, Oid *types, Datum *args, bool *isnull)
{
	SPIPlanPtr	plan;
	int			ret;
	Datum		result = (Datum) 0;

	*isnull = true;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(sql, nargs, types);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	/* this transaction's earlier commands' rows, and every committed one's */
	CommandCounterIncrement();
	ret = SPI_execute_snapshot(plan, args, NULL, GetLatestSnapshot(), InvalidSnapshot,
							   true, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_snapshot failed: %s", SPI_result_code_string(ret));
	if (SPI_processed > 0)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);

		if (!*isnull)
			result = SPI_datumTransfer(d, TupleDescAttr(SPI_tuptable->tupdesc, 0)->attbyval,
									   TupleDescAttr(SPI_tuptable->tupdesc, 0)->attlen);
	}
	SPI_finish();
	return result;
}
