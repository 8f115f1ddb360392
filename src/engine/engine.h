/*
 * engine.h
 *		src/engine/: the event sources, the state store (locks, writer,
 *		refold, sweeps), outcomes, the configuration cache and the catalog
 *		lookups.  Included by prio.h.
 */
#ifndef PRIO_ENGINE_H
#define PRIO_ENGINE_H

/* engine/catalog.c: prio's relations and columns by name */
extern Oid	PrioRelid(const char *name);
extern AttrNumber PrioAttnum(Relation rel, const char *name, Oid type);
/* engine/catalog.c: the columns prio reads are there, of the types it reads them as */
extern void PrioCheckTable(Relation rel);
extern void PrioCheckTableByName(const char *name);
typedef bool (*PrioIndexFits) (Relation idx, Relation heap, const void *arg);
extern Relation PrioOpenIndexBy(const char *name, Relation heap, PrioIndexFits fits, const void *arg);
extern Relation PrioOpenIndex(const char *name, Relation heap, AttrNumber col1, AttrNumber col2);
extern Oid	PrioDefaultBtreeFamily(Oid type);
/* engine/stage.c: the prio.stage enum's OIDs */
extern Oid	StageTypeOid(void);
extern PrioStage StageFromDatum(Datum d);
extern Datum StageGetDatum(PrioStage s);

/* engine/facts_row.c: the composite type prio.facts */
extern bool FactsFromDatum(PrioFacts *f, Datum row, RowReader *rr,
						   MemoryContext rrcxt, MemoryContext cxt, PrioApiVersion api);
extern Datum FactsGetDatum(const PrioFacts *f, TupleDesc desc);
extern void FactsCheckResultDesc(TupleDesc desc);

/* engine/customer_row.c: a prio.customers row */
extern void CustomerReaderInit(RowReader *rr);
extern void prio_read_customer(RowReader *rr, bool *answers, bool *answer_null,
							   TimestampTz *created_at);
/* engine/config.c: a prio.settings row and the CLV models' rows */
extern void SettingsReaderInit(RowReader *rr);
extern void prio_read_settings(PrioSettings *s, RowReader *rr);
extern void prio_read_model(PrioSettings *s, Datum bgnbd, bool bgnbd_null, Datum gammagamma,
							bool gammagamma_null, RowReader *readers, MemoryContext cxt);
extern void ModelReadersInit(RowReader *readers);

/* engine/summary.c: the same from a customer_state row */
extern void StateSummaryReaderInit(RowReader *rr);
extern bool prio_state_summary(RowReader *rr, Datum state, MemoryContext cxt, TimestampTz as_of,
							   double unit_days, double *out);

/* (0.5) a row of prio.customer_types, compiled (engine/customer_types.c) */
typedef struct PrioTypeRule
{
	char	   *type;
	PrioTypeCond *cond;
	bool		implies_value;
} PrioTypeRule;

/* engine/config.c: kinds (PrioKind: rules.h), settings, breaks, models, cached till they change */
typedef struct PrioConfig
{
	PrioKind   *kinds;
	int			nkinds;
	PrioSettings settings;
	const float8 *breaks[3];	/* r, f, m in force (NULL: none) */
	int			nbreaks[3];
	PrioTypeRule *types;		/* (0.5) by name; none before 0.5 ... */
	int			ntypes;
	bool		types_loaded;	/* ... once prio_config_types() read them */
	PrioPlaybooks playbooks;	/* 0.5: the enabled ones (settings.playbooks) */
} PrioConfig;

extern const PrioConfig *prio_config(PrioApiVersion api);
extern void prio_config_types(const PrioConfig *c);
extern void prio_config_forget(void);
extern uint64 prio_config_generation(void);
extern int	prio_kind_find(const PrioConfig *c, const char *name, int len, int hint);
extern int	prio_kind_index(const PrioConfig *c, const char *name, int len, int hint);
extern const PrioPlaybooks *prio_playbooks(void);

/* engine/state_write.c: evaluated customers written in batches, with history and NOTIFY */
#include "customer_state.h"

