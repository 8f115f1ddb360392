/*
 * source_tracked.c
 *		prio.source_changed(): the statement trigger of every tracked table
 *		(sql/source_changed.c checks the call).  It runs, as prio's owner, the
 *		SQL prio.track() compiled for the table and stored in prio.sources,
 *		over the statement's transition tables:
 *
 *		- an INSERT (or COPY) into a tracked activities table continues its
 *		  customers' stored fold, as prio.activities' own insert trigger does
 *		  (source_activities.c, PrioInsertFold*): the table's event source
 *		  (compiled EVENTS, with the transition table in place of the table)
 *		  gives the new events, mapped through the key map, in (customer_id,
 *		  at, tiebreak) order; a customer whose new events are not all after
 *		  its last folded one is folded again from all its events;
 *		- every other change runs the compiled statements of its operation
 *		  (of a customers table, then the ON_CUSTOMERS statements of the
 *		  activities tables whose customers it holds; (0.5) then, each in a
 *		  subtransaction of its own, those of its deals tables: follow_deals()).
 *
 * A change of an activities table, or of a deals table whose customers
 * are a tracked customers table's, first locks those customers' rows of
 * the customers table (as the application's UPDATE of one does), then
 * prio's own: an INSERT with INSERT_LOCK (or without a statement:
 * lock_direct()), the others with the first of their statements.
 *
 * An INSERT or COPY into an activities table mapped by plain columns (most)
 * reads its events without the events query (events_direct()).
 *
 * Every statement is prepared once per backend and kept (keyed by the
 * table, its text and whether the transition table is small or large, so a
 * change of the compiled SQL prepares it again, and a bulk statement gets
 * a plan of its own); a plan is dropped when its table changes (relcache
 * invalidation).  The compiled SQL runs only while the table's signature
 * (its name and the columns the SQL names) is what prio.track() checked;
 * the check is cached until the table, a type or a schema changes.
 *
 * The application's write never fails because of prio: prio's side runs
 * in a subtransaction, and an error there is undone, recorded in
 * prio.sources.last_error and raised as a WARNING.  Only what the server
 * raises for any statement is raised (classes 40, 53, 54, 57, 58 and
 * 55P03: serialization failure, deadlock, out of memory or disk, lock
 * timeout, cancel).
 */
#include "prio.h"

#include "access/genam.h"
#include "access/nbtree.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/partition.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/parser.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/tuplesort.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

/* a transition table this large or larger gets plans of its own, and a tuplesort */
#define TRACK_LARGE 1000
/* new events read from the events query at a time */
#define TRACK_FETCH 10000

/* A kept plan of a compiled statement, or of a table's events query */
typedef struct TrackPlan
{
	struct TrackPlan *next;
	Oid			relid;			/* the tracked table whose transition tables it reads */
	Oid			trel;			/* the table the trigger fired on (the tracked
								 * table, or a partition of it: its transition
								 * tables have its own column numbers) */
	bool		events;			/* the events query made from the text (else the text) */
	bool		large;
	bool		stale;			/* the table changed: freed when no plan runs */
	char	   *sql;			/* the compiled text */
	SPIPlanPtr	plan;
} TrackPlan;

/* Whether a source's compiled SQL may run: its signature checked */
typedef struct TrackSignature
{
	struct TrackSignature *next;
	int32		source_id;
	Oid			relid;
	bool		valid;			/* ok is current */
	bool		ok;
	char	   *stored;			/* prio.sources.signature it was checked against */
} TrackSignature;

static MemoryContext track_cxt = NULL;
static TrackPlan *plans = NULL;
static TrackSignature *signatures = NULL;
static bool any_stale = false;
static int	running = 0;		/* prio.source_changed() calls in progress */
static uint64 signature_gen = 0;	/* invalidations that may change a signature */
static uint64 lookup_gen = 0;	/* invalidations of every source's lookups */
static Oid	cur_trel = InvalidOid;	/* the table the running trigger fired on */

/* the last TRUNCATE followed: its source, transaction and statement */
static struct
{
	int32		source_id;
	TransactionId xid;
	CommandId	cid;
}			truncated = {-1, InvalidTransactionId, InvalidCommandId};

static SPIPlanPtr signature_plan = NULL;
static SPIPlanPtr note_plan = NULL;

static void SourcesRelationChanged(Oid relid);

/* ---------------------------------------------------------------- invalidation */

/* A relation changed (InvalidOid: any): its plans and signature checks go */
void
TrackRelationChanged(Oid relid)
{
	for (TrackPlan *p = plans; p != NULL; p = p->next)
		if (!OidIsValid(relid) || p->relid == relid || p->trel == relid)
		{
			p->stale = true;
			any_stale = true;
		}
	for (TrackSignature *s = signatures; s != NULL; s = s->next)
		if (!OidIsValid(relid) || s->relid == relid)
			s->valid = false;
	signature_gen++;
	if (!OidIsValid(relid))
		lookup_gen++;
	else
		SourcesRelationChanged(relid);
}

/* A type, schema or collation changed: a signature names them */
void
TrackCatalogChanged(void)
{
	for (TrackSignature *s = signatures; s != NULL; s = s->next)
		s->valid = false;
	signature_gen++;
	lookup_gen++;
}

/* stale plans freed; only when none runs (a nested call may be running one) */
static void
free_stale(void)
{
	TrackPlan **link = &plans;

	if (!any_stale || running > 0)
		return;
	while (*link != NULL)
	{
		TrackPlan  *p = *link;

		if (!p->stale)
		{
			link = &p->next;
			continue;
		}
		*link = p->next;
		SPI_freeplan(p->plan);
		pfree(p->sql);
		pfree(p);
	}
	any_stale = false;
}

static void
track_cxt_init(void)
{
	if (track_cxt == NULL)
		track_cxt = AllocSetContextCreate(CacheMemoryContext, "prio tracked tables",
										  ALLOCSET_SMALL_SIZES);
}

/* ---------------------------------------------------------------- the events query */

typedef struct FindTable
{
	const char *nspname;
	const char *relname;
	List	   *locations;		/* of the RangeVars naming the table */
} FindTable;

static bool
find_table_walker(Node *node, FindTable *ft)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeVar))
	{
		RangeVar   *rv = (RangeVar *) node;

		if (rv->schemaname != NULL && rv->catalogname == NULL &&
			strcmp(rv->schemaname, ft->nspname) == 0 && strcmp(rv->relname, ft->relname) == 0)
			ft->locations = lappend_int(ft->locations, rv->location);
		return false;
	}
	return raw_expression_tree_walker(node, find_table_walker, (void *) ft);
}

/*
 * The events query of table relid over its transition table enr: the
 * compiled EVENTS text with every reference to the table (as track()
 * wrote it, schema-qualified) replaced by the transition table's name,
 * found in the parsed text (not by a search of the string: a constant of a
 * mapping expression may read like the table's name); ordered as the fold
 * wants it (else the caller sorts the rows).
 */
