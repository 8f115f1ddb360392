-- pgTAP: a tracked partitioned table follows rows written straight into a
-- partition (0.5).  A statement naming a partition fires the partition's
-- statement triggers, not its parent's: prio.track() puts prio's triggers on
-- every partition too, each reading its own transition tables (a partition's
-- column numbers may differ from the parent's).
--
-- Rules checked, each named in its assertions:
--   P1 prio's four statement triggers are on the tracked table and on each of
--      its partitions, at every level (a sub-partitioned partition included).
--   P2 an INSERT or a COPY naming a partition of an activities table is folded:
--      the live state equals prio.recompute(), mapped by plain columns (read in
--      C) or by an expression (the events query), into partitions whose column
--      numbers differ from the parent's (another column order, a dropped column).
--   P3 a write through the parent is folded once, not again by a partition.
--   P4 an UPDATE (rows moved between customers) and a DELETE naming a partition
--      are folded.
--   P5 a TRUNCATE of a partition refolds the customers; a TRUNCATE of the
--      partitioned table is folded once for all its partitions (whose
--      TRUNCATE triggers fire too).
--   P6 a customers table: an INSERT, UPDATE, DELETE naming a partition keep the
--      mirror equal to the table; a TRUNCATE of one partition removes that
--      partition's customers only.
--   P9 a partition created later (CREATE TABLE ... PARTITION OF) gets prio's
--      triggers.
--   P10 a DETACH PARTITION of a partition with rows refolds the table; the
--      detached table is left without prio's triggers, its rows not counted.
--   P11 an ATTACH PARTITION of a table holding rows (other column numbers)
--      refolds it, and its triggers follow its writes.
--   P12 a DROP TABLE of a partition with rows (or a DROP SCHEMA ... CASCADE
--      of its schema) refolds the table.
--   P13 customers partitions detached, attached with rows (their activities
--      tracked already), dropped: the mirror equals the table.
--   P14 a DDL never fails for prio's sake: an ATTACH of a table holding a
--      row the mapping fails on (a deal prio cannot mirror) goes through,
--      noted in last_error.
--   P15 a tracked table without prio's own triggers (a restore in sections:
--      its post-data, before the dump's CREATE TRIGGER) is left alone by
--      prio.track_ddl(): an ALTER TABLE ... ADD CONSTRAINT of it creates no
--      trigger, so the dump's CREATE TRIGGER of each go through.
--   P16 a deals table: prio's four triggers are on it and on each of its
--      partitions.
--   P17 an INSERT, a COPY, an UPDATE, a DELETE naming a deals partition (one
--      of other column numbers too) are mirrored: prio.deals equals the
--      table, the deal facts equal prio.recompute()'s.
--   P18 a TRUNCATE of a deals partition removes its deals only; a TRUNCATE
--      of the partitioned deals table removes them all.
--   P19 deals partitions created later, detached, attached with rows,
--      dropped (with their schema too): prio.deals equals the table.
--   P20 an INSERT into a customers partition gets its customers' tracked
--      deals; a customers partition attached with rows too.
--   P21 a TRUNCATE, DROP TABLE or DETACH of a deals partition removes its
--      deals while another partition holds a row prio cannot mirror (the
--      table is not mirrored again whole: the deals of rows gone are
--      removed all the same, as recompute() removes them).
--   P22 mirroring a deals table again (a partition's TRUNCATE, DETACH or
--      DROP, a customers partition's; recompute()) finds the deals of rows
--      gone by an anti join: time linear in the table, not quadratic.
--   P24 an UPDATE or a DELETE of a deals table finds the mirrors to remove
--      by set operations and a join, not each deal against every row's key.
--   P25 the deal facts read a customer's deals by customer only, not
--      through the index of every deal of each stage (quadratic).
--   P23 a DROP or DETACH of a customers partition first makes
--      prio.customer_state's statistics true when they say it is nearly
--      empty (vacuumed while empty): each customer removed deletes its state
--      row by its key, not by a whole scan of another index (quadratic).
--   P7 untrack() removes prio's triggers from the partitions too; the
--      application's tables keep their own.
--   P8 bad input: a partition itself is not tracked (42809), nor untracked
--      (42704), while its partitioned table is.
-- Runs inside one transaction and rolls back.
BEGIN;
SELECT plan(86);
SET LOCAL client_min_messages = warning;
\ir lib/rebuild_check.psql
CREATE SCHEMA pt;
-- customers partitioned by key; activities by month, one partition built
-- otherwise (columns in another order, a dropped one) and attached, one
-- partitioned again; a twin activities table mapped by an expression
CREATE TABLE pt.c (id bigint, name text, PRIMARY KEY (id)) PARTITION BY RANGE (id);
CREATE TABLE pt.c_lo PARTITION OF pt.c FOR VALUES FROM (MINVALUE) TO (100);
CREATE TABLE pt.c_hi PARTITION OF pt.c FOR VALUES FROM (100) TO (MAXVALUE);
INSERT INTO pt.c SELECT i, 'n' || i FROM generate_series(1, 10) i;
INSERT INTO pt.c SELECT i, 'n' || i FROM generate_series(101, 110) i;
CREATE TABLE pt.a (junk int, cust bigint, what text, at timestamptz, amount numeric) PARTITION BY RANGE (at);
ALTER TABLE pt.a DROP COLUMN junk;
CREATE INDEX ON pt.a (cust);
CREATE TABLE pt.a_old (amount numeric, x int, at timestamptz, what text, cust bigint);
ALTER TABLE pt.a_old DROP COLUMN x;
ALTER TABLE pt.a ATTACH PARTITION pt.a_old FOR VALUES FROM (MINVALUE) TO ('2026-01-01');
CREATE TABLE pt.a_new PARTITION OF pt.a FOR VALUES FROM ('2026-01-01') TO (MAXVALUE) PARTITION BY LIST (what);
CREATE TABLE pt.a_new_buy PARTITION OF pt.a_new FOR VALUES IN ('purchase');
CREATE TABLE pt.a_new_other PARTITION OF pt.a_new DEFAULT;
CREATE TABLE pt.e (what text, cust bigint, at timestamptz) PARTITION BY LIST (what);
CREATE TABLE pt.e_mail (at timestamptz, y int, cust bigint, what text);
ALTER TABLE pt.e_mail DROP COLUMN y;
ALTER TABLE pt.e ATTACH PARTITION pt.e_mail FOR VALUES IN ('email');
CREATE TABLE pt.e_rest PARTITION OF pt.e DEFAULT;
-- the mirror of a customers table as prio has it, against the table
CREATE FUNCTION pg_temp.mirror_diff() RETURNS bigint LANGUAGE sql AS $$
SELECT count(*) FROM (SELECT c.customer_key, c.name FROM prio.customers c WHERE c.source = 'pt.c'::regclass) p
  FULL JOIN (SELECT id::text AS customer_key, name FROM pt.c) t USING (customer_key)
 WHERE p.name IS DISTINCT FROM t.name $$;
-- a customer's frequency, by key
CREATE FUNCTION pg_temp.freq(k bigint) RETURNS bigint LANGUAGE sql AS $$
SELECT s.frequency::bigint FROM prio.customers c JOIN prio.customer_state s USING (customer_id)
 WHERE c.source = 'pt.c'::regclass AND c.customer_key = k::text $$;

-- an application's own trigger, which untrack() must leave
CREATE FUNCTION pt.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER app_own AFTER INSERT ON pt.a_old FOR EACH STATEMENT EXECUTE FUNCTION pt.noop();
INSERT INTO pt.a SELECT 1 + i % 10, (ARRAY['purchase', 'email', 'reply'])[1 + i % 3],
                        timestamptz '2025-12-20' + i * interval '1 day', i FROM generate_series(1, 30) i;
SELECT prio.track('pt.c', 'customers', '{"key": "id", "name": "name", "view": false}');
SELECT prio.track('pt.a', 'activities', '{"customer": "cust", "kind": "what", "at": "at", "amount": "amount", "customers": "pt.c"}');
SELECT prio.track('pt.e', 'activities', '{"customer": "cust", "kind": "what || ''''", "at": "at", "customers": "pt.c"}');
CREATE TEMP TABLE app_triggers AS
SELECT tgrelid::regclass::text AS rel, tgname FROM pg_trigger
 WHERE tgrelid IN (SELECT relid FROM pg_partition_tree('pt.a') UNION ALL SELECT relid FROM pg_partition_tree('pt.c')
                   UNION ALL SELECT relid FROM pg_partition_tree('pt.e') UNION ALL SELECT 'pt.a_old'::regclass)
   AND tgname NOT LIKE 'prio\_%' AND NOT tgisinternal;

SELECT is((SELECT count(*) FROM pg_partition_tree('pt.a') t
            WHERE (SELECT count(*) FROM pg_trigger g WHERE g.tgrelid = t.relid AND g.tgname LIKE 'prio\_%'
                      AND g.tgfoid = 'prio.source_changed()'::regprocedure) = 4),
          5::bigint, 'P1 prio''s four triggers on the activities table and each of its partitions, sub-partitions too');
SELECT is((SELECT count(*) FROM pg_partition_tree('pt.c') t
            WHERE (SELECT count(*) FROM pg_trigger g WHERE g.tgrelid = t.relid AND g.tgname LIKE 'prio\_%') = 4),
          3::bigint, 'P1 and on the customers table and each of its partitions');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P1 tracked: the live state is recompute()''s');

-- straight into partitions: the attached one (other column numbers), a
-- sub-partition, COPY; the first INSERT through the parent (what prio looks
-- up of the table for it must not be taken for a partition's)
INSERT INTO pt.a VALUES (1, 'email', '2026-05-01', NULL);
INSERT INTO pt.a_old (cust, what, at, amount) VALUES (2, 'purchase', '2025-12-01', 40), (3, 'reply', '2025-12-02', NULL);
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P2 an INSERT into a partition of other column numbers is folded (read in C)');
INSERT INTO pt.a_new_buy VALUES (4, 'purchase', '2026-02-01', 70);
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P2 an INSERT into a sub-partition is folded');
COPY pt.a_new_other (at, what, cust) FROM stdin;
2026-03-01 10:00:00+00	email	5
2026-03-02 10:00:00+00	reply	6
\.
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P2 a COPY into a partition is folded');
INSERT INTO pt.e_mail (cust, what, at) SELECT 1 + i % 10, 'email', timestamptz '2026-01-10' + i * interval '1 hour' FROM generate_series(1, 20) i;
INSERT INTO pt.e_rest VALUES ('reply', 7, '2026-01-11');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P2 an INSERT into a partition mapped by an expression (the events query) is folded');
-- a large one (a tuplesort, the keys through a hash)
INSERT INTO pt.a_old (cust, what, at, amount) SELECT 1 + i % 10, 'purchase', timestamptz '2025-06-01' + i * interval '1 min', 1
  FROM generate_series(1, 1200) i;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P2 a large INSERT into a partition of other column numbers is folded');

-- once, through the parent or the partition
CREATE TEMP TABLE f0 AS SELECT pg_temp.freq(8) AS f;
INSERT INTO pt.a VALUES (8, 'purchase', '2026-04-01', 5);
SELECT is(pg_temp.freq(8), (SELECT f + 1 FROM f0), 'P3 an INSERT through the parent is folded once');
INSERT INTO pt.a_new_buy VALUES (8, 'purchase', '2026-04-02', 5);
SELECT is(pg_temp.freq(8), (SELECT f + 2 FROM f0), 'P3 an INSERT into a partition is folded once');

UPDATE pt.a_old SET cust = 9 WHERE cust = 2 AND what = 'purchase' AND at < '2025-06-01 02:00';
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P4 an UPDATE of a partition moving rows between customers is folded');
UPDATE pt.e_mail SET cust = 10 WHERE cust = 1;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P4 an UPDATE of a partition mapped by an expression is folded');
DELETE FROM pt.a_new_other WHERE cust = 5;
DELETE FROM pt.a_old WHERE cust = 3 AND amount = 1;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P4 a DELETE naming a partition is folded');

TRUNCATE pt.a_new_buy;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P5 a TRUNCATE of a partition refolds its customers');
TRUNCATE pt.e_mail;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P5 a TRUNCATE of a partition of the expression-mapped table too');
-- the partitioned table: one refold for the statement (its partitions'
-- TRUNCATE triggers fire too)
INSERT INTO pt.e VALUES ('email', 2, '2026-01-12'), ('reply', 3, '2026-01-12');
SET LOCAL track_functions = 'all';
CREATE TEMP TABLE r0 AS SELECT COALESCE((SELECT calls FROM pg_stat_xact_user_functions WHERE funcid = 'prio.rebuild'::regproc), 0) AS n;
TRUNCATE pt.e;
SELECT is((SELECT calls FROM pg_stat_xact_user_functions WHERE funcid = 'prio.rebuild'::regproc) - (SELECT n FROM r0), 1::bigint,
          'P5 a TRUNCATE of the partitioned table refolds once, not again for each partition');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P5 a TRUNCATE of the partitioned table is folded');

-- customers: straight into their partitions
INSERT INTO pt.c_hi VALUES (111, 'n111');
INSERT INTO pt.a_old (cust, what, at, amount) VALUES (111, 'purchase', '2025-11-01', 3);
SELECT is(pg_temp.mirror_diff(), 0::bigint, 'P6 an INSERT into a customers partition is mirrored');
SELECT is(pg_temp.freq(111), 1::bigint, 'P6 and its activities are folded');
UPDATE pt.c_lo SET name = 'renamed' WHERE id = 3;
DELETE FROM pt.c_hi WHERE id = 105;
SELECT is(pg_temp.mirror_diff(), 0::bigint, 'P6 an UPDATE and a DELETE naming a customers partition are mirrored');
TRUNCATE pt.c_hi;
SELECT is(pg_temp.mirror_diff(), 0::bigint, 'P6 a TRUNCATE of a customers partition removes its customers only');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P6 the customers left keep their state');
-- a key column whose name is quoted
CREATE TABLE pt.q ("Key No" text PRIMARY KEY, name text) PARTITION BY LIST ("Key No");
CREATE TABLE pt.q_a PARTITION OF pt.q FOR VALUES IN ('a1', 'a2');
CREATE TABLE pt.q_rest PARTITION OF pt.q DEFAULT;
INSERT INTO pt.q VALUES ('a1', 'x'), ('a2', 'y'), ('b1', 'z');
SELECT prio.track('pt.q', 'customers', '{"key": "\"Key No\"", "name": "name", "view": false}');
TRUNCATE pt.q_a;
SELECT is((SELECT string_agg(customer_key, ',' ORDER BY customer_key) FROM prio.customers WHERE source = 'pt.q'::regclass), 'b1',
          'P6 a TRUNCATE of a partition of a customers table keyed by a quoted column removes its customers only');
SELECT prio.untrack('pt.q');

-- partition maintenance: created later, detached, attached with rows, dropped
CREATE TABLE pt.a_call PARTITION OF pt.a_new FOR VALUES IN ('call');
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgrelid = 'pt.a_call'::regclass AND tgname LIKE 'prio\_%'), 4::bigint,
          'P9 a partition created later gets prio''s triggers, under a sub-partition too');
INSERT INTO pt.a_call VALUES (4, 'call', '2026-06-01', NULL);
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P9 and a write into it is folded');
ALTER TABLE pt.a DETACH PARTITION pt.a_old;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P10 a DETACH of a partition with rows is folded');
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgrelid = 'pt.a_old'::regclass AND tgname LIKE 'prio\_%'), 0::bigint,
          'P10 and the detached table is left without prio''s triggers');
INSERT INTO pt.a_old (cust, what, at) VALUES (6, 'purchase', '2025-01-01');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P10 a write into the detached table is not the tracked table''s');
CREATE TABLE pt.a_2024 (x int, amount numeric, at timestamptz, what text, cust bigint);
ALTER TABLE pt.a_2024 DROP COLUMN x;
INSERT INTO pt.a_2024 SELECT 1, timestamptz '2024-06-01' + i * interval '1 day', 'purchase', 1 + i % 4 FROM generate_series(1, 8) i;
ALTER TABLE pt.a ATTACH PARTITION pt.a_2024 FOR VALUES FROM (MINVALUE) TO ('2026-01-01');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P11 an ATTACH of a table holding rows is folded');
INSERT INTO pt.a_2024 (cust, what, at) VALUES (7, 'purchase', '2025-02-01');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P11 and a write into the attached partition is folded');
INSERT INTO pt.a VALUES (9, 'purchase', '2026-02-01', 70);
DROP TABLE pt.a_new_buy;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P12 a DROP TABLE of a partition with rows is folded');
CREATE SCHEMA pt_archive;
CREATE TABLE pt_archive.a_meeting PARTITION OF pt.a_new FOR VALUES IN ('meeting');
INSERT INTO pt.a VALUES (5, 'meeting', '2026-03-01', NULL), (6, 'meeting', '2026-03-02', NULL);
DROP SCHEMA pt_archive CASCADE;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P12 a partition dropped with its schema is folded');
-- customers: a partition detached, a table of customers attached (an activity of theirs tracked already)
ALTER TABLE pt.c DETACH PARTITION pt.c_hi;
SELECT is(pg_temp.mirror_diff(), 0::bigint, 'P13 a DETACH of a customers partition removes its customers');
CREATE TABLE pt.c_mid (name text, id bigint NOT NULL);
INSERT INTO pt.c_mid VALUES ('m201', 201), ('m202', 202);
INSERT INTO pt.a_2024 (cust, what, at, amount) VALUES (201, 'purchase', '2025-03-01', 9);
ALTER TABLE pt.c ATTACH PARTITION pt.c_mid FOR VALUES FROM (200) TO (300);
SELECT is(pg_temp.mirror_diff(), 0::bigint, 'P13 an ATTACH of a customers table holding rows mirrors them');
SELECT is(pg_temp.freq(201), 1::bigint, 'P13 and folds their activities');
-- (customer_state's statistics as a VACUUM while it was empty left them)
UPDATE pg_class SET reltuples = 0 WHERE oid = 'prio.customer_state'::regclass;
DROP TABLE pt.c_lo;
SELECT cmp_ok((SELECT reltuples FROM pg_class WHERE oid = 'prio.customer_state'::regclass), '>', 0::real,
              'P23 a customers partition dropped (detached) makes customer_state''s statistics true before its customers go');
SELECT is(pg_temp.mirror_diff(), 0::bigint, 'P13 a DROP TABLE of a customers partition removes its customers');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P13 the state is recompute()''s after them all');

-- a partition's change that prio cannot follow: the DDL goes through
CREATE TABLE pt.f (cust bigint, what text, epoch text) PARTITION BY LIST (what);
CREATE TABLE pt.f_rest PARTITION OF pt.f DEFAULT;
SELECT prio.track('pt.f', 'activities', '{"customer": "cust", "kind": "what", "at": "to_timestamp(epoch::float8)", "customers": "pt.c"}');
CREATE TABLE pt.f_bad (cust bigint, what text, epoch text);
INSERT INTO pt.f_bad VALUES (1, 'call', 'not a number');
SET LOCAL client_min_messages = error;
SELECT lives_ok($$ALTER TABLE pt.f DETACH PARTITION pt.f_rest$$, 'P14 a DETACH goes through');
SELECT lives_ok($$ALTER TABLE pt.f ATTACH PARTITION pt.f_bad FOR VALUES IN ('call')$$,
                'P14 an ATTACH of a table holding a row the mapping fails on goes through');
SET LOCAL client_min_messages = warning;
SELECT isnt((SELECT last_error FROM prio.tracked WHERE source = 'pt.f'::regclass), NULL,
            'P14 and what prio could not follow is noted in prio.tracked.last_error');
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgrelid = 'pt.f_bad'::regclass AND tgname LIKE 'prio\_%'), 4::bigint,
          'P14 the attached partition has prio''s triggers all the same');
SELECT prio.untrack('pt.f');

-- a restore in sections (pg_restore --section=post-data, in a session of
-- its own, not in restore mode): the constraints come before the triggers
CREATE TABLE pt.r (id bigint PRIMARY KEY, name text) PARTITION BY RANGE (id);
CREATE TABLE pt.r_lo PARTITION OF pt.r FOR VALUES FROM (MINVALUE) TO (100);
CREATE TABLE pt.r_hi PARTITION OF pt.r FOR VALUES FROM (100) TO (MAXVALUE);
INSERT INTO pt.r VALUES (1, 'one'), (101, 'hundred and one');
SELECT prio.track('pt.r', 'customers', '{"key": "id", "name": "name", "view": false}');
CREATE TEMP TABLE r_triggers AS
SELECT tgrelid, tgname, pg_get_triggerdef(oid) AS def FROM pg_trigger
 WHERE tgrelid IN (SELECT relid FROM pg_partition_tree('pt.r')) AND tgname LIKE 'prio\_%';
SELECT format('DROP TRIGGER %I ON %s', tgname, tgrelid::regclass) FROM r_triggers \gexec
ALTER TABLE pt.r ADD CONSTRAINT r_name CHECK (name <> '');
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgrelid IN (SELECT relid FROM pg_partition_tree('pt.r')) AND tgname LIKE 'prio\_%'),
          0::bigint, 'P15 an ALTER TABLE of a tracked table without prio''s triggers (a restore''s post-data) creates none');
SELECT lives_ok(format('DO $d$ BEGIN %s; END $d$', (SELECT string_agg(def, '; ' ORDER BY tgrelid, tgname) FROM r_triggers)),
                'P15 so the dump''s CREATE TRIGGER of the table and of its partitions go through');
INSERT INTO pt.r_hi VALUES (102, 'hundred and two');
SELECT is((SELECT string_agg(customer_key, ',' ORDER BY customer_key) FROM prio.customers WHERE source = 'pt.r'::regclass),
          '1,101,102', 'P15 and the restored triggers follow a partition''s writes');
SELECT prio.untrack('pt.r');

-- deals (0.5): a partitioned deals table, its customers a partitioned
-- customers table's; one partition of other column numbers
CREATE TABLE pt.k (id bigint PRIMARY KEY, name text) PARTITION BY RANGE (id);
CREATE TABLE pt.k_1 PARTITION OF pt.k FOR VALUES FROM (1) TO (100);
INSERT INTO pt.k SELECT i, 'k' || i FROM generate_series(1, 9) i;
CREATE TABLE pt.d (id bigint PRIMARY KEY, acct bigint, stage text, amount numeric) PARTITION BY RANGE (id);
CREATE INDEX ON pt.d (acct);
CREATE TABLE pt.d_lo PARTITION OF pt.d FOR VALUES FROM (MINVALUE) TO (1000);
CREATE TABLE pt.d_hi (amount numeric, x int, stage text, acct bigint, id bigint NOT NULL);
ALTER TABLE pt.d_hi DROP COLUMN x;
ALTER TABLE pt.d ATTACH PARTITION pt.d_hi FOR VALUES FROM (1000) TO (5000);
INSERT INTO pt.d SELECT i * 500, 1 + i % 9, (ARRAY['first_contact', 'quote', 'won'])[1 + i % 3], i * 10 FROM generate_series(1, 6) i;
SELECT prio.track('pt.k', 'customers', '{"key": "id", "name": "name", "view": false}');
SELECT prio.track('pt.d', 'deals', '{"key": "id", "customer": "acct", "stage": "stage", "amount": "amount", "customers": "pt.k"}');
-- the deals prio mirrors of pt.d, against the table's (of its customers in pt.k)
CREATE FUNCTION pg_temp.deals_diff() RETURNS bigint LANGUAGE sql AS $$
SELECT count(*) FROM (SELECT d.deal_key, d.customer_id, d.stage, d.amount FROM prio.deals d WHERE d.source = 'pt.d'::regclass) p
  FULL JOIN (SELECT t.id::text AS deal_key, c.customer_id, t.stage, COALESCE(t.amount, 0) AS amount
               FROM pt.d t JOIN prio.customers c ON c.source = 'pt.k'::regclass AND c.customer_key = t.acct::text) t
       USING (deal_key)
 WHERE (p.customer_id, p.stage, p.amount) IS DISTINCT FROM (t.customer_id, t.stage, t.amount) $$;
SELECT is((SELECT count(*) FROM pg_partition_tree('pt.d') t
            WHERE (SELECT count(*) FROM pg_trigger g WHERE g.tgrelid = t.relid AND g.tgname LIKE 'prio\_%'
                      AND g.tgfoid = 'prio.source_changed()'::regprocedure) = 4),
          3::bigint, 'P16 prio''s four triggers on a deals table and each of its partitions');
-- the re-mirroring's removal of the deals of rows gone (a partition's
-- TRUNCATE, DETACH or DROP; recompute()) as planned for this table
CREATE FUNCTION pg_temp.load_plan() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    p json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || (SELECT compiled->'LOAD'->>0 FROM prio.sources WHERE relid = 'pt.d'::regclass) INTO p;
    RETURN p::text;
END
$$;
SELECT matches(pg_temp.load_plan(), '"Join Type": "Anti"',
               'P22 mirroring a deals table again finds the deals of rows gone by a join, not each deal against every row''s key');
-- its UPDATE's and DELETE's removal of mirrors (their transition tables
-- cannot be planned here): no array of every row's key
SELECT doesnt_match((SELECT compiled->>'UPDATE' FROM prio.sources WHERE relid = 'pt.d'::regclass), '(ANY|ALL) \(ARRAY',
                    'P24 an UPDATE of a deals table finds the mirrors of keys gone by set operations and a join, not each deal against every row''s key');
SELECT doesnt_match((SELECT compiled->>'DELETE' FROM prio.sources WHERE relid = 'pt.d'::regclass), '(ANY|ALL) \(ARRAY',
                    'P24 a DELETE of a deals table finds the mirrors of its rows by a join, not each deal against every row''s key');
-- the deal facts (after track(), every write): a customer's deals found by
-- customer_id alone, not ANDed with every deal of each stage (no index on
-- stage can serve their join with deal_stages)
SELECT doesnt_match(pg_get_functiondef('prio._deal_facts(bigint[])'::regprocedure), 'OPERATOR\(pg_catalog\.=\) d\.stage',
                    'P25 the deal facts find a customer''s deals by customer, not by the index of every deal of a stage');

INSERT INTO pt.d_hi (id, acct, stage, amount) VALUES (4000, 1, 'negotiation', 900);
SELECT is(pg_temp.deals_diff(), 0::bigint, 'P17 an INSERT into a deals partition of other column numbers is mirrored');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P17 and its deal facts are recompute()''s');
COPY pt.d_lo (id, acct, stage, amount) FROM stdin;
10	2	quote	50
11	3	signing	70
\.
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P17 a COPY into a deals partition is mirrored');
UPDATE pt.d_lo SET stage = 'won' WHERE id = 10;
UPDATE pt.d_hi SET acct = 4, amount = 1000 WHERE id = 4000;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P17 an UPDATE naming a deals partition (a deal given to another customer) is mirrored');
DELETE FROM pt.d_hi WHERE id = 1500;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P17 a DELETE naming a deals partition is mirrored');

TRUNCATE pt.d_lo;
SELECT is(pg_temp.deals_diff(), 0::bigint, 'P18 a TRUNCATE of a deals partition removes its deals only');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P18 and the deal facts are recompute()''s');
TRUNCATE pt.d;
SELECT is((SELECT count(*) FROM prio.deals WHERE source = 'pt.d'::regclass), 0::bigint,
          'P18 a TRUNCATE of the partitioned deals table removes them all');

INSERT INTO pt.d SELECT i, 1 + i % 9, 'quote', i FROM generate_series(1, 20) i;
INSERT INTO pt.d VALUES (1200, 5, 'signing', 10), (2200, 6, 'won', 20);
CREATE TABLE pt.d_new PARTITION OF pt.d FOR VALUES FROM (5000) TO (6000);
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgrelid = 'pt.d_new'::regclass AND tgname LIKE 'prio\_%'), 4::bigint,
          'P19 a deals partition created later gets prio''s triggers');
INSERT INTO pt.d_new VALUES (5001, 7, 'quote', 5);
SELECT is(pg_temp.deals_diff(), 0::bigint, 'P19 and a write into it is mirrored');
ALTER TABLE pt.d DETACH PARTITION pt.d_hi;
SELECT is(pg_temp.deals_diff(), 0::bigint, 'P19 a DETACH of a deals partition with rows removes its deals');
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgrelid = 'pt.d_hi'::regclass AND tgname LIKE 'prio\_%'), 0::bigint,
          'P19 and the detached table is left without prio''s triggers');
CREATE TABLE pt.d_6 (stage text, y int, amount numeric, id bigint NOT NULL, acct bigint);
ALTER TABLE pt.d_6 DROP COLUMN y;
INSERT INTO pt.d_6 VALUES ('negotiation', 30, 6001, 8), ('won', 40, 6002, 9);
ALTER TABLE pt.d ATTACH PARTITION pt.d_6 FOR VALUES FROM (6000) TO (7000);
SELECT is(pg_temp.deals_diff(), 0::bigint, 'P19 an ATTACH of a table holding deals (other column numbers) mirrors them');
UPDATE pt.d_6 SET stage = 'lost' WHERE id = 6001;
SELECT is(pg_temp.deals_diff(), 0::bigint, 'P19 and a write into the attached partition is mirrored');
DROP TABLE pt.d_new;
SELECT is(pg_temp.deals_diff(), 0::bigint, 'P19 a DROP TABLE of a deals partition with rows removes its deals');
CREATE SCHEMA pt_old;
CREATE TABLE pt_old.d_7 PARTITION OF pt.d FOR VALUES FROM (7000) TO (8000);
INSERT INTO pt.d VALUES (7001, 2, 'signing', 1);
DROP SCHEMA pt_old CASCADE;
SELECT is(pg_temp.deals_diff(), 0::bigint, 'P19 a deals partition dropped with its schema takes its deals');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P19 the deal facts are recompute()''s after them all');

-- customers of deals tracked already: inserted into a partition, attached
-- with their rows
INSERT INTO pt.d VALUES (150, 120, 'negotiation', 80), (151, 121, 'quote', 5), (152, 50, 'signing', 7);
INSERT INTO pt.k_1 VALUES (50, 'k50');
SELECT is(pg_temp.deals_diff(), 0::bigint, 'P20 an INSERT into a customers partition gets its key''s tracked deals');
CREATE TABLE pt.k_2 (name text, id bigint NOT NULL);
INSERT INTO pt.k_2 VALUES ('k120', 120), ('k121', 121);
ALTER TABLE pt.k ATTACH PARTITION pt.k_2 FOR VALUES FROM (100) TO (200);
SELECT is(pg_temp.deals_diff(), 0::bigint, 'P20 an ATTACH of a customers partition holding rows gets their tracked deals');
ALTER TABLE pt.k DETACH PARTITION pt.k_2;
SELECT is(pg_temp.deals_diff(), 0::bigint, 'P20 a DETACH of a customers partition takes their deals');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P20 the deal facts are recompute()''s');

-- a deal prio cannot mirror attached: the DDL goes through
CREATE TABLE pt.d_bad (id bigint NOT NULL, acct bigint, stage text, amount numeric);
INSERT INTO pt.d_bad VALUES (8001, 1, 'no such stage', 1);
SET LOCAL client_min_messages = error;
SELECT lives_ok($$ALTER TABLE pt.d ATTACH PARTITION pt.d_bad FOR VALUES FROM (8000) TO (9000)$$,
                'P14 an ATTACH of a deals table holding a row prio cannot mirror goes through');
SET LOCAL client_min_messages = warning;
SELECT isnt((SELECT last_error FROM prio.tracked WHERE source = 'pt.d'::regclass), NULL,
            'P14 and what prio could not follow is noted in the deals table''s last_error');
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgrelid = 'pt.d_bad'::regclass AND tgname LIKE 'prio\_%'), 4::bigint,
          'P14 the attached deals partition has prio''s triggers all the same');
-- beside that row (the table cannot be mirrored again whole), partitions
-- truncated, dropped, detached take their deals all the same
CREATE TABLE pt.d_9 PARTITION OF pt.d FOR VALUES FROM (9000) TO (10000);
INSERT INTO pt.d_9 VALUES (9001, 4, 'signing', 3), (9002, 5, 'won', 4);
INSERT INTO pt.d_6 VALUES ('quote', 50, 6003, 3);
SET LOCAL client_min_messages = error;
TRUNCATE pt.d_6;
SELECT is((SELECT count(*) FROM prio.deals WHERE source = 'pt.d'::regclass AND deal_key::bigint BETWEEN 6000 AND 6999), 0::bigint,
          'P21 a TRUNCATE of a deals partition removes its deals while another partition holds a row prio cannot mirror');
DROP TABLE pt.d_9;
SELECT is((SELECT count(*) FROM prio.deals WHERE source = 'pt.d'::regclass AND deal_key::bigint BETWEEN 9000 AND 9999), 0::bigint,
          'P21 so does a DROP TABLE of a deals partition');
ALTER TABLE pt.d DETACH PARTITION pt.d_lo;
SELECT is((SELECT count(*) FROM prio.deals WHERE source = 'pt.d'::regclass AND deal_key::bigint < 1000), 0::bigint,
          'P21 and a DETACH of one');
SELECT is(pg_temp.deals_diff(), 1::bigint, 'P21 the other deals are the table''s, the row prio cannot mirror aside');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'P21 and the deal facts are recompute()''s');
SET LOCAL client_min_messages = warning;
UPDATE pt.d_bad SET stage = 'quote';
SELECT is(pg_temp.deals_diff(), 0::bigint, 'P14 and its row, mirrorable now, is mirrored');

SELECT prio.untrack('pt.d');
SELECT prio.untrack('pt.k');
SELECT is((SELECT count(*) FROM pg_trigger
            WHERE tgrelid IN (SELECT relid FROM pg_partition_tree('pt.d') UNION ALL SELECT 'pt.d_hi'::regclass
                              UNION ALL SELECT relid FROM pg_partition_tree('pt.k') UNION ALL SELECT 'pt.k_2'::regclass)
              AND tgname LIKE 'prio\_%'),
          0::bigint, 'P7 untrack() of a deals table drops prio''s triggers on every partition, detached ones too');

-- untrack(): no trigger of prio's left on any partition; the app's own stay
SELECT prio.untrack('pt.e');
SELECT prio.untrack('pt.a');
SELECT prio.untrack('pt.c');
SELECT set_eq($$SELECT tgrelid::regclass::text, tgname FROM pg_trigger
                 WHERE tgrelid IN (SELECT relid FROM pg_partition_tree('pt.a') UNION ALL SELECT relid FROM pg_partition_tree('pt.c')
                                   UNION ALL SELECT relid FROM pg_partition_tree('pt.e')
                                   UNION ALL SELECT 'pt.a_old'::regclass)
                   AND NOT tgisinternal$$,
              'SELECT rel, tgname FROM app_triggers',
              'P7 untrack() drops prio''s triggers on every partition; the application''s own stay');

-- bad input
SELECT prio.track('pt.c', 'customers', '{"key": "id", "name": "name", "view": false}');
SELECT throws_ok($$SELECT prio.track('pt.c_mid', 'customers', '{"key": "id"}')$$, '42809', NULL,
                 'P8 bad input: a partition of a table is not tracked itself');
SELECT throws_ok($$SELECT prio.untrack('pt.c_mid')$$, '42704', NULL,
                 'P8 bad input: nor untracked (its partitioned table is)');
SELECT prio.track('pt.k', 'customers', '{"key": "id", "name": "name", "view": false}');
SELECT prio.track('pt.d', 'deals', '{"key": "id", "customer": "acct", "stage": "stage", "customers": "pt.k"}');
SELECT throws_ok($$SELECT prio.track('pt.d_6', 'deals', '{"key": "id", "customer": "acct", "stage": "stage", "customers": "pt.k"}')$$,
                 '42809', NULL, 'P8 bad input: a partition of a deals table is not tracked itself');
SELECT throws_ok($$SELECT prio.untrack('pt.d_6')$$, '42704', NULL,
                 'P8 bad input: nor untracked (its partitioned deals table is)');
ROLLBACK;
