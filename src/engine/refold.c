/*
 * refold.c
 *		Customers folded again from all their activities, evaluated and
 *		written: the engine's refold, shared by the insert trigger (a
 *		backfill, a tie in time, a state row just made) and PrioRebuild()
 *		(prio.rebuild: UPDATE, DELETE of activities, recompute of one
 *		customer); and PrioReevaluate() (prio.reevaluate: a change of
 *		customers, refresh), which evaluates the stored facts again.
 *
 * The callers lock, in customer_id order, the customers rows and then the
 * state rows (state_lock.c), hand each locked customer over (RefoldSetAside),
 * and once every one is locked, RefoldAll() reads their activities -- by
 * one query per RefoldChunk customers, or, when they are many, by one scan
 * of the activities (sweep.c's collector); either way with the events of
 * tracked activities tables (track.c; a customer one of them cannot be read
 * for is left as it was, with a WARNING, as sweep.c does) -- folds them with
 * prio_fold_events() and writes through the state writer (state_write.c),
 * whose history rows and notifications every path shares.  Whether a row is written is decided by
 * the one comparison the sweeps use (StateFactsDiffer, StateEvaluationDiffers).
 *
 * A customer with nothing folded yet is replayed (PrioReplay): its history
 * rows are dated at its events' own times.  Every fold takes as_of as its
 * time: an event dated after it is a planned touch (next_planned_at), folded
 * by a later refold once due (refresh(), or the customer's next write).
 */
#include "prio.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

/* customers a query reads the activities of, and a writer's batch */
#define REFOLD_CHUNK 500

/*
 * Customers to fold again from all their activities: by one scan of the
 * activities rather than a query per chunk when there are at least this
 * many and they are at least 1/REFOLD_SCAN_SHARE of all customers.
 */
#define REFOLD_SCAN_MIN 1000
#define REFOLD_SCAN_SHARE 16

/* track() says how far its refold is when it has at least this many customers */
#define PROGRESS_MIN 1000

/*
 * Customers whose tracked activities one query could not read are read
 * again in halves, down to single customers: at most this many halvings per
 * refold.  Past them a chunk whose read fails is left as it was whole (as
 * sweep.c leaves every customer of such a table's customers table): a table
 * that fails for most of its customers costs no more than a few reads.
 */
#define REFOLD_SPLITS 128

/* A locked customer to be folded again once every one is locked */
typedef struct Refold
{
	int64		id;
	char	   *old_tier;
	char	   *old_stage;
	bool		answers[4];
	bool		answer_null[4];
	TimestampTz created_at;
	ItemPointerData tid;		/* the state row's locked version */
	bool		had_activity;	/* before this statement ... */
	TimestampTz old_last_at;	/* ... up to here */
	TimestampTz history_since;	/* no replay up to here (PrioHistorySince) */
	Datum		stored;			/* the locked row, when compared (else 0) */
	struct PrioDeals deals;		/* 0.5: its deal facts, as stored (not folded) */
} Refold;

/* SPI plans, prepared once per backend (the plan cache revalidates them) */
static SPIPlanPtr refold_plan = NULL;
static SPIPlanPtr create_plans[2];	/* [0.2 on]: 0.1's state has no owner */
static SPIPlanPtr owner_plan = NULL;
static SPIPlanPtr tracked_plan = NULL;	/* refold_plan and the tracked tables ... */
static char *tracked_sql = NULL;	/* ... whose events query is this */

static const char *const state_fields[2] = {"tier", "effective_stage"};
static const Oid state_types[2] = {TEXTOID, PRIO_STAGE_TYPE};
static const char *const owner_fields[1] = {"owner"};
static const Oid owner_types[1] = {TEXTOID};

/*
 * Generic plans: a custom plan would be cheaper to run by an estimate, but
 * planning it anew on every call costs more than the whole statement.
 */
static SPIPlanPtr
prepare(const char *sql, int nargs, Oid *types)
{
	return PrioKeepPlan(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);
}

static void
prepare_plans(void)
{
	Oid			int8arr = INT8ARRAYOID;

	if (refold_plan == NULL)
		refold_plan = prepare(
			"SELECT a.customer_id, a.at, a.activity_id, a.kind, a.amount"
			"  FROM " PRIO_SCHEMA ".activities a"
			" WHERE a.customer_id OPERATOR(pg_catalog.=) ANY ($1)"
			" ORDER BY a.customer_id, a.at, a.activity_id", 1, &int8arr);
}

/* What a new customer's state row is made of ([0.2 on]) */
static const char *const create_sql[2] = {
	"INSERT INTO " PRIO_SCHEMA ".customer_state (customer_id)"
	" SELECT c.customer_id FROM " PRIO_SCHEMA ".customers c"
	" WHERE c.customer_id OPERATOR(pg_catalog.=) ANY ($1)"
	" ORDER BY c.customer_id ON CONFLICT (customer_id) DO NOTHING",
	"INSERT INTO " PRIO_SCHEMA ".customer_state (customer_id, owner)"
	" SELECT c.customer_id, c.owner FROM " PRIO_SCHEMA ".customers c"
	" WHERE c.customer_id OPERATOR(pg_catalog.=) ANY ($1)"
	" ORDER BY c.customer_id ON CONFLICT (customer_id) DO NOTHING"};

static SPIPlanPtr
create_plan(PrioApiVersion api)
{
	Oid			int8arr = INT8ARRAYOID;
	int			v02 = PRIO_API_HAS_BTYD(api) ? 1 : 0;

	if (create_plans[v02] == NULL)
		create_plans[v02] = prepare(create_sql[v02], 1, &int8arr);
	return create_plans[v02];
}

/*
 * Make the state rows of the customers ids[0..n-1] that have none, as a new
 * customer's is made (a row an application's trigger made first is kept);
 * returns how many were made.  The caller is connected to SPI.
 */