static char *
events_over(const char *events, Oid relid, const char *enr, bool ordered)
{
	FindTable	ft;
	List	   *raw;
	StringInfoData sql;
	char	   *qualified;
	int			done = 0;
	ListCell   *lc;

	ft.nspname = get_namespace_name(get_rel_namespace(relid));
	ft.relname = get_rel_name(relid);
	ft.locations = NIL;
	if (ft.nspname == NULL || ft.relname == NULL)
		elog(ERROR, "cache lookup failed for relation %u", relid);
	qualified = psprintf("%s.%s", quote_identifier(ft.nspname), quote_identifier(ft.relname));
	raw = raw_parser(events, RAW_PARSE_DEFAULT);
	if (list_length(raw) != 1)
		elog(ERROR, "the events query of %s is not one statement", qualified);
	(void) find_table_walker(linitial_node(RawStmt, raw)->stmt, &ft);
	if (ft.locations == NIL)
		elog(ERROR, "the events query of %s does not read it", qualified);
	list_sort(ft.locations, list_int_cmp);

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT e.customer_id, e.at, e.tiebreak, e.kind, e.amount FROM (");
	foreach(lc, ft.locations)
	{
		int			at = lfirst_int(lc);

		if (at < done || strncmp(events + at, qualified, strlen(qualified)) != 0)
			elog(ERROR, "the events query of %s does not name it as prio.track() does", qualified);
		appendBinaryStringInfo(&sql, events + done, at - done);
		appendStringInfoString(&sql, quote_identifier(enr));
		done = at + strlen(qualified);
	}
	appendStringInfoString(&sql, events + done);
	appendStringInfoString(&sql, ") e");
	if (ordered)
		appendStringInfoString(&sql, " ORDER BY e.customer_id, e.at, e.tiebreak");
	return sql.data;
}

/*
 * The kept plan of sql (a compiled statement, or with events the events
 * query made from it) over relid's transition tables; the caller is
 * connected to SPI, with the trigger's transition tables registered.
 */
static SPIPlanPtr
plan_for(Oid relid, const char *sql, bool events, bool large, const char *enr)
{
	TrackPlan  *p;
	SPIPlanPtr	plan;
	MemoryContext old;

	for (p = plans; p != NULL; p = p->next)
		if (!p->stale && p->relid == relid && p->trel == cur_trel &&
			p->events == events && p->large == large &&
			strcmp(p->sql, sql) == 0)
			return p->plan;
	plan = PrioKeepPlan(events ? events_over(sql, relid, enr, large) : sql, 0, NULL,
						CURSOR_OPT_GENERIC_PLAN);
	track_cxt_init();
	old = MemoryContextSwitchTo(track_cxt);
	p = palloc0(sizeof(TrackPlan));
	p->relid = relid;
	p->trel = cur_trel;
	p->events = events;
	p->large = large;
	p->sql = pstrdup(sql);
	p->plan = plan;
	p->next = plans;
	plans = p;
	MemoryContextSwitchTo(old);
	return plan;
}

/* ---------------------------------------------------------------- signatures */

/*
 * Whether the columns the compiled SQL of source_id names are still those
 * prio.track() checked (stored: prio.sources.signature): cached until the
 * table, a type or a schema changes, or stored does.
 */
static bool
signature_ok(int32 source_id, Oid relid, const char *stored)
{
	TrackSignature *s;
	Datum		args[2];
	bool		isnull;
	Datum		now;
	bool		ok;
	MemoryContext old;
	uint64		gen = signature_gen;

	for (s = signatures; s != NULL; s = s->next)
		if (s->source_id == source_id)
			break;
	if (s != NULL && s->valid && s->relid == relid && strcmp(s->stored, stored) == 0)
		return s->ok;

	if (signature_plan == NULL)
	{
		Oid			types[2] = {OIDOID, INT4OID};

		signature_plan = PrioKeepPlan("SELECT " PRIO_SCHEMA "._track_signature($1::pg_catalog.regclass, s.compiled)"
									  "  FROM " PRIO_SCHEMA ".sources s"
									  " WHERE s.source_id OPERATOR(pg_catalog.=) $2", 2, types,
									  CURSOR_OPT_GENERIC_PLAN);
	}
	args[0] = ObjectIdGetDatum(relid);
	args[1] = Int32GetDatum(source_id);
	if (SPI_execute_plan(signature_plan, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the signature of tracked table %u", relid);
	ok = false;
	if (SPI_processed == 1)
	{
		now = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		ok = !isnull && strcmp(TextDatumGetCString(now), stored) == 0;
	}
	SPI_freetuptable(SPI_tuptable);

	track_cxt_init();
	old = MemoryContextSwitchTo(track_cxt);
	if (s == NULL)
	{
		s = palloc0(sizeof(TrackSignature));
		s->source_id = source_id;
		s->next = signatures;
		signatures = s;
	}
	else
		pfree(s->stored);
	s->relid = relid;
	s->stored = pstrdup(stored);
	s->ok = ok;
	/* (an invalidation read while it was computed: computed again next time) */
	s->valid = gen == signature_gen;
	MemoryContextSwitchTo(old);
	return ok;
}

/* ---------------------------------------------------------------- running the compiled SQL */

static void
run_statements(Oid relid, ArrayType *stmts, bool large)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	deconstruct_array(stmts, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			continue;
		if (SPI_execute_plan(plan_for(relid, TextDatumGetCString(elems[i]), false, large, NULL),
							 NULL, NULL, false, 0) < 0)
			elog(ERROR, "could not run the compiled SQL of tracked table %u", relid);
		SPI_freetuptable(SPI_tuptable);
	}
}

typedef struct EventKey
{
	int64		customer_id;
	TimestampTz at;
	int64		tiebreak;
	uint64		row;
} EventKey;

static int
event_key_cmp(const void *a, const void *b)
{
	const EventKey *x = a;
	const EventKey *y = b;

	if (x->customer_id != y->customer_id)
		return x->customer_id < y->customer_id ? -1 : 1;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->tiebreak != y->tiebreak)
		return x->tiebreak < y->tiebreak ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row ? 1 : 0;
}

/*
 * The new events of a fetched batch, fed to the fold; sorted here unless
 * the query sorted them (sorted).
 */
static void
fold_batch(PrioInsertFold *fold, Oid relid, SPITupleTable *tt, uint64 n, bool sorted)
{
	TupleDesc	desc = tt->tupdesc;
	EventKey   *keys;
	uint64		nkeys = 0;

	PrioTrackedEventsCheck(relid, desc);
	keys = palloc(sizeof(EventKey) * Max(n, 1));
	for (uint64 r = 0; r < n; r++)
	{
		bool		isnull[3];

		keys[nkeys].customer_id = DatumGetInt64(SPI_getbinval(tt->vals[r], desc, 1, &isnull[0]));
		keys[nkeys].at = DatumGetTimestampTz(SPI_getbinval(tt->vals[r], desc, 2, &isnull[1]));
		keys[nkeys].tiebreak = DatumGetInt64(SPI_getbinval(tt->vals[r], desc, 3, &isnull[2]));
		keys[nkeys].row = r;
		/* (the events query gives no NULL customer, at or tiebreak) */
		if (!isnull[0] && !isnull[1] && !isnull[2])
			nkeys++;
	}
	if (!sorted && nkeys > 1)
		qsort(keys, nkeys, sizeof(EventKey), event_key_cmp);
	for (uint64 k = 0; k < nkeys; k++)
	{
		HeapTuple	tup = tt->vals[keys[k].row];
		bool		kind_null;
		bool		amount_null;
		Datum		kind = SPI_getbinval(tup, desc, 4, &kind_null);
		Datum		amount = SPI_getbinval(tup, desc, 5, &amount_null);

		if (kind_null)
			continue;
		PrioInsertFoldAdd(fold, keys[k].customer_id, keys[k].at, keys[k].tiebreak,
						  kind, amount, amount_null);
	}
	pfree(keys);
}

/*
 * Whether running plan now plans it (first, or again after an
 * invalidation): its generic plan is not there, or not valid.
 */
static bool
plan_to_make(SPIPlanPtr plan)
{
	ListCell   *lc;

	foreach(lc, SPI_plan_get_plan_sources(plan))
	{
		CachedPlanSource *ps = (CachedPlanSource *) lfirst(lc);

		if (!ps->is_valid || ps->gplan == NULL || !ps->gplan->is_valid)
			return true;
	}
	return false;
}

/*
 * INSERT (COPY) into a tracked activities table: its new events continue
 * their customers' fold (as prio.activities' insert trigger does).
 */
static void
insert_events(TriggerData *td, Oid relid, const char *events, CommandId since)
{
	uint64		nrows = tuplestore_tuple_count(td->tg_newtable);
	bool		large = nrows >= TRACK_LARGE;
	SPIPlanPtr	plan = plan_for(relid, events, true, large, td->tg_trigger->tgnewtable);
	PrioInsertFold *fold = PrioInsertFoldBegin(PRIO_API_CURRENT, (double) nrows, since, true);

	if (nrows < TRACK_FETCH)
	{
		SPITupleTable *tt;
		int			nest = -1;

		/*
		 * The plan of a few rows (most INSERTs: one) looks each one up in the
		 * key map and prio.activity_kinds by their indexes: a hash join
		 * would scan and hash activity_kinds on every statement, for one
		 * row.  Only the choice of plan changes, never its result; a plan
		 * made again without this (an invalidation read while the plan is
		 * checked) is merely slower.
		 */
		if (!large && plan_to_make(plan))
		{
			nest = NewGUCNestLevel();
			(void) set_config_option("enable_hashjoin", "off", PGC_USERSET, PGC_S_SESSION,
									 GUC_ACTION_SAVE, true, 0, false);
			(void) set_config_option("enable_mergejoin", "off", PGC_USERSET, PGC_S_SESSION,
									 GUC_ACTION_SAVE, true, 0, false);
		}
		if (SPI_execute_plan(plan, NULL, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read the new events of tracked table %u", relid);
		if (nest >= 0)
			AtEOXact_GUC(true, nest);
		tt = SPI_tuptable;
		fold_batch(fold, relid, tt, SPI_processed, large);
		SPI_freetuptable(tt);
	}
	else
	{
		/* a large COPY: its events sorted by the query, read in batches */
		Portal		portal = SPI_cursor_open(NULL, plan, NULL, NULL, false);

		for (;;)
		{
			SPITupleTable *tt;
			uint64		n;

			SPI_cursor_fetch(portal, true, TRACK_FETCH);
			tt = SPI_tuptable;
			n = SPI_processed;
			if (n == 0)
			{
				SPI_freetuptable(tt);
				break;
			}
			fold_batch(fold, relid, tt, n, true);
			SPI_freetuptable(tt);
		}
		SPI_cursor_close(portal);
	}
	PrioInsertFoldEnd(fold);
}

/* ---------------------------------------------------------------- the trigger */

/*
 * The customers table of an activities table, as it is now, when it was
 * renamed, moved, dropped or changed since prio.track() (NULL when not):
 * the activities table's statements name it as it was, and fail then with
 * an error that names the old table.
 */
static char *
customers_changed(int32 customers)
{
	Oid			types[1] = {INT4OID};
	Datum		args[1] = {Int32GetDatum(customers)};
	char	   *changed = NULL;

	if (SPI_execute_with_args("SELECT s.relid::pg_catalog.oid, s.signature FROM " PRIO_SCHEMA ".sources s"
							  " WHERE s.source_id OPERATOR(pg_catalog.=) $1",
							  1, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read tracked source %d", customers);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Oid			relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		char	   *signature = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

		if (get_rel_name(relid) == NULL)
			changed = psprintf("%u, dropped", relid);
		else if (signature == NULL || !signature_ok(customers, relid, signature))
			changed = DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid)));
	}
	return changed;
}

/* the error kept, unless writing it would make the writer wait or fail */
static void
note_error(int32 source_id, const char *message)
{
	Datum		args[2];

	if (note_plan == NULL)
	{
		Oid			types[2] = {INT4OID, TEXTOID};

		note_plan = PrioKeepPlan("SELECT " PRIO_SCHEMA "._track_note_error($1, $2)", 2, types,
								 CURSOR_OPT_GENERIC_PLAN);
	}
	args[0] = Int32GetDatum(source_id);
	args[1] = CStringGetTextDatum(message);
	if (SPI_execute_plan(note_plan, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not note the error of a tracked table");
	SPI_freetuptable(SPI_tuptable);
}

/*
 * What prio.sources says of a source, kept per backend while its row is
 * the same version (xmin and ctid: any UPDATE, such as a last_error noted,
 * makes a new one), so the compiled jsonb is not read on every statement.
 */
#define NOPS 4
static const char *const op_names[NOPS] = {"INSERT", "UPDATE", "DELETE", "TRUNCATE"};

/* lock_direct()'s way to a source's customers rows (lock_lookup) */
typedef struct LockWay
{
	bool		known;			/* looked up, at gen, for rel */
	uint64		gen;
	Oid			rel;			/* the table the trigger fired on */
	bool		ok;				/* lock_direct() may lock (else the statement) */
	Oid			index;			/* the customers table's index on its key */
	AttrNumber	col;			/* the customer column */
	AttrNumber	key;			/* the customers table's key column */
	Oid			type;
	Oid			collation;
	Oid			eqop;
	Oid			eqproc;
	Oid			cmpproc;		/* btree comparison: the key order */
	int16		typlen;
	bool		typbyval;
} LockWay;

/* events_direct()'s way to an INSERT's events (events_lookup) */
typedef struct EventsWay
{
	bool		known;			/* looked up, at gen, for rel */
	uint64		gen;
	Oid			rel;			/* the table the trigger fired on */
	bool		ok;				/* events_direct() may read them (else the query) */
	TrackedRows rows;
} EventsWay;

typedef struct SourceRow
{
	int32		source_id;
	TransactionId xmin;
	ItemPointerData ctid;
	Oid			relid;
	bool		activities;
	int32		customers;		/* an activities (0.5: or deals) table's
								 * customers source (0: none) */
	char	   *signature;
	char	   *events;			/* compiled ->> EVENTS (NULL: none) */
	ArrayType  *stmts[NOPS];	/* compiled -> op */
	ArrayType  *on_customers[NOPS]; /* compiled -> ON_CUSTOMERS -> op */
	ArrayType  *insert_lock;	/* compiled -> INSERT_LOCK: run before the
								 * events (an activities table) or the
								 * statements (deals) of an INSERT */
	/* what lock_direct() needs to take INSERT_LOCK's locks itself */
	LockWay		lock_way;
	char	   *lock_column;	/* the customer column (NULL: an expression, or
								 * several events a row) */
	Oid			lock_relid;		/* the customers table (of an activities
								 * table, or of a deals table's customer) */
	char	   *lock_key;		/* its key column */
	/* what events_direct() needs: an activities table's mapping of one event */
	EventsWay	events_way;
	char	   *map_kind;		/* the mapping's kind, at, amount (NULL: none) */
	char	   *map_at;
	char	   *map_amount;
	Oid			key_map;		/* its customers table's key map */
	bool		deals;			/* (0.5) a deals table */
	Oid			own_key_map;	/* a customers table's own key map */
	char	   *own_key;		/* and its key column, as the mapping names it */
} SourceRow;

typedef struct SourceEntry
{
	struct SourceEntry *next;
	MemoryContext cxt;			/* the row's values */
	SourceRow	row;
} SourceEntry;

static SourceEntry *sources = NULL;
static SPIPlanPtr source_plan = NULL;

/*
 * relid changed: the lookups of the sources that read it are made again.
 * Only theirs: an invalidation of any other relation (autovacuum's of a
 * catalog, say) left every INSERT after it locking within the
 * subtransaction (lock_direct()), a MultiXact each.
 */
static void
SourcesRelationChanged(Oid relid)
{
	for (SourceEntry *e = sources; e != NULL; e = e->next)
	{
		SourceRow  *r = &e->row;

		if (r->relid == relid || r->lock_relid == relid || r->key_map == relid ||
			r->lock_way.rel == relid || r->lock_way.index == relid ||
			r->events_way.rel == relid || r->events_way.rows.index == relid)
			r->lock_way.known = r->events_way.known = false;
	}
}

static int
op_index(TriggerEvent event)
{
	if (TRIGGER_FIRED_BY_INSERT(event))
		return 0;
	if (TRIGGER_FIRED_BY_UPDATE(event))
		return 1;
	if (TRIGGER_FIRED_BY_DELETE(event))
		return 2;
	return 3;
}

static ArrayType *
array_copy_in(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? construct_empty_array(TEXTOID) : DatumGetArrayTypePCopy(d);
}

/* the source's row as its version (xmin, ctid) has it: kept, or read now */
static SourceRow *
source_row(int32 source_id, TransactionId xmin, ItemPointer ctid)
{
	SourceEntry *e;
	SourceEntry **link;
	Datum		arg = Int32GetDatum(source_id);
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	MemoryContext old;
	char	   *customers;

	for (e = sources; e != NULL; e = e->next)
		if (e->row.source_id == source_id)
			break;
	if (e != NULL && e->row.xmin == xmin && ItemPointerEquals(&e->row.ctid, ctid))
		return &e->row;

	if (source_plan == NULL)
	{
		StringInfoData sql;
		Oid			type = INT4OID;

		initStringInfo(&sql);
		appendStringInfoString(&sql,
							   "SELECT s.relid::pg_catalog.oid, s.role OPERATOR(pg_catalog.=) 'activities', s.signature,"
							   "       s.compiled OPERATOR(pg_catalog.->>) 'EVENTS',"
							   "       COALESCE(s.compiled OPERATOR(pg_catalog.->>) 'customers',"
							   "                s.compiled OPERATOR(pg_catalog.->>) 'deal_customers')");
		for (int on = 0; on < 2; on++)
			for (int i = 0; i < NOPS; i++)
				appendStringInfo(&sql, ", ARRAY(SELECT pg_catalog.jsonb_array_elements_text(s.compiled%s OPERATOR(pg_catalog.->) '%s'))",
								 on ? " OPERATOR(pg_catalog.->) 'ON_CUSTOMERS'" : "", op_names[i]);
		appendStringInfoString(&sql, ", ARRAY(SELECT pg_catalog.jsonb_array_elements_text(s.compiled OPERATOR(pg_catalog.->) 'INSERT_LOCK'))");
		appendStringInfoString(&sql,
							   ", CASE WHEN NOT s.mapping OPERATOR(pg_catalog.?) 'events' THEN s.mapping OPERATOR(pg_catalog.->>) 'customer' END,"
							   " c.relid::pg_catalog.oid, c.mapping OPERATOR(pg_catalog.->>) 'key'");
		for (int i = 0; i < 3; i++)
			appendStringInfo(&sql, ", CASE WHEN NOT s.mapping OPERATOR(pg_catalog.?) 'events' THEN s.mapping OPERATOR(pg_catalog.->>) '%s' END",
							 i == 0 ? "kind" : i == 1 ? "at" : "amount");
		appendStringInfoString(&sql, ", c.key_map::pg_catalog.oid, s.role OPERATOR(pg_catalog.=) 'deals'");
		appendStringInfoString(&sql, ", s.key_map::pg_catalog.oid, s.mapping OPERATOR(pg_catalog.->>) 'key'");
		appendStringInfoString(&sql, " FROM " PRIO_SCHEMA ".sources s LEFT JOIN " PRIO_SCHEMA ".sources c"
							   "   ON c.source_id::pg_catalog.text OPERATOR(pg_catalog.=)"
							   "      COALESCE(s.compiled OPERATOR(pg_catalog.->>) 'customers',"
							   "               s.compiled OPERATOR(pg_catalog.->>) 'deal_customers')"
							   " WHERE s.source_id OPERATOR(pg_catalog.=) $1");
		source_plan = PrioKeepPlan(sql.data, 1, &type, CURSOR_OPT_GENERIC_PLAN);
	}
	if (SPI_execute_plan(source_plan, &arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read prio.sources");
	if (SPI_processed != 1)
		return NULL;

	/* the entry made anew (or first) */
	if (e != NULL)
	{
		for (link = &sources; *link != e; link = &(*link)->next)
			;
		*link = e->next;
		MemoryContextDelete(e->cxt);
	}
	track_cxt_init();
	e = MemoryContextAllocZero(track_cxt, sizeof(SourceEntry));
	e->cxt = AllocSetContextCreate(track_cxt, "prio tracked source", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(e->cxt);
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	e->row.source_id = source_id;
	e->row.xmin = xmin;
	e->row.ctid = *ctid;
	e->row.relid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
	e->row.activities = DatumGetBool(SPI_getbinval(tup, desc, 2, &isnull));
	e->row.signature = SPI_getvalue(tup, desc, 3);
	if (e->row.signature == NULL)
		e->row.signature = "";
	e->row.events = SPI_getvalue(tup, desc, 4);
	customers = SPI_getvalue(tup, desc, 5);
	e->row.customers = customers != NULL && strspn(customers, "0123456789") == strlen(customers) &&
		strlen(customers) >= 1 && strlen(customers) <= 9 ? atoi(customers) : 0;
	for (int i = 0; i < NOPS; i++)
	{
		e->row.stmts[i] = array_copy_in(tup, desc, 6 + i);
		e->row.on_customers[i] = array_copy_in(tup, desc, 6 + NOPS + i);
	}
	e->row.insert_lock = array_copy_in(tup, desc, 6 + 2 * NOPS);
	e->row.lock_column = SPI_getvalue(tup, desc, 7 + 2 * NOPS);
	e->row.lock_relid = DatumGetObjectId(SPI_getbinval(tup, desc, 8 + 2 * NOPS, &isnull));
	if (isnull)
		e->row.lock_relid = InvalidOid;
	e->row.lock_key = SPI_getvalue(tup, desc, 9 + 2 * NOPS);
	e->row.map_kind = SPI_getvalue(tup, desc, 10 + 2 * NOPS);
	e->row.map_at = SPI_getvalue(tup, desc, 11 + 2 * NOPS);
	e->row.map_amount = SPI_getvalue(tup, desc, 12 + 2 * NOPS);
	e->row.key_map = DatumGetObjectId(SPI_getbinval(tup, desc, 13 + 2 * NOPS, &isnull));
	if (isnull)
		e->row.key_map = InvalidOid;
	e->row.deals = DatumGetBool(SPI_getbinval(tup, desc, 14 + 2 * NOPS, &isnull)) && !isnull;
	e->row.own_key_map = DatumGetObjectId(SPI_getbinval(tup, desc, 15 + 2 * NOPS, &isnull));
	if (isnull)
		e->row.own_key_map = InvalidOid;
	e->row.own_key = SPI_getvalue(tup, desc, 16 + 2 * NOPS);
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
	e->next = sources;
	sources = e;
	return &e->row;
}

static int
source_cmp(const void *a, const void *b)
{
	int32		x = (*(SourceRow *const *) a)->source_id;
	int32		y = (*(SourceRow *const *) b)->source_id;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * The versions (xmin, ctid) of the rows of prio.sources that a statement
 * trigger of source_id needs: its own and, of a customers table, every
 * activities (0.5: and deals) table's; read as the query "SELECT source_id,
 * xmin, ctid, role = 'activities', role = 'deals' FROM prio.sources WHERE
 * source_id = $1 OR role IN ('activities', 'deals')" would read them under
 * the statement's snapshot, without
 * one: its executor start-up was most of what the read cost, on every
 * statement of a tracked table.  An activities table's own row is found
 * through the primary key (a scan of the table would ask the kernel for
 * its size).  (prio's owner reads the table: no policy applies to it.)
 * *n of them.
 */
typedef struct SourceVersion
{
	int32		source_id;
	TransactionId xmin;
	ItemPointerData ctid;
	bool		activities;
	bool		deals;			/* (0.5) */
} SourceVersion;

/* one row's version into v[*n] (grown as needed); false: not wanted */
static bool
add_version(TupleTableSlot *slot, AttrNumber att_id, AttrNumber att_role, int32 source_id,
			SourceVersion **v, int *n, int *max)
{
	bool		isnull;
	Datum		id = slot_getattr(slot, att_id, &isnull);
	Datum		role;
	bool		activities = false;
	bool		deals = false;

	if (isnull)
		return false;
	role = slot_getattr(slot, att_role, &isnull);
	if (!isnull)
	{
		text	   *t = DatumGetTextPP(role);

		activities = VARSIZE_ANY_EXHDR(t) == strlen("activities") &&
			memcmp(VARDATA_ANY(t), "activities", strlen("activities")) == 0;
		deals = VARSIZE_ANY_EXHDR(t) == strlen("deals") &&
			memcmp(VARDATA_ANY(t), "deals", strlen("deals")) == 0;
	}
	if (DatumGetInt32(id) != source_id && !activities && !deals)
		return false;
	if (*n == *max)
	{
		*max *= 2;
		*v = repalloc(*v, sizeof(SourceVersion) * *max);
	}
	(*v)[*n].source_id = DatumGetInt32(id);
	(*v)[*n].xmin = DatumGetTransactionId(slot_getsysattr(slot, MinTransactionIdAttributeNumber,
														  &isnull));
	(*v)[*n].ctid = slot->tts_tid;
	(*v)[*n].activities = activities;
	(*v)[*n].deals = deals;
	(*n)++;
	return true;
}

static SourceVersion *
read_versions(int32 source_id, int *n)
{
	Relation	rel = table_open(PrioRelid("sources"), AccessShareLock);
	AttrNumber	att_id = PrioAttnum(rel, "source_id", INT4OID);
	AttrNumber	att_role = PrioAttnum(rel, "role", TEXTOID);
	Relation	idx = PrioOpenIndex("sources_pkey", rel, att_id, 0);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	Snapshot	snapshot = RegisterSnapshot(ActiveSnapshotSet() ? GetActiveSnapshot()
											: GetTransactionSnapshot());
	IndexScanDesc iscan = index_beginscan(rel, idx, snapshot, 1, 0);
	ScanKeyData skey;
	int			max = 8;
	SourceVersion *v = palloc(sizeof(SourceVersion) * max);

	*n = 0;
	ScanKeyInit(&skey, 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(source_id));
	index_rescan(iscan, &skey, 1, NULL, 0);
	if (index_getnext_slot(iscan, ForwardScanDirection, slot))
		(void) add_version(slot, att_id, att_role, source_id, &v, n, &max);
	index_endscan(iscan);

	/*
	 * a customers table: the activities (and deals) tables', whose customers
	 * it may hold
	 */
	if (*n == 1 && !v[0].activities && !v[0].deals)
	{
		TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);

		while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		{
			bool		isnull;

			/* (its own row, found above, once) */
			if (DatumGetInt32(slot_getattr(slot, att_id, &isnull)) != source_id || isnull)
				(void) add_version(slot, att_id, att_role, source_id, &v, n, &max);
		}
		table_endscan(scan);
	}
	UnregisterSnapshot(snapshot);
	ExecDropSingleTupleTableSlot(slot);
	/* (the locks last until the end of the transaction, as a statement's) */
	index_close(idx, NoLock);
	table_close(rel, NoLock);
	return v;
}

/*
 * Whether relid is src's table or a partition of it, at any depth:
 * prio.track() puts the triggers on every partition, since a statement
 * naming a partition fires the partition's statement triggers, not its
 * parent's.  A partition detached since is neither.
 */
static bool
tracked_or_partition(Oid relid, SourceRow *src)
{
	if (relid == src->relid)
		return true;
	if (!get_rel_relispartition(relid))
		return false;
	return list_member_oid(get_partition_ancestors(relid), src->relid);
}

/*
 * The trigger's source (NULL: none prio knows, or one copied onto another
 * table) and, of a customers table, the activities (0.5: and deals) tables
 * whose customers it holds, in source_id order (*nattached of them).
 */
static SourceRow *
read_sources(int32 source_id, Oid relid, SourceRow ***attached, int *nattached)
{
	SourceRow  *src = NULL;
	SourceRow **att;
	int			natt = 0;
	int			n;
	SourceVersion *v = read_versions(source_id, &n);

	for (int i = 0; i < n; i++)
		if (v[i].source_id == source_id)
			src = source_row(v[i].source_id, v[i].xmin, &v[i].ctid);
	if (src == NULL || !tracked_or_partition(relid, src))
		return NULL;

	/*
	 * The partitioned tracked activities tables a fold reads locked before
	 * prio locks any customers row: a DETACH PARTITION holds its partitioned
	 * table's ACCESS EXCLUSIVE lock while prio.track_ddl() locks those rows,
	 * and a write naming a partition has not locked it: waiting for it
	 * afterwards, holding the rows, was a deadlock.  (Those of v: of an
	 * activities table itself, of a customers table every activities table;
	 * an activities table's write does not scan prio.sources for the others,
	 * which its fold reads too.)
	 */
	for (int i = 0; i < n; i++)
	{
		SourceRow  *a;

		if (!v[i].activities)
			continue;
		a = v[i].source_id == source_id ? src : source_row(v[i].source_id, v[i].xmin, &v[i].ctid);
		if (a != NULL && get_rel_relkind(a->relid) == RELKIND_PARTITIONED_TABLE)
			LockRelationOid(a->relid, AccessShareLock);
	}
	att = palloc(sizeof(SourceRow *) * (n + 1));
	/* (the rows come in no order: the activities tables' in source_id order) */
	if (!src->activities && !src->deals)
		for (int i = 0; i < n; i++)
		{
			SourceRow  *a;

			if ((!v[i].activities && !v[i].deals) || v[i].source_id == source_id)
				continue;
			a = source_row(v[i].source_id, v[i].xmin, &v[i].ctid);
			if (a != NULL && a->customers == source_id)
				att[natt++] = a;
		}
	if (natt > 1)
		qsort(att, natt, sizeof(SourceRow *), source_cmp);
	*attached = att;
	*nattached = natt;
	return src;
}

/* ---------------------------------------------------------------- INSERT_LOCK without a statement */

typedef struct KeySort
{
	FmgrInfo	cmp;
	Oid			collation;
} KeySort;

static int
key_cmp(const void *a, const void *b, void *arg)
{
	KeySort    *ks = arg;

	return DatumGetInt32(FunctionCall2Coll(&ks->cmp, ks->collation,
										   *(const Datum *) a, *(const Datum *) b));
}

/*
 * An index of rel that finds its rows by column key as the equality of
 * opfamily under collation does (btree, valid, key first, no expression,
 * no predicate); InvalidOid: none.
 */
static Oid
key_index(Relation rel, AttrNumber key, Oid opfamily, Oid collation)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	Oid			found = InvalidOid;

	foreach(lc, indexes)
	{
		Relation	idx = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index ix = idx->rd_index;

		if (idx->rd_rel->relam == BTREE_AM_OID && ix->indisvalid && ix->indnkeyatts >= 1 &&
			ix->indkey.values[0] == key && heap_attisnull(idx->rd_indextuple, Anum_pg_index_indexprs, NULL) &&
			heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, NULL) &&
			idx->rd_opfamily[0] == opfamily && idx->rd_indcollation[0] == collation)
			found = RelationGetRelid(idx);
		index_close(idx, NoLock);
		if (OidIsValid(found))
			break;
	}
	list_free(indexes);
	return found;
}

/*
 * lock_direct()'s lookups for src (the customers table's key, its index,
 * the customer column; false: the mapping is not one it does), kept until
 * one of its relations, a type, a schema or a collation changes.
 * rel: the customers table, open.
 */
static bool
lock_lookup(TriggerData *td, SourceRow *src, Relation rel)
{
	Relation	arel = td->tg_relation;
	LockWay    *w = &src->lock_way;
	uint64		gen = lookup_gen;
	AttrNumber	col;
	AttrNumber	key;
	Oid			type;
	int32		typmod;
	Oid			collation;
	Oid			opclass;
	Oid			opfamily;
	Oid			eqop;
	Oid			cmpproc;

	if (w->known && w->gen == gen && w->rel == RelationGetRelid(arel))
		return w->ok;
	w->ok = false;
	w->known = true;
	w->gen = gen;
	w->rel = RelationGetRelid(arel);
	/* (a name SQL writes otherwise, in quotes, or a keyword, is not the column) */
	if (strcmp(quote_identifier(src->lock_column), src->lock_column) != 0 ||
		strcmp(quote_identifier(src->lock_key), src->lock_key) != 0)
		return false;
	col = get_attnum(RelationGetRelid(arel), src->lock_column);
	key = get_attnum(RelationGetRelid(rel), src->lock_key);
	if (col <= 0 || key <= 0)
		return false;
	get_atttypetypmodcoll(RelationGetRelid(rel), key, &type, &typmod, &collation);
	if (TupleDescAttr(RelationGetDescr(arel), col - 1)->atttypid != type ||
		TupleDescAttr(RelationGetDescr(arel), col - 1)->attcollation != collation ||
		get_typtype(type) != TYPTYPE_BASE)
		return false;
	opclass = GetDefaultOpClass(type, BTREE_AM_OID);
	if (!OidIsValid(opclass))
		return false;
	opfamily = get_opclass_family(opclass);
	eqop = get_opfamily_member(opfamily, type, type, BTEqualStrategyNumber);
	cmpproc = get_opfamily_proc(opfamily, type, type, BTORDER_PROC);
	if (!OidIsValid(eqop) || !OidIsValid(cmpproc))
		return false;
	w->index = key_index(rel, key, opfamily, collation);
	if (!OidIsValid(w->index))
		return false;
	w->col = col;
	w->key = key;
	w->type = type;
	w->collation = collation;
	w->eqop = eqop;
	w->eqproc = get_opcode(eqop);
	w->cmpproc = cmpproc;
	get_typlenbyval(type, &w->typlen, &w->typbyval);
	w->ok = true;
	return true;
}

/*
 * An INSERT's INSERT_LOCK statement, without the statement: the customers
 * table's rows of the new rows' customers locked FOR NO KEY UPDATE in key
 * order, as
 *   SELECT 1 FROM ONLY customers t
 *    WHERE EXISTS (SELECT 1 FROM (SELECT (customer) AS k FROM new_rows) s WHERE s.k = t.key)
 *    ORDER BY t.key FOR NO KEY UPDATE OF t
 * locks them (each a statement's lock: a row updated since the snapshot is
 * followed to its latest version in READ COMMITTED, a serialization failure
 * under REPEATABLE READ and SERIALIZABLE; a row deleted is skipped).  Its
 * executor start-up was most of what the lock cost on every INSERT.  Only
 * for the mapping prio.track() compiles most: the customer a column of the
 * key's own type (not a domain), named as SQL writes it, a plain table, the
 * key compared by its type's default btree equality, prio's owner
 * allowed to lock (SELECT of the key, UPDATE) and no row-level security on
 * the table.  Otherwise false: the statement runs (and says what is wrong).
 *
 * top: called before prio's subtransaction begins, so that the lock is the
 * transaction's own: taken by the subtransaction, the lock of a row the
 * INSERT's foreign key check holds already (FOR KEY SHARE) made a
 * MultiXact on every INSERT (WAL, SLRU pages, and multixact wraparound
 * vacuums sooner).  Only once the lookups are made and current (the
 * first INSERT after a change of a relation locks within the
 * subtransaction): what is left can raise only what every statement may
 * raise (a serialization failure, a deadlock, a lock timeout, a cancel),
 * which prio raises anyway.
 */
static bool
lock_direct(TriggerData *td, SourceRow *src, bool top)
{
	Relation	arel = td->tg_relation;
	Oid			crelid = src->lock_relid;
	LockWay    *w = &src->lock_way;
	Oid			user = GetUserId();
	Relation	rel;
	Relation	idx;
	KeySort		ks;
	TrackedKeys *seen;
	Datum	   *keys = NULL;
	int			n = 0;
	int			max = 0;
	int			nkeys = 0;
	TupleTableSlot *slot;
	int			readptr;
	Snapshot	snapshot;
	IndexScanDesc scan;
	bool		xact_snapshot = IsolationUsesXactSnapshot();

	if (src->lock_column == NULL || src->lock_key == NULL || !OidIsValid(crelid) ||
		ArrayGetNItems(ARR_NDIM(src->insert_lock), ARR_DIMS(src->insert_lock)) != 1 ||
		td->tg_newtable == NULL || get_rel_relkind(crelid) != RELKIND_RELATION)
		return false;
	rel = try_table_open(crelid, RowShareLock);
	if (rel == NULL)
		return false;
	/* (outside prio's subtransaction: only with the lookups made, nothing left to fail) */
	if (top && !(w->known && w->gen == lookup_gen && w->rel == RelationGetRelid(arel) && w->ok))
	{
		table_close(rel, NoLock);
		return false;
	}
	/* as the executor checks a SELECT ... FOR NO KEY UPDATE of the key */
	if (rel->rd_rel->relrowsecurity || !lock_lookup(td, src, rel) ||
		(pg_class_aclcheck(crelid, user, ACL_SELECT) != ACLCHECK_OK &&
		 pg_attribute_aclcheck(crelid, w->key, user, ACL_SELECT) != ACLCHECK_OK) ||
		(pg_class_aclcheck(crelid, user, ACL_UPDATE) != ACLCHECK_OK &&
		 pg_attribute_aclcheck_all(crelid, user, ACL_UPDATE, ACLMASK_ANY) != ACLCHECK_OK))
	{
		table_close(rel, NoLock);
		return false;
	}
	idx = index_open(w->index, RowShareLock);

	/* the new rows' customers, in key order, each once (seen: a large statement's kept once) */
	seen = tuplestore_tuple_count(td->tg_newtable) < TRACK_LARGE ? NULL :
		TrackedKeysCreate(w->type, w->eqop, w->collation, CurrentMemoryContext, 1024);
	slot = MakeSingleTupleTableSlot(RelationGetDescr(arel), &TTSOpsMinimalTuple);
	readptr = tuplestore_alloc_read_pointer(td->tg_newtable, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(td->tg_newtable, readptr);
	tuplestore_rescan(td->tg_newtable);
	while (tuplestore_gettupleslot(td->tg_newtable, true, false, slot))
	{
		bool		isnull;
		Datum		k = slot_getattr(slot, w->col, &isnull);

		bool		known;
		int64		unused;

		CHECK_FOR_INTERRUPTS();
		if (isnull)
			continue;
		if (seen != NULL)
		{
			if (TrackedKeysGet(seen, k, &known, &unused))
				continue;
			TrackedKeysPut(seen, k, true, 0);
		}
		if (n == max)
		{
			max = Max(16, max * 2);
			keys = keys ? repalloc_huge(keys, sizeof(Datum) * (Size) max) : palloc(sizeof(Datum) * max);
		}
		keys[n++] = datumCopy(k, w->typbyval, w->typlen);
	}
	tuplestore_select_read_pointer(td->tg_newtable, 0);
	ExecDropSingleTupleTableSlot(slot);
	if (seen != NULL)
		TrackedKeysFree(seen);
	fmgr_info(w->cmpproc, &ks.cmp);
	ks.collation = w->collation;
	if (n > 1)
		qsort_arg(keys, n, sizeof(Datum), key_cmp, &ks);
	for (int i = 0; i < n; i++)
		if (nkeys == 0 || key_cmp(&keys[nkeys - 1], &keys[i], &ks) != 0)
			keys[nkeys++] = keys[i];

	/* what a statement starting now would see */
	CommandCounterIncrement();
	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, idx, snapshot, 1, 0);
	for (int i = 0; i < nkeys; i++)
	{
		ScanKeyData skey;

		CHECK_FOR_INTERRUPTS();
		ScanKeyEntryInitialize(&skey, 0, 1, BTEqualStrategyNumber, w->type, w->collation,
							   w->eqproc, keys[i]);
		index_rescan(scan, &skey, 1, NULL, 0);
		while (index_getnext_slot(scan, ForwardScanDirection, slot))
		{
			TM_FailureData tmfd;
			ItemPointerData tid = slot->tts_tid;

			/* the flags and outcomes of ExecLockRows */
			switch (table_tuple_lock(rel, &tid, snapshot, slot, GetCurrentCommandId(true),
									 LockTupleNoKeyExclusive, LockWaitBlock,
									 TUPLE_LOCK_FLAG_LOCK_UPDATE_IN_PROGRESS |
									 (xact_snapshot ? 0 : TUPLE_LOCK_FLAG_FIND_LAST_VERSION), &tmfd))
			{
				case TM_Ok:
				case TM_SelfModified:
					break;
				case TM_Updated:
				case TM_Deleted:
					if (xact_snapshot)
						ereport(ERROR,
								(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
								 errmsg("could not serialize access due to concurrent update")));
					/* (TM_Updated only without FIND_LAST_VERSION; deleted: skipped) */
					break;
				case TM_Invisible:
					elog(ERROR, "attempted to lock invisible tuple");
					break;
				default:
					elog(ERROR, "unexpected table_tuple_lock status");
					break;
			}
		}
	}
	index_endscan(scan);
	UnregisterSnapshot(snapshot);
	ExecDropSingleTupleTableSlot(slot);
	/* the locks last until the end of the transaction, as a statement's do */
	index_close(idx, NoLock);
	table_close(rel, NoLock);
	return true;
}

/* ---------------------------------------------------------------- an INSERT's events without the query */

/*
 * events_direct()'s lookups for src (false: the mapping is not one it
 * reads: tracked_rows.c), kept until one of its relations, a type, a
 * schema or a collation changes.
 */
static bool
events_lookup(TriggerData *td, SourceRow *src)
{
	EventsWay  *w = &src->events_way;
	uint64		gen = lookup_gen;

	if (w->known && w->gen == gen && w->rel == RelationGetRelid(td->tg_relation))
		return w->ok;
	w->known = true;
	w->gen = gen;
	w->rel = RelationGetRelid(td->tg_relation);
	w->ok = src->activities && src->events != NULL &&
		TrackedRowsLookup(td->tg_relation, src->lock_column, src->map_kind, src->map_at,
						  src->map_amount, src->key_map, &w->rows);
	return w->ok;
}

/*
 * The customer_id of key in the key map (false: none): found by the map's
 * primary key (scan), through keys first when there are keys (a large
 * statement's: each key is looked up once; the hash is emptied when it
 * outgrows maintenance_work_mem, as the sweep's passes are bounded).
 */
static bool
direct_customer(const TrackedRows *w, IndexScanDesc scan, TupleTableSlot *mslot, AttrNumber att_id,
				TrackedKeys *keys, Datum key, int64 *customer_id)
{
	ScanKeyData skey;
	bool		known;
	bool		isnull = true;

	if (keys != NULL && TrackedKeysGet(keys, key, &known, customer_id))
		return known;
	ScanKeyEntryInitialize(&skey, 0, 1, BTEqualStrategyNumber, w->type, w->collation,
						   w->eqproc, key);
	index_rescan(scan, &skey, 1, NULL, 0);
	if (index_getnext_slot(scan, ForwardScanDirection, mslot))
		*customer_id = DatumGetInt64(slot_getattr(mslot, att_id, &isnull));
	known = !isnull;
	if (keys != NULL)
	{
		if (TrackedKeysSpace(keys) > (Size) maintenance_work_mem * 1024)
			TrackedKeysReset(keys);
		TrackedKeysPut(keys, key, known, known ? *customer_id : 0);
	}
	return known;
}

/*
 * An INSERT's new events, read as the events query reads them (the compiled
 * EVENTS over the transition table) but without running it: its executor
 * start-up and planner were most of what a single-row INSERT's events cost.
 * Each new row gives its
 * event (TrackedRowEvent()), its customer looked up in the key map (none:
 * no event), and they continue their customers' fold in (customer_id, at,
 * tiebreak) order: a few (fewer than TRACK_LARGE) sorted in memory, more
 * through a tuplesort (bounded by work_mem).  Only while events_lookup()
 * says the mapping is one it reads.  false: it is not (any more: the key
 * map changed); nothing done.
 */
static bool
events_direct(TriggerData *td, SourceRow *src, CommandId since)
{
	TrackedRows *w = &src->events_way.rows;
	Tuplestorestate *ts = td->tg_newtable;
	int64		nrows = tuplestore_tuple_count(ts);
	bool		large = nrows >= TRACK_LARGE;
	Relation	map = try_table_open(src->key_map, AccessShareLock);
	MemoryContext mine = CurrentMemoryContext;
	MemoryContext rowcxt = NULL;
	Relation	idx;
	AttrNumber	att_id;
	const PrioConfig *cfg;
	TupleTableSlot *slot;
	TupleTableSlot *mslot;
	int			readptr;
	Snapshot	snapshot;
	IndexScanDesc scan;
	TrackedKeys *keys = NULL;
	EventKey   *few = NULL;
	text	  **kinds = NULL;
	Numeric    *amounts = NULL;
	Tuplesortstate *sort = NULL;
	TupleTableSlot *sslot = NULL;
	int64		n = 0;
	uint64		nread = 0;
	int			hint = -1;
	PrioInsertFold *fold;

	/* (the lock taken may have read an invalidation of the key map) */
	if (map == NULL || !events_lookup(td, src))
	{
		if (map != NULL)
			table_close(map, NoLock);
		return false;
	}
	idx = index_open(w->index, AccessShareLock);
	att_id = PrioAttnum(map, "customer_id", INT8OID);
	if (large)
	{
		TupleDesc	desc = CreateTemplateTupleDesc(5);
		AttrNumber	sortcols[3] = {1, 2, 3};
		Oid			ops[3];
		Oid			colls[3] = {InvalidOid, InvalidOid, InvalidOid};
		bool		nullsfirst[3] = {false, false, false};

		TupleDescInitEntry(desc, 1, "customer_id", INT8OID, -1, 0);
		TupleDescInitEntry(desc, 2, "at", TIMESTAMPTZOID, -1, 0);
		TupleDescInitEntry(desc, 3, "tiebreak", INT8OID, -1, 0);
		TupleDescInitEntry(desc, 4, "kind", TEXTOID, -1, 0);
		TupleDescInitEntry(desc, 5, "amount", NUMERICOID, -1, 0);
		ops[0] = ops[2] = lookup_type_cache(INT8OID, TYPECACHE_LT_OPR)->lt_opr;
		ops[1] = lookup_type_cache(TIMESTAMPTZOID, TYPECACHE_LT_OPR)->lt_opr;
		sort = tuplesort_begin_heap(desc, 3, sortcols, ops, colls, nullsfirst, work_mem, NULL,
									TUPLESORT_NONE);
		sslot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
		keys = TrackedKeysCreate(w->type, w->eqop, w->collation, mine, 1024);
		rowcxt = AllocSetContextCreate(mine, "prio tracked rows", ALLOCSET_DEFAULT_SIZES);
	}
	else
	{
		few = palloc(sizeof(EventKey) * Max(nrows, 1));
		kinds = palloc(sizeof(text *) * Max(nrows, 1));
		amounts = palloc(sizeof(Numeric) * Max(nrows, 1));
	}
	/* the kinds and the key map as a statement starting now would see them */
	CommandCounterIncrement();
	AcceptInvalidationMessages();
	cfg = prio_config(PRIO_API_CURRENT);

	slot = MakeSingleTupleTableSlot(RelationGetDescr(td->tg_relation), &TTSOpsMinimalTuple);
	readptr = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(ts, readptr);
	tuplestore_rescan(ts);
	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	mslot = table_slot_create(map, NULL);
	scan = index_beginscan(map, idx, snapshot, 1, 0);
	/* (a row read from disk is the slot's, in mine: not reset under it) */
	while (MemoryContextSwitchTo(mine), tuplestore_gettupleslot(ts, true, false, slot))
	{
		TrackedEvent ev;
		int64		customer_id;
		int64		tiebreak;

		CHECK_FOR_INTERRUPTS();
		/* a large statement's rows: each one's detoasted values in rowcxt */
		if (rowcxt != NULL)
		{
			if (++nread % 1024 == 0)
				MemoryContextReset(rowcxt);
			MemoryContextSwitchTo(rowcxt);
		}
		if (!TrackedRowEvent(w, slot, cfg, &hint, &ev))
			continue;
		/* (the index scan keeps memory it allocates as it goes: in mine) */
		MemoryContextSwitchTo(mine);
		if (!direct_customer(w, scan, mslot, att_id, keys, ev.key, &customer_id))
			continue;
		if (rowcxt != NULL)
			MemoryContextSwitchTo(rowcxt);
		tiebreak = TrackedEventTiebreak(VARDATA_ANY(ev.kind), VARSIZE_ANY_EXHDR(ev.kind), ev.amount);
		if (sort != NULL)
		{
			ExecClearTuple(sslot);
			sslot->tts_values[0] = Int64GetDatum(customer_id);
			sslot->tts_values[1] = TimestampTzGetDatum(ev.at);
			sslot->tts_values[2] = Int64GetDatum(tiebreak);
			sslot->tts_values[3] = PointerGetDatum(ev.kind);
			sslot->tts_values[4] = NumericGetDatum(ev.amount);
			memset(sslot->tts_isnull, 0, sizeof(bool) * 5);
			sslot->tts_isnull[4] = ev.amount == NULL;
			ExecStoreVirtualTuple(sslot);
			tuplesort_puttupleslot(sort, sslot);
			n++;
			continue;
		}
		few[n].customer_id = customer_id;
		few[n].at = ev.at;
		few[n].tiebreak = tiebreak;
		few[n].row = n;
		kinds[n] = (text *) PG_DETOAST_DATUM_COPY(PointerGetDatum(ev.kind));
		amounts[n] = ev.amount ? DatumGetNumericCopy(NumericGetDatum(ev.amount)) : NULL;
		n++;
	}
	MemoryContextSwitchTo(mine);
	index_endscan(scan);
	UnregisterSnapshot(snapshot);
	ExecDropSingleTupleTableSlot(mslot);
	tuplestore_select_read_pointer(ts, 0);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, NoLock);
	table_close(map, NoLock);

	fold = PrioInsertFoldBegin(PRIO_API_CURRENT, (double) n, since, true);
	if (sort != NULL)
	{
		MemoryContextDelete(rowcxt);
		if (keys != NULL)
			TrackedKeysFree(keys);
		tuplesort_performsort(sort);
		while (tuplesort_gettupleslot(sort, true, false, sslot, NULL))
		{
			bool		isnull;
			bool		amount_null;
			Datum		amount = slot_getattr(sslot, 5, &amount_null);

			PrioInsertFoldAdd(fold, DatumGetInt64(slot_getattr(sslot, 1, &isnull)),
							  DatumGetTimestampTz(slot_getattr(sslot, 2, &isnull)),
							  DatumGetInt64(slot_getattr(sslot, 3, &isnull)),
							  slot_getattr(sslot, 4, &isnull), amount, amount_null);
		}
		tuplesort_end(sort);
		ExecDropSingleTupleTableSlot(sslot);
	}
	else
	{
		if (n > 1)
			qsort(few, n, sizeof(EventKey), event_key_cmp);
		for (int64 i = 0; i < n; i++)
		{
			uint64		r = few[i].row;

			PrioInsertFoldAdd(fold, few[i].customer_id, few[i].at, few[i].tiebreak,
							  PointerGetDatum(kinds[r]), NumericGetDatum(amounts[r]),
							  amounts[r] == NULL);
		}
	}
	PrioInsertFoldEnd(fold);
	return true;
}

/*
 * Whether an INSERT into src takes INSERT_LOCK's locks before the rest:
 * an activities table's whose new events continue the fold, a deals
 * table's whose customers are a tracked customers table's.  (Its other
 * statements, and an activities table's without events, hold their lock
 * statement first.)
 */
static bool
insert_locks(TriggerData *td, SourceRow *src)
{
	return TRIGGER_FIRED_BY_INSERT(td->tg_event) && td->tg_newtable != NULL &&
		td->tg_trigger->tgnewtable != NULL && (!src->activities || src->events != NULL) &&
		ArrayGetNItems(ARR_NDIM(src->insert_lock), ARR_DIMS(src->insert_lock)) > 0;
}

/* the RangeVars named enr (no schema) of a statement */
typedef struct EnrRefs
{
	const char *enr;
	List	   *locations;
} EnrRefs;

static bool
find_enr_walker(Node *node, EnrRefs *refs)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeVar))
	{
		RangeVar   *rv = (RangeVar *) node;

		if (rv->schemaname == NULL && rv->catalogname == NULL && strcmp(rv->relname, refs->enr) == 0)
			refs->locations = lappend_int(refs->locations, rv->location);
		return false;
	}
	return raw_expression_tree_walker(node, find_enr_walker, (void *) refs);
}

/*
 * A customers table's compiled statement over every key of its key map
 * instead of the rows of its transition table enr (found in the parsed
 * text).  The DELETE over old_rows: what a TRUNCATE of one of its
 * partitions needs, whose rows are gone without a transition table; each
 * mirrored customer whose key the table no longer has goes, as after a
 * DELETE of its row.  (0.5) The INSERT over new_rows: every mirrored
 * customer written again from its row, as after an INSERT of it
 * (prio.recompute() of a table that noted an error).
 */
static char *
over_key_map(const char *stmt, SourceRow *src, const char *key, const char *enr)
{
	List	   *raw = raw_parser(stmt, RAW_PARSE_DEFAULT);
	EnrRefs		refs = {enr, NIL};
	StringInfoData sql;
	int			done = 0;
	ListCell   *lc;

	if (list_length(raw) != 1 || !OidIsValid(src->own_key_map))
		elog(ERROR, "the compiled SQL of tracked table %u is not one statement over its key map", src->relid);
	(void) find_enr_walker(linitial_node(RawStmt, raw)->stmt, &refs);
	list_sort(refs.locations, list_int_cmp);
	initStringInfo(&sql);
	foreach(lc, refs.locations)
	{
		int			at = lfirst_int(lc);

		if (at < done || strncmp(stmt + at, enr, strlen(enr)) != 0)
			elog(ERROR, "the compiled SQL of tracked table %u does not name %s as prio.track() does", src->relid, enr);
		appendBinaryStringInfo(&sql, stmt + done, at - done);
		appendStringInfo(&sql, "(SELECT m.key AS %s FROM %s m) %s", key,
						 DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(src->own_key_map))), enr);
		done = at + strlen(enr);
	}
	appendStringInfoString(&sql, stmt + done);
	return sql.data;
}

