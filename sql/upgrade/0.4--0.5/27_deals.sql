-- 0.5 (deals): what 0.4's objects gain -- the settings' funnel weight, the
-- deal facts in customer_state (empty: no deals yet), the evaluation's funnel
-- points and value signals, and prio.evaluate() on its 0.5 C symbols.

ALTER TABLE @extschema@.settings
    ADD COLUMN weight_funnel double precision NOT NULL DEFAULT 150 CHECK (weight_funnel >= 0 AND weight_funnel < 1e6);
COMMENT ON COLUMN @extschema@.settings.weight_funnel IS 'Priority points added for an open deal: weight_funnel x the funnel points of its most advanced open deal''s stage (prio.deal_stages: the k-th of n open stages by position scores k/n), on top of the 0-100 of the other five weights.  The default, 150, lets a closing deal over the value threshold outrank every repeat buyer with no open deal, and keeps deal stages in funnel order within a tier.';

-- (stored_facts() is dropped before these columns in 24_types.sql and
-- created again after them in 29_stored_facts.sql)
ALTER TABLE @extschema@.customer_state
    ADD COLUMN open_deals     integer NOT NULL DEFAULT 0,
    ADD COLUMN funnel_stage   text,
    ADD COLUMN pipeline       numeric NOT NULL DEFAULT 0,
    ADD COLUMN last_deal_at   timestamptz,
    ADD COLUMN deal_closed_at timestamptz,
    ADD COLUMN deal_outcome   text CHECK (deal_outcome IN ('won', 'lost')),
    ADD COLUMN quote_amount   numeric,
    ADD COLUMN quote_at       timestamptz,
    ADD COLUMN stage_at       timestamptz;
COMMENT ON COLUMN @extschema@.customer_state.open_deals IS 'Open deals (prio.deals whose stage has no outcome).';
COMMENT ON COLUMN @extschema@.customer_state.funnel_stage IS 'The deal stage of the most advanced open deal (highest prio.deal_stages.position); NULL without an open deal.';
COMMENT ON COLUMN @extschema@.customer_state.pipeline IS 'Sum of the open deals'' amounts (exact; 0 without).';
COMMENT ON COLUMN @extschema@.customer_state.last_deal_at IS 'The latest created_at or closed_at of the customer''s deals: a deal counts as the customer acting for the quiet clock (silent_after, dormant_after).';
COMMENT ON COLUMN @extschema@.customer_state.deal_closed_at IS 'When the last closed deal closed (its closed_at, else created_at).';
COMMENT ON COLUMN @extschema@.customer_state.deal_outcome IS 'That deal''s outcome: won or lost (NULL: no closed deal).';
COMMENT ON COLUMN @extschema@.customer_state.quote_amount IS 'The implicit deal (folded from the activities): the amount of the latest quote or proposal activity with an amount above 0, unless a purchase, or a kind whose stage is won or lost, came after it (NULL: none).  While the customer has no deals at all it stands for an open deal at stage quote.';
COMMENT ON COLUMN @extschema@.customer_state.quote_at IS 'When that quote or proposal was (NULL: no implicit deal).';
COMMENT ON COLUMN @extschema@.customer_state.stage_at IS 'When the activities last decided the stage won or lost (folded): the time of the latest activity whose kind''s stage is won or lost, or of a purchase, that left the stage so (NULL: none).  With a closed deal, the stage won or lost counts only when this is after the deal closed: the base stage and prio.win_outcome() both read it.';

COMMENT ON COLUMN @extschema@.activities.amount IS 'Purchase amount; of a quote or proposal (0.5), the amount offered: with no deals, it stands for an open deal; 0 for anything else; 0 <= amount < 1e15.';

ALTER TYPE @extschema@.evaluation
    ADD ATTRIBUTE p_funnel double precision,
    ADD ATTRIBUTE value_signals text[];
COMMENT ON TYPE @extschema@.evaluation IS
'Everything prio.evaluate() derives for one customer at one time, with the priority points (each 0..1: tier, rfm, bant, intent, stage; 0.5: funnel) and (0.5) the value signals that fired (prio.value_signals).';

-- prio.evaluate() returns the wider evaluation: its 0.5 symbols
SELECT pg_catalog.set_config('prio.upgrade_acl_evaluate7', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz)'::pg_catalog.regprocedure;
SELECT pg_catalog.set_config('prio.upgrade_acl_evaluate9', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz, @extschema@.bgnbd, @extschema@.gammagamma)'::pg_catalog.regprocedure;
DROP FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz);
DROP FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz, @extschema@.bgnbd, @extschema@.gammagamma);

CREATE FUNCTION @extschema@.evaluate(facts @extschema@.facts, customer @extschema@.customers,
                                     cfg @extschema@.settings, r_breaks double precision[],
                                     f_breaks double precision[], m_breaks double precision[],
                                     as_of timestamptz)
RETURNS @extschema@.evaluation
AS 'MODULE_PATHNAME', 'prio_evaluate_0_5'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz) IS
'The tier rules: RFM scores, effective stage, value, intent, tier, priority, next due date and the rule that fired, as of as_of.  The due date follows the playbooks in force (prio.playbooks, read from its table: hence STABLE).';

CREATE FUNCTION @extschema@.evaluate(facts @extschema@.facts, customer @extschema@.customers,
                                     cfg @extschema@.settings, r_breaks double precision[],
                                     f_breaks double precision[], m_breaks double precision[],
                                     as_of timestamptz, bgnbd @extschema@.bgnbd,
                                     gammagamma @extschema@.gammagamma)
RETURNS @extschema@.evaluation
AS 'MODULE_PATHNAME', 'prio_evaluate_models_0_5'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz, @extschema@.bgnbd, @extschema@.gammagamma) IS
'prio.evaluate with the CLV models (prio.rule_config''s bgnbd and gammagamma): value is also high when settings.value_min_clv is set and the customer''s CLV reaches it.';

SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_evaluate7'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz, @extschema@.bgnbd, @extschema@.gammagamma)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_evaluate9'), '')::pg_catalog.aclitem[]);

-- prio.track() takes role deals
ALTER TABLE @extschema@.sources DROP CONSTRAINT sources_role_check,
    ADD CONSTRAINT sources_role_check CHECK (role IN ('customers', 'activities', 'deals'));
COMMENT ON COLUMN @extschema@.sources.role IS 'What its rows are: customers, activities or (0.5) deals.';
COMMENT ON COLUMN @extschema@.tracked.role IS 'What its rows are: customers, activities or (0.5) deals.';
