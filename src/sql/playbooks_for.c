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
 * prio.playbooks_for(tier text, types text[] DEFAULT NULL,
 *                    OUT playbook text, OUT chosen boolean)
 *		The winner first, then the others that apply, by name.  No row when
 *		there are no playbooks (the tier's cadence in the settings holds).
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
			types[i] = nulls[i] ? NULL : TextDatumGetCString(elems[i]);
	}

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
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
