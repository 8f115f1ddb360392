/*
 * catalog.c
 *		The columns of prio's tables that the C code reads, with the types it
 *		reads them as, checked against the table as it is now.
 *
 * The tables are the extension's, but a DBA can ALTER them: a column whose
 * type changed would be read as the old type (a bigint taken for a numeric
 * pointer crashes the backend), and a dropped or renamed one would not be
 * found.  Every C reader of a prio table -- a scan, an index probe, the
 * insert trigger's transition table, and the tables behind the statements
 * whose results are read by position -- calls PrioCheckTable() first, which
 * raises 42804 (a column of another type) or 42703 (a column missing),
 * naming the table, the column and both types.  A relation that passed is
 * remembered until the relcache entry is invalidated (any ALTER TABLE of
 * it, or a cache reset), so the check costs a lookup in a short list.
 *
 * Also the lookups of prio's relations by name (PrioRelid), of a column of
 * one of its tables (PrioAttnum) and of one of its indexes (PrioOpenIndex).
 */
#include "prio.h"

#include "access/genam.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "storage/lockdefs.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/typcache.h"

/*
 * A column: name, type (PRIO_STAGE_TYPE: prio.stage), and the version that
 * added it (NULL: 0.1).  A column added after 0.1 may be absent: the library
 * serves an older version's tables until ALTER EXTENSION UPDATE.
 */
typedef StateColumn PrioColumn;

typedef struct PrioTable
{
	const char *name;
	const PrioColumn *columns;
	int			ncolumns;
} PrioTable;

static const PrioColumn activities_columns[] = {
	{"activity_id", INT8OID}, {"customer_id", INT8OID}, {"kind", TEXTOID},
	{"at", TIMESTAMPTZOID}, {"amount", NUMERICOID},
};

static const PrioColumn activity_kinds_columns[] = {
	{"kind", TEXTOID}, {"direction", TEXTOID}, {"stage", PRIO_STAGE_TYPE},
	{"is_purchase", BOOLOID}, {"intent_weight", FLOAT8OID}, {"revives", BOOLOID, "0.5"},
};

static const PrioColumn customers_columns[] = {
	{"customer_id", INT8OID}, {"owner", TEXTOID}, {"budget", BOOLOID},
	{"authority", BOOLOID}, {"need", BOOLOID}, {"timeline", BOOLOID},
	{"created_at", TIMESTAMPTZOID},
};

static const PrioColumn win_outcomes_columns[] = {
	{"customer_id", INT8OID}, {"won", BOOLOID}, {"features", JSONBOID},
};

static const PrioColumn win_counts_columns[] = {
	{"variable", TEXTOID}, {"value", TEXTOID}, {"won", INT8OID}, {"lost", INT8OID},
};

static const PrioColumn rfm_segments_columns[] = {
	{"segment", TEXTOID}, {"r_min", INT4OID}, {"r_max", INT4OID}, {"f_min", INT4OID},
	{"f_max", INT4OID}, {"m_min", INT4OID}, {"m_max", INT4OID},
};

#define TABLE(t) {#t, t##_columns, lengthof(t##_columns)}
static const PrioTable prio_tables[] = {
	TABLE(activities), TABLE(activity_kinds), TABLE(customers),
	{"customer_state", customer_state_columns, Natts_customer_state},
	TABLE(win_outcomes), TABLE(win_counts), TABLE(rfm_segments),
};

/* relations that passed, until their relcache entry is invalidated */
static Oid	checked[lengthof(prio_tables)];

void
CatalogRelationChanged(Oid relid)
{
	for (int i = 0; i < lengthof(checked); i++)
		if (relid == InvalidOid || checked[i] == relid)
			checked[i] = InvalidOid;
}

static void
check_columns(Relation rel, const PrioTable *t)
{
	TupleDesc	desc = RelationGetDescr(rel);

	for (int c = 0; c < t->ncolumns; c++)
	{
		const PrioColumn *col = &t->columns[c];
		Oid			expected = col->type == PRIO_STAGE_TYPE ? StageTypeOid() : col->type;
		bool		found = false;

		for (int a = 0; a < desc->natts && !found; a++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, a);

			if (att->attisdropped || strcmp(NameStr(att->attname), col->name) != 0)
				continue;
			found = true;
			if (att->atttypid != expected)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("column \"%s\" of " PRIO_SCHEMA ".%s has type %s, but prio reads it as %s",
								col->name, t->name, format_type_be(att->atttypid),
								format_type_be(expected)),
						 errhint("Change it back: ALTER TABLE " PRIO_SCHEMA ".%s ALTER COLUMN %s TYPE %s.",
								 t->name, quote_identifier(col->name), format_type_be(expected))));
		}
		if (!found && (col->since == NULL || strcmp(col->since, "0.1") == 0))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("table " PRIO_SCHEMA ".%s has no column \"%s\", which prio reads",
							t->name, col->name),
					 errhint("Rename it back if it was renamed; if it was dropped, add it back "
							 "(ALTER TABLE " PRIO_SCHEMA ".%s ADD COLUMN %s %s): its old values are lost.",
							 t->name, quote_identifier(col->name), format_type_be(expected))));
	}
}

