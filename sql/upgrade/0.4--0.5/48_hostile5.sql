-- 0.4 -> 0.5, managers' members as PostgreSQL's privileges have them:
-- prio.sees_all_customers() asks pg_has_role(..., 'USAGE'), not 'MEMBER',
-- so a NOINHERIT member of a manager role (or a member through one) sees
-- every customer only after SET ROLE, as it gets the role's GRANTs.  The
-- function is a dependency of the customers' owner_isolation policy and of
-- prio.win_counts_shared: the three are dropped here and created again from
-- sql/install/98_owner_isolation_sees.sql, their privileges given back by
-- 68_hostile5.sql.
-- prio.managers' comments say so (98_owner_isolation_sees.sql).
DO $$
DECLARE
    v_fn_acl aclitem[];
    v_view_acl aclitem[];
BEGIN
    SELECT p.proacl INTO v_fn_acl FROM pg_catalog.pg_proc p
     WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.sees_all_customers()'::pg_catalog.regprocedure;
    SELECT c.relacl INTO v_view_acl FROM pg_catalog.pg_class c
     WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.win_counts_shared'::pg_catalog.regclass;
    PERFORM pg_catalog.set_config('prio.upgrade_acl_sees_all', coalesce(v_fn_acl::text, ''), true);
    PERFORM pg_catalog.set_config('prio.upgrade_acl_win_counts_shared', coalesce(v_view_acl::text, ''), true);
END
$$;
DROP POLICY owner_isolation ON @extschema@.customers;
DROP VIEW @extschema@.win_counts_shared;
DROP FUNCTION @extschema@.sees_all_customers();

