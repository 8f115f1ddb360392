/*
 * tracked_rows.c
 *		The events of a tracked activities table's rows read in C, without
 *		its compiled EVENTS query, for the mapping most tables have: one
 *		event a row, its customer, kind, at and amount plain columns of the
 *		types the query compares and returns without a cast.  Each rule of
 *		EVENTS (sql/install/93_sources_api.sql) is written here once, for
 *		the two readers that skip the query: an INSERT's transition table
 *		(source_tracked.c, events_direct()) and the collector's scan of the
 *		table (sweep.c).  Both give what the query gives: test/track.sql R23
 *		compares the live state with recompute()'s.
 */
#include "prio.h"

#include "access/detoast.h"
#include "access/genam.h"
#include "access/table.h"
#include "catalog/pg_am.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "common/hashfn.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/typcache.h"

/* prio.activity_kinds.kind is 1 to 100 characters: at most this many bytes */
#define KIND_MAX_BYTES (100 * MAX_MULTIBYTE_CHAR_LEN)

/* A key of a key map: its customer_id, or none (a key the map lacks) */
typedef struct KeyEntry
{
	Datum		key;
	int64		customer_id;
	bool		known;			/* the map has it */
	uint32		hash;
	char		status;			/* simplehash's */
} KeyEntry;

/* how the keys are hashed and compared (the hash's private_data) */
typedef struct KeyOps
{
	FmgrInfo	hash;
	FmgrInfo	eq;
	Oid			collation;
} KeyOps;

#define SH_PREFIX keymap
#define SH_ELEMENT_TYPE KeyEntry
#define SH_KEY_TYPE Datum
#define SH_KEY key
#define SH_HASH_KEY(tb, k) DatumGetUInt32(FunctionCall1Coll(&((KeyOps *) (tb)->private_data)->hash, \
									   ((KeyOps *) (tb)->private_data)->collation, (k)))
#define SH_EQUAL(tb, a, b) DatumGetBool(FunctionCall2Coll(&((KeyOps *) (tb)->private_data)->eq, \
								  ((KeyOps *) (tb)->private_data)->collation, (a), (b)))
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

struct TrackedKeys
{
	MemoryContext cxt;			/* the hash and its keys */
	keymap_hash *hash;
	KeyOps		ops;
	int16		typlen;
	bool		typbyval;
};

/* column name of rel, written as SQL writes it, of type type exactly; else 0 */
static AttrNumber
plain_column(Relation rel, const char *name, Oid type)
{
	AttrNumber	att;

	if (name == NULL || strcmp(quote_identifier(name), name) != 0)
		return InvalidAttrNumber;
	att = get_attnum(RelationGetRelid(rel), name);
	if (att <= 0 || TupleDescAttr(RelationGetDescr(rel), att - 1)->atttypid != type)
		return InvalidAttrNumber;
	return att;
}

/*
 * Whether the mapping of rel (its values for customer, kind, at and amount;
 * NULL: none) is one read here, and how (w): its customer a column of the
 * key map's key type under the collation of its primary key, kind text of
 * the database's collation, at timestamptz, amount numeric or none.
 * key_map: the key map of its customers table.
 */
bool
TrackedRowsLookup(Relation rel, const char *customer, const char *kind, const char *at,
				  const char *amount, Oid key_map, TrackedRows *w)
{
	Relation	map;
	Relation	idx = NULL;
	AttrNumber	key;
	ListCell   *lc;
	Oid			eqop = InvalidOid;

	memset(w, 0, sizeof(TrackedRows));
	if (!OidIsValid(key_map))
		return false;
	w->at = plain_column(rel, at, TIMESTAMPTZOID);
	w->kind = plain_column(rel, kind, TEXTOID);
	w->amount = plain_column(rel, amount, NUMERICOID);
	if (w->at == 0 || w->kind == 0 || (amount != NULL && w->amount == 0) ||
		TupleDescAttr(RelationGetDescr(rel), w->kind - 1)->attcollation != DEFAULT_COLLATION_OID)
		return false;
	map = try_table_open(key_map, AccessShareLock);
	if (map == NULL)
		return false;
	key = get_attnum(key_map, "key");
	/* (its primary key is deferrable: not the relcache's rd_pkindex) */
	foreach(lc, RelationGetIndexList(map))
	{
		Relation	i = index_open(lfirst_oid(lc), AccessShareLock);

		if (i->rd_index->indisprimary && idx == NULL)
			idx = i;
		else
			index_close(i, NoLock);
	}
	if (idx != NULL && key > 0 && idx->rd_rel->relam == BTREE_AM_OID && idx->rd_index->indisvalid &&
		idx->rd_index->indnkeyatts == 1 && idx->rd_index->indkey.values[0] == key)
	{
		Oid			keytype = TupleDescAttr(RelationGetDescr(map), key - 1)->atttypid;

		w->customer = plain_column(rel, customer, keytype);
		w->type = idx->rd_opcintype[0];
		w->collation = idx->rd_indcollation[0];
		if (w->customer > 0 &&
			TupleDescAttr(RelationGetDescr(rel), w->customer - 1)->attcollation == w->collation)
			eqop = get_opfamily_member(idx->rd_opfamily[0], w->type, w->type, BTEqualStrategyNumber);
		w->index = RelationGetRelid(idx);
	}
	if (idx != NULL)
		index_close(idx, NoLock);
	table_close(map, NoLock);
	if (!OidIsValid(eqop))
		return false;
	w->key_map = key_map;
	w->map_key = key;
	w->eqop = eqop;
	w->eqproc = get_opcode(eqop);
	get_typlenbyval(w->type, &w->typlen, &w->typbyval);
	return true;
}

