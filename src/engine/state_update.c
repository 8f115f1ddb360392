/*
 * state_update.c
 *		The state writer's batches, written through the executor.
 *
 * A batch whose rows the caller located (the insert trigger locked them;
 * the sweep scanned them under its EXCLUSIVE lock) is written as logical
 * replication's apply writes a row: ExecSimpleRelationUpdate() on the
 * version found, between AfterTriggerBeginQuery() and AfterTriggerEndQuery(),
 * with the statement triggers an UPDATE fires around it.  So BEFORE and AFTER
 * row triggers (prio's state_closed and a user's), their WHEN clauses,
 * CHECK and NOT NULL constraints, generated columns, foreign keys,
 * publications' replica identity, the table's access method and its
 * indexes all act as for an UPDATE; nothing of that is done here.
 *
 * What ExecSimpleRelationUpdate() does not do, the SQL UPDATE of
 * state_write.c does instead, and StateUpdateBegin() says so by returning
 * NULL: row-level security, rules, triggers with transition tables,
 * BEFORE ROW triggers (one that changes its own row must get the UPDATE's
 * 27000, and EvalPlanQual, which this path never needs under the callers'
 * locks, could not run here), executor hooks (an auditing extension must
 * see the UPDATE), a table that is not a plain table, and a column of
 * another type than prio's.
 *
 * What the executor prepares for a statement -- the result relation with its
 * triggers and their call information, and, on first use, the CHECK
 * constraints' and state_closed's WHEN expressions -- is kept for the next
 * statement of the backend, as a plan is kept, until customer_state's
 * relcache entry or any function or type changes, or a transaction or
 * subtransaction aborts.  Each statement opens the table and its indexes
 * again (with index information of its own), checks permissions, makes its
 * slots and fires the statement triggers as an UPDATE does.
 */
#include "prio.h"

#include "access/sysattr.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/genam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "tcop/utility.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

/*
 * PostgreSQL 16 moved a range table entry's permissions to RTEPermissionInfo
 * (ExecCheckPermissions, ExecInitRangeTable's third argument) and gave
 * EvalPlanQualInit a sixth; this file is written for 15's API.
 */
#if PG_VERSION_NUM >= 160000
#error "src/engine/state_update.c is written for PostgreSQL 15's executor API"
#endif

struct StateUpdate
{
	MemoryContext cxt;			/* this, and the estate's memory */
	bool		kept;			/* the backend's kept one (else made for one statement) */
	bool		busy;			/* between Begin and End ... */
	SubTransactionId busy_subid;	/* ... of a statement of this subtransaction */
	Oid			relid;
	Relation	rel;			/* this statement's (the relcache entry may be new) */
	int			ncols;
	AttrNumber	att[STATE_NCOLS];	/* the writer's columns in the table */
	AttrNumber	updated_at;
	List	   *rtable;			/* the UPDATE's one range table entry */
	EState	   *estate;
	ResultRelInfo *rri;
	MemoryContext stmt_cxt;		/* the statement's index information */
	EPQState	epq;
	TupleTableSlot *oldslot;	/* the version located, on its page */
	TupleTableSlot *newslot;
};


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
 * Where column anum (Anum_customer_state_*) of the table as prio made it is
 * in rel: looked for there first, then by name (a DBA may have dropped and
 * added it back); InvalidAttrNumber unless it is of prio's type without a
 * modifier: the UPDATE would coerce, a slot cannot.
 */
static AttrNumber
column_at(Relation rel, AttrNumber anum)
{
	const StateColumn *col = &customer_state_columns[anum - 1];
	Oid			type = col->type == PRIO_STAGE_TYPE ? StageTypeOid() : col->type;
	TupleDesc	desc = RelationGetDescr(rel);
	AttrNumber	a = anum;
	Form_pg_attribute att;

	if (a > desc->natts ||
		TupleDescAttr(desc, a - 1)->attisdropped ||
		strcmp(NameStr(TupleDescAttr(desc, a - 1)->attname), col->name) != 0)
		a = PrioAttnum(rel, col->name, InvalidOid);
	att = TupleDescAttr(desc, a - 1);
	return att->atttypid == type && att->atttypmod < 0 ? a : InvalidAttrNumber;
}

