/*
 * prio.c
 *		Module magic and the small argument checks every entry point uses.
 */
#include "prio.h"

#include <math.h>

#include "access/htup_details.h"
#include "datatype/timestamp.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

PG_MODULE_MAGIC;

void
CheckArgNotNull(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
}

void
CheckFiniteDouble(double value, const char *name)
{
	if (isnan(value) || isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number, not %g", name, value)));
}

/* Same convention as interval comparison: a month is 30 days, a day 24 hours. */
double
IntervalToUsecs(const Interval *iv)
{
	return (double) iv->time
		+ (double) iv->day * USECS_PER_DAY
		+ (double) iv->month * DAYS_PER_MONTH * USECS_PER_DAY;
}

double
CheckPositiveInterval(const Interval *iv, const char *name)
{
	double		us = IntervalToUsecs(iv);

	if (!(us > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a positive interval", name),
				 errhint("Use a value such as '14 days'.")));
	return us;
}

/* to - from in microseconds, infinite when either end is */
double
ElapsedUsecs(TimestampTz from, TimestampTz to)
{
	if (TIMESTAMP_IS_NOBEGIN(from) || TIMESTAMP_IS_NOEND(to))
		return (TIMESTAMP_IS_NOBEGIN(from) && TIMESTAMP_IS_NOBEGIN(to)) ||
			(TIMESTAMP_IS_NOEND(from) && TIMESTAMP_IS_NOEND(to)) ? 0.0 : INFINITY;
	if (TIMESTAMP_IS_NOEND(from) || TIMESTAMP_IS_NOBEGIN(to))
		return -INFINITY;
	return (double) to - (double) from;
}

/* *sum += add, the result allocated in cxt; *sum NULL stands for 0 */
void
NumericAccum(Numeric *sum, Numeric add, MemoryContext cxt)
{
	MemoryContext old;
	Numeric		result;

	if (*sum == NULL)
	{
		*sum = MemoryContextAlloc(cxt, VARSIZE(add));
		memcpy(*sum, add, VARSIZE(add));
		return;
	}
	old = MemoryContextSwitchTo(cxt);
	result = numeric_add_opt_error(*sum, add, NULL);
	MemoryContextSwitchTo(old);
	pfree(*sum);
	*sum = result;
}

/*
 * Point rr at a composite value, (re)building the field map when the row
 * type is new to it -- or changed, as after an ALTER TABLE.
 */
void
RowBind(RowReader *rr, Datum row, MemoryContext cxt)
{
	HeapTupleHeader h = DatumGetHeapTupleHeader(row);
	Oid			typid = HeapTupleHeaderGetTypeId(h);

	if (rr->desc == NULL || rr->desc->tdtypeid != typid ||
		rr->desc->natts != HeapTupleHeaderGetNatts(h))
	{
		TupleDesc	desc = lookup_rowtype_tupdesc(typid, HeapTupleHeaderGetTypMod(h));
		MemoryContext old = MemoryContextSwitchTo(cxt);

		if (rr->desc != NULL)
			FreeTupleDesc(rr->desc);
		rr->desc = CreateTupleDescCopy(desc);
		rr->desc->tdtypeid = typid;
		MemoryContextSwitchTo(old);
		ReleaseTupleDesc(desc);

		Assert(rr->nfields <= ROW_MAX_FIELDS);
		for (int i = 0; i < rr->nfields; i++)
		{
			rr->attnum[i] = 0;
			for (int a = 0; a < rr->desc->natts; a++)
			{
				Form_pg_attribute att = TupleDescAttr(rr->desc, a);

				if (!att->attisdropped && strcmp(NameStr(att->attname), rr->names[i]) == 0)
				{
					rr->attnum[i] = a + 1;
					break;
				}
			}
			if (rr->attnum[i] == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("%s has no field \"%s\"", rr->what, rr->names[i])));
		}
	}
	rr->tuple.t_len = HeapTupleHeaderGetDatumLength(h);
	ItemPointerSetInvalid(&rr->tuple.t_self);
	rr->tuple.t_tableOid = InvalidOid;
	rr->tuple.t_data = h;
}

Datum
RowGet(RowReader *rr, int field, bool *isnull)
{
	return heap_getattr(&rr->tuple, rr->attnum[field], rr->desc, isnull);
}
