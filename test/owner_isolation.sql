-- pgTAP: owner isolation.  Two reps and a manager each see exactly their
-- customers through the tables, the views and prio.explain(); a rep cannot
-- write for another rep's customer; prio keeps maintaining every customer.
BEGIN;
SELECT plan(41);
-- Autovacuum's in-place update of a table's pg_class row waits for a transaction that
-- changed the row (PostgreSQL 15.20 does); the grants below change those rows, and an
-- ALTER TABLE of enable_owner_isolation() that then waited for that autovacuum's lock
-- deadlocked (40P01, now and then).  The tables it alters, locked first: autovacuum yields.
LOCK TABLE prio.customers, prio.activities, prio.customer_state, prio.tier_history,
    prio.win_outcomes IN ACCESS EXCLUSIVE MODE;

CREATE ROLE prio_rep_ann; CREATE ROLE prio_rep_bob; CREATE ROLE prio_mgr; CREATE ROLE prio_app;
CREATE ROLE prio_mgr_member IN ROLE prio_mgr;
SELECT prio.grant_writer('prio_rep_ann'); SELECT prio.grant_reader('prio_rep_bob');
SELECT prio.grant_writer('prio_app');
SELECT lives_ok($$SELECT prio.grant_manager('prio_mgr')$$, 'grant_manager applies');
SELECT lives_ok($$SELECT prio.grant_manager('prio_mgr')$$, 'grant_manager twice is harmless');
SELECT throws_ok($$SELECT prio.grant_manager(NULL)$$, '22004', NULL, 'grant_manager(NULL) is refused');
SELECT throws_ok($$SELECT prio.revoke_manager(NULL)$$, '22004', NULL, 'revoke_manager(NULL) is refused');

INSERT INTO prio.customers (customer_id, name, owner, backup_owner, budget, authority) VALUES
    (71001, 'Ann 1', 'prio_rep_ann', NULL, true, true),
    (71002, 'Ann 2', 'prio_rep_ann', 'prio_rep_bob', false, NULL),
    (71003, 'Carol, Ann covers', 'carol', 'prio_rep_ann', true, false),
    (71004, 'Bob 1', 'prio_rep_bob', NULL, true, true),
    (71005, 'Bob 2', 'prio_rep_bob', NULL, NULL, NULL),
    (71006, 'Nobody''s', 'dave', NULL, true, true);
INSERT INTO prio.activities (customer_id, kind, at)
SELECT c, k, now() - g * interval '3 days'
  FROM generate_series(71001, 71006) c, generate_series(1, 3) g,
       LATERAL (SELECT (ARRAY['reply', 'email', 'demo_request'])[g] AS k) kk;

-- a manual key-customer type tag on one of bob's customers and one of nobody's
INSERT INTO prio.customer_type_tags (customer_id, type, add, note) VALUES
    (71004, 'strategic', true, 'bob''s call'), (71006, 'active', false, 'dave''s call');
SELECT lives_ok($$SELECT prio.enable_owner_isolation()$$, 'enable_owner_isolation applies');
SELECT ok((SELECT bool_and(relrowsecurity) FROM pg_class
            WHERE oid IN ('prio.customers'::regclass, 'prio.activities'::regclass,
                          'prio.customer_state'::regclass, 'prio.tier_history'::regclass)),
          'row-level security is on for customers, activities, state and history');

-- what a user sees of the test's customers, through every door
CREATE FUNCTION pg_temp.seen(what text) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE r bigint[];
BEGIN
    EXECUTE format('SELECT array_agg(DISTINCT customer_id ORDER BY customer_id) FROM %s
                     WHERE customer_id BETWEEN 71001 AND 71006', what) INTO r;
    RETURN coalesce(r, '{}');
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.seen(text) TO PUBLIC;

SET ROLE prio_rep_ann;
SELECT is(pg_temp.seen('prio.customers'), '{71001,71002,71003}', 'ann: customers she owns or covers');
SELECT is(pg_temp.seen('prio.followup'), '{71001,71002,71003}', 'ann: the follow-up list');
SELECT is(pg_temp.seen('prio.customer_state'), '{71001,71002,71003}', 'ann: their state');
SELECT is(pg_temp.seen('prio.activities'), '{71001,71002,71003}', 'ann: their activities');
SELECT is(pg_temp.seen('prio.tier_history'), '{71001,71002,71003}', 'ann: their history');
SELECT is((SELECT sum(customers) FROM prio.tier_summary), 3::numeric, 'ann: tier_summary counts her 3');
SELECT is((SELECT max(rank) FROM prio.followup), 2::bigint, 'ann: ranks computed over what she sees');
SELECT is((prio.explain(71003))->>'name', 'Carol, Ann covers', 'ann: explains a customer she covers');
SELECT throws_ok($$SELECT prio.explain(71004)$$, '23503', NULL, 'ann: another rep''s customer does not exist for her');
SELECT lives_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (71001, 'inquiry')$$, 'ann: inserts for her customer');
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (71004, 'inquiry')$$, '42501', NULL, 'ann: cannot insert for bob''s customer');
SELECT throws_ok($$UPDATE prio.customers SET owner = 'prio_rep_bob' WHERE customer_id = 71001$$, '42501', NULL, 'ann: cannot hand a customer to a rep she cannot see as');
UPDATE prio.customers SET budget = false WHERE customer_id = 71004;
SELECT is(pg_temp.seen('prio.customer_state'), '{71001,71002,71003}', 'ann: an update of bob''s customer touched nothing she sees');
-- key-customer type tags follow the customers, as the other tables do
SELECT is(pg_temp.seen('prio.customer_type_tags'), '{}', 'ann: sees no tag of another rep''s customer');
SELECT lives_ok($$INSERT INTO prio.customer_type_tags (customer_id, type, add) VALUES (71001, 'strategic', true)$$,
                'ann: tags her own customer with a key-customer type');
