/*
 * rfm_segments.c
 *		Named RFM segments from the user-editable rule table prio.rfm_segments,
 *		compiled by rules/segment.c.
 *
 * The rules are compiled once into a 5x5x5 lookup map and kept until the
 * table changes: prio.invalidate_cache() (a statement trigger on the table)
 * sends a relcache invalidation, which every backend sees at commit and the
 * writing backend at its next command.  The map is read with the latest
 * snapshot (not an old transaction snapshot, which could predate a change
 * whose invalidation is already consumed), and a load during which an
 * invalidation arrives is repeated.
 */
#include "prio.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

static MemoryContext segment_cxt = NULL;
static SegmentMap segment_map;
static bool segment_valid = false;
static uint64 segment_generation = 0;	/* bumped by every invalidation */
static Oid	segment_relid = InvalidOid;

void
SegmentRelationChanged(Oid relid)
{
	if (relid == InvalidOid || relid == segment_relid)
	{
		segment_valid = false;
		segment_generation++;
	}
}

static int
segment_int(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? -1 : DatumGetInt32(d);
}

static void
segment_load_once(void)
{
	Oid			nsp = get_namespace_oid(PRIO_SCHEMA, false);
	SPIPlanPtr	plan;
	int			rc;

	if (segment_cxt == NULL)
	{
		segment_cxt = AllocSetContextCreate(TopMemoryContext, "prio rfm_segments",
											ALLOCSET_SMALL_SIZES);
	}
	MemoryContextReset(segment_cxt);
	memset(segment_map, 0, sizeof(segment_map));
	segment_relid = get_relname_relid("rfm_segments", nsp);

	/* its columns are read by position, as the types they were created with */
	PrioCheckTableByName("rfm_segments");
	SPI_connect();
	plan = SPI_prepare("SELECT segment, r_min, r_max, f_min, f_max, m_min, m_max"
					   " FROM " PRIO_SCHEMA ".rfm_segments ORDER BY position", 0, NULL);
	/* a missing table or column raises its own error in SPI_prepare() */
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	/* parallel workers cannot take a new snapshot; they share the leader's */
	rc = SPI_execute_snapshot(plan, NULL, NULL,
							  IsInParallelMode() ? InvalidSnapshot : GetLatestSnapshot(),
							  InvalidSnapshot, true, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_snapshot failed: %s", SPI_result_code_string(rc));

	/* in position order: the rule lets the first match win */
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *name = SPI_getvalue(tup, desc, 1);
		int			lim[6];

		for (int c = 0; c < 6; c++)
			lim[c] = segment_int(tup, desc, c + 2);
		if (name == NULL)
			continue;
		prio_segment_map_add(segment_map, MemoryContextStrdup(segment_cxt, name), lim);
	}
	SPI_finish();
}

static void
segment_load(void)
{
	for (;;)
	{
		uint64		generation = segment_generation;

		segment_load_once();
		if (generation == segment_generation)
			break;
	}
	segment_valid = true;
}

const char *
prio_rfm_segment(int r, int f, int m)
{
	const char *name;

	CheckScore(r, "r");
	CheckScore(f, "f");
	CheckScore(m, "m");
	if (!segment_valid)
		segment_load();
	name = segment_map[r - 1][f - 1][m - 1];
	return name ? name : "Other";
}
