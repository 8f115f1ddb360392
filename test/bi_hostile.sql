-- pgTAP: prio's BI views checked as an analyst checks them against the raw
-- history (hostile8).  The rules, each asserted below:
--   B1  prio.conversion_by_tier counts, of the customers who ever entered a
--       tier, those who reached won (a change of stage to won) at or after
--       first entering it -- a repeat buyer too, whose first win came before
--       it entered the tier (on the real CRM every account wins again and
--       again: the view said 12 of 85 for D, the history says 85).  Equal to
--       that count made from prio.tier_history directly.
--   B2  prio.tier_history read by time (ORDER BY changed_at, history_id, as a
--       BI tool reads it: lag() for time in tier, the latest row as of a
--       date) is one chain per customer: its first row has NULL old values,
--       each row's old values are the row before's new ones, and the latest
--       row says where the customer stands (customer_state).  A customer made
--       before its backdated events are loaded (a prio.customers row, then a
--       backfill; a tracked customers table, then its activities table) had
--       its creation row dated after the replayed rows: read by time its
--       history began with old values and ended with its creation (on the
--       real CRM: every account; of 500 customers so loaded, 336 had a latest
--       row that was not their tier and stage).  The creation row is dated at
--       the first replayed event's time; so are the rows from before the
--       replay of a customer that had no activities (BANT answered, gone
--       silent): the replay starts from where they left it (dated when
--       written, 5 rows of 2 customers broke the chain).
--   B3  a customer's past is replayed into the history once: the rows of an
--       activities table loaded again (TRUNCATE, then the same rows: an
--       ETL's nightly reload; a customer's activities deleted and inserted
--       again) add no row dated before the customer's latest row from or to
--       a stage only activities or deals give; what they change is a row of
--       now.  Each reload wrote the customer's whole past a second time,
--       dated among the first replay's rows (500 customers: 923 rows more,
--       1,890 before).  A customer that never had activities is replayed in
--       full (B1's, created 200 days ago, silent since).
--   B4  prio.reason() of no state row (a BI tool's LEFT JOIN of
--       customer_state that found none) is NULL, as its other columns are;
--       it read "RFM not scored yet".  Its bad input stays refused.
-- Customers 98001.. (owner 'hostile8'); times relative to now(); rolled back.
BEGIN;
SELECT plan(22);

------------------------------------------------------------------------
-- B1. conversion_by_tier: won at or after entering, not first won
------------------------------------------------------------------------
-- m_breaks given: a purchase of 100 is m score 5, value high (no refresh needed)
UPDATE prio.settings SET m_breaks = '{10,20,30,40}';
-- a backfill in one statement: history dated at the events' times.  Bought
-- (A, won), lost (D), came back with a visit (value high, intent low: B,
-- first entered now), bought again (won, after entering B)
INSERT INTO prio.customers (customer_id, name, owner, created_at) VALUES
    (98001, 'repeat buyer', 'hostile8', now() - interval '200 days');
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (98001, 'purchase', now() - interval '150 days', 100),
    (98001, 'rejected', now() - interval '100 days', 0),
    (98001, 'visit', now() - interval '60 days', 0),
    (98001, 'purchase', now() - interval '30 days', 50);

SELECT ok((SELECT min(h.changed_at) FILTER (WHERE h.new_tier = 'B')
                  > min(h.changed_at) FILTER (WHERE h.new_stage = 'won')
              AND max(h.changed_at) FILTER (WHERE h.new_stage = 'won' AND h.old_stage <> 'won')
                  >= min(h.changed_at) FILTER (WHERE h.new_tier = 'B')
             FROM prio.tier_history h WHERE h.customer_id = 98001),
          'B1 (setup): the customer first entered B after its first win and reached won again after');

SELECT is((SELECT won FROM prio.conversion_by_tier WHERE tier = 'B'),
          (SELECT count(DISTINCT e.customer_id)
             FROM prio.tier_history e
            WHERE e.new_tier = 'B'
              AND EXISTS (SELECT 1 FROM prio.tier_history w
                           WHERE w.customer_id = e.customer_id AND w.new_stage = 'won' AND w.old_stage IS DISTINCT FROM 'won'
                             AND w.changed_at >= (SELECT min(f.changed_at) FROM prio.tier_history f
                                                   WHERE f.customer_id = e.customer_id AND f.new_tier = 'B'))),
          'B1: conversion_by_tier counts under B a customer who reached won after first entering B, though it won before');

SELECT results_eq(
    $$SELECT tier, entered, won FROM prio.conversion_by_tier ORDER BY tier$$,
    $$WITH e AS (SELECT h.new_tier AS tier, h.customer_id, min(h.changed_at) AS entered_at
                   FROM prio.tier_history h WHERE h.new_tier IS NOT NULL GROUP BY 1, 2)
      SELECT e.tier, count(*),
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM prio.tier_history w
                                             WHERE w.customer_id = e.customer_id AND w.new_stage = 'won' AND w.old_stage IS DISTINCT FROM 'won'
                                               AND w.changed_at >= e.entered_at))
        FROM e GROUP BY e.tier ORDER BY e.tier$$,
    'B1: every tier''s entered and won equal the count from prio.tier_history (a change to won at or after first entering)');

