------------------------------------------------------------------------
-- Who sees every customer under owner isolation: prio.sees_all_customers(),
-- the gate to the summed win counts (prio.win_counts_shared) and the
-- customers' owner_isolation policy, which call it (the other tables'
-- policies, 98_owner_isolation.sql, follow the customers a user sees).
-- Their own part, so the update to 0.5 creates them from here too
-- (sql/upgrade/0.4--0.5/48_hostile5.sql drops 0.4's).
------------------------------------------------------------------------

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

-- The one view that is not security_invoker, on purpose: it is the gate to
-- the summed counts of every outcome, which prio.win_model() (run as the
-- caller) reads.  It reads prio.win_counts as its owner, while CURRENT_USER
-- in sees_all_customers() is still the caller: rows only while owner
-- isolation is off or for a manager.
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

CREATE POLICY owner_isolation ON @extschema@.customers
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER::pg_catalog.text
           OR backup_owner OPERATOR(pg_catalog.=) CURRENT_USER::pg_catalog.text
           OR (SELECT @extschema@.sees_all_customers()));
COMMENT ON POLICY owner_isolation ON @extschema@.customers IS
'A rep (role named in owner or backup_owner) sees and writes their own customers; managers all.';
