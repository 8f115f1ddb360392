/*
 * stage.c
 *		The prio.stage enum type: its OID and its labels' pg_enum OIDs, looked
 *		up once and again after any type changes, to turn a stage datum into
 *		a PrioStage (rules/lifecycle.c) and back.
 */
#include "prio.h"

#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

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
