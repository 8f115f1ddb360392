/*
 * rules.h
 *		src/rules/: the pure rules -- plain C functions without SPI, table or
 *		catalog access, so the SQL functions, the triggers and the sweeps all
 *		share them.  Included by prio.h; the BTYD models are btyd.h and clv.h.
 */
#ifndef PRIO_RULES_H
#define PRIO_RULES_H

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
extern PrioStage prio_stage_step(PrioStage stage, bool has_kind_stage,
								 PrioStage kind_stage, bool inbound, bool revives);
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

/* prio.deal_stages.stage is at most this long (its CHECK) */
#define DEAL_STAGE_NAMELEN 100

/* rules/fold.c: a customer's facts, folded from its activities in (at, id) order */
#define PRIO_MONTHS 36			/* months kept per customer for the types' facts */
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
	/* planned touches: events dated after the fold's time, not folded yet */
	bool		has_planned;
	TimestampTz next_planned_at;	/* the earliest of them */
	/* (0.5) per UTC month, for the key-customer types (rules/types.c) */
	int32		month_at;		/* last_at's month (prio_utc_month); with has_activity */
	double		month_purchases[PRIO_MONTHS];	/* [i]: net purchases i months before */
	int32		month_inbound[PRIO_MONTHS]; /* [i]: inbound activities then */
	/*
	 * 0.5: the implicit deal -- the latest quote or proposal activity with an
	 * amount, until a purchase, a won or a lost kind after it closes it
	 * (customer_state.quote_amount, quote_at); counted as an open deal at
	 * stage quote while the customer has no deals at all
	 */
	bool		has_quote;
	TimestampTz quote_at;
	Numeric		quote_amount;
	/*
	 * 0.5: when the activities last decided the stage won or lost (a won or
	 * lost kind, or a purchase, that left the stage so); with the stage won
	 * or lost it dates that stage: the deal rules read it beside a closed
	 * deal's date (customer_state.stage_at)
	 */
	bool		has_stage_at;
	TimestampTz stage_at;
	/* 0.5: the deal facts (not folded: customer_state's, from prio.deals) */
	struct PrioDeals
	{
		int32		open_deals;
		bool		has_funnel;
		char		funnel_stage[DEAL_STAGE_NAMELEN + 1];	/* most advanced open */
		double		pipeline;	/* the open deals' amounts */
		bool		has_deal_at;
		TimestampTz last_deal_at;	/* the latest created_at or closed_at */
		bool		has_closed;
		TimestampTz deal_closed_at; /* the last closed deal's ... */
		bool		won;		/* ... and whether it was won */
	}			deals;
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
 * An activity kind as the fold reads it (prio.activity_kinds; the
 * configuration cache, engine/config.c, keeps them).
 */
typedef struct PrioKind
{
	char	   *name;
	int			namelen;
	bool		inbound;
	bool		has_stage;
	PrioStage	stage;
	bool		is_purchase;
	double		weight;
	bool		revives;		/* 0.5: may bring a lost customer back */
	bool		deal_quote;		/* 0.5: quote or proposal: with an amount, an implicit deal */
} PrioKind;

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

extern void prio_facts_init(PrioFacts *f, int64 customer_id);
extern int	prio_event_cmp(const void *a, const void *b);
/* s: intent_half_life, and the reply term's weight and half-life */
struct PrioSettings;
extern void prio_fold_events(PrioFacts *f, PrioEvent *ev, int n, const PrioKind *kinds,
							 const struct PrioSettings *s, TimestampTz upto, MemoryContext cxt);

/* rules/deals.c: a deal stage (prio.deal_stages), as the rules read it */
typedef struct PrioDealStage
{
	char	   *name;
	bool		open;			/* no outcome: a funnel stage */
	PrioStage	lifecycle;		/* open: the customer stage it stands for */
	double		points;			/* open: the k-th of n open stages scores k/n */
} PrioDealStage;

/* the value signals (prio.value_signals), in the order the rule line names them */
typedef enum PrioValueSignal
{
	VS_MONETARY, VS_FREQUENCY, VS_BUDGET_AUTHORITY, VS_CLV, VS_PIPELINE, VS_KEY_TYPE, VS_COUNT
} PrioValueSignal;

extern const char *const prio_value_signal_names[VS_COUNT];

/* rules/evaluate.c: the settings the rules read, and one customer's evaluation */
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
	/* 0.5: the funnel's weight, the value signals and the deal stages */
	double		w_funnel;
	bool		vs_enabled[VS_COUNT];
	bool		vs_has_threshold[VS_COUNT];
	double		vs_threshold[VS_COUNT];
	const PrioDealStage *deal_stages;
	int			ndeal_stages;
	/* 0.5: prio.playbooks (rules/playbook.c); NULL: none, the tiers' cadences */
	const struct PrioPlaybooks *playbooks;
	/* 0.5: the reply term (reply_weight 0: none, as before 0.5) ... */
	double		reply_weight;
	double		reply_half_life_us;
	/* ... and the re-activation cadences (absent before 0.5: the playbooks') */
	bool		has_react_cadence;
	double		silent_cadence_us;
	double		lost_cadence_us;
} PrioSettings;

/*
 * The key-customer types a customer holds (engine/customer_types.c reads
 * them before the rules run): a held type can make value high and its
 * playbook can set the due date.  Names point into the configuration.
 */