/* the backend's kept writer, valid until an invalidation or an abort */
static StateUpdate *kept = NULL;
static bool kept_valid = false;

void
StateUpdateRelationChanged(Oid relid)
{
	/* by OID: kept->rel may point at an entry freed before the callbacks run */
	if (kept != NULL && (relid == InvalidOid || relid == kept->relid))
		kept_valid = false;
}

/* a function or type changed: a CHECK or WHEN prepared with it may be stale */
void
StateUpdateObjectChanged(void)
{
	kept_valid = false;
}

/*
 * An abort may have left the kept writer mid-row (a slot whose buffer pin
 * the resource owner has released): it is not used or cleaned up again,
 * only freed, once no statement of an enclosing subtransaction still uses
 * it.  mySubid: the aborted subtransaction (InvalidSubTransactionId: the
 * transaction).
 */
void
StateUpdateAborted(SubTransactionId mySubid)
{
	kept_valid = false;
	if (kept != NULL && (mySubid == InvalidSubTransactionId || kept->busy_subid >= mySubid))
		kept->busy = false;
}

/*
 * The statement's slots.  They pin the table's tuple descriptor (and may
 * pin a buffer) for the transaction's resource owner, so none outlives the
 * statement: the trigger manager's are made again too.
 */
static void
make_slots(StateUpdate *su)
{
	MemoryContext old = MemoryContextSwitchTo(su->estate->es_query_cxt);

	su->oldslot = table_slot_create(su->rel, &su->estate->es_tupleTable);
	su->newslot = ExecInitExtraTupleSlot(su->estate, RelationGetDescr(su->rel), &TTSOpsVirtual);
	MemoryContextSwitchTo(old);
}

static void
drop_slots(StateUpdate *su)
{
	ExecResetTupleTable(su->estate->es_tupleTable, true);
	su->estate->es_tupleTable = NIL;
	su->rri->ri_TrigOldSlot = NULL;
	su->rri->ri_TrigNewSlot = NULL;
	su->rri->ri_ReturningSlot = NULL;
	su->oldslot = su->newslot = NULL;
}

/*
 * The indexes, opened for each statement with index information of its own:
 * an index access method keeps a per-statement cache in it (GIN, GiST and
 * BRIN point it at the index's relcache entry, which may go between
 * statements).
 */
static void
open_indices(StateUpdate *su)
{
	MemoryContext old = MemoryContextSwitchTo(su->stmt_cxt);

	ExecOpenIndices(su->rri, false);
	MemoryContextSwitchTo(old);
}

/*
 * Open customer_state to write the first ncols of the writer's columns
 * through the executor; NULL when the SQL UPDATE must run instead.
 */
