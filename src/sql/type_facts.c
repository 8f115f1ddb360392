/*
 * type_facts.c
 *		prio.type_facts(customer_id, as_of): a customer's key-customer types
 *		evaluated as of a time, with the facts their conditions read
 *		(engine/customer_types.c, rules/types.c), for explain() and the
 *		key_customers view.
 */
#include "prio.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

static void
json_key(StringInfo s, bool *first, const char *key)
{
	if (!*first)
		appendStringInfoString(s, ", ");
	*first = false;
	escape_json(s, key);
	appendStringInfoString(s, ": ");
}

/*
 * prio.type_facts(customer_id bigint, as_of timestamptz) RETURNS jsonb
 *		{"facts": {...}, "types": [{"type", "condition", "tag", "held",
 *		"implies_value"}, ...], "held": [...], "implies_value": bool}; NULL
 *		for a customer without a state row.
 */
PG_FUNCTION_INFO_V1(prio_type_facts_sql);
Datum
prio_type_facts_sql(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	int64		customer_id;
	TimestampTz as_of;
	Datum		arg;
	Oid			argtype = INT8OID;
	bool		isnull;
	Datum		row;
	RowReader	rr;
	PrioFacts	f;
	PrioTypeInputs in;
	PrioTypeFacts tf;
	const PrioConfig *cfg;
	StringInfoData s;
	StringInfoData held;
	bool		first = true;
	bool		first_held = true;
	bool		implies = false;
	Datum		result;

	CheckArgNotNull(fcinfo, 0, "customer_id");
	as_of = CheckTimeArg(fcinfo, 1, "as_of");
	customer_id = PG_GETARG_INT64(0);

	SPI_connect();
	arg = Int64GetDatum(customer_id);
	if (SPI_execute_with_args("SELECT s FROM " PRIO_SCHEMA ".customer_state s"
							  " WHERE s.customer_id OPERATOR(pg_catalog.=) $1",
							  1, &argtype, &arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read customer " INT64_FORMAT "'s state", customer_id);
	if (SPI_processed == 0)
	{
		SPI_finish();
		PG_RETURN_NULL();
	}
	row = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	memset(&rr, 0, sizeof(rr));
	FactsFromDatum(&f, row, &rr, CurrentMemoryContext, CurrentMemoryContext, PRIO_API_CURRENT);
	cfg = prio_config(PRIO_API_CURRENT);
	prio_config_types(cfg);
	if (!PrioTypeInputsRead(customer_id, (Datum) 0, f.deals.pipeline, &in))
	{
		SPI_finish();
		PG_RETURN_NULL();
	}
	prio_type_facts(&tf, &f, as_of, in.pipeline, in.related);

	initStringInfo(&s);
	initStringInfo(&held);
	appendStringInfoString(&s, "{\"facts\": {");
	for (int i = 0; i < TF_COUNT; i++)
	{
		if (!tf.has[i])
			continue;
		json_key(&s, &first, prio_type_fact_names[i]);
		appendStringInfo(&s, "%.15g", tf.v[i]);
	}
	appendStringInfoString(&s, "}, \"types\": [");
	for (int i = 0; i < cfg->ntypes; i++)
	{
		bool		condition;
		int			by_tag;
		bool		holds = PrioTypeHolds(&cfg->types[i], &tf, &in, &condition, &by_tag);

		appendStringInfo(&s, "%s{\"type\": ", i > 0 ? ", " : "");
		escape_json(&s, cfg->types[i].type);
		appendStringInfo(&s, ", \"condition\": %s, \"tag\": %s, \"held\": %s, \"implies_value\": %s}",
						 condition ? "true" : "false",
						 by_tag > 0 ? "\"add\"" : by_tag < 0 ? "\"remove\"" : "null",
						 holds ? "true" : "false",
						 cfg->types[i].implies_value ? "true" : "false");
		if (holds)
		{
			if (!first_held)
				appendStringInfoString(&held, ", ");
			first_held = false;
			escape_json(&held, cfg->types[i].type);
			implies |= cfg->types[i].implies_value;
		}
	}
	appendStringInfo(&s, "], \"held\": [%s], \"implies_value\": %s}", held.data,
					 implies ? "true" : "false");
	MemoryContextSwitchTo(caller);
	result = DirectFunctionCall1(jsonb_in, CStringGetDatum(pstrdup(s.data)));
	SPI_finish();
	PG_RETURN_DATUM(result);
}
