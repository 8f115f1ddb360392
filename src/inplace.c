/*
 * inplace.c
 *		The state writer's update of rows the insert trigger has locked,
 *		without an UPDATE statement.
 *
 * The UPDATE was most of what prio added to a single-row INSERT (a profile:
 * 48 of the trigger's 78 us), and little of it was writing: executor
 * start-up, finding the row by its key again, and preparing the tier CHECK
 * and state_closed's WHEN anew for every statement.  Here the locked
 * version is updated where it is, and what the executor would have done
 * around it is done too:
 *  - CHECK constraints, prepared once per backend (again when one changes);
 *  - NOT NULL;
 *  - index entries, when the update is not HOT;
 *  - state_closed (its WHEN, then the row remembered) and its flush.
 * Foreign keys' triggers have nothing to do: prio never changes a key, and
 * a row this transaction wrote already passed an immediate check.  Anything
 * else on the table -- a user's trigger on UPDATE, row-level security, a
 * generated column, a deferrable constraint, session_replication_role other
 * than origin -- and InPlaceBegin() says no: the writer runs the UPDATE.
 */
#include "prio.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "utils/memutils.h"
#include "utils/rel.h"

struct InPlace
{
	MemoryContext cxt;			/* the writer's own: outlives its batches */
	Relation	rel;
	int			ncols;
	AttrNumber	att[STATE_NCOLS];	/* the writer's columns in the table */
	AttrNumber	updated_at;
	bool		remember;		/* state_closed fires */
	bool		flush;			/* state_closed_flush fires */
	Datum	   *values;			/* a row of the table */
	bool	   *isnull;
	TupleTableSlot *slot;
	EState	   *estate;			/* for index entries: made when first needed */
	ResultRelInfo *rri;
};

/* prio_state_columns[] positions of the two enum columns */
#define COL_STAGE 10
#define COL_EFFECTIVE_STAGE 11

/*
 * customer_state's CHECK constraints, prepared: per backend, since
 * preparing them per statement is what made the UPDATE slow.  Kept while
 * the table's constraints read the same.
 */
static MemoryContext checks_cxt = NULL;
static int	nchecks = -1;
static char **check_bin;
static char **check_name;
static ExprState **check_state;
static ExprContext *check_econtext;

