-- Live re-tiering: customers and activities written by applications.
-- Inside one transaction: now() is constant and the database is left as found.
BEGIN;
SET LOCAL timezone = 'UTC';  -- whole days, whatever the DST calendar
-- Times are relative to now() so the output does not depend on the day.
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;
UPDATE prio.settings SET r_breaks = '{7,30,90,180}', f_breaks = '{1,2,4,8}', m_breaks = '{100,300,1000,3000}';

INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline) VALUES
    (1, 'Acme', 'alice', true, true, true, NULL),
    (2, 'Globex', 'bob', NULL, NULL, NULL, NULL),
    (3, 'Initech', 'alice', false, NULL, true, NULL);
-- Every new customer has a state row and a first history row.
SELECT customer_id, stage, effective_stage, bant, tier, rule FROM prio.customer_state ORDER BY 1;

-- One statement, many rows, several customers.
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (1, 'inquiry',  now() - interval '10 days', 0),
    (1, 'quote',    now() - interval '1 day', 0),
    (2, 'purchase', now() - interval '40 days', 400),
    (2, 'purchase', now() - interval '20 days', 2500),
    (2, 'reply',    now() - interval '2 days', 0),
    (3, 'email',    now() - interval '5 days', 0);
SELECT customer_id, frequency, monetary, round(intent::numeric, 4) AS intent, stage, effective_stage,
       r_score, f_score, m_score, tier, priority, rule
FROM prio.customer_state ORDER BY 1;

-- A backfill (older than the newest activity) refolds the customer; the state equals a rebuild.
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES (2, 'purchase', now() - interval '60 days', 50);
SELECT customer_id, frequency, monetary, first_at = now() - interval '60 days' AS first_moved FROM prio.customer_state WHERE customer_id = 2;
SELECT prio.recompute() AS rows_recompute_had_to_fix;

-- UPDATE and DELETE of activities (corrections) re-tier the customers they touch.
UPDATE prio.activities SET amount = 25 WHERE customer_id = 2 AND amount = 2500;
SELECT customer_id, frequency, monetary, m_score, tier FROM prio.customer_state WHERE customer_id = 2;
DELETE FROM prio.activities WHERE customer_id = 1 AND kind = 'quote';
SELECT customer_id, stage, tier, rule FROM prio.customer_state WHERE customer_id = 1;

-- A change of BANT answers re-tiers.
UPDATE prio.customers SET budget = true, authority = true WHERE customer_id = 3;
SELECT customer_id, bant, value_high, tier FROM prio.customer_state WHERE customer_id = 3;

-- History: one row per change of tier or stage.
SELECT customer_id, old_tier, new_tier, old_stage, new_stage, split_part(reason, ':', 1) AS why
FROM prio.tier_history ORDER BY history_id;
SELECT prio.recompute() AS rows_recompute_had_to_fix, prio.recompute(2) AS one_customer;

-- Redefining a built-in kind that activities already use updates it in place and re-tiers.
INSERT INTO prio.activity_kinds (kind, direction, stage, intent_weight) VALUES ('reply', 'inbound', 'interested', 5);
SELECT kind, intent_weight, builtin FROM prio.activity_kinds WHERE kind = 'reply';
SELECT customer_id, round(intent::numeric, 4) AS intent FROM prio.customer_state WHERE customer_id = 2;
SELECT prio.recompute() AS rows_recompute_had_to_fix;

-- prio.fold sorts its rows itself: any input order gives the same facts (ties at the
-- same time go by activity_id), so callers need no ORDER BY.
SELECT count(DISTINCT f) AS distinct_results, count(*) AS input_orders FROM (
  SELECT (SELECT prio.fold(NULL, a.customer_id, a.at, k.direction = 'inbound', k.stage, k.is_purchase,
                           k.intent_weight, a.amount, '14 days', a.activity_id)
            FROM (SELECT * FROM prio.activities WHERE customer_id = 2 ORDER BY o.dir * activity_id) a
            JOIN prio.activity_kinds k USING (kind))::text AS f
  FROM (VALUES (1), (-1)) AS o(dir)) x;

-- Bad input: the statement fails whole (nothing written) with a specific SQLSTATE.
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$INSERT INTO prio.activities (customer_id, kind) VALUES (99, 'reply')$$),
  ($$INSERT INTO prio.activities (customer_id, kind) VALUES (1, 'telepathy')$$),
  ($$INSERT INTO prio.activities (customer_id, kind) VALUES (NULL, 'reply')$$),
  ($$INSERT INTO prio.activities (customer_id, kind, amount) VALUES (1, 'purchase', -5)$$),
  ($$INSERT INTO prio.activities (customer_id, kind, amount) VALUES (1, 'purchase', 1e20)$$),
  ($$INSERT INTO prio.activities (customer_id, kind, at) VALUES (1, 'reply', 'infinity')$$),
  ($$INSERT INTO prio.activities (customer_id, kind, at) VALUES (1, 'reply', '-infinity')$$),
  ($$INSERT INTO prio.activities (customer_id, kind, at) VALUES (1, 'reply', now()), (1, 'reply', now() + interval '1 year')$$),
  ($$INSERT INTO prio.activities (activity_id, customer_id, kind) VALUES (1, 1, 'reply')$$),
  ($$UPDATE prio.activities SET at = now() + interval '2 days' WHERE customer_id = 1$$),
  ($$INSERT INTO prio.customers (customer_id, created_at) VALUES (50, 'infinity')$$),
  ($$DELETE FROM prio.customers WHERE customer_id = 1$$),
  ($$SELECT prio.recompute(99)$$),
  ($$INSERT INTO prio.activity_kinds (kind, direction) VALUES ('fax', 'sideways')$$),
  ($$INSERT INTO prio.activity_kinds (kind, direction, stage) VALUES ('ghost', 'inbound', 'silent')$$),
  ($$INSERT INTO prio.activity_kinds (kind, direction, intent_weight) VALUES ('x', 'inbound', 'NaN')$$),
  ($$DELETE FROM prio.activity_kinds WHERE kind = 'reply'$$)
) AS t(q);
SELECT count(*) AS activities_after_bad_input FROM prio.activities;
SELECT prio.recompute() AS rows_recompute_had_to_fix;
ROLLBACK;
