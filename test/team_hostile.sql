-- pgTAP: the team side of prio probed as a DBA and a sales rep would, the
-- cases test/roles.sql and test/owner_isolation.sql do not cover.  Rules:
--   T1 grant_reader/writer/admin/manager refuse a regrole that names no role
--      ('-', oid 0, or the oid of a dropped role) with 42704, not a syntax
--      error of the GRANT they build (42601); calling one twice is harmless.
--   T2 a manager's privileges follow PostgreSQL's: a member of a manager
--      role through INHERIT memberships (a manager of a manager) sees every
--      customer; a NOINHERIT member, or a role that is a member only through
--      one, sees only its own customers until it SET ROLEs to the manager.
--   T3 hand-over: once a customer's owner changes from ann to bob, ann sees
--      nothing of it (customers, follow-up list, state, activities, history,
--      explain() says it does not exist) and bob sees all of its history,
--      ann's time included; handing it back gives it back to ann.
--   T4 owner and backup_owner match the role name exactly: backup_owner =
--      owner is simply hers; an owner in another case, with a trailing space,
--      NULL, or naming no role is no rep's: only managers see it.
--   T5 a rep's side doors: the aggregates (tier_summary, conversion_by_tier)
--      count only her customers; pg_stats gives her no values of the
--      isolated tables; a duplicate customer_id of another rep's customer
--      fails 23505 without a DETAIL echoing the row; type_facts(),
--      win_probability() and _followup_rank() of another rep's customer give
--      nothing.
--   T6 a rep's writes: she cannot move her activity or her deal to another
--      rep's customer, create a customer for another rep, or delete one
--      (silently nothing).
--   T7 search_path: a rep's temporary tables named customers and managers,
--      first on her search_path, change nothing of what prio shows her.
--   T8 (0.5) a manager's row is the role's it was written for: a role
--      created again under a dropped manager's name is no manager until
--      grant_manager() makes it one; a row of a dropped role is not dumped;
--      a row loaded as a restore loads it names the role of that name there.
--   T9 (0.5) a manager's role renamed (ALTER ROLE ... RENAME) stays a manager
--      and revoke_manager() of its new name takes it out; grant_manager()
--      of a new role of the old name makes that one a manager too, not in
--      the renamed one's place; a row that names its role by an old name is
--      not dumped (a restore would give it to the role of that name), and
--      grant_manager() of the new name brings the row to it.
-- Runs inside one transaction and rolls back; its customers are 73001..73007.
BEGIN;
SELECT plan(60);
-- as test/owner_isolation.sql: the tables enable_owner_isolation() alters,
-- locked first, so an autovacuum waiting on the grants' pg_class rows yields
LOCK TABLE prio.customers, prio.activities, prio.customer_state, prio.tier_history,
    prio.win_outcomes IN ACCESS EXCLUSIVE MODE;

CREATE ROLE prio_th_ann; CREATE ROLE prio_th_bob; CREATE ROLE prio_th_mgr;
CREATE ROLE prio_th_mgr_of_mgr IN ROLE prio_th_mgr;
CREATE ROLE prio_th_noinherit NOINHERIT IN ROLE prio_th_mgr;
CREATE ROLE prio_th_via_noinherit IN ROLE prio_th_noinherit;
CREATE ROLE prio_th_dropped;

-- T1
SELECT throws_ok($$SELECT prio.grant_reader('-')$$, '42704', NULL, 'T1: grant_reader(''-'') is refused as no role');
SELECT throws_ok($$SELECT prio.grant_writer(0::oid::regrole)$$, '42704', NULL, 'T1: grant_writer(oid 0) is refused as no role');
CREATE TEMP TABLE dropped AS SELECT 'prio_th_dropped'::regrole::oid AS o;
DROP ROLE prio_th_dropped;
SELECT throws_ok(format('SELECT prio.grant_admin(%s::oid::regrole)', o), '42704', NULL,
                 'T1: grant_admin of a dropped role''s oid is refused as no role')
  FROM pg_temp.dropped;