StateUpdate *
StateUpdateBegin(int ncols)
{
	Relation	rel = table_open(PrioRelid("customer_state"), RowExclusiveLock);
	TriggerDesc *td = rel->trigdesc;
	AttrNumber	att[STATE_NCOLS];
	AttrNumber	updated_at = InvalidAttrNumber;
	bool		ok = true;
	bool		keep;
	StateUpdate *su;
	RangeTblEntry *rte;
	MemoryContext cxt;
	MemoryContext old;

	/* as ExecutorStart checks an UPDATE */
	PreventCommandIfReadOnly("UPDATE");
	PreventCommandIfParallelMode("UPDATE");
	if (rel->rd_rel->relkind != RELKIND_RELATION ||
		rel->rd_rel->relrowsecurity || rules_on_update(rel) ||
		(td != NULL && (td->trig_update_old_table || td->trig_update_new_table ||
						td->trig_update_before_row)) ||
		ExecutorStart_hook != NULL || ExecutorRun_hook != NULL ||
		ExecutorFinish_hook != NULL || ExecutorEnd_hook != NULL)
		ok = false;
	else if (kept != NULL && kept_valid && !kept->busy && kept->relid == RelationGetRelid(rel) &&
			 kept->ncols == ncols)
	{
		/* the kept one: this statement's relation, locks and permission check */
		kept->rel = rel;
		kept->rri->ri_RelationDesc = rel;
		ExecCheckRTPerms(kept->rtable, true);
		open_indices(kept);
		make_slots(kept);
		kept->busy = true;
		kept->busy_subid = GetCurrentSubTransactionId();
		return kept;
	}
	if (ok)
	{
		PrioCheckTable(rel);
		for (int c = 0; ok && c < ncols; c++)
		{
			att[c] = column_at(rel, state_write_anum[c]);
			ok = (att[c] != InvalidAttrNumber);
		}
	}
	if (ok)
	{
		updated_at = column_at(rel, Anum_customer_state_updated_at);
		ok = (updated_at != InvalidAttrNumber);
	}
	if (!ok)
	{
		/* the UPDATE takes the same lock */
		table_close(rel, NoLock);
		return NULL;
	}

	/* a new kept one, or, nested inside a statement using it, one for this statement */
	keep = (kept == NULL || !kept->busy);
	if (keep && kept != NULL)
	{
		MemoryContextDelete(kept->cxt);
		kept = NULL;
	}
	cxt = AllocSetContextCreate(keep ? TopMemoryContext : CurrentMemoryContext,
								"prio state update", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	su = palloc0(sizeof(StateUpdate));
	su->cxt = cxt;
	su->kept = keep;
	su->relid = RelationGetRelid(rel);
	su->rel = rel;
	su->stmt_cxt = AllocSetContextCreate(cxt, "prio state update statement",
										 ALLOCSET_SMALL_SIZES);
	su->ncols = ncols;
	memcpy(su->att, att, sizeof(AttrNumber) * ncols);
	su->updated_at = updated_at;

	/* the range table entry of "UPDATE customer_state SET <those> WHERE customer_id = ..." */
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	rte->requiredPerms = ACL_SELECT | ACL_UPDATE;
	rte->selectedCols = bms_make_singleton(att[0] - FirstLowInvalidHeapAttributeNumber);
	for (int c = 1; c < ncols; c++)
		rte->updatedCols = bms_add_member(rte->updatedCols,
										  att[c] - FirstLowInvalidHeapAttributeNumber);
	rte->updatedCols = bms_add_member(rte->updatedCols,
									  updated_at - FirstLowInvalidHeapAttributeNumber);
	su->rtable = list_make1(rte);
	ExecCheckRTPerms(su->rtable, true);

	su->estate = CreateExecutorState();
	ExecInitRangeTable(su->estate, su->rtable);
	su->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(su->rri, rel, 1, NULL, 0);
	/* where the trigger manager looks for it (ExecGetTriggerResultRel), as apply does */
	su->estate->es_opened_result_relations = list_make1(su->rri);
	open_indices(su);
	/*
	 * The trigger functions' call information lives as long as the estate
	 * (the executor's calls would set it up in whatever context is current:
	 * a row's or a batch's, too short for a SECURITY DEFINER or SET function's
	 * cache).
	 */
	for (int i = 0; su->rri->ri_TrigDesc != NULL && i < su->rri->ri_TrigDesc->numtriggers; i++)
		fmgr_info_cxt(su->rri->ri_TrigDesc->triggers[i].tgfoid, &su->rri->ri_TrigFunctions[i],
					  su->estate->es_query_cxt);
	EvalPlanQualInit(&su->epq, su->estate, NULL, NIL, -1);
	MemoryContextSwitchTo(old);
	make_slots(su);
	su->busy = true;
	su->busy_subid = GetCurrentSubTransactionId();
	if (keep)
	{
		kept = su;
		kept_valid = true;
	}
	return su;
}

/* Whether the version at tid is the row's latest: not updated or deleted since. */
static bool
fetch_current(StateUpdate *su, ItemPointer tid)
{
	return table_tuple_fetch_row_version(su->rel, tid, SnapshotSelf, su->oldslot);
}

/* The new version of row r of the writer's batch, from the one in oldslot. */
static void
form_new(StateUpdate *su, StateWriter *w, int r)
{
	TupleDesc	desc = RelationGetDescr(su->rel);
	TupleTableSlot *slot = su->newslot;

	ExecClearTuple(slot);
	slot_getallattrs(su->oldslot);
	for (int a = 0; a < desc->natts; a++)
	{
		/* as an UPDATE's projection: a dropped column's old value goes */
		slot->tts_isnull[a] = su->oldslot->tts_isnull[a] || TupleDescAttr(desc, a)->attisdropped;
		slot->tts_values[a] = slot->tts_isnull[a] ? (Datum) 0 : su->oldslot->tts_values[a];
	}
	for (int c = 0; c < su->ncols; c++)
	{
		int			a = su->att[c] - 1;

		slot->tts_isnull[a] = w->nul[c][r];
		if (state_write_anum[c] == Anum_customer_state_stage)
			slot->tts_values[a] = StageGetDatum(w->stages[2 * r]);
		else if (state_write_anum[c] == Anum_customer_state_effective_stage)
			slot->tts_values[a] = StageGetDatum(w->stages[2 * r + 1]);
		else
			slot->tts_values[a] = w->v[c][r];
	}
	/* now(), as the UPDATE sets it */
	slot->tts_values[su->updated_at - 1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	slot->tts_isnull[su->updated_at - 1] = false;
	ExecStoreVirtualTuple(slot);
}

/*
 * Write the writer's batch, one "UPDATE" of its rows; false, with nothing
 * written, when a row is no longer the version its caller located (a
 * customer folded again is written after later chunks' history rows, whose
 * triggers may have changed its row): the SQL UPDATE then finds rows by key.
 */
bool
StateUpdateBatch(StateUpdate *su, StateWriter *w)
{
	EState	   *estate = su->estate;
	MemoryContext old;

	for (int r = 0; r < w->n; r++)
		if (!fetch_current(su, &w->tids[r]))
		{
			ExecClearTuple(su->oldslot);
			return false;
		}

	/* what SPI does before a statement: the triggers see what came before */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	estate->es_output_cid = GetCurrentCommandId(true);
	estate->es_snapshot = GetActiveSnapshot();
	AfterTriggerBeginQuery();
	ExecBSUpdateTriggers(estate, su->rri);
	for (int r = 0; r < w->n; r++)
	{
		CHECK_FOR_INTERRUPTS();
		/* a BEFORE trigger of an earlier row may have changed this one */
		if (!fetch_current(su, &w->tids[r]))
			ereport(ERROR,
					(errcode(ERRCODE_TRIGGERED_DATA_CHANGE_VIOLATION),
					 errmsg("tuple to be updated was already modified by an operation triggered by the current command"),
					 errdetail("The state row of customer " INT64_FORMAT " was changed by a trigger while prio wrote it.",
							   DatumGetInt64(w->v[0][r]))));
		/* what the write allocates (the trigger events aside) goes with the row */
		old = MemoryContextSwitchTo(GetPerTupleMemoryContext(estate));
		form_new(su, w, r);
		EvalPlanQualSetSlot(&su->epq, su->newslot);
		ExecSimpleRelationUpdate(su->rri, estate, &su->epq, su->oldslot, su->newslot);
		MemoryContextSwitchTo(old);
		ExecClearTuple(su->newslot);
		ExecClearTuple(su->oldslot);
		ResetPerTupleExprContext(estate);
	}
	ExecASUpdateTriggers(estate, su->rri, NULL);
	AfterTriggerEndQuery(estate);
	PopActiveSnapshot();
	estate->es_snapshot = InvalidSnapshot;
	/* what follows sees the batch */
	CommandCounterIncrement();
	return true;
}

/* The statement is done: its locks stay, the relations are closed. */
void
StateUpdateEnd(StateUpdate *su)
{
	drop_slots(su);
	ExecCloseIndices(su->rri);
	MemoryContextReset(su->stmt_cxt);
	su->rri->ri_NumIndices = 0;
	su->rri->ri_IndexRelationDescs = NULL;
	su->rri->ri_IndexRelationInfo = NULL;
	table_close(su->rel, NoLock);
	su->busy = false;
	if (su->kept)
		return;
	EvalPlanQualEnd(&su->epq);
	FreeExecutorState(su->estate);
	MemoryContextDelete(su->cxt);
}