SELECT throws_ok($$INSERT INTO prio.customer_type_tags (customer_id, type, add) VALUES (71004, 'active', true)$$,
                 '42501', NULL, 'ann: cannot tag bob''s customer with a key-customer type');
UPDATE prio.customer_type_tags SET add = false WHERE customer_id = 71004;
DELETE FROM prio.customer_type_tags WHERE customer_id = 71006;
SELECT is(pg_temp.seen('prio.customer_type_tags'), '{71001}', 'ann: sees only the tags of her own customers');
RESET ROLE;
SELECT is((SELECT budget FROM prio.customers WHERE customer_id = 71004), true, 'bob''s customer was not changed by ann');
SELECT is((SELECT tier FROM prio.customer_state WHERE customer_id = 71001), 'A', 'prio re-tiered ann''s customer after her insert');
SELECT is((SELECT array_agg(customer_id::text || ':' || type || ':' || add ORDER BY customer_id)
             FROM prio.customer_type_tags WHERE customer_id BETWEEN 71001 AND 71006),
          '{71001:strategic:true,71004:strategic:true,71006:active:false}',
          'ann''s update and delete left the tags of customers she cannot see as they were');
SELECT ok((SELECT 'strategic' = ANY (types) FROM prio.customer_state WHERE customer_id = 71001),
          'prio re-evaluated ann''s customer after her tag (it holds the type)');

SET ROLE prio_rep_bob;
SELECT is(pg_temp.seen('prio.customers'), '{71002,71004,71005}', 'bob: his and the one he covers');
SELECT is(pg_temp.seen('prio.followup'), '{71002,71004,71005}', 'bob: the follow-up list');
SELECT is(pg_temp.seen('prio.tier_history'), '{71002,71004,71005}', 'bob: his history');
SELECT throws_ok($$SELECT prio.explain(71001)$$, '23503', NULL, 'bob: ann''s customer does not exist for him');
RESET ROLE;

SET ROLE prio_mgr;
SELECT is(pg_temp.seen('prio.followup'), '{71001,71002,71003,71004,71005,71006}', 'manager: everyone');
SELECT is(pg_temp.seen('prio.tier_history'), '{71001,71002,71003,71004,71005,71006}', 'manager: all history');
RESET ROLE;
SET ROLE prio_mgr_member;
SELECT is(pg_temp.seen('prio.customers'), '{71001,71002,71003,71004,71005,71006}', 'a member of the manager role: everyone');
RESET ROLE;

SET ROLE prio_app;
SELECT is(pg_temp.seen('prio.customers'), '{}', 'an application role that is not a manager sees nobody');
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (71006, 'reply')$$, '42501', NULL, 'and cannot write for anyone');
RESET ROLE;

SET ROLE prio_rep_ann;
SELECT throws_ok($$SELECT prio.enable_owner_isolation()$$, '42501', NULL, 'a rep cannot switch isolation');
RESET ROLE;
SELECT lives_ok($$SELECT prio.revoke_manager('prio_mgr')$$, 'revoke_manager applies');
SET ROLE prio_mgr;
SELECT is(pg_temp.seen('prio.customers'), '{}', 'a revoked manager sees only their own customers (none)');
RESET ROLE;

SELECT lives_ok($$SELECT prio.disable_owner_isolation()$$, 'disable_owner_isolation applies');
SET ROLE prio_rep_bob;
SELECT is(pg_temp.seen('prio.customers'), '{71001,71002,71003,71004,71005,71006}', 'isolation off: a reader sees everyone');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