/*
 * Check that rel, one of prio's tables, has the columns prio reads, of the
 * types it reads them as.  A table the C code does not read is not checked.
 */
void
PrioCheckTable(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	const char *name = RelationGetRelationName(rel);
	int			t;

	for (int i = 0; i < lengthof(checked); i++)
		if (checked[i] == relid)
			return;
	if (RelationGetNamespace(rel) != get_namespace_oid(PRIO_SCHEMA, false))
		elog(ERROR, "relation \"%s\" is not one of prio's tables", name);
	for (t = 0; t < lengthof(prio_tables); t++)
		if (strcmp(prio_tables[t].name, name) == 0)
			break;
	if (t == lengthof(prio_tables))
		return;
	check_columns(rel, &prio_tables[t]);
	/* remembered in the table's slot: one relation per name in the schema */
	checked[t] = relid;
}

/*
 * The same for a table of prio's read by a statement, by name: it is locked
 * as the statement will lock it, so it cannot change before the statement runs.
 */
void
PrioCheckTableByName(const char *name)
{
	Relation	rel = table_open(PrioRelid(name), AccessShareLock);

	PrioCheckTable(rel);
	table_close(rel, NoLock);
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

/*
 * idx is an index of heap that a scan can rely on instead of prio's own: a
 * valid btree whose leading keys and predicate fits accepts.
 */
static bool
index_usable(Relation idx, Relation heap, PrioIndexFits fits, const void *arg)
{
	Form_pg_index ind = idx->rd_index;

	return ind->indrelid == RelationGetRelid(heap) && idx->rd_rel->relam == BTREE_AM_OID &&
		ind->indisvalid && ind->indisready && ind->indislive && fits(idx, heap, arg);
}

/*
 * An index of prio's on heap: the one named name if it is usable, or else --
 * a DBA renamed it, or replaced it by CREATE INDEX CONCURRENTLY and DROP
 * INDEX -- any usable index of heap that fits accepts, so that maintenance
 * does not fail the application's writes.
 */
Relation
PrioOpenIndexBy(const char *name, Relation heap, PrioIndexFits fits, const void *arg)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid(PRIO_SCHEMA, false));
	Relation	idx;
	List	   *indexes;
	ListCell   *lc;

	if (OidIsValid(relid) && get_rel_relkind(relid) == RELKIND_INDEX)
	{
		idx = index_open(relid, AccessShareLock);
		if (index_usable(idx, heap, fits, arg))
			return idx;
		index_close(idx, AccessShareLock);
	}

	indexes = RelationGetIndexList(heap);
	foreach(lc, indexes)
	{
		if (lfirst_oid(lc) == relid)
			continue;			/* (tried above) */
		idx = index_open(lfirst_oid(lc), AccessShareLock);
		if (index_usable(idx, heap, fits, arg))
		{
			list_free(indexes);
			return idx;
		}
		index_close(idx, AccessShareLock);
	}
	list_free(indexes);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("index " PRIO_SCHEMA ".%s does not exist", name),
				 errhint("Create it again as the extension's script does, or reinstall the extension.")));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("index " PRIO_SCHEMA ".%s is not the one prio created", name),
			 errhint("Create it again as the extension's script does (a valid btree index of prio's columns, with prio's operator class and collation), or reinstall the extension.")));
	pg_unreachable();
}

/*
 * The operator family of type's default btree operator class (InvalidOid:
 * none), from the type cache: GetDefaultOpClass() scans pg_opclass, and
 * every index open of a write would pay for it.
 */
Oid
PrioDefaultBtreeFamily(Oid type)
{
	return lookup_type_cache(type, TYPECACHE_BTREE_OPFAMILY)->btree_opf;
}

/*
 * the leading columns of an index: cols[0] (and cols[1], if not 0); on every
 * row (no predicate: a partial index would miss rows)
 */
static bool
columns_fit(Relation idx, Relation heap, const void *arg)
{
	const AttrNumber *cols = arg;
	int			n = cols[1] ? 2 : 1;

	if (idx->rd_index->indnkeyatts < n ||
		!heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, NULL))
		return false;
	for (int k = 0; k < n; k++)
	{
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(heap), cols[k] - 1);
		Oid			opfamily = PrioDefaultBtreeFamily(att->atttypid);

		if (idx->rd_index->indkey.values[k] != cols[k] || !OidIsValid(opfamily) ||
			idx->rd_opfamily[k] != opfamily ||
			idx->rd_indcollation[k] != att->attcollation)
			return false;
	}
	return true;
}

/*
 * A btree index of prio's on heap leading with column col1 (and col2, if
 * given), with the columns' default operator classes and collations
 */
Relation
PrioOpenIndex(const char *name, Relation heap, AttrNumber col1, AttrNumber col2)
{
	AttrNumber	cols[2] = {col1, col2};

	Assert(col1 > 0);
	return PrioOpenIndexBy(name, heap, columns_fit, cols);
}
