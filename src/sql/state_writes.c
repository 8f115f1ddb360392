/*
 * state_writes.c
 *		prio.state_writes(): how this backend wrote state rows, by path
 *		(engine/state_write.c).
 */
#include "prio.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

/*
 * prio.state_writes(OUT path text, OUT statements bigint, OUT state_rows bigint)
 *		How this backend wrote state rows: through the executor without a
 *		statement, or by the SQL UPDATE (row-level security, a rule, an
 *		executor hook ... on customer_state).  Takes no locks.
 */
PG_FUNCTION_INFO_V1(prio_state_writes);
Datum
prio_state_writes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	static const char *const paths[2] = {"executor", "update"};

	InitMaterializedSRF(fcinfo, 0);
	for (int p = 0; p < 2; p++)
	{
		Datum		values[3] = {CStringGetTextDatum(paths[p]), Int64GetDatum(StateWrites(p, 0)),
		Int64GetDatum(StateWrites(p, 1))};
		bool		nulls[3] = {false, false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
