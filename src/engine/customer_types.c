/*
 * customer_types.c
 *		The key-customer types (0.5) as the engine evaluates them: the rule
 *		rows of prio.customer_types, compiled into the configuration cache
 *		(config.c loads them with the rest, watched like the settings); and,
 *		per customer, what the conditions read besides its folded facts --
 *		its attributes, how many customers name it as their parent company
 *		or referrer, its open pipeline value, its manual tags -- read
 *		through prio's indexes, then the types it holds.
 *
 * A manual tag (prio.customer_type_tags) decides over the condition: add
 * holds the type whatever the condition says, remove drops it.
 */
#include "prio.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/primnodes.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"

/*
 * Load the rule rows into c (allocating in the current context, the
 * configuration's); a database not yet updated to 0.5 has none.  The
 * caller is connected to SPI.
 */
void
PrioTypesLoad(PrioConfig *c)
{
	MemoryContext cxt = CurrentMemoryContext;
	Oid			relid = get_relname_relid("customer_types", get_namespace_oid(PRIO_SCHEMA, false));
	SPIPlanPtr	plan;
	int			rc;

	c->types = NULL;
	c->ntypes = 0;
	if (!OidIsValid(relid))
		return;
	/* cast: a column a DBA altered reads as prio's type or fails in SQL */
	plan = SPI_prepare("SELECT t.type::pg_catalog.text, t.condition::pg_catalog.jsonb,"
					   "       t.implies_value::pg_catalog.bool FROM " PRIO_SCHEMA
					   ".customer_types t WHERE t.enabled ORDER BY t.type COLLATE \"C\"", 0, NULL);
	if (plan == NULL)
		elog(ERROR, "could not read prio.customer_types: %s", SPI_result_code_string(SPI_result));
	rc = SPI_execute_snapshot(plan, NULL, NULL,
							  IsInParallelMode() ? InvalidSnapshot : GetLatestSnapshot(),
							  InvalidSnapshot, true, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read prio.customer_types: %s", SPI_result_code_string(rc));
	SPI_freeplan(plan);
	MemoryContextSwitchTo(cxt);
	c->ntypes = SPI_processed;
	c->types = palloc0(sizeof(PrioTypeRule) * Max(c->ntypes, 1));
	for (int i = 0; i < c->ntypes; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		cond;

		c->types[i].type = SPI_getvalue(t, d, 1);
		cond = SPI_getbinval(t, d, 2, &isnull);
		if (isnull)
			elog(ERROR, "customer type \"%s\" has no condition", c->types[i].type);
		c->types[i].cond = prio_type_compile(DatumGetJsonbPCopy(cond), c->types[i].type);
		c->types[i].implies_value = DatumGetBool(SPI_getbinval(t, d, 3, &isnull)) && !isnull;
	}
	SPI_freetuptable(SPI_tuptable);
	MemoryContextSwitchTo(cxt);
}

/*
 * The per-customer inputs are read without a statement, through the
 * indexes prio created, as state_lock.c reads the customers and state rows:
 * executor start-up for a statement with four subqueries was most of what a
 * single-row write paid for the types.  They see what a statement starting
 * now sees.  The tables' rows are not locked: a tag or a customer naming
 * this one re-evaluates it by its own trigger.
 */

/* What an attribute index is keyed on: (attributes ->> name) */
typedef struct AttributeKey
{
	AttrNumber	attributes;
	const char *name;
} AttributeKey;

/*
 * idx leads with (attributes ->> name), text's default operator class, on
 * every row or, as prio's, on those where it IS NOT NULL (an equality probe
 * finds no other)
 */
static bool
attribute_fits(Relation idx, Relation heap, const void *arg)
{
	const AttributeKey *key = arg;
	List	   *exprs;
	List	   *pred;
	OpExpr	   *op;
	NullTest   *nt;
	Var		   *var;
	Const	   *c;

	if (idx->rd_index->indnkeyatts < 1 || idx->rd_index->indkey.values[0] != 0 ||
		idx->rd_opfamily[0] != PrioDefaultBtreeFamily(TEXTOID) ||
		idx->rd_indcollation[0] != DEFAULT_COLLATION_OID)
		return false;
	exprs = RelationGetIndexExpressions(idx);
	op = (OpExpr *) linitial(exprs);
	if (!IsA(op, OpExpr) || op->opfuncid != F_JSONB_OBJECT_FIELD_TEXT ||
		list_length(op->args) != 2 || !IsA(linitial(op->args), Var) ||
		!IsA(lsecond(op->args), Const))
		return false;
	pred = RelationGetIndexPredicate(idx);
	nt = list_length(pred) == 1 ? linitial(pred) : NULL;
	if (pred != NIL &&
		(nt == NULL || !IsA(nt, NullTest) || nt->nulltesttype != IS_NOT_NULL ||
		 !equal(nt->arg, op)))
		return false;
	var = linitial(op->args);
	c = lsecond(op->args);
	return var->varattno == key->attributes && c->consttype == TEXTOID && !c->constisnull &&
		strcmp(TextDatumGetCString(c->constvalue), key->name) == 0;
}

/* The index of prio's that is keyed on (attributes ->> name), on rel */
static Relation
open_attribute_index(const char *index, Relation rel, AttrNumber attributes, const char *name)
{
	AttributeKey key = {attributes, name};

	return PrioOpenIndexBy(index, rel, attribute_fits, &key);
}

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : x > y;
}