typedef struct StateWriter
{
	MemoryContext cxt;			/* the batch's values; reset by each flush */
	char	   *why;			/* history reasons read "<why>: <rule>" */
	TimestampTz changed_at;
	bool		isolated;		/* owner isolation on: payloads name history rows only */
	bool		keyed;			/* 0.4's history: the tracked table and key too */
	int			ncols;
	int			max;
	int			n;
	Datum	   *v[STATE_NCOLS];
	bool	   *nul[STATE_NCOLS];
	int			nhist;
	int			maxhist;
	Datum	   *hist[6];
	bool	   *histn[6];
	TimestampTz *hist_at;		/* each history row's changed_at */
	bool	   *quiet;			/* a replayed row, not notified */
	int			last_quiet;		/* the batch's last replayed row (-1: none) */
	int64		last_quiet_customer;	/* and its customer */
	/* (0.5) per replayed customer of the batch, its first replayed row's time */
	int64	   *replay_ids;
	TimestampTz *replay_at;
	int			nreplay;
	int			maxreplay;
	int64		replay_last;	/* the customer of the batch's last replayed row */
	bool		replay_seen;	/* replay_last is set */
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
extern void StateWriterHistory(StateWriter *w, int64 customer_id, TimestampTz at,
							   const char *old_tier, const char *new_tier,
							   const char *old_stage, const char *new_stage, const char *rule);
extern void StateWriterFlush(StateWriter *w);
extern void StateWriterEnd(StateWriter *w);
extern int64 StateWrites(int path, int what);

/* customer_state's columns the comparison reads, found by name (engine/state_write.c) */
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
	AttrNumber	next_planned_at;	/* InvalidAttrNumber: the table has none */
	AttrNumber	month_purchases;	/* (0.5) idem */
	AttrNumber	month_inbound;
	AttrNumber	types;
	AttrNumber	playbook;		/* 0.5; likewise */
	AttrNumber	deals[6];		/* 0.5: open_deals .. deal_outcome (or none) */
	AttrNumber	quote_amount;	/* 0.5: the implicit deal (or none) */
	AttrNumber	quote_at;
	AttrNumber	stage_at;		/* 0.5: when the stage was decided (or none) */
} StateAtts;

struct TupleTableSlot;
extern void StateAttsInit(Relation rel, StateAtts *a);
extern bool StateFactsDiffer(struct TupleTableSlot *slot, const StateAtts *a, const PrioFacts *f);
extern void StateDealsFromSlot(struct TupleTableSlot *slot, const StateAtts *a, PrioFacts *f);
extern bool StateOutcomeFromSlot(struct TupleTableSlot *slot, const StateAtts *a, bool *won);
extern bool StateEvaluationDiffers(struct TupleTableSlot *slot, const StateAtts *a,
								   const PrioEval *e);

/* engine/state_update.c: the writer's batches of located rows, through the executor */
typedef struct StateUpdate StateUpdate;
extern StateUpdate *StateUpdateBegin(int ncols);
extern bool StateUpdateBatch(StateUpdate *su, StateWriter *w);
extern void StateUpdateEnd(StateUpdate *su);

/* engine/sweep.c: the activities of many customers, read in one scan and folded */
typedef struct ActivityCollector ActivityCollector;
extern ActivityCollector *ActivityCollectorBegin(const PrioConfig *cfg, Snapshot snapshot,
												 double ncustomers, TimestampTz upto);
extern int	ActivityCollectorPasses(ActivityCollector *c);
extern bool ActivityCollectorInPass(ActivityCollector *c, int64 customer_id, int pass);
extern void ActivityCollectorRun(ActivityCollector *c, const int64 *ids, int nids, int pass);
extern void ActivityCollectorFold(ActivityCollector *c, int64 customer_id, PrioFacts *f,
								  MemoryContext cxt);
