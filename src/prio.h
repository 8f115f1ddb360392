/*
 * prio.h
 *		Shared declarations: argument checks and the pure scoring rules.
 *
 * Every rule is a plain C function without SPI or catalog access, so the
 * SQL functions, the triggers, refresh, recompute and explain all share it.
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
	PRIO_API_0_4				/* the versioned entry points (*_0_4) */
} PrioApiVersion;

#define PRIO_API_CURRENT PRIO_API_0_4

/* 0.2's schema or later: BTYD inputs in customer_state and facts, CLV models */
#define PRIO_API_HAS_BTYD(api) ((api) >= PRIO_API_0_2)

/*
 * The backend's cache and transaction events, handed out by prio.c's one
 * registration of each callback (_PG_init) to the modules that keep state.
 */
#include "access/xact.h"
extern void ConfigRelationChanged(Oid relid);	/* config.c */
extern void ConfigXactEvent(XactEvent event);
extern void ConfigSubXactEvent(SubXactEvent event, SubTransactionId mySubid);
extern void SegmentRelationChanged(Oid relid);	/* engine/rfm_segments.c */
extern void CatalogRelationChanged(Oid relid);	/* engine/catalog.c */
extern void StageTypeChanged(void);	/* engine/stage.c */
extern void StateUpdateRelationChanged(Oid relid); /* engine/state_update.c */
extern void StateUpdateObjectChanged(void);
extern void StateUpdateAborted(SubTransactionId mySubid);
extern void OutcomesXactEvent(XactEvent event);	/* outcomes.c */
extern void OutcomesSubXactEvent(SubXactEvent event, SubTransactionId mySubid);

/* support/checks.c: argument checks that ereport with a specific SQLSTATE */
extern void CheckArgNotNull(FunctionCallInfo fcinfo, int argno, const char *name);
extern void CheckFiniteDouble(double value, const char *name);
extern void CheckFiniteNumeric(Numeric value, const char *name);
extern int64 CheckedAdd64(int64 a, int64 b, const char *what, int64 customer_id);
extern double IntervalToUsecs(const Interval *iv);
extern double CheckPositiveInterval(const Interval *iv, const char *name);
extern double ElapsedUsecs(TimestampTz from, TimestampTz to);
extern void NumericAccum(Numeric *sum, Numeric add, MemoryContext cxt);
/* support/rowreader.c: a composite result's fields are still the ones filled */
extern void CheckResultDesc(TupleDesc desc, const Oid *types, int n, const char *what);
extern void CheckResultDescPrefix(TupleDesc desc, const Oid *types, int nmin, int n,
								  const char *what);
/* engine/catalog.c: prio's relations and columns by name */
extern Oid	PrioRelid(const char *name);
extern AttrNumber PrioAttnum(Relation rel, const char *name, Oid type);
/* engine/catalog.c: the columns prio reads are there, of the types it reads them as */
extern void PrioCheckTable(Relation rel);
extern void PrioCheckTableByName(const char *name);
extern Relation PrioOpenIndex(const char *name, Relation heap, AttrNumber col1, AttrNumber col2);
/* support/spi.c */
extern Datum Int8ArrayDatum(const int64 *ids, int n);
/* prepared and kept for the life of the backend; the caller is connected to SPI */
struct _SPI_plan;
extern struct _SPI_plan *PrioKeepPlan(const char *sql, int nargs, Oid *types,
									  int cursor_options);

/* In the type lists below: prio.stage, whose OID is only known at run time */
#define PRIO_STAGE_TYPE ((Oid) 1)

/*
 * support/rowreader.c: reading fields of a composite argument by name and
 * expected type.  The field map is built once per row type version (the type
 * cache's tupDesc_identifier changes with any ALTER) and kept in fn_extra.
 */
