/*
 * support.h
 *		src/support/: what every layer uses -- argument and value checks
 *		(checks.c), reading composite rows by field name (rowreader.c), SPI
 *		helpers (spi.c), work whose error is caught (subxact.c).  Included
 *		by prio.h.
 */
#ifndef PRIO_SUPPORT_H
#define PRIO_SUPPORT_H

/* support/checks.c: argument checks that ereport with a specific SQLSTATE */
extern void CheckArgNotNull(FunctionCallInfo fcinfo, int argno, const char *name);
extern void CheckFiniteDouble(double value, const char *name);
struct TriggerData;
extern struct TriggerData *CheckStatementTrigger(FunctionCallInfo fcinfo, const char *fn,
												 const char *table);
extern void CheckFiniteNumeric(Numeric value, const char *name);
extern TimestampTz CheckTimeArg(FunctionCallInfo fcinfo, int argno, const char *name);
extern int64 CheckedAdd64(int64 a, int64 b, const char *what, int64 customer_id);
extern double IntervalToUsecs(const Interval *iv);
extern double CheckPositiveInterval(const Interval *iv, const char *name);
extern double ElapsedUsecs(TimestampTz from, TimestampTz to);
extern void NumericAccum(Numeric *sum, Numeric add, MemoryContext cxt);
/* support/rowreader.c: a composite result's fields are still the ones filled */
extern void CheckResultDesc(TupleDesc desc, const Oid *types, int n, const char *what);
extern void CheckResultDescPrefix(TupleDesc desc, const Oid *types, int nmin, int n,
								  const char *what);
/* support/spi.c */
extern Datum Int8ArrayDatum(const int64 *ids, int n);
/* prepared and kept for the life of the backend; the caller is connected to SPI */
struct _SPI_plan;
extern struct _SPI_plan *PrioKeepPlan(const char *sql, int nargs, Oid *types,
									  int cursor_options);
/* the first column of the first row, read in the latest snapshot (not connected) */
extern Datum PrioReadLatest(const char *sql, int nargs, Oid *types, Datum *args, bool *isnull);

/* support/subxact.c: fn(arg) in a subtransaction, its error returned (see there) */
extern bool PrioErrorIsTheServers(int sqlerrcode);
extern ErrorData *PrioTry(void (*fn) (void *arg), void *arg, bool internal_caught);

/* In the type lists below: prio.stage, whose OID is only known at run time */
#define PRIO_STAGE_TYPE ((Oid) 1)

/*
 * support/rowreader.c: reading fields of a composite argument by name and
 * expected type.  The field map is built once per row type version (the type
 * cache's tupDesc_identifier changes with any ALTER) and kept in fn_extra.
 */
#define ROW_MAX_FIELDS 32
typedef struct RowReader
{
	const char *what;			/* for error messages */
	const char *const *names;
	const Oid  *types;
	int			nfields;
	int			nrequired;		/* fields from this one on may be absent (0: none) */
	Oid			typid;
	uint64		desc_id;
	TupleDesc	desc;			/* copy, in the caller's long-lived context */
	int			attnum[ROW_MAX_FIELDS];
	Datum	   *values;			/* the bound row, deformed once: reading */
	bool	   *isnull;			/* field by field would walk every varlena */
} RowReader;

extern void RowBind(RowReader *rr, Datum row, MemoryContext cxt);
extern Datum RowGet(RowReader *rr, int field, bool *isnull);

#endif							/* PRIO_SUPPORT_H */