extern bool ActivityCollectorFrozen(ActivityCollector *c, int64 customer_id);
extern int	ActivityCollectorEvents(ActivityCollector *c, int64 customer_id, PrioEvent **ev);
extern uint64 ActivityCollectorKinds(ActivityCollector *c, int64 customer_id, TimestampTz upto);
extern void ActivityCollectorEnd(ActivityCollector *c);
/* a tracked table whose events could not be read: a WARNING and its last_error */
extern void PrioTrackedUnreadable(int32 source_id, Oid relid, ErrorData *edata, const char *left);
/* ... and one renamed, dropped or whose mapped columns changed: the same */
extern void PrioTrackedChanged(int32 source_id, Oid relid, const char *left);

/* engine/refold.c: customers folded again from all their activities, and re-evaluated */
typedef struct RefoldSet
{
	const PrioConfig *cfg;		/* the caller keeps it current */
	TimestampTz as_of;
	StateWriter *writer;
	bool		compare;		/* locked rows kept, compared with their refold */
	bool		force;			/* every row written (always without compare) */
	int64		fixed;			/* compare: customers whose stored facts differed */
	bool		progress;		/* NOTICE every tenth of the customers (track()) */
	int			done;			/* customers written so far, for progress */
	int			total;
	struct Refold *refold;		/* in callcxt */
	int			nrefold;
	int			maxrefold;
	MemoryContext callcxt;
	StateAtts	atts;			/* compare: */
	struct TupleTableSlot *slot;
	bool		unreadable_raises;	/* a tracked table that cannot be read for a
									 * customer raises its error, rather than
									 * leave it as it was (recompute() of one) */
} RefoldSet;

extern void RefoldSetInit(RefoldSet *rs, StateWriter *w, TimestampTz as_of, bool compare,
						  bool force);
extern void RefoldSetAside(RefoldSet *rs, const PrioFacts *stored, Datum stored_row,
						   const char *old_tier, const char *old_stage, const bool *answers,
						   const bool *answer_null, TimestampTz created_at,
						   const ItemPointerData *tid);
extern void RefoldAll(RefoldSet *rs);
extern void PrioReplay(StateWriter *w, PrioFacts *f, PrioEvent *ev, int n, const PrioConfig *cfg,
					   const bool *answers, const bool *answer_null, TimestampTz created_at,
					   TimestampTz as_of, TimestampTz since, Datum customer_row, char **tier,
					   char **stage, MemoryContext cxt);
extern void PrioHistorySince(const int64 *ids, int n, TimestampTz *since);
extern void RefoldSetEnd(RefoldSet *rs);
extern void StateRowToSlot(Datum row, struct TupleTableSlot *slot);
extern void PrioCreateStateRows(const int64 *ids, int n, PrioApiVersion api, Datum *locked,
								ItemPointerData *tids, bool *made);
extern uint64 PrioMakeStateRows(const int64 *ids, int n);
extern void PrioStateOwnersFollow(const int64 *ids, int n);
extern int	PrioSortIds(int64 *ids, int n);
extern int64 PrioRebuild(int64 *ids, int n, const char *why, bool force);
extern int64 PrioReevaluate(int64 *ids, int n, TimestampTz as_of, const char *why);
/* bigint[] ids: the non-NULL elements, sorted and distinct (*n of them) */
extern int64 *PrioIdsArg(ArrayType *a, int *n);

/* engine/sweep.c: everyone refolded (prio.sweep_rebuild), everyone due (prio.sweep_due) */
extern int64 PrioSweepRebuild(const char *why, bool force, const int64 *counted, int ncounted);
extern int64 *PrioSweepDue(TimestampTz as_of, int *ndue);

/* engine/source_activities.c, source_customers.c: the change triggers' work */
struct TriggerData;
struct Tuplestorestate;
extern void PrioCollectIds(struct Tuplestorestate *rows, Relation rel, int64 **ids, int *n,
						   int *max, AttrNumber att_at, TimestampTz latest,
						   const char *future_msg, const char *future_hint);
