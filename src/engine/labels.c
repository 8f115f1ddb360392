/*
 * labels.c
 *		The labels of stages, tiers, types, segments, channels, roles,
 *		playbooks and the reason line, from the user-editable table
 *		prio.labels (domain, code, lang, label), in the language the setting
 *		prio.language names.
 *
 * The table is read once into a hash table and kept until it changes:
 * prio.invalidate_cache() (a statement trigger on the table) sends a
 * relcache invalidation, seen by every backend at commit and by the writing
 * one at its next command.  As rfm_segments.c does, the rows are read with
 * the latest snapshot and a load during which an invalidation arrives is
 * repeated.
 *
 * A lookup tries the tag of prio.language, then its shorter forms
 * (zh-Hans-CN, zh-Hans, zh), then for a tag whose script its region implies
 * the tag with that script (zh-TW: zh-Hant-TW, CLDR's likely subtags), then
 * the tag's script alone (zh-Hant) and the tags of that script the table
 * has (zh-HK, zh-TW: a Taiwanese session reads Traditional characters when
 * there are any), then the other tags of the same language (zh-CN, the
 * built-in rows', for zh or zh-TW: a Chinese session reads Chinese), then
 * English (en); NULL when none has a label (prio.label() then gives the
 * code itself).  Each list of tags is tried in name order, tag by tag, for
 * the code itself: a tag with a few rows of its own (zh-Hant for the tiers)
 * does not hide another tag's rows for the other codes (zh-TW's stages).
 */
#include "prio.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

typedef struct LabelKey
{
	const char *domain;
	const char *code;
	const char *lang;
} LabelKey;

typedef struct LabelEntry
{
	LabelKey	key;
	const char *label;
} LabelEntry;

/*
 * a tag of the table under its language (zh: zh-CN, zh-TW) and under its
 * language and script (zh-Hant: zh-HK, zh-TW, zh-Hant-TW); sorted by
 * language, then tag, once loaded
 */
typedef struct LanguageTag
{
	char		language[9];	/* zh, or zh-Hant */
	const char *tag;
} LanguageTag;

static MemoryContext labels_cxt = NULL;
static HTAB *labels_hash = NULL;
static LanguageTag *language_tags = NULL;
static int	nlanguage_tags = 0;
static bool labels_valid = false;
static uint64 labels_generation = 0;	/* bumped by every invalidation */
static Oid	labels_relid = InvalidOid;

void
LabelsRelationChanged(Oid relid)
{
	if (relid == InvalidOid || relid == labels_relid)
	{
		labels_valid = false;
		labels_generation++;
	}
}

static uint32
label_hash(const void *key, Size keysize)
{
	const LabelKey *k = (const LabelKey *) key;
	uint32		h = string_hash(k->domain, strlen(k->domain) + 1);

	h = hash_combine(h, string_hash(k->code, strlen(k->code) + 1));
	return hash_combine(h, string_hash(k->lang, strlen(k->lang) + 1));
}

static int
label_match(const void *key1, const void *key2, Size keysize)
{
	const LabelKey *a = (const LabelKey *) key1;
	const LabelKey *b = (const LabelKey *) key2;

	if (strcmp(a->domain, b->domain) != 0 || strcmp(a->code, b->code) != 0)
		return 1;
	return strcmp(a->lang, b->lang);
}

/* tag (in labels_cxt) under language (n bytes), once */
static void
language_tag_note(const char *language, int n, const char *tag)
{
	int			i = nlanguage_tags;

	if (n == 0 || n >= (int) sizeof(language_tags->language))
		return;
	for (int j = 0; j < nlanguage_tags; j++)
		if (strncmp(language_tags[j].language, language, n) == 0 &&
			language_tags[j].language[n] == '\0' &&
			strcmp(language_tags[j].tag, tag) == 0)
			return;
	language_tags = language_tags == NULL
		? MemoryContextAlloc(labels_cxt, sizeof(LanguageTag))
		: repalloc(language_tags, sizeof(LanguageTag) * (nlanguage_tags + 1));
	memcpy(language_tags[i].language, language, n);
	language_tags[i].language[n] = '\0';
	language_tags[i].tag = tag;
	nlanguage_tags++;
}

static int
language_tag_cmp(const void *a, const void *b)
{
	const LanguageTag *x = (const LanguageTag *) a;
	const LanguageTag *y = (const LanguageTag *) b;
	int			c = strcmp(x->language, y->language);

	return c != 0 ? c : strcmp(x->tag, y->tag);
}

/* tag under its language, and under its language and script */
static void
language_tag_add(const char *tag)
{
	const char *dash = strchr(tag, '-');
	char		script[5];
	char		key[sizeof(language_tags->language)];

	if (dash == NULL)
		return;
	language_tag_note(tag, dash - tag, tag);
	if (prio_language_script(tag, script) && dash - tag + 5 < (int) sizeof(key))
	{
		memcpy(key, tag, dash - tag + 1);
		strcpy(key + (dash - tag) + 1, script);
		language_tag_note(key, strlen(key), tag);
	}
}

