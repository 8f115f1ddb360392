-- prio.deals (0.5): deals in flight, the deal stages, the value signals and the
-- funnel term of the priority.  Inside one transaction: now() is constant and
-- the database is left as found.
BEGIN;
SET LOCAL timezone = 'UTC';
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;

SELECT stage, position, lifecycle, outcome, builtin FROM prio.deal_stages ORDER BY position;
SELECT signal, enabled, threshold, builtin FROM prio.value_signals ORDER BY signal;
SELECT weight_funnel FROM prio.settings;

INSERT INTO prio.customers (customer_id, name, owner, created_at) VALUES
    (31, 'Initech', 'dave', now() - interval '100 days'),
    (32, 'Globex', 'dave', now() - interval '100 days');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (31, 'inquiry', now() - interval '2 days');

-- A deal: the customer's funnel stage, pipeline and stage follow it, in the same statement.
INSERT INTO prio.deals (customer_id, owner, stage, amount, expected_close, created_at)
VALUES (31, 'dave', 'needs_clear', 4000, current_date + 30, now() - interval '1 day');
SELECT customer_id, open_deals, funnel_stage, pipeline, effective_stage, tier, priority, rule
  FROM prio.customer_state WHERE customer_id = 31;
-- a second, bigger deal in negotiation: the most advanced open deal's stage, the sum of amounts
INSERT INTO prio.deals (customer_id, stage, amount) VALUES (31, 'negotiation', 9000);
SELECT customer_id, open_deals, funnel_stage, pipeline, effective_stage, tier, priority, rule
  FROM prio.customer_state WHERE customer_id = 31;
SELECT old_tier, new_tier, old_stage, new_stage, reason FROM prio.tier_history
 WHERE customer_id = 31 ORDER BY history_id;
SELECT rank, customer_id, tier, priority, stage, funnel_stage, pipeline, open_deals,
       weighted_pipeline > 0 AS weighted
  FROM prio.followup WHERE owner = 'dave';
SELECT (e -> 'deals') - 'last_deal_at' AS deals, (e -> 'deals' ->> 'last_deal_at')::timestamptz = now() AS last_deal_now,
       e -> 'value_signals_fired' AS fired, e -> 'priority_points' -> 'funnel' AS funnel_points,
       e -> 'priority_weights' AS weights
  FROM prio.explain(31) e;

-- Won closes that deal only; the customer keeps its other open deal.
UPDATE prio.deals SET stage = 'won', closed_at = now() WHERE customer_id = 31 AND stage = 'needs_clear';
SELECT customer_id, open_deals, funnel_stage, pipeline, deal_outcome, effective_stage, tier
  FROM prio.customer_state WHERE customer_id = 31;
-- the last open deal lost: no open deal, the last closed deal lost
UPDATE prio.deals SET stage = 'lost', closed_at = now() WHERE customer_id = 31 AND stage = 'negotiation';
SELECT customer_id, open_deals, funnel_stage, pipeline, deal_outcome, effective_stage, tier
  FROM prio.customer_state WHERE customer_id = 31;
-- a deal moved to another customer re-tiers both
INSERT INTO prio.deals (customer_id, stage, amount) VALUES (31, 'quote', 20000);
UPDATE prio.deals SET customer_id = 32 WHERE customer_id = 31 AND stage = 'quote';
SELECT customer_id, open_deals, funnel_stage, pipeline, effective_stage, tier
  FROM prio.customer_state WHERE customer_id IN (31, 32) ORDER BY 1;
