/*
 * config.c
 *		What the insert trigger reads besides the customers: the activity
 *		kinds, the settings, the breaks in force and the latest CLV models,
 *		kept per backend until one of their tables changes.
 *
 * Reading them with two statements on every INSERT was a fifth of the
 * trigger's cost.  Each of the four tables has prio.invalidate_cache() as
 * a statement trigger (rule_config, the view over them, is watched for
 * redefinition), which sends a relcache invalidation: other backends
 * see it after the commit, this one at its next command (and an abort
 * undoes it here too).  The caller accepts pending invalidations after
 * waiting for its row locks, and a load reads with the latest snapshot, so
 * the trigger still sees every change committed before it got its locks,
 * as it did when it read the tables each time.  A load during which an
 * invalidation arrives is repeated, and an abort forgets the copy.
 */
#include "prio.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#define NWATCHED 5
static const char *const watched_names[NWATCHED] = {"activity_kinds", "settings",
"auto_breaks", "clv_models", "rule_config"};

static MemoryContext config_cxt = NULL;	/* the loaded values; reset on load */
static MemoryContext reader_cxt = NULL; /* the row readers' field maps */
static PrioConfig config;
static bool config_valid = false;
static bool config_models = false;	/* loaded from 0.2's tables */
static uint64 config_generation = 0;
static Oid	watched[NWATCHED];
static RowReader settings_rr;
static RowReader model_rr[2];

void
ConfigRelationChanged(Oid relid)
{
	bool		ours = (relid == InvalidOid);

	for (int i = 0; i < NWATCHED && !ours; i++)
		ours = (relid == watched[i]);
	if (ours)
	{
		config_valid = false;
		config_generation++;
	}
}

/*
 * An abort drops the invalidations its last command queued, so a copy
 * loaded from rows that command wrote (a CTE changing a kind, then the
 * insert) would outlive them: forget the copy at every abort.
 */
void
ConfigXactEvent(XactEvent event)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		config_valid = false;
}

void
ConfigSubXactEvent(SubXactEvent event, SubTransactionId mySubid)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		config_valid = false;
}

