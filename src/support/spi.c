/*
 * spi.c
 *		Helpers for the code that runs statements through SPI: plans kept for
 *		the life of the backend, and id lists as int8[] parameters.
 */
#include "prio.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"

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
