-- pgTAP: planned touches (issue 18, item 3).  An activity dated after the
-- time its customer is folded as of (the transaction's start) is stored but
-- not scored: customer_state.next_planned_at keeps the earliest; once due,
-- prio.refresh() folds it, and from then on the customer is scored with it,
-- from its date.  The same on prio.activities (up to a day ahead) and on a
-- tracked table (any time ahead).  Time must pass between the statements, so
-- this file runs outside a transaction block and removes what it made.
SELECT plan(13);
SET client_min_messages = warning;

\ir lib/rebuild_check.psql

INSERT INTO prio.customers (customer_id, name) VALUES (900001, 'planned meeting'), (900002, 'no plan');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (900001, 'meeting', now() + interval '2 seconds');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (900002, 'email', now());
SELECT is((SELECT ROW(last_at IS NULL, stage, next_planned_at > now())::text
             FROM prio.customer_state WHERE customer_id = 900001), '(t,prospect,t)',
          'a planned meeting is stored, not scored: next_planned_at holds it');
SELECT is((SELECT next_planned_at FROM prio.customer_state WHERE customer_id = 900002), NULL,
          'a customer without planned touches has no next_planned_at');
SELECT is(pg_temp.rebuild_check(900001), 'facts fixed 0, rows changed 0',
          'a planned meeting: live state equals prio.recompute() before it is due');

-- an application's tracked table: a meeting dated later is planned too
CREATE SCHEMA planned_app;
CREATE TABLE planned_app.accounts (id uuid PRIMARY KEY, name text);
CREATE TABLE planned_app.events (account uuid, type text, happened timestamptz);
SELECT prio.track('planned_app.accounts', 'customers', '{"key": "id", "name": "name"}');
SELECT prio.track('planned_app.events', 'activities', '{"customer": "account", "kind": "type", "at": "happened"}');
INSERT INTO planned_app.accounts VALUES ('00000000-0000-0000-0000-00000000000a', 'tracked planned');
INSERT INTO planned_app.events VALUES
    ('00000000-0000-0000-0000-00000000000a', 'meeting', now() + interval '2 seconds'),
    ('00000000-0000-0000-0000-00000000000a', 'meeting', now() + interval '7 days');
SELECT is((SELECT ROW(s.last_at IS NULL, s.stage, s.next_planned_at > now())::text
             FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
            WHERE c.name = 'tracked planned'), '(t,prospect,t)',
          'a tracked table''s meeting dated later is a planned touch, not an error nor ignored');

SELECT pg_sleep(2.2);
SELECT isnt(prio.refresh(), NULL, 'refresh() runs once the planned touches are due');
SELECT is((SELECT ROW(stage, next_planned_at IS NULL)::text
             FROM prio.customer_state WHERE customer_id = 900001), '(engaged,t)',
          'a planned meeting counts from its date after refresh()');
SELECT ok((SELECT last_at < now() AND last_at > now() - interval '1 minute' AND last_outbound_at = last_at
             FROM prio.customer_state WHERE customer_id = 900001),
          'a planned meeting is folded at its own date');
SELECT is((SELECT count(*) FROM prio.tier_history WHERE customer_id = 900001 AND reason LIKE 'refresh then:%'
              AND changed_at < now()), 1::bigint,
          'the planned meeting''s change is written by refresh(), dated at the meeting ("refresh then": its first event)');
SELECT is((SELECT ROW(s.stage, s.next_planned_at > now() + interval '6 days')::text
             FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
            WHERE c.name = 'tracked planned'), '(engaged,t)',
          'a tracked table''s due meeting is folded after refresh(); the one of next week stays planned');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'planned touches: live state equals prio.recompute() after refresh()');
SELECT is((SELECT f.planned_at FROM prio.followup f WHERE f.name = 'tracked planned'),
          (SELECT min(happened) FROM planned_app.events WHERE happened > now()),
          'followup shows the next planned touch (planned_at)');

-- a later write of the customer, before any refresh, folds a due planned touch too
INSERT INTO prio.activities (customer_id, kind, at) VALUES (900002, 'quote', now() + interval '1 second');
SELECT pg_sleep(1.2);
INSERT INTO prio.activities (customer_id, kind, at) VALUES (900002, 'reply', now());
SELECT is((SELECT ROW(stage, next_planned_at)::text FROM prio.customer_state WHERE customer_id = 900002),
          '(closing,)', 'a write of a customer whose planned touch came due folds it');
SELECT is(pg_temp.rebuild_check(900002), 'facts fixed 0, rows changed 0',
          'a due planned touch folded by a write: live state equals prio.recompute()');

SELECT * FROM finish();
SELECT prio.untrack('planned_app.events');
SELECT prio.untrack('planned_app.accounts');
DROP SCHEMA planned_app CASCADE;
DELETE FROM prio.activities WHERE customer_id IN (900001, 900002);
DELETE FROM prio.customers WHERE customer_id IN (900001, 900002);
DELETE FROM prio.tier_history WHERE customer_id IN (900001, 900002);