/*
 * How many customers other than id name key as their parent company or
 * referrer (a customer naming it both ways counts once)
 */
static int64
read_related(Relation rel, AttrNumber attributes, AttrNumber idatt, const char *key, int64 id,
			 Snapshot snapshot)
{
	static const char *const names[2] = {"parent_company", "referred_by"};
	static const char *const indexes[2] = {"customers_parent_company_idx", "customers_referred_by_idx"};
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	Datum		keytext = CStringGetTextDatum(key);
	int64	   *ids = NULL;
	int			n = 0,
				max = 0,
				distinct = 0;

	for (int k = 0; k < 2; k++)
	{
		Relation	idx = open_attribute_index(indexes[k], rel, attributes, names[k]);
		IndexScanDesc scan = index_beginscan(rel, idx, snapshot, 1, 0);
		ScanKeyData skey;

		ScanKeyEntryInitialize(&skey, 0, 1, BTEqualStrategyNumber, InvalidOid,
							   idx->rd_indcollation[0], F_TEXTEQ, keytext);
		index_rescan(scan, &skey, 1, NULL, 0);
		while (index_getnext_slot(scan, ForwardScanDirection, slot))
		{
			bool		isnull;
			int64		other = DatumGetInt64(slot_getattr(slot, idatt, &isnull));

			CHECK_FOR_INTERRUPTS();
			if (isnull || other == id)
				continue;
			if (n == max)
			{
				max = Max(8, max * 2);
				ids = ids ? repalloc(ids, sizeof(int64) * max) : palloc(sizeof(int64) * max);
			}
			ids[n++] = other;
		}
		index_endscan(scan);
		index_close(idx, NoLock);
	}
	ExecDropSingleTupleTableSlot(slot);
	if (n > 1)
		qsort(ids, n, sizeof(int64), cmp_int64);
	for (int i = 0; i < n; i++)
		if (i == 0 || ids[i] != ids[i - 1])
			distinct++;
	return distinct;
}

/* customer id's manual tags, into in->tags_add and in->tags_remove */
static void
read_tags(int64 id, Snapshot snapshot, PrioTypeInputs *in)
{
	Relation	rel = table_open(PrioRelid("customer_type_tags"), AccessShareLock);
	AttrNumber	idatt = PrioAttnum(rel, "customer_id", INT8OID);
	AttrNumber	typeatt = PrioAttnum(rel, "type", TEXTOID);
	AttrNumber	addatt = PrioAttnum(rel, "add", BOOLOID);
	Relation	idx = PrioOpenIndex("customer_type_tags_pkey", rel, idatt, typeatt);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	IndexScanDesc scan = index_beginscan(rel, idx, snapshot, 1, 0);
	ScanKeyData skey;
	List	   *add = NIL,
			   *remove = NIL;

	ScanKeyInit(&skey, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	index_rescan(scan, &skey, 1, NULL, 0);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		type = slot_getattr(slot, typeatt, &isnull);
		bool		is_add = DatumGetBool(slot_getattr(slot, addatt, &isnull));

		type = PointerGetDatum(DatumGetTextPCopy(type));
		if (is_add)
			add = lappend(add, DatumGetPointer(type));
		else
			remove = lappend(remove, DatumGetPointer(type));
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, NoLock);
	table_close(rel, NoLock);
	for (int k = 0; k < 2; k++)
	{
		List	   *l = k == 0 ? add : remove;
		Datum	   *v;
		int			i = 0;
		ListCell   *lc;

		if (l == NIL)
			continue;
		v = palloc(sizeof(Datum) * list_length(l));
		foreach(lc, l)
			v[i++] = PointerGetDatum(lfirst(lc));
		*(k == 0 ? &in->tags_add : &in->tags_remove) =
			PointerGetDatum(construct_array(v, i, TEXTOID, -1, false, TYPALIGN_INT));
	}
}