SELECT throws_ok($$SELECT prio.grant_manager('-')$$, '42704', NULL, 'T1: grant_manager(''-'') is refused as no role');
SELECT is((SELECT count(*) FROM prio.managers WHERE role_name IN ('-', '0')), 0::bigint, 'T1: and no managers row was written');
SELECT prio.grant_writer('prio_th_ann'); SELECT prio.grant_writer('prio_th_bob');
SELECT lives_ok($$SELECT prio.grant_writer('prio_th_ann')$$, 'T1: grant_writer twice is harmless');
SELECT prio.grant_manager('prio_th_mgr');
SELECT prio.grant_reader('prio_th_noinherit'); SELECT prio.grant_reader('prio_th_via_noinherit');

INSERT INTO prio.customers (customer_id, name, owner, backup_owner, budget, authority) VALUES
    (73001, 'T Ann 1', 'prio_th_ann', NULL, true, true),
    (73002, 'T Ann 2, her own backup', 'prio_th_ann', 'prio_th_ann', false, NULL),
    (73003, 'T Bob secret', 'prio_th_bob', NULL, true, true),
    (73004, 'T nobody''s', NULL, NULL, true, NULL),
    (73005, 'T upper case', 'PRIO_TH_ANN', NULL, NULL, NULL),
    (73006, 'T trailing space', 'prio_th_ann ', NULL, NULL, NULL),
    (73007, 'T no such role', 'prio_th_ghost', NULL, NULL, NULL);
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT c, k, now() - g * interval '5 days', CASE WHEN k = 'purchase' THEN 100 ELSE 0 END
  FROM generate_series(73001, 73007) c, generate_series(1, 3) g,
       LATERAL (SELECT (ARRAY['reply', 'purchase', 'demo_request'])[g] AS k) kk;
INSERT INTO prio.deals (customer_id, stage, amount) VALUES (73001, 'quote', 500);
SELECT prio.enable_owner_isolation();

