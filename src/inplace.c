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
 *  - CHECK constraints and state_closed's WHEN, prepared once per backend
 *    (again when one of them or any function changes);
 *  - NOT NULL; dropped columns set to NULL;
 *  - index entries, when the update is not HOT;
 *  - state_closed (the row remembered when its WHEN holds) and its flush.
 * A foreign key whose columns prio does not write has nothing to check: the
 * key is unchanged, and a customer_state row inserted by this transaction
 * (whose insert check an update would otherwise have to repeat) belongs to
 * a customers row that the activity's own foreign key has just locked.
 * Anything else on the table -- a user's trigger or rule on UPDATE, a
 * foreign key on a column prio writes, row-level security, a generated
 * column, a deferrable constraint, a column of another type, or
 * session_replication_role other than origin -- and InPlaceBegin() says
 * no: the writer runs the UPDATE.
 */
#include "prio.h"

#include "access/heapam.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "rewrite/rewriteManip.h"
#include "storage/bufmgr.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

struct InPlace
{
	MemoryContext cxt;			/* the writer's own: outlives its batches */
	Relation	rel;
	int			ncols;
	AttrNumber	att[STATE_NCOLS];	/* the writer's columns in the table */
	AttrNumber	updated_at;
	bool		remember;		/* state_closed fires */
	bool		flush;			/* state_closed_flush fires */
	struct PreparedSet *prepared;
	int			ndropped;
	AttrNumber *dropped;
	Datum	   *values;			/* a row of the table */
	bool	   *isnull;
	TupleTableSlot *oldslot;	/* the locked version, on its page */
	TupleTableSlot *newslot;
	EState	   *estate;			/* for index entries: made when first needed */
	ResultRelInfo *rri;
};

/* prio_state_columns[] positions of the two enum columns */
#define COL_STAGE 10
#define COL_EFFECTIVE_STAGE 11

/*
 * customer_state's CHECK constraints and state_closed's WHEN, prepared once
 * per backend: preparing them for every statement is what made the UPDATE
 * slow.  Kept while the catalog says the same (their text, the constraints'
 * names) and no function, type (a domain's constraints), constraint or
 * customer_state itself has changed since.  A set replaced while a writer
 * may still use it, and one made for a writer nested inside an evaluation
 * (a CHECK's function that inserts activities), are freed at the end of the
 * transaction.
 */
typedef struct Prepared
{
	char	   *text;			/* ccbin, tgqual */
	char	   *name;
	ExprState  *state;
} Prepared;

typedef struct PreparedSet
{
	MemoryContext cxt;
	bool		valid;			/* no function, type or constraint changed since */
	int			busy;			/* evaluating: a nested writer needs its own */
	int			nchecks;
	Prepared   *checks;
	Prepared	when;			/* text NULL: no state_closed */
	ExprContext *econtext;
} PreparedSet;

static PreparedSet *prepared = NULL;
static MemoryContext retired_cxt = NULL;

static void
forget_prepared(Datum arg, int cacheid, uint32 hashvalue)
{
	if (prepared != NULL)
		prepared->valid = false;
}

static void
forget_prepared_rel(Datum arg, Oid relid)
{
	if (prepared != NULL)
		prepared->valid = false;
}

static void
free_retired(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		MemoryContextReset(retired_cxt);
		/* an error inside an evaluation left it marked */
		if (prepared != NULL)
			prepared->busy = 0;
	}
}

static bool
prepared_same(const PreparedSet *p, TupleDesc desc, const char *tgqual)
{
	int			n = desc->constr ? desc->constr->num_check : 0;

	if (p == NULL || !p->valid || p->nchecks != n ||
		(p->when.text == NULL) != (tgqual == NULL) ||
		(tgqual != NULL && strcmp(p->when.text, tgqual) != 0))
		return false;
	for (int i = 0; i < n; i++)
		if (strcmp(p->checks[i].text, desc->constr->check[i].ccbin) != 0 ||
			strcmp(p->checks[i].name, desc->constr->check[i].ccname) != 0)
			return false;
	return true;
}

