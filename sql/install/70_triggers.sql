------------------------------------------------------------------------
-- Engine: triggers
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.activities_inserted()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_activities_inserted'
LANGUAGE C SECURITY DEFINER
-- It runs SQL as prio's owner: no name it uses may come from the caller's
-- search_path or temporary schema (the C also qualifies every name).
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.activities_inserted() IS
'Statement trigger (C): folds the inserted activities into their customers'' state, in chunks locked in customer_id order, and re-tiers them; history and NOTIFY for every change.';

CREATE FUNCTION @extschema@.activities_changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_ids bigint[];
BEGIN
    IF TG_RELID OPERATOR(pg_catalog.<>) '@extschema@.activities'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'prio.activities_changed() is a trigger of prio.activities only' USING ERRCODE = '39P01';
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
        PERFORM @extschema@.rebuild(NULL, 'activities truncated', true);
        RETURN NULL;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN
        IF EXISTS (SELECT 1 FROM new_rows n
                    WHERE n.at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.+) interval '1 day')) THEN
            RAISE EXCEPTION 'activity dated more than a day in the future'
                USING ERRCODE = '22008', HINT = 'Record activities when they happen.';
        END IF;
        SELECT pg_catalog.array_agg(DISTINCT x.customer_id) INTO v_ids
          FROM (SELECT customer_id FROM old_rows UNION SELECT customer_id FROM new_rows) x;
    ELSE
        SELECT pg_catalog.array_agg(DISTINCT o.customer_id) INTO v_ids FROM old_rows o;
    END IF;
    IF v_ids IS NOT NULL THEN
        -- force: the state row is written even when nothing in it changes, so a
        -- REPEATABLE READ transaction that still sees the old activities gets a
        -- serialization failure when it locks the row, not a stale refold
        PERFORM @extschema@.rebuild(v_ids, 'activity ' OPERATOR(pg_catalog.||) pg_catalog.lower(TG_OP), true);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.activities_changed() IS
'Statement trigger: UPDATE, DELETE or TRUNCATE of activities refolds the customers they touched.';

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
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_ids bigint[];
BEGIN
    IF TG_RELID OPERATOR(pg_catalog.<>) '@extschema@.customers'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'prio.customers_changed() is a trigger of prio.customers only' USING ERRCODE = '39P01';
    END IF;
    IF EXISTS (SELECT 1 FROM new_rows n
                WHERE n.created_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.+) interval '1 day')) THEN
        RAISE EXCEPTION 'customer created_at is more than a day in the future'
            USING ERRCODE = '22008', HINT = 'created_at defaults to now().';
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
        INSERT INTO @extschema@.customer_state (customer_id, owner)
        SELECT n.customer_id, n.owner FROM new_rows n ORDER BY n.customer_id;
    ELSE
        -- lock in customer_id order first, as every writer does (no deadlock)
        PERFORM 1 FROM @extschema@.customer_state s
         WHERE s.customer_id OPERATOR(pg_catalog.=) ANY (SELECT n.customer_id FROM new_rows n)
         ORDER BY s.customer_id FOR UPDATE;
        UPDATE @extschema@.customer_state s SET owner = n.owner
          FROM new_rows n
         WHERE s.customer_id OPERATOR(pg_catalog.=) n.customer_id
           AND s.owner IS DISTINCT FROM n.owner;
    END IF;
    -- BANT or creation time changed: re-evaluate (state rows change only if the result does)
    SELECT pg_catalog.array_agg(n.customer_id) INTO v_ids FROM new_rows n;
    IF v_ids IS NOT NULL THEN
        PERFORM @extschema@.reevaluate(v_ids, pg_catalog.now(),
                                       CASE TG_OP WHEN 'INSERT' THEN 'new customer' ELSE 'customer' END);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.customers_changed() IS
'Statement trigger: a new customer gets its state row; a change of BANT answers re-tiers the customer.';

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