extern void PrioActivitiesChanged(struct TriggerData *td);
extern void PrioCustomersChanged(struct TriggerData *td);
/* engine/source_activities.c: the insert path (continue the stored fold), fed event by event */
typedef struct PrioInsertFold PrioInsertFold;
extern PrioInsertFold *PrioInsertFoldBegin(PrioApiVersion api, double nrows, CommandId since,
										   bool lenient);
extern void PrioInsertFoldAdd(PrioInsertFold *fold, int64 customer_id, TimestampTz at,
							  int64 tiebreak, Datum kind, Datum amount, bool amount_null);
extern void PrioInsertFoldEnd(PrioInsertFold *fold);
/*
 * engine/tracked_rows.c: a tracked activities table's rows read without its
 * events query (a mapping of plain columns; TrackedRowsLookup() says how)
 */
typedef struct TrackedRows
{
	AttrNumber	customer;		/* the table's columns */
	AttrNumber	at;
	AttrNumber	kind;
	AttrNumber	amount;			/* 0: no amount */
	Oid			key_map;		/* its customers table's key map ... */
	AttrNumber	map_key;		/* ... its key column */
	Oid			index;			/* ... its primary key, on the key */
	Oid			type;			/* the key's type, as the index compares it */
	Oid			collation;
	Oid			eqop;
	RegProcedure eqproc;
	int16		typlen;
	bool		typbyval;
} TrackedRows;
typedef struct TrackedEvent
{
	Datum		key;			/* the customer's key (the caller maps it) */
	TimestampTz at;
	text	   *kind;
	Numeric		amount;			/* NULL: none */
} TrackedEvent;
struct TupleTableSlot;
extern bool TrackedRowsLookup(Relation rel, const char *customer, const char *kind,
							  const char *at, const char *amount, Oid key_map, TrackedRows *w);
extern bool TrackedRowEvent(const TrackedRows *w, struct TupleTableSlot *slot,
							const PrioConfig *cfg, int *hint, TrackedEvent *ev);
extern int64 TrackedEventTiebreak(const char *kind, int kind_len, Numeric amount);
/* keys (of a key map: with their customer_id), hashed */
typedef struct TrackedKeys TrackedKeys;
extern TrackedKeys *TrackedKeysCreate(Oid type, Oid eqop, Oid collation, MemoryContext parent,
									  uint32 size);
extern void TrackedKeysPut(TrackedKeys *keys, Datum key, bool known, int64 customer_id);
extern bool TrackedKeysGet(TrackedKeys *keys, Datum key, bool *known, int64 *customer_id);
extern Size TrackedKeysSpace(TrackedKeys *keys);
extern void TrackedKeysReset(TrackedKeys *keys);
extern void TrackedKeysFree(TrackedKeys *keys);
/* engine/source_tracked.c: prio.source_changed(), the trigger of every tracked table */
extern void PrioSourceChanged(struct TriggerData *td);
extern void PrioTrackKeysGone(int32 source_id);
extern void PrioTrackKeysAgain(int32 source_id);
extern void TrackRelationChanged(Oid relid);
extern void TrackCatalogChanged(void);

/* engine/state_lock.c: the insert trigger's reads by customer_id (ids ascending; 0: no row) */
extern void PrioLockStateRows(const int64 *ids, int n, Datum *rows, ItemPointer tids,
							  CommandId since, bool *written);
extern void PrioLockCustomers(const int64 *ids, int n, Datum *rows);
extern void PrioReadCustomers(const int64 *ids, int n, Datum *rows);
extern void PrioStateChanged(int64 customer_id) pg_attribute_noreturn();

/* engine/outcomes.c: the kinds a customer had by its last_at, from a caller that read them */
#define KNOWN_KINDS_MAX 64
extern void OutcomeKindsKnown(int64 customer_id, uint64 kinds, uint64 config_generation);
extern void OutcomeKindsForget(void);
extern bool OutcomeOfRow(Datum row, RowReader *rr, MemoryContext cxt, bool *won);
extern void OutcomeRowChanged(HeapTuple oldtup, HeapTuple newtup, TupleDesc desc);
extern void OutcomesFlush(void);
extern void OutcomesCheckTrigger(FunctionCallInfo fcinfo, bool row, const char *name);
extern void PrioRebuildWinCounts(void);
extern void PrioWinOutcomesChanged(struct TriggerData *td);
extern bool PrioWinFeatures(Datum row, Datum *result);

