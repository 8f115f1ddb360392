/*
 * sweep.c
 *		Every customer at once, one pass over each table, no per-customer
 *		query: PrioSweepRebuild() (prio.sweep_rebuild: recompute, a settings
 *		change, TRUNCATE) folds everyone again from the activities and writes
 *		the rows that differ; PrioSweepDue() (prio.sweep_due: refresh)
 *		evaluates everyone's stored facts
 *		at a time and names the customers whose stored evaluation differs.
 *		The insert trigger uses the same activity collector when a statement
 *		(a backdated COPY) needs many customers folded again.
 *
 * The events of tracked activities tables (prio.track(): an application's
 * own table, read through its compiled EVENTS query) are collected after
 * each scan of the heap, through a cursor with the same snapshot, one table
 * at a time in a subtransaction of its own.  A table whose query fails (a
 * mapping expression that errors on one of its rows, row-level security
 * that applies to prio's owner) is skipped: a WARNING, its
 * prio.tracked.last_error, and the customers of its customers table are
 * frozen -- nobody writes their state from what was collected without it
 * (ActivityCollectorFrozen); everyone else is folded.
 *
 * The activity collector reads the activities heap once, in physical order,
 * and keeps the events of the customers asked for in memory, 32 bytes each;
 * each customer's events are then sorted by (at, activity_id) and folded by
 * the same prio_fold_events() the aggregate and the trigger use.  The events
 * are held within maintenance_work_mem: when a set of customers would need
 * more, it is split by a hash of customer_id into passes, each a scan.
 */
#include "prio.h"

#include <math.h>

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

/* writes are batched: one UPDATE per this many changed customers */
#define SWEEP_BATCH 1000

/* A customer of the sweep: what the rules need besides its facts */
typedef struct SweepCustomer
{
	int64		customer_id;	/* hash key */
	char		status;			/* simplehash's */
	bool		seen;			/* its customer_state row was read */
	bool		answers[4];		/* BANT */
	bool		answer_null[4];
	TimestampTz created_at;
	char	   *owner;			/* NULL: none */
	bool		frozen;			/* a tracked table of its events could not be read */
	int32		nev;
	int32		cap;
	PrioEvent *ev;
} SweepCustomer;

/* splitmix64's finalizer: consecutive ids spread over the table */
static inline uint64
mix_customer(int64 id)
{
	uint64		h = (uint64) id;

	h ^= h >> 30;
	h *= UINT64CONST(0xbf58476d1ce4e5b9);
	h ^= h >> 27;
	h *= UINT64CONST(0x94d049bb133111eb);
	h ^= h >> 31;
	return h;
}

/* the hash table's buckets come from the low 32 bits ... */
static inline uint32
hash_customer(int64 id)
{
	return (uint32) mix_customer(id);
}

#define SH_PREFIX sweep
#define SH_ELEMENT_TYPE SweepCustomer
#define SH_KEY_TYPE int64
#define SH_KEY customer_id
#define SH_HASH_KEY(tb, key) hash_customer(key)
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* A tracked activities table whose events the collector reads */
typedef struct TrackedSource
{
	int32		source_id;
	Oid			relid;
	char	   *events;			/* its compiled EVENTS query */
	char	   *customer_map;	/* its customers table's key map */
	bool		failed;			/* its query failed: its customers are frozen */
	/* what collector_direct() needs: a mapping of one event a row */
	char	   *map_customer;	/* the mapping's customer, kind, at, amount */
	char	   *map_kind;
	char	   *map_at;
	char	   *map_amount;
	Oid			key_map;
	bool		changed;		/* renamed, dropped, or its mapped columns changed */
} TrackedSource;

struct ActivityCollector
{
	MemoryContext cxt;			/* the customers, their events and amounts */
	sweep_hash *customers;
	const PrioConfig *cfg;
	Snapshot	snapshot;
	int			npasses;
	TrackedSource *sources;		/* (outside cxt, which each pass resets) */
	int			nsources;
	TimestampTz upto;			/* events after it are planned, not folded */
};

/*
 * ... and the pass from the high 32: bits a bucket index shares with the pass
 * would leave most buckets of a pass empty and its probes long.
 */
static inline int
pass_of(int64 id, int npasses)
{
	return npasses <= 1 ? 0 : (int) (((mix_customer(id) >> 32) * (uint64) npasses) >> 32);
}

/*
 * Rows of a relation as the planner counts them: the analyzed density times
 * its size now; never analyzed, by its size.  At least the live rows the
 * statistics collector counts: a table analyzed empty and loaded since is
 * not one row.
 */
static double
estimated_rows(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	double		blocks = (double) RelationGetNumberOfBlocks(rel);
	double		rows;
	PgStat_StatTabEntry *stat = pgstat_fetch_stat_tabentry(relid);

	if (rel->rd_rel->reltuples >= 0 && rel->rd_rel->relpages > 0)
		rows = rel->rd_rel->reltuples / rel->rd_rel->relpages * blocks;
	else
		rows = blocks * (BLCKSZ / 64);
	if (stat != NULL)
		rows = Max(rows, (double) stat->n_live_tuples);
	table_close(rel, AccessShareLock);
	return Max(rows, 1.0);
}

/*
 * What to size a hash table of customers for: the count of the last
 * ANALYZE or VACUUM, which dead rows do not inflate; the table grows past it
 * if need be.
 */
static double
counted_customers(void)
{
	Oid			relid = PrioRelid("customers");
	Relation	rel = table_open(relid, AccessShareLock);
	double		rows = rel->rd_rel->reltuples;

	table_close(rel, AccessShareLock);
	return rows >= 0 ? rows : estimated_rows(relid);
}

/*
 * The tracked activities tables, in source_id order, allocated in the
 * current context.  None before 0.4's prio.sources.  One whose name or
 * columns are no longer those prio.track() checked (changed) is not read:
 * its customers are frozen, as when its query fails (a WARNING and its
 * last_error), never folded without its events.  The caller is connected
 * to SPI.
 */