/*
 * The events query's tiebreak: hashtextextended(concat_ws(' ', kind,
 * amount), 0), which hashes the bytes of a text of a deterministic
 * collation -- the database's always is.
 */
int64
TrackedEventTiebreak(const char *kind, int kind_len, Numeric amount)
{
	StringInfoData s;
	int64		h;

	if (amount == NULL)
		return DatumGetInt64(hash_any_extended((const unsigned char *) kind, kind_len, 0));
	initStringInfo(&s);
	appendBinaryStringInfo(&s, kind, kind_len);
	appendStringInfoChar(&s, ' ');
	appendStringInfoString(&s, DatumGetCString(DirectFunctionCall1(numeric_out,
																   NumericGetDatum(amount))));
	h = DatumGetInt64(hash_any_extended((const unsigned char *) s.data, s.len, 0));
	pfree(s.data);
	return h;
}

/*
 * The event of a row (slot, of a table w reads), as EVENTS gives it but for
 * its customer_id (the caller looks its key up): false when it gives none
 * -- its customer, at or kind NULL, its at infinite, its kind not in cfg's
 * kinds.  *hint: the last kind's index.  The amount is none when NULL, NaN
 * or infinite; key, kind and amount point into the slot.
 */
bool
TrackedRowEvent(const TrackedRows *w, TupleTableSlot *slot, const PrioConfig *cfg, int *hint,
				TrackedEvent *ev)
{
	bool		isnull;
	Datum		d;
	int			k;

	ev->key = slot_getattr(slot, w->customer, &isnull);
	if (isnull)
		return false;
	ev->at = DatumGetTimestampTz(slot_getattr(slot, w->at, &isnull));
	if (isnull || TIMESTAMP_NOT_FINITE(ev->at))
		return false;
	d = slot_getattr(slot, w->kind, &isnull);
	/* (longer than any kind can be: not detoasted to be looked up) */
	if (isnull || toast_raw_datum_size(d) > VARHDRSZ + KIND_MAX_BYTES)
		return false;
	ev->kind = DatumGetTextPP(d);
	k = prio_kind_find(cfg, VARDATA_ANY(ev->kind), VARSIZE_ANY_EXHDR(ev->kind), *hint);
	if (k < 0)
		return false;
	*hint = k;
	ev->amount = NULL;
	if (w->amount > 0)
	{
		d = slot_getattr(slot, w->amount, &isnull);
		if (!isnull && !numeric_is_nan(DatumGetNumeric(d)) && !numeric_is_inf(DatumGetNumeric(d)))
			ev->amount = DatumGetNumeric(d);
	}
	return true;
}

/* ---------------------------------------------------------------- keys */

/*
 * A hash of keys of type under the equality eqop and collation, in a
 * memory context of its own under parent (size: the keys expected); NULL
 * when the type has no hash that agrees with eqop (then only an index
 * finds them).
 */
TrackedKeys *
TrackedKeysCreate(Oid type, Oid eqop, Oid collation, MemoryContext parent, uint32 size)
{
	TypeCacheEntry *tc = lookup_type_cache(type, TYPECACHE_HASH_PROC | TYPECACHE_EQ_OPR);
	TrackedKeys *keys;

	if (!OidIsValid(tc->hash_proc) || tc->eq_opr != eqop)
		return NULL;
	keys = MemoryContextAllocZero(parent, sizeof(TrackedKeys));
	keys->cxt = AllocSetContextCreate(parent, "prio keys", ALLOCSET_DEFAULT_SIZES);
	fmgr_info_cxt(tc->hash_proc, &keys->ops.hash, parent);
	fmgr_info_cxt(get_opcode(eqop), &keys->ops.eq, parent);
	keys->ops.collation = collation;
	get_typlenbyval(type, &keys->typlen, &keys->typbyval);
	keys->hash = keymap_create(keys->cxt, Max(size, 64), &keys->ops);
	return keys;
}

/* key's customer_id (known false: a key the key map lacks); key is copied */
void
TrackedKeysPut(TrackedKeys *keys, Datum key, bool known, int64 customer_id)
{
	MemoryContext old = MemoryContextSwitchTo(keys->cxt);
	bool		found;
	KeyEntry   *e = keymap_insert(keys->hash, key, &found);

	if (!found)
		e->key = datumCopy(key, keys->typbyval, keys->typlen);
	e->known = known;
	e->customer_id = customer_id;
	MemoryContextSwitchTo(old);
}

/*
 * Whether key is in the hash; if so, *known whether the key map has it, and
 * *customer_id its customer.
 */
bool
TrackedKeysGet(TrackedKeys *keys, Datum key, bool *known, int64 *customer_id)
{
	KeyEntry   *e = keymap_lookup(keys->hash, key);

	if (e == NULL)
		return false;
	*known = e->known;
	*customer_id = e->customer_id;
	return true;
}

/* the memory the hash and its keys take */
Size
TrackedKeysSpace(TrackedKeys *keys)
{
	return MemoryContextMemAllocated(keys->cxt, true);
}

/* the hash emptied */
void
TrackedKeysReset(TrackedKeys *keys)
{
	MemoryContextReset(keys->cxt);
	keys->hash = keymap_create(keys->cxt, 64, &keys->ops);
}

void
TrackedKeysFree(TrackedKeys *keys)
{
	MemoryContextDelete(keys->cxt);
	pfree(keys);
}
