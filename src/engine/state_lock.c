/*
 * state_lock.c
 *		The insert trigger's reads by customer_id: the prio.customers rows,
 *		locked as SELECT ... FOR NO KEY UPDATE locks them, then the
 *		customer_state rows, locked as SELECT ... FOR UPDATE locks them, each
 *		read through its primary key without a statement.
 *
 * Without a statement: executor start-up for two statements per chunk was
 * most of what reading them cost.  What they return is what those
 * statements return:
 *  - rows are locked in the order given (customer_id order, so concurrent
 *    writers never deadlock on each other);
 *  - each read sees this transaction's earlier commands and, in READ
 *    COMMITTED, everything committed before it started;
 *  - a row updated since the snapshot is followed to its latest version in
 *    READ COMMITTED, and is a serialization failure under REPEATABLE READ or
 *    SERIALIZABLE.
 * The customers row is locked first, in the mode an UPDATE of it takes: an
 * UPDATE of prio.customers holds that lock when its trigger locks the state
 * row, so every writer takes the two in one order (customers row, then state
 * row) and an application that writes a customer and its activities in one
 * transaction, in either order, does not deadlock with another doing so.
 * The trigger runs as prio's owner, to whom row-level security does not
 * apply, so reading past the executor skips no policy.
 */
#include "prio.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/lockdefs.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

/*
 * Lock the row the index scan found (visible to snapshot) and leave its
 * latest version in slot; false when it is gone, or now someone else's.
 */
static bool
lock_latest(Relation rel, TupleTableSlot *slot, Snapshot snapshot, AttrNumber key, int64 id,
			LockTupleMode mode)
{
	TM_FailureData tmfd;
	ItemPointerData tid = slot->tts_tid;
	bool		xact_snapshot = IsolationUsesXactSnapshot();
	bool		isnull;

	/* the flags ExecLockRows passes */
	switch (table_tuple_lock(rel, &tid, snapshot, slot, GetCurrentCommandId(true),
							 mode, LockWaitBlock,
							 TUPLE_LOCK_FLAG_LOCK_UPDATE_IN_PROGRESS |
							 (xact_snapshot ? 0 : TUPLE_LOCK_FLAG_FIND_LAST_VERSION), &tmfd))
	{
		case TM_Ok:
			/* a newer version was followed: ON UPDATE CASCADE may have moved it */
			return !tmfd.traversed ||
				DatumGetInt64(slot_getattr(slot, key, &isnull)) == id;
		case TM_Deleted:
		case TM_Updated:
			/* TM_Updated: only without FIND_LAST_VERSION, so with a transaction snapshot */
			if (!xact_snapshot)
				return false;
			/* ExecLockRows says "update" for both */
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not serialize access due to concurrent update")));
			break;
		default:
			break;
	}
	/* TM_SelfModified, TM_Invisible: no later command of ours runs meanwhile */
	PrioStateChanged(id);
}

/* A locked state row that is not as it was locked: the insert trigger's error */
void
PrioStateChanged(int64 id)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("prio.customer_state of customer " INT64_FORMAT " changed under the trigger", id)));
}

/*
 * rows[i] := the row of table whose customer_id is ids[i] (ascending), locked
 * in mode, as a composite datum in the current memory context; 0 when there
 * is none.  tids[i] (when tids is given): where that row is.  written[i]
 * (when written is given): that version was written by this transaction, by
 * its command since or a later one.
 */
static void
read_by_key(const char *table, const char *index, bool lock, LockTupleMode mode, const int64 *ids,
			int n, Datum *rows, ItemPointer tids, CommandId since, bool *written)
{
	Relation	rel = table_open(PrioRelid(table), lock ? RowShareLock : AccessShareLock);
	AttrNumber	key = PrioAttnum(rel, "customer_id", INT8OID);
	Relation	idx = PrioOpenIndex(index, rel, key, 0);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	IndexScanDesc scan;
	Snapshot	snapshot;

	/* what a statement starting now would see */
	CommandCounterIncrement();
	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	scan = index_beginscan(rel, idx, snapshot, 1, 0);
	for (int i = 0; i < n; i++)
	{
		ScanKeyData skey;

		CHECK_FOR_INTERRUPTS();
		ScanKeyInit(&skey, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(ids[i]));
		index_rescan(scan, &skey, 1, NULL, 0);
		rows[i] = (Datum) 0;
		if (written)
			written[i] = false;
		if (!index_getnext_slot(scan, ForwardScanDirection, slot))
			continue;
		if (lock && !lock_latest(rel, slot, snapshot, key, ids[i], mode))
		{
			ExecClearTuple(slot);
			continue;
		}
		if (written)
		{
			HeapTupleHeader h = ExecFetchSlotHeapTuple(slot, false, NULL)->t_data;

			/* (the real cmin: a raw command id may be a combo id) */
			written[i] = TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(h)) &&
				HeapTupleHeaderGetCmin(h) >= since;
		}
		rows[i] = ExecFetchSlotHeapTupleDatum(slot);
		if (tids)
			tids[i] = slot->tts_tid;
	}
	index_endscan(scan);
	UnregisterSnapshot(snapshot);
	ExecDropSingleTupleTableSlot(slot);
	/* the locks last until the end of the transaction, as a statement's do */
	index_close(idx, NoLock);
	table_close(rel, NoLock);
}

/*
 * Lock the prio.customers rows of ids[0..n-1], ascending, FOR NO KEY UPDATE
 * (what an UPDATE of them takes), and read them.  Call before locking their
 * state rows.
 */
void
PrioLockCustomers(const int64 *ids, int n, Datum *rows)
{
	read_by_key("customers", "customers_pkey", true, LockTupleNoKeyExclusive, ids, n, rows, NULL,
				InvalidCommandId, NULL);
}

/*
 * Read the prio.customers rows of ids[0..n-1] as a statement starting now
 * sees them, without locking them (prio.reevaluate: an UPDATE of customers
 * holds them already; refresh takes no customers locks).
 */
void
PrioReadCustomers(const int64 *ids, int n, Datum *rows)
{
	read_by_key("customers", "customers_pkey", false, LockTupleNoKeyExclusive, ids, n, rows, NULL,
				InvalidCommandId, NULL);
}

/*
 * Lock the customer_state rows of ids[0..n-1], ascending, and read them;
 * tids[i]: the locked version, which the state writer updates.  written[i]
 * (when written is given): this transaction wrote that version, by its
 * command since or a later one; for the insert trigger, since is the
 * INSERT's command, so something that ran during the INSERT wrote the state
 * (an application's trigger changed, deleted or added the customer's rows).
 */
void
PrioLockStateRows(const int64 *ids, int n, Datum *rows, ItemPointer tids, CommandId since,
				  bool *written)
{
	read_by_key("customer_state", "customer_state_pkey", true, LockTupleExclusive, ids, n, rows, tids,
				since, written);
}
