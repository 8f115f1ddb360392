/*
 * prio.c
 *		Module magic, _PG_init, and the small argument checks every entry
 *		point uses.
 */
#include "prio.h"

#include <math.h>

#include "datatype/timestamp.h"
#include "access/genam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/syscache.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/typcache.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* A relation's cache entry was dropped (InvalidOid: every relation's). */
static void
relation_changed(Datum arg, Oid relid)
{
	ConfigRelationChanged(relid);
	SegmentRelationChanged(relid);
	CatalogRelationChanged(relid);
	StateUpdateRelationChanged(relid);
}

/* A type changed: prio.stage's OID and labels are read again. */
static void
type_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	StageTypeChanged();
	StateUpdateObjectChanged();
}

/* A function changed: expressions prepared with it are prepared again. */
static void
function_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	StateUpdateObjectChanged();
}

static void
xact_event(XactEvent event, void *arg)
{
	ConfigXactEvent(event);
	OutcomesXactEvent(event);
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		StateUpdateAborted(InvalidSubTransactionId);
}

static void
subxact_event(SubXactEvent event, SubTransactionId mySubid,
			  SubTransactionId parentSubid, void *arg)
{
	ConfigSubXactEvent(event, mySubid);
	OutcomesSubXactEvent(event, mySubid);
	if (event == SUBXACT_EVENT_ABORT_SUB)
		StateUpdateAborted(mySubid);
}

/*
 * One registration of each callback for the whole library, when it is
 * loaded: the modules that cache something (configuration, segments, the
 * stage type, the column checks, the state writer, pending outcomes) are
 * told from here.
 */
void
_PG_init(void)
{
	CacheRegisterRelcacheCallback(relation_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(TYPEOID, type_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(PROCOID, function_changed, (Datum) 0);
	RegisterXactCallback(xact_event, NULL);
	RegisterSubXactCallback(subxact_event, NULL);
}

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

/* NaN and +-Infinity: no amount a rule can score or sum */
void
CheckFiniteNumeric(Numeric value, const char *name)
{
	if (numeric_is_nan(value) || numeric_is_inf(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number, not %s", name,
						DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(value))))));
}

/* a + b, or 22003 naming the count (and its customer, when not 0) */
int64
CheckedAdd64(int64 a, int64 b, const char *what, int64 customer_id)
{
	int64		result;

	if (pg_add_s64_overflow(a, b, &result))
	{
		if (customer_id != 0)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s of customer " INT64_FORMAT " is out of range for type bigint",
							what, customer_id)));
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s is out of range for type bigint", what)));
	}
	return result;
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

static Oid
resolve_type(Oid t)
{
	return t == PRIO_STAGE_TYPE ? StageTypeOid() : t;
}

static void
check_field_type(Oid actual, Oid expected, const char *what, const char *field)
{
	if (actual != resolve_type(expected))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s field \"%s\" has type %s, expected %s", what, field,
						format_type_be(actual), format_type_be(resolve_type(expected))),
				 errhint("Reinstall the extension: its row types were altered.")));
}

/*
 * A composite result is built by position: make sure the declared result
 * type still has exactly the fields, in the order and of the types, that
 * the C code fills (ALTER TYPE could have changed it).
 */
void
CheckResultDesc(TupleDesc desc, const Oid *types, int n, const char *what)
{
	CheckResultDescPrefix(desc, types, n, n, what);
}

/* The same, for a type that an older version of prio declared with nmin fields */
void
CheckResultDescPrefix(TupleDesc desc, const Oid *types, int nmin, int n, const char *what)
{
	if (desc->natts != n && desc->natts != nmin)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s has %d fields, expected %d", what, desc->natts, n),
				 errhint("Reinstall the extension: its row types were altered.")));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s has a dropped field", what),
					 errhint("Reinstall the extension: its row types were altered.")));
		check_field_type(att->atttypid, types[i], what, NameStr(att->attname));
	}
}

/*
 * Point rr at a composite value, (re)building the field map when the row
 * type is new to it or has changed since.  The new map is installed only
 * once it is complete.
 */
