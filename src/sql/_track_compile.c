/*
 * _track_compile.c
 *		prio._track_compile(source, key, expr, want): one mapping expression of
 *		prio.track() checked and compiled (engine/track.c).
 */
#include "prio.h"

#include "funcapi.h"
#include "utils/builtins.h"

/*
 * prio._track_compile(source regclass, key text, expr text, want regtype,
 *					   OUT sql text, OUT type regtype, OUT attnum smallint,
 *					   OUT collation oid, OUT btree boolean): PrioTrackCompile()
 */
PG_FUNCTION_INFO_V1(prio_track_compile);
Datum
prio_track_compile(PG_FUNCTION_ARGS)
{
	TupleDesc	resdesc;
	TrackCompiled c;
	Datum		values[5];
	bool		nulls[5] = {false};

	CheckArgNotNull(fcinfo, 0, "source");
	CheckArgNotNull(fcinfo, 1, "key");
	CheckArgNotNull(fcinfo, 2, "expr");
	if (get_call_result_type(fcinfo, NULL, &resdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "prio._track_compile must return a record");
	PrioTrackCompile(PG_GETARG_OID(0), text_to_cstring(PG_GETARG_TEXT_PP(1)),
					 text_to_cstring(PG_GETARG_TEXT_PP(2)),
					 PG_ARGISNULL(3) ? InvalidOid : PG_GETARG_OID(3), &c);
	values[0] = CStringGetTextDatum(c.sql);
	values[1] = ObjectIdGetDatum(c.type);
	values[2] = Int16GetDatum(c.attnum);
	values[3] = ObjectIdGetDatum(c.collation);
	values[4] = BoolGetDatum(c.btree);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(resdesc), values, nulls)));
}
