/*
 * clv.h
 *		rules/clv.c's valuation under the BTYD models (rules/btyd.h), checked:
 *		a model status or an input the model cannot score is an error a DBA
 *		can act on (SQLSTATE 22023 or 22003).
 */
#ifndef PRIO_CLV_H
#define PRIO_CLV_H

#include "btyd.h"

/* a fit's status (prio.bgnbd_fit, prio.gammagamma_fit); what names the function */
extern void BtydCheckFit(BtydStatus status, const char *what);
/* a value's status, computed from fitted parameters */
extern void BtydCheckValue(BtydStatus status, const char *what);
/* a BG/NBD customer: x whole and >= 0, 0 <= t_x <= T (t_x 0 when x = 0) */
extern BtydCustomer prio_bgnbd_customer(double x, double t_x, double T);
/* Gamma-Gamma expected spend of x repeat purchases of mean m */
extern double prio_gg_spend(const double *gg, double x, double m, const char *what);
extern void prio_clv_check_horizon(int32 horizon, double rate, double period);
/* prio.clv: the spend, then the discounted sum over horizon periods */
extern double prio_clv_value(const double *bg, const double *gg, BtydCustomer c,
							 int32 horizon, double rate, double period, double mean_value);

#endif							/* PRIO_CLV_H */