/* as ExecRelCheck and TriggerEnabled prepare them */
static PreparedSet *
prepare(TupleDesc desc, const char *tgqual)
{
	int			n = desc->constr ? desc->constr->num_check : 0;
	MemoryContext cxt;
	MemoryContext old;
	PreparedSet *p;

	bool		nested = (prepared != NULL && prepared->busy > 0);

	if (!nested && prepared_same(prepared, desc, tgqual))
		return prepared;
	if (retired_cxt == NULL)
	{
		retired_cxt = AllocSetContextCreate(TopMemoryContext, "prio retired expressions",
											ALLOCSET_SMALL_SIZES);
		CacheRegisterSyscacheCallback(PROCOID, forget_prepared, (Datum) 0);
		CacheRegisterSyscacheCallback(TYPEOID, forget_prepared, (Datum) 0);
		CacheRegisterSyscacheCallback(CONSTROID, forget_prepared, (Datum) 0);
		CacheRegisterRelcacheCallback(forget_prepared_rel, (Datum) 0);
		RegisterXactCallback(free_retired, NULL);
	}
	if (prepared != NULL && !nested)
	{
		MemoryContextSetParent(prepared->cxt, retired_cxt);
		prepared = NULL;
	}

	cxt = AllocSetContextCreate(retired_cxt, "prio in-place expressions", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	p = palloc0(sizeof(PreparedSet));
	p->cxt = cxt;
	p->checks = palloc0(sizeof(Prepared) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		p->checks[i].text = pstrdup(desc->constr->check[i].ccbin);
		p->checks[i].name = pstrdup(desc->constr->check[i].ccname);
		p->checks[i].state = ExecInitExpr(expression_planner(stringToNode(p->checks[i].text)),
										  NULL);
	}
	p->nchecks = n;
	if (tgqual != NULL)
	{
		Node	   *qual = stringToNode(tgqual);

		ChangeVarNodes(qual, PRS2_OLD_VARNO, INNER_VAR, 0);
		ChangeVarNodes(qual, PRS2_NEW_VARNO, OUTER_VAR, 0);
		qual = (Node *) make_ands_implicit((Expr *) qual);
		p->when.text = pstrdup(tgqual);
		p->when.state = ExecInitQual((List *) expression_planner((Expr *) qual), NULL);
	}
	p->econtext = CreateStandaloneExprContext();
	MemoryContextSwitchTo(old);
	p->valid = true;
	if (nested)
		return p;
	/* complete: kept beyond this transaction */
	MemoryContextSetParent(cxt, TopMemoryContext);
	prepared = p;
	return p;
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

/* whether a key column (conkey or confkey) of a constraint row is written */
static bool
columns_written(HeapTuple tp, AttrNumber column, const bool *written)
{
	bool		isnull;
	Datum		d = SysCacheGetAttr(CONSTROID, tp, column, &isnull);
	ArrayType  *keys;

	if (isnull)
		return false;
	keys = DatumGetArrayTypeP(d);
	for (int k = 0; k < ArrayGetNItems(ARR_NDIM(keys), ARR_DIMS(keys)); k++)
		if (written[((int16 *) ARR_DATA_PTR(keys))[k]])
			return true;
	return false;
}

/* Whether the foreign key conoid has a column of rel that prio writes. */
static bool
key_written(Oid conoid, Relation rel, const bool *written)
{
	HeapTuple	tp = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
	Form_pg_constraint con;
	bool		res;

	if (!HeapTupleIsValid(tp))
		return true;
	con = (Form_pg_constraint) GETSTRUCT(tp);
	res = (con->conrelid == RelationGetRelid(rel) &&
		   columns_written(tp, Anum_pg_constraint_conkey, written)) ||
		(con->confrelid == RelationGetRelid(rel) &&
		 columns_written(tp, Anum_pg_constraint_confkey, written));
	ReleaseSysCache(tp);
	return res;
}

/*
 * Whether every trigger that fires on UPDATE of rel is prio's own or an
 * immediate foreign key's on columns prio does not write (written: by
 * attnum); which of prio's fire, and state_closed's WHEN.
 */
static bool
known_triggers(Relation rel, const bool *written, bool *remember, bool *flush,
			   const char **tgqual)
{
	TriggerDesc *td = rel->trigdesc;
	bool		looked_up = false;

	*remember = *flush = false;
	*tgqual = NULL;
	for (int i = 0; td != NULL && i < td->numtriggers; i++)
	{
		Trigger    *t = &td->triggers[i];
		bool		row = TRIGGER_FOR_ROW(t->tgtype);

		if (!TRIGGER_FOR_UPDATE(t->tgtype) || t->tgenabled == TRIGGER_DISABLED)
			continue;
		if (t->tgisinternal && !t->tgdeferrable &&
			RI_FKey_trigger_type(t->tgfoid) != RI_TRIGGER_NONE &&
			!key_written(t->tgconstraint, rel, written))
			continue;
		if (t->tgisinternal || t->tgenabled != TRIGGER_FIRES_ON_ORIGIN ||
			!TRIGGER_FOR_AFTER(t->tgtype) || t->tgnargs != 0 || t->tgnattr != 0 ||
			t->tgoldtable || t->tgnewtable)
			return false;
		/* cached: the functions' OIDs change only when the extension is made again */
		if ((t->tgfoid != closed_fn && t->tgfoid != flush_fn) && !looked_up)
		{
			closed_fn = prio_function("state_closed");
			flush_fn = prio_function("state_closed_flush");
			looked_up = true;
		}
		if (t->tgfoid == closed_fn && row && !*remember)
		{
			*remember = true;
			*tgqual = t->tgqual;
		}
		else if (t->tgfoid == flush_fn && !row && t->tgqual == NULL && !*flush)
			*flush = true;
		else
			return false;
	}
	return true;
}

/* relhasrules stays set after the last rule is dropped; the relcache knows */
static bool
rules_on_update(Relation rel)
{
	for (int i = 0; rel->rd_rules != NULL && i < rel->rd_rules->numLocks; i++)
		if (rel->rd_rules->rules[i]->event == CMD_UPDATE)
			return true;
	return false;
}

/*
 * Column name of rel, looked for at guess first (the writer's columns are
 * in table order); InvalidAttrNumber unless it is of type type without a
 * modifier: the UPDATE would coerce, a write in place cannot.
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
	return att->atttypid == type && att->atttypmod < 0 ? a : InvalidAttrNumber;
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
	const char *tgqual;
	AttrNumber	att[STATE_NCOLS];
	AttrNumber	updated_at = InvalidAttrNumber;
	bool	   *written = palloc0(sizeof(bool) * (desc->natts + 1));
	bool		ok = true;
	InPlace    *ip;

	PrioCheckTable(rel);
	for (int c = 0; ok && c < ncols; c++)
	{
		att[c] = column_at(rel, prio_state_columns[c],
						   c == COL_STAGE || c == COL_EFFECTIVE_STAGE ? StageTypeOid()
						   : prio_state_types[c], c == 0 ? 1 : att[c - 1] + 1);
		ok = (att[c] != InvalidAttrNumber);
		/* customer_id is written as it was */
		if (ok && c > 0)
			written[att[c]] = true;
	}
	if (ok)
	{
		updated_at = column_at(rel, "updated_at", TIMESTAMPTZOID, att[ncols - 1] + 1);
		ok = (updated_at != InvalidAttrNumber);
		if (ok)
			written[updated_at] = true;
	}
	if (!ok || SessionReplicationRole != SESSION_REPLICATION_ROLE_ORIGIN ||
		rel->rd_rel->relrowsecurity || rules_on_update(rel) ||
		(desc->constr != NULL && desc->constr->has_generated_stored) ||
		!known_triggers(rel, written, &remember, &flush, &tgqual))
	{
		/* the UPDATE takes the same lock */
		table_close(rel, NoLock);
		return NULL;
	}
	/* what the UPDATE would say of a table published without a replica identity */
	CheckCmdReplicaIdentity(rel, CMD_UPDATE);

	ip = palloc0(sizeof(InPlace));
	ip->cxt = CurrentMemoryContext;
	ip->rel = rel;
	ip->ncols = ncols;
	ip->remember = remember;
	ip->flush = flush;
	ip->prepared = prepare(desc, remember ? tgqual : NULL);
	memcpy(ip->att, att, sizeof(AttrNumber) * ncols);
	ip->updated_at = updated_at;
	ip->dropped = palloc(sizeof(AttrNumber) * desc->natts);
	for (int a = 0; a < desc->natts; a++)
		if (TupleDescAttr(desc, a)->attisdropped)
			ip->dropped[ip->ndropped++] = a;
	ip->values = palloc(sizeof(Datum) * desc->natts);
	ip->isnull = palloc(sizeof(bool) * desc->natts);
	ip->oldslot = table_slot_create(rel, NULL);
	ip->newslot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
	return ip;
}