static void
tracked_sources(ActivityCollector *c)
{
	static SPIPlanPtr plan = NULL;
	MemoryContext mine = CurrentMemoryContext;

	c->sources = NULL;
	c->nsources = 0;
	if (!OidIsValid(get_relname_relid("sources", get_namespace_oid(PRIO_SCHEMA, false))))
		return;
	if (plan == NULL)
		plan = PrioKeepPlan("SELECT s.source_id, s.relid::pg_catalog.oid,"
							"       s.compiled OPERATOR(pg_catalog.->>) 'EVENTS',"
							"       s.compiled OPERATOR(pg_catalog.->>) 'customer_map',"
							"       m.customer, m.kind, m.at, m.amount, c.key_map::pg_catalog.oid,"
							"       s.signature IS DISTINCT FROM " PRIO_SCHEMA "._track_signature(s.relid, s.compiled)"
							"  FROM " PRIO_SCHEMA ".sources s"
							"  LEFT JOIN " PRIO_SCHEMA ".sources c"
							"    ON c.source_id::pg_catalog.text OPERATOR(pg_catalog.=) (s.compiled OPERATOR(pg_catalog.->>) 'customers')"
							"  LEFT JOIN LATERAL (SELECT s.mapping OPERATOR(pg_catalog.->>) 'customer' AS customer,"
							"                            s.mapping OPERATOR(pg_catalog.->>) 'kind' AS kind,"
							"                            s.mapping OPERATOR(pg_catalog.->>) 'at' AS at,"
							"                            s.mapping OPERATOR(pg_catalog.->>) 'amount' AS amount"
							"                     WHERE NOT s.mapping OPERATOR(pg_catalog.?) 'events') m ON true"
							" WHERE s.role OPERATOR(pg_catalog.=) 'activities'"
							"   AND s.compiled OPERATOR(pg_catalog.?) 'EVENTS'"
							"   AND s.compiled OPERATOR(pg_catalog.?) 'customer_map'"
							" ORDER BY s.source_id", 0, NULL, 0);
	if (SPI_execute_plan(plan, NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read prio.sources");
	MemoryContextSwitchTo(mine);
	if (SPI_processed > 0)
		c->sources = palloc0(sizeof(TrackedSource) * SPI_processed);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		TrackedSource *src = &c->sources[c->nsources++];
		bool		isnull;

		src->source_id = DatumGetInt32(SPI_getbinval(t, d, 1, &isnull));
		src->relid = DatumGetObjectId(SPI_getbinval(t, d, 2, &isnull));
		src->events = SPI_getvalue(t, d, 3);
		src->customer_map = SPI_getvalue(t, d, 4);
		src->map_customer = SPI_getvalue(t, d, 5);
		src->map_kind = SPI_getvalue(t, d, 6);
		src->map_at = SPI_getvalue(t, d, 7);
		src->map_amount = SPI_getvalue(t, d, 8);
		src->key_map = DatumGetObjectId(SPI_getbinval(t, d, 9, &isnull));
		if (isnull)
			src->key_map = InvalidOid;
		src->changed = DatumGetBool(SPI_getbinval(t, d, 10, &isnull));
		src->failed = src->changed;
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * A collector for the events of a set of ncustomers customers (of all
 * customers, when ncustomers < 0), read with snapshot: it decides how many
 * passes keep them within maintenance_work_mem, counting the rows of
 * prio.activities and of the tracked activities tables.  The caller is
 * connected to SPI.
 */
ActivityCollector *
ActivityCollectorBegin(const PrioConfig *cfg, Snapshot snapshot, double ncustomers,
					   TimestampTz upto)
{
	ActivityCollector *c = palloc0(sizeof(ActivityCollector));
	double		activities = estimated_rows(PrioRelid("activities"));
	double		customers = estimated_rows(PrioRelid("customers"));
	double		events;
	double		budget = (double) maintenance_work_mem * 1024.0;

	c->cxt = AllocSetContextCreate(CurrentMemoryContext, "prio activity collector",
								   ALLOCSET_DEFAULT_SIZES);
	c->cfg = cfg;
	c->snapshot = snapshot;
	/*
	 * Every row of a tracked table is taken for an event (rows ignored for
	 * scoring -- unknown kinds, unmapped customers -- make it an upper bound).
	 */
	tracked_sources(c);
	for (int i = 0; i < c->nsources; i++)
		if (!c->sources[i].changed)
			activities += estimated_rows(c->sources[i].relid);
	c->upto = upto;
	/* events of the set, by the activities' share of its customers */
	events = ncustomers < 0 || ncustomers >= customers ? activities
		: activities * ncustomers / customers;
	/*
	 * An event and its share of array slack and amounts: about 48 bytes; a
	 * customer: its hash entry (at most half the buckets filled) and the
	 * unused half of a first array of eight events.
	 */
	if (ncustomers < 0 || ncustomers > customers)
		ncustomers = customers;
	c->npasses = (int) Min(ceil((events * 48.0 +
								 ncustomers * (2.0 * sizeof(SweepCustomer) + 4.0 * sizeof(PrioEvent))) / budget),
						   1024.0);
	c->npasses = Max(c->npasses, 1);
	return c;
}

int
ActivityCollectorPasses(ActivityCollector *c)
{
	return c->npasses;
}

bool
ActivityCollectorInPass(ActivityCollector *c, int64 customer_id, int pass)
{
	return pass_of(customer_id, c->npasses) == pass;
}

/* Forget the last pass's customers and events; start a new set. */
static void
collector_reset(ActivityCollector *c, double ncustomers)
{
	MemoryContextReset(c->cxt);
	c->customers = sweep_create(c->cxt, (uint32) Min(Max(ncustomers, 64.0), 1e9), NULL);
}

static SweepCustomer *
collector_add(ActivityCollector *c, int64 customer_id)
{
	bool		found;
	SweepCustomer *e = sweep_insert(c->customers, customer_id, &found);

	if (!found)
	{
		memset(((char *) e) + offsetof(SweepCustomer, seen), 0,
			   sizeof(SweepCustomer) - offsetof(SweepCustomer, seen));
	}
	return e;
}

/*
 * At a million customers the table and the event arrays are far larger than
 * the caches, so a row's lookup and its append each wait on memory.  The scan
 * therefore runs ahead: a row is read, its bucket prefetched; SCAN_AHEAD rows
 * later it is looked up and its customer's next event slot prefetched;
 * SCAN_AHEAD rows later again it is appended.
 */
#define SCAN_AHEAD 8
#define SCAN_RING 32			/* a power of 2 above 2 * SCAN_AHEAD + 1 */
#define SCAN_BLOCK 1024			/* rows between scratch resets */
StaticAssertDecl(SCAN_RING > 2 * SCAN_AHEAD + 1 && (SCAN_RING & (SCAN_RING - 1)) == 0 &&
				 SCAN_BLOCK > 2 * SCAN_AHEAD + 1,
				 "the ring holds every pending row, and a scratch block outlives them");

#if defined(__GNUC__) || defined(__clang__)
#define prefetch(p) __builtin_prefetch(p)
#else
#define prefetch(p) ((void) 0)
#endif

/*
 * A row read ahead of its customer's lookup.  Its kind is resolved only once
 * the customer is known to be collected: a refold of a few customers must not
 * look up, nor fail on, the kinds of everyone else's rows.
 */
typedef struct ScanRow
{
	int64		customer_id;
	uint32		hash;
	int32		kind_len;
	const char *kind;			/* kind_buf, or a scratch copy if longer */
	char		kind_buf[32];
	TimestampTz at;
	int64		activity_id;
	Numeric		amount;			/* in a scratch context; NULL: none */
	SweepCustomer *e;			/* after the lookup; NULL: not collected */
} ScanRow;

typedef struct CollectorScan
{
	ActivityCollector *c;
	int			pass;
	AttrNumber	att_id,
				att_customer,
				att_kind,
				att_at,
				att_amount,
				natts;

	/*
	 * The page a row was read from may be unpinned before the row is
	 * appended, so amounts and long kinds are copied into scratch: two
	 * contexts, each reset when it is reused a block later, long after its
	 * rows were appended.
	 */
	MemoryContext scratch[2];
	int			hint;
	ScanRow		ring[SCAN_RING];
} CollectorScan;

/* Take a row of the slot into the ring at index n; false: not collected */
static bool
scan_read(CollectorScan *s, TupleTableSlot *slot, uint64 n)
{
	ActivityCollector *c = s->c;
	ScanRow    *r = &s->ring[n % SCAN_RING];
	MemoryContext old;
	text	   *kind;

	slot_getsomeattrs(slot, s->natts);
	if (slot->tts_isnull[s->att_customer - 1] || slot->tts_isnull[s->att_at - 1] ||
		slot->tts_isnull[s->att_kind - 1] || slot->tts_isnull[s->att_id - 1])
		return false;			/* NOT NULL columns; a NULL cannot be folded */
	r->customer_id = DatumGetInt64(slot->tts_values[s->att_customer - 1]);
	if (pass_of(r->customer_id, c->npasses) != s->pass)
		return false;
	r->hash = hash_customer(r->customer_id);
	prefetch(&c->customers->data[r->hash & c->customers->sizemask]);

	if (n % SCAN_BLOCK == 0)
		MemoryContextReset(s->scratch[(n / SCAN_BLOCK) % 2]);
	old = MemoryContextSwitchTo(s->scratch[(n / SCAN_BLOCK) % 2]);
	kind = DatumGetTextPP(slot->tts_values[s->att_kind - 1]);
	r->kind_len = VARSIZE_ANY_EXHDR(kind);
	r->kind = r->kind_len <= sizeof(r->kind_buf) ? r->kind_buf : palloc(r->kind_len);
	memcpy((char *) r->kind, VARDATA_ANY(kind), r->kind_len);
	r->at = DatumGetTimestampTz(slot->tts_values[s->att_at - 1]);
	r->activity_id = DatumGetInt64(slot->tts_values[s->att_id - 1]);
	r->amount = slot->tts_isnull[s->att_amount - 1]
		? NULL : DatumGetNumericCopy(slot->tts_values[s->att_amount - 1]);
	MemoryContextSwitchTo(old);
	return true;
}

static void
scan_lookup(CollectorScan *s, uint64 n)
{
	ScanRow    *r = &s->ring[n % SCAN_RING];
	SweepCustomer *e = sweep_lookup_hash(s->c->customers, r->customer_id, r->hash);

	r->e = e;
	if (e != NULL && e->ev != NULL)
		prefetch(&e->ev[e->nev]);
}

/* Append an event to a collected customer's; *hint: the last kind's index */
static void
collector_append(ActivityCollector *c, SweepCustomer *e, TimestampTz at, int64 activity_id,
				 const char *kind, int kind_len, Numeric amount, int *hint)
{
	PrioEvent *ev;
	const PrioKind *k;

	*hint = prio_kind_index(c->cfg, kind, kind_len, *hint);
	k = &c->cfg->kinds[*hint];
	if (e->nev == e->cap)
	{
		/*
		 * Most customers have a handful: a first array of 8 (a smaller one
		 * grows too often; bench/results.md); a few may have millions
		 * (huge: > 1 GB).
		 */
		if (e->cap > PG_INT32_MAX / 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("customer " INT64_FORMAT " has more activities than prio can fold",
							e->customer_id)));
		e->cap = e->cap == 0 ? 8 : e->cap * 2;
		e->ev = e->ev == NULL
			? MemoryContextAlloc(c->cxt, sizeof(PrioEvent) * e->cap)
			: repalloc_huge(e->ev, sizeof(PrioEvent) * (Size) e->cap);
	}
	ev = &e->ev[e->nev++];
	ev->at = at;
	ev->activity_id = activity_id;
	ev->seq = 0;				/* activity_id is unique (a tracked event's tiebreak: see fold.c) */
	ev->kind = *hint;
	ev->amount = NULL;
	if ((k->is_purchase || k->deal_quote) && amount != NULL)
	{
		Size		len = VARSIZE(amount);

		ev->amount = MemoryContextAlloc(c->cxt, len);
		memcpy(ev->amount, amount, len);
	}
}

static void
scan_append(CollectorScan *s, uint64 n)
{
	ScanRow    *r = &s->ring[n % SCAN_RING];

	if (r->e == NULL)
		return;
	collector_append(s->c, r->e, r->at, r->activity_id, r->kind, r->kind_len, r->amount,
					 &s->hint);
}

/*
 * The customers of a tracked table's customers table (its key map) that
 * the collector holds for this pass are frozen.
 */
static void
collector_freeze(ActivityCollector *c, TrackedSource *src, int pass)
{
	char	   *sql = psprintf("SELECT m.customer_id FROM %s m", src->customer_map);
	Portal		portal;
	SPIPlanPtr	plan = SPI_prepare(sql, 0, NULL);

	if (plan == NULL)
		elog(ERROR, "could not prepare the customers of tracked table %u: %s", src->relid,
			 SPI_result_code_string(SPI_result));
	PushActiveSnapshot(c->snapshot);
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, 10000);
		if (SPI_processed == 0)
			break;
		for (uint64 row = 0; row < SPI_processed; row++)
		{
			bool		isnull;
			int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[row],
														 SPI_tuptable->tupdesc, 1, &isnull));
			SweepCustomer *e;

			if (!isnull && pass_of(id, c->npasses) == pass &&
				(e = sweep_lookup(c->customers, id)) != NULL)
				e->frozen = true;
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_freetuptable(SPI_tuptable);
	SPI_cursor_close(portal);
	SPI_freeplan(plan);
	PopActiveSnapshot();
	pfree(sql);
}