------------------------------------------------------------------------
-- B2. tier_history read by time is one chain per customer
------------------------------------------------------------------------
-- each customer's rows by (changed_at, history_id): rows whose old values
-- are not the row before's new values (the first row's: NULL), and whether
-- its latest row is where it stands
CREATE FUNCTION pg_temp.chain_breaks(ids bigint[]) RETURNS bigint LANGUAGE sql AS $$
SELECT count(*) FROM (
    SELECT h.old_tier, h.old_stage,
           lag(h.new_tier) OVER w AS prev_tier, lag(h.new_stage) OVER w AS prev_stage
      FROM prio.tier_history h WHERE h.customer_id = ANY (ids)
    WINDOW w AS (PARTITION BY h.customer_id ORDER BY h.changed_at, h.history_id)) x
 WHERE (x.old_tier, x.old_stage) IS DISTINCT FROM (x.prev_tier, x.prev_stage) $$;
CREATE FUNCTION pg_temp.latest_not_state(ids bigint[]) RETURNS bigint LANGUAGE sql AS $$
SELECT count(*) FROM prio.customer_state s
  LEFT JOIN LATERAL (SELECT h.new_tier, h.new_stage FROM prio.tier_history h
                      WHERE h.customer_id = s.customer_id
                      ORDER BY h.changed_at DESC, h.history_id DESC LIMIT 1) l ON true
 WHERE s.customer_id = ANY (ids)
   AND (l.new_tier, l.new_stage) IS DISTINCT FROM (s.tier, s.effective_stage) $$;

-- prio's own customers, made now, then their past loaded (a backfill)
INSERT INTO prio.customers (customer_id, name, owner) VALUES
    (98011, 'made, then its past', 'hostile8'), (98012, 'made, then one inquiry', 'hostile8');
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (98011, 'inquiry', now() - interval '90 days', 0),
    (98011, 'purchase', now() - interval '80 days', 40),
    (98011, 'email', now() - interval '20 days', 0),
    (98012, 'inquiry', now() - interval '3 days', 0);
SELECT is(pg_temp.chain_breaks('{98011,98012}'), 0::bigint,
          'B2: a customer made before its past was loaded: its history read by changed_at is one chain from its creation');
SELECT is(pg_temp.latest_not_state('{98011,98012}'), 0::bigint,
          'B2: a customer made before its past was loaded: its latest history row by changed_at is its tier and stage');
SELECT is((SELECT h.changed_at FROM prio.tier_history h
            WHERE h.customer_id = 98011 AND h.old_tier IS NULL AND h.old_stage IS NULL),
          now() - interval '90 days',
          'B2: the creation row of a customer made before its past was loaded is dated at its first event');