-- COPY fires the same trigger
COPY prio.deals (customer_id, stage, amount) FROM stdin;
31	first_contact	500
\.
SELECT customer_id, open_deals, funnel_stage, pipeline FROM prio.customer_state WHERE customer_id = 31;
-- a renamed stage follows into the deals and the deal facts
UPDATE prio.deal_stages SET stage = 'first_call' WHERE stage = 'first_contact';
SELECT customer_id, funnel_stage FROM prio.customer_state WHERE customer_id = 31;
UPDATE prio.deal_stages SET stage = 'first_contact' WHERE stage = 'first_call';
-- quote, the stage implicit deals stand at, stays (bad input below); its
-- position and lifecycle are yours
UPDATE prio.deal_stages SET position = 35, lifecycle = 'closing' WHERE stage = 'quote';
SELECT stage, position, lifecycle, builtin FROM prio.deal_stages WHERE stage = 'quote';
UPDATE prio.deal_stages SET position = 30, lifecycle = 'engaged' WHERE stage = 'quote';
SELECT prio.recompute() AS rows_recompute_had_to_fix;

-- prio.evaluate(facts, ...) of 0.4's callers: no deal facts in prio.facts, the 0.4 signals
SELECT (e).tier, (e).p_funnel, (e).value_signals
  FROM (SELECT prio.evaluate(prio.stored_facts(s), c, r.cfg, r.r_breaks, r.f_breaks, r.m_breaks, now()) AS e
          FROM prio.customer_state s JOIN prio.customers c USING (customer_id), prio.rule_config r
         WHERE s.customer_id = 32) x;
-- prio.evaluate(state, customer): as the engine evaluates the stored row
SELECT (e).tier, (e).p_funnel, (e).value_signals, (e).priority = s.priority AS as_stored
  FROM prio.customer_state s JOIN prio.customers c USING (customer_id),
       LATERAL (SELECT prio.evaluate(s, c) AS e) x
 WHERE s.customer_id = 32;

-- An application's opportunities table, tracked: its rows mirrored into prio.deals.
CREATE SCHEMA deal_app;
CREATE TABLE deal_app.accounts (code text PRIMARY KEY, title text, rep text);
CREATE TABLE deal_app.opps (opp_id integer PRIMARY KEY, account text, agent text, phase text,
                            value numeric, opened date);
INSERT INTO deal_app.accounts VALUES ('ACME', 'Acme', 'erin'), ('BOLT', 'Bolt', 'erin');
INSERT INTO deal_app.opps VALUES (1, 'ACME', 'erin', 'negotiation', 25000, current_date - 3),
                                 (2, 'BOLT', 'erin', 'first_contact', 800, current_date - 1),
                                 (3, 'NONE', 'erin', 'quote', 100, current_date);
SELECT prio.track('deal_app.accounts', 'customers', '{"key": "code", "name": "title", "owner": "rep"}');
SELECT prio.track('deal_app.opps', 'deals', '{"key": "opp_id", "customer": "account", "owner": "agent",
                   "stage": "phase", "amount": "value", "created_at": "opened::timestamptz"}');
SELECT c.customer_key, d.deal_key, d.stage, d.amount, d.created_at::date = current_date - 3 AS opened_3_days_ago
  FROM prio.deals d JOIN prio.customers c USING (customer_id)
 WHERE d.source = 'deal_app.opps'::regclass ORDER BY d.deal_key;
SELECT f.customer_key, f.tier, f.stage, f.funnel_stage, f.pipeline, f.open_deals
  FROM prio.followup f WHERE f.source = 'deal_app.accounts'::regclass ORDER BY 1;
-- the application's writes: each one reaches prio in the same statement
UPDATE deal_app.opps SET phase = 'won' WHERE opp_id = 1;
DELETE FROM deal_app.opps WHERE opp_id = 2;
SELECT f.customer_key, f.tier, f.stage, f.funnel_stage, f.pipeline, f.open_deals
  FROM prio.followup f WHERE f.source = 'deal_app.accounts'::regclass ORDER BY 1;
-- never fails because of prio: a stage prio does not know is a WARNING and last_error
INSERT INTO deal_app.opps VALUES (4, 'BOLT', 'erin', 'handshake', 100, current_date);
SELECT count(*) AS app_rows FROM deal_app.opps;
SELECT source, role, last_error FROM prio.tracked WHERE source = 'deal_app.opps'::regclass;
SELECT pg_temp.err($$SELECT prio.untrack('deal_app.accounts')$$) AS customers_with_tracked_deals;
SELECT prio.untrack('deal_app.opps');
SELECT count(*) AS mirrored_after_untrack FROM prio.deals WHERE source = 'deal_app.opps'::regclass;

