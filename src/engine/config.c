/*
 * config.c
 *		What the insert trigger reads besides the customers: the activity
 *		kinds, the settings, the breaks in force and the latest CLV models,
 *		kept per backend until one of their tables changes; and the settings
 *		and model rows read and checked field by field (prio.evaluate too).
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

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#define NWATCHED 9
static const char *const watched_names[NWATCHED] = {"activity_kinds", "settings",
"auto_breaks", "clv_models", "rule_config", "customer_types", "playbooks",
"value_signals", "deal_stages"};
#define W_PLAYBOOKS 6			/* 0.5 on: a database not yet updated has none */

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

	/* a SELECT: errors are thrown, anything else cannot happen */
	if (plan == NULL)
		elog(ERROR, "could not read %s: %s", what, SPI_result_code_string(SPI_result));

	/*
	 * In a parallel query (prio.win_features() runs in its leader) no new
	 * snapshot may be taken: read with the query's, as rfm_segments.c does.
	 */
	rc = SPI_execute_snapshot(plan, NULL, NULL,
							  IsInParallelMode() ? InvalidSnapshot : GetLatestSnapshot(),
							  InvalidSnapshot, true, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read %s: %s", what, SPI_result_code_string(rc));
	SPI_freeplan(plan);
	return SPI_tuptable;
}

static void
load_kinds(void)
{
	SPITupleTable *tt;
	MemoryContext old;
	bool		with_revives;

	/* its columns are read by position, as the types they were created with */
	PrioCheckTableByName("activity_kinds");
	/* revives (0.5): every kind revives in a database not updated yet */
	with_revives = get_attnum(PrioRelid("activity_kinds"), "revives") != InvalidAttrNumber;
	tt = config_query(with_revives
		? "SELECT kind, direction OPERATOR(pg_catalog.=) 'inbound', stage, is_purchase,"
		"       intent_weight, revives FROM " PRIO_SCHEMA ".activity_kinds"
		: "SELECT kind, direction OPERATOR(pg_catalog.=) 'inbound', stage, is_purchase,"
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
		k->revives = !with_revives || DatumGetBool(SPI_getbinval(t, d, 6, &isnull));
		k->deal_quote = strcmp(k->name, "quote") == 0 || strcmp(k->name, "proposal") == 0;
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
	/* (0.5: prio.value_signals may give the CLV signal a threshold of its own) */
	if (with_models)
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
 * 0.5: prio.value_signals (each enabled signal with its threshold; NULL: the
 * 0.4 setting it stands for) and prio.deal_stages (the open stages' funnel
 * points: the k-th of n by position scores k/n), where the tables exist.
 */
static void
load_deals_config(void)
{
	Oid			nsp = get_namespace_oid(PRIO_SCHEMA, false);
	SPITupleTable *tt;
	MemoryContext old;
	PrioDealStage *st;
	int			nopen = 0;
	int			k = 0;

	if (OidIsValid(get_relname_relid("value_signals", nsp)))
	{
		tt = config_query("SELECT signal, enabled, threshold FROM " PRIO_SCHEMA ".value_signals",
						  "prio.value_signals");
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	t = tt->vals[r];
			TupleDesc	d = tt->tupdesc;
			char	   *name = SPI_getvalue(t, d, 1);
			bool		isnull;
			bool		tnull;
			bool		enabled = DatumGetBool(SPI_getbinval(t, d, 2, &isnull));
			Datum		threshold = SPI_getbinval(t, d, 3, &tnull);

			for (int v = 0; v < VS_COUNT; v++)
			{
				if (name == NULL || strcmp(name, prio_value_signal_names[v]) != 0)
					continue;
				config.settings.vs_enabled[v] = !isnull && enabled;
				if (!tnull)
				{
					config.settings.vs_has_threshold[v] = true;
					config.settings.vs_threshold[v] = DatumGetFloat8(threshold);
				}
				else if (v == VS_PIPELINE)
					config.settings.vs_has_threshold[v] = false;
				/* else: the 0.4 setting's, as prio_read_settings() put it */
			}
		}
		SPI_freetuptable(tt);
	}
	if (!OidIsValid(get_relname_relid("deal_stages", nsp)))
		return;
	tt = config_query("SELECT stage, outcome IS NULL, lifecycle FROM " PRIO_SCHEMA ".deal_stages"
					  " ORDER BY position, stage", "prio.deal_stages");
	old = MemoryContextSwitchTo(config_cxt);
	st = palloc0(sizeof(PrioDealStage) * Max(SPI_processed, 1));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	t = tt->vals[r];
		TupleDesc	d = tt->tupdesc;
		bool		isnull;
		bool		lnull;
		Datum		lifecycle = SPI_getbinval(t, d, 3, &lnull);

		st[r].name = SPI_getvalue(t, d, 1);
		st[r].open = DatumGetBool(SPI_getbinval(t, d, 2, &isnull)) && !lnull;
		st[r].lifecycle = lnull ? STAGE_PROSPECT : StageFromDatum(lifecycle);
		if (st[r].open)
			nopen++;
	}
	for (uint64 r = 0; r < SPI_processed; r++)
		if (st[r].open)
			st[r].points = (double) ++k / nopen;
	config.settings.deal_stages = st;
	config.settings.ndeal_stages = SPI_processed;
	MemoryContextSwitchTo(old);
	SPI_freetuptable(tt);
}