/*
 * The events of a tracked table whose mapping tracked_rows.c reads, read
 * without its events query (a whole table through it cost ~2 us a row):
 * one scan of the table, each row's customer found in a hash of its key
 * map, as the query's join finds it.  Only for a plain table that prio's
 * owner may read whole (SELECT, no policy that applies to it: otherwise the
 * query says what is wrong), and a key whose type's hash agrees with the key
 * map's equality.  The hash holds the keys of the pass's customers only.
 * false: not such a table; nothing read.
 */
static bool
collector_direct(ActivityCollector *c, TrackedSource *src, int pass, MemoryContext batch)
{
	MemoryContext mine = CurrentMemoryContext;
	Relation	rel = try_table_open(src->relid, AccessShareLock);
	Relation	map;
	TrackedRows w;
	TrackedKeys *keys;
	TupleTableSlot *slot;
	TableScanDesc scan;
	AttrNumber	att_id;
	int			hint = -1;
	uint64		n = 0;

	if (rel == NULL)
		return false;
	if (rel->rd_rel->relkind != RELKIND_RELATION ||
		pg_class_aclcheck(src->relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK ||
		check_enable_rls(src->relid, InvalidOid, true) == RLS_ENABLED ||
		!TrackedRowsLookup(rel, src->map_customer, src->map_kind, src->map_at, src->map_amount,
						   src->key_map, &w) ||
		(keys = TrackedKeysCreate(w.type, w.eqop, w.collation, mine, c->customers->members)) == NULL)
	{
		table_close(rel, AccessShareLock);
		return false;
	}

	/*
	 * The key map, read with the collector's snapshot: only the keys of the
	 * pass's customers (the passes' memory budget holds)
	 */
	map = table_open(w.key_map, AccessShareLock);
	att_id = PrioAttnum(map, "customer_id", INT8OID);
	slot = table_slot_create(map, NULL);
	scan = table_beginscan(map, c->snapshot, 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool		knull;
		bool		inull;
		Datum		k = slot_getattr(slot, w.map_key, &knull);
		Datum		id = slot_getattr(slot, att_id, &inull);

		CHECK_FOR_INTERRUPTS();
		if (knull || inull || pass_of(DatumGetInt64(id), c->npasses) != pass ||
			sweep_lookup(c->customers, DatumGetInt64(id)) == NULL)
			continue;
		TrackedKeysPut(keys, k, true, DatumGetInt64(id));
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(map, NoLock);

	/* the table's rows */
	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, c->snapshot, 0, NULL);
	MemoryContextSwitchTo(batch);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		TrackedEvent ev;
		bool		known;
		int64		id;
		SweepCustomer *e;

		CHECK_FOR_INTERRUPTS();
		if (++n % 1024 == 0)
			MemoryContextReset(batch);
		if (!TrackedRowEvent(&w, slot, c->cfg, &hint, &ev) ||
			!TrackedKeysGet(keys, ev.key, &known, &id) ||
			pass_of(id, c->npasses) != pass ||
			(e = sweep_lookup(c->customers, id)) == NULL)
			continue;
		collector_append(c, e, ev.at,
						 TrackedEventTiebreak(VARDATA_ANY(ev.kind), VARSIZE_ANY_EXHDR(ev.kind), ev.amount),
						 VARDATA_ANY(ev.kind), VARSIZE_ANY_EXHDR(ev.kind), ev.amount, &hint);
	}
	MemoryContextSwitchTo(mine);
	MemoryContextReset(batch);
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, NoLock);
	TrackedKeysFree(keys);
	return true;
}

