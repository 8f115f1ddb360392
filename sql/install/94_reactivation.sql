------------------------------------------------------------------------
-- prio.reactivation (0.5): silent and lost customers whose re-activation
-- is due (settings.silent_cadence, lost_cadence), by past value
------------------------------------------------------------------------

-- The reason line, built here only, from labels (prio.labels, domain
-- reason, in the session's prio.language).  A single expression (no SET,
-- no subquery), so the planner inlines it; as_of is checked first
-- (prio._check_time()), whatever parts the line has.
CREATE FUNCTION @extschema@.reactivation_reason(stage @extschema@.stage, last_inbound_at timestamptz,
                                                frequency bigint, monetary numeric,
                                                clv double precision, next_due_at timestamptz,
                                                as_of timestamptz DEFAULT pg_catalog.now())
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN @extschema@._check_time(as_of, 'as_of') THEN pg_catalog.concat_ws(@extschema@.label('reason', 'separator'),
    @extschema@.label('stage', stage::text),
    CASE WHEN last_inbound_at IS NULL THEN @extschema@.label('reason', 'no_inbound')
         WHEN pg_catalog.floor(pg_catalog.date_part('epoch', as_of OPERATOR(pg_catalog.-) last_inbound_at)
                               OPERATOR(pg_catalog./) 86400) OPERATOR(pg_catalog.=) 1
         THEN @extschema@.label('reason', 'last_inbound_1')
         ELSE pg_catalog.replace(@extschema@.label('reason', 'last_inbound'), '{n}',
                  GREATEST(pg_catalog.floor(pg_catalog.date_part('epoch', as_of OPERATOR(pg_catalog.-) last_inbound_at)
                                            OPERATOR(pg_catalog./) 86400)::bigint, 0)::text) END,
    -- the sum as a person writes it: 123.45, not the 123.4500000000000000
    -- of amounts mapped as fen / 100.0
    CASE WHEN frequency IS NULL OR frequency OPERATOR(pg_catalog.=) 0 THEN @extschema@.label('reason', 'no_purchases')
         WHEN frequency OPERATOR(pg_catalog.=) 1
         THEN pg_catalog.replace(@extschema@.label('reason', 'bought_1'), '{amount}', pg_catalog.trim_scale(monetary)::text)
         ELSE pg_catalog.replace(pg_catalog.replace(@extschema@.label('reason', 'bought'), '{n}', frequency::text),
                                 '{amount}', pg_catalog.trim_scale(monetary)::text) END,
    CASE WHEN clv IS NOT NULL
         THEN pg_catalog.replace(@extschema@.label('reason', 'clv'), '{clv}', pg_catalog.round(clv::numeric)::text) END,
    CASE WHEN next_due_at IS NULL THEN NULL
         WHEN pg_catalog.floor(pg_catalog.date_part('epoch', as_of OPERATOR(pg_catalog.-) next_due_at)
                               OPERATOR(pg_catalog./) 86400) OPERATOR(pg_catalog.=) 1
         THEN @extschema@.label('reason', 'overdue_1')
         WHEN pg_catalog.floor(pg_catalog.date_part('epoch', as_of OPERATOR(pg_catalog.-) next_due_at)
                               OPERATOR(pg_catalog./) 86400) OPERATOR(pg_catalog.>) 1
         THEN pg_catalog.replace(@extschema@.label('reason', 'overdue'), '{n}',
                  pg_catalog.floor(pg_catalog.date_part('epoch', as_of OPERATOR(pg_catalog.-) next_due_at)
                                   OPERATOR(pg_catalog./) 86400)::bigint::text)
         WHEN next_due_at OPERATOR(pg_catalog.<=) as_of THEN @extschema@.label('reason', 'due_today')
         ELSE pg_catalog.replace(@extschema@.label('reason', 'due'), '{date}',
                  pg_catalog.to_char(next_due_at, 'YYYY-MM-DD')) END) END;
COMMENT ON FUNCTION @extschema@.reactivation_reason(@extschema@.stage, timestamp with time zone, bigint, numeric, double precision, timestamp with time zone, timestamp with time zone) IS
'The reason line of prio.reactivation at as_of (default now(); NULL: 22004, +-infinity: 22023), in the session''s prio.language: the stage, the days since the last reply (or never replied), the purchases and their sum (or no purchases), the CLV when fitted, and how overdue; each part a prio.labels row of domain reason (a template), the separator too.';

