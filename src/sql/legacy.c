/*
 * legacy.c
 *		The entry points that the frozen install and upgrade scripts of prio
 *		0.1, 0.2 and 0.3 name (and 0.4's that 0.5 replaced, at the end), kept so that an installed 0.1, 0.2 or 0.3 runs
 *		on this library until ALTER EXTENSION prio UPDATE repoints its
 *		functions at the versioned symbols (prio--0.3--0.4.sql).
 *
 * These symbols served several SQL signatures and schemas under one name,
 * so each works out which from its call: the number of its arguments or the
 * columns of customer_state.  This is the only file that does; everything
 * else is told its API version by the symbol the SQL function names, as
 * pg_stat_statements' pg_stat_statements_1_N entry points tell theirs.
 * A version that a legacy symbol serves but cannot tell from the one before
 * (0.3 from 0.2) runs as that one: its schema is the same for the function.
 * Remove a symbol once no supported version's scripts name it.
 */
#include "prio.h"

#include "catalog/namespace.h"
#include "utils/lsyscache.h"

/*
 * 0.1's customer_state ends at rule; 0.2 added the BTYD inputs and owner
 * (prio--0.1--0.2.sql).  The column first_day_amount tells them apart.
 */
static PrioApiVersion
legacy_state_api(void)
{
	Oid			state = get_relname_relid("customer_state",
										  get_namespace_oid(PRIO_SCHEMA, false));

	if (!OidIsValid(state))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table " PRIO_SCHEMA ".customer_state does not exist"),
				 errhint("ALTER EXTENSION prio UPDATE brings the extension's objects to the installed library's version.")));
	if (get_attnum(state, customer_state_columns[Anum_customer_state_first_day_amount - 1].name)
		!= InvalidAttrNumber)
		return PRIO_API_0_2;
	return PRIO_API_0_1;
}

/*
 * prio.activities_inserted(), the insert trigger of prio--0.1.sql,
 * prio--0.2.sql and prio--0.3.sql: API 0.1 on 0.1's customer_state, 0.2
 * (serving 0.3 too) on the one 0.2 made.  An update from 0.1 runs the
 * trigger on 0.2's schema before the function is repointed (0.1--0.2 and
 * 0.2--0.3 keep this symbol), which the columns tell too.
 */
PG_FUNCTION_INFO_V1(prio_activities_inserted);
Datum
prio_activities_inserted(PG_FUNCTION_ARGS)
{
	return ActivitiesInserted(fcinfo, legacy_state_api());
}

/*
 * prio.evaluate(facts, customer, cfg, r_breaks, f_breaks, m_breaks, as_of
 *               [, bgnbd, gammagamma]): the seven-argument form of
 * prio--0.1.sql (API 0.1: facts may lack the BTYD inputs; 0.2's and 0.3's
 * facts have them and read the same), and the nine-argument form with the
 * CLV models that prio--0.1--0.2.sql added (API 0.2, 0.3's too).
 */
PG_FUNCTION_INFO_V1(prio_evaluate_sql);
Datum
prio_evaluate_sql(PG_FUNCTION_ARGS)
{
	if (PG_NARGS() > 8)
		return EvaluateFacts(fcinfo, PRIO_API_0_2, true);
	return EvaluateFacts(fcinfo, PRIO_API_0_1, false);
}

/*
 * prio.fold_accum(internal, facts, customer_id, at, inbound, kind_stage,
 *                 is_purchase, weight, amount, half_life [, activity_id]):
 * both forms in prio--0.1.sql, kept by 0.2 and 0.3.  API 0.1: the start
 * facts may lack the BTYD inputs (0.2's and 0.3's have them, read the same).
 */
PG_FUNCTION_INFO_V1(prio_fold_accum);
Datum
prio_fold_accum(PG_FUNCTION_ARGS)
{
	return FoldAccum(fcinfo, PRIO_API_0_1, PG_NARGS() > 10);
}

/*
 * prio.clv_summary_accum(internal, at, amount, cut_off [, unit]): both forms
 * in prio--0.1.sql, kept by 0.2 and 0.3; the one without unit counts weeks.
 */
PG_FUNCTION_INFO_V1(prio_clv_summary_accum);
Datum
prio_clv_summary_accum(PG_FUNCTION_ARGS)
{
	return ClvSummaryAccum(fcinfo, PG_NARGS() > 4);
}

/*
 * prio.evaluate(facts, customer, cfg, r_breaks, f_breaks, m_breaks, as_of
 * [, bgnbd, gammagamma]) of prio--0.4.sql: 0.4's prio.evaluation, without
 * the funnel points and value signals 0.5 appended (prio--0.4--0.5.sql
 * repoints the functions at the *_0_5 symbols).
 */
PG_FUNCTION_INFO_V1(prio_evaluate_0_4);
Datum
prio_evaluate_0_4(PG_FUNCTION_ARGS)
{
	return EvaluateFacts(fcinfo, PRIO_API_0_4, false);
}

PG_FUNCTION_INFO_V1(prio_evaluate_models_0_4);
Datum
prio_evaluate_models_0_4(PG_FUNCTION_ARGS)
{
	return EvaluateFacts(fcinfo, PRIO_API_0_4, true);
}
