/*
 * rowreader.c
 *		Composite values read field by field by name and expected type
 *		(RowBind, RowGet), and the checks of a composite result's
 *		descriptor against the fields the C code fills by position.
 */
#include "prio.h"

#include "utils/builtins.h"
#include "utils/typcache.h"

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