/* engine/rfm_segments.c: prio.rfm_segments' map, cached until the table changes */
extern const char *prio_rfm_segment(int r, int f, int m);

/* engine/restore.c: this session loads a dump of prio */
extern void PrioRestoreBegin(void);
extern bool PrioRestoring(void);
extern void PrioRestoreRefuse(void);
extern bool PrioRestoreRefused(void);
extern void PrioHistoryWriteBegin(void);
extern void PrioHistoryWriteEnd(void);
extern bool PrioHistoryWriting(void);

/* engine/track.c: prio.track()'s owner check and mapping compiler */
typedef struct TrackCompiled
{
	char	   *sql;			/* the deparsed expression */
	Oid			type;			/* its type (a domain's base type) */
	int16		attnum;			/* a plain column's number, else 0 */
	Oid			collation;
	bool		btree;			/* the type has a btree equality */
} TrackCompiled;

extern void PrioTrackCheckOwner(Oid relid, const char *action);
extern char *PrioTrackedEvents(const char *filter);
/* one tracked activities table's events query, restricted as PrioTrackedEvents() does */
typedef struct TrackedEventsPart
{
	int32		source_id;
	Oid			relid;
	char	   *sql;
} TrackedEventsPart;
extern TrackedEventsPart *PrioTrackedEventsParts(const char *filter, int *n);
extern void PrioTrackedEventsCheck(Oid relid, TupleDesc desc);
extern int	PrioTrackedParseBegin(void);
extern void PrioTrackedParseEnd(int nest);
extern void PrioTrackCompile(Oid relid, const char *key, const char *expr, Oid want,
							 TrackCompiled *out);

/* engine/labels.c: prio.labels in the session's prio.language, cached */
extern const char *prio_label(const char *domain, const char *code);

/* engine/customer_types.c (0.5): the key-customer types of a customer */
typedef struct PrioTypeInputs
{
	Jsonb	   *attributes;		/* NULL: none */
	int64		related;		/* customers naming it parent_company or referred_by */
	double		pipeline;		/* customer_state.pipeline where it exists, else 0 */
	Datum		tags_add;		/* text[] of types tagged add (0: none) */
	Datum		tags_remove;	/* ... and remove */
} PrioTypeInputs;

extern void PrioTypesLoad(PrioConfig *c);
extern bool PrioTypeInputsRead(int64 customer_id, Datum customer_row, double pipeline,
							   PrioTypeInputs *in);
extern bool PrioTypeHolds(const PrioTypeRule *r, const PrioTypeFacts *tf,
						  const PrioTypeInputs *in, bool *condition, int *by_tag);
extern void PrioTypesHeld(PrioHeldTypes *h, const PrioFacts *f, const PrioConfig *cfg,
						  TimestampTz as_of, const PrioTypeInputs *in);
extern void PrioCustomerTypes(PrioHeldTypes *h, const PrioFacts *f, const PrioConfig *cfg,
							  TimestampTz as_of, Datum customer_row);
typedef struct PrioTypeBatch PrioTypeBatch;
#define TYPE_BATCH_MIN 1000		/* customers from which a batch pays */
extern PrioTypeBatch *PrioTypeBatchBegin(const PrioConfig *cfg, Snapshot snapshot);
extern void PrioStoredTypes(PrioHeldTypes *h, int64 customer_id, const PrioConfig *cfg);
extern void PrioHeldTypesFromArray(PrioHeldTypes *h, ArrayType *types, const PrioConfig *cfg);
extern void PrioCustomerTypesBatch(PrioHeldTypes *h, const PrioFacts *f, const PrioConfig *cfg,
								   TimestampTz as_of, const PrioTypeBatch *b);

#endif							/* PRIO_ENGINE_H */