static bool
in_text_array(Datum a, const char *name)
{
	Datum	   *v;
	bool	   *n;
	int			len;
	size_t		namelen = strlen(name);

	deconstruct_array(DatumGetArrayTypeP(a), TEXTOID, -1, false, TYPALIGN_INT, &v, &n, &len);
	for (int i = 0; i < len; i++)
	{
		text	   *t;

		if (n[i])
			continue;
		t = DatumGetTextPP(v[i]);
		if (VARSIZE_ANY_EXHDR(t) == namelen && memcmp(VARDATA_ANY(t), name, namelen) == 0)
			return true;
	}
	return false;
}

/*
 * What customer_id's conditions read besides its facts (allocated in the
 * current context); false when it is not in prio.customers.  customer_row:
 * its prio.customers row as the caller read it (0: read it now); pipeline:
 * its open pipeline value as customer_state stores it (PrioFacts.deals).
 */
bool
PrioTypeInputsRead(int64 customer_id, Datum customer_row, double pipeline, PrioTypeInputs *in)
{
	Relation	rel;
	AttrNumber	attributes,
				keyatt,
				idatt;
	HeapTupleData tuple;
	bool		isnull;
	Datum		d;
	char		idkey[32];
	const char *key;
	Snapshot	snapshot;

	memset(in, 0, sizeof(PrioTypeInputs));
	if (customer_row == (Datum) 0)
		PrioReadCustomers(&customer_id, 1, &customer_row);
	if (customer_row == (Datum) 0)
		return false;
	rel = table_open(PrioRelid("customers"), AccessShareLock);
	attributes = PrioAttnum(rel, "attributes", JSONBOID);
	keyatt = PrioAttnum(rel, "customer_key", TEXTOID);
	idatt = PrioAttnum(rel, "customer_id", INT8OID);
	tuple.t_data = DatumGetHeapTupleHeader(customer_row);
	tuple.t_len = HeapTupleHeaderGetDatumLength(tuple.t_data);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = RelationGetRelid(rel);

	d = heap_getattr(&tuple, attributes, RelationGetDescr(rel), &isnull);
	in->attributes = isnull ? NULL : DatumGetJsonbPCopy(d);
	d = heap_getattr(&tuple, keyatt, RelationGetDescr(rel), &isnull);
	if (isnull)
	{
		snprintf(idkey, sizeof(idkey), INT64_FORMAT, customer_id);
		key = idkey;
	}
	else
		key = TextDatumGetCString(d);
	in->pipeline = isnan(pipeline) || isinf(pipeline) ? 0.0 : pipeline;

	/* what a statement starting now would see */
	CommandCounterIncrement();
	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	in->related = read_related(rel, attributes, idatt, key, customer_id, snapshot);
	read_tags(customer_id, snapshot, in);
	UnregisterSnapshot(snapshot);
	table_close(rel, NoLock);
	return true;
}

/*
 * Whether rule r holds for a customer: its manual tag, else its condition
 * (*by_tag: 1 added, -1 removed by a tag, 0 none).
 */
bool
PrioTypeHolds(const PrioTypeRule *r, const PrioTypeFacts *tf, const PrioTypeInputs *in,
			  bool *condition, int *by_tag)
{
	*condition = prio_type_holds(r->cond, tf, in->attributes);
	*by_tag = 0;
	if (in->tags_remove != (Datum) 0 && in_text_array(in->tags_remove, r->type))
		*by_tag = -1;
	else if (in->tags_add != (Datum) 0 && in_text_array(in->tags_add, r->type))
		*by_tag = 1;
	return *by_tag != 0 ? *by_tag > 0 : *condition;
}

/*
 * The types customer f holds as of as_of, given what its conditions read
 * besides the facts (in), into h (names point into the configuration,
 * valid while it is; the array is allocated in the current context), for
 * prio_evaluate().
 */