-- a customer with rows besides its creation before its past is loaded (BANT
-- answered; gone silent): the replay starts from where it stands, with
-- today's answers, so those rows are dated at its first event too
INSERT INTO prio.customers (customer_id, name, owner, created_at) VALUES
    (98013, 'answered, then its past', 'hostile8', now()),
    (98014, 'silent, then its past', 'hostile8', now() - interval '60 days');
UPDATE prio.customers SET budget = true, authority = true, need = true WHERE customer_id = 98013;
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT c.id, e.kind, now() - e.days * interval '1 day', e.amount
  FROM unnest('{98013,98014}'::bigint[]) c(id),
       (VALUES ('inquiry', 90, 0), ('purchase', 80, 40)) e(kind, days, amount);
SELECT is(pg_temp.chain_breaks('{98013,98014}'), 0::bigint,
          'B2: a customer answered or gone silent before its past was loaded: its history read by changed_at is one chain');
SELECT is(pg_temp.latest_not_state('{98013,98014}'), 0::bigint,
          'B2: a customer answered or gone silent before its past was loaded: its latest history row by changed_at is its tier and stage');
SELECT is((SELECT count(*) FROM prio.tier_history h WHERE h.customer_id IN (98013, 98014)
              AND h.changed_at < now() - interval '90 days'), 0::bigint,
          'B2: no row of a customer answered or gone silent before its past was loaded is dated before its first event');

