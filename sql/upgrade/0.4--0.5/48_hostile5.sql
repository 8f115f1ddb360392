-- 0.4 -> 0.5, managers' members as PostgreSQL's privileges have them:
-- prio.sees_all_customers() asks pg_has_role(..., 'USAGE'), not 'MEMBER',
-- so a NOINHERIT member of a manager role (or a member through one) sees
-- every customer only after SET ROLE, as it gets the role's GRANTs.  The
-- function is a dependency of the customers' owner_isolation policy and of
-- prio.win_counts_shared: both are dropped and created again as
-- sql/install/98_owner_isolation.sql has them, with their privileges.
-- prio.managers' comments say so, and what a row of a dropped role does.
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

CREATE FUNCTION @extschema@.sees_all_customers()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM @extschema@.managers m
                    WHERE pg_catalog.pg_has_role(CURRENT_USER,
                              pg_catalog.to_regrole(pg_catalog.quote_ident(m.role_name)), 'USAGE'));
END;
COMMENT ON FUNCTION @extschema@.sees_all_customers() IS
'Whether the current user is a role in prio.managers or has its privileges (a member through INHERIT memberships only, as for GRANTs: a NOINHERIT member sees every customer after SET ROLE), who see every customer under owner isolation.';
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.sees_all_customers()',
           NULLIF(pg_catalog.current_setting('prio.upgrade_acl_sees_all'), '')::pg_catalog.aclitem[]);

CREATE VIEW @extschema@.win_counts_shared WITH (security_barrier = true) AS
SELECT w.variable, w.value, pg_catalog.sum(w.won)::bigint AS won, pg_catalog.sum(w.lost)::bigint AS lost
  FROM @extschema@.win_counts w
 WHERE NOT (SELECT c.relrowsecurity FROM pg_catalog.pg_class c
             WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.customers'::pg_catalog.regclass)
    OR (SELECT @extschema@.sees_all_customers())
 GROUP BY w.variable, w.value;
COMMENT ON VIEW @extschema@.win_counts_shared IS
'prio.win_counts summed per (variable, value), for prio.win_model(): every row while owner isolation is off and for managers, none for anyone else while it is on.';
COMMENT ON COLUMN @extschema@.win_counts_shared.variable IS 'A feature name (prio.win_features), or * for the totals.';
COMMENT ON COLUMN @extschema@.win_counts_shared.value IS 'Its value.';
COMMENT ON COLUMN @extschema@.win_counts_shared.won IS 'Won outcomes.';
COMMENT ON COLUMN @extschema@.win_counts_shared.lost IS 'Lost outcomes.';
GRANT SELECT ON @extschema@.win_counts_shared TO PUBLIC;
SELECT @extschema@.upgrade_regrant('TABLE @extschema@.win_counts_shared',
           NULLIF(pg_catalog.current_setting('prio.upgrade_acl_win_counts_shared'), '')::pg_catalog.aclitem[]);

CREATE POLICY owner_isolation ON @extschema@.customers
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER::pg_catalog.text
           OR backup_owner OPERATOR(pg_catalog.=) CURRENT_USER::pg_catalog.text
           OR (SELECT @extschema@.sees_all_customers()));
COMMENT ON POLICY owner_isolation ON @extschema@.customers IS
'A rep (role named in owner or backup_owner) sees and writes their own customers; managers all.';

COMMENT ON COLUMN @extschema@.managers.role_name IS 'A role name.  A row naming a dropped role grants nothing, until a role of that name is created again: delete it (prio.revoke_manager() takes only an existing role).';
COMMENT ON TABLE @extschema@.managers IS
'Roles that see every customer while owner isolation is on (and the roles that have their privileges: members through INHERIT memberships; a NOINHERIT member after SET ROLE); maintained by prio.grant_manager() and prio.revoke_manager().';