/* the new version against the CHECKs, and state_closed's WHEN: whether it holds */
static bool
check_and_when(InPlace *ip)
{
	PreparedSet *p = ip->prepared;
	ExprContext *econtext = p->econtext;
	bool		holds = false;

	p->busy++;
	econtext->ecxt_scantuple = ip->newslot;
	for (int i = 0; i < p->nchecks; i++)
		if (!ExecCheck(p->checks[i].state, econtext))
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("new row for relation \"%s\" violates check constraint \"%s\"",
							RelationGetRelationName(ip->rel), p->checks[i].name),
					 errtableconstraint(ip->rel, p->checks[i].name)));
	if (ip->remember)
	{
		econtext->ecxt_innertuple = ip->oldslot;
		econtext->ecxt_outertuple = ip->newslot;
		holds = p->when.state == NULL || ExecQual(p->when.state, econtext);
	}
	p->busy--;
	ResetExprContext(econtext);
	return holds;
}

/*
 * A version that is not heap-only: every index needs an entry for it.  The
 * range table tells the index AMs which columns changed, as an UPDATE's does.
 */
static void
insert_index_entries(InPlace *ip)
{
	List	   *recheck;

	if (ip->estate == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(ip->cxt);
		RangeTblEntry *rte = makeNode(RangeTblEntry);

		rte->rtekind = RTE_RELATION;
		rte->relid = RelationGetRelid(ip->rel);
		rte->relkind = ip->rel->rd_rel->relkind;
		rte->rellockmode = RowExclusiveLock;
		for (int c = 1; c < ip->ncols; c++)
			rte->updatedCols = bms_add_member(rte->updatedCols,
											  ip->att[c] - FirstLowInvalidHeapAttributeNumber);
		rte->updatedCols = bms_add_member(rte->updatedCols,
										  ip->updated_at - FirstLowInvalidHeapAttributeNumber);
		ip->estate = CreateExecutorState();
		ExecInitRangeTable(ip->estate, list_make1(rte));
		ip->rri = makeNode(ResultRelInfo);
		InitResultRelInfo(ip->rri, ip->rel, 1, NULL, 0);
		ExecOpenIndices(ip->rri, false);
		MemoryContextSwitchTo(old);
	}
	if (ip->rri->ri_NumIndices == 0)
		return;
	recheck = ExecInsertIndexTuples(ip->rri, ip->newslot, ip->estate, true, false, NULL, NIL);
	/* a deferred check would have come with a trigger known_triggers() refuses */
	Assert(recheck == NIL);
	list_free(recheck);
	ResetPerTupleExprContext(ip->estate);
}