-- Bad input: refused with a specific SQLSTATE, nothing half-done.
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$INSERT INTO prio.deals (customer_id, stage) VALUES (31, 'nonsense')$$),
  ($$INSERT INTO prio.deals (customer_id, stage) VALUES (999999, 'quote')$$),
  ($$INSERT INTO prio.deals (customer_id, stage, amount) VALUES (31, 'quote', -1)$$),
  ($$INSERT INTO prio.deals (customer_id, stage, amount) VALUES (31, 'quote', 1e15)$$),
  ($$INSERT INTO prio.deals (customer_id, stage, amount) VALUES (31, 'quote', NULL)$$),
  ($$INSERT INTO prio.deals (customer_id, stage, created_at) VALUES (31, 'quote', 'infinity')$$),
  ($$INSERT INTO prio.deals (customer_id, stage, closed_at) VALUES (31, 'won', '-infinity')$$),
  ($$INSERT INTO prio.deals (customer_id, stage, created_at) VALUES (31, 'quote', now() + interval '50 years')$$),
  ($$INSERT INTO prio.deals (customer_id, stage, closed_at) VALUES (31, 'won', now() + interval '2 days')$$),
  ($$INSERT INTO prio.deals (customer_id, stage, owner) VALUES (31, 'quote', repeat('x', 201))$$),
  ($$INSERT INTO prio.deals (customer_id, stage, expected_close) VALUES (31, 'quote', 'infinity')$$),
  ($$INSERT INTO prio.deals (customer_id, stage, expected_close) VALUES (31, 'quote', '-infinity')$$),
  ($$INSERT INTO prio.deals (customer_id, stage, created_at, closed_at) VALUES (31, 'won', now(), now() - interval '1 hour')$$),
  ($$UPDATE prio.deals SET closed_at = created_at - interval '1 day' WHERE deal_id = (SELECT min(deal_id) FROM prio.deals WHERE customer_id = 31)$$),
  ($$DELETE FROM prio.deal_stages WHERE stage = 'first_contact'$$),
  ($$DELETE FROM prio.deal_stages WHERE stage = 'quote'$$),
  ($$UPDATE prio.deal_stages SET stage = 'offer' WHERE stage = 'quote'$$),
  ($$UPDATE prio.deal_stages SET lifecycle = NULL, outcome = 'won' WHERE stage = 'quote'$$),
  ($$TRUNCATE prio.deal_stages CASCADE$$),
  ($$INSERT INTO prio.deal_stages (stage, position, lifecycle) VALUES ('', 1, 'engaged')$$),
  ($$INSERT INTO prio.deal_stages (stage, position, lifecycle) VALUES ('pilot', 0, 'engaged')$$),
  ($$INSERT INTO prio.deal_stages (stage, position, lifecycle) VALUES ('pilot', 25, NULL)$$),
  ($$INSERT INTO prio.deal_stages (stage, position, lifecycle) VALUES ('pilot', 25, 'won')$$),
  ($$INSERT INTO prio.deal_stages (stage, position, lifecycle) VALUES ('pilot', 25, 'silent')$$),
  ($$INSERT INTO prio.deal_stages (stage, position, lifecycle, outcome) VALUES ('pilot', 25, 'engaged', 'won')$$),
  ($$INSERT INTO prio.deal_stages (stage, position, outcome) VALUES ('pilot', 25, 'maybe')$$),
  ($$INSERT INTO prio.deal_stages (stage, position, lifecycle) VALUES ('pilot', 25, 'nonsense')$$),
  ($$INSERT INTO prio.value_signals (signal) VALUES ('gut_feeling')$$),
  ($$DELETE FROM prio.value_signals$$),
  ($$TRUNCATE prio.value_signals$$),
  ($$UPDATE prio.value_signals SET enabled = NULL WHERE signal = 'clv'$$),
  ($$UPDATE prio.value_signals SET threshold = 0 WHERE signal = 'monetary_score'$$),
  ($$UPDATE prio.value_signals SET threshold = 6 WHERE signal = 'frequency_score'$$),
  ($$UPDATE prio.value_signals SET threshold = 4.5 WHERE signal = 'monetary_score'$$),
  ($$UPDATE prio.value_signals SET threshold = 0 WHERE signal = 'clv'$$),
  ($$UPDATE prio.value_signals SET threshold = 'NaN' WHERE signal = 'clv'$$),
  ($$UPDATE prio.value_signals SET threshold = NULL WHERE signal = 'pipeline'$$),
  ($$UPDATE prio.value_signals SET threshold = -1 WHERE signal = 'pipeline'$$),
  ($$UPDATE prio.value_signals SET threshold = 'Infinity' WHERE signal = 'pipeline'$$),
  ($$UPDATE prio.value_signals SET threshold = 1 WHERE signal = 'budget_authority'$$),
  ($$UPDATE prio.value_signals SET threshold = 1 WHERE signal = 'key_type'$$),
  ($$UPDATE prio.settings SET weight_funnel = -1$$),
  ($$UPDATE prio.settings SET weight_funnel = 1e6$$),
  ($$UPDATE prio.settings SET weight_funnel = 'NaN'$$),
  ($$UPDATE prio.settings SET weight_funnel = NULL$$),
  ($$SELECT prio.evaluate(NULL::prio.customer_state, c) FROM prio.customers c WHERE customer_id = 31$$),
  ($$SELECT prio.evaluate(s, NULL::prio.customers) FROM prio.customer_state s WHERE customer_id = 31$$),
  ($$SELECT prio.evaluate(s, c, NULL) FROM prio.customer_state s JOIN prio.customers c USING (customer_id) WHERE customer_id = 31$$),
  ($$SELECT prio.evaluate(s, c, 'infinity') FROM prio.customer_state s JOIN prio.customers c USING (customer_id) WHERE customer_id = 31$$),
  ($$SELECT prio.evaluate(s, c, '-infinity') FROM prio.customer_state s JOIN prio.customers c USING (customer_id) WHERE customer_id = 31$$),
  ($$SELECT prio.track('deal_app.opps', 'deals', '{"key": "opp_id", "customer": "account"}')$$),
  ($$SELECT prio.track('deal_app.opps', 'deals', '{"key": "opp_id", "customer": "account", "stage": "phase", "color": "x"}')$$),
  ($$SELECT prio.track('deal_app.opps', 'deals', '{"key": "opp_id", "customer": "account", "stage": "phase", "customers": "deal_app.opps"}')$$),
  ($$SELECT prio.track('deal_app.opps', 'deals', '{"key": "opp_id", "customer": "opened", "stage": "phase"}')$$),
  ($$SELECT prio.track('deal_app.opps', 'deals', '{"key": "opp_id", "customer": "account", "stage": "value"}')$$),
  ($$SELECT prio.track('deal_app.opps', 'deals', '{"key": "opp_id", "customer": "account", "stage": "nosuchcolumn"}')$$),
  ($$SELECT prio.track('deal_app.opps', 'deals', '{"key": "opp_id", "customer": "account", "stage": ""}')$$),
  ($$SELECT prio.track('deal_app.opps', 'deals', '{"key": "opp_id", "customer": "account", "stage": "phase || now()"}')$$),
  ($$SELECT prio.deals_changed()$$),
  ($$SELECT prio.deal_config_changed()$$)
) t(q);
-- nothing changed
SELECT count(*) AS deals FROM prio.deals;
SELECT stage FROM prio.deal_stages ORDER BY position;
SELECT signal, enabled, threshold FROM prio.value_signals ORDER BY signal;
SELECT customer_id, open_deals, funnel_stage, pipeline FROM prio.customer_state WHERE customer_id IN (31, 32) ORDER BY 1;

ROLLBACK;
