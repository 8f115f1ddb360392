/*
 * followup.c
 *		prio.followup_rank(): a customer's position in its owner's follow-up
 *		list, for the prio.followup view.
 *
 * The list is read off an index in (priority DESC, next_due_at,
 * customer_id) order, so a LIMIT reads only the rows it returns; a window
 * over every owner's rows would rank the whole table first.  The first rows
 * a query asks for are ranked by counting, off the owner index, how many of
 * the owner's customers come before them; once the counting has done more
 * work than ranking everyone would (a BI tool reading the whole list), one
 * windowed query ranks everyone and the rest are looked up.  Both run as the
 * caller, with the query's snapshot, so row-level security shapes the ranks
 * exactly as it shapes the list.  Where no policy applies to the caller (owner
 * isolation off, or the caller exempt) and it may read customer_state, the
 * count walks the owner index itself -- a query per row cost 70 us.
 */
#include "prio.h"

#include "access/genam.h"
#include "access/nbtree.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/memutils.h"

/* counted rows after which one windowed pass is cheaper than more counting */
#define RANK_COUNT_BUDGET 20000

typedef struct RankEntry
{
	int64		customer_id;
	char		status;
	int64		rank;
} RankEntry;

#define SH_PREFIX ranks
#define SH_ELEMENT_TYPE RankEntry
#define SH_KEY_TYPE int64
#define SH_KEY customer_id
#define SH_HASH_KEY(tb, key) hash_bytes_uint32((uint32) ((key) ^ ((key) >> 32)))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* per query (fn_extra): how much counting was done, or everyone's rank */
typedef struct RankCache
{
	int64		counted;
	ranks_hash *ranks;
	bool		decided;
	bool		direct;			/* count off the index here, not by a query */
	Oid			state;
	Oid			owner_idx;
	AttrNumber	att[3];			/* priority, next_due_at, customer_id */
} RankCache;

/* prepared once per backend; the plan cache replans them for another role */
static SPIPlanPtr count_plan[2];	/* [owner = $1, owner IS NULL] */
static SPIPlanPtr all_plan = NULL;

static SPIPlanPtr
get_count_plan(bool null_owner)
{
	Oid			types[4] = {TEXTOID, FLOAT8OID, TIMESTAMPTZOID, INT8OID};
	const char *owner = null_owner ? "a.owner IS NULL" : "a.owner OPERATOR(pg_catalog.=) $1";

	if (count_plan[null_owner] == NULL)
		count_plan[null_owner] = PrioKeepPlan(psprintf(
			"SELECT (SELECT pg_catalog.count(*) FROM " PRIO_SCHEMA ".customer_state a"
			"         WHERE %s AND a.priority OPERATOR(pg_catalog.>) $2)"
			"     + (SELECT pg_catalog.count(*) FROM " PRIO_SCHEMA ".customer_state a"
			"         WHERE %s AND a.priority OPERATOR(pg_catalog.=) $2"
			"           AND ROW(a.next_due_at, a.customer_id) OPERATOR(pg_catalog.<) ROW($3, $4))",
			owner, owner), 4, types, 0);
	return count_plan[null_owner];
}

static SPIPlanPtr
get_all_plan(void)
{
	if (all_plan == NULL)
		all_plan = PrioKeepPlan(
			"SELECT s.customer_id, pg_catalog.row_number() OVER"
			"       (PARTITION BY s.owner ORDER BY s.priority DESC, s.next_due_at, s.customer_id)"
			"  FROM " PRIO_SCHEMA ".customer_state s", 0, NULL, 0);
	return all_plan;
}