/*
 * Whether every row of the writer's batch is still the version its caller
 * locked: a customer folded again is written after later chunks' history
 * rows and outcomes, whose triggers (a user's) may have changed its row
 * since.  If not, the batch takes the UPDATE, which finds rows by key.
 */
bool
InPlaceBatchCurrent(InPlace *ip, StateWriter *w)
{
	for (int i = 0; i < w->n; i++)
	{
		HeapTupleData tuple;
		Buffer		buf;
		bool		current;

		tuple.t_self = w->tids[i];
		if (!heap_fetch(ip->rel, SnapshotAny, &tuple, &buf, false))
			return false;
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		current = HeapTupleHeaderIsOnlyLocked(tuple.t_data);
		LockBuffer(buf, BUFFER_LOCK_UNLOCK);
		ReleaseBuffer(buf);
		if (!current)
			return false;
	}
	return true;
}

/* Write row r of the writer's batch over the version it locked. */
void
InPlaceUpdate(InPlace *ip, StateWriter *w, int r)
{
	TupleDesc	desc = RelationGetDescr(ip->rel);
	HeapTuple	tup;
	bool		remember;
	TM_FailureData tmfd;
	LockTupleMode lockmode;

	/* the version on its page: out-of-line values stay where they are */
	if (!table_tuple_fetch_row_version(ip->rel, &w->tids[r], SnapshotAny, ip->oldslot))
		PrioStateChanged(DatumGetInt64(w->v[0][r]));
	slot_getallattrs(ip->oldslot);
	memcpy(ip->values, ip->oldslot->tts_values, sizeof(Datum) * desc->natts);
	memcpy(ip->isnull, ip->oldslot->tts_isnull, sizeof(bool) * desc->natts);
	for (int d = 0; d < ip->ndropped; d++)
		ip->isnull[ip->dropped[d]] = true;
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
	tup->t_tableOid = RelationGetRelid(ip->rel);
	ExecStoreHeapTuple(tup, ip->newslot, true);
	remember = check_and_when(ip);
	/* what state_closed would be handed: the old row, as a composite */
	if (remember)
		OutcomeRemember(ExecFetchSlotHeapTupleDatum(ip->oldslot), w->stages[2 * r]);
	ExecClearTuple(ip->oldslot);

	/* the caller locked this version, and InPlaceBatchCurrent() saw it current */
	switch (heap_update(ip->rel, &w->tids[r], tup, GetCurrentCommandId(true), InvalidSnapshot,
						true, &tmfd, &lockmode))
	{
		case TM_Ok:
			break;
		case TM_SelfModified:
			/* what ExecUpdate says when a function the write ran changed the row */
			ereport(ERROR,
					(errcode(ERRCODE_TRIGGERED_DATA_CHANGE_VIOLATION),
					 errmsg("tuple to be updated was already modified by an operation triggered by the current command")));
			break;
		default:
			PrioStateChanged(DatumGetInt64(w->v[0][r]));
	}
	if (!HeapTupleIsHeapOnly(tup))
	{
		/* the slot holds tup: its new location too */
		ip->newslot->tts_tid = tup->t_self;
		insert_index_entries(ip);
	}
	ExecClearTuple(ip->newslot);
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
	ExecDropSingleTupleTableSlot(ip->oldslot);
	ExecDropSingleTupleTableSlot(ip->newslot);
	table_close(ip->rel, NoLock);
}
