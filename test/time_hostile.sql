-- pgTAP: prio through time, as a sales manager in Shanghai and a DBA whose
-- servers run in UTC try it (hostile round 10).  The rules, each asserted below:
--   H1  refresh(as_of) in the past of a customer's facts never counts an
--       event above its weight: intent_at is the newest folded event, and
--       taking its decay back made one email_open (0.5) one hour ago worth
--       9.8 at refresh(now() - 60 days), tier C "decayed intent >= 3".
--   H2  a tracked activities table whose "at" is a timestamp without time
--       zone column: a live write reaches prio, the time read as UTC
--       whatever the writer's TimeZone (before: every INSERT was a WARNING
--       "column 2 of the events query ... is of type timestamp without time
--       zone", SQLSTATE XX000, and prio never saw the event).
--   H3  the same for a date column mapped as "at" (midnight UTC).
--   H4  the same for an integer amount column and a varchar kind column
--       (column 5 integer, column 4 character varying: every write missed).
--   H5  a table tracked before that fix (its events query uncast) is
--       skipped by recompute() with a WARNING and last_error; before, an
--       integer amount read as numeric crashed the server (signal 11).
-- Then a labelled block of bad time arguments: each refused with its own
-- SQLSTATE, never XX000.
-- Customers 99101.. and schema th_app; times relative to now(); rolled back.
BEGIN;
SELECT plan(16);

CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'ok'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END$$;

------------------------------------------------------------------------
-- H1. refresh(as_of) in the past: no event counts above its weight
------------------------------------------------------------------------
INSERT INTO prio.customers (customer_id, name, owner, created_at) VALUES
    (99101, 'one email open', 'th', now() - interval '200 days');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (99101, 'email_open', now() - interval '1 hour');
SELECT prio.refresh(now() - interval '60 days') IS NOT NULL AS refreshed;
SELECT is((SELECT (tier, intent_high) FROM prio.customer_state WHERE customer_id = 99101),
          ROW('D'::text, false),
          'H1: refresh(as_of) 60 days back leaves a customer whose only event weighs 0.5 at intent low, tier D (its decay is not taken back above its weight)');
SELECT prio.refresh() IS NOT NULL AS refreshed;
SELECT is((SELECT count(*) FROM prio.tier_history WHERE customer_id = 99101 AND reason LIKE 'refresh:%'),
          0::bigint, 'H1: neither refresh wrote a tier change for it');

------------------------------------------------------------------------
-- H2-H4. a tracked table's own column types, written from Shanghai
------------------------------------------------------------------------
CREATE SCHEMA th_app;
CREATE TABLE th_app.accounts (code text PRIMARY KEY, title text, rep varchar(40));
CREATE TABLE th_app.touches (id serial PRIMARY KEY, code text, kind varchar(20), ts timestamp, amount integer);
CREATE TABLE th_app.orders (id serial PRIMARY KEY, code text, kind text, d date);
CREATE INDEX ON th_app.touches (code);
CREATE INDEX ON th_app.orders (code);
INSERT INTO th_app.accounts VALUES ('SH1', 'Shanghai One', 'li'), ('SH2', 'Shanghai Two', 'li');
SELECT prio.track('th_app.accounts', 'customers', '{"key": "code", "name": "title", "owner": "rep", "view": false}');
SELECT prio.track('th_app.touches', 'activities', '{"customer": "code", "kind": "kind", "at": "ts", "amount": "amount"}');
SELECT prio.track('th_app.orders', 'activities', '{"customer": "code", "kind": "kind", "at": "d"}');
CREATE FUNCTION pg_temp.state(key text) RETURNS prio.customer_state LANGUAGE sql AS
$$ SELECT s.* FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
    WHERE c.customer_key = key AND c.source = 'th_app.accounts'::regclass $$;

SET LOCAL TimeZone = 'Asia/Shanghai';
-- the writer's local wall clock time 2 hours ago, as a Shanghai app writes it
INSERT INTO th_app.touches (code, kind, ts) VALUES ('SH1', 'inquiry', (now() AT TIME ZONE 'UTC') - interval '2 hours');
SELECT is((pg_temp.state('SH1')).last_at, now() - interval '2 hours',
          'H2: an INSERT into a tracked table whose "at" is a timestamp column reaches prio, the time read as UTC');