#define ROW_MAX_FIELDS 32
typedef struct RowReader
{
	const char *what;			/* for error messages */
	const char *const *names;
	const Oid  *types;
	int			nfields;
	int			nrequired;		/* fields from this one on may be absent (0: none) */
	Oid			typid;
	uint64		desc_id;
	TupleDesc	desc;			/* copy, in the caller's long-lived context */
	int			attnum[ROW_MAX_FIELDS];
	Datum	   *values;			/* the bound row, deformed once: reading */
	bool	   *isnull;			/* field by field would walk every varlena */
} RowReader;

extern void RowBind(RowReader *rr, Datum row, MemoryContext cxt);
extern Datum RowGet(RowReader *rr, int field, bool *isnull);

/* rules/lifecycle.c: stages in their forward order, then silent and lost */
typedef enum PrioStage
{
	STAGE_PROSPECT,
	STAGE_INTERESTED,
	STAGE_ENGAGED,
	STAGE_CLOSING,
	STAGE_WON,
	STAGE_SILENT,
	STAGE_LOST,
	STAGE_COUNT
} PrioStage;

extern const char *const prio_stage_names[STAGE_COUNT];
/* engine/stage.c: the prio.stage enum's OIDs */
extern Oid	StageTypeOid(void);
extern PrioStage StageFromDatum(Datum d);
extern Datum StageGetDatum(PrioStage s);
extern PrioStage prio_stage_step(PrioStage stage, bool has_kind_stage,
								 PrioStage kind_stage, bool inbound);
extern PrioStage prio_effective_stage(PrioStage base, bool has_since, TimestampTz since,
									  TimestampTz as_of, double silent_us, double dormant_us);

/* rules/bant.c */
extern int	prio_bant(const bool *answers, const bool *isnull);

/* rules/rfm.c */
extern const float8 *CheckBreaks(ArrayType *breaks, int *nbreaks);
extern int	prio_rfm_score(double value, const float8 *breaks, int nbreaks,
						   bool higher_is_better);

/* rules/intent.c */
extern double prio_decay(TimestampTz at, TimestampTz as_of, double half_life_us);
extern double prio_intent_at(double intent, TimestampTz intent_at, TimestampTz as_of,
							 double half_life_us);

/* fold.c: a customer's facts, folded from its activities in (at, id) order */
typedef struct PrioFacts
{
	int64		customer_id;
	bool		has_activity;	/* first_at, last_at, intent_at valid */
	TimestampTz first_at;
	TimestampTz last_at;
	bool		has_inbound;
	TimestampTz last_inbound_at;
	bool		has_outbound;
	TimestampTz last_outbound_at;
	bool		has_purchase;
	TimestampTz last_purchase_at;
	int64		frequency;
	Numeric		monetary;		/* NULL means 0 */
	double		intent;			/* decayed as of intent_at */
	TimestampTz intent_at;
	PrioStage	stage;			/* base stage */
	/* BTYD inputs: purchases on one UTC calendar day are one transaction */
	TimestampTz first_purchase_at;	/* valid with has_purchase */
	int64		purchase_days;
	Numeric		first_day_amount;	/* NULL means 0 */
} PrioFacts;

/* The UTC calendar day of a time: prio.clv_summary's unit of a transaction */
static inline int32
prio_utc_day(TimestampTz t)
{
	int64		day = t / USECS_PER_DAY;

	if (t % USECS_PER_DAY < 0)
		day--;
	return (int32) day;
}

/*
 * One activity as every fold reads it: the insert trigger's new rows, the
 * refold, the sweep and the prio.fold aggregate.  kind indexes the kinds
 * the caller passes to prio_fold_events.
 */
typedef struct PrioEvent
{
	TimestampTz at;
	int64		activity_id;	/* ties in time fold in this order, ... */
	int32		seq;			/* ... then in arrival order */
	int32		kind;
	Numeric		amount;			/* counted for purchase kinds; NULL: none */
} PrioEvent;

struct PrioKind;					/* below */

extern void prio_facts_init(PrioFacts *f, int64 customer_id);
extern int	prio_event_cmp(const void *a, const void *b);
extern void prio_fold_events(PrioFacts *f, PrioEvent *ev, int n, const struct PrioKind *kinds,
							 double half_life_us, MemoryContext cxt);
