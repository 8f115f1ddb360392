------------------------------------------------------------------------
-- Who sees every customer under owner isolation: prio.sees_all_customers(),
-- the gate to the summed win counts (prio.win_counts_shared) and the
-- customers' owner_isolation policy, which call it (the other tables'
-- policies, 98_owner_isolation.sql, follow the customers a user sees), and
-- (0.5) who prio.managers names: its trigger, grant_manager() and
-- revoke_manager().  Their own part, so the update to 0.5 creates them from
-- here too (sql/upgrade/0.4--0.5/48_hostile5.sql and 49_managers.sql drop 0.4's).
------------------------------------------------------------------------

-- (0.5) A row names a role by name, as a dump and restore need (OIDs
-- differ between clusters), and keeps the OID of the role the name named
-- when the row was written: a role dropped and created again under that
-- name is another role, and is no manager until grant_manager() says so.
COMMENT ON TABLE @extschema@.managers IS
'Roles that see every customer while owner isolation is on (and the roles that have their privileges: members through INHERIT memberships; a NOINHERIT member after SET ROLE); maintained by prio.grant_manager() and prio.revoke_manager().';
COMMENT ON COLUMN @extschema@.managers.role_name IS 'A role name.  A row of a dropped role grants nothing, not even to a role created again under that name (prio.grant_manager() makes that one a manager), and is not dumped.  A row of a role renamed since keeps the old name (the role stays a manager) and is not dumped until the next prio.grant_manager() gives it that name.';
COMMENT ON COLUMN @extschema@.managers.role_oid IS 'The role role_name named when the row was written (set by prio; NULL: none did): the role the row makes a manager.';
-- rows of dropped roles stay out of dumps; a restore's rows name the roles
-- of the cluster they are loaded into (the trigger below), so a row of a
-- role renamed since (its old name) stays out too: restored, it would make
-- the role of the old name a manager (grant_manager() of the new name
-- brings the row to it)
SELECT pg_catalog.pg_extension_config_dump('@extschema@.managers',
           'WHERE EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) role_oid AND r.rolname OPERATOR(pg_catalog.=) role_name)');

CREATE FUNCTION @extschema@.managers_role()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_RELID OPERATOR(pg_catalog.<>) '@extschema@.managers'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'prio.managers_role() is a trigger of prio.managers only' USING ERRCODE = '39P01';
    END IF;
    NEW.role_oid := pg_catalog.to_regrole(pg_catalog.quote_ident(NEW.role_name));
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.managers_role() IS
'Row trigger on prio.managers (before INSERT or UPDATE, a restore''s too): role_oid is the role that role_name names now.';
REVOKE ALL ON FUNCTION @extschema@.managers_role() FROM PUBLIC;
CREATE TRIGGER managers_role
    BEFORE INSERT OR UPDATE ON @extschema@.managers
    FOR EACH ROW EXECUTE FUNCTION @extschema@.managers_role();

CREATE FUNCTION @extschema@.grant_manager(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_names name[];
BEGIN
    PERFORM @extschema@.grant_reader(role);
    -- (0.5) rows of roles renamed since they were written take their
    -- roles' names now (a dump names a role by name).  All of them, taken
    -- out and put back under the new names: renamed one by one, two
    -- managers that swapped names would each find its name taken, and the
    -- INSERT below would give this role the other's row.  A new name can
    -- be held only by a row that makes no role a manager (its role dropped,
    -- or none): that row names the renamed role now.
    v_names := ARRAY(SELECT DISTINCT r.rolname FROM @extschema@.managers m
                       JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) m.role_oid
                      WHERE m.role_name OPERATOR(pg_catalog.<>) r.rolname);
    IF pg_catalog.cardinality(v_names) OPERATOR(pg_catalog.>) 0 THEN
        DELETE FROM @extschema@.managers m USING pg_catalog.pg_roles r
         WHERE r.oid OPERATOR(pg_catalog.=) m.role_oid AND m.role_name OPERATOR(pg_catalog.<>) r.rolname;
        INSERT INTO @extschema@.managers AS m (role_name)
        SELECT n FROM pg_catalog.unnest(v_names) n
        ON CONFLICT (role_name) DO UPDATE SET role_name = excluded.role_name;
    END IF;
    -- (0.5) a row of a dropped role of that name now names this one
    INSERT INTO @extschema@.managers AS m (role_name)
    SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) role
    ON CONFLICT (role_name) DO UPDATE SET role_name = excluded.role_name
     WHERE m.role_oid IS DISTINCT FROM excluded.role_oid;
END
$$;
COMMENT ON FUNCTION @extschema@.grant_manager(regrole) IS
'Sales managers (and applications that write for every rep): what grant_reader gives, and every customer visible while owner isolation is on.  Run it as prio''s owner.';

CREATE FUNCTION @extschema@.revoke_manager(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'role must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- (0.5) the role's rows, under whatever name (renamed since), and a
    -- row of its name that makes no role a manager (its role dropped)
    DELETE FROM @extschema@.managers m
     USING pg_catalog.pg_roles r
     WHERE r.oid OPERATOR(pg_catalog.=) role
       AND (m.role_oid OPERATOR(pg_catalog.=) role
            OR (m.role_name OPERATOR(pg_catalog.=) r.rolname
                AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles o WHERE o.oid OPERATOR(pg_catalog.=) m.role_oid)));
END
$$;
COMMENT ON FUNCTION @extschema@.revoke_manager(regrole) IS
'Takes a role out of prio.managers (its reader grants stay).  Run it as prio''s owner.';
REVOKE ALL ON FUNCTION @extschema@.grant_manager(regrole) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.revoke_manager(regrole) FROM PUBLIC;

CREATE FUNCTION @extschema@.sees_all_customers()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM @extschema@.managers m
                    WHERE pg_catalog.pg_has_role(CURRENT_USER, m.role_oid, 'USAGE'));
END;
COMMENT ON FUNCTION @extschema@.sees_all_customers() IS
'Whether the current user is a role in prio.managers (the role its row was written for, not another of that name) or has its privileges (a member through INHERIT memberships only, as for GRANTs: a NOINHERIT member sees every customer after SET ROLE), who see every customer under owner isolation.';

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