void
RowBind(RowReader *rr, Datum row, MemoryContext cxt)
{
	HeapTupleHeader h = DatumGetHeapTupleHeader(row);
	Oid			typid = HeapTupleHeaderGetTypeId(h);
	TypeCacheEntry *tce = lookup_type_cache(typid, TYPECACHE_TUPDESC);

	if (tce->tupDesc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s must be a row of its declared type", rr->what)));
	if (rr->desc == NULL || rr->typid != typid || rr->desc_id != tce->tupDesc_identifier)
	{
		TupleDesc	desc = tce->tupDesc;
		int			attnum[ROW_MAX_FIELDS];
		MemoryContext old;

		Assert(rr->nfields <= ROW_MAX_FIELDS);
		for (int i = 0; i < rr->nfields; i++)
		{
			attnum[i] = 0;
			for (int a = 0; a < desc->natts; a++)
			{
				Form_pg_attribute att = TupleDescAttr(desc, a);

				if (!att->attisdropped && strcmp(NameStr(att->attname), rr->names[i]) == 0)
				{
					check_field_type(att->atttypid, rr->types[i], rr->what, rr->names[i]);
					attnum[i] = a + 1;
					break;
				}
			}
			if (attnum[i] == 0 && (rr->nrequired == 0 || i < rr->nrequired))
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("%s has no field \"%s\"", rr->what, rr->names[i])));
		}
		old = MemoryContextSwitchTo(cxt);
		if (rr->desc != NULL)
		{
			FreeTupleDesc(rr->desc);
			pfree(rr->values);
			pfree(rr->isnull);
		}
		rr->desc = CreateTupleDescCopy(desc);
		rr->values = palloc(sizeof(Datum) * desc->natts);
		rr->isnull = palloc(sizeof(bool) * desc->natts);
		MemoryContextSwitchTo(old);
		memcpy(rr->attnum, attnum, sizeof(int) * rr->nfields);
		rr->typid = typid;
		rr->desc_id = tce->tupDesc_identifier;
	}
	{
		HeapTupleData tuple;

		tuple.t_len = HeapTupleHeaderGetDatumLength(h);
		ItemPointerSetInvalid(&tuple.t_self);
		tuple.t_tableOid = InvalidOid;
		tuple.t_data = h;
		/* a stored row may have fewer attributes than the type: the rest are NULL */
		heap_deform_tuple(&tuple, rr->desc, rr->values, rr->isnull);
	}
}

Datum
RowGet(RowReader *rr, int field, bool *isnull)
{
	/* an optional field the row type lacks (an older version's) */
	if (rr->attnum[field] == 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	*isnull = rr->isnull[rr->attnum[field] - 1];
	return rr->values[rr->attnum[field] - 1];
}

/* A statement prepared and kept for the life of the backend (SPI connected) */
SPIPlanPtr
PrioKeepPlan(const char *sql, int nargs, Oid *types, int cursor_options)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, types, cursor_options);

	if (plan == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("prio could not prepare a statement: %s",
						SPI_result_code_string(SPI_result))));
	SPI_keepplan(plan);
	return plan;
}

/* A relation of prio's schema, by name */
Oid
PrioRelid(const char *name)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid(PRIO_SCHEMA, false));

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation " PRIO_SCHEMA ".%s does not exist", name),
				 errhint("Reinstall the extension.")));
	return relid;
}

/*
 * A column of one of prio's tables, by name, of the given type (InvalidOid:
 * the one catalog.c expects); the table's columns are checked first.
 */
AttrNumber
PrioAttnum(Relation rel, const char *name, Oid type)
{
	TupleDesc	desc = RelationGetDescr(rel);

	PrioCheckTable(rel);

	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
		{
			if (type != InvalidOid && att->atttypid != type)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("column %s of %s has type %s, expected %s", name,
								RelationGetRelationName(rel), format_type_be(att->atttypid),
								format_type_be(type)),
						 errhint("Reinstall the extension: its tables were altered.")));
			return a + 1;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("%s has no column \"%s\"", RelationGetRelationName(rel), name),
			 errhint("Reinstall the extension: its tables were altered.")));
	pg_unreachable();
}

/* A btree index of prio's on heap, leading with column col1 (and col2, if given) */
Relation
PrioOpenIndex(const char *name, Relation heap, AttrNumber col1, AttrNumber col2)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid(PRIO_SCHEMA, false));
	Relation	idx;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("index " PRIO_SCHEMA ".%s does not exist", name),
				 errhint("Reinstall the extension.")));
	idx = index_open(relid, AccessShareLock);
	if (idx->rd_index->indrelid != RelationGetRelid(heap) ||
		idx->rd_index->indnkeyatts < (col2 ? 2 : 1) ||
		idx->rd_index->indkey.values[0] != col1 ||
		(col2 && idx->rd_index->indkey.values[1] != col2) ||
		idx->rd_rel->relam != BTREE_AM_OID)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("index " PRIO_SCHEMA ".%s is not the one prio created", name),
				 errhint("Reinstall the extension.")));
	return idx;
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