void
PrioTypesHeld(PrioHeldTypes *h, const PrioFacts *f, const PrioConfig *cfg, TimestampTz as_of,
			  const PrioTypeInputs *in)
{
	PrioTypeFacts tf;

	h->ntypes = 0;
	h->types = NULL;
	h->implies_value = false;
	if (cfg->ntypes == 0)
		return;
	prio_type_facts(&tf, f, as_of, in->pipeline, in->related);
	h->types = palloc(sizeof(char *) * cfg->ntypes);
	for (int i = 0; i < cfg->ntypes; i++)
	{
		bool		condition;
		int			by_tag;

		if (PrioTypeHolds(&cfg->types[i], &tf, in, &condition, &by_tag))
		{
			h->types[h->ntypes++] = cfg->types[i].type;
			if (cfg->types[i].implies_value)
				h->implies_value = true;
		}
	}
}

/*
 * PrioTypesHeld(), reading the inputs first; customer_row: f's
 * prio.customers row as the caller read it (0: read it now).
 */
void
PrioCustomerTypes(PrioHeldTypes *h, const PrioFacts *f, const PrioConfig *cfg, TimestampTz as_of,
				  Datum customer_row)
{
	PrioTypeInputs in;

	h->ntypes = 0;
	h->types = NULL;
	h->implies_value = false;
	prio_config_types(cfg);
	if (cfg->ntypes == 0)
		return;
	if (!PrioTypeInputsRead(f->customer_id, customer_row, f->deals.pipeline, &in))
		return;
	PrioTypesHeld(h, f, cfg, as_of, &in);
}

/*
 * The types named in types (a text[], customer_state.types) that cfg still
 * defines, into h: what a stored state row holds.
 */
void
PrioHeldTypesFromArray(PrioHeldTypes *h, ArrayType *types, const PrioConfig *cfg)
{
	Datum	   *names;
	bool	   *nulls;
	int			n;

	h->ntypes = 0;
	h->types = NULL;
	h->implies_value = false;
	prio_config_types(cfg);
	if (cfg->ntypes == 0 || types == NULL)
		return;
	deconstruct_array(types, TEXTOID, -1, false, TYPALIGN_INT, &names, &nulls, &n);
	h->types = palloc(sizeof(char *) * cfg->ntypes);
	for (int i = 0; i < cfg->ntypes; i++)
		for (int j = 0; j < n; j++)
			if (!nulls[j] && strcmp(TextDatumGetCString(names[j]), cfg->types[i].type) == 0)
			{
				h->types[h->ntypes++] = cfg->types[i].type;
				if (cfg->types[i].implies_value)
					h->implies_value = true;
				break;
			}
}

/*
 * The types customer_id holds as the engine last stored them
 * (customer_state.types), into h: for prio.evaluate(facts, ...), whose
 * facts (prio.facts) carry no monthly buckets to compute them from.  Types
 * no longer defined are left out.  The caller is connected to SPI.
 */
