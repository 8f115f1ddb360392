------------------------------------------------------------------------
-- Owner isolation: row-level security so each rep sees only the
-- customers they own or cover for.  The policies are always there; they
-- apply once prio.enable_owner_isolation() turns row-level security on.
-- prio's own triggers and functions run as the tables' owner, which the
-- policies do not restrict, so live maintenance sees every customer.
------------------------------------------------------------------------

-- (its comments, its trigger and the functions that write it:
-- 98_owner_isolation_sees.sql)
CREATE TABLE @extschema@.managers (
    role_name name PRIMARY KEY CHECK (role_name OPERATOR(pg_catalog.<>) ''),
    -- (0.5) the role the name named when the row was written
    role_oid  oid
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.managers', '');
-- the policies read it as the querying user
GRANT SELECT ON @extschema@.managers TO PUBLIC;

-- the other tables follow the customers a user can see
CREATE POLICY owner_isolation ON @extschema@.activities
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) activities.customer_id));
COMMENT ON POLICY owner_isolation ON @extschema@.activities IS
'Activities of the customers the user can see (prio.customers'' policy).';
CREATE POLICY owner_isolation ON @extschema@.customer_state
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) customer_state.customer_id));
COMMENT ON POLICY owner_isolation ON @extschema@.customer_state IS
'State of the customers the user can see (prio.customers'' policy).';
CREATE POLICY owner_isolation ON @extschema@.tier_history
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) tier_history.customer_id));
COMMENT ON POLICY owner_isolation ON @extschema@.tier_history IS
'History of the customers the user can see (prio.customers'' policy).';
CREATE POLICY owner_isolation ON @extschema@.win_outcomes
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) win_outcomes.customer_id));
COMMENT ON POLICY owner_isolation ON @extschema@.win_outcomes IS
'Outcomes of the customers the user can see (prio.customers'' policy).';

CREATE FUNCTION @extschema@.enable_owner_isolation()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    ALTER TABLE @extschema@.customers ENABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.activities ENABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.customer_state ENABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.tier_history ENABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.win_outcomes ENABLE ROW LEVEL SECURITY;
END
$$;
COMMENT ON FUNCTION @extschema@.enable_owner_isolation() IS
'Turns on row-level security: each rep (role name = owner or backup_owner) sees only their customers, their activities, state, history and win outcomes, through the tables, the views and prio.explain(); managers (prio.grant_manager) see all; tier-change notifications carry only the history_id.  Run it as prio''s owner.';

CREATE FUNCTION @extschema@.disable_owner_isolation()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    ALTER TABLE @extschema@.customers DISABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.activities DISABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.customer_state DISABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.tier_history DISABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.win_outcomes DISABLE ROW LEVEL SECURITY;
END
$$;
COMMENT ON FUNCTION @extschema@.disable_owner_isolation() IS
'Turns owner isolation off again: everyone with SELECT sees every customer.  Run it as prio''s owner.';

REVOKE ALL ON FUNCTION @extschema@.enable_owner_isolation() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.disable_owner_isolation() FROM PUBLIC;

-- Trigger functions are for prio's own triggers: PostgreSQL checks EXECUTE
-- when a trigger is created, so nobody else can attach them to a table of
-- theirs (several run as prio's owner).  They also check the table they fire on.
REVOKE ALL ON FUNCTION @extschema@.invalidate_cache() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.config_row_guard() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.settings_keep_row() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.activities_inserted() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.activities_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.customers_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.config_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.win_outcomes_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.state_closed() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.state_closed_flush() FROM PUBLIC;
