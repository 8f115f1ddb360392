------------------------------------------------------------------------
-- Engine: triggers
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.activities_inserted()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_activities_inserted_0_4'
LANGUAGE C SECURITY DEFINER
-- It runs SQL as prio's owner: no name it uses may come from the caller's
-- search_path or temporary schema (the C also qualifies every name).
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.activities_inserted() IS
'Statement trigger (C): folds the inserted activities into their customers'' state, in chunks locked in customer_id order, and re-tiers them; history and NOTIFY for every change.';

CREATE FUNCTION @extschema@.activities_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_activities_changed'
LANGUAGE C SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.activities_changed() IS
'Statement trigger (C): UPDATE, DELETE or TRUNCATE of activities refolds the customers they touched (prio.rebuild; TRUNCATE: everyone), writing their state rows even when unchanged.';

CREATE TRIGGER activities_inserted
    AFTER INSERT ON @extschema@.activities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_inserted();
CREATE TRIGGER activities_updated
    AFTER UPDATE ON @extschema@.activities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_changed();
CREATE TRIGGER activities_deleted
    AFTER DELETE ON @extschema@.activities
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_changed();
CREATE TRIGGER activities_truncated
    AFTER TRUNCATE ON @extschema@.activities
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_changed();

CREATE FUNCTION @extschema@.customers_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_customers_changed'
LANGUAGE C SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.customers_changed() IS
'Statement trigger (C): a new customer gets its state row (unless an activity of it made one already); the state''s owner follows the customer''s; the customers are re-evaluated (prio.reevaluate), so a change of BANT answers re-tiers them.';

CREATE TRIGGER customers_inserted
    AFTER INSERT ON @extschema@.customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.customers_changed();
CREATE TRIGGER customers_updated
    AFTER UPDATE ON @extschema@.customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.customers_changed();

CREATE FUNCTION @extschema@.config_changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    IF TG_RELID OPERATOR(pg_catalog.<>) ALL (ARRAY['@extschema@.settings'::pg_catalog.regclass,
                                                  '@extschema@.activity_kinds'::pg_catalog.regclass]) THEN
        RAISE EXCEPTION 'prio.config_changed() is a trigger of prio.settings and prio.activity_kinds only'
            USING ERRCODE = '39P01';
    END IF;
    -- Wait for every transaction still writing or locking customer_state
    -- rows (it may have folded rows we cannot see yet with the old
    -- configuration) and hold off new ones until everyone is re-tiered under
    -- the new one.  EXCLUSIVE, the mode the rebuild takes, so it is no upgrade.
    LOCK TABLE @extschema@.customer_state IN EXCLUSIVE MODE;
    PERFORM @extschema@.rebuild(NULL, TG_TABLE_NAME OPERATOR(pg_catalog.||) ' changed', true);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.config_changed() IS
'Statement trigger: a change of settings or activity kinds re-tiers everyone in the same transaction.';

CREATE TRIGGER settings_changed
    AFTER INSERT OR UPDATE ON @extschema@.settings
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.config_changed();
CREATE TRIGGER activity_kinds_changed
    AFTER UPDATE OR DELETE ON @extschema@.activity_kinds
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.config_changed();

