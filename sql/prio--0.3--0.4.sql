-- prio 0.3 -> 0.4.  Add-only: what 0.4 changes in the catalog, in the order
-- of the install script's parts (sql/install/).
\echo Use "ALTER EXTENSION prio UPDATE TO '0.4'" to load this file. \quit

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
