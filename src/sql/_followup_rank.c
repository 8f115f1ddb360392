/*
 * _followup_rank.c
 *		prio._followup_rank(owner, customer_id): the customer's position in
 *		its owner's follow-up list, prio.followup.rank.
 *
 * The rank is row_number() over the owner's rows ordered as prio.followup
 * is (priority DESC, next_due_at, customer_id).  A window over the whole
 * table read every row for a team-wide LIMIT 50 (145 ms at 100,000
 * customers); this reads an owner's list only as far as the rows asked for
 * need: the first call for an owner reads its first 64 rows through the
 * index on (owner, priority DESC, next_due_at, customer_id), a customer
 * further down reads twice as many (re-read from the start), and the ranks
 * read are kept for the rest of the query (fn_extra).  A LIMIT 50, by
 * owner or team-wide, reads 64 rows of each owner it shows (a row of the
 * team's top 50 has only rows of the team's top 50 above it in its
 * owner's list); a whole list reads each owner's rows about twice.
 *
 * The rows are read through SPI as the caller, in the query's snapshot
 * (read-only: the active snapshot), so the rank counts the rows the caller
 * sees, row-level security included, as the window did.
 */
#include "prio.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#define FIRST_BATCH 64

/* a customer read: its rank in its owner's list */
typedef struct RankEntry
{
	int64		customer_id;	/* hash key */
	int64		rank;
} RankEntry;

/* how far an owner's list has been read */
typedef struct OwnerEntry
{
	char	   *owner;			/* hash key: a string in the cache's context */
	int64		loaded;			/* rows read (its first ones) */
	bool		complete;		/* the list has no more rows */
} OwnerEntry;

typedef struct RankCache
{
	MemoryContext cxt;
	HTAB	   *ranks;			/* customer_id -> RankEntry */
	HTAB	   *owners;			/* owner -> OwnerEntry */
	OwnerEntry	no_owner;		/* customers whose owner is NULL */
} RankCache;

static uint32
owner_hash(const void *key, Size keysize)
{
	const char *s = *(char *const *) key;

	return hash_bytes((const unsigned char *) s, (int) strlen(s));
}

static int
owner_match(const void *key1, const void *key2, Size keysize)
{
	return strcmp(*(char *const *) key1, *(char *const *) key2);
}

static RankCache *
rank_cache(FunctionCallInfo fcinfo)
{
	RankCache  *c = fcinfo->flinfo->fn_extra;
	HASHCTL		ctl;

	if (c != NULL)
		return c;
	c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RankCache));
	c->cxt = fcinfo->flinfo->fn_mcxt;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(RankEntry);
	ctl.hcxt = c->cxt;
	c->ranks = hash_create("prio followup ranks", 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(OwnerEntry);
	ctl.hash = owner_hash;
	ctl.match = owner_match;
	ctl.hcxt = c->cxt;
	c->owners = hash_create("prio followup owners", 64, &ctl,
							HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	fcinfo->flinfo->fn_extra = c;
	return c;
}

/*
 * Reads the owner's list (owner NULL: the customers without one) as far as
 * twice what was read so far, and keeps the ranks.  The statements are kept
 * for the life of the backend; they name everything by schema.
 */
static void
read_more(RankCache *c, OwnerEntry *o, text *owner)
{
	static SPIPlanPtr by_owner = NULL;
	static SPIPlanPtr no_owner = NULL;
	int64		limit = Max(FIRST_BATCH, o->loaded * 2);
	Datum		values[2];
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (owner != NULL)
	{
		Oid			types[2] = {TEXTOID, INT8OID};

		if (by_owner == NULL)
			by_owner = PrioKeepPlan("SELECT s.customer_id FROM " PRIO_SCHEMA ".customer_state s"
									" WHERE s.owner OPERATOR(pg_catalog.=) $1"
									" ORDER BY s.priority DESC, s.next_due_at, s.customer_id LIMIT $2",
									2, types, 0);
		values[0] = PointerGetDatum(owner);
		values[1] = Int64GetDatum(limit);
		ret = SPI_execute_plan(by_owner, values, NULL, true, 0);
	}
	else
	{
		Oid			types[1] = {INT8OID};

		if (no_owner == NULL)
			no_owner = PrioKeepPlan("SELECT s.customer_id FROM " PRIO_SCHEMA ".customer_state s"
									" WHERE s.owner IS NULL"
									" ORDER BY s.priority DESC, s.next_due_at, s.customer_id LIMIT $1",
									1, types, 0);
		values[0] = Int64GetDatum(limit);
		ret = SPI_execute_plan(no_owner, values, NULL, true, 0);
	}
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading an owner's follow-up list failed: %s", SPI_result_code_string(ret));

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		RankEntry  *e;

		if (isnull)
			elog(ERROR, "customer_state.customer_id is NULL");
		e = hash_search(c->ranks, &id, HASH_ENTER, NULL);
		e->rank = (int64) i + 1;
	}
	o->loaded = (int64) SPI_processed;
	o->complete = (int64) SPI_processed < limit;
	SPI_finish();
}

/* prio._followup_rank(owner text, customer_id bigint) -> bigint */
PG_FUNCTION_INFO_V1(prio_followup_rank);
Datum
prio_followup_rank(PG_FUNCTION_ARGS)
{
	RankCache  *c;
	int64		id;
	text	   *owner = NULL;
	OwnerEntry *o;

	if (PG_ARGISNULL(1))
		PG_RETURN_NULL();
	id = PG_GETARG_INT64(1);
	c = rank_cache(fcinfo);
	if (!PG_ARGISNULL(0))
		owner = PG_GETARG_TEXT_PP(0);

	for (;;)
	{
		RankEntry  *e = hash_search(c->ranks, &id, HASH_FIND, NULL);

		if (e != NULL)
			PG_RETURN_INT64(e->rank);
		if (owner == NULL)
			o = &c->no_owner;
		else
		{
			char	   *name = text_to_cstring(owner);
			bool		found;

			o = hash_search(c->owners, &name, HASH_ENTER, &found);
			if (!found)
			{
				o->owner = MemoryContextStrdup(c->cxt, name);
				o->loaded = 0;
				o->complete = false;
			}
			pfree(name);
		}
		/* not in the owner's list as the caller sees it */
		if (o->complete)
			PG_RETURN_NULL();
		read_more(c, o, owner);
	}
}