static void
checks_prepare(TupleDesc desc)
{
	int			n = desc->constr ? desc->constr->num_check : 0;
	ConstrCheck *cc = n > 0 ? desc->constr->check : NULL;
	bool		same = (nchecks == n);
	MemoryContext old;

	for (int i = 0; same && i < n; i++)
		same = strcmp(check_bin[i], cc[i].ccbin) == 0;
	if (same)
		return;
	if (checks_cxt == NULL)
		checks_cxt = AllocSetContextCreate(TopMemoryContext, "prio state checks",
										   ALLOCSET_SMALL_SIZES);
	MemoryContextReset(checks_cxt);
	nchecks = -1;
	old = MemoryContextSwitchTo(checks_cxt);
	check_bin = palloc(sizeof(char *) * Max(n, 1));
	check_name = palloc(sizeof(char *) * Max(n, 1));
	check_state = palloc(sizeof(ExprState *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		check_bin[i] = pstrdup(cc[i].ccbin);
		check_name[i] = pstrdup(cc[i].ccname);
		check_state[i] = ExecInitExpr(expression_planner((Expr *) stringToNode(cc[i].ccbin)),
									  NULL);
	}
	check_econtext = CreateStandaloneExprContext();
	MemoryContextSwitchTo(old);
	nchecks = n;
}

/* prio's row triggers and statement triggers on customer_state, by function */
static Oid	closed_fn = InvalidOid;
static Oid	flush_fn = InvalidOid;

static Oid
prio_function(const char *name)
{
	return LookupFuncName(list_make2(makeString(PRIO_SCHEMA), makeString((char *) name)),
						  0, NULL, true);
}

/*
 * Whether every trigger that fires on UPDATE of rel is prio's own or a
 * foreign key's immediate one; which of prio's fire.
 */
static bool
known_triggers(Relation rel, bool *remember, bool *flush)
{
	TriggerDesc *td = rel->trigdesc;
	bool		looked_up = false;

	*remember = *flush = false;
	for (int i = 0; td != NULL && i < td->numtriggers; i++)
	{
		Trigger    *t = &td->triggers[i];
		bool		after = TRIGGER_FOR_AFTER(t->tgtype);
		bool		row = TRIGGER_FOR_ROW(t->tgtype);

		if (!TRIGGER_FOR_UPDATE(t->tgtype) || t->tgenabled == TRIGGER_DISABLED)
			continue;
		if (t->tgisinternal && !t->tgdeferrable &&
			RI_FKey_trigger_type(t->tgfoid) != RI_TRIGGER_NONE)
			continue;
		if (t->tgisinternal || t->tgenabled != TRIGGER_FIRES_ON_ORIGIN || !after ||
			t->tgnargs != 0 || t->tgnattr != 0 || t->tgoldtable || t->tgnewtable)
			return false;
		/* cached: the functions' OIDs change only when the extension is made again */
		if ((t->tgfoid != closed_fn && t->tgfoid != flush_fn) && !looked_up)
		{
			closed_fn = prio_function("state_closed");
			flush_fn = prio_function("state_closed_flush");
			looked_up = true;
		}
		if (t->tgfoid == closed_fn && row && t->tgqual != NULL)
			*remember = true;
		else if (t->tgfoid == flush_fn && !row && t->tgqual == NULL)
			*flush = true;
		else
			return false;
	}
	return true;
}

/*
 * Column name of type type in rel, looked for at guess first (the writer's
 * columns are in table order); InvalidAttrNumber if it has another type:
 * the UPDATE would cast, a write in place cannot.
 */
static AttrNumber
column_at(Relation rel, const char *name, Oid type, AttrNumber guess)
{
	TupleDesc	desc = RelationGetDescr(rel);
	AttrNumber	a = guess;
	Form_pg_attribute att;

	if (a < 1 || a > desc->natts ||
		TupleDescAttr(desc, a - 1)->attisdropped ||
		strcmp(NameStr(TupleDescAttr(desc, a - 1)->attname), name) != 0)
		a = PrioAttnum(rel, name, InvalidOid);
	att = TupleDescAttr(desc, a - 1);
	return att->atttypid == type ? a : InvalidAttrNumber;
}

/*
 * Open customer_state for writing the first ncols of the writer's columns
 * in place; NULL when its UPDATE must run instead.
 */
InPlace *
InPlaceBegin(int ncols)
{
	Relation	rel = table_open(PrioRelid("customer_state"), RowExclusiveLock);
	TupleDesc	desc = RelationGetDescr(rel);
	bool		remember;
	bool		flush;
	AttrNumber	att[STATE_NCOLS];
	AttrNumber	updated_at = InvalidAttrNumber;
	bool		ok = true;
	InPlace    *ip;

	for (int c = 0; ok && c < ncols; c++)
	{
		att[c] = column_at(rel, prio_state_columns[c],
						   c == COL_STAGE || c == COL_EFFECTIVE_STAGE ? StageTypeOid()
						   : prio_state_types[c], c == 0 ? 1 : att[c - 1] + 1);
		ok = (att[c] != InvalidAttrNumber);
	}
	if (ok)
	{
		updated_at = column_at(rel, "updated_at", TIMESTAMPTZOID, att[ncols - 1] + 1);
		ok = (updated_at != InvalidAttrNumber);
	}
	if (!ok || SessionReplicationRole != SESSION_REPLICATION_ROLE_ORIGIN ||
		rel->rd_rel->relrowsecurity ||
		(desc->constr != NULL && desc->constr->has_generated_stored) ||
		!known_triggers(rel, &remember, &flush))
	{
		/* the UPDATE takes the same lock */
		table_close(rel, NoLock);
		return NULL;
	}
	/* what the UPDATE would say of a table published without a replica identity */
	CheckCmdReplicaIdentity(rel, CMD_UPDATE);
	checks_prepare(desc);

	ip = palloc0(sizeof(InPlace));
	ip->cxt = CurrentMemoryContext;
	ip->rel = rel;
	ip->ncols = ncols;
	ip->remember = remember;
	ip->flush = flush;
	memcpy(ip->att, att, sizeof(AttrNumber) * ncols);
	ip->updated_at = updated_at;
	ip->values = palloc(sizeof(Datum) * desc->natts);
	ip->isnull = palloc(sizeof(bool) * desc->natts);
	ip->slot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
	return ip;
}

static void
check_constraints(InPlace *ip, HeapTuple tup)
{
	ExecStoreHeapTuple(tup, ip->slot, false);
	check_econtext->ecxt_scantuple = ip->slot;
	for (int i = 0; i < nchecks; i++)
		if (!ExecCheck(check_state[i], check_econtext))
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("new row for relation \"%s\" violates check constraint \"%s\"",
							RelationGetRelationName(ip->rel), check_name[i]),
					 errtableconstraint(ip->rel, check_name[i])));
	ResetExprContext(check_econtext);
	ExecClearTuple(ip->slot);
}

