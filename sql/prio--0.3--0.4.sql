-- prio 0.3 -> 0.4.  Add-only: what 0.4 changes in the catalog, in the order
-- of the install script's parts (sql/install/).
\echo Use "ALTER EXTENSION prio UPDATE TO '0.4'" to load this file. \quit

CREATE FUNCTION @extschema@.state_writes(OUT path text, OUT statements bigint, OUT state_rows bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'prio_state_writes'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.state_writes() IS
'How this session has written prio.customer_state rows so far: path executor (rows the trigger or a sweep located, updated through the executor as an UPDATE would, its triggers and constraints included) or update (the SQL UPDATE, used when row-level security, a rule, a trigger with transition tables or an executor hook is on the table), each with its statements and rows.';

-- 60_state_write: rebuild(ids) locks the customers rows before the state rows
-- (issue 17, defect 8)
DROP FUNCTION @extschema@.rebuild(bigint[], text, boolean);
CREATE FUNCTION @extschema@.rebuild(ids bigint[], why text, force boolean)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_facts @extschema@.facts[];
BEGIN
    IF ids IS NULL THEN
        RETURN @extschema@.sweep_rebuild(why, force);
    END IF;
    -- the customers rows first, as an UPDATE of them locks them (before its
    -- trigger locks their state rows): one lock order for every writer
    PERFORM 1 FROM @extschema@.customers c
     WHERE c.customer_id OPERATOR(pg_catalog.=) ANY (ids)
     ORDER BY c.customer_id FOR NO KEY UPDATE;
    -- a customer whose state row went missing gets one back
    INSERT INTO @extschema@.customer_state (customer_id, owner)
    SELECT c.customer_id, c.owner FROM @extschema@.customers c
     WHERE (ids IS NULL OR c.customer_id OPERATOR(pg_catalog.=) ANY (ids))
       AND NOT EXISTS (SELECT 1 FROM @extschema@.customer_state s
                        WHERE s.customer_id OPERATOR(pg_catalog.=) c.customer_id)
     ORDER BY c.customer_id;
    PERFORM 1 FROM @extschema@.customer_state s
     WHERE ids IS NULL OR s.customer_id OPERATOR(pg_catalog.=) ANY (ids)
     ORDER BY s.customer_id FOR UPDATE;
    UPDATE @extschema@.customer_state s SET owner = c.owner
      FROM @extschema@.customers c
     WHERE c.customer_id OPERATOR(pg_catalog.=) s.customer_id
       AND (ids IS NULL OR s.customer_id OPERATOR(pg_catalog.=) ANY (ids))
       AND s.owner IS DISTINCT FROM c.owner;
    SELECT pg_catalog.array_agg(x.f) INTO v_facts
      FROM (SELECT @extschema@.fold(NULL, s.customer_id, a.at,
                                    k.direction OPERATOR(pg_catalog.=) 'inbound', k.stage,
                                    k.is_purchase, k.intent_weight, a.amount, cfg.intent_half_life,
                                    a.activity_id) AS f
              FROM @extschema@.customer_state s
              LEFT JOIN @extschema@.activities a ON a.customer_id OPERATOR(pg_catalog.=) s.customer_id
              LEFT JOIN @extschema@.activity_kinds k ON k.kind OPERATOR(pg_catalog.=) a.kind
             CROSS JOIN @extschema@.settings cfg
             WHERE ids IS NULL OR s.customer_id OPERATOR(pg_catalog.=) ANY (ids)
             GROUP BY s.customer_id, cfg.intent_half_life) x;
    RETURN (SELECT a.facts_fixed
              FROM @extschema@.apply_facts(v_facts, pg_catalog.now(), why, force) a);
END
$$;
COMMENT ON FUNCTION @extschema@.rebuild(bigint[], text, boolean) IS
'Internal: lock (customers rows, then state rows), refold from all their activities and re-evaluate now the given customers (NULL: everyone, by prio.sweep_rebuild), writing every row when force; returns how many had stored facts that differed from the refold.';
REVOKE ALL ON FUNCTION @extschema@.rebuild(bigint[], text, boolean) FROM PUBLIC;

-- 70_triggers: a new customer's state row may exist already (made by an
-- activity an application's trigger inserted first); the owner is the
-- customer's as it is now (issue 17, defect 3)
DROP TRIGGER customers_inserted ON @extschema@.customers;
DROP TRIGGER customers_updated ON @extschema@.customers;
DROP FUNCTION @extschema@.customers_changed();
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
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.customers_changed();
CREATE TRIGGER customers_updated
    AFTER UPDATE ON @extschema@.customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.customers_changed();
REVOKE ALL ON FUNCTION @extschema@.customers_changed() FROM PUBLIC;
