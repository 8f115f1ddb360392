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
    v_made bigint;
BEGIN
    IF TG_RELID OPERATOR(pg_catalog.<>) '@extschema@.customers'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'prio.customers_changed() is a trigger of prio.customers only' USING ERRCODE = '39P01';
    END IF;
    IF EXISTS (SELECT 1 FROM new_rows n
                WHERE n.created_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.+) interval '1 day')) THEN
        RAISE EXCEPTION 'customer created_at is more than a day in the future'
            USING ERRCODE = '22008', HINT = 'created_at defaults to now().';
    END IF;
    SELECT pg_catalog.array_agg(n.customer_id) INTO v_ids FROM new_rows n;
    -- The customers as they are now, not as the statement left them: an
    -- application's own trigger that fired before this one may have changed
    -- or deleted them since.
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
        -- An application's trigger that inserted an activity of a new customer
        -- before this one fired has made its state row already (the insert
        -- trigger makes it when it is first needed): keep that one.
        INSERT INTO @extschema@.customer_state (customer_id, owner)
        SELECT c.customer_id, c.owner FROM @extschema@.customers c
         WHERE c.customer_id OPERATOR(pg_catalog.=) ANY (v_ids)
         ORDER BY c.customer_id
            ON CONFLICT (customer_id) DO NOTHING;
        GET DIAGNOSTICS v_made = ROW_COUNT;
        IF v_made OPERATOR(pg_catalog.<) pg_catalog.cardinality(v_ids) THEN
            -- (rows this transaction made and locked: no lock to wait for)
            UPDATE @extschema@.customer_state s SET owner = c.owner
              FROM @extschema@.customers c
             WHERE s.customer_id OPERATOR(pg_catalog.=) c.customer_id
               AND c.customer_id OPERATOR(pg_catalog.=) ANY (v_ids)
               AND s.owner IS DISTINCT FROM c.owner;
        END IF;
    ELSE
        -- The UPDATE holds the customers rows; lock their state rows in
        -- customer_id order, as every writer does after the customers rows.
        PERFORM 1 FROM @extschema@.customer_state s
         WHERE s.customer_id OPERATOR(pg_catalog.=) ANY (v_ids)
         ORDER BY s.customer_id FOR UPDATE;
        UPDATE @extschema@.customer_state s SET owner = c.owner
          FROM @extschema@.customers c
         WHERE s.customer_id OPERATOR(pg_catalog.=) c.customer_id
           AND c.customer_id OPERATOR(pg_catalog.=) ANY (v_ids)
           AND s.owner IS DISTINCT FROM c.owner;
    END IF;
    -- BANT or creation time changed: re-evaluate (state rows change only if the result does)
    IF v_ids IS NOT NULL THEN
        PERFORM @extschema@.reevaluate(v_ids, pg_catalog.now(),
                                       CASE TG_OP WHEN 'INSERT' THEN 'new customer' ELSE 'customer' END);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.customers_changed() IS
'Statement trigger: a new customer gets its state row (unless an activity of it made one already); a change of BANT answers re-tiers the customer; the state''s owner follows the customer''s.';

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

