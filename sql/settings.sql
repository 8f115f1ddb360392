-- prio.settings: one row, changed with UPDATE; a change re-tiers everyone at once.
-- Inside one transaction: now() is constant and the database is left as found.
BEGIN;
SET LOCAL timezone = 'UTC';  -- whole days, whatever the DST calendar
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;
\x on
SELECT * FROM prio.settings;
\x off

INSERT INTO prio.customers (customer_id, name, owner) VALUES (11, 'Hooli', 'carol');
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (11, 'reply', now() - interval '3 days'), (11, 'visit', now() - interval '2 days');
SELECT customer_id, round(intent::numeric, 4) AS intent, intent_high, tier, next_due_at - first_at AS due_after_first FROM prio.customer_state WHERE customer_id = 11;

-- A lower intent threshold makes the customer high-intent (C), in the same statement.
UPDATE prio.settings SET intent_threshold = 2.5;
SELECT customer_id, intent_high, tier, next_due_at - first_at AS due_after_first, rule FROM prio.customer_state WHERE customer_id = 11;
-- A longer half-life refolds intent.
UPDATE prio.settings SET intent_half_life = '28 days';
SELECT customer_id, round(intent::numeric, 4) AS intent FROM prio.customer_state WHERE customer_id = 11;
SELECT prio.recompute() AS rows_recompute_had_to_fix;
-- Changed settings are no longer builtin: pg_dump keeps them.
SELECT builtin FROM prio.settings;

-- Bad input: invalid settings are refused (23514 constraint, 22023 for broken breaks); the row stays.
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$UPDATE prio.settings SET intent_half_life = '0'$$),
  ($$UPDATE prio.settings SET intent_half_life = '-1 day'$$),
  ($$UPDATE prio.settings SET silent_after = NULL$$),
  ($$UPDATE prio.settings SET cadence_a = '0 days'$$),
  ($$UPDATE prio.settings SET value_score = 6$$),
  ($$UPDATE prio.settings SET bant_threshold = 0$$),
  ($$UPDATE prio.settings SET intent_threshold = 'NaN'$$),
  ($$UPDATE prio.settings SET intent_threshold = 0$$),
  ($$UPDATE prio.settings SET weight_tier = -1$$),
  ($$UPDATE prio.settings SET weight_tier = 0, weight_rfm = 0, weight_bant = 0, weight_intent = 0, weight_stage = 0$$),
  ($$UPDATE prio.settings SET r_breaks = '{30,7,90,180}'$$),
  ($$UPDATE prio.settings SET r_breaks = '{1,2,3}'$$),
  ($$UPDATE prio.settings SET m_breaks = '{1,NULL,3,4}'$$),
  ($$UPDATE prio.settings SET f_breaks = '{1,2,NaN,4}'$$),
  ($$UPDATE prio.settings SET clv_horizon = 0$$),
  ($$UPDATE prio.settings SET clv_discount_rate = 1$$),
  ($$UPDATE prio.settings SET clv_discount_rate = 'NaN'$$),
  ($$UPDATE prio.settings SET clv_refit_after = '-1 hour'$$),
  ($$UPDATE prio.settings SET clv_min_repeat_buyers = 2$$),
  ($$INSERT INTO prio.settings (id) VALUES (false)$$),
  ($$DELETE FROM prio.settings$$),
  ($$TRUNCATE prio.settings$$)
) AS t(q);
SELECT count(*) AS settings_rows, intent_threshold, intent_half_life FROM prio.settings GROUP BY 2, 3;
ROLLBACK;
