/*
 * prio.c
 *		Module magic and _PG_init: the library's one registration of each
 *		cache and transaction callback, dispatched to the modules that keep
 *		state.
 *
 * The rest of the C code is laid out by layer: src/rules/ (pure rules),
 * src/engine/ (event sources, state store, outcomes, configuration cache),
 * src/support/ (helpers every layer uses) and src/sql/ (the SQL-callable
 * entry points, src/sql/X.c for prio.X).
 */
#include "prio.h"

#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/syscache.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* prio.language: the language of prio.label() (labels.c), a language tag */
char	   *prio_language = NULL;

/* prio.notify: whether a change of tier or stage is notified (state_write.c) */
bool		prio_notify = true;

/*
 * prio.language takes a language tag (rules/language.c), put in its
 * canonical case (zh-cn: zh-CN); anything else is refused, 22023.
 */
static bool
check_language(char **newval, void **extra, GucSource source)
{
	if (*newval != NULL && prio_language_tag(*newval))
		return true;
	GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
	GUC_check_errdetail("prio.language takes a language tag: a language of 2 or 3 letters, "
						"then optionally a script, a region and variants, "
						"separated by hyphens, such as en, zh-CN or zh-Hans-CN.");
	return false;
}

/* A relation's cache entry was dropped (InvalidOid: every relation's). */
static void
relation_changed(Datum arg, Oid relid)
{
	ConfigRelationChanged(relid);
	SegmentRelationChanged(relid);
	CatalogRelationChanged(relid);
	StateUpdateRelationChanged(relid);
	TrackRelationChanged(relid);
	LabelsRelationChanged(relid);
}

/* A type changed: prio.stage's OID and labels are read again. */
static void
type_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	StageTypeChanged();
	StateUpdateObjectChanged();
	TrackCatalogChanged();
}

/* A schema or a collation changed: tracked tables' signatures name them. */
static void
name_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	TrackCatalogChanged();
}

/* A function changed: expressions prepared with it are prepared again. */
static void
function_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	StateUpdateObjectChanged();
}

static void
xact_event(XactEvent event, void *arg)
{
	ConfigXactEvent(event);
	OutcomesXactEvent(event);
	StateNotifyXactEvent(event);
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		StateUpdateAborted(InvalidSubTransactionId);
}

static void
subxact_event(SubXactEvent event, SubTransactionId mySubid,
			  SubTransactionId parentSubid, void *arg)
{
	ConfigSubXactEvent(event, mySubid);
	OutcomesSubXactEvent(event, mySubid);
	StateNotifySubXactEvent(event, mySubid);
	if (event == SUBXACT_EVENT_ABORT_SUB)
		StateUpdateAborted(mySubid);
}

/*
 * One registration of each callback for the whole library, when it is
 * loaded: the modules that cache something (configuration, segments, the
 * stage type, the column checks, the state writer, pending outcomes, the
 * labels) are told from here; and prio's settings, prio.language and
 * prio.notify, are defined.
 */
void
_PG_init(void)
{
	DefineCustomStringVariable("prio.language",
							   "Language of prio's labels (prio.label(), followup's labels and reason line).",
							   "A language tag such as en, zh or zh-CN; a label missing in it is taken in its "
							   "shorter forms, then in another tag of its language, then in English, then the "
							   "code itself.",
							   &prio_language,
							   "en",
							   PGC_USERSET,
							   0,
							   check_language, NULL, NULL);
	/* superuser only: a writer must not silence what listeners rely on */
	DefineCustomBoolVariable("prio.notify",
							 "Whether a change of tier or stage sends NOTIFY prio_tier_change.",
							 "PostgreSQL serialises the commits of notifying transactions "
							 "(a lock held until the commit is flushed): off where nobody listens.",
							 &prio_notify,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	CacheRegisterRelcacheCallback(relation_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(TYPEOID, type_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(PROCOID, function_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, name_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(COLLOID, name_changed, (Datum) 0);
	RegisterXactCallback(xact_event, NULL);
	RegisterSubXactCallback(subxact_event, NULL);
}
