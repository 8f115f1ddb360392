-- pgTAP: every SQL write reaches prio as INSERT, UPDATE and DELETE do.
--   W1 MERGE into prio.customers (a new customer, a changed BANT answer, a
--      customer deleted) and into prio.activities (backdated, deleted and new
--      rows in one statement);
--   W2 writable CTEs that change prio.activities twice in one statement
--      (purchases moved from one customer to another; an UPDATE and an
--      INSERT);
--   W3 MERGE into prio.deals;
--   W4 MERGE into a tracked customers table (uuid key) and a tracked
--      activities table, and a writable CTE over the activities table;
--   W5 MERGE into a tracked deals table.
-- After each statement the live state equals a rebuild
-- (pg_temp.rebuild_check: recompute() fixes no facts and changes no row) and
-- the facts moved as the statement says (purchases counted and summed by
-- plain SQL).
BEGIN;
SELECT plan(28);
\ir lib/rebuild_check.psql

DELETE FROM prio.activities;
DELETE FROM prio.deals;
DELETE FROM prio.customers;

-- purchase count and sum of each customer, by plain SQL over prio.activities
CREATE FUNCTION pg_temp.purchases(id bigint) RETURNS text LANGUAGE sql AS $$
SELECT count(*) || ' ' || coalesce(sum(amount), 0)
  FROM prio.activities WHERE customer_id = id AND kind = 'purchase' $$;
CREATE FUNCTION pg_temp.state_purchases(id bigint) RETURNS text LANGUAGE sql AS $$
SELECT frequency || ' ' || monetary FROM prio.customer_state WHERE customer_id = id $$;

INSERT INTO prio.customers (customer_id, name, owner) VALUES
    (1, 'one', 'ann'), (2, 'two', 'ann'), (3, 'three', 'bob'), (4, 'four', 'bob');
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (1, 'purchase', now() - interval '40 days', 100),
    (1, 'purchase', now() - interval '20 days', 200),
    (1, 'call', now() - interval '10 days', 0),
    (2, 'email', now() - interval '5 days', 0),
    (2, 'purchase', now() - interval '60 days', 50),
    (3, 'inquiry', now() - interval '3 days', 0);

-- ---------------------------------------------------------------- W1
MERGE INTO prio.customers c
USING (VALUES (2, true), (4, NULL), (5, false)) AS v(id, budget)
   ON c.customer_id = v.id
 WHEN MATCHED AND v.budget IS NULL THEN DELETE
 WHEN MATCHED THEN UPDATE SET budget = v.budget
 WHEN NOT MATCHED THEN INSERT (customer_id, name, owner, budget) VALUES (v.id, 'five', 'bob', v.budget);
SELECT is((SELECT budget FROM prio.customers WHERE customer_id = 2) || ' ' ||
          (SELECT bant FROM prio.customer_state WHERE customer_id = 2),
          'true 1', 'W1 MERGE into prio.customers: an updated BANT answer reaches the state');
SELECT is((SELECT count(*) FROM prio.customer_state WHERE customer_id = 4), 0::bigint,
          'W1 MERGE into prio.customers: a deleted customer leaves no state row');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'W1 MERGE into prio.customers: the live state equals a rebuild');

-- a call backdated, an email deleted, a purchase added, in one statement
MERGE INTO prio.activities a
USING (VALUES (1, 'call', 0::numeric), (2, 'email', 0), (3, 'purchase', 300)) AS v(id, kind, amount)
   ON a.customer_id = v.id AND a.kind = v.kind
 WHEN MATCHED AND v.kind = 'call' THEN UPDATE SET at = a.at - interval '30 days'
 WHEN MATCHED THEN DELETE
 WHEN NOT MATCHED THEN INSERT (customer_id, kind, at, amount) VALUES (v.id, v.kind, now() - interval '1 day', v.amount);
SELECT is((SELECT last_at FROM prio.customer_state WHERE customer_id = 1),
          (SELECT max(at) FROM prio.activities WHERE customer_id = 1),
          'W1 MERGE into prio.activities: a row it backdated moves the customer''s last activity');
SELECT is((SELECT last_at FROM prio.customer_state WHERE customer_id = 2),
          now() - interval '60 days',
          'W1 MERGE into prio.activities: a row it deleted is gone from the state');
SELECT is(pg_temp.state_purchases(3), '1 300',
          'W1 MERGE into prio.activities: a row it inserted is folded');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'W1 MERGE into prio.activities: the live state equals a rebuild');

-- ---------------------------------------------------------------- W2
WITH moved AS (DELETE FROM prio.activities WHERE customer_id = 1 AND kind = 'purchase' RETURNING kind, at, amount)
INSERT INTO prio.activities (customer_id, kind, at, amount) SELECT 2, kind, at, amount FROM moved;
SELECT is(pg_temp.state_purchases(1) || ' / ' || pg_temp.state_purchases(2),
          pg_temp.purchases(1) || ' / ' || pg_temp.purchases(2),
          'W2 a writable CTE that deletes and inserts activities: both customers'' purchases are right');