/* Rows of one tracked table's events query (see collector_tracked) */
static void
collector_source(ActivityCollector *c, TrackedSource *src, int pass, MemoryContext batch)
{
	MemoryContext mine = CurrentMemoryContext;
	SPIPlanPtr	plan;
	Portal		portal;
	int			hint = 0;
	int			nest;

	if (collector_direct(c, src, pass, batch))
		return;

	PushActiveSnapshot(c->snapshot);
	/* (parsed, and read, as prio's triggers do: track.c) */
	nest = PrioTrackedParseBegin();
	plan = SPI_prepare(src->events, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "could not prepare the events of tracked table %u: %s", src->relid,
			 SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, 10000);
		MemoryContextReset(batch);
		MemoryContextSwitchTo(batch);
		if (SPI_processed == 0)
			break;
		PrioTrackedEventsCheck(src->relid, SPI_tuptable->tupdesc);
		for (uint64 row = 0; row < SPI_processed; row++)
		{
			HeapTuple	t = SPI_tuptable->vals[row];
			TupleDesc	d = SPI_tuptable->tupdesc;
			bool		isnull;
			bool		amount_null;
			int64		id = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
			SweepCustomer *e;
			text	   *kind;
			Datum		amount;

			CHECK_FOR_INTERRUPTS();
			if (pass_of(id, c->npasses) != pass ||
				(e = sweep_lookup(c->customers, id)) == NULL)
				continue;
			kind = DatumGetTextPP(SPI_getbinval(t, d, 4, &isnull));
			amount = SPI_getbinval(t, d, 5, &amount_null);
			collector_append(c, e, DatumGetTimestampTz(SPI_getbinval(t, d, 2, &isnull)),
							 DatumGetInt64(SPI_getbinval(t, d, 3, &isnull)),
							 VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind),
							 amount_null ? NULL : DatumGetNumeric(amount), &hint);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	MemoryContextSwitchTo(mine);
	SPI_freetuptable(SPI_tuptable);
	SPI_cursor_close(portal);
	SPI_freeplan(plan);
	PrioTrackedParseEnd(nest);
	PopActiveSnapshot();
}

