/*
 * playbook.c
 *		The playbooks (prio.playbooks), pure: which apply to a customer and
 *		which one sets its next due date.
 *
 * A customer follows its tier's playbook and the playbook of every
 * key-customer type it holds.  Where several apply, the most demanding one
 * wins: the shortest cadence.  A tier's playbook without a cadence of its
 * own follows the tier's cadence in prio.settings (cadence_a .. cadence_d),
 * so the settings stay the one source of the tiers' cadences; a type's
 * playbook always has one.  On equal cadences a type's playbook wins over
 * the tier's (it says more of the customer), and of two types the one whose
 * name sorts first (byte order), so the choice never depends on the order
 * the rows were read in.
 */
#include "prio.h"

#include <math.h>

static double
effective_cadence(const PrioPlaybook *p, const double *tier_cadence_us)
{
	return p->has_cadence ? p->cadence_us : tier_cadence_us[p->tier];
}

/* a beats b: shorter cadence; on a tie a type's over a tier's, then by name */
static bool
beats(const PrioPlaybook *a, double ca, const PrioPlaybook *b, double cb)
{
	if (ca != cb)
		return ca < cb;
	if ((a->tier < 0) != (b->tier < 0))
		return a->tier < 0;
	return strcmp(a->name, b->name) < 0;
}

/*
 * The playbooks of pb that apply to a customer of tier tier ('A'..'D')
 * holding types[0..ntypes-1] (NULL entries ignored): their indexes into
 * pb->rows go into applied (room for pb->n; NULL: not wanted), their number
 * is returned.  *chosen is the winner's index (-1: none applies, and
 * *cadence_us is the tier's cadence from the settings), *cadence_us the
 * winner's cadence.
 */
int
prio_playbooks_apply(const PrioPlaybooks *pb, char tier, const char *const *types, int ntypes,
					 const double *tier_cadence_us, int *applied, int *chosen,
					 double *cadence_us)
{
	int			t = tier - 'A';
	int			napplied = 0;
	double		best = 0;

	*chosen = -1;
	*cadence_us = tier_cadence_us[t];
	for (int i = 0; pb != NULL && i < pb->n; i++)
	{
		const PrioPlaybook *p = &pb->rows[i];
		bool		applies = false;
		double		c;

		if (p->tier >= 0)
			applies = (p->tier == t);
		else
			for (int j = 0; j < ntypes && !applies; j++)
				applies = types[j] != NULL && strcmp(types[j], p->name) == 0;
		if (!applies)
			continue;
		if (applied != NULL)
			applied[napplied] = i;
		napplied++;
		c = effective_cadence(p, tier_cadence_us);
		if (*chosen < 0 || beats(p, c, &pb->rows[*chosen], best))
		{
			*chosen = i;
			best = c;
		}
	}
	if (*chosen >= 0)
		*cadence_us = best;
	return napplied;
}

/*
 * prio_evaluate()'s due date: the cadence of the playbook that wins for
 * e->tier and the types held (e->playbook names it; NULL when there are no
 * playbooks: the tier's cadence in the settings).
 */
double
prio_playbook_cadence(PrioEval *e, const PrioSettings *s, const char *const *types, int ntypes)
{
	int			chosen;
	double		cadence;

	prio_playbooks_apply(s->playbooks, e->tier, types, ntypes, s->cadence_us, NULL,
						 &chosen, &cadence);
	e->playbook = chosen >= 0 ? s->playbooks->rows[chosen].name : NULL;
	return cadence;
}
