/*
 * playbooks_for.c
 *		prio.playbooks_for(tier, types): the playbooks that apply to a
 *		customer of that tier holding those key-customer types, and the one
 *		that wins (rules/playbook.c), under the playbooks and settings in
 *		force (the configuration cache, engine/config.c).
 */
#include "prio.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

/*
 * Each of types (a text[] without NULL) a row of prio.customer_types,
 * enabled or not: a name that is none is a mistake, not a type nobody
 * holds (22023).  The caller is connected to SPI.
 */
static void
CheckTypesKnown(Datum types)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[1] = {TEXTARRAYOID};
	int			rc;

	if (plan == NULL)
		plan = PrioKeepPlan("SELECT u.t FROM pg_catalog.unnest($1) WITH ORDINALITY u(t, i)"
							" WHERE NOT EXISTS (SELECT 1 FROM " PRIO_SCHEMA ".customer_types c"
							"                    WHERE c.type OPERATOR(pg_catalog.=) u.t)"
							" ORDER BY u.i LIMIT 1", 1, argtypes, 0);
	rc = SPI_execute_plan(plan, &types, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read prio.customer_types: %s", SPI_result_code_string(rc));
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a key-customer type",
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
				 errhint("The types are the rows of prio.customer_types.")));
}

/*
 * prio.playbooks_for(tier text, types text[] DEFAULT NULL,
 *                    OUT playbook text, OUT chosen boolean)
 *		The winner first, then the others that apply, by name.  No row when
 *		there are no playbooks (the tier's cadence in the settings holds).
 *		NULL types: none held; a NULL in them is 22004, a name that is not a
 *		key-customer type 22023.
 */
PG_FUNCTION_INFO_V1(prio_playbooks_for);
Datum
prio_playbooks_for(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *tier_text;
	char		tier;
	const char **types = NULL;
	int			ntypes = 0;
	const PrioConfig *cfg;
	int		   *applied;
	int			napplied;
	int			chosen;
	double		cadence;

	CheckArgNotNull(fcinfo, 0, "tier");
	tier_text = PG_GETARG_TEXT_PP(0);
	if (VARSIZE_ANY_EXHDR(tier_text) != 1 || VARDATA_ANY(tier_text)[0] < 'A' ||
		VARDATA_ANY(tier_text)[0] > 'D')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tier must be A, B, C or D, not \"%s\"", text_to_cstring(tier_text))));
	tier = VARDATA_ANY(tier_text)[0];
	if (!PG_ARGISNULL(1))
	{
		ArrayType  *a = PG_GETARG_ARRAYTYPE_P(1);
		Datum	   *elems;
		bool	   *nulls;

		if (ARR_NDIM(a) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("types must be a one-dimensional array")));
		deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &ntypes);
		types = palloc(sizeof(char *) * Max(ntypes, 1));
		for (int i = 0; i < ntypes; i++)
		{
			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("types must not contain NULL")));
			types[i] = TextDatumGetCString(elems[i]);
		}
	}

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	if (ntypes > 0)
		CheckTypesKnown(PG_GETARG_DATUM(1));
	cfg = prio_config(PRIO_API_CURRENT);
	SPI_finish();
	applied = palloc(sizeof(int) * Max(cfg->playbooks.n, 1));
	napplied = prio_playbooks_apply(cfg->settings.playbooks, tier, types, ntypes,
									cfg->settings.cadence_us, applied, &chosen, &cadence);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < napplied; i++)
		{
			Datum		values[2];
			bool		nulls[2] = {false, false};

			/* the winner first */
			if ((applied[i] == chosen) != (pass == 0))
				continue;
			values[0] = CStringGetTextDatum(cfg->playbooks.rows[applied[i]].name);
			values[1] = BoolGetDatum(applied[i] == chosen);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	return (Datum) 0;
}
