-- The ranked follow-up view, summaries, refresh (time moves customers) and explain.
-- Inside one transaction: now() is constant and the database is left as found.
BEGIN;
SET LOCAL timezone = 'UTC';  -- whole days, whatever the DST calendar
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;
INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline) VALUES
    (21, 'Wayne', 'dave', true, true, true, true),
    (22, 'Stark', 'dave', true, NULL, NULL, NULL),
    (23, 'Wonka', 'dave', NULL, NULL, NULL, NULL),
    (24, 'Tyrell', 'erin', NULL, NULL, true, NULL),
    (25, 'Duff', 'erin', NULL, NULL, NULL, NULL);
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT c, k, now() - d * interval '1 day', a FROM (VALUES
    (21, 'purchase', 100, 900), (21, 'purchase', 50, 1200), (21, 'purchase', 12, 700), (21, 'meeting', 8, 0),
    (22, 'purchase', 200, 80), (22, 'email', 40, 0),
    (23, 'inquiry', 45, 0), (23, 'call', 44, 0),
    (24, 'demo_request', 2, 0), (24, 'proposal', 1, 0),
    (25, 'rejected', 3, 0)) v(c, k, d, a);
SELECT prio.refresh() AS changed;

SELECT rank, customer_id, name, owner, tier, priority, stage, r, f, m, rfm_segment, bant,
       overdue_days, reason ~ ('^' || tier || ': BANT ' || bant || '/4') AS reason_starts_right
FROM prio.followup;
SELECT rank, customer_id, reason FROM prio.followup WHERE owner = 'dave' AND overdue_days > 0;
SELECT * FROM prio.tier_summary;
SELECT * FROM prio.conversion_by_tier;
-- Nothing due to change: a second refresh writes no row.
SELECT prio.refresh() AS changed_again;
-- Time moves customers: 60 days on, the quiet ones are silent and the history says so.
SELECT prio.refresh(now() + interval '60 days') AS changed_in_60_days;
SELECT customer_id, effective_stage, tier FROM prio.customer_state ORDER BY 1;
SELECT customer_id, old_stage, new_stage, split_part(reason, ':', 1) AS why
FROM prio.tier_history WHERE reason LIKE 'refresh%' ORDER BY history_id;

-- explain lists every factor
SELECT k AS explain_key FROM jsonb_object_keys(prio.explain(21)) k ORDER BY 1;
SELECT prio.explain(21) -> 'bant' AS bant, prio.explain(21) ->> 'rule' AS rule;

-- views are security_invoker (but win_counts_shared: the gate to every outcome's counts, on purpose)
SELECT relname, reloptions FROM pg_class WHERE relnamespace = 'prio'::regnamespace AND relkind = 'v' ORDER BY 1;

-- Bad input
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$SELECT prio.explain(NULL)$$),
  ($$SELECT prio.explain(424242)$$),
  ($$SELECT prio.refresh(NULL)$$),
  ($$SELECT prio.refresh('infinity')$$),
  ($$SELECT prio.refresh('-infinity')$$),
  ($$SELECT prio.next_stage(NULL, 'won', true)$$),
  ($$SELECT prio.next_stage('prospect', 'won', NULL)$$),
  ($$SELECT prio.next_stage('silent', 'engaged', true)$$),
  ($$SELECT prio.fold(NULL, 1, now(), true, NULL, false, 'NaN', 0, '1 day')$$),
  ($$SELECT prio.fold(NULL, NULL, now(), true, NULL, false, 1, 0, '1 day')$$),
  ($$SELECT prio.effective_stage('won', now(), now(), '0 days', '1 day')$$),
  ($$SELECT prio.effective_stage('won', now(), NULL, '1 day', '1 day')$$),
  ($$SELECT prio.decayed(1, now(), '0 days', now())$$),
  ($$UPDATE prio.customer_state SET tier = 'Z'$$),
  ($$INSERT INTO prio.tier_history (customer_id, changed_at) VALUES (1, NULL)$$)
) AS t(q);
ROLLBACK;