-- a tracked customers table (the CRM's accounts, by text key), then its
-- activities table with history
CREATE SCHEMA bi8;
CREATE TABLE bi8.accounts (account text PRIMARY KEY, rep text);
INSERT INTO bi8.accounts VALUES ('Acme', 'hostile8'), ('Globex', 'hostile8'), ('Quiet', 'hostile8');
CREATE TABLE bi8.deals (id text PRIMARY KEY, account text, stage text, engaged date, closed date, value numeric);
CREATE INDEX ON bi8.deals (account);
INSERT INTO bi8.deals VALUES
    ('D1', 'Acme', 'Won', current_date - 200, current_date - 150, 500),
    ('D2', 'Acme', 'Lost', current_date - 120, current_date - 100, NULL),
    ('D3', 'Globex', 'Won', current_date - 60, current_date - 30, 80),
    ('D4', 'Globex', 'Engaging', current_date - 10, NULL, NULL);
SELECT lives_ok($$SELECT prio.track('bi8.accounts', 'customers', '{"key": "account", "owner": "rep", "view": "followup_bi8"}')$$,
                'B2 (setup): the accounts are tracked');
SELECT lives_ok($$SELECT prio.track('bi8.deals', 'activities', $m${"customer": "account", "customers": "bi8.accounts", "events": [
                    {"kind": "'meeting'", "at": "engaged::timestamp AT TIME ZONE 'UTC'"},
                    {"kind": "CASE stage WHEN 'Won' THEN 'purchase' WHEN 'Lost' THEN 'rejected' END",
                     "at": "closed::timestamp AT TIME ZONE 'UTC'", "amount": "value"}]}$m$)$$,
                'B2 (setup): the deals are tracked, their past replayed');
SELECT is(pg_temp.chain_breaks(ARRAY(SELECT c.customer_id FROM prio.customers c WHERE c.source = 'bi8.accounts'::regclass)),
          0::bigint,
          'B2: tracked accounts, then their deals: each account''s history read by changed_at is one chain from its creation');
SELECT is(pg_temp.latest_not_state(ARRAY(SELECT c.customer_id FROM prio.customers c WHERE c.source = 'bi8.accounts'::regclass)),
          0::bigint,
          'B2: tracked accounts, then their deals: each account''s latest history row by changed_at is its tier and stage');

-- bad input: events prio ignores (NULL or infinite time, NULL or unknown
-- account, NULL kind) date nothing; a later live deal of a replayed
-- account adds a row at now, after the chain
INSERT INTO bi8.deals VALUES
    ('X1', 'Quiet', 'Won', NULL, '-infinity', 5),
    ('X2', NULL, 'Won', current_date - 400, current_date - 390, 5),
    ('X3', 'Nobody', 'Won', current_date - 400, current_date - 390, 5),
    ('X4', 'Quiet', 'Prospecting', NULL, NULL, NULL),
    ('X5', 'Acme', 'Won', current_date - 1, current_date, 70);
SELECT is((SELECT count(*) FROM prio.tier_history h JOIN prio.customers c USING (customer_id)
            WHERE c.source = 'bi8.accounts'::regclass AND (h.changed_at = '-infinity' OR h.changed_at < now() - interval '201 days')),
          0::bigint,
          'bad input: events prio ignores (NULL or infinite time, no or unknown account) date no history row');
SELECT is(pg_temp.chain_breaks(ARRAY(SELECT c.customer_id FROM prio.customers c WHERE c.source = 'bi8.accounts'::regclass)),
          0::bigint,
          'bad input: after ignored events and a live deal, each account''s history read by changed_at is still one chain');

------------------------------------------------------------------------
-- B3. a reload replays no past a second time
------------------------------------------------------------------------
CREATE TEMP TABLE bi8_ids AS
SELECT c.customer_id FROM prio.customers c WHERE c.source = 'bi8.accounts'::regclass
UNION ALL VALUES (98011::bigint), (98012);
CREATE TEMP TABLE bi8_past AS
SELECT h.* FROM prio.tier_history h JOIN bi8_ids USING (customer_id) WHERE h.changed_at < now();
CREATE TEMP TABLE bi8_deals AS SELECT * FROM bi8.deals;
TRUNCATE bi8.deals;
INSERT INTO bi8.deals SELECT * FROM bi8_deals;
CREATE TEMP TABLE bi8_acts AS SELECT customer_id, kind, at, amount FROM prio.activities WHERE customer_id IN (98011, 98012);
DELETE FROM prio.activities WHERE customer_id IN (98011, 98012);
INSERT INTO prio.activities (customer_id, kind, at, amount) SELECT * FROM bi8_acts;
SELECT is((SELECT count(*) FROM prio.tier_history h JOIN bi8_ids USING (customer_id)
            WHERE h.changed_at < now() AND h.customer_id < 0),
          (SELECT count(*) FROM bi8_past WHERE customer_id < 0),
          'B3: a tracked activities table truncated and loaded again adds no history row of the past');
SELECT is((SELECT count(*) FROM prio.tier_history h
            WHERE h.changed_at < now() AND h.customer_id IN (98011, 98012)),
          (SELECT count(*) FROM bi8_past WHERE customer_id IN (98011, 98012)),
          'B3: a customer''s activities deleted and inserted again add no history row of the past');
SELECT is(pg_temp.chain_breaks(ARRAY(SELECT customer_id FROM bi8_ids)), 0::bigint,
          'B3: after the reloads, each customer''s history read by changed_at is one chain');
SELECT is(pg_temp.latest_not_state(ARRAY(SELECT customer_id FROM bi8_ids)), 0::bigint,
          'B3: after the reloads, each customer''s latest history row by changed_at is its tier and stage');

------------------------------------------------------------------------
-- B4. reason() of no state row is NULL
------------------------------------------------------------------------
INSERT INTO prio.customers (customer_id, name, owner) VALUES (98021, 'no state row yet', 'hostile8');
DELETE FROM prio.customer_state WHERE customer_id = 98021;
SELECT is((SELECT prio.reason(s) FROM prio.customers c LEFT JOIN prio.customer_state s USING (customer_id)
            WHERE c.customer_id = 98021),
          NULL,
          'B4: prio.reason() of a customer LEFT JOINed to no state row is NULL');
-- bad input: as_of is checked as before
SELECT throws_ok($$SELECT prio.reason(NULL::prio.customer_state, NULL)$$, '22004', NULL,
                 'bad input: prio.reason() with a NULL as_of is refused with 22004, a NULL row too');
SELECT throws_ok($$SELECT prio.reason(s, 'infinity') FROM prio.customer_state s LIMIT 1$$, '22023', NULL,
                 'bad input: prio.reason() with an infinite as_of is refused with 22023');

SELECT * FROM finish();
ROLLBACK;
