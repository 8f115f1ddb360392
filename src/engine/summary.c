/*
 * summary.c
 *		A customer's BTYD inputs (x, t_x, T, mean_value) from its
 *		customer_state row, without reading its activities: the fold keeps
 *		the first purchase, the number of UTC calendar days with purchases
 *		and the first day's amount, so this equals prio.clv_summary() over
 *		the customer's purchases.  For prio.customer_summary(), p_alive(state)
 *		and clv(state).
 */
#include "prio.h"

#include "catalog/pg_type.h"
#include "utils/numeric.h"

enum
{
	S_FIRST_PURCHASE_AT, S_LAST_PURCHASE_AT, S_PURCHASE_DAYS, S_MONETARY,
	S_FIRST_DAY_AMOUNT, S_NFIELDS
};

static const char *const state_fields[S_NFIELDS] = {
	"first_purchase_at", "last_purchase_at", "purchase_days", "monetary", "first_day_amount"
};
static const Oid state_types[S_NFIELDS] = {
	TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID, NUMERICOID, NUMERICOID
};

/* A reader of the state row fields the summary needs */
void
StateSummaryReaderInit(RowReader *rr)
{
	memset(rr, 0, sizeof(RowReader));
	rr->what = "prio.customer_state";
	rr->names = state_fields;
	rr->types = state_types;
	rr->nfields = S_NFIELDS;
}

/*
 * (x, t_x, T, mean_value) of a customer_state row as of as_of, in units of
 * unit_days: what prio.customer_summary() returns; false without purchases.
 */
bool
prio_state_summary(RowReader *rr, Datum state, MemoryContext cxt, TimestampTz as_of,
				   double unit_days, double *out)
{
	bool		isnull[S_NFIELDS];
	Datum		v[S_NFIELDS];

	RowBind(rr, state, cxt);
	for (int i = 0; i < S_NFIELDS; i++)
		v[i] = RowGet(rr, i, &isnull[i]);
	if (isnull[S_FIRST_PURCHASE_AT] || isnull[S_LAST_PURCHASE_AT])
		return false;
	if (!isnull[S_MONETARY])
		CheckFiniteNumeric(DatumGetNumeric(v[S_MONETARY]), "monetary");
	if (!isnull[S_FIRST_DAY_AMOUNT])
		CheckFiniteNumeric(DatumGetNumeric(v[S_FIRST_DAY_AMOUNT]), "first_day_amount");
	prio_btyd_inputs(DatumGetTimestampTz(v[S_FIRST_PURCHASE_AT]),
					 DatumGetTimestampTz(v[S_LAST_PURCHASE_AT]),
					 isnull[S_PURCHASE_DAYS] ? 0 : DatumGetInt64(v[S_PURCHASE_DAYS]),
					 isnull[S_MONETARY] ? NULL : DatumGetNumeric(v[S_MONETARY]),
					 isnull[S_FIRST_DAY_AMOUNT] ? NULL : DatumGetNumeric(v[S_FIRST_DAY_AMOUNT]),
					 as_of, unit_days, out);
	/* x is returned as a bigint */
	out[0] = (double) (int64) out[0];
	return true;
}