extern bool FactsFromDatum(PrioFacts *f, Datum row, RowReader *rr,
						   MemoryContext rrcxt, MemoryContext cxt, PrioApiVersion api);
/* the entry points' bodies, for the versioned symbols and legacy.c's */
extern Datum FoldAccum(FunctionCallInfo fcinfo, PrioApiVersion api, bool with_activity_id);
extern Datum EvaluateFacts(FunctionCallInfo fcinfo, PrioApiVersion api, bool with_models);
extern Datum ClvSummaryAccum(FunctionCallInfo fcinfo, bool with_unit);
extern Datum ActivitiesInserted(FunctionCallInfo fcinfo, PrioApiVersion api);

/* tier.c: the settings the rules read, and one customer's evaluation */
typedef struct PrioSettings
{
	double		half_life_us;
	double		silent_us;
	double		dormant_us;
	double		no_reply_us;
	double		cadence_us[4];	/* A..D */
	int32		value_score;
	int32		bant_threshold;
	double		intent_threshold;
	double		w_tier;
	double		w_rfm;
	double		w_bant;
	double		w_intent;
	double		w_stage;
	/* value from CLV (settings.value_min_clv, 0.2) under the latest model */
	bool		has_min_clv;
	double		min_clv;
	int32		clv_horizon;
	double		clv_discount;
	bool		has_model;
	double		bgnbd[4];		/* r, alpha, a, b (weeks) */
	double		gammagamma[3];	/* p, q, v */
} PrioSettings;

typedef struct PrioEval
{
	PrioStage	stage;
	double		recency_days;	/* INFINITY without purchases */
	bool		has_scores[3];
	int32		score[3];		/* r, f, m */
	int			bant;
	double		intent_now;
	bool		no_reply;
	bool		value_high;
	bool		intent_high;
	char		tier;
	double		points[5];		/* tier, rfm, bant, intent, stage: each 0..1 */
	double		priority;
	TimestampTz next_due_at;
	StringInfoData rule;
} PrioEval;

extern void CustomerReaderInit(RowReader *rr);
extern void prio_read_customer(RowReader *rr, bool *answers, bool *answer_null,
							   TimestampTz *created_at);
extern void SettingsReaderInit(RowReader *rr);
extern void prio_read_settings(PrioSettings *s, RowReader *rr);
extern void prio_read_model(PrioSettings *s, Datum bgnbd, bool bgnbd_null, Datum gammagamma,
							bool gammagamma_null, RowReader *readers, MemoryContext cxt);
extern void ModelReadersInit(RowReader *readers);

/* summary.c: a customer's (x, t_x, T, mean_value) in weeks from its facts */
extern void prio_btyd_inputs(TimestampTz first_purchase_at, TimestampTz last_purchase_at,
							 int64 purchase_days, Numeric monetary, Numeric first_day_amount,
							 TimestampTz as_of, double unit_days, double *out);
extern void StateSummaryReaderInit(RowReader *rr);
extern bool prio_state_summary(RowReader *rr, Datum state, MemoryContext cxt, TimestampTz as_of,
							   double unit_days, double *out);
extern void prio_evaluate(PrioEval *e, const PrioFacts *f, const bool *bant_answers,
						  const bool *bant_null, TimestampTz created_at, const PrioSettings *s,
						  const float8 *const *breaks, const int *nbreaks, TimestampTz as_of);

/* config.c: the kinds, settings, breaks and models, cached until they change */
typedef struct PrioKind
{
	char	   *name;
	int			namelen;
	bool		inbound;
	bool		has_stage;
	PrioStage	stage;
	bool		is_purchase;
	double		weight;
} PrioKind;

typedef struct PrioConfig
{
	PrioKind   *kinds;
	int			nkinds;
	PrioSettings settings;
	const float8 *breaks[3];	/* r, f, m in force (NULL: none) */
	int			nbreaks[3];
} PrioConfig;