/*
 * The enabled playbooks (0.5), where the table exists: config.playbooks, and
 * the settings point at them.  Ordered by name, so ties resolve the same
 * whatever the heap order (rules/playbook.c decides them by name anyway).
 */
static void
load_playbooks(void)
{
	SPITupleTable *tt;
	MemoryContext old;

	config.settings.playbooks = NULL;
	if (!OidIsValid(watched[W_PLAYBOOKS]))
		return;
	/* cast: a column a DBA changed the type of is read as prio made it */
	tt = config_query(
		"SELECT p.playbook::pg_catalog.text, p.cadence::pg_catalog.interval"
		"  FROM " PRIO_SCHEMA ".playbooks p WHERE p.enabled"
		" ORDER BY p.playbook COLLATE \"C\"",
		"prio.playbooks");
	old = MemoryContextSwitchTo(config_cxt);
	config.playbooks.n = SPI_processed;
	config.playbooks.rows = palloc0(sizeof(PrioPlaybook) * Max(config.playbooks.n, 1));
	for (int i = 0; i < config.playbooks.n; i++)
	{
		HeapTuple	t = tt->vals[i];
		TupleDesc	d = tt->tupdesc;
		PrioPlaybook *p = &config.playbooks.rows[i];
		bool		isnull;
		Datum		cadence = SPI_getbinval(t, d, 2, &isnull);

		p->name = SPI_getvalue(t, d, 1);
		p->tier = (strlen(p->name) == 1 && p->name[0] >= 'A' && p->name[0] <= 'D')
			? p->name[0] - 'A' : -1;
		p->has_cadence = !isnull;
		if (!isnull)
			p->cadence_us = CheckPositiveInterval(DatumGetIntervalP(cadence), "playbook cadence");
		else if (p->tier < 0)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("playbook \"%s\" of a key-customer type must have a cadence", p->name)));
	}
	config.settings.playbooks = &config.playbooks;
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
		load_deals_config();
		load_playbooks();
		if (generation == config_generation)
			break;
	}
	config_models = v02;
	config_valid = true;
	MemoryContextSwitchTo(caller);
	return &config;
}

/*
 * (0.5) The key-customer types of c (prio_config()'s), loaded with the rest
 * of the copy the first time a caller evaluates types: only those read
 * prio.customer_types (engine/customer_types.c).  The caller is connected
 * to SPI.
 */
void
prio_config_types(const PrioConfig *c)
{
	MemoryContext old;

	if (c != &config || config.types_loaded)
		return;
	old = MemoryContextSwitchTo(config_cxt);
	PrioTypesLoad(&config);
	MemoryContextSwitchTo(old);
	config.types_loaded = true;
}

/*
 * The playbooks in force (NULL: none, a database not yet updated to 0.5),
 * for prio.evaluate() and prio.playbook_choice(), whose other inputs are
 * their arguments: from the cache, read first if it is not current.
 */
const PrioPlaybooks *
prio_playbooks(void)
{
	/* a database not yet updated: not even the rest is read (0.1 lacks the models) */
	if (!OidIsValid(get_relname_relid("playbooks", get_namespace_oid(PRIO_SCHEMA, false))))
		return NULL;
	if (!(config_valid && config_models))
	{
		SPI_connect();
		prio_config(PRIO_API_CURRENT);
		SPI_finish();
	}
	return config.settings.playbooks;
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

/* The index of kind name in c->kinds, or -1: not a kind prio knows */
int
prio_kind_find(const PrioConfig *c, const char *name, int len, int hint)
{
	/* rows of one statement tend to repeat a kind: try the hint first */
	if (hint >= 0 && hint < c->nkinds && c->kinds[hint].namelen == len &&
		memcmp(c->kinds[hint].name, name, len) == 0)
		return hint;
	for (int i = 0; i < c->nkinds; i++)
		if (c->kinds[i].namelen == len && memcmp(c->kinds[i].name, name, len) == 0)
			return i;
	return -1;
}

int
prio_kind_index(const PrioConfig *c, const char *name, int len, int hint)
{
	int			i = prio_kind_find(c, name, len, hint);

	if (i >= 0)
		return i;
	/* the foreign key makes this unreachable */
	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("activity kind \"%.*s\" is not in prio.activity_kinds", len, name)));
	pg_unreachable();
}


