-- pgTAP: history at the events' own times (issue 18, item 5) and planned
-- touches (item 3).
--   A customer's first events, arriving as a history (a multi-row INSERT or
--   COPY into prio.activities, prio.track() of a table that has rows, a
--   tracked table's statement), are replayed: the customer is evaluated as of
--   each event (with today's settings and breaks) and every change of tier or
--   stage is a tier_history row dated at that event; the row of the present
--   (evaluated now) follows.  A customer that has folded events already keeps
--   the live rule: its changes are dated when they arrive.
BEGIN;
SELECT plan(17);

DELETE FROM prio.activities;
DELETE FROM prio.customers;
DELETE FROM prio.tier_history;
UPDATE prio.settings
   SET r_breaks = '{7,30,90,180}', f_breaks = '{1,2,3,5}', m_breaks = '{100,500,1000,5000}';

\ir lib/rebuild_check.psql

-- the history of a customer as 'days ago:old->new tier/stage' lines, in the
-- order written (each row's old values are the last row's new ones): a
-- customer created before now has a row of its creation dated then and one of
-- now (silent since); its first events, loaded later, are replayed after them,
-- and (0.5) the silent row is dated at the first of them (read by time, one
-- chain: the replay starts from silent)
CREATE FUNCTION pg_temp.hist(id bigint) RETURNS text LANGUAGE sql AS $$
SELECT string_agg(extract(day FROM now() - h.changed_at)::int || 'd:' ||
                  coalesce(h.old_tier, '-') || '/' || coalesce(h.old_stage::text, '-') || '->' ||
                  h.new_tier || '/' || h.new_stage, ' ' ORDER BY h.history_id)
  FROM prio.tier_history h WHERE h.customer_id = id $$;

------------------------------------------------------------------------
-- prio.activities: a backfill of a new customer's history
------------------------------------------------------------------------
INSERT INTO prio.customers (customer_id, name, created_at) VALUES
    (1, 'history', now() - interval '200 days'), (2, 'live', now()), (3, 'old one', now());
INSERT INTO prio.activities (customer_id, kind, at) VALUES (3, 'email', now());
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (1, 'inquiry', now() - interval '150 days', 0),
    (1, 'demo_request', now() - interval '149 days', 0),
    (1, 'quote', now() - interval '120 days', 0),
    (1, 'purchase', now() - interval '100 days', 100),
    (2, 'inquiry', now(), 0),
    (3, 'inquiry', now() - interval '40 days', 0),
    (3, 'demo_request', now() - interval '39 days', 0);
SELECT is(pg_temp.hist(1),
          '200d:-/-->D/prospect 150d:D/prospect->D/silent 150d:D/silent->C/interested 149d:C/interested->C/engaged '
          '120d:C/engaged->C/closing 100d:C/closing->C/won 0d:C/won->D/silent',
          'history written on a backfill of prio.activities is dated at the events'' own times');
SELECT is((SELECT count(*) FROM prio.tier_history WHERE customer_id = 1 AND changed_at < now()
              AND reason LIKE 'activity then: %'), 4::bigint,
          'backfill: the replayed rows say "activity then: <rule>"');
SELECT is(pg_temp.hist(2), '0d:-/-->D/prospect 0d:D/prospect->C/interested',
          'backfill rule: a new customer''s one event of now is live, dated now');
SELECT is(pg_temp.hist(3), '0d:-/-->D/prospect 0d:D/prospect->D/silent',
          'backfill rule: a customer with folded events keeps its history; an older event is dated when it arrives');
SELECT is((SELECT count(*) FROM prio.tier_history WHERE reason LIKE '%then:%' AND customer_id <> 1), 0::bigint,
          'backfill rule: only customers without folded events are replayed');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'backfill: the replayed fold equals prio.recompute()');

SELECT is((SELECT entered || '/' || won FROM prio.conversion_by_tier WHERE tier = 'C'), '2/1',
          'backfill: conversion_by_tier counts 1''s win after entering C at once (2 entered C now)');

------------------------------------------------------------------------
-- prio.track() of tables that already have history
------------------------------------------------------------------------
CREATE SCHEMA history_app;
CREATE TABLE history_app.accounts (id uuid PRIMARY KEY, name text, since timestamptz);
CREATE TABLE history_app.events (account uuid, type text, happened timestamptz, value numeric);
CREATE INDEX ON history_app.events (account);
INSERT INTO history_app.accounts
SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'acct ' || i, now() - interval '300 days'
  FROM generate_series(1, 1200) i;
