/*
 * customer_state.h
 *		prio.customer_state, described once: its columns in the order a fresh
 *		install creates them, the type prio reads and writes each as, and the
 *		version that added it (sql/install/40_tables.sql creates the table).
 *
 * Anum_customer_state_* number the columns as prio creates them.  A DBA
 * may drop and re-add a column, which moves it, so code that reads or
 * writes the table finds each column by name from customer_state_columns[]
 * (catalog.c checks the table against it first, once per relcache version).
 */
#ifndef CUSTOMER_STATE_H
#define CUSTOMER_STATE_H

#define Natts_customer_state					42

#define Anum_customer_state_customer_id			1
#define Anum_customer_state_first_at			2
#define Anum_customer_state_last_at				3
#define Anum_customer_state_last_inbound_at		4
#define Anum_customer_state_last_outbound_at	5
#define Anum_customer_state_last_purchase_at	6
#define Anum_customer_state_frequency			7
#define Anum_customer_state_monetary			8
#define Anum_customer_state_intent				9
#define Anum_customer_state_intent_at			10
#define Anum_customer_state_stage				11
#define Anum_customer_state_effective_stage		12
#define Anum_customer_state_r_score				13
#define Anum_customer_state_f_score				14
#define Anum_customer_state_m_score				15
#define Anum_customer_state_bant				16
#define Anum_customer_state_no_reply			17
#define Anum_customer_state_value_high			18
#define Anum_customer_state_intent_high			19
#define Anum_customer_state_tier				20
#define Anum_customer_state_priority			21
#define Anum_customer_state_next_due_at			22
#define Anum_customer_state_rule				23
#define Anum_customer_state_updated_at			24
/* added by 0.2 */
#define Anum_customer_state_first_purchase_at	25
#define Anum_customer_state_purchase_days		26
#define Anum_customer_state_first_day_amount	27
#define Anum_customer_state_owner				28
/* added by 0.4 */
#define Anum_customer_state_next_planned_at		29
/* added by 0.5 */
#define Anum_customer_state_month_purchases		30
#define Anum_customer_state_month_inbound		31
#define Anum_customer_state_types				32
#define Anum_customer_state_playbook			33
/* added by 0.5: the deal facts, written by prio._deal_facts(), read by the rules */
#define Anum_customer_state_open_deals			34
#define Anum_customer_state_funnel_stage		35
#define Anum_customer_state_pipeline			36
#define Anum_customer_state_last_deal_at		37
#define Anum_customer_state_deal_closed_at		38
#define Anum_customer_state_deal_outcome		39
/* added by 0.5: the implicit deal, a fold field written by the state writer */
#define Anum_customer_state_quote_amount		40
#define Anum_customer_state_quote_at			41
/* added by 0.5: when the activities decided the stage won or lost, a fold field */
#define Anum_customer_state_stage_at			42

typedef struct StateColumn
{
	const char *name;
	Oid			type;			/* PRIO_STAGE_TYPE: prio.stage */
	const char *since;			/* the version whose install script added it */
} StateColumn;

/* indexed by Anum_customer_state_* - 1 (state_write.c) */
extern const StateColumn customer_state_columns[Natts_customer_state];

/*
 * The columns the state writer sets, in this order (the writer's column c
 * is customer_state_columns[state_write_anum[c] - 1]); updated_at is set to
 * now() beside them, owner is left alone.  next_planned_at (0.4) is written
 * where the table has it: a database not yet updated to 0.4 has not; so are
 * month_purchases, month_inbound, types and playbook (0.5), quote_amount,
 * quote_at and stage_at (0.5).
 */
#define STATE_NCOLS 34			/* 0.5 on */
#define STATE_NCOLS_04 27		/* 0.4's table: up to next_planned_at */
#define STATE_NCOLS_02 26		/* 0.2's and 0.3's table: up to first_day_amount */
#define STATE_NCOLS_01 23		/* 0.1's table: up to rule */
extern const AttrNumber state_write_anum[STATE_NCOLS];

#endif							/* CUSTOMER_STATE_H */
