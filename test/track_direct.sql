-- pgTAP: tracked activities read in C (events_direct() for an INSERT,
-- collector_direct() for recompute(); src/engine/tracked_rows.c) give what the
-- events query gives.  Each plain-mapped table has a twin mapped by an
-- expression ("what || ''"), which the query reads; the state per key must be
-- the same, live and after recompute().
--
-- Rules checked, each named in its assertions:
--   D1 numeric keys (1 = 1.00), numeric(12,3) amounts, a partitioned table with a
--      dropped column and a partition of another column order, an inheritance
--      parent (its child's rows are not its own), a mapped column added with a
--      default: the same state as the query's.
--   D2 a kind added or deleted by the INSERT's own statement (a CTE): the same.
--   D3 customers new or rekeyed earlier in the transaction: the same.
--   D4 the writer's settings (TimeZone, DateStyle, extra_float_digits,
--      standard_conforming_strings, array_nulls) change nothing and are left as
--      they were.
--   D5 a statement of 1,000 rows or more (sorted by a tuplesort, its keys looked
--      up through a hash), under a work_mem and a maintenance_work_mem so small
--      that the sort spills and the hash is emptied, with NULL and unknown customers, NULL amounts and ties,
--      all after the stored folds (so they continue them), and a toasted kind
--      longer than any kind: the same state as the query's.
--   D6 a key type without a hash (money): a large INSERT looks each key up
--      through the key map's index alone (it crashed the backend).
-- Runs inside one transaction and rolls back.
BEGIN;
SELECT plan(15);
SET LOCAL client_min_messages = warning;
CREATE SCHEMA rv;
CREATE FUNCTION pg_temp.by_key(t regclass) RETURNS TABLE (k text, v text) LANGUAGE sql AS $$
SELECT c.customer_key, concat_ws(',', s.first_at, s.last_at, s.last_inbound_at, s.last_outbound_at, s.last_purchase_at,
                                 s.frequency, s.monetary, round(s.intent::numeric, 9), s.stage, s.tier, s.next_planned_at,
                                 s.first_purchase_at, s.purchase_days, s.first_day_amount)
  FROM prio.customers c JOIN prio.customer_state s USING (customer_id) WHERE c.source = t $$;
CREATE FUNCTION pg_temp.diff(a regclass, b regclass) RETURNS bigint LANGUAGE sql AS $$
SELECT count(*) FROM pg_temp.by_key(a) x FULL JOIN pg_temp.by_key(b) y USING (k) WHERE x.v IS DISTINCT FROM y.v $$;

