------------------------------------------------------------------------
-- Engine: writing state.  Callers lock the customers' state rows in
-- customer_id order first (so concurrent writers never deadlock) and read
-- activities in a later statement (so they see what committed meanwhile).
-- These functions pin jit = off: JIT code is compiled anew on every
-- execution, which costs a trigger hundreds of milliseconds.  They also plan
-- for their actual arguments (force_custom_plan): they run on one customer
-- or on all of them, and a generic plan fits neither.
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.apply_facts(facts @extschema@.facts[], as_of timestamptz, why text,
                                        force boolean,
                                        OUT changed integer, OUT facts_fixed integer)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    WITH n AS MATERIALIZED (
        SELECT f.customer_id, f.first_at, f.last_at, f.last_inbound_at, f.last_outbound_at,
               f.last_purchase_at, f.frequency, f.monetary, f.intent, f.intent_at, f.stage,
               f.first_purchase_at, coalesce(f.purchase_days, 0) AS purchase_days,
               coalesce(f.first_day_amount, 0) AS first_day_amount,
               @extschema@.evaluate(f, c, r.cfg, r.r_breaks, r.f_breaks, r.m_breaks, as_of,
                                    r.bgnbd, r.gammagamma) AS e
          FROM pg_catalog.unnest(facts) AS f
          JOIN @extschema@.customers c ON c.customer_id OPERATOR(pg_catalog.=) f.customer_id
         CROSS JOIN @extschema@.rule_config r
    ), o AS (
        SELECT s.customer_id, s.tier, s.effective_stage,
               ROW(s.first_at, s.last_at, s.last_inbound_at, s.last_outbound_at, s.last_purchase_at,
                   s.frequency, s.monetary, s.intent, s.intent_at, s.stage,
                   s.first_purchase_at, s.purchase_days, s.first_day_amount)
               IS DISTINCT FROM
               ROW(n.first_at, n.last_at, n.last_inbound_at, n.last_outbound_at, n.last_purchase_at,
                   n.frequency, n.monetary, n.intent, n.intent_at, n.stage,
                   n.first_purchase_at, n.purchase_days, n.first_day_amount) AS facts_differ
          FROM @extschema@.customer_state s
          JOIN n ON n.customer_id OPERATOR(pg_catalog.=) s.customer_id
    ), upd AS (
        UPDATE @extschema@.customer_state s
           SET first_at = n.first_at, last_at = n.last_at, last_inbound_at = n.last_inbound_at,
               last_outbound_at = n.last_outbound_at, last_purchase_at = n.last_purchase_at,
               frequency = n.frequency, monetary = n.monetary, intent = n.intent,
               intent_at = n.intent_at, stage = n.stage,
               effective_stage = (n.e).effective_stage, r_score = (n.e).r_score,
               f_score = (n.e).f_score, m_score = (n.e).m_score, bant = (n.e).bant,
               no_reply = (n.e).no_reply, value_high = (n.e).value_high,
               intent_high = (n.e).intent_high, tier = (n.e).tier, priority = (n.e).priority,
               next_due_at = (n.e).next_due_at, rule = (n.e).rule,
               first_purchase_at = n.first_purchase_at, purchase_days = n.purchase_days,
               first_day_amount = n.first_day_amount,
               updated_at = pg_catalog.now()
          FROM n
         WHERE s.customer_id OPERATOR(pg_catalog.=) n.customer_id
           AND (force OR ROW(s.first_at, s.last_at, s.last_inbound_at, s.last_outbound_at, s.last_purchase_at,
                   s.frequency, s.monetary, s.intent, s.intent_at, s.stage, s.effective_stage,
                   s.r_score, s.f_score, s.m_score, s.bant, s.no_reply, s.value_high,
                   s.intent_high, s.tier, s.priority, s.next_due_at, s.rule,
                   s.first_purchase_at, s.purchase_days, s.first_day_amount)
               IS DISTINCT FROM
               ROW(n.first_at, n.last_at, n.last_inbound_at, n.last_outbound_at, n.last_purchase_at,
                   n.frequency, n.monetary, n.intent, n.intent_at, n.stage, (n.e).effective_stage,
                   (n.e).r_score, (n.e).f_score, (n.e).m_score, (n.e).bant, (n.e).no_reply,
                   (n.e).value_high, (n.e).intent_high, (n.e).tier, (n.e).priority,
                   (n.e).next_due_at, (n.e).rule,
                   n.first_purchase_at, n.purchase_days, n.first_day_amount))
        RETURNING s.customer_id, s.tier, s.effective_stage, s.rule
    ), hist AS (
        INSERT INTO @extschema@.tier_history
               (customer_id, changed_at, old_tier, new_tier, old_stage, new_stage, reason)
        SELECT u.customer_id, as_of, o.tier, u.tier, o.effective_stage, u.effective_stage,
               why OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||) u.rule
          FROM upd u JOIN o ON o.customer_id OPERATOR(pg_catalog.=) u.customer_id
         WHERE o.tier IS DISTINCT FROM u.tier OR o.effective_stage IS DISTINCT FROM u.effective_stage
        RETURNING history_id, customer_id, old_tier, new_tier, old_stage, new_stage
    )
    -- anyone may LISTEN: with owner isolation on, name only the history row
    SELECT (SELECT pg_catalog.count(pg_catalog.pg_notify('prio_tier_change',
                       CASE WHEN i.isolated
                            THEN pg_catalog.json_build_object('history_id', h.history_id)
                            ELSE pg_catalog.json_build_object('customer_id', h.customer_id,
                                     'old_tier', h.old_tier, 'new_tier', h.new_tier,
                                     'old_stage', h.old_stage, 'new_stage', h.new_stage) END::text)::text)
              FROM hist h,
                   (SELECT c.relrowsecurity AS isolated FROM pg_catalog.pg_class c
                     WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.customers'::pg_catalog.regclass) i),
           (SELECT pg_catalog.count(*) FROM o WHERE o.facts_differ)
      INTO changed, facts_fixed;
END
$$;
COMMENT ON FUNCTION @extschema@.apply_facts(@extschema@.facts[], timestamptz, text, boolean) IS
'Internal: evaluate the given facts as of as_of and write the state rows that differ (all of them when force); one tier_history row and one NOTIFY prio_tier_change per change of tier or stage (changed counts them; with owner isolation on, the payload names only the history row); facts_fixed counts stored facts that differed.  Callers must hold the state rows'' locks.';

-- Everyone at once (C, src/sweep.c): one pass over each table.  They read
-- the tables directly, past privileges and row-level security, so only
-- prio's own SECURITY DEFINER functions call them.
CREATE FUNCTION @extschema@.sweep_rebuild(why text, force boolean)
RETURNS integer
AS 'MODULE_PATHNAME', 'prio_sweep_rebuild'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.sweep_rebuild(text, boolean) IS
'Internal (rebuild of everyone): locks customer_state EXCLUSIVE, folds every customer again from one scan of the activities, evaluates now and writes the rows that differ (all when force), with history "<why>: <rule>"; returns how many customers'' stored facts differed.  Holds the activities within maintenance_work_mem (in passes beyond it).';

CREATE FUNCTION @extschema@.sweep_due(as_of timestamptz)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'prio_sweep_due'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.sweep_due(timestamptz) IS
'Internal (refresh): the customers whose stored facts, evaluated as of as_of, give another evaluation than the stored one, in customer_id order (NULL: none); reads without locks.';

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

CREATE FUNCTION @extschema@.reevaluate(ids bigint[], as_of timestamptz, why text)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_facts @extschema@.facts[];
BEGIN
    PERFORM 1 FROM @extschema@.customer_state s
     WHERE s.customer_id OPERATOR(pg_catalog.=) ANY (ids)
     ORDER BY s.customer_id FOR UPDATE;
    SELECT pg_catalog.array_agg(@extschema@.stored_facts(s)) INTO v_facts
      FROM @extschema@.customer_state s
     WHERE s.customer_id OPERATOR(pg_catalog.=) ANY (ids);
    RETURN (SELECT a.changed FROM @extschema@.apply_facts(v_facts, as_of, why, false) a);
END
$$;
COMMENT ON FUNCTION @extschema@.reevaluate(bigint[], timestamptz, text) IS
'Internal: lock and re-evaluate the given customers from their stored facts as of as_of; returns how many changed tier or stage.';


CREATE FUNCTION @extschema@.state_writes(OUT path text, OUT statements bigint, OUT state_rows bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'prio_state_writes'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.state_writes() IS
'How this session has written prio.customer_state rows so far: path executor (rows the trigger or a sweep located, updated through the executor as an UPDATE would, its triggers and constraints included) or update (the SQL UPDATE, used when row-level security, a rule, a trigger with transition tables or an executor hook is on the table), each with its statements and rows.';