/*
 * A tracked activities table whose events could not be read (edata: why;
 * not an error of the server's): a WARNING, which says whose state is left
 * as it was (left), and its prio.tracked.last_error.  Shared by the
 * collector and refold.c's reads of a few customers.  The caller is
 * connected to SPI.
 */
void
PrioTrackedUnreadable(int32 source_id, Oid relid, ErrorData *edata, const char *left)
{
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		args[2] = {Int32GetDatum(source_id), CStringGetTextDatum(edata->message)};

	ereport(WARNING,
			(errcode(ERRCODE_WARNING),
			 errmsg("prio: the activities of tracked table %s could not be read: %s",
					DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid))),
					edata->message),
			 errdetail("SQLSTATE %s; %s.", unpack_sql_state(edata->sqlerrcode), left),
			 get_rel_name(relid) == NULL
			 ? errhint("prio's owner untracks a dropped table by its number: SELECT prio.untrack(%u);", relid)
			 : edata->hint != NULL ? errhint("%s", edata->hint)
			 : errhint("See prio.tracked.last_error; fix the row or the mapping (prio.untrack() and prio.track()), then prio.recompute() resynchronises.")));
	if (SPI_execute_with_args("SELECT " PRIO_SCHEMA "._track_note_error($1, $2)",
							  2, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not note the error of tracked table %u", relid);
}

/*
 * A tracked activities table renamed, dropped, or whose mapped columns
 * changed since prio.track() (its compiled SQL is not run): its customers
 * cannot be folded with its events, so they are left as they were, as when
 * its events cannot be read (PrioTrackedUnreadable: a WARNING, its
 * last_error).  The caller is connected to SPI.
 */
void
PrioTrackedChanged(int32 source_id, Oid relid, const char *left)
{
	ErrorData	e = {0};

	e.elevel = ERROR;
	e.sqlerrcode = ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;
	e.message = get_rel_name(relid) == NULL
		? psprintf("tracked table %u was dropped without prio.untrack()", relid)
		: psprintf("the name or the columns of %s changed since prio.track()",
				   DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid))));
	PrioTrackedUnreadable(source_id, relid, &e, left);
	pfree(e.message);
}

/* collector_source()'s arguments, for PrioTry() */
typedef struct CollectorSourceArgs
{
	ActivityCollector *c;
	TrackedSource *src;
	int			pass;
	MemoryContext batch;
} CollectorSourceArgs;

static void
collector_source_try(void *arg)
{
	CollectorSourceArgs *a = arg;

	collector_source(a->c, a->src, a->pass, a->batch);
}

/*
 * The events of the tracked activities tables for the customers of the
 * pass, read with the collector's snapshot through a cursor, in batches:
 * each table in a subtransaction, so that one whose query fails (a mapping
 * expression that errors on one of its rows; row-level security that
 * applies to prio's owner) is skipped with a WARNING, noted in its
 * prio.tracked.last_error, and the customers of its customers table are
 * frozen (their partly collected events are never folded into state).  The
 * caller is connected to SPI.
 */
static void
collector_tracked(ActivityCollector *c, int pass)
{
	MemoryContext batch;

	if (c->nsources == 0)
		return;
	/* detoasted kinds and amounts of a batch (kept ones are copied) */
	batch = AllocSetContextCreate(CurrentMemoryContext, "prio collector tracked rows",
								  ALLOCSET_DEFAULT_SIZES);
	for (int i = 0; i < c->nsources; i++)
	{
		TrackedSource *src = &c->sources[i];

		if (src->changed && pass == 0)
			PrioTrackedChanged(src->source_id, src->relid,
							   "the state of the customers of its customers table is left as it was");
		if (!src->failed)
		{
			CollectorSourceArgs a = {c, src, pass, batch};
			ErrorData  *edata = PrioTry(collector_source_try, &a, false);

			if (edata != NULL)
			{
				src->failed = true;
				PrioTrackedUnreadable(src->source_id, src->relid, edata,
									  "the state of the customers of its customers table is left as it was");
				FreeErrorData(edata);
			}
		}
		if (src->failed)
			collector_freeze(c, src, pass);
	}
	MemoryContextDelete(batch);
}

/*
 * One scan of the activities: the events of every customer of the pass
 * added since the last reset are kept.
 */
