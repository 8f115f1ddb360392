/*
 * lifecycle.c
 *		Lifecycle stages: how one activity moves a customer's base stage, and
 *		the effective stage at a time (silent when nothing inbound for long).
 *		The prio.stage enum's OIDs are engine/stage.c's.
 */
#include "prio.h"

const char *const prio_stage_names[STAGE_COUNT] = {
	"prospect", "interested", "engaged", "closing", "won", "silent", "lost"
};

/*
 * One activity's effect on the base stage.  A lost customer stays lost
 * whatever a kind that does not revive says (activity_kinds.revives, 0.5:
 * an automated email_open does not bring back a customer who said no);
 * otherwise lost and won kinds decide outright; a lost customer is revived
 * only by something inbound; a won one moves only to lost; otherwise stages
 * only move forward, and anything inbound makes a prospect at least
 * interested.
 */
PrioStage
prio_stage_step(PrioStage stage, bool has_kind_stage, PrioStage kind_stage, bool inbound,
				bool revives)
{
	PrioStage	next = stage;

	if (stage == STAGE_LOST && !revives)
		return STAGE_LOST;
	/* kinds cannot carry silent (a CHECK refuses it); treat it as none */
	if (has_kind_stage && kind_stage == STAGE_SILENT)
		has_kind_stage = false;
	if (has_kind_stage && kind_stage == STAGE_LOST)
		return STAGE_LOST;
	if (has_kind_stage && kind_stage == STAGE_WON)
		return STAGE_WON;
	if (stage == STAGE_WON)
		return STAGE_WON;
	if (stage == STAGE_LOST)
	{
		if (!inbound)
			return STAGE_LOST;
		next = STAGE_INTERESTED;
	}
	if (has_kind_stage && kind_stage > next)
		next = kind_stage;
	if (inbound && next < STAGE_INTERESTED)
		next = STAGE_INTERESTED;
	return next;
}

/*
 * Stage at as_of: silent when an open deal (prospect..closing) has heard
 * nothing inbound for silent_after, or a won customer for dormant_after.
 * since is the last inbound activity, else the first activity, else the
 * customer's creation.
 */
PrioStage
prio_effective_stage(PrioStage base, bool has_since, TimestampTz since,
					 TimestampTz as_of, double silent_us, double dormant_us)
{
	double		limit;

	if (base <= STAGE_CLOSING)
		limit = silent_us;
	else if (base == STAGE_WON)
		limit = dormant_us;
	else
		return base;
	if (has_since && ElapsedUsecs(since, as_of) >= limit)
		return STAGE_SILENT;
	return base;
}
