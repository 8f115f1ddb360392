-- Reply speed and re-activation (issue 19 items 4 and 5): the reply term in
-- intent (settings reply_weight, reply_half_life), kinds that revive a lost
-- customer (activity_kinds.revives), the re-activation cadences (settings
-- silent_cadence, lost_cadence) and prio.reactivation.
-- Inside one transaction: now() is constant and the database is left as found.
BEGIN;
SET LOCAL timezone = 'UTC';
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;

SELECT reply_weight, reply_half_life, silent_cadence, lost_cadence FROM prio.settings;
-- fixed RFM breaks: the tiers do not depend on what other tests left
UPDATE prio.settings SET r_breaks = '{30,90,180,365}', f_breaks = '{1,2,3,5}', m_breaks = '{100,500,1000,5000}';
SELECT kind, direction, revives FROM prio.activity_kinds WHERE NOT revives ORDER BY kind;

INSERT INTO prio.customers (customer_id, name, owner) VALUES
    (41, 'Quick', 'ann'), (42, 'Slow', 'ann'), (43, 'Gone quiet', 'ann'),
    (44, 'Said no', 'bob'), (45, 'Big spender', 'bob'), (46, 'Said no, opened', 'bob');
-- the same call, answered after ten minutes and after seventy hours
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (41, 'call',       now() - interval '71 hours', 0),
    (41, 'reply',      now() - interval '71 hours' + interval '10 minutes', 0),
    (42, 'call',       now() - interval '71 hours', 0),
    (42, 'reply',      now() - interval '1 hour', 0),
    (43, 'call',       now() - interval '45 days', 0),
    (43, 'inquiry',    now() - interval '44 days', 0),
    (44, 'email',      now() - interval '120 days', 0),
    (44, 'rejected',   now() - interval '100 days', 0),
    (45, 'purchase',   now() - interval '300 days', 1200),
    (45, 'purchase',   now() - interval '200 days', 800),
    (45, 'call',       now() - interval '100 days', 0),
    (46, 'call',       now() - interval '100 days', 0),
    (46, 'rejected',   now() - interval '99 days', 0),
    (46, 'email_open', now() - interval '2 days', 0);
SELECT customer_id, tier, priority, stage, effective_stage,
       round(prio.decayed(intent, intent_at, '14 days', now())::numeric, 4) AS intent_now,
       last_inbound_at - now() AS last_inbound, next_due_at - last_outbound_at AS cadence
  FROM prio.customer_state WHERE customer_id BETWEEN 41 AND 46 ORDER BY customer_id;

-- explain(): the reply term and the cadence in force
SELECT e -> 'intent' -> 'reply' ->> 'weight' AS weight, e -> 'intent' -> 'reply' ->> 'half_life' AS half_life,
       (e -> 'intent' -> 'reply' ->> 'awaiting_reply_since')::timestamptz - now() AS awaiting,
       round((e -> 'intent' -> 'reply' ->> 'intent_from_replies')::numeric, 4) AS from_replies,
       round((e -> 'intent' ->> 'value')::numeric, 4) AS intent, e ->> 'cadence' AS cadence
  FROM (SELECT c, prio.explain(c) AS e FROM generate_series(41, 46) c) x ORDER BY c;

-- whom to wake up now, most valuable first
SELECT rank, customer_id, name, owner, stage, tier, frequency, monetary, clv,
       now() - last_inbound_at AS quiet, now() - next_due_at AS overdue, reason
  FROM prio.reactivation WHERE customer_id BETWEEN 41 AND 46;
-- the reason line is built in one place
SELECT prio.reactivation_reason('silent', now() - interval '1 day', 1, 10, 123.4, now() - interval '1 day', now()) AS one_day,
       prio.reactivation_reason('lost', NULL, 0, 0, NULL, now(), now()) AS never,
       -- (a fixed as_of: the date shown must not depend on the day the test runs)
       prio.reactivation_reason('silent', timestamptz '2026-01-10 12:00+00' - interval '40 days', 3, 10, NULL,
                                timestamptz '2026-01-10 12:00+00' + interval '3 days',
                                timestamptz '2026-01-10 12:00+00') AS ahead;
-- the list follows the settings at once
UPDATE prio.settings SET silent_cadence = '120 days';
SELECT customer_id, stage, reason FROM prio.reactivation WHERE customer_id BETWEEN 41 AND 46;
SELECT prio.recompute() AS rows_recompute_had_to_fix;

