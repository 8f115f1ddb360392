------------------------------------------------------------------------
-- prio.followup: the ranked follow-up list, for applications and BI tools
-- (security_invoker: row-level security on the base tables holds through it)
------------------------------------------------------------------------

-- prio.track() creates a typed view over this one per tracked customers
-- table (prio.followup_<table>, prio._track_view): an update of prio that
-- drops prio.followup drops those first and creates them again after, with
-- prio._track_view(source_id) for each source whose compiled SQL names one.
--
-- The rank in the owner's list, read as far as the rows asked for need
-- (src/sql/_followup_rank.c): no window over every row.  COST: a planner
-- that sorts computes it after the sort, for the rows a LIMIT returns only.
CREATE FUNCTION @extschema@._followup_rank(owner text, customer_id bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'prio_followup_rank'
LANGUAGE C STABLE PARALLEL RESTRICTED COST 100
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@._followup_rank(text, bigint) IS
'Internal (prio.followup.rank): the customer''s position in its owner''s follow-up list (priority DESC, next_due_at, customer_id; customers without an owner form one list) among the customer_state rows the caller sees; NULL when the caller does not see it there.  Reads each owner''s list only as far as the customers asked for in one query need.';

-- The ranking is the inner query, over customer_state alone; everything
-- else is computed outside it, so a query with LIMIT computes it only for
-- the rows it returns.  Both orders are indexes: WHERE owner = ... reads
-- customer_state_owner_idx (owner, priority DESC, next_due_at, customer_id)
-- in order, the team-wide list customer_state_priority_idx; a LIMIT 50
-- reads 50 rows either way.
CREATE VIEW @extschema@.followup WITH (security_invoker = true) AS
SELECT r.rank,
       r.customer_id,
       (SELECT c.name FROM @extschema@.customers c
         WHERE c.customer_id OPERATOR(pg_catalog.=) r.customer_id) AS name,
       r.owner,
       st.tier,
       r.priority,
       st.effective_stage AS stage,
       st.r_score AS r,
       st.f_score AS f,
       st.m_score AS m,
       x.segment AS rfm_segment,
       st.bant,
       @extschema@.decayed(st.intent, st.intent_at,
                           (SELECT cfg.intent_half_life FROM @extschema@.settings cfg), pg_catalog.now()) AS intent,
       st.last_at AS last_activity_at,
       st.last_outbound_at AS last_contact_at,
       r.next_due_at,
       x.overdue_days,
       -- the reason line, in the session's prio.language (prio.reason(), 0.5)
       @extschema@.reason(st) AS reason,
       @extschema@.p_alive((SELECT cm.bgnbd FROM @extschema@.clv_models cm
                             ORDER BY cm.fitted_at DESC LIMIT 1), st) AS p_alive,
       @extschema@.clv((SELECT cm.bgnbd FROM @extschema@.clv_models cm ORDER BY cm.fitted_at DESC LIMIT 1),
                       (SELECT cm.gammagamma FROM @extschema@.clv_models cm ORDER BY cm.fitted_at DESC LIMIT 1),
                       st,
                       (SELECT cfg.clv_horizon FROM @extschema@.settings cfg),
                       (SELECT cfg.clv_discount_rate FROM @extschema@.settings cfg)) AS clv,
       w.p AS win_probability,
       -- added in 0.4 (hence last): the customer's key where it comes from
       (SELECT c.source FROM @extschema@.customers c
         WHERE c.customer_id OPERATOR(pg_catalog.=) r.customer_id) AS source,
       COALESCE((SELECT c.customer_key FROM @extschema@.customers c
                  WHERE c.customer_id OPERATOR(pg_catalog.=) r.customer_id),
                r.customer_id::text) AS customer_key,
       st.next_planned_at AS planned_at,
       -- added in 0.5 (hence last): labels in the session's prio.language
       @extschema@.label('stage', st.effective_stage::text) AS stage_label,
       @extschema@.label('tier', st.tier) AS tier_label,
       st.types,
       -- added in 0.5: what to do next -- the playbook's first channel and its
       -- action, in the session's prio.language (the reason template
       -- next_action; an action rewritten in prio.playbooks, no longer the
       -- English label's, as written) -- and the playbook that set next_due_at
       -- (filled in one pass, by format(): a channel's label with {action} in
       -- its text keeps it; NULL when either part is, as before)
       (SELECT CASE WHEN v.channel IS NOT NULL AND v.action IS NOT NULL
                    THEN pg_catalog.format(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
                             @extschema@.label('reason', 'next_action'), '%', '%%'),
                             '{channel}', '%1$s'), '{action}', '%2$s'), v.channel, v.action) END
          FROM @extschema@.playbooks p
          LEFT JOIN @extschema@.labels l
            ON l.domain OPERATOR(pg_catalog.=) 'playbook' AND l.code OPERATOR(pg_catalog.=) p.playbook
           AND l.lang OPERATOR(pg_catalog.=) 'en'
         CROSS JOIN LATERAL (SELECT @extschema@.label('channel', p.channels[1]) AS channel,
                                    CASE WHEN p.action OPERATOR(pg_catalog.=) l.label
                                         THEN @extschema@.label('playbook', p.playbook) ELSE p.action END AS action) v
         WHERE p.playbook OPERATOR(pg_catalog.=) st.playbook) AS next_action,
       st.playbook,
       -- added in 0.5 (hence last): the deal facts (prio.deals), or the
       -- implicit deal's (x.implicit_deal)
       CASE WHEN x.implicit_deal THEN 'quote' ELSE st.funnel_stage END AS funnel_stage,
       CASE WHEN x.implicit_deal THEN st.quote_amount ELSE st.pipeline END AS pipeline,
       CASE WHEN st.open_deals OPERATOR(pg_catalog.>) 0 OR x.implicit_deal
            THEN CASE WHEN x.implicit_deal THEN st.quote_amount ELSE st.pipeline END
                 OPERATOR(pg_catalog.*) w.p::numeric
       END AS weighted_pipeline,
       CASE WHEN x.implicit_deal THEN 1 ELSE st.open_deals END AS open_deals
  -- a plain subquery (no window, no ORDER BY: pulled up), so the view's
  -- ORDER BY reads an index and the rest of the row, the rank included, is
  -- computed for the rows returned only (a LIMIT reads 50 rows, not 100,000)
  FROM (
    SELECT @extschema@._followup_rank(s.owner, s.customer_id) AS rank,
           s.customer_id, s.owner, s.priority, s.next_due_at
      FROM @extschema@.customer_state s
  ) r
  JOIN @extschema@.customer_state st ON st.customer_id OPERATOR(pg_catalog.=) r.customer_id
 CROSS JOIN LATERAL (
    SELECT CASE WHEN st.frequency OPERATOR(pg_catalog.>) 0 AND st.r_score IS NOT NULL
                     AND st.f_score IS NOT NULL AND st.m_score IS NOT NULL
                THEN @extschema@.rfm_segment(st.r_score, st.f_score, st.m_score) END AS segment,
           GREATEST(pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) r.next_due_at)
                                     OPERATOR(pg_catalog./) 86400)::integer, 0) AS overdue_days,
           -- no deals at all: a quote or proposal with an amount is an open deal
           st.open_deals OPERATOR(pg_catalog.=) 0 AND st.last_deal_at IS NULL AND st.quote_at IS NOT NULL
           AS implicit_deal
 ) x
 -- the win probability, once a row (OFFSET 0: not pulled up, which would
 -- compute it again in each column that uses it), for whom it is shown
 CROSS JOIN LATERAL (
    -- (a deal in flight, or nothing decided: the rule of the win outcomes)
    SELECT CASE WHEN @extschema@.win_outcome(st) IS NULL
                THEN @extschema@.win_probability(@extschema@.win_features(st), (SELECT @extschema@.win_model()))
           END AS p
    OFFSET 0
 ) w
 ORDER BY r.priority DESC, r.next_due_at, r.customer_id;