static SPITupleTable *
config_query(const char *sql, const char *what)
{
	SPIPlanPtr	plan = SPI_prepare(sql, 0, NULL);
	int			rc;

	if (plan == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not read %s: %s", what, SPI_result_code_string(SPI_result))));
	/*
	 * In a parallel query (prio.win_features() runs in its leader) no new
	 * snapshot may be taken: read with the query's, as segment.c does.
	 */
	rc = SPI_execute_snapshot(plan, NULL, NULL,
							  IsInParallelMode() ? InvalidSnapshot : GetLatestSnapshot(),
							  InvalidSnapshot, true, false, 0);
	if (rc != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not read %s: %s", what, SPI_result_code_string(rc))));
	SPI_freeplan(plan);
	return SPI_tuptable;
}

static void
load_kinds(void)
{
	SPITupleTable *tt;
	MemoryContext old;

	/* its columns are read by position, as the types they were created with */
	PrioCheckTableByName("activity_kinds");
	tt = config_query(
		"SELECT kind, direction OPERATOR(pg_catalog.=) 'inbound', stage, is_purchase,"
		"       intent_weight FROM " PRIO_SCHEMA ".activity_kinds",
		"prio.activity_kinds");
	old = MemoryContextSwitchTo(config_cxt);
	config.nkinds = SPI_processed;
	config.kinds = palloc(sizeof(PrioKind) * Max(config.nkinds, 1));
	for (int i = 0; i < config.nkinds; i++)
	{
		HeapTuple	t = tt->vals[i];
		TupleDesc	d = tt->tupdesc;
		PrioKind   *k = &config.kinds[i];
		bool		isnull;
		bool		stage_null;
		Datum		stage = SPI_getbinval(t, d, 3, &stage_null);

		k->name = SPI_getvalue(t, d, 1);
		k->namelen = strlen(k->name);
		k->inbound = DatumGetBool(SPI_getbinval(t, d, 2, &isnull));
		k->has_stage = !stage_null;
		k->stage = stage_null ? STAGE_PROSPECT : StageFromDatum(stage);
		k->is_purchase = DatumGetBool(SPI_getbinval(t, d, 4, &isnull));
		k->weight = DatumGetFloat8(SPI_getbinval(t, d, 5, &isnull));
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(tt);
}

static void
load_settings(bool with_models)
{
	SPITupleTable *tt = config_query(with_models
		? "SELECT r.cfg, r.r_breaks, r.f_breaks, r.m_breaks, r.bgnbd, r.gammagamma"
		"  FROM " PRIO_SCHEMA ".rule_config r"
		: "SELECT r.cfg, r.r_breaks, r.f_breaks, r.m_breaks FROM " PRIO_SCHEMA ".rule_config r",
		"prio.settings");
	HeapTuple	t;
	TupleDesc	d;
	bool		isnull;
	MemoryContext old;

	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("prio.settings must have exactly one row")));
	t = tt->vals[0];
	d = tt->tupdesc;
	old = MemoryContextSwitchTo(config_cxt);
	RowBind(&settings_rr, SPI_getbinval(t, d, 1, &isnull), reader_cxt);
	prio_read_settings(&config.settings, &settings_rr);
	for (int i = 0; i < 3; i++)
	{
		Datum		b = SPI_getbinval(t, d, 2 + i, &isnull);

		config.breaks[i] = NULL;
		config.nbreaks[i] = 0;
		if (!isnull)
			config.breaks[i] = CheckBreaks(DatumGetArrayTypePCopy(b), &config.nbreaks[i]);
	}
	config.settings.has_model = false;
	if (with_models && config.settings.has_min_clv)
	{
		bool		bg_null;
		bool		gg_null;
		Datum		bg = SPI_getbinval(t, d, 5, &bg_null);
		Datum		gg = SPI_getbinval(t, d, 6, &gg_null);

		prio_read_model(&config.settings, bg, bg_null, gg, gg_null, model_rr, reader_cxt);
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(tt);
}

/*
 * The configuration in force for the caller's API version; the caller is
 * connected to SPI.  From 0.2 on, rule_config has the models and the
 * configuration tables send invalidations; 0.1's are read every time.
 */
const PrioConfig *
prio_config(PrioApiVersion api)
{
	bool		v02 = PRIO_API_HAS_BTYD(api);

	/* SPI returns in its procedure context: the caller gets its own back */
	MemoryContext caller = CurrentMemoryContext;

	if (config_cxt == NULL)
	{
		reader_cxt = AllocSetContextCreate(TopMemoryContext, "prio config readers",
										   ALLOCSET_SMALL_SIZES);
		config_cxt = AllocSetContextCreate(TopMemoryContext, "prio config",
										   ALLOCSET_SMALL_SIZES);
		SettingsReaderInit(&settings_rr);
		ModelReadersInit(model_rr);
	}
	if (config_valid && config_models && v02)
		return &config;

	for (;;)
	{
		uint64		generation = config_generation;
		Oid			nsp = get_namespace_oid(PRIO_SCHEMA, false);

		config_valid = false;
		for (int i = 0; i < NWATCHED; i++)
			watched[i] = get_relname_relid(watched_names[i], nsp);
		MemoryContextReset(config_cxt);
		memset(&config, 0, sizeof(config));
		load_kinds();
		load_settings(v02);
		if (generation == config_generation)
			break;
	}
	config_models = v02;
	config_valid = true;
	MemoryContextSwitchTo(caller);
	return &config;
}

/* Changes whenever the copy may change: what was read under one generation holds for it. */
uint64
prio_config_generation(void)
{
	return config_generation;
}

/* Forget the copy: the next prio_config() reads the tables again. */
void
prio_config_forget(void)
{
	config_valid = false;
	config_generation++;
}

int
prio_kind_index(const PrioConfig *c, const char *name, int len, int hint)
{
	/* rows of one statement tend to repeat a kind: try the hint first */
	if (hint >= 0 && hint < c->nkinds && c->kinds[hint].namelen == len &&
		memcmp(c->kinds[hint].name, name, len) == 0)
		return hint;
	for (int i = 0; i < c->nkinds; i++)
		if (c->kinds[i].namelen == len && memcmp(c->kinds[i].name, name, len) == 0)
			return i;
	/* the foreign key makes this unreachable */
	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("activity kind \"%.*s\" is not in prio.activity_kinds", len, name)));
	pg_unreachable();
}