-- The same reading of customer_state as prio.followup's: live as the
-- tiers are (the insert trigger and prio.refresh() keep effective_stage
-- and next_due_at), no job of its own.  The ranking is the inner query, on
-- the narrow columns; CLV and the reason line are computed outside it, so
-- a query with LIMIT computes them for the rows it returns only.  WHERE
-- owner = ... reaches the index on owner.
CREATE VIEW @extschema@.reactivation WITH (security_invoker = true) AS
SELECT r.rank,
       r.customer_id,
       (SELECT c.name FROM @extschema@.customers c
         WHERE c.customer_id OPERATOR(pg_catalog.=) r.customer_id) AS name,
       r.owner,
       r.stage,
       r.tier,
       r.frequency,
       r.monetary,
       x.clv,
       r.last_inbound_at,
       r.last_contact_at,
       r.next_due_at,
       @extschema@.reactivation_reason(r.stage, r.last_inbound_at, r.frequency, r.monetary, x.clv,
                                       r.next_due_at, pg_catalog.now()) AS reason,
       COALESCE((SELECT c.customer_key FROM @extschema@.customers c
                  WHERE c.customer_id OPERATOR(pg_catalog.=) r.customer_id),
                r.customer_id::text) AS customer_key
  FROM (
    SELECT pg_catalog.row_number() OVER (PARTITION BY s.owner
                                         ORDER BY s.monetary DESC, s.last_inbound_at DESC NULLS LAST,
                                                  s.customer_id) AS rank,
           s.customer_id, s.owner, s.effective_stage AS stage, s.tier, s.frequency, s.monetary,
           s.last_inbound_at, s.last_outbound_at AS last_contact_at, s.next_due_at
      FROM @extschema@.customer_state s
     WHERE s.effective_stage OPERATOR(pg_catalog.=) ANY ('{silent,lost}'::@extschema@.stage[])
       AND s.next_due_at OPERATOR(pg_catalog.<=) pg_catalog.now()
     ORDER BY s.monetary DESC, s.last_inbound_at DESC NULLS LAST, s.customer_id
  ) r
 CROSS JOIN LATERAL (
    SELECT @extschema@.clv((SELECT cm.bgnbd FROM @extschema@.clv_models cm ORDER BY cm.fitted_at DESC LIMIT 1),
                           (SELECT cm.gammagamma FROM @extschema@.clv_models cm ORDER BY cm.fitted_at DESC LIMIT 1),
                           st,
                           (SELECT cfg.clv_horizon FROM @extschema@.settings cfg),
                           (SELECT cfg.clv_discount_rate FROM @extschema@.settings cfg)) AS clv
      FROM @extschema@.customer_state st
     WHERE st.customer_id OPERATOR(pg_catalog.=) r.customer_id
 ) x
 ORDER BY r.monetary DESC, r.last_inbound_at DESC NULLS LAST, r.customer_id;
COMMENT ON VIEW @extschema@.reactivation IS
'Whom to wake up now: silent and lost customers whose re-activation is due (last outbound touch + settings.silent_cadence or lost_cadence), the most valuable first (the sum of their purchases), then the most recently quiet, with their owner, their CLV where a model is fitted and a reason line.  Filter with WHERE owner = ...';
COMMENT ON COLUMN @extschema@.reactivation.rank IS 'Position in the owner''s re-activation list (rank 1 = first).';
COMMENT ON COLUMN @extschema@.reactivation.customer_id IS 'The customer.';
COMMENT ON COLUMN @extschema@.reactivation.name IS 'Customer name.';
COMMENT ON COLUMN @extschema@.reactivation.owner IS 'Rep who owns the customer.';
COMMENT ON COLUMN @extschema@.reactivation.stage IS 'Effective stage: silent or lost.';
COMMENT ON COLUMN @extschema@.reactivation.tier IS 'Tier (a lost customer is always D).';
COMMENT ON COLUMN @extschema@.reactivation.frequency IS 'Number of purchases.';
COMMENT ON COLUMN @extschema@.reactivation.monetary IS 'Sum of purchase amounts: the past value, the first sort key.';
COMMENT ON COLUMN @extschema@.reactivation.clv IS 'Expected value of the customer''s purchases over settings.clv_horizon months (latest prio.clv_models fit); NULL without purchases or a fit.';
COMMENT ON COLUMN @extschema@.reactivation.last_inbound_at IS 'Last inbound activity: when the customer last acted (for a lost customer, a kind that does not revive does not count); the second sort key, most recent first.';
COMMENT ON COLUMN @extschema@.reactivation.last_contact_at IS 'Last outbound touch by the team: the re-activation cadence counts from it.';
COMMENT ON COLUMN @extschema@.reactivation.next_due_at IS 'When the re-activation was due (last outbound touch + silent_cadence or lost_cadence); at or before now.';
COMMENT ON COLUMN @extschema@.reactivation.reason IS 'One readable line in the session''s prio.language (prio.reactivation_reason): stage, days since the last reply, purchases and CLV, how overdue.';
COMMENT ON COLUMN @extschema@.reactivation.customer_key IS 'The customer''s key as text: its key in the tracked table, else customer_id.';