/*
 * Before a DELETE of many customers: prio.customer_state's statistics made
 * true where they say it holds less than half its rows.  Each customer
 * deleted deletes its state row (the foreign key's cascade, one statement a
 * row); planned with a table believed empty (vacuumed while empty, or while
 * track() was loading it, and not analyzed since), that statement scans
 * customer_state_owner_idx whole (customer_id is its last column) instead
 * of the primary key: 32,000 customers of a partition detached, over 100 s
 * instead of 4 s.  Only by the table's owner (ANALYZE's right; a TRUNCATE
 * of a partition by the application's role goes on without it).
 */
static void
refresh_state_stats(void)
{
	if (SPI_execute("SELECT 1 FROM pg_catalog.pg_class c"
					" WHERE c.oid OPERATOR(pg_catalog.=) '" PRIO_SCHEMA ".customer_state'::pg_catalog.regclass"
					"   AND pg_catalog.pg_has_role(c.relowner, 'MEMBER')"
					"   AND c.reltuples OPERATOR(pg_catalog.<) ((SELECT pg_catalog.count(*) FROM " PRIO_SCHEMA ".customer_state) OPERATOR(pg_catalog./) 2.0)",
					true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the statistics of prio.customer_state");
	if (SPI_processed == 1)
	{
		SPI_freetuptable(SPI_tuptable);
		if (SPI_execute("ANALYZE " PRIO_SCHEMA ".customer_state", false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not analyze prio.customer_state");
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * A customers table's compiled statements of op over every key of its key
 * map (over_key_map()): DELETE, the customers whose keys it no longer has
 * removed; INSERT, every customer written again from its row.  The key
 * column's name, quoted, as prio.track() checked the mapping's key (a
 * column): the mapping's text is not written into the SQL.
 */
static void
run_over_key_map(SourceRow *src, int op, const char *enr)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		args[2];
	char	   *key;

	if (src->own_key == NULL)
		elog(ERROR, "tracked table %u has no key", src->relid);
	args[0] = ObjectIdGetDatum(src->relid);
	args[1] = CStringGetTextDatum(src->own_key);
	if (SPI_execute_with_args("SELECT pg_catalog.quote_ident(a.attname) FROM " PRIO_SCHEMA "._track_compile($1, 'key', $2, NULL) c"
							  " JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) $1 AND a.attnum OPERATOR(pg_catalog.=) c.attnum",
							  2, types, args, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "the key of tracked table %u is not one of its columns", src->relid);
	key = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	SPI_freetuptable(SPI_tuptable);

	if (op == 2)
		refresh_state_stats();
	deconstruct_array(src->stmts[op], TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			continue;
		if (SPI_execute_plan(plan_for(src->relid, over_key_map(TextDatumGetCString(elems[i]), src, key, enr),
									  false, false, NULL),
							 NULL, NULL, false, 0) < 0)
			elog(ERROR, "could not run the compiled SQL of tracked table %u", src->relid);
		SPI_freetuptable(SPI_tuptable);
	}
}

/* prio._track_refold_source() of src (a deals table's partition truncated) */
static void
run_refold(SourceRow *src)
{
	Oid			type = INT4OID;
	Datum		arg = Int32GetDatum(src->source_id);

	if (SPI_execute_with_args("SELECT " PRIO_SCHEMA "._track_refold_source($1)", 1, &type, &arg, NULL, false, 0)
		!= SPI_OK_SELECT)
		elog(ERROR, "could not mirror tracked table %u again", src->relid);
	SPI_freetuptable(SPI_tuptable);
}

/*
 * A customers table's statements of op over every key of its key map
 * (run_over_key_map()), as the trigger would run them.
 */
static void
track_over_key_map(int32 source_id, int op, const char *enr, const char *fn)
{
	SourceRow  *volatile src = NULL;
	int			n;
	SourceVersion *v;
	Oid			outer = cur_trel;
	int			nest;

	SPI_connect();
	v = read_versions(source_id, &n);
	for (int i = 0; i < n; i++)
		if (v[i].source_id == source_id)
			src = source_row(v[i].source_id, v[i].xmin, &v[i].ctid);
	if (src == NULL || src->activities || src->deals)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("prio.%s(): %d is not a tracked customers table", fn, source_id)));
	if (!signature_ok(source_id, src->relid, src->signature))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the name or the columns of tracked table %u changed since prio.track()", src->relid)));
	cur_trel = InvalidOid;
	PG_TRY();
	{
		nest = PrioTrackedParseBegin();
		run_over_key_map(src, op, enr);
		PrioTrackedParseEnd(nest);
	}
	PG_FINALLY();
	{
		cur_trel = outer;
	}
	PG_END_TRY();
	SPI_finish();
}

/*
 * prio._track_keys_gone(source_id): what a TRUNCATE of one of its
 * partitions does, for a partition detached or dropped (prio.track_ddl()).
 */
void
PrioTrackKeysGone(int32 source_id)
{
	track_over_key_map(source_id, 2, "old_rows", "_track_keys_gone");
}

/*
 * (0.5) prio._track_keys_again(source_id): every mirrored customer of a
 * customers table written again from its row, for prio.recompute() of a
 * table that noted an error (a change of some row that did not reach prio).
 */
void
PrioTrackKeysAgain(int32 source_id)
{
	track_over_key_map(source_id, 0, "new_rows", "_track_keys_again");
}

/*
 * prio's side of the statement; an error is the caller's to catch.  The
 * compiled SQL runs with the settings prio.track() wrote it for
 * (PrioTrackedParseBegin()): set before the first of it runs, so that a
 * single-row INSERT read by events_direct() sets none.
 */
static void
apply(TriggerData *td, SourceRow *src, SourceRow **attached, int nattached, CommandId since,
	  bool locked)
{
	Tuplestorestate *ts = td->tg_newtable ? td->tg_newtable : td->tg_oldtable;
	bool		large = ts != NULL && tuplestore_tuple_count(ts) >= TRACK_LARGE;
	int			op = op_index(td->tg_event);
	int			nest = -1;

	/*
	 * The application's rows of those customers first, as its UPDATE of one
	 * locks it: every writer takes them before prio's own locks
	 */
	if (insert_locks(td, src) && !locked && !lock_direct(td, src, false))
	{
		nest = PrioTrackedParseBegin();
		run_statements(src->relid, src->insert_lock, large);
	}
	if (src->activities && op == 0 && src->events != NULL &&
		td->tg_newtable != NULL && td->tg_trigger->tgnewtable != NULL)
	{
		if (!events_direct(td, src, since))
		{
			if (nest < 0)
				nest = PrioTrackedParseBegin();
			insert_events(td, src->relid, src->events, since);
		}
	}
	else if (op == 3 && !src->activities && RelationGetRelid(td->tg_relation) != src->relid)
	{
		/*
		 * A partition of a customers or deals table truncated: the compiled
		 * TRUNCATE would remove every customer (deal), those of the other
		 * partitions too.  A deals table is mirrored again, as after a
		 * partition detached (its customers' rows locked first).
		 */
		if (nest < 0)
			nest = PrioTrackedParseBegin();
		if (src->deals)
			run_refold(src);
		else
			run_over_key_map(src, 2, "old_rows");
	}
	else
	{
		if (nest < 0)
			nest = PrioTrackedParseBegin();
		run_statements(src->relid, src->stmts[op], large);
	}

	/*
	 * A customers table whose activities are tracked: its customers new, or
	 * under a new key, are folded with the activities of their key (those
	 * statements name the activities table's columns: only while they are
	 * what track() checked).  (Its deals tables' after: follow_deals().)
	 */
	for (int i = 0; i < nattached; i++)
	{
		SourceRow  *a = attached[i];

		if (a->deals ||
			ArrayGetNItems(ARR_NDIM(a->on_customers[op]), ARR_DIMS(a->on_customers[op])) == 0 ||
			!signature_ok(a->source_id, a->relid, a->signature))
			continue;
		/* (they read this table's transition tables: its plans) */
		if (nest < 0)
			nest = PrioTrackedParseBegin();
		run_statements(src->relid, a->on_customers[op], large);
	}
	if (nest >= 0)
		PrioTrackedParseEnd(nest);
}

/* apply()'s arguments, for PrioTry() */
typedef struct ApplyArgs
{
	TriggerData *td;
	SourceRow  *src;
	SourceRow **attached;
	int			nattached;
	CommandId	since;
	bool		locked;
} ApplyArgs;

static void
apply_try(void *arg)
{
	ApplyArgs  *a = arg;

	apply(a->td, a->src, a->attached, a->nattached, a->since, a->locked);
}

/* follow_deals()'s arguments, for PrioTry() */
typedef struct FollowArgs
{
	Oid			relid;			/* the customers table */
	Oid			deals;			/* the deals table */
	Datum	   *stmts;			/* the statements after the first */
	bool	   *nulls;
	int			n;
	bool		large;
} FollowArgs;

static void
follow_try(void *arg)
{
	FollowArgs *f = arg;
	int			nest;

	/*
	 * The deals table first, before any snapshot is taken: an untrack() of
	 * it holds it until it commits, and the statements (the first, a gate,
	 * checks that the table is still tracked) then see that it is not -- a
	 * snapshot taken before would have them mirror its deals again, after
	 * untrack() removed them, for a table no longer tracked.
	 */
	LockRelationOid(f->deals, AccessShareLock);
	nest = PrioTrackedParseBegin();

	/*
	 * (they read the customers table's transition tables: its plans)
	 *
	 * Under REPEATABLE READ or SERIALIZABLE, with the latest snapshot, as the
	 * foreign keys' actions read: the transaction's would have them write (or
	 * ON CONFLICT find) a mirror that a deals writer committed after it was
	 * taken -- a serialization failure (40001) the application alone does not
	 * get, its statement writing no deal -- and mirror the deals as they were
	 * then rather than as that writer left them.
	 */
	for (int i = 1; i < f->n; i++)
	{
		int			rc;
		bool		isnull = true;
		bool		stop = false;

		if (f->nulls[i])
			continue;
		rc = SPI_execute_snapshot(plan_for(f->relid, TextDatumGetCString(f->stmts[i]), false, f->large, NULL),
								  NULL, NULL,
								  IsolationUsesXactSnapshot() ? GetLatestSnapshot() : InvalidSnapshot,
								  InvalidSnapshot, false, true, 0);
		if (rc < 0)
			elog(ERROR, "could not run the compiled SQL of tracked table %u", f->relid);
		/* a SELECT of one boolean (the gate): false, nothing to do */
		if (rc == SPI_OK_SELECT && SPI_processed == 1 && SPI_tuptable->tupdesc->natts == 1 &&
			TupleDescAttr(SPI_tuptable->tupdesc, 0)->atttypid == BOOLOID)
			stop = !DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) ||
				isnull;
		SPI_freetuptable(SPI_tuptable);
		if (stop)
			break;
	}
	PrioTrackedParseEnd(nest);
}

/*
 * (0.5) A customers table whose deals are tracked, once its own sync (and
 * its activities tables') went through: its customers new, or under a new
 * key, get the deals of their key mirrored and lose any other (the
 * ON_CUSTOMERS statements of each deals table: they write the mirrors of
 * the statement's own customers only, whose application rows the statement
 * holds, and leave a deal mirrored for another customer to the deals
 * table's trigger or recompute()).  The first statement says whether any
 * key is new (most UPDATEs change none): it reads the transition tables
 * alone, with the key the customers table's own statements just read, and
 * runs here; the others, only then, each deals table's in a subtransaction
 * of its own: a deal row prio cannot hold is that table's error (a WARNING
 * and its last_error), not the customers table's, whose sync stays.
 */
static void
follow_deals(TriggerData *td, const char *op, SourceRow **attached, int nattached)
{
	Tuplestorestate *ts = td->tg_newtable ? td->tg_newtable : td->tg_oldtable;
	int			opi = op_index(td->tg_event);
	Oid			relid = RelationGetRelid(td->tg_relation);
	bool		large = ts != NULL && tuplestore_tuple_count(ts) >= TRACK_LARGE;

	for (int i = 0; i < nattached; i++)
	{
		SourceRow  *a = attached[i];
		FollowArgs	f;
		ErrorData  *edata;
		int			nest;
		bool		isnull = true;
		bool		any = false;

		if (!a->deals ||
			ArrayGetNItems(ARR_NDIM(a->on_customers[opi]), ARR_DIMS(a->on_customers[opi])) < 2 ||
			!signature_ok(a->source_id, a->relid, a->signature))
			continue;
		f.relid = relid;
		f.deals = a->relid;
		f.large = large;
		deconstruct_array(a->on_customers[opi], TEXTOID, -1, false, TYPALIGN_INT,
						  &f.stmts, &f.nulls, &f.n);
		if (f.nulls[0])
			continue;
		nest = PrioTrackedParseBegin();
		if (SPI_execute_plan(plan_for(relid, TextDatumGetCString(f.stmts[0]), false, large, NULL),
							 NULL, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not run the compiled SQL of tracked table %u", relid);
		if (SPI_processed == 1 && SPI_tuptable->tupdesc->natts == 1)
			any = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) &&
				!isnull;
		SPI_freetuptable(SPI_tuptable);
		PrioTrackedParseEnd(nest);
		if (!any)
			continue;

		edata = PrioTry(follow_try, &f, true);
		if (edata != NULL)
		{
			char	   *name = DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid)));
			char	   *deals = DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(a->relid)));

			note_error(a->source_id, edata->message);
			ereport(WARNING,
					(errmsg("prio: the deals of %s did not follow this %s of %s: %s", deals, op, name,
							edata->message),
					 errdetail("SQLSTATE %s; the write itself, and its customers' sync, went through.",
							   unpack_sql_state(edata->sqlerrcode)),
					 errhint("See prio.tracked.last_error of %s; fix the row or the mapping (prio.untrack() and prio.track()), then prio.recompute() resynchronises.",
							 deals)));
			FreeErrorData(edata);
		}
	}
}