typedef struct PrioHeldTypes
{
	int			ntypes;
	const char **types;
	bool		implies_value;	/* a held type implies value */
} PrioHeldTypes;

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
	double		points[6];		/* tier, rfm, bant, intent, stage, funnel: each 0..1 */
	double		priority;
	TimestampTz next_due_at;
	StringInfoData rule;
	/* (0.5) the key-customer types held (prio_evaluate()'s held; none: 0) */
	int			ntypes;
	const char **types;
	bool		type_implies_value; /* a held type implies value */
	/* 0.5: the playbook that set next_due_at (rules/playbook.c); NULL: none */
	const char *playbook;
	uint32		value_signals;	/* 0.5: bit 1 << VS_*: the signals that fired */
} PrioEval;

/* rules/clv.c: a customer's (x, t_x, T, mean_value) from its facts, and its CLV */
extern void prio_btyd_inputs(TimestampTz first_purchase_at, TimestampTz last_purchase_at,
							 int64 purchase_days, Numeric monetary, Numeric first_day_amount,
							 TimestampTz as_of, double unit_days, double *out);
extern bool prio_customer_clv(const PrioFacts *f, const PrioSettings *s, TimestampTz as_of,
							  double *clv);
/* rules/evaluate.c: the rules */
extern double prio_cadence_us(const PrioSettings *s, PrioStage stage, double cadence_us);
extern void prio_evaluate(PrioEval *e, const PrioFacts *f, const PrioHeldTypes *held,
						  const bool *bant_answers,
						  const bool *bant_null, TimestampTz created_at, const PrioSettings *s,
						  const float8 *const *breaks, const int *nbreaks, TimestampTz as_of);

/* rules/deals.c: the deal facts in the rules */
extern const PrioDealStage *prio_deal_stage(const PrioSettings *s, const char *name);
extern PrioStage prio_deals_base_stage(const PrioFacts *f, const PrioSettings *s);
extern TimestampTz prio_deals_quiet_since(const PrioFacts *f, TimestampTz since);
extern double prio_deals_funnel_points(const PrioFacts *f, const PrioSettings *s);
extern bool prio_deals_implicit(const PrioFacts *f);
extern double prio_deals_pipeline(const PrioFacts *f);
extern bool prio_deals_outcome(const PrioFacts *f, bool *won);
extern void prio_deals_closed(PrioFacts *f, bool has_closed_at, TimestampTz closed_at,
							  text *outcome);
extern void prio_value_signals_default(PrioSettings *s);

/* rules/segment.c: named segments of score triples, the first matching row winning */
#define SEGMENT_NSCORE 5
typedef const char *SegmentMap[SEGMENT_NSCORE][SEGMENT_NSCORE][SEGMENT_NSCORE];
extern void CheckScore(int32 score, const char *name);
extern void prio_segment_map_add(SegmentMap map, const char *name, const int *lim);

/*
 * rules/playbook.c: the playbooks (prio.playbooks), one per tier and per
 * key-customer type, as the configuration cache (engine/config.c) keeps the
 * enabled ones.  The ones that apply to a customer are its tier's and those
 * of the types it holds; the most demanding (shortest) cadence wins.
 */
typedef struct PrioPlaybook
{
	char	   *name;			/* prio.playbooks.playbook */
	int			tier;			/* 0..3: the playbook of tier A..D; -1: of a type */
	bool		has_cadence;	/* false: a tier's, at settings' cadence_a..d */
	double		cadence_us;
} PrioPlaybook;

typedef struct PrioPlaybooks
{
	PrioPlaybook *rows;
	int			n;
} PrioPlaybooks;

extern int	prio_playbooks_apply(const PrioPlaybooks *pb, char tier, const char *const *types,
								 int ntypes, const double *tier_cadence_us, int *applied,
								 int *chosen, double *cadence_us);
extern double prio_playbook_cadence(PrioEval *e, const PrioSettings *s,
									const char *const *types, int ntypes);

/* rules/language.c: language tags (prio.language, prio.labels.lang) */
#define PRIO_LANGUAGE_TAG_MAX 35
extern bool prio_language_tag(char *tag);
extern bool prio_language_parent(char *tag);
extern bool prio_language_script(const char *tag, char *script);

/*
 * rules/types.c (0.5): the key-customer types.  A type's condition is a
 * small rule language in jsonb (all/any/not over comparisons of facts and
 * attributes), compiled once (and checked: 22023) and evaluated per customer.
 */
#include "utils/jsonb.h"

typedef enum PrioTypeFact
{
	TF_PURCHASES_12M,
	TF_PURCHASES_PREV_12M,
	TF_GROWTH_YOY,
	TF_GROWTH_2Y,
	TF_REPURCHASE_RATE,
	TF_INTERACTIONS_PER_MONTH,
	TF_PIPELINE,
	TF_RELATED_CUSTOMERS,
	TF_FREQUENCY,
	TF_MONETARY,
	TF_COUNT
} PrioTypeFact;

typedef struct PrioTypeFacts
{
	bool		has[TF_COUNT];	/* false: undefined (a growth without a base) */
	double		v[TF_COUNT];
} PrioTypeFacts;

typedef struct PrioTypeCond PrioTypeCond;

extern const char *const prio_type_fact_names[TF_COUNT];
extern int32 prio_utc_month(TimestampTz t);
extern PrioTypeCond *prio_type_compile(Jsonb *condition, const char *type);
extern void prio_type_facts(PrioTypeFacts *tf, const PrioFacts *f, TimestampTz as_of,
							double pipeline, int64 related);
extern bool prio_type_holds(const PrioTypeCond *c, const PrioTypeFacts *tf, Jsonb *attributes);

#endif							/* PRIO_RULES_H */
