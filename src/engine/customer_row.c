/*
 * customer_row.c
 *		A prio.customers row as the rules read it: the four BANT answers and
 *		created_at, by field name, for prio.evaluate() and the event sources.
 */
#include "prio.h"

#include "catalog/pg_type.h"

enum
{
	C_BUDGET, C_AUTHORITY, C_NEED, C_TIMELINE, C_CREATED_AT, C_NFIELDS
};
static const char *const customer_fields[C_NFIELDS] = {
	"budget", "authority", "need", "timeline", "created_at"
};
static const Oid customer_types[C_NFIELDS] = {
	BOOLOID, BOOLOID, BOOLOID, BOOLOID, TIMESTAMPTZOID
};

void
CustomerReaderInit(RowReader *rr)
{
	rr->what = "prio.customers";
	rr->names = customer_fields;
	rr->types = customer_types;
	rr->nfields = C_NFIELDS;
}

/* A bound customers row's BANT answers (NULL: unknown, read as false) and created_at */
void
prio_read_customer(RowReader *rr, bool *answers, bool *answer_null, TimestampTz *created_at)
{
	Datum		d;
	bool		isnull;

	for (int i = 0; i < 4; i++)
	{
		d = RowGet(rr, C_BUDGET + i, &answer_null[i]);
		answers[i] = answer_null[i] ? false : DatumGetBool(d);
	}
	d = RowGet(rr, C_CREATED_AT, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("customer created_at must not be NULL")));
	*created_at = DatumGetTimestampTz(d);
}
