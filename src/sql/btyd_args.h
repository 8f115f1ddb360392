/*
 * btyd_args.h
 *		What the SQL functions of the BTYD models share (btyd_args.c): the
 *		fits' state, the models' parameter rows, the customer arguments.
 */
#ifndef BTYD_ARGS_H
#define BTYD_ARGS_H

#include "clv.h"

/* prio.bgnbd_fit and prio.gammagamma_fit: the customers, fitted at the end */
typedef struct FitState
{
	int			n;
	int			cap;
	BtydCustomer *c;
} FitState;

/* fn_extra of the scoring functions: the models' row readers */
typedef struct ParamsCache
{
	RowReader	bgnbd;
	RowReader	gg;
} ParamsCache;

/* The functions of a state row keep its reader beside the models' */
typedef struct StateCache
{
	ParamsCache params;			/* first: BtydReadParams() finds it */
	RowReader	state;
} StateCache;

extern MemoryContext BtydAggContext(FunctionCallInfo fcinfo, const char *name);
extern FitState *BtydFitState(FunctionCallInfo fcinfo, const char *name, MemoryContext *cxt);
extern void BtydFitAdd(FitState *st, BtydCustomer c);
extern Datum BtydFitResult(FunctionCallInfo fcinfo, const BtydFit *fit, int npar,
						   const char *what);
extern double BtydArgDouble(FunctionCallInfo fcinfo, int argno, const char *name);
extern BtydCustomer BtydBgnbdRow(FunctionCallInfo fcinfo, int first);
extern ParamsCache *BtydParamsCache(FunctionCallInfo fcinfo, Size size);
extern void BtydReadParams(FunctionCallInfo fcinfo, int argno, bool gg, double *par);
extern bool BtydStateSummary(FunctionCallInfo fcinfo, int state_arg, int as_of_arg,
							 double *out);

#endif							/* BTYD_ARGS_H */
