/*
 * lifecycle.c
 *		Lifecycle stages: how one activity moves a customer's base stage, and
 *		the effective stage at a time (silent when nothing inbound for long).
 */
#include "prio.h"

#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

const char *const prio_stage_names[STAGE_COUNT] = {
	"prospect", "interested", "engaged", "closing", "won", "silent", "lost"
};

/* pg_enum OIDs of prio.stage, looked up once; reset if any type changes */
static Oid	stage_type_oid = InvalidOid;
static Oid	stage_oids[STAGE_COUNT];
static bool stage_oids_valid = false;

void
StageTypeChanged(void)
{
	stage_oids_valid = false;
}

static void
stage_oids_load(void)
{
	Oid			nsp = get_namespace_oid(PRIO_SCHEMA, false);
	Oid			typoid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
										 CStringGetDatum("stage"),
										 ObjectIdGetDatum(nsp));

	if (!OidIsValid(typoid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("type prio.stage does not exist")));
	stage_type_oid = typoid;
	for (int i = 0; i < STAGE_COUNT; i++)
	{
		stage_oids[i] = GetSysCacheOid2(ENUMTYPOIDNAME, Anum_pg_enum_oid,
										ObjectIdGetDatum(typoid),
										CStringGetDatum(prio_stage_names[i]));
		if (!OidIsValid(stage_oids[i]))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("prio.stage has no label \"%s\"", prio_stage_names[i])));
	}
	stage_oids_valid = true;
}

Oid
StageTypeOid(void)
{
	if (!stage_oids_valid)
		stage_oids_load();
	return stage_type_oid;
}

PrioStage
StageFromDatum(Datum d)
{
	Oid			v = DatumGetObjectId(d);

	for (int attempt = 0; attempt < 2; attempt++)
	{
		if (!stage_oids_valid || attempt > 0)
			stage_oids_load();
		for (int i = 0; i < STAGE_COUNT; i++)
			if (stage_oids[i] == v)
				return (PrioStage) i;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("value is not a prio.stage")));
	pg_unreachable();
}

Datum
StageGetDatum(PrioStage s)
{
	if (!stage_oids_valid)
		stage_oids_load();
	return ObjectIdGetDatum(stage_oids[s]);
}

/*
 * One activity's effect on the base stage.  lost and won kinds decide
 * outright; a lost customer is revived only by something inbound; a won one
 * moves only to lost; otherwise stages only move forward, and anything
 * inbound makes a prospect at least interested.
 */
PrioStage
prio_stage_step(PrioStage stage, bool has_kind_stage, PrioStage kind_stage, bool inbound)
{
	PrioStage	next = stage;

	/* kinds cannot carry silent (a CHECK refuses it); treat it as none */
	if (has_kind_stage && kind_stage == STAGE_SILENT)
		has_kind_stage = false;
	if (has_kind_stage && kind_stage == STAGE_LOST)
		return STAGE_LOST;
	if (has_kind_stage && kind_stage == STAGE_WON)
		return STAGE_WON;
	if (stage == STAGE_WON)
		return STAGE_WON;
	if (stage == STAGE_LOST)
	{
		if (!inbound)
			return STAGE_LOST;
		next = STAGE_INTERESTED;
	}
	if (has_kind_stage && kind_stage > next)
		next = kind_stage;
	if (inbound && next < STAGE_INTERESTED)
		next = STAGE_INTERESTED;
	return next;
}

/*
 * Stage at as_of: silent when an open deal (prospect..closing) has heard
 * nothing inbound for silent_after, or a won customer for dormant_after.
 * since is the last inbound activity, else the first activity, else the
 * customer's creation.
 */
PrioStage
prio_effective_stage(PrioStage base, bool has_since, TimestampTz since,
					 TimestampTz as_of, double silent_us, double dormant_us)
{
	double		limit;

	if (base <= STAGE_CLOSING)
		limit = silent_us;
	else if (base == STAGE_WON)
		limit = dormant_us;
	else
		return base;
	if (has_since && ElapsedUsecs(since, as_of) >= limit)
		return STAGE_SILENT;
	return base;
}

PG_FUNCTION_INFO_V1(prio_next_stage);
Datum
prio_next_stage(PG_FUNCTION_ARGS)
{
	CheckArgNotNull(fcinfo, 0, "stage");
	CheckArgNotNull(fcinfo, 2, "inbound");
	if (StageFromDatum(PG_GETARG_DATUM(0)) == STAGE_SILENT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("silent is not a base stage"),
				 errhint("Base stages come from activities; silent is only ever an effective stage.")));
	PG_RETURN_DATUM(StageGetDatum(prio_stage_step(StageFromDatum(PG_GETARG_DATUM(0)),
												  !PG_ARGISNULL(1),
												  PG_ARGISNULL(1) ? STAGE_PROSPECT
												  : StageFromDatum(PG_GETARG_DATUM(1)),
												  PG_GETARG_BOOL(2))));
}

PG_FUNCTION_INFO_V1(prio_effective_stage_sql);
Datum
prio_effective_stage_sql(PG_FUNCTION_ARGS)
{
	double		silent_us;
	double		dormant_us;

	CheckArgNotNull(fcinfo, 0, "base_stage");
	CheckArgNotNull(fcinfo, 2, "as_of");
	CheckArgNotNull(fcinfo, 3, "silent_after");
	CheckArgNotNull(fcinfo, 4, "dormant_after");
	if (StageFromDatum(PG_GETARG_DATUM(0)) == STAGE_SILENT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("silent is not a base stage"),
				 errhint("Base stages come from activities; silent is only ever an effective stage.")));
	silent_us = CheckPositiveInterval(PG_GETARG_INTERVAL_P(3), "silent_after");
	dormant_us = CheckPositiveInterval(PG_GETARG_INTERVAL_P(4), "dormant_after");
	PG_RETURN_DATUM(StageGetDatum(prio_effective_stage(StageFromDatum(PG_GETARG_DATUM(0)),
													   !PG_ARGISNULL(1),
													   PG_ARGISNULL(1) ? 0 : PG_GETARG_TIMESTAMPTZ(1),
													   PG_GETARG_TIMESTAMPTZ(2),
													   silent_us, dormant_us)));
}