-- numeric keys (1 = 1.00), numeric(12,3) amounts, a partitioned table with a
-- dropped column and a partition of another column order, an inheritance
-- parent (its child's rows are not its own), a mapped column with a fast default
CREATE TABLE rv.c (id numeric PRIMARY KEY, name text);
CREATE TABLE rv.c2 (id numeric PRIMARY KEY, name text);
INSERT INTO rv.c SELECT i, 'n' || i FROM generate_series(1, 20) i;
INSERT INTO rv.c2 SELECT * FROM rv.c;
CREATE TABLE rv.p (junk int, acc numeric, what text, at timestamptz, amount numeric(12,3)) PARTITION BY LIST (what);
ALTER TABLE rv.p DROP COLUMN junk;
CREATE TABLE rv.p_a (amount numeric(12,3), at timestamptz, what text, acc numeric);
ALTER TABLE rv.p ATTACH PARTITION rv.p_a FOR VALUES IN ('purchase', 'email');
CREATE TABLE rv.p_b PARTITION OF rv.p DEFAULT;
CREATE TABLE rv.p2 (acc numeric, what text, at timestamptz, amount numeric(12,3));
CREATE TABLE rv.h (acc numeric, what text, at timestamptz, x int);
ALTER TABLE rv.h DROP COLUMN x;
INSERT INTO rv.h SELECT (1 + i % 20)::numeric(6,2), 'purchase', date_trunc('hour', now()) - (i || ' hours')::interval - interval '3 min' FROM generate_series(1, 40) i;
ALTER TABLE rv.h ADD COLUMN amount numeric DEFAULT 12.50;
CREATE TABLE rv.h_child () INHERITS (rv.h);
CREATE TABLE rv.h2 AS SELECT * FROM rv.h;
SELECT prio.track('rv.c', 'customers', '{"key": "id", "name": "name", "view": false}');
SELECT prio.track('rv.c2', 'customers', '{"key": "id", "name": "name", "view": false}');
SELECT prio.track('rv.p', 'activities', '{"customer": "acc", "kind": "what", "at": "at", "amount": "amount", "customers": "rv.c"}');
SELECT prio.track('rv.h', 'activities', '{"customer": "acc", "kind": "what", "at": "at", "amount": "amount", "customers": "rv.c"}');
SELECT prio.track('rv.p2', 'activities', '{"customer": "acc", "kind": "what || ''''", "at": "at", "amount": "amount", "customers": "rv.c2"}');
SELECT prio.track('rv.h2', 'activities', '{"customer": "acc", "kind": "what || ''''", "at": "at", "amount": "amount", "customers": "rv.c2"}');
CREATE PROCEDURE pg_temp.both(q text) LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE replace(replace(replace(q, 'PP', 'rv.p'), 'HH', 'rv.h'), 'CC', 'rv.c');
    EXECUTE replace(replace(replace(q, 'PP', 'rv.p2'), 'HH', 'rv.h2'), 'CC', 'rv.c2');
END $$;
CALL pg_temp.both($$INSERT INTO PP SELECT (1 + i % 20)::numeric(6,2), (ARRAY['purchase','email','reply','zzz'])[1 + i % 4],
                          date_trunc('hour', now()) - (i || ' hours')::interval, i * 1.5 FROM generate_series(1, 60) i$$);
CALL pg_temp.both($$INSERT INTO HH SELECT 1.000 + i % 20, 'purchase', date_trunc('hour', now()) - (i || ' hours')::interval - interval '5 min', 7 FROM generate_series(1, 30) i$$);
INSERT INTO rv.h_child SELECT 1 + i % 20, 'purchase', date_trunc('hour', now()) - (i || ' hours')::interval - interval '7 min', 99 FROM generate_series(1, 10) i;
SELECT is(pg_temp.diff('rv.c', 'rv.c2'), 0::bigint, 'D1 numeric keys, a partitioned table, an inheritance parent: the same state live as through the query');

-- kinds changed in the statement itself (a CTE), either way round
INSERT INTO prio.activity_kinds (kind, direction, is_purchase, intent_weight) VALUES ('rv_del1', 'inbound', true, 5), ('rv_del2', 'inbound', true, 5);
WITH k AS (INSERT INTO prio.activity_kinds (kind, direction, is_purchase, intent_weight) VALUES ('rv_new1', 'inbound', true, 5))
INSERT INTO rv.p VALUES (3, 'rv_new1', date_trunc('hour', now()) - interval '30 min', 10);
WITH k AS (INSERT INTO prio.activity_kinds (kind, direction, is_purchase, intent_weight) VALUES ('rv_new2', 'inbound', true, 5))
INSERT INTO rv.p2 VALUES (3, 'rv_new2', date_trunc('hour', now()) - interval '30 min', 10);
WITH x AS (INSERT INTO rv.p VALUES (4, 'rv_del1', date_trunc('hour', now()) - interval '30 min', 10))
DELETE FROM prio.activity_kinds WHERE kind = 'rv_del1';
WITH x AS (INSERT INTO rv.p2 VALUES (4, 'rv_del2', date_trunc('hour', now()) - interval '30 min', 10))
DELETE FROM prio.activity_kinds WHERE kind = 'rv_del2';
SELECT is(pg_temp.diff('rv.c', 'rv.c2'), 0::bigint, 'D2 a kind added or deleted by the INSERT''s own statement: the same state live');
SELECT is((SELECT count(*) FROM prio.tracked WHERE source::text LIKE 'rv.%' AND last_error IS NOT NULL), 0::bigint,
          'D2 ... and no error on either path');

-- a customer and then its activity in one transaction, keys changed in it
SAVEPOINT s;
CALL pg_temp.both($$INSERT INTO CC VALUES (100, 'new')$$);
CALL pg_temp.both($$INSERT INTO PP VALUES (100, 'purchase', date_trunc('hour', now()) - interval '20 min', 3)$$);
CALL pg_temp.both($$UPDATE CC SET id = 101 WHERE id = 5$$);
CALL pg_temp.both($$INSERT INTO PP VALUES (101, 'purchase', date_trunc('hour', now()) - interval '20 min', 4), (5, 'email', date_trunc('hour', now()) - interval '20 min', NULL)$$);
RELEASE SAVEPOINT s;
SELECT is(pg_temp.diff('rv.c', 'rv.c2'), 0::bigint, 'D3 customers new or rekeyed earlier in the transaction: the same state live');

SELECT is(prio.recompute(), 0, 'D1 recompute() (the plain tables read by collector_direct()) changes nothing');
SELECT is(pg_temp.diff('rv.c', 'rv.c2'), 0::bigint, 'D1 ... and the twins are still equal');

-- the same under a writer's unusual settings
SET LOCAL TimeZone = 'Pacific/Kiritimati';
SET LOCAL DateStyle = 'German, DMY';
SET LOCAL extra_float_digits = -15;
SET LOCAL standard_conforming_strings = off;
SET LOCAL array_nulls = off;
CALL pg_temp.both($$INSERT INTO PP VALUES (7, 'purchase', date_trunc('hour', now()) - interval '1 day 10 min', 3.25), (8, 'reply', date_trunc('hour', now()) - interval '10 min', NULL)$$);
CALL pg_temp.both($$INSERT INTO PP SELECT 9, 'purchase', date_trunc('day', now()) - (i || ' hours')::interval, i FROM generate_series(1, 30) i$$);
SELECT is(current_setting('TimeZone') || current_setting('array_nulls') || current_setting('standard_conforming_strings'),
          'Pacific/Kiritimatioffoff', 'D4 the writer''s settings are left as they were');
RESET TimeZone; RESET DateStyle; RESET extra_float_digits; RESET standard_conforming_strings; RESET array_nulls;
SELECT is(pg_temp.diff('rv.c', 'rv.c2'), 0::bigint, 'D4 INSERTs under other settings: the same state live');
SELECT is(prio.recompute(), 0, 'D4 ... and recompute() changes nothing');

-- a large statement: a tuplesort, a hash of keys; both overflow work_mem
SET LOCAL work_mem = '64kB';
SET LOCAL maintenance_work_mem = '1MB';
CALL pg_temp.both($$INSERT INTO PP
    SELECT CASE WHEN i % 50 = 0 THEN NULL WHEN i % 3 = 0 THEN 1000 + i ELSE 1 + i % 20 END,
           (ARRAY['purchase','email','reply','zzz','visit','call','inquiry'])[1 + i % 7],
           now() - interval '5 min' + (i % 300) * interval '1 ms',
           CASE WHEN i % 4 = 0 THEN NULL ELSE i % 7 END
      FROM generate_series(1, 45000) i$$);
RESET work_mem;
RESET maintenance_work_mem;
-- a kind longer than any kind can be (toasted; never looked up): no event
CALL pg_temp.both($$INSERT INTO PP VALUES (2, repeat('purchase', 50000), now() - interval '1 min', 5),
                                          (2, 'purchase', now() - interval '1 min', 6)$$);
SELECT is(pg_temp.diff('rv.c', 'rv.c2'), 0::bigint, 'D5 a large INSERT, spilling: the same state live as through the query');
SELECT is(prio.recompute(), 0, 'D5 ... and recompute() changes nothing');

-- a key of a type with a btree but no hash: no hash of keys, the index alone
CREATE TABLE rv.mc (id money PRIMARY KEY, name text);
CREATE TABLE rv.mc2 (id money PRIMARY KEY, name text);
INSERT INTO rv.mc SELECT i::money, 'm' || i FROM generate_series(1, 30) i;
INSERT INTO rv.mc2 SELECT * FROM rv.mc;
CREATE TABLE rv.me (acc money, what text, at timestamptz, amount numeric);
CREATE TABLE rv.me2 (LIKE rv.me);
SELECT prio.track('rv.mc', 'customers', '{"key": "id", "name": "name", "view": false}');
SELECT prio.track('rv.mc2', 'customers', '{"key": "id", "name": "name", "view": false}');
SELECT prio.track('rv.me', 'activities', '{"customer": "acc", "kind": "what", "at": "at", "amount": "amount", "customers": "rv.mc"}');
SELECT prio.track('rv.me2', 'activities', '{"customer": "acc", "kind": "what || ''''", "at": "at", "amount": "amount", "customers": "rv.mc2"}');
INSERT INTO rv.me SELECT (1 + i % 40)::money, (ARRAY['purchase','email','reply'])[1 + i % 3],
                         now() - interval '3 min' + (i % 100) * interval '1 ms', i % 9
                    FROM generate_series(1, 1500) i;
INSERT INTO rv.me2 SELECT * FROM rv.me;
SELECT is(pg_temp.diff('rv.mc', 'rv.mc2'), 0::bigint, 'D6 a money key (no hash), a large INSERT: the same state live as through the query');
SELECT is((SELECT count(*) FROM prio.tracked WHERE source::text LIKE 'rv.m%' AND last_error IS NOT NULL), 0::bigint,
          'D6 ... and no error');
SELECT prio.untrack('rv.me2');
SELECT prio.untrack('rv.me');
SELECT prio.untrack('rv.mc2');
SELECT prio.untrack('rv.mc');

SELECT prio.untrack('rv.h2');
SELECT prio.untrack('rv.h');
SELECT prio.untrack('rv.p2');
SELECT prio.untrack('rv.p');
SELECT is((SELECT count(*) FROM prio.sources s WHERE s.relid::text LIKE 'rv.%' AND s.role = 'activities'), 0::bigint, 'D1 untrack() of the activities tables');
SELECT prio.untrack('rv.c2');
SELECT prio.untrack('rv.c');
SELECT is((SELECT count(*) FROM prio.sources s WHERE s.relid::text LIKE 'rv.%'), 0::bigint, 'D1 untrack() of the customers tables');
SELECT * FROM finish();
ROLLBACK;
