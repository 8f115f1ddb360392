-- pgTAP: owner isolation and the win-probability model (issue 17, defect 4).
-- prio 0.3's win_model() was SECURITY DEFINER over every outcome: with
-- isolation on, a rep who diffed it before and after another rep closed a
-- deal read that deal's whole feature vector, and every rep's won/lost
-- totals (the owner variable).  Under isolation a rep's model is built from
-- the outcomes of the customers the rep can see, and nothing else; managers
-- and everyone with isolation off get the model of every outcome.
BEGIN;
SELECT plan(15);
-- Autovacuum's in-place update of a table's pg_class row waits for a transaction that
-- changed the row (PostgreSQL 15.20 does); the grants below change those rows, and an
-- ALTER TABLE of enable_owner_isolation() that then waited for that autovacuum's lock
-- deadlocked (40P01, now and then).  The tables it alters, locked first: autovacuum yields.
LOCK TABLE prio.customers, prio.activities, prio.customer_state, prio.tier_history,
    prio.win_outcomes IN ACCESS EXCLUSIVE MODE;

CREATE ROLE prio_wi_ann; CREATE ROLE prio_wi_bob; CREATE ROLE prio_wi_mgr;
SELECT prio.grant_reader('prio_wi_ann'); SELECT prio.grant_writer('prio_wi_bob');
SELECT prio.grant_manager('prio_wi_mgr');

INSERT INTO prio.customers (customer_id, name, owner, budget, authority) VALUES
    (72001, 'Ann won', 'prio_wi_ann', true, NULL),
    (72002, 'Ann lost', 'prio_wi_ann', false, NULL),
    (72003, 'Ann open', 'prio_wi_ann', true, true),
    (72004, 'Bob won', 'prio_wi_bob', NULL, true),
    (72005, 'Bob lost', 'prio_wi_bob', NULL, false),
    (72006, 'Bob open, closes during the test', 'prio_wi_bob', true, false);
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (72001, 'inquiry', now() - interval '9 days'), (72001, 'contract', now() - interval '8 days'),
    (72002, 'meeting', now() - interval '9 days'), (72002, 'rejected', now() - interval '8 days'),
    (72003, 'inquiry', now() - interval '3 days'),
    (72004, 'demo_request', now() - interval '9 days'), (72004, 'contract', now() - interval '8 days'),
    (72005, 'quote', now() - interval '9 days'), (72005, 'rejected', now() - interval '8 days'),
    (72006, 'demo_request', now() - interval '5 days'), (72006, 'trial_use', now() - interval '4 days');

SELECT prio.enable_owner_isolation();
CREATE TEMP TABLE seen (who text, phase text, model jsonb);
GRANT ALL ON seen TO PUBLIC;

SET ROLE prio_wi_ann;
INSERT INTO seen SELECT 'ann', 'before', prio.win_model();
INSERT INTO seen SELECT 'ann', 'explain before', prio.explain(72003)->'win';
RESET ROLE;
SET ROLE prio_wi_mgr;
INSERT INTO seen SELECT 'mgr', 'before', prio.win_model();
RESET ROLE;

-- bob closes a deal on a customer ann cannot see
SET ROLE prio_wi_bob;
INSERT INTO prio.activities (customer_id, kind) VALUES (72006, 'contract');
RESET ROLE;
SELECT is((SELECT won FROM prio.win_outcomes WHERE customer_id = 72006), true, 'bob''s deal closed (won)');

SET ROLE prio_wi_ann;
SELECT is(prio.win_model(), (SELECT model FROM seen WHERE who = 'ann' AND phase = 'before'),
          'ann: another rep closing a deal changes nothing in the model she reads');
SELECT is(prio.explain(72003)->'win', (SELECT model FROM seen WHERE who = 'ann' AND phase = 'explain before'),
          'ann: nor anything in explain()''s win factors of her own customer');
SELECT is(prio.win_model()->'total', '[1, 1]'::jsonb,
          'ann: the totals are her own outcomes (one won, one lost), not every rep''s');
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(prio.win_model()->'counts'->'owner') k),
          ARRAY['prio_wi_ann'], 'ann: no other owner''s won/lost counts');
SELECT is((SELECT count(*) FROM prio.win_counts_shared), 0::bigint,
          'ann: the summed counts of everyone give her no row');
SELECT throws_ok($$SELECT * FROM prio.win_counts$$, '42501', NULL, 'ann: nor the raw delta rows');
SELECT ok((prio.explain(72003)->'win'->>'probability')::float8 BETWEEN 0 AND 1,
          'ann: explain() gives her own open customer a win probability');
SELECT ok(prio.win_probability(72003::bigint) BETWEEN 0 AND 1, 'ann: win_probability() of her own customer');
SELECT ok((SELECT win_probability FROM prio.followup WHERE customer_id = 72003) BETWEEN 0 AND 1,
          'ann: the follow-up list has it');
RESET ROLE;

SET ROLE prio_wi_mgr;
SELECT is(prio.win_model()->'total',
          (SELECT jsonb_build_array((model->'total'->>0)::bigint + 1, (model->'total'->>1)::bigint)
             FROM seen WHERE who = 'mgr' AND phase = 'before'),
          'manager: the model counts every outcome, bob''s new one too');
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(prio.win_model()->'counts'->'owner') k),
          ARRAY['prio_wi_ann', 'prio_wi_bob'], 'manager: every owner''s counts');
RESET ROLE;

-- ann's own deal closing is what her model learns from
INSERT INTO prio.activities (customer_id, kind) VALUES (72003, 'contract');
SET ROLE prio_wi_ann;
SELECT is(prio.win_model()->'total', '[2, 1]'::jsonb, 'ann: her own deal closing changes her model');
RESET ROLE;
SET ROLE prio_wi_mgr;
INSERT INTO seen SELECT 'mgr', 'after', prio.win_model();
RESET ROLE;

SELECT prio.disable_owner_isolation();
SET ROLE prio_wi_ann;
SELECT is(prio.win_model(), (SELECT model FROM seen WHERE who = 'mgr' AND phase = 'after'),
          'isolation off: ann reads the model of every outcome, as a manager does');
SELECT is((SELECT count(*) FROM prio.win_counts_shared WHERE variable = '*'), 1::bigint,
          'isolation off: through the summed counts');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