/*
 * The settings row and the CLV models, read field by field by name and
 * checked: for the cache above and for prio.evaluate()'s arguments.
 */
enum
{
	S_HALF_LIFE, S_SILENT_AFTER, S_DORMANT_AFTER, S_NO_REPLY_AFTER,
	S_CADENCE_A, S_CADENCE_B, S_CADENCE_C, S_CADENCE_D,
	S_VALUE_SCORE, S_BANT_THRESHOLD, S_INTENT_THRESHOLD,
	S_W_TIER, S_W_RFM, S_W_BANT, S_W_INTENT, S_W_STAGE,
	S_VALUE_MIN_CLV, S_CLV_HORIZON, S_CLV_DISCOUNT,	/* 0.2: absent from 0.1's row */
	S_REPLY_WEIGHT, S_REPLY_HALF_LIFE, S_SILENT_CADENCE, S_LOST_CADENCE,	/* 0.5 */
	S_W_FUNNEL,					/* 0.5: absent before */
	S_NFIELDS
};
static const char *const settings_fields[S_NFIELDS] = {
	"intent_half_life", "silent_after", "dormant_after", "no_reply_after",
	"cadence_a", "cadence_b", "cadence_c", "cadence_d",
	"value_score", "bant_threshold", "intent_threshold",
	"weight_tier", "weight_rfm", "weight_bant", "weight_intent", "weight_stage",
	"value_min_clv", "clv_horizon", "clv_discount_rate",
	"reply_weight", "reply_half_life", "silent_cadence", "lost_cadence",
	"weight_funnel"
};
static const Oid settings_types[S_NFIELDS] = {
	INTERVALOID, INTERVALOID, INTERVALOID, INTERVALOID,
	INTERVALOID, INTERVALOID, INTERVALOID, INTERVALOID,
	INT4OID, INT4OID, FLOAT8OID,
	FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID,
	FLOAT8OID, INT4OID, FLOAT8OID,
	FLOAT8OID, INTERVALOID, INTERVALOID, INTERVALOID, FLOAT8OID
};

static const char *const bgnbd_fields[4] = {"r", "alpha", "a", "b"};
static const char *const gg_fields[3] = {"p", "q", "v"};
static const Oid float8_types[4] = {FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID};


void
SettingsReaderInit(RowReader *rr)
{
	rr->what = "prio.settings";
	rr->names = settings_fields;
	rr->types = settings_types;
	rr->nfields = S_NFIELDS;
	rr->nrequired = S_VALUE_MIN_CLV;
}

/* readers[0] for prio.bgnbd, readers[1] for prio.gammagamma */
void
ModelReadersInit(RowReader *readers)
{
	readers[0].what = "prio.bgnbd";
	readers[0].names = bgnbd_fields;
	readers[0].types = float8_types;
	readers[0].nfields = 4;
	readers[0].nrequired = 0;
	readers[1].what = "prio.gammagamma";
	readers[1].names = gg_fields;
	readers[1].types = float8_types;
	readers[1].nfields = 3;
	readers[1].nrequired = 0;
}

static bool
read_params(RowReader *rr, Datum row, MemoryContext cxt, double *par)
{
	RowBind(rr, row, cxt);
	for (int i = 0; i < rr->nfields; i++)
	{
		bool		isnull;
		Datum		d = RowGet(rr, i, &isnull);

		if (isnull || !(DatumGetFloat8(d) > 0) || isinf(DatumGetFloat8(d)))
			return false;
		par[i] = DatumGetFloat8(d);
	}
	return true;
}

/* The latest CLV model (prio.rule_config); a missing or broken one is none */
void
prio_read_model(PrioSettings *s, Datum bgnbd, bool bgnbd_null, Datum gammagamma,
				bool gammagamma_null, RowReader *readers, MemoryContext cxt)
{
	s->has_model = !bgnbd_null && !gammagamma_null &&
		read_params(&readers[0], bgnbd, cxt, s->bgnbd) &&
		read_params(&readers[1], gammagamma, cxt, s->gammagamma);
}

/* A setting's value; the table refuses NULLs, a hand-made row may not. */
static Datum
field_value(RowReader *rr, int f)
{
	bool		isnull;
	Datum		d = RowGet(rr, f, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("setting %s must not be NULL", settings_fields[f])));
	return d;
}