extern const PrioConfig *prio_config(PrioApiVersion api);
extern void prio_config_forget(void);
extern uint64 prio_config_generation(void);
extern int	prio_kind_index(const PrioConfig *c, const char *name, int len, int hint);

/* statewrite.c: evaluated customers written in batches, with history and NOTIFY */
#include "customer_state.h"

typedef struct StateWriter
{
	MemoryContext cxt;			/* the batch's values; reset by each flush */
	char	   *why;			/* history reasons read "<why>: <rule>" */
	TimestampTz changed_at;
	bool		isolated;		/* owner isolation on: payloads name history rows only */
	int			ncols;
	int			max;
	int			n;
	Datum	   *v[STATE_NCOLS];
	bool	   *nul[STATE_NCOLS];
	int			nhist;
	Datum	   *hist[6];
	bool	   *histn[6];
	char	  **payloads;
	int64		changed;		/* tier or stage changes written so far */
	/* where the rows the caller located are, for the executor's write */
	MemoryContext home;			/* the writer's own context */
	ItemPointerData *tids;
	PrioStage  *stages;			/* base and effective stage, 2 a row */
	int			nlocated;		/* rows of the batch with tids */
	bool		exec_tried;
	struct StateUpdate *exec;	/* NULL: the SQL UPDATE writes */
} StateWriter;


extern void StateWriterBegin(StateWriter *w, int max, const char *why, TimestampTz changed_at);
extern void StateWriterBeginApi(StateWriter *w, int max, const char *why,
								TimestampTz changed_at, PrioApiVersion api);
extern void StateWriterAdd(StateWriter *w, const PrioFacts *f, const PrioEval *e,
						   const char *old_tier, const char *old_stage,
						   const ItemPointerData *tid);
extern void StateWriterFlush(StateWriter *w);
extern void StateWriterEnd(StateWriter *w);

/* customer_state's columns the comparison reads, found by name (statewrite.c) */
enum
{
	SF_FIRST_AT, SF_LAST_AT, SF_LAST_INBOUND_AT, SF_LAST_OUTBOUND_AT, SF_LAST_PURCHASE_AT,
	SF_FREQUENCY, SF_MONETARY, SF_INTENT, SF_INTENT_AT, SF_STAGE, SF_FIRST_PURCHASE_AT,
	SF_PURCHASE_DAYS, SF_FIRST_DAY_AMOUNT, SF_N
};

typedef struct StateAtts
{
	AttrNumber	customer_id;
	AttrNumber	facts[SF_N];	/* first_at .. first_day_amount, in SF_* order */
	AttrNumber	effective_stage;
	AttrNumber	score[3];
	AttrNumber	bant;
	AttrNumber	no_reply;
	AttrNumber	value_high;
	AttrNumber	intent_high;
	AttrNumber	tier;
	AttrNumber	priority;
	AttrNumber	next_due_at;
	AttrNumber	rule;
	AttrNumber	owner;
} StateAtts;

struct TupleTableSlot;
extern void StateAttsInit(Relation rel, StateAtts *a);
extern bool StateFactsDiffer(struct TupleTableSlot *slot, const StateAtts *a, const PrioFacts *f);
extern bool StateEvaluationDiffers(struct TupleTableSlot *slot, const StateAtts *a,
								   const PrioEval *e);

/* stateupdate.c: the writer's batches of located rows, through the executor */
typedef struct StateUpdate StateUpdate;
extern StateUpdate *StateUpdateBegin(int ncols);
extern bool StateUpdateBatch(StateUpdate *su, StateWriter *w);
extern void StateUpdateEnd(StateUpdate *su);

/* sweep.c: the activities of many customers, read in one scan and folded */
typedef struct ActivityCollector ActivityCollector;
extern ActivityCollector *ActivityCollectorBegin(const PrioConfig *cfg, Snapshot snapshot,
												 double ncustomers);