static void
rank_everyone(RankCache *cache, MemoryContext cxt)
{
	if (SPI_execute_plan(get_all_plan(), NULL, NULL, true, 0) != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not rank the follow-up list")));
	cache->ranks = ranks_create(cxt, (uint32) Max(SPI_processed * 1.25, 64), NULL);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		bool		found;
		HeapTuple	t = SPI_tuptable->vals[r];
		RankEntry  *e = ranks_insert(cache->ranks,
									 DatumGetInt64(SPI_getbinval(t, SPI_tuptable->tupdesc, 1, &isnull)),
									 &found);

		e->rank = DatumGetInt64(SPI_getbinval(t, SPI_tuptable->tupdesc, 2, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
}

/* Whether the caller may read customer_state with no policy in the way */
static void
decide(RankCache *cache)
{
	Oid			nsp = get_namespace_oid(PRIO_SCHEMA, false);

	cache->decided = true;
	cache->state = get_relname_relid("customer_state", nsp);
	cache->owner_idx = get_relname_relid("customer_state_owner_idx", nsp);
	cache->direct = OidIsValid(cache->state) && OidIsValid(cache->owner_idx) &&
		check_enable_rls(cache->state, InvalidOid, true) != RLS_ENABLED &&
		pg_class_aclcheck(cache->state, GetUserId(), ACL_SELECT) == ACLCHECK_OK;
	if (cache->direct)
	{
		Relation	idx = index_open(cache->owner_idx, AccessShareLock);
		Relation	heap = table_open(cache->state, AccessShareLock);
		const char *names[3] = {"priority", "next_due_at", "customer_id"};
		AttrNumber	owner = get_attnum(cache->state, "owner");

		for (int i = 0; i < 3; i++)
			cache->att[i] = get_attnum(cache->state, names[i]);
		/* the index 0.3 made: (owner, priority DESC, next_due_at, customer_id) */
		cache->direct = idx->rd_index->indrelid == cache->state &&
			idx->rd_rel->relam == BTREE_AM_OID && idx->rd_index->indnkeyatts == 4 &&
			idx->rd_index->indkey.values[0] == owner &&
			idx->rd_index->indkey.values[1] == cache->att[0] &&
			(idx->rd_indoption[1] & INDOPTION_DESC) &&
			idx->rd_index->indkey.values[2] == cache->att[1] &&
			idx->rd_index->indkey.values[3] == cache->att[2] &&
			TupleDescAttr(RelationGetDescr(heap), cache->att[0] - 1)->atttypid == FLOAT8OID &&
			TupleDescAttr(RelationGetDescr(heap), cache->att[1] - 1)->atttypid == TIMESTAMPTZOID &&
			TupleDescAttr(RelationGetDescr(heap), cache->att[2] - 1)->atttypid == INT8OID;
		table_close(heap, AccessShareLock);
		index_close(idx, AccessShareLock);
	}
}

/*
 * How many of the owner's rows come before (p, d, id): the owner index from
 * the top of the owner's range down to the row, visible rows only.
 */
static int64
count_before(RankCache *cache, bool owner_null, Datum owner, double p, TimestampTz d, int64 id)
{
	Relation	heap = table_open(cache->state, AccessShareLock);
	Relation	idx = index_open(cache->owner_idx, AccessShareLock);
	TupleTableSlot *slot = table_slot_create(heap, NULL);
	ScanKeyData key[2];
	IndexScanDesc scan;
	int64		n = 0;

	if (owner_null)
		ScanKeyEntryInitialize(&key[0], SK_ISNULL | SK_SEARCHNULL, 1, InvalidStrategy,
							   InvalidOid, InvalidOid, InvalidOid, (Datum) 0);
	else
		ScanKeyEntryInitialize(&key[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
							   idx->rd_indcollation[0], F_TEXTEQ, owner);
	ScanKeyInit(&key[1], 2, BTGreaterEqualStrategyNumber, F_FLOAT8GE, Float8GetDatum(p));
	scan = index_beginscan(heap, idx, GetActiveSnapshot(), 2, 0);
	index_rescan(scan, key, 2, NULL, 0);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		double		sp;
		TimestampTz sd;
		int64		sid;

		slot_getsomeattrs(slot, Max(Max(cache->att[0], cache->att[1]), cache->att[2]));
		sp = DatumGetFloat8(slot->tts_values[cache->att[0] - 1]);
		sd = DatumGetTimestampTz(slot->tts_values[cache->att[1] - 1]);
		sid = DatumGetInt64(slot->tts_values[cache->att[2] - 1]);
		/* in index order: everything before the row itself comes first */
		if (sp == p && (sd > d || (sd == d && sid >= id)))
			break;
		n++;
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, AccessShareLock);
	table_close(heap, AccessShareLock);
	return n;
}

/*
 * prio.followup_rank(customer_id, owner, priority, next_due_at) RETURNS
 * bigint: 1 + how many of the owner's customers the caller can see come
 * before this one by (priority DESC, next_due_at, customer_id); customers
 * without an owner form one list.  NULL for a NULL customer_id, priority or
 * next_due_at (customer_state has none).
 */
PG_FUNCTION_INFO_V1(prio_followup_rank);
Datum
prio_followup_rank(PG_FUNCTION_ARGS)
{
	RankCache  *cache = fcinfo->flinfo->fn_extra;
	int64		id;
	int64		rank;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	id = PG_GETARG_INT64(0);
	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RankCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	if (!cache->decided)
		decide(cache);
	if (cache->direct && cache->ranks == NULL && cache->counted <= RANK_COUNT_BUDGET)
	{
		rank = 1 + count_before(cache, PG_ARGISNULL(1), PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1),
								PG_GETARG_FLOAT8(2), PG_GETARG_TIMESTAMPTZ(3), id);
		cache->counted += rank;
		PG_RETURN_INT64(rank);
	}

	SPI_connect();
	if (cache->ranks == NULL && cache->counted > RANK_COUNT_BUDGET)
		rank_everyone(cache, fcinfo->flinfo->fn_mcxt);
	if (cache->ranks != NULL)
	{
		RankEntry  *e = ranks_lookup(cache->ranks, id);

		SPI_finish();
		/* a row the windowed pass did not see: not one of customer_state's */
		if (e == NULL)
			PG_RETURN_NULL();
		PG_RETURN_INT64(e->rank);
	}
	{
		Datum		args[4];
		char		nulls[4] = {' ', ' ', ' ', ' '};
		bool		isnull;

		args[0] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
		nulls[0] = PG_ARGISNULL(1) ? 'n' : ' ';
		args[1] = PG_GETARG_DATUM(2);
		args[2] = PG_GETARG_DATUM(3);
		args[3] = PG_GETARG_DATUM(0);
		if (SPI_execute_plan(get_count_plan(PG_ARGISNULL(1)), args, nulls, true, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("could not rank customer " INT64_FORMAT, id)));
		rank = 1 + DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();
	/* each counted row cost about as much as ranking one row of the whole list */
	cache->counted += rank;
	PG_RETURN_INT64(rank);
}