SELECT is(pg_temp.state_purchases(2), '3 350', 'W2 ... the purchases moved to the other customer');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'W2 a writable CTE that deletes and inserts activities: the live state equals a rebuild');

WITH u AS (UPDATE prio.activities SET amount = amount * 2 WHERE customer_id = 3 AND kind = 'purchase' RETURNING customer_id)
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT customer_id, 'purchase', now() - interval '90 days', 5 FROM u;
SELECT is(pg_temp.state_purchases(3), '2 605',
          'W2 a writable CTE that updates and inserts activities: both changes are folded');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'W2 a writable CTE that updates and inserts activities: the live state equals a rebuild');

-- ---------------------------------------------------------------- W3
INSERT INTO prio.deals (customer_id, stage, amount) VALUES (3, 'quote', 1000), (5, 'first_contact', 10);
MERGE INTO prio.deals d
USING (VALUES (3, 'negotiation'), (5, NULL), (1, 'signing')) AS v(id, stage)
   ON d.customer_id = v.id
 WHEN MATCHED AND v.stage IS NULL THEN DELETE
 WHEN MATCHED THEN UPDATE SET stage = v.stage, amount = 2000
 WHEN NOT MATCHED THEN INSERT (customer_id, stage, amount) VALUES (v.id, v.stage, 500);
SELECT is((SELECT open_deals || ' ' || pipeline || ' ' || funnel_stage FROM prio.customer_state WHERE customer_id = 3),
          '1 2000 negotiation', 'W3 MERGE into prio.deals: an updated deal moves the funnel stage and pipeline');
SELECT is((SELECT open_deals::int FROM prio.customer_state WHERE customer_id = 5), 0,
          'W3 MERGE into prio.deals: a deleted deal is gone from the state');
SELECT is((SELECT funnel_stage FROM prio.customer_state WHERE customer_id = 1), 'signing',
          'W3 MERGE into prio.deals: an inserted deal is folded');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'W3 MERGE into prio.deals: the live state equals a rebuild');

-- ---------------------------------------------------------------- W4
SET LOCAL client_min_messages = warning;
CREATE SCHEMA wp_app;
CREATE TABLE wp_app.accounts (id uuid PRIMARY KEY, name text, rep text, has_budget boolean);
CREATE TABLE wp_app.events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                            account_id uuid REFERENCES wp_app.accounts ON DELETE CASCADE,
                            type text NOT NULL, happened_at timestamptz NOT NULL, value numeric);
CREATE INDEX ON wp_app.events (account_id);
INSERT INTO wp_app.accounts VALUES
    ('00000000-0000-0000-0000-00000000000a', 'A', 'ann', false),
    ('00000000-0000-0000-0000-00000000000b', 'B', 'bob', false),
    ('00000000-0000-0000-0000-00000000000c', 'C', 'bob', false);
INSERT INTO wp_app.events (account_id, type, happened_at, value) VALUES
    ('00000000-0000-0000-0000-00000000000a', 'purchase', now() - interval '30 days', 70),
    ('00000000-0000-0000-0000-00000000000a', 'call', now() - interval '8 days', NULL),
    ('00000000-0000-0000-0000-00000000000b', 'email', now() - interval '4 days', NULL),
    ('00000000-0000-0000-0000-00000000000c', 'inquiry', now() - interval '2 days', NULL);
SELECT prio.track('wp_app.accounts', 'customers', '{"key": "id", "name": "name", "owner": "rep", "budget": "has_budget"}');
SELECT prio.track('wp_app.events', 'activities',
                  '{"customer": "account_id", "kind": "type", "at": "happened_at", "amount": "value"}');
RESET client_min_messages;

-- prio's id of an account, and its purchases by plain SQL over the app's table
CREATE FUNCTION pg_temp.wp_id(k text) RETURNS bigint LANGUAGE sql AS $$
SELECT customer_id FROM prio.customers WHERE source = 'wp_app.accounts'::regclass AND customer_key = k $$;
CREATE FUNCTION pg_temp.wp_purchases(k text) RETURNS text LANGUAGE sql AS $$
SELECT count(*) || ' ' || coalesce(sum(value), 0) FROM wp_app.events
 WHERE account_id = k::uuid AND type = 'purchase' $$;

MERGE INTO wp_app.accounts a
USING (VALUES ('00000000-0000-0000-0000-00000000000b'::uuid, 'B2'),
              ('00000000-0000-0000-0000-00000000000c'::uuid, NULL),
              ('00000000-0000-0000-0000-00000000000d'::uuid, 'D')) AS v(id, name)
   ON a.id = v.id
 WHEN MATCHED AND v.name IS NULL THEN DELETE
 WHEN MATCHED THEN UPDATE SET name = v.name, has_budget = true
 WHEN NOT MATCHED THEN INSERT VALUES (v.id, v.name, 'ann', false);