extern int	ActivityCollectorPasses(ActivityCollector *c);
extern bool ActivityCollectorInPass(ActivityCollector *c, int64 customer_id, int pass);
extern void ActivityCollectorRun(ActivityCollector *c, const int64 *ids, int nids, int pass);
extern void ActivityCollectorFold(ActivityCollector *c, int64 customer_id, PrioFacts *f,
								  MemoryContext cxt);
extern uint64 ActivityCollectorKinds(ActivityCollector *c, int64 customer_id, TimestampTz upto);
extern void ActivityCollectorEnd(ActivityCollector *c);

/* refold.c: customers folded again from all their activities, and re-evaluated */
typedef struct RefoldSet
{
	const PrioConfig *cfg;		/* the caller keeps it current */
	TimestampTz as_of;
	StateWriter *writer;
	bool		compare;		/* locked rows kept, compared with their refold */
	bool		force;			/* every row written (always without compare) */
	int64		fixed;			/* compare: customers whose stored facts differed */
	struct Refold *refold;		/* in callcxt */
	int			nrefold;
	int			maxrefold;
	MemoryContext callcxt;
	StateAtts	atts;			/* compare: */
	struct TupleTableSlot *slot;
} RefoldSet;

extern void RefoldSetInit(RefoldSet *rs, StateWriter *w, TimestampTz as_of, bool compare,
						  bool force);
extern void RefoldSetAside(RefoldSet *rs, const PrioFacts *stored, Datum stored_row,
						   const char *old_tier, const char *old_stage, const bool *answers,
						   const bool *answer_null, TimestampTz created_at,
						   const ItemPointerData *tid);
extern void RefoldAll(RefoldSet *rs);
extern void RefoldSetEnd(RefoldSet *rs);
extern void StateRowToSlot(Datum row, struct TupleTableSlot *slot);
extern void PrioCreateStateRows(const int64 *ids, int n, PrioApiVersion api, Datum *locked,
								ItemPointerData *tids, bool *made);
extern uint64 PrioMakeStateRows(const int64 *ids, int n);
extern void PrioStateOwnersFollow(const int64 *ids, int n);
extern int	PrioSortIds(int64 *ids, int n);
extern int64 PrioRebuild(int64 *ids, int n, const char *why, bool force);
extern int64 PrioReevaluate(int64 *ids, int n, TimestampTz as_of, const char *why);
extern Datum prio_sweep_rebuild(PG_FUNCTION_ARGS);	/* sweep.c */

/* rowlock.c: the insert trigger's reads by customer_id (ids ascending; 0: no row) */
extern void PrioLockStateRows(const int64 *ids, int n, Datum *rows, ItemPointer tids,
							  CommandId since, bool *written);
extern void PrioLockCustomers(const int64 *ids, int n, Datum *rows);
extern void PrioReadCustomers(const int64 *ids, int n, Datum *rows);
extern void PrioStateChanged(int64 customer_id) pg_attribute_noreturn();

/* outcomes.c: the kinds a customer had by its last_at, from a caller that read them */
#define KNOWN_KINDS_MAX 64
extern void OutcomeKindsKnown(int64 customer_id, uint64 kinds, uint64 config_generation);
extern void OutcomeKindsForget(void);
extern void OutcomeRemember(Datum old_row, PrioStage stage);
extern void OutcomesFlush(void);

/* rules/segment.c: named segments of score triples, the first matching row winning */
#define SEGMENT_NSCORE 5
typedef const char *SegmentMap[SEGMENT_NSCORE][SEGMENT_NSCORE][SEGMENT_NSCORE];
extern void CheckScore(int32 score, const char *name);
extern void prio_segment_map_add(SegmentMap map, const char *name, const int *lim);

/* engine/rfm_segments.c: prio.rfm_segments' map, cached until the table changes */
extern const char *prio_rfm_segment(int r, int f, int m);

/* engine/restore.c: this session loads a dump of prio */
extern void PrioRestoreBegin(void);
extern bool PrioRestoring(void);

#endif							/* PRIO_H */
