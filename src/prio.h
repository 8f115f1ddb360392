/*
 * prio.h
 *		Shared declarations: argument checks and the pure scoring rules.
 *
 * Every rule is a plain C function without SPI or catalog access, so the
 * SQL functions, the triggers, refresh, recompute and explain all share it.
 */
#ifndef PRIO_H
#define PRIO_H

#include "postgres.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/timestamp.h"

/* schema fixed by prio.control (relocatable = false) */
#define PRIO_SCHEMA "prio"

/* prio.c: argument checks that ereport with a specific SQLSTATE */
extern void CheckArgNotNull(FunctionCallInfo fcinfo, int argno, const char *name);
extern void CheckFiniteDouble(double value, const char *name);
extern double IntervalToUsecs(const Interval *iv);
extern double CheckPositiveInterval(const Interval *iv, const char *name);

/* bant.c */
extern int	prio_bant(const bool *answers, const bool *isnull);

/* rfm.c */
extern const float8 *CheckBreaks(ArrayType *breaks, int *nbreaks);
extern int	prio_rfm_score(double value, const float8 *breaks, int nbreaks,
						   bool higher_is_better);

/* intent.c */
extern double prio_decay(TimestampTz at, TimestampTz as_of, double half_life_us);

/* segment.c */
extern void CheckScore(int32 score, const char *name);
extern const char *prio_rfm_segment(int r, int f, int m);

#endif							/* PRIO_H */
