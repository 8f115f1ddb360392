-- pgTAP: a prio.managers row stays with the role it was written for.
-- grant_manager() gives rows of renamed roles their roles' names now (a
-- dump names a role by name); managers that swapped names (or passed them
-- round) hold each other's names, and were renamed one by one: each found
-- its name taken, and the grant gave the granted role the other's row, so
-- a manager stopped being one.  All such rows move at once now.
BEGIN;
SELECT plan(8);
-- whether who sees every customer (is a manager, or has one's privileges)
CREATE FUNCTION pg_temp.manager(who name) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    r boolean;
BEGIN
    EXECUTE format('SET ROLE %I', who);
    r := prio.sees_all_customers();
    RESET ROLE;
    RETURN r;
END
$$;
CREATE ROLE prio_mr_alice; CREATE ROLE prio_mr_bob;
SELECT prio.grant_manager('prio_mr_alice'), prio.grant_manager('prio_mr_bob');
ALTER ROLE prio_mr_alice RENAME TO prio_mr_tmp;
ALTER ROLE prio_mr_bob RENAME TO prio_mr_alice;
ALTER ROLE prio_mr_tmp RENAME TO prio_mr_bob;
SELECT prio.grant_manager('prio_mr_alice');
SELECT is(pg_temp.manager('prio_mr_bob'), true, 'two managers swap names, grant_manager() of one: the other is still a manager');
SELECT is(pg_temp.manager('prio_mr_alice'), true, '... and the granted one is');
SELECT is((SELECT count(*) FROM prio.managers m JOIN pg_roles r ON r.oid = m.role_oid AND r.rolname = m.role_name
            WHERE m.role_name LIKE 'prio\_mr\_%'), 2::bigint,
          '... each row names its own role by its name now (both are dumped)');
SELECT prio.revoke_manager('prio_mr_alice');
SELECT is(pg_temp.manager('prio_mr_bob'), true, 'revoke_manager() of one of them leaves the other a manager');

-- three names passed round
CREATE ROLE prio_mr_a; CREATE ROLE prio_mr_b; CREATE ROLE prio_mr_c;
SELECT prio.grant_manager('prio_mr_a'), prio.grant_manager('prio_mr_b'), prio.grant_manager('prio_mr_c');
ALTER ROLE prio_mr_a RENAME TO prio_mr_x;
ALTER ROLE prio_mr_c RENAME TO prio_mr_a;
ALTER ROLE prio_mr_b RENAME TO prio_mr_c;
ALTER ROLE prio_mr_x RENAME TO prio_mr_b;
SELECT prio.grant_manager('prio_mr_c');
SELECT is(pg_temp.manager('prio_mr_a'), true, 'three managers pass their names round, grant_manager() of one: all stay managers (a)');
SELECT is(pg_temp.manager('prio_mr_b'), true, '... (b)');
SELECT is(pg_temp.manager('prio_mr_c'), true, '... (c)');
SELECT is((SELECT count(*) FROM prio.managers m JOIN pg_roles r ON r.oid = m.role_oid AND r.rolname = m.role_name
            WHERE m.role_name LIKE 'prio\_mr\__'), 3::bigint, '... each under its role''s name now');

SELECT * FROM finish();
ROLLBACK;
