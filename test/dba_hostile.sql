-- pgTAP: a DBA maintains prio's tables in a session that already used prio
-- (hostile round 11).  The rules, each asserted below:
--   D1  renaming prio's indexes (customers_pkey, customer_state_pkey,
--       activities_customer_at_idx, customer_type_tags_pkey) changes nothing:
--       the application's writes go on and the state equals a rebuild
--       (before: every activity insert failed with 42704 "index
--       prio.customers_pkey does not exist").
--   D2  an index replaced the DBA's way (CREATE INDEX under another name,
--       DROP INDEX of prio's) changes nothing either (before: 42704 for every
--       purchase that closed a customer's first deal).
--   D3  a partial index under the name of prio's is not read as if it held
--       every row: a full index on the same columns is read instead (before:
--       the partial one was read, and a customer's meeting was missing from
--       the features of its win: "kind:meeting" was "no").
--   D4  renaming deals_source_key_idx does not break the tracked deals'
--       statements (before: _deal_key_busy() failed with 42P01).
--   D5  REINDEX, CLUSTER, SET (fillfactor), SET UNLOGGED / LOGGED and ANALYZE
--       of prio's tables, between writes of the same session: the state
--       still equals a rebuild.
--   D7  renaming the expression indexes customers_parent_company_idx and
--       customers_referred_by_idx changes nothing either (before: every
--       customer insert failed with 42704).
--   D8  finding prio's indexes costs no catalog scan per write once the
--       session is warm: single-row activity inserts, customer inserts and
--       _deal_key_busy() calls do not scan pg_opclass each (before: the default
--       operator class of every key column was looked up in pg_opclass at
--       every index open, 7 index scans per single-row activity insert).
--   D6  session_replication_role = replica (pg_restore --disable-triggers, a
--       DBA's bulk load) fires none of prio's triggers: the state is stale,
--       recompute() finds it and puts it right.
-- Then a labelled block: an index prio cannot use in place of its own is
-- refused with its own SQLSTATE, never XX000 and never read.
-- Customers 99801..; rolled back.
BEGIN;
SELECT plan(20);

CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'ok'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END$$;
-- recompute(id) as text, or the SQLSTATE it fails with
CREATE FUNCTION pg_temp.recomputed(id bigint) RETURNS text LANGUAGE plpgsql AS
$$BEGIN RETURN prio.recompute(id)::text; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END$$;
-- a customer with a meeting 3 days ago, then a purchase: won, and its win
-- features read its activities through activities_customer_at_idx
CREATE FUNCTION pg_temp.meet_and_buy(id bigint) RETURNS text LANGUAGE plpgsql AS
$$BEGIN
    INSERT INTO prio.customers (customer_id, name, owner) VALUES (id, 'dba ' || id, 'dba');
    INSERT INTO prio.activities (customer_id, kind, at) VALUES (id, 'meeting', now() - interval '3 days');
    INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES (id, 'purchase', now(), 500);
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE;
END$$;

-- this session uses prio first: plans and relations cached
INSERT INTO prio.customers (customer_id, name, owner) VALUES (99800, 'warm-up', 'dba');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (99800, 'inquiry', now() - interval '1 day');

------------------------------------------------------------------------
-- D1. renamed indexes
------------------------------------------------------------------------
SAVEPOINT d1;
ALTER INDEX prio.customers_pkey RENAME TO customers_pk_dba;
ALTER INDEX prio.customer_state_pkey RENAME TO customer_state_pk_dba;
ALTER INDEX prio.activities_customer_at_idx RENAME TO activities_cust_at_dba;
ALTER INDEX prio.customer_type_tags_pkey RENAME TO customer_type_tags_pk_dba;
-- (the results are read before the rollback, asserted after it: pgTAP's own
-- records would be rolled back with the savepoint)
SELECT pg_temp.meet_and_buy(99801) AS d1_write \gset
SELECT coalesce((SELECT stage::text FROM prio.customer_state WHERE customer_id = 99801), 'none') AS d1_stage,
       coalesce((SELECT features ->> 'kind:meeting' FROM prio.win_outcomes WHERE customer_id = 99801), 'none') AS d1_meeting,
       pg_temp.recomputed(99801) AS d1_wrong \gset
ROLLBACK TO SAVEPOINT d1;
SELECT is(:'d1_write'::text, 'ok',
          'D1: with prio''s indexes renamed, the application''s customer, activity and purchase inserts succeed');
SELECT is(:'d1_stage'::text, 'won', 'D1: the purchase made the customer won');
SELECT is(:'d1_meeting'::text, 'yes', 'D1: its win features saw its meeting');
SELECT is(:'d1_wrong'::text, '0', 'D1: the state equals a rebuild');

------------------------------------------------------------------------
-- D2. an index replaced by CREATE INDEX + DROP INDEX
------------------------------------------------------------------------
SAVEPOINT d2;
CREATE INDEX activities_by_customer_dba ON prio.activities (customer_id, at);
DROP INDEX prio.activities_customer_at_idx;
SELECT pg_temp.meet_and_buy(99802) AS d2_write \gset
SELECT coalesce((SELECT features ->> 'kind:meeting' FROM prio.win_outcomes WHERE customer_id = 99802), 'none') AS d2_meeting \gset
ROLLBACK TO SAVEPOINT d2;
SELECT is(:'d2_write'::text, 'ok',
          'D2: with activities_customer_at_idx replaced by an index of the DBA''s, a purchase succeeds');
SELECT is(:'d2_meeting'::text, 'yes', 'D2: its win features saw its meeting');

------------------------------------------------------------------------
-- D3. a partial index under prio's name is not read as a whole one
------------------------------------------------------------------------
SAVEPOINT d3;
CREATE INDEX activities_by_customer_dba ON prio.activities (customer_id, at);
DROP INDEX prio.activities_customer_at_idx;
CREATE INDEX activities_customer_at_idx ON prio.activities (customer_id, at) WHERE amount > 0;
SELECT pg_temp.meet_and_buy(99803) AS d3_write \gset
SELECT coalesce((SELECT features ->> 'kind:meeting' FROM prio.win_outcomes WHERE customer_id = 99803), 'none') AS d3_meeting \gset
ROLLBACK TO SAVEPOINT d3;
SELECT is(:'d3_write'::text, 'ok', 'D3: with a partial index under prio''s name, a purchase succeeds');
SELECT is(:'d3_meeting'::text, 'yes',
          'D3: its win features saw its meeting (the partial index, without it, was not read)');

------------------------------------------------------------------------
-- D4. deals_source_key_idx renamed
------------------------------------------------------------------------
SAVEPOINT d4;
ALTER INDEX prio.deals_source_key_idx RENAME TO deals_source_key_dba;
SELECT pg_temp.sqlstate_of($$SELECT prio._deal_key_busy('prio.customers'::regclass, 'k1')$$) AS d4_busy \gset
ROLLBACK TO SAVEPOINT d4;
SELECT is(:'d4_busy'::text, 'ok', 'D4: with deals_source_key_idx renamed, _deal_key_busy() still answers');

------------------------------------------------------------------------
-- D7. renamed expression indexes (customers' parent company, referrer)
------------------------------------------------------------------------
SAVEPOINT d7;
ALTER INDEX prio.customers_parent_company_idx RENAME TO customers_parent_dba;
ALTER INDEX prio.customers_referred_by_idx RENAME TO customers_referrer_dba;
SELECT pg_temp.meet_and_buy(99807) AS d7_write \gset
SELECT pg_temp.recomputed(99807) AS d7_wrong \gset
ROLLBACK TO SAVEPOINT d7;
SELECT is(:'d7_write'::text, 'ok',
          'D7: with the parent-company and referrer indexes renamed, a new customer and its purchase succeed');
SELECT is(:'d7_wrong'::text, '0', 'D7: the state equals a rebuild');

------------------------------------------------------------------------
-- D5. maintenance between the writes of one session
------------------------------------------------------------------------
INSERT INTO prio.customers (customer_id, name, owner) VALUES (99805, 'maintained', 'dba');
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES (99805, 'purchase', now() - interval '40 days', 100);
REINDEX TABLE prio.customer_state;
REINDEX TABLE prio.activities;
INSERT INTO prio.activities (customer_id, kind, at) VALUES (99805, 'call', now() - interval '20 days');
CLUSTER prio.customer_state USING customer_state_owner_idx;
ALTER TABLE prio.customer_state SET (fillfactor = 70);
INSERT INTO prio.activities (customer_id, kind, at) VALUES (99805, 'meeting', now() - interval '10 days');
ALTER TABLE prio.activities SET UNLOGGED;
INSERT INTO prio.activities (customer_id, kind, at) VALUES (99805, 'reply', now() - interval '5 days');
ALTER TABLE prio.activities SET LOGGED;
ANALYZE prio.customer_state;
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES (99805, 'purchase', now() - interval '1 day', 300);
SELECT is((SELECT frequency FROM prio.customer_state WHERE customer_id = 99805), 2::bigint,
          'D5: after REINDEX, CLUSTER, fillfactor, UNLOGGED/LOGGED and ANALYZE the writes between them all counted');
SELECT is(prio.recompute(99805), 0, 'D5: the state equals a rebuild');

------------------------------------------------------------------------
-- D8. no catalog scan of pg_opclass per write (the session is warm)
------------------------------------------------------------------------
-- this backend's pg_opclass index scans so far in the transaction
CREATE FUNCTION pg_temp.opclass_scans() RETURNS bigint LANGUAGE sql AS
$$SELECT idx_scan FROM pg_catalog.pg_stat_xact_sys_tables WHERE relid = 'pg_catalog.pg_opclass'::regclass$$;
SELECT prio._deal_key_busy('prio.customers'::regclass, 'warm-up') AS d8_warm \gset
SELECT pg_temp.opclass_scans() AS d8_s0 \gset
DO $$BEGIN
    FOR i IN 1..20 LOOP
        INSERT INTO prio.activities (customer_id, kind, at) VALUES (99800, 'call', now() - i * interval '1 hour');
    END LOOP;
END$$;
SELECT pg_temp.opclass_scans() AS d8_s1 \gset
DO $$BEGIN
    FOR i IN 1..20 LOOP
        INSERT INTO prio.customers (customer_id, name, owner) VALUES (99880 + i, 'scan-free ' || i, 'dba');
    END LOOP;
END$$;
SELECT pg_temp.opclass_scans() AS d8_s2 \gset
SELECT count(prio._deal_key_busy('prio.customers'::regclass, 'k' || g)) AS d8_n FROM generate_series(1, 20) g \gset
-- (at most twice, not 0: a catalog invalidation from another backend, such as
-- autovacuum's, may make one lookup read the catalog again)
SELECT cmp_ok(:d8_s1::bigint - :d8_s0, '<=', 2::bigint,
          'D8: 20 single-row activity inserts do not scan pg_opclass each to find prio''s indexes');
SELECT cmp_ok(:d8_s2::bigint - :d8_s1, '<=', 2::bigint,
          'D8: 20 single-row customer inserts do not scan pg_opclass each');
SELECT cmp_ok(pg_temp.opclass_scans() - :d8_s2, '<=', 2::bigint,
          'D8: 20 _deal_key_busy() calls do not scan pg_opclass each');

------------------------------------------------------------------------
-- D6. session_replication_role = replica skips prio; recompute() repairs
------------------------------------------------------------------------
INSERT INTO prio.customers (customer_id, name, owner) VALUES (99806, 'bulk loaded', 'dba');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (99806, 'inquiry', now() - interval '2 days');
SET LOCAL session_replication_role = replica;
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES (99806, 'purchase', now() - interval '1 day', 700);
RESET session_replication_role;
SELECT is((SELECT frequency FROM prio.customer_state WHERE customer_id = 99806), 0::bigint,
          'D6: a purchase loaded with session_replication_role = replica is not in the state (documented)');
SELECT is(prio.recompute(99806), 1, 'D6: recompute() finds the customer stale and rebuilds it');
SELECT is((SELECT frequency FROM prio.customer_state WHERE customer_id = 99806), 1::bigint,
          'D6: after recompute() the purchase counts');

------------------------------------------------------------------------
-- Bad input: an index prio cannot use in place of its own
------------------------------------------------------------------------
SAVEPOINT bad;
DROP INDEX prio.activities_customer_at_idx;
CREATE INDEX activities_customer_at_idx ON prio.activities (customer_id, at) WHERE amount > 0;
SELECT pg_temp.meet_and_buy(99809) AS bad_partial \gset
ROLLBACK TO SAVEPOINT bad;
SELECT is(:'bad_partial'::text, '55000',
          'bad input: a purchase with only a partial index under activities_customer_at_idx''s name is 55000 (never read as a whole index)');

SELECT * FROM finish();
ROLLBACK;
