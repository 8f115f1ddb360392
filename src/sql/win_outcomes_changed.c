/*
 * win_outcomes_changed.c
 *		prio.win_outcomes_changed(): the statement triggers of win_outcomes
 *		that append its count deltas to win_counts (engine/outcomes.c).
 */
#include "prio.h"

#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

/*
 * prio.win_outcomes_changed() RETURNS trigger: AFTER INSERT (NEW TABLE),
 * UPDATE (OLD and NEW TABLE) or DELETE (OLD TABLE), FOR EACH STATEMENT, on
 * prio.win_outcomes only.  Appends to win_counts (RowExclusiveLock).
 */
PG_FUNCTION_INFO_V1(prio_win_outcomes_changed);
Datum
prio_win_outcomes_changed(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) || TRIGGER_FIRED_BY_TRUNCATE(td->tg_event) ||
		((TRIGGER_FIRED_BY_INSERT(td->tg_event) || TRIGGER_FIRED_BY_UPDATE(td->tg_event)) &&
		 td->tg_newtable == NULL) ||
		((TRIGGER_FIRED_BY_DELETE(td->tg_event) || TRIGGER_FIRED_BY_UPDATE(td->tg_event)) &&
		 td->tg_oldtable == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("prio.win_outcomes_changed() must be an AFTER INSERT, UPDATE or DELETE statement trigger with its transition tables")));
	if (RelationGetRelid(td->tg_relation) !=
		get_relname_relid("win_outcomes", get_namespace_oid(PRIO_SCHEMA, false)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("prio.win_outcomes_changed() is a trigger of prio.win_outcomes only")));
	PrioWinOutcomesChanged(td);
	return PointerGetDatum(NULL);
}