-- every account: an inquiry, a demo, and for every third one a purchase, days apart
INSERT INTO history_app.events
SELECT a.id, e.type, now() - (e.days || ' days')::interval - (i || ' minutes')::interval, e.value
  FROM generate_series(1, 1200) i
  JOIN history_app.accounts a ON a.id = ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid
 CROSS JOIN (VALUES ('inquiry', 90, NULL::numeric), ('demo_request', 80, NULL), ('purchase', 60, 250)) e(type, days, value)
 WHERE e.type <> 'purchase' OR i % 3 = 0;
SELECT lives_ok($$SELECT prio.track('history_app.accounts', 'customers', '{"key": "id", "name": "name", "created_at": "since"}')$$,
                'track: the accounts');
SELECT lives_ok($$SELECT prio.track('history_app.events', 'activities', '{"customer": "account", "kind": "type", "at": "happened", "amount": "value"}')$$,
                'track: the events, 1200 customers (one scan)');
-- acct 3: inquiry 90 days ago, demo 80, purchase 60 (each 3 minutes earlier)
SELECT is(pg_temp.hist((SELECT customer_id FROM prio.customers WHERE name = 'acct 3')),
          '300d:-/-->D/prospect 90d:D/prospect->D/silent 90d:D/silent->C/interested 80d:C/interested->C/engaged 60d:C/engaged->C/won 0d:C/won->D/won',
          'history written on attach is dated at the events'' own times');
SELECT is((SELECT count(DISTINCT h.customer_id) FROM prio.tier_history h
             JOIN prio.customers c USING (customer_id)
            WHERE c.name LIKE 'acct %' AND h.reason LIKE 'track then: %' AND h.changed_at < now() - interval '59 days'),
          1200::bigint, 'attach: every tracked customer has history rows of the past, reason "track then: <rule>"');
SELECT is((SELECT entered || '/' || won FROM prio.conversion_by_tier WHERE tier = 'C'), '1202/401',
          'attach: conversion_by_tier is right at once (the 1200 entered C, 400 bought after; and customers 1, 2)');
SELECT is((SELECT entered || '/' || won FROM prio.conversion_by_tier WHERE tier = 'D'), '1203/401',
          'attach: a customer''s creation row is dated at its created_at, so D''s conversion counts the wins after it');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'attach: live state equals prio.recompute()');

-- a tracked statement bringing a new account's history replays it too
INSERT INTO history_app.accounts VALUES ('00000000-0000-0000-0000-999999999999', 'late', now() - interval '300 days');
INSERT INTO history_app.events VALUES
    ('00000000-0000-0000-0000-999999999999', 'inquiry', now() - interval '30 days', NULL),
    ('00000000-0000-0000-0000-999999999999', 'purchase', now() - interval '20 days', 80);
SELECT is(pg_temp.hist((SELECT customer_id FROM prio.customers WHERE name = 'late')),
          '300d:-/-->D/prospect 30d:D/prospect->D/silent 30d:D/silent->C/interested 20d:C/interested->C/won 0d:C/won->D/won',
          'a tracked table''s backfill of a new customer is dated at the events'' own times');

-- the key-customer types are evaluated in the replay too, with the
-- attributes and tags of now (as the settings and BANT answers are)
INSERT INTO prio.customers (customer_id, name, created_at, attributes) VALUES
    (7001, 'influencer', now() - interval '200 days', '{"industry_rank": 3}'),
    (7002, 'plain', now() - interval '200 days', '{}');
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (7001, 'inquiry', now() - interval '90 days'), (7001, 'demo_request', now() - interval '80 days'),
    (7002, 'inquiry', now() - interval '90 days'), (7002, 'demo_request', now() - interval '80 days');
SELECT is(pg_temp.hist(7001),
          '200d:-/-->B/prospect 90d:B/prospect->B/silent 90d:B/silent->A/interested 80d:A/interested->A/engaged 0d:A/engaged->B/silent',
          'replayed history holds the key-customer types: an industry-influence customer backfilled was A then (high value potential), not C');
SELECT is(pg_temp.hist(7002),
          '200d:-/-->D/prospect 90d:D/prospect->D/silent 90d:D/silent->C/interested 80d:C/interested->C/engaged 0d:C/engaged->D/silent',
          'replayed history: the same events without a type that implies value are C then');

SELECT * FROM finish();
ROLLBACK;