-- Bad input: settings, kinds and prio.fold refuse bad values (23514, 23502,
-- 22004, 22023); nothing changes.
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$UPDATE prio.settings SET reply_weight = -1$$),
  ($$UPDATE prio.settings SET reply_weight = 'NaN'$$),
  ($$UPDATE prio.settings SET reply_weight = 'Infinity'$$),
  ($$UPDATE prio.settings SET reply_weight = 1e6$$),
  ($$UPDATE prio.settings SET reply_weight = NULL$$),
  ($$UPDATE prio.settings SET reply_half_life = '0'$$),
  ($$UPDATE prio.settings SET reply_half_life = '-1 day'$$),
  ($$UPDATE prio.settings SET reply_half_life = '100 years'$$),
  ($$UPDATE prio.settings SET reply_half_life = NULL$$),
  ($$UPDATE prio.settings SET silent_cadence = '0'$$),
  ($$UPDATE prio.settings SET silent_cadence = NULL$$),
  ($$UPDATE prio.settings SET lost_cadence = '-1 hour'$$),
  ($$UPDATE prio.settings SET lost_cadence = '200 years'$$),
  ($$UPDATE prio.activity_kinds SET revives = NULL WHERE kind = 'email_open'$$),
  ($$INSERT INTO prio.activity_kinds (kind, direction, revives) VALUES ('robot', 'inbound', NULL)$$),
  ($$SELECT prio.fold(NULL, 1, now(), true, NULL, false, 1, 0, '1 day', 1, NULL, 2, '1 day')$$),
  ($$SELECT prio.fold(NULL, 1, now(), true, NULL, false, 1, 0, '1 day', 1, true, NULL, '1 day')$$),
  ($$SELECT prio.fold(NULL, 1, now(), true, NULL, false, 1, 0, '1 day', 1, true, -1, '1 day')$$),
  ($$SELECT prio.fold(NULL, 1, now(), true, NULL, false, 1, 0, '1 day', 1, true, 'NaN', '1 day')$$),
  ($$SELECT prio.fold(NULL, 1, now(), true, NULL, false, 1, 0, '1 day', 1, true, 2, NULL)$$),
  ($$SELECT prio.fold(NULL, 1, now(), true, NULL, false, 1, 0, '1 day', 1, true, 2, '0')$$),
  ($$SELECT prio.fold(NULL, 1, now(), true, NULL, false, 1, 0, '1 day', 1, true, 2, '-1 day')$$),
  -- a hand-made settings row for prio.evaluate()
  ($$SELECT prio.evaluate(prio.stored_facts(s), c, jsonb_populate_record(cfg, '{"reply_weight": -1}'), NULL, NULL, NULL, now())
       FROM prio.customer_state s JOIN prio.customers c USING (customer_id), prio.settings cfg WHERE c.customer_id = 41$$),
  ($$SELECT prio.evaluate(prio.stored_facts(s), c, jsonb_populate_record(cfg, '{"silent_cadence": "-1 day"}'), NULL, NULL, NULL, now())
       FROM prio.customer_state s JOIN prio.customers c USING (customer_id), prio.settings cfg WHERE c.customer_id = 41$$),
  ($$SELECT prio.evaluate(prio.stored_facts(s), c, jsonb_populate_record(cfg, '{"lost_cadence": null}'), NULL, NULL, NULL, now())
       FROM prio.customer_state s JOIN prio.customers c USING (customer_id), prio.settings cfg WHERE c.customer_id = 41$$)
) AS t(q);
SELECT reply_weight, reply_half_life, silent_cadence, lost_cadence FROM prio.settings;
SELECT kind, revives FROM prio.activity_kinds WHERE kind IN ('email_open', 'robot');
ROLLBACK;

-- The update from 0.4 re-evaluates everyone under the new rules (and keeps
-- every customer): the silent one is due on silent_cadence, the lost one
-- whom an email_open had revived is lost again, the quick reply counts.
BEGIN;
SET LOCAL timezone = 'UTC';
SET LOCAL client_min_messages = warning;
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio VERSION '0.4';
INSERT INTO prio.customers (customer_id, name, owner) VALUES
    (51, 'Gone quiet', 'ann'), (52, 'Said no, opened', 'ann'), (53, 'Quick', 'ann'), (54, 'Nothing new', 'ann');
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (51, 'call',       now() - interval '45 days'),
    (51, 'inquiry',    now() - interval '44 days'),
    (52, 'call',       now() - interval '100 days'),
    (52, 'rejected',   now() - interval '99 days'),
    (52, 'email_open', now() - interval '2 days'),
    (53, 'call',       now() - interval '2 days'),
    (53, 'reply',      now() - interval '2 days' + interval '10 minutes'),
    (54, 'visit',      now() - interval '1 day');
CREATE ROLE react_update_reader;
SELECT prio.grant_reader('react_update_reader');
CREATE TEMP TABLE before_update AS
SELECT customer_id, tier, stage, effective_stage, round(intent::numeric, 4) AS intent,
       next_due_at - last_outbound_at AS cadence
  FROM prio.customer_state;
ALTER EXTENSION prio UPDATE TO '0.5';
SELECT b.customer_id, b.tier || ' -> ' || s.tier AS tier, b.stage || ' -> ' || s.stage AS stage,
       b.effective_stage || ' -> ' || s.effective_stage AS effective_stage,
       b.intent || ' -> ' || round(s.intent::numeric, 4) AS intent, b.cadence || ' -> ' || (s.next_due_at - s.last_outbound_at) AS cadence,
       (SELECT string_agg(h.reason, '; ' ORDER BY h.history_id) FROM prio.tier_history h
         WHERE h.customer_id = b.customer_id AND h.reason LIKE 'upgrade to 0.5%') AS history
  FROM before_update b FULL JOIN prio.customer_state s USING (customer_id)
 ORDER BY 1;
SELECT customer_id, stage, reason FROM prio.reactivation;
SELECT prio.recompute() AS rows_recompute_had_to_fix;
-- who read prio.followup reads prio.reactivation too
SELECT has_table_privilege('react_update_reader', 'prio.reactivation', 'SELECT') AS reader_reads_reactivation;
ROLLBACK;