uint64
PrioMakeStateRows(const int64 *ids, int n)
{
	MemoryContext mine = CurrentMemoryContext;
	Datum		arg = Int8ArrayDatum(ids, n);

	if (SPI_execute_plan(create_plan(true), &arg, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not create the state rows of new customers");
	MemoryContextSwitchTo(mine);
	return SPI_processed;
}

/*
 * The state rows of ids[0..n-1] take their customers' owner where it went
 * out of step.  The caller holds their locks (or made them) and is
 * connected to SPI.
 */
void
PrioStateOwnersFollow(const int64 *ids, int n)
{
	MemoryContext mine = CurrentMemoryContext;
	Datum		arg;

	if (n == 0)
		return;
	if (owner_plan == NULL)
	{
		Oid			int8arr = INT8ARRAYOID;

		owner_plan = prepare(
			"UPDATE " PRIO_SCHEMA ".customer_state s SET owner = c.owner"
			"  FROM " PRIO_SCHEMA ".customers c"
			" WHERE s.customer_id OPERATOR(pg_catalog.=) c.customer_id"
			"   AND c.customer_id OPERATOR(pg_catalog.=) ANY ($1)"
			"   AND s.owner IS DISTINCT FROM c.owner", 1, &int8arr);
	}
	arg = Int8ArrayDatum(ids, n);
	if (SPI_execute_plan(owner_plan, &arg, NULL, false, 0) != SPI_OK_UPDATE)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not update the owner of prio.customer_state rows")));
	MemoryContextSwitchTo(mine);
}

/* ---------------------------------------------------------------- the refold set */

/*
 * A set of customers to refold into writer w, evaluated as of as_of.
 * compare: each customer's locked row is kept and compared with its refold
 * (rs->fixed counts the stored facts that differed), and written only when
 * it differs, unless force; without compare every row is written.
 */
void
RefoldSetInit(RefoldSet *rs, StateWriter *w, TimestampTz as_of, bool compare, bool force)
{
	memset(rs, 0, sizeof(RefoldSet));
	rs->writer = w;
	rs->as_of = as_of;
	rs->compare = compare;
	rs->force = force || !compare;
	rs->callcxt = CurrentMemoryContext;
	prepare_plans();
	if (compare)
	{
		Relation	rel = table_open(PrioRelid("customer_state"), AccessShareLock);

		StateAttsInit(rel, &rs->atts);
		rs->slot = MakeSingleTupleTableSlot(CreateTupleDescCopy(RelationGetDescr(rel)),
											&TTSOpsHeapTuple);
		table_close(rel, AccessShareLock);
	}
}

void
RefoldSetEnd(RefoldSet *rs)
{
	if (rs->slot != NULL)
		ExecDropSingleTupleTableSlot(rs->slot);
	rs->slot = NULL;
}

/*
 * Hand over a locked customer: its stored facts, what its row said (tier,
 * effective stage), its BANT answers and created_at, where its locked row
 * is, and (compare) the locked row itself.
 */
void
RefoldSetAside(RefoldSet *rs, const PrioFacts *stored, Datum stored_row, const char *old_tier,
			   const char *old_stage, const bool *answers, const bool *answer_null,
			   TimestampTz created_at, const ItemPointerData *tid)
{
	MemoryContext old = MemoryContextSwitchTo(rs->callcxt);
	Refold	   *r;

	if (rs->nrefold == rs->maxrefold)
	{
		rs->maxrefold = Max(64, rs->maxrefold * 2);
		rs->refold = rs->refold ? repalloc_huge(rs->refold, sizeof(Refold) * (Size) rs->maxrefold)
			: palloc(sizeof(Refold) * rs->maxrefold);
	}
	r = &rs->refold[rs->nrefold++];
	r->id = stored->customer_id;
	r->had_activity = stored->has_activity;
	r->old_last_at = stored->last_at;
	r->old_tier = old_tier ? pstrdup(old_tier) : NULL;
	r->old_stage = old_stage ? pstrdup(old_stage) : NULL;
	memcpy(r->answers, answers, sizeof(r->answers));
	memcpy(r->answer_null, answer_null, sizeof(r->answer_null));
	r->created_at = created_at;
	r->tid = *tid;
	r->stored = rs->compare ? datumCopy(stored_row, false, -1) : (Datum) 0;
	r->deals = stored->deals;
	MemoryContextSwitchTo(old);
}

/* A composite datum of customer_state, deformed into slot (of its descriptor) */
void
StateRowToSlot(Datum row, TupleTableSlot *slot)
{
	HeapTupleHeader h = DatumGetHeapTupleHeader(row);
	HeapTupleData tuple;

	tuple.t_len = HeapTupleHeaderGetDatumLength(h);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = h;
	ExecStoreHeapTuple(&tuple, slot, false);
	slot_getallattrs(slot);
}

static void
evaluate_and_write(RefoldSet *rs, Refold *r, PrioFacts *f)
{
	PrioEval	e;
	PrioHeldTypes held;

	/* the facts the fold does not make: the stored deal facts */
	f->deals = r->deals;
	PrioCustomerTypes(&held, f, rs->cfg, rs->as_of, (Datum) 0);
	prio_evaluate(&e, f, &held, r->answers, r->answer_null, r->created_at,
				  &rs->cfg->settings, rs->cfg->breaks, rs->cfg->nbreaks, rs->as_of);
	if (rs->compare)
	{
		bool		differ;

		StateRowToSlot(r->stored, rs->slot);
		differ = StateFactsDiffer(rs->slot, &rs->atts, f);
		if (differ)
			rs->fixed++;
		if (!differ && !rs->force && !StateEvaluationDiffers(rs->slot, &rs->atts, &e))
		{
			ExecClearTuple(rs->slot);
			return;
		}
		ExecClearTuple(rs->slot);
	}
	StateWriterAdd(rs->writer, f, &e, r->old_tier, r->old_stage, &r->tid);
}

/*
 * (0.5) For each customer ids[0..n-1] (ascending) whose history has a row
 * a replay wrote (reason "<why> then: <rule>", StateWriterHistory) or a row
 * from or to a stage only activities or deals give (not prospect, silent),
 * the time of its latest row -- its creation row aside, which
 * state_write.c dates at the first replayed row -- into since[]
 * (DT_NOBEGIN: none): a replay of its events writes no row at or before it.
 * Such a customer has had its past written: its activities were deleted or
 * truncated and are loaded again (an ETL's nightly reload), and replayed
 * once more they were dated among the first replay's rows, the whole past
 * written twice.  A customer that never had activities (rows of its
 * creation, going silent, BANT) is replayed in full.  The caller is
 * connected to SPI; the query's result replaces SPI_tuptable.
 */
void
PrioHistorySince(const int64 *ids, int n, TimestampTz *since)
{
	static SPIPlanPtr plan = NULL;
	MemoryContext mine = CurrentMemoryContext;
	Datum		arg;

	for (int i = 0; i < n; i++)
		since[i] = DT_NOBEGIN;
	if (n == 0)
		return;
	if (plan == NULL)
	{
		Oid			int8arr = INT8ARRAYOID;

		plan = PrioKeepPlan("SELECT h.customer_id, pg_catalog.max(h.changed_at)"
							"  FROM " PRIO_SCHEMA ".tier_history h"
							" WHERE h.customer_id OPERATOR(pg_catalog.=) ANY ($1)"
							"   AND (h.old_tier IS NOT NULL OR h.old_stage IS NOT NULL)"
							" GROUP BY h.customer_id"
							" HAVING pg_catalog.bool_or(h.new_stage::text OPERATOR(pg_catalog.<>) ALL ('{prospect,silent}'::text[])"
							"        OR h.old_stage::text OPERATOR(pg_catalog.<>) ALL ('{prospect,silent}'::text[])"
							"        OR h.reason OPERATOR(pg_catalog.~~) '% then: %')",
							1, &int8arr, CURSOR_OPT_GENERIC_PLAN);
	}
	arg = Int8ArrayDatum((int64 *) ids, n);
	if (SPI_execute_plan(plan, &arg, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read prio.tier_history");
	/* SPI returns in its procedure context, which lives until SPI_finish */
	MemoryContextSwitchTo(mine);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		isnull;
		int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1, &isnull));
		Datum		at = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 2, &isnull);
		int			lo = 0;
		int			hi = n - 1;

		/* ids ascending: a binary search */
		while (lo <= hi)
		{
			int			mid = lo + (hi - lo) / 2;

			if (ids[mid] == id)
			{
				if (!isnull)
					since[mid] = DatumGetTimestampTz(at);
				break;
			}
			if (ids[mid] < id)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
	}
	SPI_freetuptable(SPI_tuptable);
}

/* the customers r[0..n-1] (ascending) a replay may date rows of: from when */
static void
set_history_since(Refold *r, int n)
{
	int64	   *replayed = palloc(sizeof(int64) * Max(n, 1));
	TimestampTz *since = palloc(sizeof(TimestampTz) * Max(n, 1));
	int			m = 0;

	for (int i = 0; i < n; i++)
		if (!r[i].had_activity)
			replayed[m++] = r[i].id;
	PrioHistorySince(replayed, m, since);
	m = 0;
	for (int i = 0; i < n; i++)
		if (!r[i].had_activity)
			r[i].history_since = since[m++];
	pfree(replayed);
	pfree(since);
}

/*
 * A customer's history, replayed: fold ev[0..n-1] (in prio_event_cmp's
 * order, kinds resolved) into f, which holds no activity yet, one instant
 * at a time, and evaluate the customer as of each instant before as_of (the
 * events of as_of on are folded at once: they are the present) -- with the
 * settings, breaks, BANT answers, deal facts and the key-customer types'
 * attributes and tags in force now (customer_row: its prio.customers row as
 * the caller read it, 0: read it): prio keeps no history of those.  Each change of tier or effective stage is a history row dated at
 * that instant (StateWriterHistory).  *tier and *stage say what the
 * customer's row said before (NULL: nothing) and, on return, what its last
 * instant gave: the caller evaluates the customer now and writes it with
 * them as its old values, so a change since the last event (silent, say) is
 * dated now.  Changes that time alone made between two events are not
 * replayed: a refresh() dated them when it ran.  The facts come out as one
 * prio_fold_events() of all the events gives them, since the fold is a
 * step per event.  Allocates in cxt.
 */
void
PrioReplay(StateWriter *w, PrioFacts *f, PrioEvent *ev, int n, const PrioConfig *cfg,
		   const bool *answers, const bool *answer_null, TimestampTz created_at,
		   TimestampTz as_of, TimestampTz since, Datum customer_row, char **tier, char **stage,
		   MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	PrioTypeInputs in;
	bool		typed;

	prio_config_types(cfg);
	typed = cfg->ntypes > 0 &&
		PrioTypeInputsRead(f->customer_id, customer_row, f->deals.pipeline, &in);

	for (int i = 0; i < n;)
	{
		int			j = i + 1;
		PrioEval	e;
		char		t[2];
		const char *st;
		PrioHeldTypes held = {0};

		if (ev[i].at >= as_of)
		{
			/* the present: the caller's evaluation now writes (and notifies) it */
			prio_fold_events(f, &ev[i], n - i, cfg->kinds, &cfg->settings, as_of,
							 cxt);
			break;
		}
		while (j < n && ev[j].at == ev[i].at)
			j++;
		prio_fold_events(f, &ev[i], j - i, cfg->kinds, &cfg->settings, as_of, cxt);
		/*
		 * (0.5) none at or before since: that past is in the history already
		 * (the customer's activities loaded again); the row of now says what
		 * these events change
		 */
		if (ev[i].at <= since)
		{
			i = j;
			continue;
		}
		if (typed)
			PrioTypesHeld(&held, f, cfg, ev[i].at, &in);
		prio_evaluate(&e, f, &held, answers, answer_null, created_at, &cfg->settings, cfg->breaks,
					  cfg->nbreaks, ev[i].at);
		if (held.types != NULL)
			pfree(held.types);
		t[0] = e.tier;
		t[1] = '\0';
		st = prio_stage_names[e.stage];
		if (*tier == NULL || strcmp(*tier, t) != 0 || *stage == NULL || strcmp(*stage, st) != 0)
		{
			StateWriterHistory(w, f->customer_id, ev[i].at, *tier, t, *stage, st, e.rule.data);
			*tier = pstrdup(t);
			*stage = pstrdup(st);
		}
		pfree(e.rule.data);
		i = j;
	}
	MemoryContextSwitchTo(old);
}

/* one more customer written: a NOTICE at every tenth of them (track()) */
static void
progress_step(RefoldSet *rs)
{
	int			before = rs->done;

	rs->done++;
	if (rs->progress && rs->total >= PROGRESS_MIN &&
		(int) ((int64) before * 10 / rs->total) != (int) ((int64) rs->done * 10 / rs->total))
		ereport(NOTICE,
				(errmsg("prio: %d %% of %d customers folded (%s)",
						(int) ((int64) rs->done * 10 / rs->total) * 10, rs->total,
						rs->writer->why)));
}

/*
 * The events of customer r, folded into f: replayed (PrioReplay) when the
 * customer had no activity folded before, so its history is dated at its
 * events' own times (a backfill, track() of a table with history).
 */
static void
fold_customer(RefoldSet *rs, Refold *r, PrioFacts *f, PrioEvent *ev, int n, MemoryContext cxt)
{
	/* (a replay evaluates as it goes: with the stored deal facts) */
	f->deals = r->deals;
	if (!r->had_activity && n > 0)
		PrioReplay(rs->writer, f, ev, n, rs->cfg, r->answers, r->answer_null, r->created_at,
				   rs->as_of, r->history_since, (Datum) 0, &r->old_tier, &r->old_stage, cxt);
	else
		prio_fold_events(f, ev, n, rs->cfg->kinds, &rs->cfg->settings, rs->as_of,
						 cxt);
}

/* tracked_read()'s query */
typedef struct TrackedRead
{
	SPIPlanPtr	plan;
	const char *sql;
	Datum		arg;
} TrackedRead;

static void
tracked_read_run(void *arg)
{
	TrackedRead *r = arg;
	int			nest = PrioTrackedParseBegin();
	Oid			int8arr = INT8ARRAYOID;

	if ((r->plan != NULL ? SPI_execute_plan(r->plan, &r->arg, NULL, false, 0)
		 : SPI_execute_with_args(r->sql, 1, &int8arr, &r->arg, NULL, false, 0)) != SPI_OK_SELECT)
		elog(ERROR, "could not read the activities of tracked tables");
	PrioTrackedParseEnd(nest);
}

/*
 * Run a query of the events of tracked activities tables (plan, else sql),
 * its one argument arg, as prio's triggers parse it (track.c), in a
 * subtransaction: an error of the tables' (a mapping that fails on a row,
 * row-level security that applies to prio's owner) returns false, with
 * *edata when not NULL; an error of the server's is raised.  The result is
 * SPI_tuptable.  The caller is connected to SPI.
 */
static bool
tracked_read(SPIPlanPtr plan, const char *sql, Datum arg, ErrorData **edata)
{
	TrackedRead r = {plan, sql, arg};
	ErrorData  *e = PrioTry(tracked_read_run, &r, false);

	if (e == NULL)
		return true;
	if (edata != NULL)
		*edata = e;
	else
		FreeErrorData(e);
	return false;
}

/*
 * Fold the customers r[0..n-1] (in customer_id order) again from nothing,
 * in (at, activity_id) order: one query for all of them, of prio.activities
 * and, when tracked (not NULL), of the tracked activities tables (whose
 * events' tiebreak stands for the activity_id).  guarded: that query runs
 * in a subtransaction (tracked_read); when a tracked table cannot be read,
 * nothing is folded nor written: false.
 */
static bool
refold_by_query(RefoldSet *rs, Refold *r, int n, const char *tracked, bool guarded,
				MemoryContext cxt)
{
	int64	   *ids = palloc(sizeof(int64) * n);
	PrioFacts  *facts = palloc(sizeof(PrioFacts) * n);
	MemoryContext mine = CurrentMemoryContext;
	PrioEvent  *ev;
	Datum		arg;
	int			c = 0;
	uint64		from = 0;
	int			hint = 0;

	/*
	 * A replay below reads the key-customer types: loaded now, as reading
	 * them runs a statement, which would replace the SPI_tuptable read
	 * below
	 */
	prio_config_types(rs->cfg);

	for (int i = 0; i < n; i++)
	{
		ids[i] = r[i].id;
		prio_facts_init(&facts[i], r[i].id);
	}
	set_history_since(r, n);
	arg = Int8ArrayDatum(ids, n);
	/* its columns are read by position, as the types they were created with */
	PrioCheckTableByName("activities");
	if (tracked == NULL)
	{
		if (SPI_execute_plan(refold_plan, &arg, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read the activities of prio.activities");
	}
	else
	{
		/* (parsed, and analysed again if invalidated, as track() wrote it) */
		int			nest = PrioTrackedParseBegin();

		/*
		 * and the events of the tracked activities tables, in the same
		 * order: a plan kept while the tracked tables are the same
		 */
		if (tracked_plan == NULL || strcmp(tracked_sql, tracked) != 0)
		{
			Oid			int8arr = INT8ARRAYOID;
			char	   *sql = psprintf("SELECT a.customer_id, a.at, a.activity_id, a.kind, a.amount"
									   "  FROM " PRIO_SCHEMA ".activities a"
									   " WHERE a.customer_id OPERATOR(pg_catalog.=) ANY ($1)"
									   " UNION ALL %s ORDER BY 1, 2, 3", tracked);

			if (tracked_plan != NULL)
				SPI_freeplan(tracked_plan);
			tracked_plan = NULL;
			if (tracked_sql != NULL)
				pfree(tracked_sql);
			tracked_sql = NULL;
			tracked_plan = prepare(sql, 1, &int8arr);
			tracked_sql = MemoryContextStrdup(TopMemoryContext, tracked);
		}
		if (!guarded)
		{
			if (SPI_execute_plan(tracked_plan, &arg, NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "could not read the activities of tracked tables");
			PrioTrackedParseEnd(nest);
		}
		else
		{
			/* (tracked_read sets them again in its subtransaction) */
			PrioTrackedParseEnd(nest);
			if (!tracked_read(tracked_plan, NULL, arg, NULL))
			{
				/* (SPI left its procedure context current) */
				MemoryContextSwitchTo(mine);
				return false;
			}
		}
	}
	/* SPI returns in its procedure context, which lives until SPI_finish */
	MemoryContextSwitchTo(mine);
	ev = palloc_extended(sizeof(PrioEvent) * Max(SPI_processed, 1), MCXT_ALLOC_HUGE);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	t = SPI_tuptable->vals[row];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull;
		bool		amount_null;
		int64		id = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
		Datum		kind = SPI_getbinval(t, d, 4, &isnull);
		Datum		amount = SPI_getbinval(t, d, 5, &amount_null);

		/* both in customer_id order: the events of ids[c] end here */
		if (id != ids[c])
		{
			if (row > from)
				fold_customer(rs, &r[c], &facts[c], &ev[from], (int) (row - from), cxt);
			while (c < n && ids[c] != id)
				c++;
			if (c == n)
				elog(ERROR, "activities came back out of customer order");
			from = row;
		}
		ev[row].at = DatumGetTimestampTz(SPI_getbinval(t, d, 2, &isnull));
		ev[row].activity_id = DatumGetInt64(SPI_getbinval(t, d, 3, &isnull));
		ev[row].seq = 0;
		ev[row].kind = hint = prio_kind_index(rs->cfg, VARDATA_ANY(DatumGetPointer(kind)),
											  VARSIZE_ANY_EXHDR(DatumGetPointer(kind)), hint);
		ev[row].amount = amount_null ? NULL : DatumGetNumeric(amount);
	}
	if (SPI_processed > from)
		fold_customer(rs, &r[c], &facts[c], &ev[from], (int) (SPI_processed - from), cxt);
	for (int i = 0; i < n; i++)
	{
		evaluate_and_write(rs, &r[i], &facts[i]);
		progress_step(rs);
	}
	SPI_freetuptable(SPI_tuptable);
	StateWriterFlush(rs->writer);
	return true;
}

/* RefoldAll()'s reads of tracked tables that failed */
typedef struct ReadFailures
{
	int			splits;			/* halvings so far (REFOLD_SPLITS at most) */
	TrackedEventsPart *parts;	/* the tracked tables, once one failed */
	int			nparts;
	List	   *warned;			/* the source_ids warned of */
	MemoryContext cxt;			/* of parts and warned: RefoldAll()'s caller's */
} ReadFailures;

/*
 * The customers r[0..n-1], whose tracked activities one query could not
 * read: each tracked table read alone for them.  Those that fail are
 * warned of and noted in their prio.tracked.last_error (once a refold), as
 * sweep.c's collector does (PrioTrackedUnreadable), and the customers are
 * left as they were (their partly read events never folded): true.  false
 * when none fails alone.
 */
static bool
tracked_unreadable(Refold *r, int n, ReadFailures *rf)
{
	MemoryContext mine = CurrentMemoryContext;
	int64	   *ids = palloc(sizeof(int64) * n);
	Datum		arg;
	bool		any = false;

	for (int i = 0; i < n; i++)
		ids[i] = r[i].id;
	arg = Int8ArrayDatum(ids, n);
	if (rf->parts == NULL)
	{
		MemoryContextSwitchTo(rf->cxt);
		rf->parts = PrioTrackedEventsParts("OPERATOR(pg_catalog.=) ANY ($1)", &rf->nparts);
		MemoryContextSwitchTo(mine);
	}
	for (int p = 0; p < rf->nparts; p++)
	{
		ErrorData  *edata = NULL;

		if (tracked_read(NULL, rf->parts[p].sql, arg, &edata))
		{
			SPI_freetuptable(SPI_tuptable);
			continue;
		}
		any = true;
		if (!list_member_int(rf->warned, rf->parts[p].source_id))
		{
			MemoryContextSwitchTo(rf->cxt);
			rf->warned = lappend_int(rf->warned, rf->parts[p].source_id);
			MemoryContextSwitchTo(mine);
			PrioTrackedUnreadable(rf->parts[p].source_id, rf->parts[p].relid, edata,
								  "the state of the customers it could not be read for is left as it was");
		}
		FreeErrorData(edata);
	}
	MemoryContextSwitchTo(mine);
	return any;
}

/*
 * refold_by_query() of r[0..n-1] when tracked tables are read: a chunk
 * whose query fails is read again in halves, so that only the customers a
 * tracked table cannot be read for are left as they were
 * (tracked_unreadable); everyone else is folded.
 */
static void
refold_guarded(RefoldSet *rs, Refold *r, int n, const char *tracked, ReadFailures *rf,
			   MemoryContext cxt)
{
	if (refold_by_query(rs, r, n, tracked, true, cxt))
		return;
	if (n > 1 && rf->splits < REFOLD_SPLITS)
	{
		rf->splits++;
		refold_guarded(rs, r, n / 2, tracked, rf, cxt);
		refold_guarded(rs, r + n / 2, n - n / 2, tracked, rf, cxt);
		return;
	}
	/* (no table fails alone: the query again, its error raised) */
	if (!tracked_unreadable(r, n, rf))
		(void) refold_by_query(rs, r, n, tracked, false, cxt);
}

/*
 * The customers of rs whose events are in a tracked activities table that
 * was renamed, dropped, or whose mapped columns changed since prio.track()
 * (PrioTrackedEvents() leaves its compiled SQL out): they are left as they
 * were, never folded without those events, and taken out of rs -- a WARNING
 * and the table's last_error, as sweep.c's collector does
 * (PrioTrackedChanged); recompute() of one of them raises 55000.  The
 * caller is connected to SPI.
 */
static void
leave_changed(RefoldSet *rs)
{
	static SPIPlanPtr plan = NULL;
	MemoryContext mine = CurrentMemoryContext;
	int			nchanged;
	int32	   *source_ids;
	Oid		   *relids;
	char	  **maps;
	int64	   *ids;
	Datum		arg;

	if (!OidIsValid(get_relname_relid("sources", get_namespace_oid(PRIO_SCHEMA, false))))
		return;
	if (plan == NULL)
		plan = PrioKeepPlan("SELECT s.source_id, s.relid::pg_catalog.oid,"
							"       s.compiled OPERATOR(pg_catalog.->>) 'customer_map'"
							"  FROM " PRIO_SCHEMA ".sources s"
							" WHERE s.role OPERATOR(pg_catalog.=) 'activities'"
							"   AND s.compiled OPERATOR(pg_catalog.?) 'customer_map'"
							"   AND s.signature IS DISTINCT FROM " PRIO_SCHEMA "._track_signature(s.relid, s.compiled)"
							" ORDER BY s.source_id", 0, NULL, 0);
	if (SPI_execute_plan(plan, NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read prio.sources");
	MemoryContextSwitchTo(mine);
	nchanged = (int) SPI_processed;
	if (nchanged == 0)
	{
		SPI_freetuptable(SPI_tuptable);
		return;
	}
	source_ids = palloc(sizeof(int32) * nchanged);
	relids = palloc(sizeof(Oid) * nchanged);
	maps = palloc(sizeof(char *) * nchanged);
	for (int i = 0; i < nchanged; i++)
	{
		bool		isnull;

		source_ids[i] = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		relids[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
		maps[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3);
	}
	SPI_freetuptable(SPI_tuptable);

	ids = palloc(sizeof(int64) * rs->nrefold);
	for (int i = 0; i < rs->nrefold; i++)
		ids[i] = rs->refold[i].id;
	arg = Int8ArrayDatum(ids, rs->nrefold);
	for (int t = 0; t < nchanged && rs->nrefold > 0; t++)
	{
		Oid			int8arr = INT8ARRAYOID;
		char	   *sql = psprintf("SELECT m.customer_id FROM %s m"
								   " WHERE m.customer_id OPERATOR(pg_catalog.=) ANY ($1) ORDER BY 1", maps[t]);
		int			kept = 0;
		uint64		nleft;
		int64	   *left;

		if (SPI_execute_with_args(sql, 1, &int8arr, &arg, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read the customers of tracked table %u", relids[t]);
		MemoryContextSwitchTo(mine);
		nleft = SPI_processed;
		if (nleft == 0)
		{
			SPI_freetuptable(SPI_tuptable);
			continue;
		}
		if (rs->unreadable_raises)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 get_rel_name(relids[t]) == NULL
					 ? errmsg("tracked table %u was dropped without prio.untrack()", relids[t])
					 : errmsg("the name or the columns of %s changed since prio.track()",
							  DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relids[t])))),
					 get_rel_name(relids[t]) == NULL
					 ? errhint("prio's owner untracks a dropped table by its number: SELECT prio.untrack(%u);", relids[t])
					 : errhint("prio.untrack() and prio.track() the table again to check the mapping against its columns now.")));
		left = palloc(sizeof(int64) * nleft);
		for (uint64 i = 0; i < nleft; i++)
		{
			bool		isnull;

			left[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		}
		SPI_freetuptable(SPI_tuptable);
		PrioTrackedChanged(source_ids[t], relids[t],
						   "the state of the customers of its customers table is left as it was");
		/* (both ascending) */
		for (int i = 0, j = 0; i < rs->nrefold; i++)
		{
			while (j < (int) nleft && left[j] < rs->refold[i].id)
				j++;
			if (j == (int) nleft || left[j] != rs->refold[i].id)
				rs->refold[kept++] = rs->refold[i];
		}
		rs->nrefold = kept;
		pfree(left);
	}
	MemoryContextSwitchTo(mine);
}

/* Every customer set aside, now that all of them are locked */
void
RefoldAll(RefoldSet *rs)
{
	MemoryContext cxt;
	MemoryContext old;
	double		customers = 0;
	Oid			relid;

	if (rs->nrefold == 0)
		return;
	rs->done = 0;
	rs->total = rs->nrefold;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "prio refold", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	relid = get_relname_relid("customers", get_namespace_oid(PRIO_SCHEMA, false));
	if (rs->nrefold >= REFOLD_SCAN_MIN && OidIsValid(relid))
	{
		HeapTuple	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));

		if (HeapTupleIsValid(tp))
		{
			customers = ((Form_pg_class) GETSTRUCT(tp))->reltuples;
			ReleaseSysCache(tp);
		}
	}
	if (rs->nrefold >= REFOLD_SCAN_MIN &&
		(double) rs->nrefold * REFOLD_SCAN_SHARE >= customers)
	{
		/* one scan of the activities (a pass per share that fits in memory) */
		Snapshot	snapshot;
		ActivityCollector *c;
		int64	   *ids = palloc_extended(sizeof(int64) * rs->nrefold, MCXT_ALLOC_HUGE);
		MemoryContext factscxt = AllocSetContextCreate(cxt, "prio refold facts",
													   ALLOCSET_DEFAULT_SIZES);

		for (int i = 0; i < rs->nrefold; i++)
			ids[i] = rs->refold[i].id;
		set_history_since(rs->refold, rs->nrefold);
		CommandCounterIncrement();
		snapshot = RegisterSnapshot(GetTransactionSnapshot());
		c = ActivityCollectorBegin(rs->cfg, snapshot, rs->nrefold, rs->as_of);
		for (int pass = 0; pass < ActivityCollectorPasses(c); pass++)
		{
			ActivityCollectorRun(c, ids, rs->nrefold, pass);
			for (int i = 0; i < rs->nrefold; i++)
			{
				PrioFacts	f;

				/* (nor one a tracked table's events could not be read for) */
				if (!ActivityCollectorInPass(c, ids[i], pass) ||
					ActivityCollectorFrozen(c, ids[i]))
					continue;
				CHECK_FOR_INTERRUPTS();
				MemoryContextSwitchTo(factscxt);
				if (rs->refold[i].had_activity)
					ActivityCollectorFold(c, ids[i], &f, factscxt);
				else
				{
					PrioEvent  *ev;
					int			nev = ActivityCollectorEvents(c, ids[i], &ev);

					prio_facts_init(&f, ids[i]);
					fold_customer(rs, &rs->refold[i], &f, ev, nev, factscxt);
				}
				/* the kinds it had before, should it close: the flush needs them */
				if (rs->cfg->nkinds <= KNOWN_KINDS_MAX)
					OutcomeKindsKnown(ids[i], rs->refold[i].had_activity
									  ? ActivityCollectorKinds(c, ids[i], rs->refold[i].old_last_at)
									  : 0, prio_config_generation());
				evaluate_and_write(rs, &rs->refold[i], &f);
				progress_step(rs);
				MemoryContextSwitchTo(cxt);
				MemoryContextReset(factscxt);
			}
			StateWriterFlush(rs->writer);
		}
		ActivityCollectorEnd(c);
		UnregisterSnapshot(snapshot);
	}
	else
	{
		/*
		 * the events of tracked activities tables too (sweep.c's scan reads
		 * them itself); a customer one of them cannot be read for is left as
		 * it was, as there (unless unreadable_raises)
		 */
		char	   *tracked;
		ReadFailures rf = {0};

		MemoryContextSwitchTo(old);
		leave_changed(rs);
		rs->total = rs->nrefold;
		tracked = PrioTrackedEvents("OPERATOR(pg_catalog.=) ANY ($1)");
		MemoryContextSwitchTo(cxt);
		rf.cxt = old;

		for (int from = 0; from < rs->nrefold; from += REFOLD_CHUNK)
		{
			if (tracked == NULL || rs->unreadable_raises)
				(void) refold_by_query(rs, &rs->refold[from], Min(REFOLD_CHUNK, rs->nrefold - from),
									   tracked, false, cxt);
			else
				refold_guarded(rs, &rs->refold[from], Min(REFOLD_CHUNK, rs->nrefold - from),
							   tracked, &rf, cxt);
			MemoryContextReset(cxt);
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	rs->nrefold = 0;
}

/*
 * The customers of ids[0..n-1] (ascending, their customers rows locked) that
 * have no state row get one, as prio.customers_changed() makes it: the state
 * row appears when it is first needed.  An application's trigger on
 * prio.customers that inserts an activity for a new customer may run before
 * prio's own (AFTER triggers fire in name order, row triggers before
 * statement triggers); a state row a DBA deleted comes back the same way.
 * Then lock them; locked[i] and tids[i] are filled in for them, and made[i]
 * is set: such a row is folded from all the customer's activities.
 */
void
PrioCreateStateRows(const int64 *ids, int n, PrioApiVersion api, Datum *locked, ItemPointerData *tids,
					bool *made)
{
	MemoryContext mine = CurrentMemoryContext;
	int64	   *missing = palloc(sizeof(int64) * n);
	int		   *at = palloc(sizeof(int) * n);
	Datum	   *rows;
	ItemPointerData *mtids;
	Datum		arg;
	int			m = 0;

	for (int i = 0; i < n; i++)
	{
		made[i] = false;
		if (locked[i] == (Datum) 0)
		{
			at[m] = i;
			missing[m++] = ids[i];
		}
	}
	if (m == 0)
		return;
	arg = Int8ArrayDatum(missing, m);
	if (SPI_execute_plan(create_plan(api), &arg, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not create the state rows of new customers");
	/* SPI returns in its procedure context */
	MemoryContextSwitchTo(mine);
	rows = palloc(sizeof(Datum) * m);
	mtids = palloc(sizeof(ItemPointerData) * m);
	PrioLockStateRows(missing, m, rows, mtids, InvalidCommandId, NULL);
	for (int j = 0; j < m; j++)
	{
		if (rows[j] == (Datum) 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("customer " INT64_FORMAT " has no row in prio.customer_state", missing[j]),
					 errhint("SELECT prio.recompute() rebuilds the state of every customer.")));
		locked[at[j]] = rows[j];
		tids[at[j]] = mtids[j];
		made[at[j]] = true;
	}
}

/* ---------------------------------------------------------------- rebuild, reevaluate */

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/* Sort ids[0..n-1] and drop repeats; returns how many are left */
int
PrioSortIds(int64 *ids, int n)
{
	int			m = 0;

	if (n <= 1)
		return n;
	qsort(ids, n, sizeof(int64), cmp_int64);
	for (int i = 0; i < n; i++)
		if (m == 0 || ids[m - 1] != ids[i])
			ids[m++] = ids[i];
	return m;
}

/*
 * The configuration as this transaction now sees it: what committed while
 * we waited for locks, and what this transaction changed, counts.
 */
static const PrioConfig *
config_now(void)
{
	CommandCounterIncrement();
	AcceptInvalidationMessages();
	return prio_config(PRIO_API_CURRENT);
}

/*
 * Refold the customers ids[0..n-1] (ascending, distinct) from all their
 * activities and evaluate them now; write every row when force, else the
 * rows that differ; history "<why>: <rule>".  Locks the customers rows (FOR
 * NO KEY UPDATE), then the state rows, in customer_id order; a customer
 * without a customers row is left alone, one without a state row gets one;
 * the state's owner follows the customer's.  Returns how many customers'
 * stored facts differed from the refold.  The caller is connected to SPI.
 *
 * force is what UPDATE and DELETE of activities ask for: the state row is
 * written even when nothing in it changes, so a REPEATABLE READ transaction
 * that still sees the old activities gets a serialization failure when it
 * locks the row, not a stale refold.
 */
int64
PrioRebuild(int64 *ids, int n, const char *why, bool force)
{
	TimestampTz as_of = GetCurrentTransactionStartTimestamp();
	Datum	   *customers = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *locked;
	ItemPointerData *tids;
	bool	   *made;
	int64	   *owners;
	int			nowners = 0;
	int			m = 0;
	StateWriter w;
	RefoldSet	rs;
	RowReader	facts_rr;
	RowReader	state_rr;
	RowReader	customer_rr;
	RowReader	cowner_rr;
	RowReader	sowner_rr;
	int64		fixed;

	if (n == 0)
		return 0;
	/* the customers rows first, as an UPDATE of them locks them: one lock order */
	PrioLockCustomers(ids, n, customers);
	for (int i = 0; i < n; i++)
		if (customers[i] != (Datum) 0)
		{
			customers[m] = customers[i];
			ids[m++] = ids[i];
		}
	n = m;
	if (n == 0)
		return 0;
	locked = palloc(sizeof(Datum) * n);
	tids = palloc(sizeof(ItemPointerData) * n);
	made = palloc(sizeof(bool) * n);
	owners = palloc(sizeof(int64) * n);
	PrioLockStateRows(ids, n, locked, tids, InvalidCommandId, NULL);
	PrioCreateStateRows(ids, n, PRIO_API_CURRENT, locked, tids, made);

	memset(&facts_rr, 0, sizeof(facts_rr));
	memset(&state_rr, 0, sizeof(state_rr));
	state_rr.what = "prio.customer_state";
	state_rr.names = state_fields;
	state_rr.types = state_types;
	state_rr.nfields = 2;
	sowner_rr = state_rr;
	sowner_rr.names = owner_fields;
	sowner_rr.types = owner_types;
	sowner_rr.nfields = 1;
	cowner_rr = sowner_rr;
	cowner_rr.what = "prio.customers";
	memset(&customer_rr, 0, sizeof(customer_rr));
	CustomerReaderInit(&customer_rr);

	StateWriterBegin(&w, Min(REFOLD_CHUNK, n), why, as_of);
	RefoldSetInit(&rs, &w, as_of, true, force);
	/* track()'s refold of a table's history (its compiled LOAD) says how far it is */
	rs.progress = strcmp(why, "track") == 0;
	/* recompute() of a customer says why it cannot be folded: the row's error */
	rs.unreadable_raises = strcmp(why, "recompute") == 0;
	rs.cfg = config_now();
	for (int i = 0; i < n; i++)
	{
		PrioFacts	f;
		bool		isnull;
		bool		onull;
		Datum		d;
		char	   *old_tier;
		char	   *old_stage;
		bool		answers[4];
		bool		answer_null[4];
		TimestampTz created_at;
		char	   *sowner;

		FactsFromDatum(&f, locked[i], &facts_rr, rs.callcxt, CurrentMemoryContext,
					   PRIO_API_CURRENT);
		RowBind(&state_rr, locked[i], rs.callcxt);
		d = RowGet(&state_rr, 0, &isnull);
		old_tier = isnull ? NULL : TextDatumGetCString(d);
		d = RowGet(&state_rr, 1, &isnull);
		old_stage = isnull ? NULL : pstrdup(prio_stage_names[StageFromDatum(d)]);
		RowBind(&customer_rr, customers[i], rs.callcxt);
		prio_read_customer(&customer_rr, answers, answer_null, &created_at);
		RefoldSetAside(&rs, &f, locked[i], old_tier, old_stage, answers, answer_null, created_at,
					   &tids[i]);

		/* the state's owner follows the customer's */
		RowBind(&sowner_rr, locked[i], rs.callcxt);
		d = RowGet(&sowner_rr, 0, &isnull);
		sowner = isnull ? NULL : TextDatumGetCString(d);
		RowBind(&cowner_rr, customers[i], rs.callcxt);
		d = RowGet(&cowner_rr, 0, &onull);
		if (onull ? sowner != NULL
			: (sowner == NULL || strcmp(sowner, TextDatumGetCString(d)) != 0))
			owners[nowners++] = ids[i];
	}
	RefoldAll(&rs);
	fixed = rs.fixed;
	RefoldSetEnd(&rs);
	StateWriterEnd(&w);
	OutcomeKindsForget();
	/* after the write, which located the rows as they were locked */
	PrioStateOwnersFollow(owners, nowners);
	return fixed;
}

/*
 * Evaluate the stored facts of the customers ids[0..n-1] (ascending,
 * distinct) as of as_of, with their customers rows as they are; write the
 * rows whose evaluation differs, history "<why>: <rule>".  Locks their state
 * rows in customer_id order (the customers rows are not locked: a caller
 * that holds them, an UPDATE of customers, took them first).  Returns how
 * many changed tier or stage.  The caller is connected to SPI.
 */
int64
PrioReevaluate(int64 *ids, int n, TimestampTz as_of, const char *why)
{
	Datum	   *locked;
	Datum	   *customers;
	ItemPointerData *tids;
	StateWriter w;
	StateAtts	atts;
	TupleTableSlot *slot;
	Relation	rel;
	RowReader	facts_rr;
	RowReader	state_rr;
	RowReader	customer_rr;
	const PrioConfig *cfg;
	MemoryContext rowcxt;
	MemoryContext callcxt = CurrentMemoryContext;
	int64		changed;
	PrioTypeBatch *tb;

	if (n == 0)
		return 0;
	locked = palloc(sizeof(Datum) * n);
	customers = palloc(sizeof(Datum) * n);
	tids = palloc(sizeof(ItemPointerData) * n);
	PrioLockStateRows(ids, n, locked, tids, InvalidCommandId, NULL);
	PrioReadCustomers(ids, n, customers);
	cfg = config_now();
	/* (0.5) many customers (refresh): the types' inputs read at once */
	tb = n >= TYPE_BATCH_MIN ? PrioTypeBatchBegin(cfg, GetTransactionSnapshot()) : NULL;

	memset(&facts_rr, 0, sizeof(facts_rr));
	memset(&state_rr, 0, sizeof(state_rr));
	state_rr.what = "prio.customer_state";
	state_rr.names = state_fields;
	state_rr.types = state_types;
	state_rr.nfields = 2;
	memset(&customer_rr, 0, sizeof(customer_rr));
	CustomerReaderInit(&customer_rr);
	rel = table_open(PrioRelid("customer_state"), AccessShareLock);
	StateAttsInit(rel, &atts);
	slot = MakeSingleTupleTableSlot(CreateTupleDescCopy(RelationGetDescr(rel)), &TTSOpsHeapTuple);
	table_close(rel, AccessShareLock);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "prio reevaluate row",
								   ALLOCSET_DEFAULT_SIZES);

	StateWriterBegin(&w, Min(REFOLD_CHUNK, n), why, as_of);
	for (int i = 0; i < n; i++)
	{
		PrioFacts	f;
		PrioEval	e;
		PrioHeldTypes held;
		bool		answers[4];
		bool		answer_null[4];
		TimestampTz created_at;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		/* no state row, or no customer: nothing to evaluate */
		if (locked[i] == (Datum) 0 || customers[i] == (Datum) 0)
			continue;
		old = MemoryContextSwitchTo(rowcxt);
		/* the stored facts read as prio.stored_facts(s) gives them to evaluate() */
		FactsFromDatum(&f, locked[i], &facts_rr, callcxt, rowcxt, PRIO_API_CURRENT);
		RowBind(&customer_rr, customers[i], callcxt);
		prio_read_customer(&customer_rr, answers, answer_null, &created_at);
		PrioCustomerTypesBatch(&held, &f, cfg, as_of, tb);
		prio_evaluate(&e, &f, &held, answers, answer_null, created_at,
					  &cfg->settings, cfg->breaks, cfg->nbreaks, as_of);
		StateRowToSlot(locked[i], slot);
		if (StateFactsDiffer(slot, &atts, &f) || StateEvaluationDiffers(slot, &atts, &e))
		{
			bool		isnull;
			Datum		d;
			char	   *old_tier;
			char	   *old_stage;

			RowBind(&state_rr, locked[i], callcxt);
			d = RowGet(&state_rr, 0, &isnull);
			old_tier = isnull ? NULL : TextDatumGetCString(d);
			d = RowGet(&state_rr, 1, &isnull);
			old_stage = isnull ? NULL : pstrdup(prio_stage_names[StageFromDatum(d)]);

			/*
			 * A new customer (never evaluated, nothing folded) created
			 * before now, as a tracked table's or a loaded one is: its
			 * first history row is of its creation, evaluated (its types
			 * too) and dated as of created_at (not notified: the past); the
			 * row of now
			 * follows when it differs (silent since, say).
			 */
			if (old_tier == NULL && old_stage == NULL && !f.has_activity && created_at < as_of)
			{
				PrioEval	c;
				PrioHeldTypes held_then;
				char		t[2] = {0, 0};

				PrioCustomerTypesBatch(&held_then, &f, cfg, created_at, tb);
				prio_evaluate(&c, &f, &held_then, answers, answer_null, created_at, &cfg->settings,
							  cfg->breaks, cfg->nbreaks, created_at);
				t[0] = c.tier;
				StateWriterHistory(&w, f.customer_id, created_at, NULL, t, NULL,
								   prio_stage_names[c.stage], c.rule.data);
				old_tier = pstrdup(t);
				old_stage = pstrdup(prio_stage_names[c.stage]);
			}
			StateWriterAdd(&w, &f, &e, old_tier, old_stage, &tids[i]);
		}
		ExecClearTuple(slot);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
	}
	StateWriterEnd(&w);
	changed = w.changed;
	ExecDropSingleTupleTableSlot(slot);
	MemoryContextDelete(rowcxt);
	return changed;
}

/* ids from a bigint[] argument: its non-NULL elements, sorted and distinct */
int64 *
PrioIdsArg(ArrayType *a, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	int			count;
	int64	   *ids;
	int			m = 0;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("ids must be a one-dimensional array of customer ids")));
	deconstruct_array(a, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &count);
	ids = palloc(sizeof(int64) * Max(count, 1));
	for (int i = 0; i < count; i++)
		if (!nulls[i])
			ids[m++] = DatumGetInt64(elems[i]);
	*n = PrioSortIds(ids, m);
	return ids;
}
