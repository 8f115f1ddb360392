/*
 * _deal_key_busy.c
 *		prio._deal_key_busy(source, deal_key): whether another transaction
 *		in progress is writing the mirror of a tracked deal, for the
 *		statements that make tracked deals follow their customers
 *		(sql/install/86_deals.sql).
 *
 * Such a statement inserts the deals of its customers' keys with ON
 * CONFLICT DO NOTHING, which waits for a conflicting row not yet committed:
 * a deals writer that moved the deal to another customer, and holds that
 * row, may then wait for a row of the customers table the statement holds
 * (a deadlock).  That writer's own trigger mirrors the deal as it has it,
 * so the statement leaves such a key alone.
 */
#include "prio.h"

#include "access/genam.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

/*
 * prio._deal_key_busy(source regclass, deal_key text) RETURNS boolean
 *
 * Reads prio.deals through its index on (source, deal_key) with a
 * dirty snapshot; AccessShareLock on both, no row lock, never waits.
 */
PG_FUNCTION_INFO_V1(prio_deal_key_busy);
Datum
prio_deal_key_busy(PG_FUNCTION_ARGS)
{
	Relation	rel;
	Relation	idx;
	SnapshotData dirty;
	ScanKeyData skey[2];
	IndexScanDesc scan;
	TupleTableSlot *slot;
	bool		busy = false;

	/* (STRICT: no NULL argument reaches here) */
	rel = table_open(PrioRelid("deals"), AccessShareLock);
	idx = PrioOpenIndex("deals_source_key_idx", rel, PrioAttnum(rel, "source", REGCLASSOID),
						PrioAttnum(rel, "deal_key", TEXTOID));

	ScanKeyEntryInitialize(&skey[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
						   idx->rd_indcollation[0], F_OIDEQ, PG_GETARG_DATUM(0));
	ScanKeyEntryInitialize(&skey[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
						   idx->rd_indcollation[1], F_TEXTEQ, PG_GETARG_DATUM(1));
	InitDirtySnapshot(dirty);
	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, idx, &dirty, 2, 0);
	index_rescan(scan, skey, 2, NULL, 0);
	while (!busy && index_getnext_slot(scan, ForwardScanDirection, slot))
		busy = TransactionIdIsValid(dirty.xmin) || TransactionIdIsValid(dirty.xmax);
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	PG_RETURN_BOOL(busy);
}