void
PrioStoredTypes(PrioHeldTypes *h, int64 customer_id, const PrioConfig *cfg)
{
	static SPIPlanPtr plan = NULL;
	MemoryContext cxt = CurrentMemoryContext;
	Oid			argtype = INT8OID;
	Datum		arg = Int64GetDatum(customer_id);
	bool		isnull = true;
	Datum		d = (Datum) 0;

	prio_config_types(cfg);
	if (cfg->ntypes > 0)
	{
		if (plan == NULL)
			plan = PrioKeepPlan("SELECT s.types FROM " PRIO_SCHEMA ".customer_state s"
								" WHERE s.customer_id OPERATOR(pg_catalog.=) $1",
								1, &argtype, CURSOR_OPT_GENERIC_PLAN);
		if (SPI_execute_plan(plan, &arg, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read prio.customer_state.types");
		if (SPI_processed == 1)
			d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	}
	MemoryContextSwitchTo(cxt);
	PrioHeldTypesFromArray(h, isnull ? NULL : DatumGetArrayTypeP(d), cfg);
}

/* ---------------------------------------------------------------- sweeps */

/*
 * A sweep evaluates everyone: instead of index scans per customer, what
 * the conditions read besides the facts is read once, with the sweep's
 * snapshot -- the customers' attributes and keys (of those that have any),
 * the manual tags, who names whom as parent company or referrer -- into
 * sorted arrays, and looked up per customer (the open pipeline value is
 * the facts' stored one, as per customer).  The same inputs as
 * PrioTypeInputsRead() gives, so the same types.  Memory:
 * the attributes and keys of every customer that has them.
 */
typedef struct TypeCustomer
{
	int64		id;
	Jsonb	   *attributes;		/* NULL: none */
	char	   *key;			/* customer_key; NULL: customer_id */
} TypeCustomer;

typedef struct TypeTag
{
	int64		id;
	char	   *type;
	bool		add;
} TypeTag;

typedef struct TypeRelated
{
	char	   *key;			/* the key named (parent_company, referred_by) */
	int64		id;				/* by this customer */
} TypeRelated;

/* first_at_or_after() reads the id each of these starts with */
StaticAssertDecl(offsetof(TypeCustomer, id) == 0 && offsetof(TypeTag, id) == 0,
				 "id leads the batch's arrays");

struct PrioTypeBatch
{
	TypeCustomer *customers;	/* by id; only those with attributes or a key */
	int			ncustomers;
	TypeTag    *tags;			/* by id, type */
	int			ntags;
	TypeRelated *related;		/* by key (bytes), id */
	int			nrelated;
};

static SPITupleTable *
batch_query(const char *sql, Snapshot snapshot)
{
	SPIPlanPtr	plan = SPI_prepare(sql, 0, NULL);
	int			rc;

	if (plan == NULL)
		elog(ERROR, "could not prepare the types' inputs: %s", SPI_result_code_string(SPI_result));
	rc = SPI_execute_snapshot(plan, NULL, NULL, snapshot, InvalidSnapshot, true, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read the types' inputs: %s", SPI_result_code_string(rc));
	SPI_freeplan(plan);
	return SPI_tuptable;
}

/*
 * The inputs of a sweep, read with its snapshot (allocated in the current
 * context); NULL when no type is enabled.  The caller is connected to SPI.
 */
PrioTypeBatch *
PrioTypeBatchBegin(const PrioConfig *cfg, Snapshot snapshot)
{
	MemoryContext cxt = CurrentMemoryContext;
	PrioTypeBatch *b;
	SPITupleTable *tt;
	bool		isnull;

	prio_config_types(cfg);
	if (cfg->ntypes == 0)
		return NULL;
	b = palloc0(sizeof(PrioTypeBatch));

	tt = batch_query("SELECT c.customer_id, c.attributes::pg_catalog.jsonb, c.customer_key"
					 "  FROM " PRIO_SCHEMA ".customers c"
					 " WHERE c.attributes::pg_catalog.jsonb OPERATOR(pg_catalog.<>) '{}'::pg_catalog.jsonb"
					 "    OR c.customer_key IS NOT NULL"
					 " ORDER BY c.customer_id", snapshot);
	MemoryContextSwitchTo(cxt);
	b->ncustomers = SPI_processed;
	b->customers = palloc(sizeof(TypeCustomer) * Max(b->ncustomers, 1));
	for (int i = 0; i < b->ncustomers; i++)
	{
		Datum		d;

		b->customers[i].id = DatumGetInt64(SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull));
		d = SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &isnull);
		b->customers[i].attributes = isnull ? NULL : DatumGetJsonbPCopy(d);
		b->customers[i].key = SPI_getvalue(tt->vals[i], tt->tupdesc, 3);
	}
	SPI_freetuptable(tt);

	tt = batch_query("SELECT t.customer_id, t.type::pg_catalog.text, t.add"
					 "  FROM " PRIO_SCHEMA ".customer_type_tags t"
					 " ORDER BY t.customer_id, t.type COLLATE \"C\"", snapshot);
	MemoryContextSwitchTo(cxt);
	b->ntags = SPI_processed;
	b->tags = palloc(sizeof(TypeTag) * Max(b->ntags, 1));
	for (int i = 0; i < b->ntags; i++)
	{
		b->tags[i].id = DatumGetInt64(SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull));
		b->tags[i].type = SPI_getvalue(tt->vals[i], tt->tupdesc, 2);
		b->tags[i].add = DatumGetBool(SPI_getbinval(tt->vals[i], tt->tupdesc, 3, &isnull));
	}
	SPI_freetuptable(tt);

	tt = batch_query("SELECT k.key, r.customer_id FROM " PRIO_SCHEMA ".customers r,"
					 "       LATERAL (SELECT DISTINCT v.key FROM (VALUES"
					 "                  (r.attributes::pg_catalog.jsonb OPERATOR(pg_catalog.->>) 'parent_company'),"
					 "                  (r.attributes::pg_catalog.jsonb OPERATOR(pg_catalog.->>) 'referred_by')) v(key)"
					 "                 WHERE v.key IS NOT NULL) k"
					 " ORDER BY k.key COLLATE \"C\", r.customer_id", snapshot);
	MemoryContextSwitchTo(cxt);
	b->nrelated = SPI_processed;
	b->related = palloc(sizeof(TypeRelated) * Max(b->nrelated, 1));
	for (int i = 0; i < b->nrelated; i++)
	{
		b->related[i].key = SPI_getvalue(tt->vals[i], tt->tupdesc, 1);
		b->related[i].id = DatumGetInt64(SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &isnull));
	}
	SPI_freetuptable(tt);

	MemoryContextSwitchTo(cxt);
	return b;
}