SELECT is((SELECT last_error FROM prio.tracked WHERE source = 'th_app.touches'::regclass), NULL,
          'H2: and leaves no last_error');
SET LOCAL TimeZone = 'Europe/Berlin';
INSERT INTO th_app.touches (code, kind, ts) VALUES ('SH2', 'inquiry', (now() AT TIME ZONE 'UTC') - interval '2 hours');
SELECT is((pg_temp.state('SH2')).last_at, (pg_temp.state('SH1')).last_at,
          'H2: the same timestamp written from Berlin is the same event as from Shanghai');
SET LOCAL TimeZone = 'Asia/Shanghai';
-- H4: an integer amount and a varchar kind
INSERT INTO th_app.touches (code, kind, ts, amount) VALUES ('SH1', 'purchase', (now() AT TIME ZONE 'UTC') - interval '1 hour', 250);
SELECT is(((pg_temp.state('SH1')).frequency, (pg_temp.state('SH1')).monetary), (1::bigint, 250::numeric),
          'H4: a purchase with an integer amount and a varchar kind reaches prio: frequency 1, monetary 250');
-- H3: a date, midnight UTC (yesterday's UTC date: never a planned touch)
INSERT INTO th_app.orders (code, kind, d) VALUES ('SH2', 'purchase', (now() AT TIME ZONE 'UTC')::date - 1);
SELECT is((pg_temp.state('SH2')).last_purchase_at,
          ((now() AT TIME ZONE 'UTC')::date - 1)::timestamp AT TIME ZONE 'UTC',
          'H3: an INSERT into a tracked table whose "at" is a date column reaches prio, at midnight UTC');
SELECT is((SELECT count(*) FROM prio.tracked WHERE source::text LIKE 'th_app.%' AND last_error IS NOT NULL),
          0::bigint, 'H2-H4: no tracked table of the application has a last_error');
SELECT is(prio.recompute(), 0, 'H2-H4: the live state equals a rebuild (recompute() changes nothing)');
RESET TimeZone;

-- H5: a table tracked before the fix keeps its events query (the integer
-- amount uncast): recompute() of everyone skips it with a WARNING and its
-- last_error, as any unreadable table, instead of crashing the server
UPDATE prio.sources
   SET compiled = jsonb_set(compiled, '{EVENTS}',
                            to_jsonb(replace(compiled ->> 'EVENTS', '((amount)::numeric)', '(amount)')))
 WHERE relid = 'th_app.touches'::regclass;
UPDATE prio.sources SET signature = prio._track_signature(relid, compiled)
 WHERE relid = 'th_app.touches'::regclass;
SELECT is(pg_temp.sqlstate_of($$SELECT prio.recompute()$$), 'ok',
          'H5: recompute() with a tracked table whose events query gives an integer amount does not fail (nor crash)');
SELECT matches((SELECT last_error FROM prio.tracked WHERE source = 'th_app.touches'::regclass),
               'column 5 of type integer, not numeric',
               'H5: the table is skipped, its last_error names the column and its type');

------------------------------------------------------------------------
-- Bad input: time arguments refused with their own SQLSTATE, never XX000
------------------------------------------------------------------------
SELECT is(pg_temp.sqlstate_of($$SELECT prio.refresh('-infinity')$$), '22023', 'bad input: refresh(-infinity) is 22023');
SELECT is(pg_temp.sqlstate_of($$SELECT prio.refresh(now() + interval '11 years')$$), '22023',
          'bad input: refresh() more than 10 years ahead is 22023');
SELECT is(pg_temp.sqlstate_of($$SELECT prio.reason(s, 'infinity') FROM prio.customer_state s LIMIT 1$$), '22023',
          'bad input: reason() at +infinity is 22023');
SELECT is(pg_temp.sqlstate_of($$SELECT prio.reactivation_reason('silent', now(), 0, 0, NULL, now(), NULL)$$), '22004',
          'bad input: reactivation_reason() at a NULL as_of is 22004');
SELECT is(pg_temp.sqlstate_of($$INSERT INTO prio.activities (customer_id, kind, at) VALUES (99101, 'call', now() + interval '2 days')$$),
          '22008', 'bad input: prio.activities refuses a row more than a day ahead with 22008');

SELECT * FROM finish();
ROLLBACK;