-- what a user sees of the test's customers through a table or view
CREATE FUNCTION pg_temp.seen(what text) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE r bigint[];
BEGIN
    EXECUTE format('SELECT array_agg(DISTINCT customer_id ORDER BY customer_id) FROM %s
                     WHERE customer_id BETWEEN 73001 AND 73007', what) INTO r;
    RETURN coalesce(r, '{}');
END $$;
-- a statement's SQLSTATE and DETAIL
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text; d text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, d = PG_EXCEPTION_DETAIL;
    RETURN s || coalesce(' detail: ' || nullif(d, ''), '');
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.seen(text), pg_temp.err(text) TO PUBLIC;
-- what the DBA sees, for comparison
CREATE TEMP TABLE expected AS
SELECT (SELECT count(*) FROM prio.tier_history WHERE customer_id = 73001) AS history_73001,
       (SELECT sum(e.entered) FROM (SELECT h.new_tier, count(DISTINCT h.customer_id) AS entered
                                      FROM prio.tier_history h
                                     WHERE h.customer_id IN (73001, 73002) AND h.new_tier IS NOT NULL
                                     GROUP BY h.new_tier) e) AS ann_entered;
GRANT SELECT ON pg_temp.expected TO PUBLIC;

-- T2
SET ROLE prio_th_mgr_of_mgr;
SELECT is(pg_temp.seen('prio.customers'), '{73001,73002,73003,73004,73005,73006,73007}',
          'T2: a member of a manager role (INHERIT) sees every customer');
RESET ROLE;
SET ROLE prio_th_noinherit;
SELECT is(pg_temp.seen('prio.customers'), '{}', 'T2: a NOINHERIT member of a manager role sees no one''s customers');
SELECT is(prio.sees_all_customers(), false, 'T2: sees_all_customers() is false for it');
SELECT is(pg_temp.seen('prio.followup'), '{}', 'T2: nor through the follow-up list');
SET ROLE prio_th_mgr;
SELECT is(pg_temp.seen('prio.followup'), '{73001,73002,73003,73004,73005,73006,73007}',
          'T2: after SET ROLE to the manager role it sees every customer');
RESET ROLE;
SET ROLE prio_th_via_noinherit;
SELECT is(pg_temp.seen('prio.customers'), '{}', 'T2: a member only through a NOINHERIT member sees no one''s customers');
RESET ROLE;

-- T4
SET ROLE prio_th_ann;
SELECT is(pg_temp.seen('prio.customers'), '{73001,73002}',
          'T4: ann sees hers (owner = backup_owner too), not another case, a trailing space, NULL or no role');
SELECT is(pg_temp.seen('prio.tier_history'), '{73001,73002}', 'T4: and only their history');
RESET ROLE;
SET ROLE prio_th_mgr;
SELECT is(pg_temp.seen('prio.customer_state'), '{73001,73002,73003,73004,73005,73006,73007}',
          'T4: a manager sees the customers of no rep as well');
RESET ROLE;

-- T5
ANALYZE prio.customers, prio.activities, prio.customer_state, prio.tier_history, prio.deals;
SET ROLE prio_th_ann;
SELECT is((SELECT sum(customers) FROM prio.tier_summary), 2::numeric, 'T5: tier_summary counts her 2 customers');
SELECT is((SELECT sum(entered) FROM prio.conversion_by_tier), (SELECT ann_entered FROM pg_temp.expected),
          'T5: conversion_by_tier counts only her customers'' tier entries');
SELECT is((SELECT count(*) FROM pg_stats WHERE schemaname = 'prio'
            AND tablename IN ('customers', 'activities', 'customer_state', 'tier_history', 'deals')), 0::bigint,
          'T5: pg_stats shows her nothing of the isolated tables');
SELECT is(pg_temp.err($$INSERT INTO prio.customers (customer_id, name, owner) VALUES (73003, 'mine now', 'prio_th_ann')$$),
          '23505', 'T5: a taken customer_id of bob''s fails 23505 with no DETAIL naming his row');
SELECT is(prio.type_facts(73003), NULL, 'T5: type_facts() of bob''s customer gives nothing');
SELECT throws_ok($$SELECT prio.win_probability(73003::bigint)$$, '23503', NULL, 'T5: win_probability() of bob''s customer: it does not exist for her');
SELECT is(prio._followup_rank('prio_th_bob', 73003), NULL, 'T5: _followup_rank() of bob''s customer gives nothing');
SELECT throws_ok($$SELECT prio.explain(73007)$$, '23503', NULL, 'T5: explain() of a customer of no rep: it does not exist for her');

-- T6
SELECT is(pg_temp.err($$UPDATE prio.activities SET customer_id = 73003 WHERE customer_id = 73001$$), '42501',
          'T6: she cannot move her activities to bob''s customer');
SELECT is(pg_temp.err($$UPDATE prio.deals SET customer_id = 73003 WHERE customer_id = 73001$$), '42501',
          'T6: she cannot move her deal to bob''s customer');
SELECT is(pg_temp.err($$INSERT INTO prio.customers (customer_id, name, owner) VALUES (73008, 'for bob', 'prio_th_bob')$$), '42501',
          'T6: she cannot create a customer for bob');
SELECT is(pg_temp.err($$INSERT INTO prio.activities (customer_id, kind) VALUES (73005, 'reply')$$), '42501',
          'T6: she cannot write for a customer whose owner only looks like her name');
DELETE FROM prio.activities WHERE customer_id = 73003;
DELETE FROM prio.customers WHERE customer_id = 73003;
RESET ROLE;
SELECT is((SELECT count(*) FROM prio.activities WHERE customer_id = 73003), 3::bigint, 'T6: her DELETEs left bob''s activities');
SELECT is((SELECT count(*) FROM prio.customers WHERE customer_id = 73003), 1::bigint, 'T6: and bob''s customer');
SELECT is((SELECT customer_id FROM prio.deals WHERE amount = 500 AND customer_id BETWEEN 73001 AND 73007), 73001::bigint,
          'T6: her deal is still her customer''s');

-- T7
SET ROLE prio_th_ann;
CREATE TEMP TABLE customers (customer_id bigint, name text, owner text, backup_owner text);
INSERT INTO pg_temp.customers VALUES (73003, 'T Bob secret', 'prio_th_ann', 'prio_th_ann');
CREATE TEMP TABLE managers (role_name name);
INSERT INTO pg_temp.managers VALUES ('prio_th_ann');
SET LOCAL search_path = pg_temp, prio, public;
SELECT is(prio.sees_all_customers(), false, 'T7: a temporary table named managers does not make her a manager');
SELECT is(pg_temp.seen('prio.followup'), '{73001,73002}', 'T7: the follow-up list is hers only');
SELECT throws_ok($$SELECT prio.explain(73003)$$, '23503', NULL, 'T7: explain() does not read her temporary customers');
SELECT is(prio.type_facts(73003), NULL, 'T7: nor does type_facts()');
RESET search_path;
DROP TABLE pg_temp.customers, pg_temp.managers;
RESET ROLE;

-- T3: the hand-over, by the DBA
UPDATE prio.customers SET owner = 'prio_th_bob' WHERE customer_id = 73001;
SET ROLE prio_th_ann;
SELECT is(pg_temp.seen('prio.customers'), '{73002}', 'T3: after the hand-over ann no longer sees the customer');
SELECT is(pg_temp.seen('prio.followup'), '{73002}', 'T3: nor in her follow-up list');
SELECT is(pg_temp.seen('prio.customer_state'), '{73002}', 'T3: nor its state');
SELECT is(pg_temp.seen('prio.activities'), '{73002}', 'T3: nor its activities');
SELECT is(pg_temp.seen('prio.tier_history'), '{73002}', 'T3: nor its history, hers included');
SELECT is(pg_temp.seen('prio.deals'), '{}', 'T3: nor its deal');
SELECT throws_ok($$SELECT prio.explain(73001)$$, '23503', NULL, 'T3: explain(): it does not exist for her');
SELECT is(pg_temp.err($$INSERT INTO prio.activities (customer_id, kind) VALUES (73001, 'reply')$$), '42501',
          'T3: she cannot write for it');
RESET ROLE;
SET ROLE prio_th_bob;
SELECT is((SELECT count(*) FROM prio.tier_history WHERE customer_id = 73001), (SELECT history_73001 FROM pg_temp.expected),
          'T3: bob sees all of its history, from before the hand-over too');
SELECT is((SELECT owner FROM prio.followup WHERE customer_id = 73001), 'prio_th_bob', 'T3: it is in bob''s follow-up list');
RESET ROLE;
UPDATE prio.customers SET owner = 'prio_th_ann' WHERE customer_id = 73001;
SET ROLE prio_th_ann;
SELECT is(pg_temp.seen('prio.followup'), '{73001,73002}', 'T3: handed back, it is in ann''s list again');
RESET ROLE;

-- T8
CREATE ROLE prio_th_gone;
SELECT prio.grant_manager('prio_th_gone');
DROP OWNED BY prio_th_gone;
DROP ROLE prio_th_gone;
CREATE ROLE prio_th_gone;   -- someone else, the same name
SELECT prio.grant_reader('prio_th_gone');
SET ROLE prio_th_gone;
SELECT is(prio.sees_all_customers(), false, 'T8: a role created again under a dropped manager''s name is no manager');
SELECT is(pg_temp.seen('prio.customers'), '{}', 'T8: and sees no customer');
RESET ROLE;
SELECT prio.grant_manager('prio_th_gone');
SET ROLE prio_th_gone;
SELECT is(prio.sees_all_customers(), true, 'T8: until grant_manager() makes it one');
RESET ROLE;
DROP OWNED BY prio_th_gone;
DROP ROLE prio_th_gone;
SELECT is((SELECT count(*) FROM prio.managers WHERE role_name = 'prio_th_gone'), 1::bigint,
          'T8: the dropped role''s row stays (revoke_manager() takes only a role) ...');
-- what pg_dump reads of the table: the rows its extension filter keeps
CREATE FUNCTION pg_temp.dumped_managers(who name) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    c text;
    n bigint;
BEGIN
    SELECT x.cond INTO c FROM pg_extension e, unnest(e.extconfig, e.extcondition) x(rel, cond)
     WHERE e.extname = 'prio' AND x.rel = 'prio.managers'::regclass;
    EXECUTE format('SELECT count(*) FROM (SELECT * FROM ONLY prio.managers %s) m WHERE m.role_name = $1', c)
       INTO n USING who;
    RETURN n;
END $$;
SELECT is(pg_temp.dumped_managers('prio_th_gone'), 0::bigint, 'T8: ... but is not dumped');
SELECT is(pg_temp.dumped_managers('prio_th_mgr'), 1::bigint, 'T8: a live manager''s row is');
-- a restore loads the dumped row with the OID of the dumped cluster
INSERT INTO prio.managers (role_name, role_oid) VALUES ('prio_th_bob', 1);
SELECT is((SELECT role_oid FROM prio.managers WHERE role_name = 'prio_th_bob'), 'prio_th_bob'::regrole::oid,
          'T8: a loaded row names the role of its name in this cluster');
DELETE FROM prio.managers WHERE role_name IN ('prio_th_bob', 'prio_th_gone');

-- T9
CREATE ROLE prio_th_boss;
SELECT prio.grant_manager('prio_th_boss');
ALTER ROLE prio_th_boss RENAME TO prio_th_boss2;
SET ROLE prio_th_boss2;
SELECT is(prio.sees_all_customers(), true, 'T9: a manager''s role renamed is still a manager');
RESET ROLE;
SELECT is(pg_temp.dumped_managers('prio_th_boss'), 0::bigint,
          'T9: its row, under the old name, is not dumped (a restore would give it to that name)');
SELECT prio.revoke_manager('prio_th_boss2');
SET ROLE prio_th_boss2;
SELECT is(prio.sees_all_customers(), false, 'T9: revoke_manager() of its new name takes it out');
RESET ROLE;
SELECT is((SELECT count(*) FROM prio.managers WHERE role_oid = 'prio_th_boss2'::regrole::oid), 0::bigint,
          'T9: and its row is gone');
DELETE FROM prio.managers WHERE role_name LIKE 'prio\_th\_boss%';   -- (however that went)
SELECT prio.grant_manager('prio_th_boss2');
ALTER ROLE prio_th_boss2 RENAME TO prio_th_boss3;
CREATE ROLE prio_th_boss2;   -- someone else, the old name
SELECT prio.grant_manager('prio_th_boss2');
SET ROLE prio_th_boss3;
SELECT is(prio.sees_all_customers(), true, 'T9: grant_manager() of a new role of the old name leaves the renamed one a manager');
SET ROLE prio_th_boss2;
SELECT is(prio.sees_all_customers(), true, 'T9: and makes the new one a manager');
RESET ROLE;
SELECT is(pg_temp.dumped_managers('prio_th_boss3') + pg_temp.dumped_managers('prio_th_boss2'), 2::bigint,
          'T9: both rows are dumped, each under its role''s name');
ALTER ROLE prio_th_boss3 RENAME TO prio_th_boss4;
SELECT prio.grant_manager('prio_th_boss4');
SELECT is(pg_temp.dumped_managers('prio_th_boss4'), 1::bigint, 'T9: grant_manager() of the new name brings the row to it');
SELECT prio.revoke_manager('prio_th_boss4'); SELECT prio.revoke_manager('prio_th_boss2');
DROP OWNED BY prio_th_boss4; DROP OWNED BY prio_th_boss2;
DROP ROLE prio_th_boss4; DROP ROLE prio_th_boss2;

SELECT * FROM finish();
ROLLBACK;