SELECT is((SELECT name || ' ' || budget FROM prio.customers
            WHERE customer_id = pg_temp.wp_id('00000000-0000-0000-0000-00000000000b')),
          'B2 true', 'W4 MERGE into a tracked customers table: an updated row reaches prio.customers');
SELECT is(pg_temp.wp_id('00000000-0000-0000-0000-00000000000c'), NULL,
          'W4 MERGE into a tracked customers table: a deleted row''s customer is gone');
SELECT is((SELECT name FROM prio.customers WHERE customer_id = pg_temp.wp_id('00000000-0000-0000-0000-00000000000d')),
          'D', 'W4 MERGE into a tracked customers table: an inserted row is a customer');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'W4 MERGE into a tracked customers table: the live state equals a rebuild');

-- a call moved to another account, an email deleted, purchases added
MERGE INTO wp_app.events e
USING (VALUES ('00000000-0000-0000-0000-00000000000a'::uuid, 'call', NULL::numeric),
              ('00000000-0000-0000-0000-00000000000b'::uuid, 'email', NULL),
              ('00000000-0000-0000-0000-00000000000d'::uuid, 'purchase', 40)) AS v(id, type, value)
   ON e.account_id = v.id AND e.type = v.type
 WHEN MATCHED AND v.type = 'call' THEN UPDATE SET account_id = '00000000-0000-0000-0000-00000000000d'
 WHEN MATCHED THEN DELETE
 WHEN NOT MATCHED THEN INSERT (account_id, type, happened_at, value) VALUES (v.id, v.type, now() - interval '1 day', v.value);
SELECT is((SELECT last_at FROM prio.customer_state WHERE customer_id = pg_temp.wp_id('00000000-0000-0000-0000-00000000000a')),
          now() - interval '30 days',
          'W4 MERGE into a tracked activities table: a row moved to another customer leaves the first');
SELECT is((SELECT frequency || ' ' || monetary || ' ' || last_at FROM prio.customer_state
            WHERE customer_id = pg_temp.wp_id('00000000-0000-0000-0000-00000000000d')),
          pg_temp.wp_purchases('00000000-0000-0000-0000-00000000000d') || ' ' || (now() - interval '1 day'),
          'W4 MERGE into a tracked activities table: the rows it moved and inserted are folded');
SELECT is((SELECT first_at FROM prio.customer_state WHERE customer_id = pg_temp.wp_id('00000000-0000-0000-0000-00000000000b')),
          NULL, 'W4 MERGE into a tracked activities table: a row it deleted is gone from the state');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'W4 MERGE into a tracked activities table: the live state equals a rebuild');

WITH moved AS (DELETE FROM wp_app.events WHERE account_id = '00000000-0000-0000-0000-00000000000a' AND type = 'purchase'
               RETURNING type, happened_at, value)
INSERT INTO wp_app.events (account_id, type, happened_at, value)
SELECT '00000000-0000-0000-0000-00000000000b', type, happened_at, value FROM moved;
SELECT is((SELECT frequency || ' ' || monetary FROM prio.customer_state
            WHERE customer_id = pg_temp.wp_id('00000000-0000-0000-0000-00000000000b')),
          '1 70', 'W4 a writable CTE that deletes and inserts a tracked table''s rows: the purchase moved');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'W4 a writable CTE over a tracked activities table: the live state equals a rebuild');

-- ---------------------------------------------------------------- W5
CREATE TABLE wp_app.opps (id text PRIMARY KEY, account_id uuid, stage text, value numeric);
SET LOCAL client_min_messages = warning;
SELECT prio.track('wp_app.opps', 'deals', '{"key": "id", "customer": "account_id", "stage": "stage", "amount": "value"}');
RESET client_min_messages;
INSERT INTO wp_app.opps VALUES ('o1', '00000000-0000-0000-0000-00000000000a', 'quote', 100),
                               ('o2', '00000000-0000-0000-0000-00000000000b', 'quote', 200);
MERGE INTO wp_app.opps o
USING (VALUES ('o1', 'won'), ('o2', NULL), ('o3', 'negotiation')) AS v(id, stage)
   ON o.id = v.id
 WHEN MATCHED AND v.stage IS NULL THEN DELETE
 WHEN MATCHED THEN UPDATE SET stage = v.stage
 WHEN NOT MATCHED THEN INSERT VALUES (v.id, '00000000-0000-0000-0000-00000000000d', v.stage, 900);
SELECT is((SELECT string_agg(deal_key || ':' || stage, ' ' ORDER BY deal_key) FROM prio.deals
            WHERE source = 'wp_app.opps'::regclass),
          'o1:won o3:negotiation', 'W5 MERGE into a tracked deals table: prio.deals mirrors it');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'W5 MERGE into a tracked deals table: the live state equals a rebuild');

SELECT * FROM finish();
ROLLBACK;