static void
collector_scan(ActivityCollector *c, int pass)
{
	Relation	rel = table_open(PrioRelid("activities"), AccessShareLock);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	TableScanDesc scan;
	CollectorScan *s = palloc(sizeof(CollectorScan));
	uint64		nscanned = 0,
				nread = 0,
				nlooked = 0,
				ndone = 0;
	bool		more = true;

	s->c = c;
	s->pass = pass;
	s->att_id = PrioAttnum(rel, "activity_id", INT8OID);
	s->att_customer = PrioAttnum(rel, "customer_id", INT8OID);
	s->att_kind = PrioAttnum(rel, "kind", TEXTOID);
	s->att_at = PrioAttnum(rel, "at", TIMESTAMPTZOID);
	s->att_amount = PrioAttnum(rel, "amount", NUMERICOID);
	s->natts = Max(Max(Max(s->att_id, s->att_customer), Max(s->att_kind, s->att_at)),
				   s->att_amount);
	for (int i = 0; i < 2; i++)
		s->scratch[i] = AllocSetContextCreate(CurrentMemoryContext, "prio collector rows",
											  ALLOCSET_SMALL_SIZES);
	s->hint = 0;

	scan = table_beginscan(rel, c->snapshot, 0, NULL);
	while (more || ndone < nread)
	{
		if (more)
		{
			if ((++nscanned & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
			more = table_scan_getnextslot(scan, ForwardScanDirection, slot);
			if (more && scan_read(s, slot, nread))
				nread++;
		}
		if (nlooked < nread && (!more || nread - nlooked > SCAN_AHEAD))
			scan_lookup(s, nlooked++);
		if (ndone < nlooked && (!more || nlooked - ndone > SCAN_AHEAD))
			scan_append(s, ndone++);
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);
	for (int i = 0; i < 2; i++)
		MemoryContextDelete(s->scratch[i]);
	pfree(s);
	collector_tracked(c, pass);
}

/*
 * Collect the events of the given customers that fall in this pass (all
 * when ids is NULL: the customers already added).
 */
void
ActivityCollectorRun(ActivityCollector *c, const int64 *ids, int nids, int pass)
{
	collector_reset(c, (double) nids / c->npasses * 1.2);
	for (int i = 0; i < nids; i++)
		if (pass_of(ids[i], c->npasses) == pass)
			collector_add(c, ids[i]);
	collector_scan(c, pass);
}

/* fold the customer's collected events, from nothing, in (at, activity_id) order */
static void
fold_events(ActivityCollector *c, SweepCustomer *e, PrioFacts *f, MemoryContext cxt)
{
	prio_facts_init(f, e->customer_id);
	prio_fold_events(f, e->ev, e->nev, c->cfg->kinds, &c->cfg->settings, c->upto, cxt);
}

/*
 * The facts of a customer of the current pass, folded from nothing; its
 * events are then forgotten.  Numerics are allocated in cxt.
 */
void
ActivityCollectorFold(ActivityCollector *c, int64 customer_id, PrioFacts *f, MemoryContext cxt)
{
	SweepCustomer *e = sweep_lookup(c->customers, customer_id);

	if (e == NULL)
	{
		prio_facts_init(f, customer_id);
		return;
	}
	fold_events(c, e, f, cxt);
}

/*
 * Whether a customer of the current pass must be left as it is: a tracked
 * table of its events could not be read (collector_tracked), so what was
 * collected of its events is not all of them.
 */
bool
ActivityCollectorFrozen(ActivityCollector *c, int64 customer_id)
{
	SweepCustomer *e = sweep_lookup(c->customers, customer_id);

	return e != NULL && e->frozen;
}

/*
 * The collected events of a customer of the current pass, sorted in the
 * fold's order (for a replay of its history: refold.c); returns how many.
 */
int
ActivityCollectorEvents(ActivityCollector *c, int64 customer_id, PrioEvent **ev)
{
	SweepCustomer *e = sweep_lookup(c->customers, customer_id);

	if (e == NULL || e->nev == 0)
	{
		*ev = NULL;
		return 0;
	}
	qsort(e->ev, e->nev, sizeof(PrioEvent), prio_event_cmp);
	*ev = e->ev;
	return e->nev;
}

/* The kinds (bit k: kind k) among a customer's collected events up to upto */
uint64
ActivityCollectorKinds(ActivityCollector *c, int64 customer_id, TimestampTz upto)
{
	SweepCustomer *e = sweep_lookup(c->customers, customer_id);
	uint64		kinds = 0;

	if (e != NULL)
		for (int i = 0; i < e->nev; i++)
			if (e->ev[i].at <= upto && e->ev[i].kind < KNOWN_KINDS_MAX)
				kinds |= UINT64CONST(1) << e->ev[i].kind;
	return kinds;
}

void
ActivityCollectorEnd(ActivityCollector *c)
{
	MemoryContextDelete(c->cxt);
	pfree(c);
}


/* ---------------------------------------------------------------- customers */

/*
 * Read every customer into the collector's table: BANT answers, created_at
 * and owner (for those in the pass).
 */
static void
read_customers(ActivityCollector *c, int pass, int64 **ids, int *nids)
{
	Relation	rel = table_open(PrioRelid("customers"), AccessShareLock);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	TableScanDesc scan = table_beginscan(rel, c->snapshot, 0, NULL);
	AttrNumber	att_id = PrioAttnum(rel, "customer_id", INT8OID);
	AttrNumber	att_bant[4] = {PrioAttnum(rel, "budget", BOOLOID), PrioAttnum(rel, "authority", BOOLOID),
	PrioAttnum(rel, "need", BOOLOID), PrioAttnum(rel, "timeline", BOOLOID)};
	AttrNumber	att_created = PrioAttnum(rel, "created_at", TIMESTAMPTZOID);
	AttrNumber	att_owner = PrioAttnum(rel, "owner", TEXTOID);
	int			max = 1024;

	*nids = 0;
	*ids = palloc(sizeof(int64) * max);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		int64		id;
		SweepCustomer *e;

		CHECK_FOR_INTERRUPTS();
		slot_getallattrs(slot);
		if (slot->tts_isnull[att_id - 1])
			continue;
		id = DatumGetInt64(slot->tts_values[att_id - 1]);
		if (pass_of(id, c->npasses) != pass)
			continue;
		e = collector_add(c, id);
		for (int b = 0; b < 4; b++)
		{
			e->answer_null[b] = slot->tts_isnull[att_bant[b] - 1];
			e->answers[b] = !e->answer_null[b] && DatumGetBool(slot->tts_values[att_bant[b] - 1]);
		}
		if (slot->tts_isnull[att_created - 1])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("customer created_at must not be NULL")));
		e->created_at = DatumGetTimestampTz(slot->tts_values[att_created - 1]);
		e->owner = NULL;
		if (!slot->tts_isnull[att_owner - 1])
		{
			MemoryContext old = MemoryContextSwitchTo(c->cxt);

			e->owner = TextDatumGetCString(slot->tts_values[att_owner - 1]);
			MemoryContextSwitchTo(old);
		}
		if (*nids == max)
		{
			/* the count is an int: past that, refuse rather than wrap */
			if (max > PG_INT32_MAX / 2)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("prio cannot sweep more than %d customers at once", PG_INT32_MAX / 2)));
			max *= 2;
			*ids = repalloc_huge(*ids, sizeof(int64) * (Size) max);
		}
		(*ids)[(*nids)++] = id;
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);
}