/*
 * The index of the first of n elements of size bytes, sorted by their
 * leading int64 id, whose id is not below id (n: none).
 */
static int
first_at_or_after(const void *base, int n, size_t size, int64 id)
{
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (*(const int64 *) ((const char *) base + (size_t) mid * size) < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* customer id's attributes and key (NULL: none) */
static const TypeCustomer *
customer_of(const PrioTypeBatch *b, int64 id)
{
	int			lo = first_at_or_after(b->customers, b->ncustomers, sizeof(TypeCustomer), id);

	return lo < b->ncustomers && b->customers[lo].id == id ? &b->customers[lo] : NULL;
}

/* the first tag of customer id (ntags: none) */
static int
first_tag(const PrioTypeBatch *b, int64 id)
{
	return first_at_or_after(b->tags, b->ntags, sizeof(TypeTag), id);
}

/* customers other than id that name key */
static int64
related_count(const PrioTypeBatch *b, const char *key, int64 id)
{
	int			lo = 0,
				hi = b->nrelated;
	int64		n = 0;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (strcmp(b->related[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < b->nrelated && strcmp(b->related[lo].key, key) == 0; lo++)
		if (b->related[lo].id != id)
			n++;
	return n;
}

static Datum
tag_array(const PrioTypeBatch *b, int from, int64 id, bool add)
{
	Datum	   *v = palloc(sizeof(Datum) * Max(b->ntags - from, 1));
	int			n = 0;

	for (int i = from; i < b->ntags && b->tags[i].id == id; i++)
		if (b->tags[i].add == add)
			v[n++] = PointerGetDatum(cstring_to_text(b->tags[i].type));
	return PointerGetDatum(construct_array(v, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* PrioCustomerTypes() in a sweep, from b (NULL: the statement per customer) */
void
PrioCustomerTypesBatch(PrioHeldTypes *h, const PrioFacts *f, const PrioConfig *cfg,
					   TimestampTz as_of, const PrioTypeBatch *b)
{
	PrioTypeInputs in;
	char		idkey[32];
	const char *customer_key = NULL;
	const TypeCustomer *c;
	int			tag;

	if (b == NULL)
	{
		PrioCustomerTypes(h, f, cfg, as_of, (Datum) 0);
		return;
	}
	h->ntypes = 0;
	h->types = NULL;
	h->implies_value = false;
	if (cfg->ntypes == 0)
		return;
	memset(&in, 0, sizeof(in));
	c = customer_of(b, f->customer_id);
	if (c != NULL)
	{
		in.attributes = c->attributes;
		customer_key = c->key;
	}
	if (customer_key == NULL)
	{
		snprintf(idkey, sizeof(idkey), INT64_FORMAT, f->customer_id);
		customer_key = idkey;
	}
	in.related = b->nrelated > 0 ? related_count(b, customer_key, f->customer_id) : 0;
	in.pipeline = isnan(f->deals.pipeline) || isinf(f->deals.pipeline) ? 0.0 : f->deals.pipeline;
	tag = b->ntags > 0 ? first_tag(b, f->customer_id) : 0;
	if (tag < b->ntags && b->tags[tag].id == f->customer_id)
	{
		in.tags_add = tag_array(b, tag, f->customer_id, true);
		in.tags_remove = tag_array(b, tag, f->customer_id, false);
	}
	PrioTypesHeld(h, f, cfg, as_of, &in);
}