static double
field_usecs(RowReader *rr, int f)
{
	return CheckPositiveInterval(DatumGetIntervalP(field_value(rr, f)), settings_fields[f]);
}

static double
field_float(RowReader *rr, int f)
{
	double		v = DatumGetFloat8(field_value(rr, f));

	CheckFiniteDouble(v, settings_fields[f]);
	return v;
}

void
prio_read_settings(PrioSettings *s, RowReader *rr)
{
	s->half_life_us = field_usecs(rr, S_HALF_LIFE);
	s->silent_us = field_usecs(rr, S_SILENT_AFTER);
	s->dormant_us = field_usecs(rr, S_DORMANT_AFTER);
	s->no_reply_us = field_usecs(rr, S_NO_REPLY_AFTER);
	for (int t = 0; t < 4; t++)
		s->cadence_us[t] = field_usecs(rr, S_CADENCE_A + t);
	s->value_score = DatumGetInt32(field_value(rr, S_VALUE_SCORE));
	s->bant_threshold = DatumGetInt32(field_value(rr, S_BANT_THRESHOLD));
	if (s->value_score < 1 || s->value_score > 5 || s->bant_threshold < 1 || s->bant_threshold > 4)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("setting value_score must be 1..5 and bant_threshold 1..4")));
	s->intent_threshold = field_float(rr, S_INTENT_THRESHOLD);
	if (s->intent_threshold <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("setting intent_threshold must be positive")));
	s->w_tier = field_float(rr, S_W_TIER);
	s->w_rfm = field_float(rr, S_W_RFM);
	s->w_bant = field_float(rr, S_W_BANT);
	s->w_intent = field_float(rr, S_W_INTENT);
	s->w_stage = field_float(rr, S_W_STAGE);
	if (s->w_tier < 0 || s->w_rfm < 0 || s->w_bant < 0 || s->w_intent < 0 || s->w_stage < 0 ||
		s->w_tier >= 1e6 || s->w_rfm >= 1e6 || s->w_bant >= 1e6 || s->w_intent >= 1e6 ||
		s->w_stage >= 1e6)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("priority weights must be between 0 and 1e6")));
	{
		bool		isnull;
		Datum		d = RowGet(rr, S_VALUE_MIN_CLV, &isnull);

		s->has_min_clv = !isnull;
		s->min_clv = isnull ? 0 : DatumGetFloat8(d);
		if (s->has_min_clv && !(s->min_clv > 0 && isfinite(s->min_clv)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("setting value_min_clv must be positive and finite")));
		d = RowGet(rr, S_CLV_HORIZON, &isnull);
		s->clv_horizon = isnull ? 12 : DatumGetInt32(d);
		d = RowGet(rr, S_CLV_DISCOUNT, &isnull);
		s->clv_discount = isnull ? 0.01 : DatumGetFloat8(d);
		if (s->clv_horizon < 1 || s->clv_horizon > 600 ||
			!(s->clv_discount >= 0 && s->clv_discount < 1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("setting clv_horizon must be 1..600 and clv_discount_rate in [0, 1)")));
		/* 0.5: the funnel's weight (none before: 0.4's priorities) */
		d = RowGet(rr, S_W_FUNNEL, &isnull);
		s->w_funnel = isnull ? 0 : DatumGetFloat8(d);
		if (!(s->w_funnel >= 0 && s->w_funnel < 1e6))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("setting weight_funnel must be between 0 and 1e6")));
	}
	/* 0.5: the reply term and the re-activation cadences; before, none */
	{
		bool		isnull;
		Datum		d = RowGet(rr, S_REPLY_WEIGHT, &isnull);

		s->reply_weight = isnull ? 0.0 : DatumGetFloat8(d);
		if (!(s->reply_weight >= 0 && s->reply_weight < 1e6))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("setting reply_weight must be between 0 and 1e6")));
		(void) RowGet(rr, S_REPLY_HALF_LIFE, &isnull);
		s->reply_half_life_us = isnull ? (double) USECS_PER_DAY : field_usecs(rr, S_REPLY_HALF_LIFE);
		(void) RowGet(rr, S_SILENT_CADENCE, &isnull);
		s->has_react_cadence = !isnull;
		if (s->has_react_cadence)
		{
			s->silent_cadence_us = field_usecs(rr, S_SILENT_CADENCE);
			s->lost_cadence_us = field_usecs(rr, S_LOST_CADENCE);
		}
	}
	s->has_model = false;
	/* the value signals as 0.4 had them; prio_config() reads prio.value_signals */
	prio_value_signals_default(s);
	s->deal_stages = NULL;
	s->ndeal_stages = 0;
	s->playbooks = NULL;
}