/* ---------------------------------------------------------------- state rows */

#define ISNULL(slot, att) ((slot)->tts_isnull[(att) - 1])
#define VALUE(slot, att) ((slot)->tts_values[(att) - 1])

static char *
stored_text(TupleTableSlot *slot, AttrNumber att)
{
	return ISNULL(slot, att) ? NULL : TextDatumGetCString(VALUE(slot, att));
}

static char *
stored_stage(TupleTableSlot *slot, AttrNumber att)
{
	return ISNULL(slot, att) ? NULL
		: pstrdup(prio_stage_names[StageFromDatum(VALUE(slot, att))]);
}

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

static void
run_ids(const char *sql, const int64 *ids, int n, int expect)
{
	Oid			type = INT8ARRAYOID;
	Datum		arg = Int8ArrayDatum(ids, n);

	if (SPI_execute_with_args(sql, 1, &type, &arg, NULL, false, 0) != expect)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("prio could not write customer_state: %s", sql)));
}

/*
 * The configuration in force, read afresh: a sweep may run inside the very
 * statement that changed it (config_changed() fires before the trigger that
 * sends the invalidation), and one read is nothing beside the sweep.
 */
static const PrioConfig *
current_config(void)
{
	CommandCounterIncrement();
	prio_config_forget();
	/* named by the scripts of 0.3 on: 0.2's schema */
	return prio_config(PRIO_API_0_2);
}


/* ---------------------------------------------------------------- sweep_rebuild */

/*
 * prio.sweep_rebuild(why text, force boolean) (sql/sweep_rebuild.c): every
 * customer folded again from its activities and evaluated now; the
 * customer_state rows that differ (all of them when force) are written, with
 * history "<why>: <rule>" for every change of tier or stage.  Returns how
 * many customers' stored facts differed from the refold, leaving out those
 * in counted[0..ncounted-1] (ascending; recompute() counted them already,
 * one customer being one fix however many of its parts were wrong).  customer_state is
 * locked EXCLUSIVE first: writers wait, readers do not, and the activities
 * are then read with a snapshot that has every committed one.
 */
int64
PrioSweepRebuild(const char *why, bool force, const int64 *counted, int ncounted)
{
	Oid			state_relid = PrioRelid("customer_state");
	TimestampTz as_of = GetCurrentTransactionStartTimestamp();
	const PrioConfig *cfg;
	Snapshot	snapshot;
	ActivityCollector *c;
	StateWriter w;
	StateAtts	a;
	int64		fixed = 0;
	MemoryContext rowcxt;
	PrioTypeBatch *tb;

	LockRelationOid(state_relid, ExclusiveLock);
	SPI_connect();
	cfg = current_config();
	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	c = ActivityCollectorBegin(cfg, snapshot, -1, as_of);
	tb = PrioTypeBatchBegin(cfg, snapshot);	/* (0.5) the types' inputs */
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "prio sweep row", ALLOCSET_DEFAULT_SIZES);
	StateWriterBegin(&w, SWEEP_BATCH, why, as_of);

	for (int pass = 0; pass < c->npasses; pass++)
	{
		int64	   *ids;
		int			nids;
		int64	   *missing;
		int			nmissing = 0;
		int64	   *owners;
		int			nowners = 0;
		Relation	rel;
		TupleTableSlot *slot;
		TableScanDesc scan;

		collector_reset(c, counted_customers() / c->npasses * 1.2);
		read_customers(c, pass, &ids, &nids);
		collector_scan(c, pass);

		/* every state row of the pass: refold, evaluate, compare, write */
		owners = palloc_extended(sizeof(int64) * Max(nids, 1), MCXT_ALLOC_HUGE);
		rel = table_open(state_relid, AccessShareLock);
		StateAttsInit(rel, &a);
		slot = table_slot_create(rel, NULL);
		scan = table_beginscan(rel, snapshot, 0, NULL);
		while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		{
			int64		id;
			SweepCustomer *e;
			PrioFacts	f;
			PrioEval	ev;
			PrioHeldTypes held;
			bool		differ;
			MemoryContext old;

			CHECK_FOR_INTERRUPTS();
			slot_getallattrs(slot);
			id = DatumGetInt64(VALUE(slot, a.customer_id));
			if (pass_of(id, c->npasses) != pass ||
				(e = sweep_lookup(c->customers, id)) == NULL)
				continue;		/* another pass's; or its customer is gone */
			e->seen = true;
			if (e->frozen)
				continue;		/* left as it was (collector_tracked) */
			old = MemoryContextSwitchTo(rowcxt);
			fold_events(c, e, &f, rowcxt);
			StateDealsFromSlot(slot, &a, &f);
			PrioCustomerTypesBatch(&held, &f, cfg, as_of, tb);
			prio_evaluate(&ev, &f, &held, e->answers, e->answer_null, e->created_at,
						  &cfg->settings, cfg->breaks, cfg->nbreaks, as_of);
			differ = StateFactsDiffer(slot, &a, &f);
			if (differ && (ncounted == 0 ||
						   bsearch(&id, counted, ncounted, sizeof(int64), cmp_int64) == NULL))
				fixed++;
			if (force || differ || StateEvaluationDiffers(slot, &a, &ev))
				StateWriterAdd(&w, &f, &ev, stored_text(slot, a.tier),
							   stored_stage(slot, a.effective_stage), &slot->tts_tid);
			if (ISNULL(slot, a.owner) ? e->owner != NULL
				: (e->owner == NULL || strcmp(e->owner, TextDatumGetCString(VALUE(slot, a.owner))) != 0))
				owners[nowners++] = id;
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
		}
		table_endscan(scan);
		ExecDropSingleTupleTableSlot(slot);
		table_close(rel, AccessShareLock);
		StateWriterFlush(&w);

		/* the owner kept beside the state, where it went out of step */
		if (nowners > 0)
			run_ids("UPDATE " PRIO_SCHEMA ".customer_state s SET owner = c.owner"
					"  FROM " PRIO_SCHEMA ".customers c"
					" WHERE c.customer_id OPERATOR(pg_catalog.=) s.customer_id"
					"   AND s.customer_id OPERATOR(pg_catalog.=) ANY ($1)", owners, nowners,
					SPI_OK_UPDATE);

		/* a customer whose state row went missing gets one back */
		missing = palloc_extended(sizeof(int64) * Max(nids, 1), MCXT_ALLOC_HUGE);
		for (int i = 0; i < nids; i++)
		{
			SweepCustomer *e = sweep_lookup(c->customers, ids[i]);

			if (!e->seen && !e->frozen)
				missing[nmissing++] = ids[i];
		}
		if (nmissing > 0)
		{
			PrioFacts	empty;

			qsort(missing, nmissing, sizeof(int64), cmp_int64);
			run_ids("INSERT INTO " PRIO_SCHEMA ".customer_state (customer_id, owner)"
					" SELECT c.customer_id, c.owner FROM " PRIO_SCHEMA ".customers c"
					"  WHERE c.customer_id OPERATOR(pg_catalog.=) ANY ($1)"
					"  ORDER BY c.customer_id", missing, nmissing, SPI_OK_INSERT);
			prio_facts_init(&empty, 0);
			for (int i = 0; i < nmissing; i++)
			{
				SweepCustomer *e = sweep_lookup(c->customers, missing[i]);
				PrioFacts	f;
				PrioEval	ev;
				PrioHeldTypes held;
				MemoryContext old = MemoryContextSwitchTo(rowcxt);

				fold_events(c, e, &f, rowcxt);
				PrioCustomerTypesBatch(&held, &f, cfg, as_of, tb);
				prio_evaluate(&ev, &f, &held, e->answers, e->answer_null, e->created_at,
							  &cfg->settings, cfg->breaks, cfg->nbreaks, as_of);
				/* the new row's defaults are the facts of no activity */
				if (f.has_activity)
					fixed++;
				StateWriterAdd(&w, &f, &ev, NULL, NULL, NULL);
				MemoryContextSwitchTo(old);
				MemoryContextReset(rowcxt);
			}
			StateWriterFlush(&w);
		}
	}

	StateWriterEnd(&w);
	ActivityCollectorEnd(c);
	UnregisterSnapshot(snapshot);
	SPI_finish();
	return fixed;
}