static void
source_changed(TriggerData *td, int32 source_id)
{
	Oid			relid = RelationGetRelid(td->tg_relation);
	const char *op = op_names[op_index(td->tg_event)];
	SourceRow  *src;
	SourceRow **attached;
	int			nattached;
	MemoryContext cxt;
	bool		locked;
	ApplyArgs	a;
	ErrorData  *edata;

	/*
	 * The statement's command id: state rows written since (by an
	 * application's trigger that fired before this one) are refolded.
	 */
	CommandId	since = ActiveSnapshotSet() ? GetActiveSnapshot()->curcid : FirstCommandId;

	SPI_connect();
	cxt = CurrentMemoryContext;
	src = read_sources(source_id, relid, &attached, &nattached);
	if (src == NULL)
	{
		SPI_finish();
		return;
	}

	/*
	 * A TRUNCATE fires the TRUNCATE triggers of every table it empties (of
	 * a partitioned table: each partition's too), after all of them: the
	 * first trigger of the source in the statement does what they all would
	 * (refolds every customer of an activities table; of a customers table,
	 * removes the customers whose keys are gone).
	 */
	if (op_index(td->tg_event) == 3)
	{
		TransactionId xid = GetTopTransactionIdIfAny();

		if (TransactionIdIsValid(xid) && truncated.source_id == source_id &&
			truncated.xid == xid && truncated.cid == since)
		{
			SPI_finish();
			return;
		}
		truncated.source_id = source_id;
		truncated.xid = xid;
		truncated.cid = since;
	}

	/*
	 * The compiled SQL is what track() checked for the table and columns as
	 * they were: a table renamed, a column renamed, dropped, or of another
	 * type now (whose casts could be anyone's functions) -- it is not run as
	 * prio's owner.
	 */
	if (!signature_ok(source_id, src->relid, src->signature))
	{
		char	   *name = DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid)));
		char	   *msg = psprintf("the name or the columns of %s changed since prio.track()", name);

		note_error(source_id, msg);
		ereport(WARNING,
				(errmsg("prio: this %s of %s did not reach prio: %s", op, name, msg),
				 errhint("prio.untrack() and prio.track() the table again to check the mapping against its columns now.")));
		SPI_finish();
		return;
	}

	if (SPI_register_trigger_data(td) != SPI_OK_TD_REGISTER)
		elog(ERROR, "could not register the transition tables of tracked table %u", relid);

	/* an INSERT's customers rows locked by the transaction itself (lock_direct) */
	locked = insert_locks(td, src) && lock_direct(td, src, true);

	/*
	 * An error of the server's or the session's is raised; any other, prio's
	 * own internal errors too, must not fail the application's write.
	 */
	a = (ApplyArgs) {td, src, attached, nattached, since, locked};
	MemoryContextSwitchTo(cxt);
	edata = PrioTry(apply_try, &a, true);
	if (edata != NULL)
	{
		char	   *name = DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid)));
		char	   *customers = NULL;

		/* a customers table renamed: say so, not that the old name is gone */
		if (src->customers != 0 &&
			(edata->sqlerrcode == ERRCODE_UNDEFINED_TABLE || edata->sqlerrcode == ERRCODE_UNDEFINED_COLUMN))
			customers = customers_changed(src->customers);
		if (customers != NULL)
		{
			char	   *msg = psprintf("its customers table (%s) changed since prio.track()", customers);

			note_error(source_id, msg);
			ereport(WARNING,
					(errmsg("prio: this %s of %s did not reach prio: %s", op, name, msg),
					 errdetail("The write itself went through."),
					 errhint("prio.untrack() and prio.track() the customers table and its activities tables again, then prio.recompute() resynchronises.")));
		}
		else
		{
			note_error(source_id, edata->message);
			ereport(WARNING,
					(errmsg("prio: this %s of %s did not reach prio: %s", op, name, edata->message),
					 errdetail("SQLSTATE %s; the write itself went through.",
							   unpack_sql_state(edata->sqlerrcode)),
					 edata->hint != NULL ? errhint("%s", edata->hint)
					 : errhint("See prio.tracked.last_error; fix the row or the mapping (prio.untrack() and prio.track()), then prio.recompute() resynchronises.")));
		}
		FreeErrorData(edata);
	}
	else if (nattached > 0)
		follow_deals(td, op, attached, nattached);
	SPI_finish();
}

/* the source_id the trigger's one argument gives, or -1 */
static pg_noinline int32
source_arg(TriggerData *td)
{
	const char *arg;
	int32		id = 0;

	if (td->tg_trigger->tgnargs != 1)
		return -1;
	arg = td->tg_trigger->tgargs[0];
	if (strlen(arg) < 1 || strlen(arg) > 9 || strspn(arg, "0123456789") != strlen(arg))
		return -1;
	for (const char *c = arg; *c; c++)
		id = id * 10 + (*c - '0');
	return id;
}

/*
 * prio.source_changed(): td is an AFTER statement trigger's (checked by
 * the caller); its one argument is the source_id (a trigger with other
 * arguments is none of prio's: nothing happens).
 */
void
PrioSourceChanged(TriggerData *td)
{
	int32		id = source_arg(td);

	if (id < 0)
		return;
	free_stale();
	running++;
	/* (a trigger may fire within another's statements: cur_trel restored) */
	{
		Oid			outer = cur_trel;

		cur_trel = RelationGetRelid(td->tg_relation);
		PG_TRY();
		{
			source_changed(td, id);
		}
		PG_FINALLY();
		{
			running--;
			cur_trel = outer;
		}
		PG_END_TRY();
	}
}