static void
labels_load_once(void)
{
	Oid			nsp = get_namespace_oid(PRIO_SCHEMA, false);
	HASHCTL		ctl;
	SPIPlanPtr	plan;
	int			rc;

	if (labels_cxt == NULL)
		labels_cxt = AllocSetContextCreate(TopMemoryContext, "prio labels",
										   ALLOCSET_DEFAULT_SIZES);
	/* the hash table lives in labels_cxt: reset, it is gone */
	labels_valid = false;
	labels_hash = NULL;
	language_tags = NULL;
	nlanguage_tags = 0;
	MemoryContextReset(labels_cxt);
	labels_relid = get_relname_relid("labels", nsp);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(LabelKey);
	ctl.entrysize = sizeof(LabelEntry);
	ctl.hash = label_hash;
	ctl.match = label_match;
	ctl.hcxt = labels_cxt;

	SPI_connect();
	plan = SPI_prepare("SELECT domain::pg_catalog.text, code::pg_catalog.text,"
					   " lang::pg_catalog.text, label::pg_catalog.text"
					   " FROM " PRIO_SCHEMA ".labels", 0, NULL);
	/* a missing table or column raises its own error in SPI_prepare() */
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	/* parallel workers cannot take a new snapshot; they share the leader's */
	rc = SPI_execute_snapshot(plan, NULL, NULL,
							  IsInParallelMode() ? InvalidSnapshot : GetLatestSnapshot(),
							  InvalidSnapshot, true, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_snapshot failed: %s", SPI_result_code_string(rc));

	labels_hash = hash_create("prio labels", Max(SPI_processed, 64), &ctl,
							  HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *v[4];
		LabelKey	key;
		LabelEntry *entry;
		bool		found;

		for (int c = 0; c < 4; c++)
			v[c] = SPI_getvalue(tup, desc, c + 1);
		/* the columns are NOT NULL; a row without one names nothing */
		if (v[0] == NULL || v[1] == NULL || v[2] == NULL || v[3] == NULL)
			continue;
		key.domain = MemoryContextStrdup(labels_cxt, v[0]);
		key.code = MemoryContextStrdup(labels_cxt, v[1]);
		key.lang = MemoryContextStrdup(labels_cxt, v[2]);
		entry = hash_search(labels_hash, &key, HASH_ENTER, &found);
		entry->label = MemoryContextStrdup(labels_cxt, v[3]);
		if (!found)
			language_tag_add(key.lang);
	}
	if (nlanguage_tags > 1)
		qsort(language_tags, nlanguage_tags, sizeof(LanguageTag), language_tag_cmp);
	SPI_finish();
}

static void
labels_load(void)
{
	for (;;)
	{
		uint64		generation = labels_generation;

		labels_load_once();
		if (generation == labels_generation)
			break;
	}
	labels_valid = true;
}

static const char *
label_in(const char *domain, const char *code, const char *lang)
{
	LabelKey	key;
	LabelEntry *entry;

	key.domain = domain;
	key.code = code;
	key.lang = lang;
	entry = hash_search(labels_hash, &key, HASH_FIND, NULL);
	return entry ? entry->label : NULL;
}

/* the label in the first tag under language (zh, or zh-Hant) that has one */
static const char *
label_in_language(const char *domain, const char *code, const char *language)
{
	for (int i = 0; i < nlanguage_tags; i++)
		if (strcmp(language_tags[i].language, language) == 0)
		{
			const char *label = label_in(domain, code, language_tags[i].tag);

			if (label != NULL)
				return label;
		}
	return NULL;
}

/*
 * The label of code in domain, in prio.language (or a shorter form of its
 * tag, or its language's default tag), else in English; NULL when none has
 * one.
 */
const char *
prio_label(const char *domain, const char *code)
{
	char		lang[PRIO_LANGUAGE_TAG_MAX + 1];
	char		script[5];
	bool		has_script;
	const char *label;

	if (!labels_valid || labels_hash == NULL)
		labels_load();

	/* the check hook let only a tag of at most PRIO_LANGUAGE_TAG_MAX through */
	strlcpy(lang, prio_language ? prio_language : "en", sizeof(lang));
	has_script = prio_language_script(lang, script);
	label = label_in(domain, code, lang);
	if (label != NULL)
		return label;
	if (has_script)
	{
		/*
		 * a script the region implies: the tag with it next (zh-TW:
		 * zh-Hant-TW; zh-Hant comes below), the same locale written in full
		 */
		const char *rest = strchr(lang, '-');
		char		full[PRIO_LANGUAGE_TAG_MAX + 6];

		if (rest != NULL && strncmp(rest + 1, script, 4) != 0)
		{
			snprintf(full, sizeof(full), "%.*s-%s%s", (int) (rest - lang), lang, script, rest);
			do
			{
				label = label_in(domain, code, full);
				if (label != NULL)
					return label;
				prio_language_parent(full);
			} while (strchr(strchr(full, '-') + 1, '-') != NULL);
		}
	}
	while (prio_language_parent(lang))
	{
		label = label_in(domain, code, lang);
		if (label != NULL)
			return label;
	}
	/* lang is the language alone now: its script's tags first (zh-TW: zh-Hant) */
	if (has_script && strlen(lang) + 6 <= sizeof(lang))
	{
		char		ls[PRIO_LANGUAGE_TAG_MAX + 1];

		snprintf(ls, sizeof(ls), "%s-%s", lang, script);
		label = label_in(domain, code, ls);
		if (label == NULL)
			label = label_in_language(domain, code, ls);
		if (label != NULL)
			return label;
	}
	/* another region's, before English */
	label = label_in_language(domain, code, lang);
	if (label != NULL)
		return label;
	return label_in(domain, code, "en");
}
