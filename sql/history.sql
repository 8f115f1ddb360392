-- History at the events' own times (issue 18, item 5).  A customer's first
-- events, when they begin before the statement's transaction (a backfill or
-- COPY of history into prio.activities, prio.track() of a table that has rows,
-- a tracked table's statement), are replayed: the customer is evaluated as of
-- each event's time, with the settings and breaks in force now, and each
-- change of tier or stage is a tier_history row dated at that event, reason
-- "<why> then: <rule>" (not notified: it is the past).  The evaluation of now
-- follows as the live row.  A customer with folded events keeps the live rule.
-- track() of activities says how far it is: a NOTICE at every tenth of its
-- customers (1000 or more).  Then the bad input: nothing half-done.
-- Starts from a fresh extension (deterministic customer ids).
SET client_min_messages = warning;
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio;
RESET client_min_messages;
SET timezone = 'UTC';
UPDATE prio.settings SET r_breaks = '{7,30,90,180}', f_breaks = '{1,2,3,5}', m_breaks = '{100,500,1000,5000}';
-- a customer's history with its dates as days before now
CREATE FUNCTION pg_temp.hist(id bigint) RETURNS TABLE (days_ago int, old_tier text, new_tier text,
                                                        old_stage prio.stage, new_stage prio.stage, reason text)
LANGUAGE sql AS $$
SELECT extract(day FROM now() - h.changed_at)::int, h.old_tier, h.new_tier, h.old_stage, h.new_stage, h.reason
  FROM prio.tier_history h WHERE h.customer_id = id ORDER BY h.history_id $$;

-- prio.activities: a backfill of a new customer's history, in one statement
INSERT INTO prio.customers (customer_id, name, created_at) VALUES
    (1, 'history', now() - interval '200 days'), (2, 'live', now());
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (1, 'inquiry', now() - interval '150 days', 0),
    (1, 'demo_request', now() - interval '149 days', 0),
    (1, 'quote', now() - interval '120 days', 0),
    (1, 'purchase', now() - interval '100 days', 100),
    (1, 'reply', now(), 0),
    (2, 'inquiry', now(), 0);
SELECT * FROM pg_temp.hist(1);
-- a customer's events of now are live (dated now, reason "activity")
SELECT * FROM pg_temp.hist(2);
-- once a customer has folded events, an older one is dated when it arrives
INSERT INTO prio.activities (customer_id, kind, at) VALUES (2, 'purchase', now() - interval '3 days');
SELECT * FROM pg_temp.hist(2) OFFSET 2;
SELECT * FROM prio.conversion_by_tier;
SELECT prio.recompute() AS recompute_fixed;

-- prio.track() of tables with history: progress, and history at the events' times
CREATE SCHEMA hist_app;
CREATE TABLE hist_app.accounts (id text PRIMARY KEY, since timestamptz);
CREATE TABLE hist_app.events (account text, type text, happened timestamptz, value numeric);
CREATE INDEX ON hist_app.events (account);
INSERT INTO hist_app.accounts SELECT 'a' || i, now() - interval '300 days' FROM generate_series(1, 1000) i;
INSERT INTO hist_app.events
SELECT 'a' || i, e.type, now() - (e.days || ' days')::interval, e.value
  FROM generate_series(1, 1000) i,
       (VALUES ('inquiry', 90, NULL::numeric), ('demo_request', 80, NULL), ('purchase', 60, 250)) e(type, days, value)
 WHERE e.type <> 'purchase' OR i % 4 = 0;
SELECT prio.track('hist_app.accounts', 'customers', '{"key": "id", "created_at": "since"}');
SELECT prio.track('hist_app.events', 'activities', '{"customer": "account", "kind": "type", "at": "happened", "amount": "value"}');
SELECT * FROM pg_temp.hist((SELECT customer_id FROM prio.keys_1 WHERE key = 'a4'));
SELECT h.days_ago, h.new_tier, h.new_stage, count(*)
  FROM prio.keys_1 m, pg_temp.hist(m.customer_id) h GROUP BY 1, 2, 3 ORDER BY 1 DESC, 2, 3;
SELECT * FROM prio.conversion_by_tier;
SELECT prio.recompute() AS recompute_fixed;

-- Planned touches (issue 18, item 3): an activity dated after now is stored,
-- not scored, until it is due; refresh() folds it then, from its date
INSERT INTO prio.customers (customer_id, name) VALUES (4, 'planned');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (4, 'meeting', now() + interval '1 second');
SELECT stage, last_at IS NULL AS not_scored, next_planned_at > now() AS planned
  FROM prio.customer_state WHERE customer_id = 4;
SELECT pg_sleep(1.2);
SELECT prio.refresh() >= 1 AS refreshed;
SELECT stage, last_at < now() AS scored_from_its_date, next_planned_at
  FROM prio.customer_state WHERE customer_id = 4;
SELECT old_stage, new_stage, split_part(reason, ':', 1) AS why FROM prio.tier_history
 WHERE customer_id = 4 ORDER BY history_id;
SELECT prio.recompute() AS recompute_fixed;

-- Bad input: nothing half-done
\set VERBOSITY terse
-- a backfill with a kind prio does not know fails whole: no state, no history
INSERT INTO prio.customers (customer_id, name) VALUES (3, 'bad');
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (3, 'inquiry', now() - interval '9 days'), (3, 'telepathy', now() - interval '8 days');
-- ... or an activity more than a day ahead (22008)
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (3, 'inquiry', now() - interval '9 days'), (3, 'reply', now() + interval '1 year');
SELECT * FROM pg_temp.hist(3);
SELECT last_at, tier, effective_stage FROM prio.customer_state WHERE customer_id = 3;

-- untrack: the key map goes with the tracking (later tests start afresh)
SELECT prio.untrack('hist_app.events');
SELECT prio.untrack('hist_app.accounts');
DROP SCHEMA hist_app CASCADE;
