/*
 * stateupdate.c
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
 * statewrite.c does instead, and StateUpdateBegin() says so by returning
 * NULL: row-level security, rules, triggers with transition tables,
 * executor hooks (an auditing extension must see the UPDATE), a table that
 * is not a plain heap relation, and a column of another type than prio's.
 */
#include "prio.h"

#include "access/sysattr.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

struct StateUpdate
{
	Relation	rel;
	int			ncols;
	AttrNumber	att[STATE_NCOLS];	/* the writer's columns in the table */
	AttrNumber	updated_at;
	EState	   *estate;
	ResultRelInfo *rri;
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
	StateUpdate *su;
	RangeTblEntry *rte;

	PrioCheckTable(rel);
	for (int c = 0; ok && c < ncols; c++)
	{
		att[c] = column_at(rel, state_write_anum[c]);
		ok = (att[c] != InvalidAttrNumber);
	}
	if (ok)
	{
		updated_at = column_at(rel, Anum_customer_state_updated_at);
		ok = (updated_at != InvalidAttrNumber);
	}
	if (!ok || rel->rd_rel->relkind != RELKIND_RELATION ||
		rel->rd_rel->relrowsecurity || rules_on_update(rel) ||
		(td != NULL && (td->trig_update_old_table || td->trig_update_new_table)) ||
		ExecutorStart_hook != NULL || ExecutorRun_hook != NULL ||
		ExecutorFinish_hook != NULL || ExecutorEnd_hook != NULL)
	{
		/* the UPDATE takes the same lock */
		table_close(rel, NoLock);
		return NULL;
	}

	su = palloc0(sizeof(StateUpdate));
	su->rel = rel;
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
	ExecCheckRTPerms(list_make1(rte), true);

	su->estate = CreateExecutorState();
	ExecInitRangeTable(su->estate, list_make1(rte));
	su->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(su->rri, rel, 1, NULL, 0);
	/* where the trigger manager looks for it (ExecGetTriggerResultRel), as apply does */
	su->estate->es_opened_result_relations = list_make1(su->rri);
	ExecOpenIndices(su->rri, false);
	EvalPlanQualInit(&su->epq, su->estate, NULL, NIL, -1);
	su->oldslot = table_slot_create(rel, &su->estate->es_tupleTable);
	su->newslot = ExecInitExtraTupleSlot(su->estate, RelationGetDescr(rel), &TTSOpsVirtual);
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

	/* what SPI does before a statement */
	CommandCounterIncrement();
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
	/* what follows sees the batch */
	CommandCounterIncrement();
	return true;
}

void
StateUpdateEnd(StateUpdate *su)
{
	EvalPlanQualEnd(&su->epq);
	ExecCloseIndices(su->rri);
	ExecResetTupleTable(su->estate->es_tupleTable, false);
	FreeExecutorState(su->estate);
	table_close(su->rel, NoLock);
}