/* ---------------------------------------------------------------- sweep_due */

/*
 * prio.sweep_due(as_of timestamptz) (sql/sweep_due.c): the customers whose
 * stored facts, evaluated at as_of, give an evaluation other than the stored
 * one (refresh then locks and writes only those), in customer_id order,
 * *ndue_out of them.  Reads without locks.
 */
int64 *
PrioSweepDue(TimestampTz as_of, int *ndue_out)
{
	const PrioConfig *cfg;
	Snapshot	snapshot;
	ActivityCollector *c;
	int64	   *ids;
	int			nids;
	int64	   *due;
	int			ndue = 0;
	Relation	rel;
	TupleTableSlot *slot;
	TableScanDesc scan;
	StateAtts	a;
	RowReader	rr;
	MemoryContext rowcxt;
	MemoryContext callcxt = CurrentMemoryContext;
	PrioTypeBatch *tb;

	SPI_connect();
	cfg = current_config();
	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	c = palloc0(sizeof(ActivityCollector));
	c->cxt = AllocSetContextCreate(CurrentMemoryContext, "prio sweep customers",
								   ALLOCSET_DEFAULT_SIZES);
	c->cfg = cfg;
	c->snapshot = snapshot;
	c->upto = as_of;
	c->npasses = 1;
	collector_reset(c, counted_customers() * 1.2);
	read_customers(c, 0, &ids, &nids);
	tb = PrioTypeBatchBegin(cfg, snapshot);	/* (0.5) the types' inputs */
	due = MemoryContextAlloc(callcxt, sizeof(int64) * Max(nids, 1));
	memset(&rr, 0, sizeof(rr));
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "prio sweep row", ALLOCSET_DEFAULT_SIZES);

	rel = table_open(PrioRelid("customer_state"), AccessShareLock);
	StateAttsInit(rel, &a);
	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, snapshot, 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		int64		id;
		SweepCustomer *e;
		PrioFacts	f;
		PrioEval	ev;
		PrioHeldTypes held;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		slot_getallattrs(slot);
		id = DatumGetInt64(VALUE(slot, a.customer_id));
		if ((e = sweep_lookup(c->customers, id)) == NULL)
			continue;
		old = MemoryContextSwitchTo(rowcxt);
		/* the stored facts read as prio.stored_facts(s) gives them to evaluate() */
		FactsFromDatum(&f, ExecFetchSlotHeapTupleDatum(slot), &rr, callcxt, rowcxt,
					   PRIO_API_0_2);
		PrioCustomerTypesBatch(&held, &f, cfg, as_of, tb);
		prio_evaluate(&ev, &f, &held, e->answers, e->answer_null, e->created_at,
					  &cfg->settings, cfg->breaks, cfg->nbreaks, as_of);
		if (StateEvaluationDiffers(slot, &a, &ev))
			due[ndue++] = id;
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);
	UnregisterSnapshot(snapshot);
	SPI_finish();

	qsort(due, ndue, sizeof(int64), cmp_int64);
	*ndue_out = ndue;
	return due;
}
