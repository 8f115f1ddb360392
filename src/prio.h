/*
 * prio.h
 *		What every file of prio includes: the API versions, the backend's
 *		cache and transaction events handed out by prio.c, and the three
 *		layers' declarations -- support.h (checks, row reader, SPI helpers),
 *		rules.h (the pure rules) and engine.h (event sources, state store,
 *		outcomes, configuration cache) -- then the entry points' shared
 *		bodies (src/sql/).
 */
#ifndef PRIO_H
#define PRIO_H

#include "postgres.h"
#include "fmgr.h"
#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "utils/array.h"
#include "lib/stringinfo.h"
#include "utils/numeric.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"
#include "utils/timestamp.h"

/* schema fixed by prio.control (relocatable = false) */
#define PRIO_SCHEMA "prio"

/*
 * The versions of prio's SQL API that the C entry points serve, as
 * pg_stat_statements has its pgssVersion: an entry point whose behaviour
 * depends on the installed schema or on its SQL signature is a symbol per
 * API version (prio_evaluate_0_4, ...) that names its version to one
 * internal function; nothing asks the catalog which version is installed.
 * Only the unversioned symbols that the frozen install scripts of 0.1-0.3
 * name infer it, all in legacy.c.  A version that changed none of these
 * entry points (0.3) has no value of its own: it runs as the one before.
 */
typedef enum PrioApiVersion
{
	PRIO_API_0_1,				/* customer_state, facts end at rule/stage;
								 * no CLV models in rule_config */
	PRIO_API_0_2,				/* + BTYD inputs and owner in customer_state,
								 * BTYD inputs in facts, CLV models */
	PRIO_API_0_4,				/* the versioned entry points (*_0_4) */
	PRIO_API_0_5				/* + revives and the reply term (prio.fold);
								 * deal facts; prio.evaluation's p_funnel,
								 * value_signals (*_0_5) */
} PrioApiVersion;

#define PRIO_API_CURRENT PRIO_API_0_5

/* 0.2's schema or later: BTYD inputs in customer_state and facts, CLV models */
#define PRIO_API_HAS_BTYD(api) ((api) >= PRIO_API_0_2)

/*
 * The backend's cache and transaction events, handed out by prio.c's one
 * registration of each callback (_PG_init) to the modules that keep state.
 */
#include "access/xact.h"
extern void ConfigRelationChanged(Oid relid);	/* engine/config.c */
extern void ConfigXactEvent(XactEvent event);
extern void ConfigSubXactEvent(SubXactEvent event, SubTransactionId mySubid);
extern void SegmentRelationChanged(Oid relid);	/* engine/rfm_segments.c */
extern void CatalogRelationChanged(Oid relid);	/* engine/catalog.c */
extern void StageTypeChanged(void);	/* engine/stage.c */
extern void StateUpdateRelationChanged(Oid relid); /* engine/state_update.c */
extern void StateUpdateObjectChanged(void);
extern void StateUpdateAborted(SubTransactionId mySubid);
extern void OutcomesXactEvent(XactEvent event);	/* engine/outcomes.c */
extern void OutcomesSubXactEvent(SubXactEvent event, SubTransactionId mySubid);
extern void LabelsRelationChanged(Oid relid);	/* engine/labels.c */
extern void StateNotifyXactEvent(XactEvent event); /* engine/state_write.c */
extern void StateNotifySubXactEvent(SubXactEvent event, SubTransactionId mySubid);

/* prio.language, the language of labels (prio.c defines it) */
extern char *prio_language;
extern bool prio_notify;

#include "support.h"
#include "rules.h"
#include "engine.h"

/* the entry points' bodies (src/sql/), for the versioned symbols and legacy.c's */
extern Datum FoldAccum(FunctionCallInfo fcinfo, PrioApiVersion api, bool with_activity_id);
extern Datum EvaluateFacts(FunctionCallInfo fcinfo, PrioApiVersion api, bool with_models);
extern Datum ClvSummaryAccum(FunctionCallInfo fcinfo, bool with_unit);
extern Datum ActivitiesInserted(FunctionCallInfo fcinfo, PrioApiVersion api);

#endif							/* PRIO_H */