/* a version that is not heap-only: every index needs an entry for it */
static void
insert_index_entries(InPlace *ip, HeapTuple tup)
{
	List	   *recheck;

	if (ip->estate == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(ip->cxt);

		ip->estate = CreateExecutorState();
		ip->rri = makeNode(ResultRelInfo);
		InitResultRelInfo(ip->rri, ip->rel, 0, NULL, 0);
		ExecOpenIndices(ip->rri, false);
		MemoryContextSwitchTo(old);
	}
	if (ip->rri->ri_NumIndices == 0)
		return;
	ExecStoreHeapTuple(tup, ip->slot, false);
	recheck = ExecInsertIndexTuples(ip->rri, ip->slot, ip->estate, false, false, NULL, NIL);
	/* a deferred check would have come with a trigger known_triggers() refuses */
	Assert(recheck == NIL);
	list_free(recheck);
	ResetPerTupleExprContext(ip->estate);
	ExecClearTuple(ip->slot);
}

static bool
closing(PrioStage s)
{
	return s == STAGE_WON || s == STAGE_LOST;
}

/* Write row r of the writer's batch over the version it locked. */
void
InPlaceUpdate(InPlace *ip, StateWriter *w, int r)
{
	TupleDesc	desc = RelationGetDescr(ip->rel);
	HeapTupleData old;
	HeapTuple	tup;
	PrioStage	was;
	PrioStage	stage = w->stages[2 * r];

	old.t_data = DatumGetHeapTupleHeader(w->old_rows[r]);
	old.t_len = HeapTupleHeaderGetDatumLength(old.t_data);
	ItemPointerSetInvalid(&old.t_self);
	old.t_tableOid = RelationGetRelid(ip->rel);
	heap_deform_tuple(&old, desc, ip->values, ip->isnull);
	was = StageFromDatum(ip->values[ip->att[COL_STAGE] - 1]);

	for (int c = 0; c < ip->ncols; c++)
	{
		int			a = ip->att[c] - 1;

		ip->isnull[a] = w->nul[c][r];
		if (c == COL_STAGE || c == COL_EFFECTIVE_STAGE)
			ip->values[a] = StageGetDatum(w->stages[2 * r + c - COL_STAGE]);
		else
			ip->values[a] = w->v[c][r];
		if (ip->isnull[a] && TupleDescAttr(desc, a)->attnotnull)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("null value in column \"%s\" of relation \"%s\" violates not-null constraint",
							prio_state_columns[c], RelationGetRelationName(ip->rel)),
					 errtablecol(ip->rel, ip->att[c])));
	}
	ip->values[ip->updated_at - 1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	ip->isnull[ip->updated_at - 1] = false;
	tup = heap_form_tuple(desc, ip->values, ip->isnull);
	if (nchecks > 0)
		check_constraints(ip, tup);

	/* the caller locked this version: nobody else can have changed it */
	simple_heap_update(ip->rel, &w->tids[r], tup);
	if (!HeapTupleIsHeapOnly(tup))
		insert_index_entries(ip, tup);

	/* state_closed's WHEN */
	if (ip->remember && was != stage && (closing(was) || closing(stage)))
		OutcomeRemember(w->old_rows[r], stage);
	heap_freetuple(tup);
}

/* After a batch: what follows sees it; state_closed_flush's turn. */
void
InPlaceBatchDone(InPlace *ip)
{
	CommandCounterIncrement();
	if (ip->flush)
		OutcomesFlush();
}

void
InPlaceEnd(InPlace *ip)
{
	if (ip->estate != NULL)
	{
		ExecCloseIndices(ip->rri);
		FreeExecutorState(ip->estate);
	}
	ExecDropSingleTupleTableSlot(ip->slot);
	table_close(ip->rel, NoLock);
}