COMMENT ON VIEW @extschema@.followup IS
'Whom each rep should contact next, when and why: one row per customer, highest priority first, with its rank in its owner''s list (rank 1 = first).  Filter with WHERE owner = ...';
COMMENT ON COLUMN @extschema@.followup.rank IS 'Position in the owner''s follow-up list (by priority, then due date).';
COMMENT ON COLUMN @extschema@.followup.customer_id IS 'The customer.';
COMMENT ON COLUMN @extschema@.followup.name IS 'Customer name.';
COMMENT ON COLUMN @extschema@.followup.owner IS 'Rep who owns the customer.';
COMMENT ON COLUMN @extschema@.followup.tier IS 'A (high value and intent), B (value), C (intent), D (neither).';
COMMENT ON COLUMN @extschema@.followup.priority IS 'Priority, higher first: 0-100, plus up to settings.weight_funnel for an open deal (customer_state.priority).';
COMMENT ON COLUMN @extschema@.followup.stage IS 'Effective lifecycle stage.';
COMMENT ON COLUMN @extschema@.followup.r IS 'Recency score 1-5.';
COMMENT ON COLUMN @extschema@.followup.f IS 'Frequency score 1-5.';
COMMENT ON COLUMN @extschema@.followup.m IS 'Monetary score 1-5.';
COMMENT ON COLUMN @extschema@.followup.rfm_segment IS 'Named RFM segment (prio.rfm_segments); NULL without purchases or before RFM breaks exist.';
COMMENT ON COLUMN @extschema@.followup.bant IS 'BANT answers that are TRUE (0-4).';
COMMENT ON COLUMN @extschema@.followup.intent IS 'Buying intent decayed to now.';
COMMENT ON COLUMN @extschema@.followup.last_activity_at IS 'Last activity of any kind.';
COMMENT ON COLUMN @extschema@.followup.last_contact_at IS 'Last outbound touch by the team.';
COMMENT ON COLUMN @extschema@.followup.next_due_at IS 'When the next follow-up is due (last touch + the cadence of the customer''s playbook; silent and lost customers: + their re-activation cadence).';
COMMENT ON COLUMN @extschema@.followup.overdue_days IS 'Whole days past next_due_at (0 when not overdue).';
COMMENT ON COLUMN @extschema@.followup.reason IS 'One readable line: tier, BANT, RFM segment and scores, stage, due; in the session''s prio.language (prio.reason()).';
COMMENT ON COLUMN @extschema@.followup.p_alive IS 'Probability the customer is still buying (BG/NBD of the latest prio.clv_models fit); NULL without purchases or a fit.';
COMMENT ON COLUMN @extschema@.followup.win_probability IS 'Probability the open deal is won (prio.win_probability): for a customer with an open deal (or the implicit deal), or whose business is not decided; NULL once won or lost with nothing open.';
COMMENT ON COLUMN @extschema@.followup.source IS 'The tracked table the customer comes from (prio.track()); NULL for a customer of prio.customers itself.';
COMMENT ON COLUMN @extschema@.followup.customer_key IS 'The customer''s key as text: its key in the tracked table (source), else customer_id.  prio.followup_<table> has it in the key''s own type.';
COMMENT ON COLUMN @extschema@.followup.planned_at IS 'The next planned touch: the earliest activity dated after the customer was last scored (NULL: none); prio.refresh() scores it once due.';
COMMENT ON COLUMN @extschema@.followup.types IS 'The key-customer types the customer holds (prio.customer_types; prio.type_facts() says why).';
COMMENT ON COLUMN @extschema@.followup.clv IS 'Expected value of the customer''s purchases over settings.clv_horizon months (BG/NBD x Gamma-Gamma, discounted); NULL without purchases or a fit.';
COMMENT ON COLUMN @extschema@.followup.stage_label IS 'The stage''s label in the session''s prio.language (prio.label(''stage'', stage)).';
COMMENT ON COLUMN @extschema@.followup.tier_label IS 'What the tier means, in the session''s prio.language (prio.label(''tier'', tier)): A high value high intent ... D low value low intent.';
COMMENT ON COLUMN @extschema@.followup.next_action IS 'What to do next: the first channel of the customer''s playbook and its typical action (prio.playbooks), e.g. ''phone: tailored proposal and offers'', in the session''s prio.language (labels channel and playbook, template reason next_action; an action you rewrote is shown as written).';
COMMENT ON COLUMN @extschema@.followup.playbook IS 'The playbook that sets next_due_at: the tier''s (A-D) or a key-customer type''s, whichever applies with the shortest cadence (prio.playbooks).';
COMMENT ON COLUMN @extschema@.followup.funnel_stage IS 'The deal stage of the customer''s most advanced open deal (prio.deals); quote for the implicit deal of a customer with no deals at all (a quote or proposal activity with an amount); NULL without an open deal.';
COMMENT ON COLUMN @extschema@.followup.pipeline IS 'Sum of the amounts of the customer''s open deals, or the implicit deal''s amount (0 without).';
COMMENT ON COLUMN @extschema@.followup.weighted_pipeline IS 'pipeline x the customer''s win probability (prio.win_probability of its features under the current model); NULL without an open deal.';
COMMENT ON COLUMN @extschema@.followup.open_deals IS 'How many open deals the customer has (the implicit deal counts as one).';
