-- prio 0.3 -> 0.4.  Add-only: what 0.4 changes in the catalog, in the order
-- of the install script's parts (sql/install/).
\echo Use "ALTER EXTENSION prio UPDATE TO '0.4'" to load this file. \quit

-- This update drops prio's triggers and creates them again (new functions,
-- WHEN clauses), which would reset what a DBA set with ALTER TABLE ...
-- ENABLE ALWAYS / ENABLE REPLICA / DISABLE TRIGGER (a logical replication
-- subscriber fires only ALWAYS or REPLICA triggers): kept here, put back at
-- the end.
SELECT pg_catalog.set_config('prio.upgrade_trigger_states',
           coalesce(pg_catalog.string_agg(pg_catalog.concat_ws(' ', c.relname, t.tgname, t.tgenabled), ','), ''),
           true)
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.tgrelid
 WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
   AND NOT t.tgisinternal AND t.tgenabled OPERATOR(pg_catalog.<>) 'O';

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


------------------------------------------------------------------------
-- Issue 17, defects 6 and 7: refresh() and the win-count compaction run one
-- at a time by locking a row of prio.job_locks (advisory keys could be taken
-- by any role); a skipped refresh returns NULL and is logged in
-- prio.refresh_runs; new automatic breaks or CLV models wait for the writers
-- in flight (EXCLUSIVE on customer_state, as a settings change).  The
-- functions are dropped and created again, their grants given back
-- (prio.upgrade_regrant).
------------------------------------------------------------------------

-- Gives back the privileges a dropped and re-created object had (acl:
-- its old ACL); used throughout this script, dropped at its end
-- (99_triggers.sql).
CREATE FUNCTION @extschema@.upgrade_regrant(target text, acl aclitem[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    IF acl IS NULL THEN
        RETURN;                         -- the default privileges, as created
    END IF;
    -- a function is created with EXECUTE for PUBLIC: take it back unless
    -- the old one had it
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(acl) a WHERE a.grantee OPERATOR(pg_catalog.=) 0) THEN
        EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC', target);
    END IF;
    FOR r IN SELECT a.grantee, a.privilege_type, a.is_grantable
               FROM pg_catalog.aclexplode(acl) a
              WHERE a.grantee OPERATOR(pg_catalog.<>) a.grantor
    LOOP
        EXECUTE pg_catalog.format('GRANT %s ON %s TO %s%s', r.privilege_type, target,
                    CASE WHEN r.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                         ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r.grantee)) END,
                    CASE WHEN r.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
END
$$;

SELECT pg_catalog.set_config('prio.upgrade_acl_' OPERATOR(pg_catalog.||) p.proname,
                             coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) ANY (ARRAY['@extschema@.refresh(timestamptz)'::pg_catalog.regprocedure,
                                                '@extschema@.compact_win_counts()'::pg_catalog.regprocedure]);
DROP FUNCTION @extschema@.refresh(timestamptz);
DROP FUNCTION @extschema@.compact_win_counts();

-- Jobs that run one at a time hold their row here, locked FOR UPDATE until
-- their transaction ends.  Not an advisory lock: any role that can connect
-- can take those; locking these rows needs UPDATE privilege on the table,
-- which only prio's owner has.
CREATE TABLE @extschema@.job_locks (
    job text PRIMARY KEY
);
COMMENT ON TABLE @extschema@.job_locks IS
'One row per prio job that runs one at a time (refresh, win_counts: the compaction of prio.win_counts); the job holds its row locked until its transaction ends.  Only prio''s owner can lock these rows.  Maintained by prio.';
COMMENT ON COLUMN @extschema@.job_locks.job IS 'The job.';
INSERT INTO @extschema@.job_locks (job) VALUES ('refresh'), ('win_counts');

CREATE TABLE @extschema@.refresh_runs (
    run_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    as_of       timestamptz NOT NULL,
    skipped     boolean NOT NULL,
    changed     integer,
    breaks      text CHECK (breaks IN ('unchanged', 'updated', 'deferred')),
    finished_at timestamptz NOT NULL
);
COMMENT ON TABLE @extschema@.refresh_runs IS
'The run log of prio.refresh(): one row per call (the latest 1000), written in the caller''s transaction; a call skipped because another refresh was running says so here and returns NULL.';
COMMENT ON COLUMN @extschema@.refresh_runs.run_id IS 'Generated, increasing.';
COMMENT ON COLUMN @extschema@.refresh_runs.started_at IS 'When the call started (clock time).';
COMMENT ON COLUMN @extschema@.refresh_runs.as_of IS 'The time it evaluated customers as of.';
COMMENT ON COLUMN @extschema@.refresh_runs.skipped IS 'True when another refresh held the job and this one did nothing.';
COMMENT ON COLUMN @extschema@.refresh_runs.changed IS 'Customers that changed tier or stage (what refresh() returned); NULL when skipped.';
COMMENT ON COLUMN @extschema@.refresh_runs.breaks IS 'The automatic breaks and CLV models: unchanged (nothing new), updated, or deferred (new ones were due, but a transaction writing customer_state held it past lock_timeout: the old ones stay in force until a later refresh); NULL when skipped.';
COMMENT ON COLUMN @extschema@.refresh_runs.finished_at IS 'When the call finished (clock time).';
COMMENT ON SEQUENCE @extschema@.refresh_runs_run_id_seq IS 'Generates prio.refresh_runs.run_id.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.refresh_runs', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.refresh_runs_run_id_seq', '');

CREATE FUNCTION @extschema@.refresh(as_of timestamptz DEFAULT pg_catalog.now())
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_started timestamptz := pg_catalog.clock_timestamp();
    v_ids bigint[];
    v_changed integer := 0;
    v_r double precision[];
    v_f double precision[];
    v_m double precision[];
    v_n bigint;
    v_fit boolean;
    v_locked boolean := false;
    v_breaks text := 'unchanged';
    v_planned bigint[];
    v_hmax bigint;
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'as_of must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF NOT pg_catalog.isfinite(as_of) THEN
        RAISE EXCEPTION 'as_of must be a finite time, not %', as_of USING ERRCODE = '22023';
    END IF;
    IF as_of OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.+) interval '10 years') THEN
        RAISE EXCEPTION 'as_of is more than 10 years ahead' USING ERRCODE = '22023',
            HINT = 'refresh(as_of) evaluates customers at a time; history rows are dated then.';
    END IF;
    -- one refresh at a time (a second one has nothing to add): the job's row
    -- in prio.job_locks, which no other role can lock
    PERFORM 1 FROM @extschema@.job_locks j WHERE j.job OPERATOR(pg_catalog.=) 'refresh'
        FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT 1 FROM @extschema@.job_locks j WHERE j.job OPERATOR(pg_catalog.=) 'refresh') THEN
            RAISE EXCEPTION 'prio.job_locks has no row for the job refresh' USING ERRCODE = '55000',
                HINT = 'INSERT INTO prio.job_locks (job) VALUES (''refresh''), as prio''s owner.';
        END IF;
        RAISE NOTICE 'prio.refresh() is already running in another session; skipped';
        INSERT INTO @extschema@.refresh_runs (started_at, as_of, skipped, changed, finished_at)
        VALUES (v_started, as_of, true, NULL, pg_catalog.clock_timestamp());
        RETURN NULL;
    END IF;

    -- the CLV models are due when the latest fit is old and enough customers
    -- bought again (fitted before the evaluation: the value side may use them)
    v_fit := NOT EXISTS (SELECT 1 FROM @extschema@.clv_models m, @extschema@.settings cfg
                          WHERE m.fitted_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) cfg.clv_refit_after))
             AND (SELECT pg_catalog.count(*) FROM @extschema@.customer_state s
                   WHERE s.purchase_days OPERATOR(pg_catalog.>) 1)
                 OPERATOR(pg_catalog.>=) (SELECT cfg.clv_min_repeat_buyers FROM @extschema@.settings cfg);
    -- New breaks or models change how customers are scored, and a writer
    -- still in flight has scored its customers under the old ones.  So, as a
    -- settings change does, wait for every transaction writing state and hold
    -- off new ones until this one ends; then compute the breaks again, from
    -- everything committed (a later statement sees it).
    LOOP
        SELECT pg_catalog.percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP
               (ORDER BY @extschema@.recency_days(s.last_purchase_at, as_of)),
               pg_catalog.percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP
               (ORDER BY s.frequency::double precision),
               pg_catalog.percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP
               (ORDER BY s.monetary::double precision),
               pg_catalog.count(*)
          INTO v_r, v_f, v_m, v_n
          FROM @extschema@.customer_state s
         WHERE s.frequency OPERATOR(pg_catalog.>) 0;
        EXIT WHEN v_locked;
        EXIT WHEN NOT v_fit
              AND NOT EXISTS (SELECT 1 FROM @extschema@.auto_breaks b
                               WHERE ROW(b.r_breaks, b.f_breaks, b.m_breaks, b.buyers)
                                     IS DISTINCT FROM ROW(v_r, v_f, v_m, v_n)
                                  OR b.computed_at IS NULL);
        -- EXCLUSIVE, the mode a settings change and the rebuild take.  While
        -- it waits, new writers queue behind it: with lock_timeout set, a
        -- refresh that cannot have it in time keeps the old breaks and models
        -- (the writers scored under them) and does the rest.
        BEGIN
            LOCK TABLE @extschema@.customer_state IN EXCLUSIVE MODE;
            v_locked := true;
        EXCEPTION WHEN lock_not_available THEN
            RAISE WARNING 'prio.refresh(): new automatic breaks and CLV models deferred: a transaction writing prio.customer_state held it past lock_timeout (%)',
                          pg_catalog.current_setting('lock_timeout');
            v_breaks := 'deferred';
            EXIT;
        END;
    END LOOP;

    IF v_locked THEN
        v_breaks := 'updated';
        UPDATE @extschema@.auto_breaks b
           SET r_breaks = v_r, f_breaks = v_f, m_breaks = v_m, buyers = v_n, computed_at = as_of
         WHERE ROW(b.r_breaks, b.f_breaks, b.m_breaks, b.buyers) IS DISTINCT FROM ROW(v_r, v_f, v_m, v_n)
            OR b.computed_at IS NULL;
        IF v_fit THEN
            BEGIN
                PERFORM @extschema@.fit_clv();
            EXCEPTION WHEN invalid_parameter_value THEN
                RAISE WARNING 'prio.refresh(): the CLV models were not fitted: %', SQLERRM;
            END;
        END IF;
    END IF;
    -- planned touches that came due (customer_state.next_planned_at, an
    -- activity dated after its customer was last folded): those customers
    -- folded again, as of now, their changes counted
    v_planned := ARRAY(SELECT s.customer_id FROM @extschema@.customer_state s
                        WHERE s.next_planned_at OPERATOR(pg_catalog.<=) pg_catalog.now()
                        ORDER BY s.customer_id);
    IF pg_catalog.cardinality(v_planned) OPERATOR(pg_catalog.>) 0 THEN
        SELECT pg_catalog.max(h.history_id) INTO v_hmax FROM @extschema@.tier_history h;
        PERFORM @extschema@.rebuild(v_planned, 'refresh', false);
        SELECT pg_catalog.count(DISTINCT h.customer_id) INTO v_changed FROM @extschema@.tier_history h
         WHERE h.history_id OPERATOR(pg_catalog.>) coalesce(v_hmax, 0);
    END IF;
    -- who would change: evaluate everyone without locks, then lock and apply only those
    v_ids := @extschema@.sweep_due(as_of);
    IF v_ids IS NOT NULL THEN
        v_changed := v_changed OPERATOR(pg_catalog.+) @extschema@.reevaluate(v_ids, as_of, 'refresh');
    END IF;

    -- sum up the win-count deltas
    IF EXISTS (SELECT 1 FROM @extschema@.win_counts w GROUP BY w.variable, w.value
                HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1) THEN
        PERFORM @extschema@.compact_win_counts();
    END IF;

    INSERT INTO @extschema@.refresh_runs (started_at, as_of, skipped, changed, breaks, finished_at)
    VALUES (v_started, as_of, false, v_changed, v_breaks, pg_catalog.clock_timestamp());
    DELETE FROM @extschema@.refresh_runs r
     WHERE r.run_id OPERATOR(pg_catalog.<=)
           (SELECT pg_catalog.max(l.run_id) OPERATOR(pg_catalog.-) 1000 FROM @extschema@.refresh_runs l);
    RETURN v_changed;
END
$$;
COMMENT ON FUNCTION @extschema@.refresh(timestamptz) IS
'Time moves customers too: folds the planned touches that came due (activities dated after their customer was last folded), recomputes automatic breaks, re-evaluates everyone as of as_of (silent, dormant, overdue, decayed intent), writes only rows that change, logs changes; fits the CLV models again (prio.fit_clv) when the latest fit is older than settings.clv_refit_after and enough customers bought again; returns how many customers changed tier or stage.  When the breaks or the models change it first waits for the transactions writing state and holds off new ones until it ends, as a settings change does; with lock_timeout set, a refresh that cannot lock them out in time keeps the old breaks and models (a WARNING, breaks = deferred in the log).  One call at a time: a concurrent second call returns NULL at once, with a NOTICE; every call is logged in prio.refresh_runs.';
REVOKE ALL ON FUNCTION @extschema@.refresh(timestamptz) FROM PUBLIC;

CREATE FUNCTION @extschema@.compact_win_counts()
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    -- one at a time, and never waiting: a writer that cannot have the job's
    -- row (prio.job_locks, which no other role can lock) leaves its deltas to
    -- the next one; concurrent appends are not seen (one snapshot) and stay
    PERFORM 1 FROM @extschema@.job_locks j WHERE j.job OPERATOR(pg_catalog.=) 'win_counts'
        FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        WITH d AS (DELETE FROM @extschema@.win_counts RETURNING variable, value, won, lost)
        INSERT INTO @extschema@.win_counts (variable, value, won, lost)
        SELECT d.variable, d.value, pg_catalog.sum(d.won), pg_catalog.sum(d.lost)
          FROM d GROUP BY 1, 2
        HAVING pg_catalog.sum(d.won) OPERATOR(pg_catalog.<>) 0 OR pg_catalog.sum(d.lost) OPERATOR(pg_catalog.<>) 0;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.compact_win_counts() IS
'Internal: sums up the delta rows of prio.win_counts (skipped while another session does it).';
REVOKE ALL ON FUNCTION @extschema@.compact_win_counts() FROM PUBLIC;

SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.refresh(timestamptz)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_refresh'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.compact_win_counts()',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_compact_win_counts'), '')::pg_catalog.aclitem[]);

------------------------------------------------------------------------
-- Issue 17, defect 4: under owner isolation a rep's win model comes only
-- from the outcomes the rep can see.  win_model() runs as the caller (it was
-- SECURITY DEFINER over every outcome); the summed counts of everyone come
-- through the gate prio.win_counts_shared.  win_factors, win_probability
-- (their defaults call win_model) are dropped and created again as they
-- were; followup (calls both) is dropped here and created once, as 0.4 has
-- it, at the end of this script's own part (issue 18, item 1), its
-- privileges and its columns' given back there.
------------------------------------------------------------------------

SELECT pg_catalog.set_config('prio.upgrade_acl_followup', coalesce(c.relacl::text, ''), true)
  FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.followup'::pg_catalog.regclass;
-- and its columns' (GRANT SELECT (tier, ...) ON prio.followup), given back
-- to the columns the view still has
SELECT pg_catalog.set_config('prio.upgrade_colacl_followup',
           coalesce(pg_catalog.jsonb_object_agg(a.attname, a.attacl::text)::text, '{}'), true)
  FROM pg_catalog.pg_attribute a
 WHERE a.attrelid OPERATOR(pg_catalog.=) '@extschema@.followup'::pg_catalog.regclass
   AND a.attacl IS NOT NULL;
SELECT pg_catalog.set_config('prio.upgrade_acl_' OPERATOR(pg_catalog.||) p.proname,
                             coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) ANY (ARRAY['@extschema@.win_model()'::pg_catalog.regprocedure,
                                                '@extschema@.win_factors(jsonb, jsonb)'::pg_catalog.regprocedure,
                                                '@extschema@.win_probability(jsonb, jsonb)'::pg_catalog.regprocedure]);
DROP VIEW @extschema@.followup;
DROP FUNCTION @extschema@.win_probability(jsonb, jsonb);
DROP FUNCTION @extschema@.win_factors(jsonb, jsonb);
DROP FUNCTION @extschema@.win_model();

-- Not SECURITY DEFINER: under owner isolation the model a rep reads must be
-- built from the outcomes the rep may see, so it runs as the caller.  The
-- summed counts of everyone come through prio.win_counts_shared, which
-- gives rows only while isolation is off and to managers (the raw delta rows
-- stay unreadable: one statement's rows are one closed customer's features).
CREATE FUNCTION @extschema@.win_model()
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_counts @extschema@.win_counts[];
BEGIN
    IF NOT (SELECT c.relrowsecurity FROM pg_catalog.pg_class c
             WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.customers'::pg_catalog.regclass)
       OR @extschema@.sees_all_customers() THEN
        SELECT pg_catalog.array_agg(ROW(w.variable, w.value, w.won, w.lost)::@extschema@.win_counts)
          INTO v_counts FROM @extschema@.win_counts_shared w;
    ELSE
        -- a rep under owner isolation: the outcomes row-level security lets
        -- the caller see (their own and covered customers), nobody else's
        SELECT pg_catalog.array_agg(ROW(x.variable, x.value, x.won, x.lost)::@extschema@.win_counts)
          INTO v_counts
          FROM (SELECT f.key AS variable, f.value,
                       pg_catalog.count(*) FILTER (WHERE o.won) AS won,
                       pg_catalog.count(*) FILTER (WHERE NOT o.won) AS lost
                  FROM @extschema@.win_outcomes o,
                       LATERAL (SELECT e.key, e.value FROM pg_catalog.jsonb_each_text(o.features) e
                                UNION ALL SELECT '*', '*') f
                 GROUP BY 1, 2) x;
    END IF;
    RETURN (
        WITH c AS (
            SELECT u.variable, u.value, u.won, u.lost FROM pg_catalog.unnest(v_counts) u
             WHERE u.won OPERATOR(pg_catalog.>) 0 OR u.lost OPERATOR(pg_catalog.>) 0
        ), v AS (
            SELECT c.variable, pg_catalog.jsonb_build_array(pg_catalog.sum(c.won), pg_catalog.sum(c.lost),
                                                            GREATEST(pg_catalog.count(*), 2)) AS totals,
                   pg_catalog.jsonb_object_agg(c.value, pg_catalog.jsonb_build_array(c.won, c.lost)) AS counts
              FROM c WHERE c.variable OPERATOR(pg_catalog.<>) '*' GROUP BY 1
        )
        SELECT pg_catalog.jsonb_build_object(
                   'total', (SELECT pg_catalog.jsonb_build_array(coalesce(pg_catalog.sum(c.won), 0), coalesce(pg_catalog.sum(c.lost), 0))
                               FROM c WHERE c.variable OPERATOR(pg_catalog.=) '*'),
                   'variables', coalesce((SELECT pg_catalog.jsonb_object_agg(v.variable, v.totals) FROM v), '{}'),
                   'counts', coalesce((SELECT pg_catalog.jsonb_object_agg(v.variable, v.counts) FROM v), '{}')));
END
$$;
COMMENT ON FUNCTION @extschema@.win_model() IS
'The naive-Bayes model as one value, read once per query: won/lost totals, per variable its won and lost outcomes and number of values, and the won/lost counts of each value.  Built from every outcome (prio.win_counts summed) while owner isolation is off and for managers; for a rep under owner isolation only from the outcomes of the customers the rep can see (prio.win_outcomes through row-level security), so nothing in it comes from another rep''s customers: another rep closing a deal changes nothing in it, and it has no other owner''s counts.  Such a rep''s win probabilities learn from their own deals only; the rep needs SELECT on prio.win_outcomes (prio.grant_reader).';

CREATE FUNCTION @extschema@.win_factors(features jsonb, model jsonb DEFAULT @extschema@.win_model())
RETURNS TABLE (variable text, value text, won bigint, lost bigint, weight double precision)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    -- log P(value | won) - log P(value | lost), Laplace-smoothed over the values seen
    SELECT x.variable, x.value, x.won, x.lost,
           pg_catalog.ln((x.won OPERATOR(pg_catalog.+) 1)::double precision
                         OPERATOR(pg_catalog./) (x.var_won OPERATOR(pg_catalog.+) x.k)::double precision)
           OPERATOR(pg_catalog.-)
           pg_catalog.ln((x.lost OPERATOR(pg_catalog.+) 1)::double precision
                         OPERATOR(pg_catalog./) (x.var_lost OPERATOR(pg_catalog.+) x.k)::double precision)
      FROM (SELECT f.key AS variable, f.value,
                   coalesce(((model OPERATOR(pg_catalog.->) 'counts' OPERATOR(pg_catalog.->) f.key
                              OPERATOR(pg_catalog.->) f.value) OPERATOR(pg_catalog.->>) 0)::bigint, 0) AS won,
                   coalesce(((model OPERATOR(pg_catalog.->) 'counts' OPERATOR(pg_catalog.->) f.key
                              OPERATOR(pg_catalog.->) f.value) OPERATOR(pg_catalog.->>) 1)::bigint, 0) AS lost,
                   coalesce(((model OPERATOR(pg_catalog.->) 'variables' OPERATOR(pg_catalog.->) f.key)
                             OPERATOR(pg_catalog.->>) 0)::bigint, 0) AS var_won,
                   coalesce(((model OPERATOR(pg_catalog.->) 'variables' OPERATOR(pg_catalog.->) f.key)
                             OPERATOR(pg_catalog.->>) 1)::bigint, 0) AS var_lost,
                   coalesce(((model OPERATOR(pg_catalog.->) 'variables' OPERATOR(pg_catalog.->) f.key)
                             OPERATOR(pg_catalog.->>) 2)::bigint, 2) AS k
              FROM pg_catalog.jsonb_each_text(features) f) x
     ORDER BY 5 DESC, 1;
END;
COMMENT ON FUNCTION @extschema@.win_factors(jsonb, jsonb) IS
'Each feature''s weight in the naive-Bayes win probability: log P(value | won) - log P(value | lost) (Laplace smoothing over the values seen), with its won and lost counts; positive raises the probability.  model defaults to prio.win_model().';

CREATE FUNCTION @extschema@.win_probability(features jsonb, model jsonb DEFAULT @extschema@.win_model())
RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT GREATEST(1e-6::double precision, LEAST(1::double precision OPERATOR(pg_catalog.-) 1e-6,
               1 OPERATOR(pg_catalog./) (1 OPERATOR(pg_catalog.+) pg_catalog.exp(OPERATOR(pg_catalog.-) GREATEST(-700::double precision, LEAST(700::double precision,
                   pg_catalog.ln((coalesce(((model OPERATOR(pg_catalog.->) 'total') OPERATOR(pg_catalog.->>) 0)::bigint, 0)
                                  OPERATOR(pg_catalog.+) 1)::double precision
                                 OPERATOR(pg_catalog./)
                                 (coalesce(((model OPERATOR(pg_catalog.->) 'total') OPERATOR(pg_catalog.->>) 1)::bigint, 0)
                                  OPERATOR(pg_catalog.+) 1)::double precision)
                   OPERATOR(pg_catalog.+)
                   coalesce((SELECT pg_catalog.sum(x.weight) FROM @extschema@.win_factors(features, model) x), 0)))))));
END;
COMMENT ON FUNCTION @extschema@.win_probability(jsonb, jsonb) IS
'Naive-Bayes probability of winning a deal with these features (prio.win_features) under the model (default prio.win_model(): the won and lost customers so far); strictly between 0 and 1, 0.5 before any outcome.';


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

SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.win_model()',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_win_model'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.win_factors(jsonb, jsonb)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_win_factors'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.win_probability(jsonb, jsonb)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_win_probability'), '')::pg_catalog.aclitem[]);


-- grant_admin() also gives the refresh run log
SELECT pg_catalog.set_config('prio.upgrade_acl_grant_admin', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.grant_admin(regrole)'::pg_catalog.regprocedure;
DROP FUNCTION @extschema@.grant_admin(regrole);
CREATE FUNCTION @extschema@.grant_admin(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.grant_writer(role);
    EXECUTE pg_catalog.format('GRANT UPDATE ON @extschema@.settings TO %s', role);
    EXECUTE pg_catalog.format('GRANT INSERT, UPDATE, DELETE ON @extschema@.activity_kinds, @extschema@.rfm_segments TO %s', role);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.refresh(timestamptz), @extschema@.recompute(bigint),'
                              ' @extschema@.fit_clv() TO %s', role);
    EXECUTE pg_catalog.format('GRANT SELECT ON @extschema@.refresh_runs TO %s', role);
    -- tracked tables: attach and detach (of a table the role owns, or may
    -- create triggers on and read all of: prio._track_check_owner), see
    -- them with their mappings and last errors, and the kinds to map
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.track(regclass, text, jsonb), @extschema@.untrack(regclass),'
                              ' @extschema@.unmapped_kinds_of_sources() TO %s', role);
    EXECUTE pg_catalog.format('GRANT SELECT ON @extschema@.tracked, @extschema@.sources, @extschema@.unmapped_kinds TO %s', role);
END
$$;
COMMENT ON FUNCTION @extschema@.grant_admin(regrole) IS
'Whoever runs prio: what grant_writer gives, plus settings, activity kinds, segments, refresh(), recompute() and fit_clv(), the refresh run log (prio.refresh_runs), and tracked tables: prio.track() and prio.untrack() (of tables the role owns, or may create triggers on and read all of), prio.tracked and prio.unmapped_kinds.';
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.grant_admin(regrole)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_grant_admin'), '')::pg_catalog.aclitem[]);



-- Restore (issue 17, defect 9): a restore gives back exactly what was dumped.
-- prio._restore, dumped first, puts the restoring session in restore mode;
-- the derived tables are dumped too; removed configuration rows are kept in
-- prio.removed_config so a restore removes the built-in rows seeded again.

CREATE FUNCTION @extschema@.restore_begin()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_restore_begin'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.restore_begin() IS
'Row trigger (C) on prio._restore: a restore loading the dumped row puts its session in restore mode (prio''s triggers stand aside until the session ends) and skips the row, which CREATE EXTENSION has seeded.';

CREATE FUNCTION @extschema@.restoring()
RETURNS boolean
AS 'MODULE_PATHNAME', 'prio_restoring'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.restoring() IS
'True in a session that is loading a dump of prio (it loaded prio._restore): prio''s triggers then leave customers, activities, state, history and outcomes as loaded.';

CREATE TABLE @extschema@._restore (
    id boolean PRIMARY KEY DEFAULT true CHECK (id)
);
COMMENT ON TABLE @extschema@._restore IS
'One row, dumped first by pg_dump: loading it back tells prio that the session restores a dump, so the dumped state and history are loaded as they were instead of being derived again.  Never write it.';
COMMENT ON COLUMN @extschema@._restore.id IS 'Always true: one row.';
-- seeded before the trigger exists: CREATE EXTENSION is no restore
INSERT INTO @extschema@._restore DEFAULT VALUES;
CREATE TRIGGER restore_begin
    BEFORE INSERT ON @extschema@._restore
    FOR EACH ROW EXECUTE FUNCTION @extschema@.restore_begin();
SELECT pg_catalog.pg_extension_config_dump('@extschema@._restore', '');

-- A removed row must stay removed across a dump and restore, but CREATE
-- EXTENSION seeds the built-in rows again before the dumped rows arrive: the
-- key of every removed row is kept (and dumped) here, and loading it back
-- removes the seeded built-in row.
CREATE TABLE @extschema@.removed_config (
    table_name text NOT NULL CHECK (table_name IN ('rfm_segments', 'activity_kinds')),
    key        text NOT NULL,
    removed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (table_name, key)
);
COMMENT ON TABLE @extschema@.removed_config IS
'Keys of rows removed from prio.rfm_segments and prio.activity_kinds (kept by prio, dumped): a restore removes the built-in row CREATE EXTENSION seeded again under such a key, so a removed built-in row stays removed.';
COMMENT ON COLUMN @extschema@.removed_config.table_name IS 'rfm_segments or activity_kinds.';
COMMENT ON COLUMN @extschema@.removed_config.key IS 'The removed row''s key (position or kind), as text.';
COMMENT ON COLUMN @extschema@.removed_config.removed_at IS 'When it was first removed.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.removed_config', '');

CREATE FUNCTION @extschema@.config_row_removed()
RETURNS trigger
LANGUAGE plpgsql
-- it writes prio.removed_config, which only prio writes, for an admin who
-- may delete configuration rows
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- TG_ARGV[0] is the key column
    IF TG_RELID OPERATOR(pg_catalog.<>) ALL (ARRAY['@extschema@.rfm_segments'::pg_catalog.regclass,
                                                  '@extschema@.activity_kinds'::pg_catalog.regclass]) THEN
        RAISE EXCEPTION 'prio.config_row_removed() is a trigger of prio.rfm_segments and prio.activity_kinds only'
            USING ERRCODE = '39P01';
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
        EXECUTE pg_catalog.format(
            'INSERT INTO @extschema@.removed_config (table_name, key) SELECT $1, t.%I::text FROM %s t'
            ' ON CONFLICT DO NOTHING', TG_ARGV[0], TG_RELID::pg_catalog.regclass)
        USING TG_TABLE_NAME;
    ELSE
        INSERT INTO @extschema@.removed_config (table_name, key)
        VALUES (TG_TABLE_NAME, pg_catalog.to_jsonb(OLD) OPERATOR(pg_catalog.->>) TG_ARGV[0])
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.config_row_removed() IS
'Trigger on prio.rfm_segments and prio.activity_kinds (row after DELETE, statement before TRUNCATE): keeps the removed keys in prio.removed_config.';

CREATE FUNCTION @extschema@.removed_config_load()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_rel pg_catalog.regclass;
    v_col text;
    v_found boolean;
BEGIN
    IF NEW.table_name OPERATOR(pg_catalog.=) 'rfm_segments' THEN
        v_rel := '@extschema@.rfm_segments'::pg_catalog.regclass;
        v_col := 'position';
    ELSE
        v_rel := '@extschema@.activity_kinds'::pg_catalog.regclass;
        v_col := 'kind';
    END IF;
    -- only a built-in row (one that CREATE EXTENSION seeded); a dumped row
    -- with that key replaces it or is loaded, whichever table comes first.
    -- No DELETE when there is nothing to remove: its statement triggers
    -- would re-tier everyone.
    EXECUTE pg_catalog.format('SELECT EXISTS (SELECT 1 FROM %s t WHERE t.builtin AND t.%I::text OPERATOR(pg_catalog.=) $1)',
                              v_rel, v_col)
    INTO v_found USING NEW.key;
    IF v_found THEN
        EXECUTE pg_catalog.format('DELETE FROM %s t WHERE t.builtin AND t.%I::text OPERATOR(pg_catalog.=) $1',
                                  v_rel, v_col)
        USING NEW.key;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.removed_config_load() IS
'Row trigger on prio.removed_config: a loaded key (a restore) removes the built-in row with that key that CREATE EXTENSION seeded.';
CREATE TRIGGER removed_config_load
    AFTER INSERT ON @extschema@.removed_config
    FOR EACH ROW EXECUTE FUNCTION @extschema@.removed_config_load();

CREATE TRIGGER rfm_segments_removed
    AFTER DELETE ON @extschema@.rfm_segments
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_removed('position');
CREATE TRIGGER rfm_segments_truncated
    BEFORE TRUNCATE ON @extschema@.rfm_segments
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_row_removed('position');

CREATE TRIGGER activity_kinds_removed
    AFTER DELETE ON @extschema@.activity_kinds
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_removed('kind');
CREATE TRIGGER activity_kinds_truncated
    BEFORE TRUNCATE ON @extschema@.activity_kinds
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_row_removed('kind');

CREATE FUNCTION @extschema@.auto_breaks_load()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- prio only ever updates its row: a restore loading the dumped row puts
    -- it in the place of the one CREATE EXTENSION seeded
    UPDATE @extschema@.auto_breaks b
       SET r_breaks = NEW.r_breaks, f_breaks = NEW.f_breaks, m_breaks = NEW.m_breaks,
           buyers = NEW.buyers, computed_at = NEW.computed_at
     WHERE b.id OPERATOR(pg_catalog.=) NEW.id;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.auto_breaks_load() IS
'Row trigger on prio.auto_breaks, in a restoring session only: the loaded row replaces the one CREATE EXTENSION seeded.';
CREATE TRIGGER auto_breaks_load
    BEFORE INSERT ON @extschema@.auto_breaks
    FOR EACH ROW WHEN (@extschema@.restoring()) EXECUTE FUNCTION @extschema@.auto_breaks_load();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.auto_breaks', '');

-- dumped as it is, so a restore gives back the state it had (prio._restore)
SELECT pg_catalog.pg_extension_config_dump('@extschema@.customer_state', '');

COMMENT ON COLUMN @extschema@.tier_history.history_id IS 'Generated, increasing number (not a key: a database restored with prio 0.3 or before may hold rows the restore wrote, under numbers the dumped rows also use).';

-- prio's derived-data triggers stand aside in a restoring session
DROP TRIGGER activities_inserted ON @extschema@.activities;
CREATE TRIGGER activities_inserted
    AFTER INSERT ON @extschema@.activities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_inserted();
DROP TRIGGER activities_updated ON @extschema@.activities;
CREATE TRIGGER activities_updated
    AFTER UPDATE ON @extschema@.activities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_changed();
DROP TRIGGER activities_deleted ON @extschema@.activities;
CREATE TRIGGER activities_deleted
    AFTER DELETE ON @extschema@.activities
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_changed();
DROP TRIGGER activities_truncated ON @extschema@.activities;
CREATE TRIGGER activities_truncated
    AFTER TRUNCATE ON @extschema@.activities
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_changed();
DROP TRIGGER customers_inserted ON @extschema@.customers;
CREATE TRIGGER customers_inserted
    AFTER INSERT ON @extschema@.customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.customers_changed();
DROP TRIGGER customers_updated ON @extschema@.customers;
CREATE TRIGGER customers_updated
    AFTER UPDATE ON @extschema@.customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.customers_changed();
DROP TRIGGER settings_changed ON @extschema@.settings;
CREATE TRIGGER settings_changed
    AFTER INSERT OR UPDATE ON @extschema@.settings
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.config_changed();
DROP TRIGGER activity_kinds_changed ON @extschema@.activity_kinds;
CREATE TRIGGER activity_kinds_changed
    AFTER UPDATE OR DELETE ON @extschema@.activity_kinds
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.config_changed();
DROP TRIGGER win_outcomes_inserted ON @extschema@.win_outcomes;
CREATE TRIGGER win_outcomes_inserted
    AFTER INSERT ON @extschema@.win_outcomes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.win_outcomes_changed();
DROP TRIGGER win_outcomes_updated ON @extschema@.win_outcomes;
CREATE TRIGGER win_outcomes_updated
    AFTER UPDATE ON @extschema@.win_outcomes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.win_outcomes_changed();
DROP TRIGGER win_outcomes_deleted ON @extschema@.win_outcomes;
CREATE TRIGGER win_outcomes_deleted
    AFTER DELETE ON @extschema@.win_outcomes
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.win_outcomes_changed();

COMMENT ON TABLE @extschema@.win_outcomes IS
'One row per customer whose base stage is won or lost: the outcome and its features just before it closed; written by prio only (a customer that opens again loses its row).  Dumped as it is, so a restore gives it back.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.win_outcomes', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.win_counts', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.win_counts_appends', '');


------------------------------------------------------------------------
-- Issue 16 item 3: versioned C entry points.  The functions whose C code
-- depends on the schema or on their signature name a symbol of 0.4's API
-- (prio_evaluate_0_4, ...) instead of the symbols 0.1-0.3 name, which
-- worked out the version from their arguments or from customer_state's
-- columns (kept in legacy.c for installs not yet updated).  A function's
-- symbol cannot be changed in place: they, and the aggregates and the
-- trigger built on them, are dropped and created again as a fresh install
-- has them, with the privileges they had (prio.upgrade_keep_acl, dropped at
-- the end).
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.upgrade_keep_acl(target text, acl aclitem[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    IF acl IS NULL THEN
        RETURN;                         -- the default privileges, as created
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(acl) a WHERE a.grantee OPERATOR(pg_catalog.=) 0) THEN
        EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC', target);
    END IF;
    FOR r IN SELECT a.grantee, a.privilege_type, a.is_grantable
               FROM pg_catalog.aclexplode(acl) a
              WHERE a.grantee OPERATOR(pg_catalog.<>) a.grantor
    LOOP
        EXECUTE pg_catalog.format('GRANT %s ON %s TO %s%s', r.privilege_type, target,
                    CASE WHEN r.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                         ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r.grantee)) END,
                    CASE WHEN r.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
END
$$;

SELECT pg_catalog.set_config('prio.upgrade_acl_' OPERATOR(pg_catalog.||) v.k, coalesce(p.proacl::text, ''), true)
  FROM (VALUES
        ('activities_inserted', '@extschema@.activities_inserted()'::pg_catalog.regprocedure),
        ('fold_accum', '@extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval)'::pg_catalog.regprocedure),
        ('fold_accum_by_id', '@extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval, bigint)'::pg_catalog.regprocedure),
        ('fold', '@extschema@.fold(@extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval)'::pg_catalog.regprocedure),
        ('fold_by_id', '@extschema@.fold(@extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval, bigint)'::pg_catalog.regprocedure),
        ('evaluate', '@extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz)'::pg_catalog.regprocedure),
        ('evaluate_models', '@extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz, @extschema@.bgnbd, @extschema@.gammagamma)'::pg_catalog.regprocedure),
        ('clv_summary_accum_unit', '@extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz, interval)'::pg_catalog.regprocedure),
        ('clv_summary_accum', '@extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz)'::pg_catalog.regprocedure),
        ('clv_summary_unit', '@extschema@.clv_summary(timestamptz, numeric, timestamptz, interval)'::pg_catalog.regprocedure),
        ('clv_summary', '@extschema@.clv_summary(timestamptz, numeric, timestamptz)'::pg_catalog.regprocedure)) AS v(k, f)
  JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) v.f;

-- the insert trigger
DROP TRIGGER activities_inserted ON @extschema@.activities;
DROP FUNCTION @extschema@.activities_inserted();
CREATE FUNCTION @extschema@.activities_inserted()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_activities_inserted_0_4'
LANGUAGE C SECURITY DEFINER
-- It runs SQL as prio's owner: no name it uses may come from the caller's
-- search_path or temporary schema (the C also qualifies every name).
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.activities_inserted() IS
'Statement trigger (C): folds the inserted activities into their customers'' state, in chunks locked in customer_id order, and re-tiers them; history and NOTIFY for every change.';
CREATE TRIGGER activities_inserted
    AFTER INSERT ON @extschema@.activities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_inserted();

-- prio.fold
DROP AGGREGATE @extschema@.fold(@extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval);
DROP AGGREGATE @extschema@.fold(@extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval, bigint);
DROP FUNCTION @extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval);
DROP FUNCTION @extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval, bigint);
CREATE FUNCTION @extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean,
                                       @extschema@.stage, boolean, double precision, numeric, interval)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_fold_accum_0_4'
LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval) IS
'Transition function of prio.fold.';
CREATE FUNCTION @extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean,
                                       @extschema@.stage, boolean, double precision, numeric, interval, bigint)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_fold_accum_by_id_0_4'
LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval, bigint) IS
'Transition function of prio.fold (with activity_id).';

CREATE AGGREGATE @extschema@.fold(start @extschema@.facts, customer_id bigint, at timestamptz,
                                  inbound boolean, kind_stage @extschema@.stage, is_purchase boolean,
                                  weight double precision, amount numeric, half_life interval) (
    SFUNC = @extschema@.fold_accum,
    STYPE = internal,
    FINALFUNC = @extschema@.fold_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.fold(@extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval) IS
'A customer''s facts folded from activities in time order (sorted inside; rows at the same time keep their arrival order).  start: stored facts to continue from, or NULL to fold from nothing.  Rows with NULL at only name the customer.';

CREATE AGGREGATE @extschema@.fold(start @extschema@.facts, customer_id bigint, at timestamptz,
                                  inbound boolean, kind_stage @extschema@.stage, is_purchase boolean,
                                  weight double precision, amount numeric, half_life interval,
                                  activity_id bigint) (
    SFUNC = @extschema@.fold_accum,
    STYPE = internal,
    FINALFUNC = @extschema@.fold_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.fold(@extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval, bigint) IS
'prio.fold in (at, activity_id) order, sorted inside: no ORDER BY needed (PostgreSQL 15 would sort each group separately).';

-- prio.evaluate
DROP FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz);
DROP FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz, @extschema@.bgnbd, @extschema@.gammagamma);
CREATE FUNCTION @extschema@.evaluate(facts @extschema@.facts, customer @extschema@.customers,
                                     cfg @extschema@.settings, r_breaks double precision[],
                                     f_breaks double precision[], m_breaks double precision[],
                                     as_of timestamptz)
RETURNS @extschema@.evaluation
AS 'MODULE_PATHNAME', 'prio_evaluate_0_4'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz) IS
'The tier rules: RFM scores, effective stage, value, intent, tier, priority, next due date and the rule that fired, as of as_of.';
CREATE FUNCTION @extschema@.evaluate(facts @extschema@.facts, customer @extschema@.customers,
                                     cfg @extschema@.settings, r_breaks double precision[],
                                     f_breaks double precision[], m_breaks double precision[],
                                     as_of timestamptz, bgnbd @extschema@.bgnbd,
                                     gammagamma @extschema@.gammagamma)
RETURNS @extschema@.evaluation
AS 'MODULE_PATHNAME', 'prio_evaluate_models_0_4'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz, @extschema@.bgnbd, @extschema@.gammagamma) IS
'prio.evaluate with the CLV models (prio.rule_config''s bgnbd and gammagamma): value is also high when settings.value_min_clv is set and the customer''s CLV reaches it.';

-- prio.clv_summary
DROP AGGREGATE @extschema@.clv_summary(timestamptz, numeric, timestamptz, interval);
DROP AGGREGATE @extschema@.clv_summary(timestamptz, numeric, timestamptz);
DROP FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz, interval);
DROP FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz);
CREATE FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz, interval)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_clv_summary_accum_unit_0_4' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz, interval) IS 'Transition function of prio.clv_summary.';
CREATE FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_clv_summary_accum_0_4' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz) IS 'Transition function of prio.clv_summary (weeks).';
CREATE AGGREGATE @extschema@.clv_summary(at timestamptz, amount numeric, cut_off timestamptz, unit interval) (
    SFUNC = @extschema@.clv_summary_accum, STYPE = internal,
    FINALFUNC = @extschema@.clv_summary_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = @extschema@.clv_summary_combine,
    SERIALFUNC = @extschema@.clv_summary_serialize, DESERIALFUNC = @extschema@.clv_summary_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.clv_summary(timestamptz, numeric, timestamptz, interval) IS
'A customer''s (x, t_x, T, mean_value) from its purchases: purchases on the same (UTC) calendar day are one transaction, purchases after the cut-off day are ignored, times in multiples of unit.  NULL when nothing was bought by cut_off.';
CREATE AGGREGATE @extschema@.clv_summary(at timestamptz, amount numeric, cut_off timestamptz) (
    SFUNC = @extschema@.clv_summary_accum, STYPE = internal,
    FINALFUNC = @extschema@.clv_summary_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = @extschema@.clv_summary_combine,
    SERIALFUNC = @extschema@.clv_summary_serialize, DESERIALFUNC = @extschema@.clv_summary_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.clv_summary(timestamptz, numeric, timestamptz) IS
'prio.clv_summary with unit = 1 week (aggregates cannot have defaults).';


SELECT @extschema@.upgrade_keep_acl('FUNCTION @extschema@.activities_inserted()',
                                    NULLIF(pg_catalog.current_setting('prio.upgrade_acl_activities_inserted'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_keep_acl('FUNCTION @extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval)',
                                    NULLIF(pg_catalog.current_setting('prio.upgrade_acl_fold_accum'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_keep_acl('FUNCTION @extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval, bigint)',
                                    NULLIF(pg_catalog.current_setting('prio.upgrade_acl_fold_accum_by_id'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_keep_acl('FUNCTION @extschema@.fold(@extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval)',
                                    NULLIF(pg_catalog.current_setting('prio.upgrade_acl_fold'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_keep_acl('FUNCTION @extschema@.fold(@extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval, bigint)',
                                    NULLIF(pg_catalog.current_setting('prio.upgrade_acl_fold_by_id'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_keep_acl('FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz)',
                                    NULLIF(pg_catalog.current_setting('prio.upgrade_acl_evaluate'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_keep_acl('FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz, @extschema@.bgnbd, @extschema@.gammagamma)',
                                    NULLIF(pg_catalog.current_setting('prio.upgrade_acl_evaluate_models'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_keep_acl('FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz, interval)',
                                    NULLIF(pg_catalog.current_setting('prio.upgrade_acl_clv_summary_accum_unit'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_keep_acl('FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz)',
                                    NULLIF(pg_catalog.current_setting('prio.upgrade_acl_clv_summary_accum'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_keep_acl('FUNCTION @extschema@.clv_summary(timestamptz, numeric, timestamptz, interval)',
                                    NULLIF(pg_catalog.current_setting('prio.upgrade_acl_clv_summary_unit'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_keep_acl('FUNCTION @extschema@.clv_summary(timestamptz, numeric, timestamptz)',
                                    NULLIF(pg_catalog.current_setting('prio.upgrade_acl_clv_summary'), '')::pg_catalog.aclitem[]);
DROP FUNCTION @extschema@.upgrade_keep_acl(text, aclitem[]);

-- 60_state_write, 70_triggers: one C pipeline for every path (issue 16, item
-- 1): rebuild(), reevaluate() and the triggers of UPDATE, DELETE, TRUNCATE of
-- activities and of customers are C (src/engine/refold.c, source_*.c) over the
-- insert trigger's refold and the state writer; apply_facts() is gone.
DROP FUNCTION @extschema@.apply_facts(@extschema@.facts[], timestamptz, text, boolean);
DROP FUNCTION @extschema@.rebuild(bigint[], text, boolean);
CREATE FUNCTION @extschema@.rebuild(ids bigint[], why text, force boolean)
RETURNS integer
AS 'MODULE_PATHNAME', 'prio_rebuild'
LANGUAGE C VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.rebuild(bigint[], text, boolean) IS
'Internal (C, src/engine/refold.c): lock (customers rows, then state rows, in customer_id order), refold from all their activities and re-evaluate now the given customers (NULL: everyone, by prio.sweep_rebuild), writing the rows that differ (every row when force) with history "<why>: <rule>"; the state''s owner follows the customer''s; returns how many had stored facts that differed from the refold.';
REVOKE ALL ON FUNCTION @extschema@.rebuild(bigint[], text, boolean) FROM PUBLIC;
DROP FUNCTION @extschema@.reevaluate(bigint[], timestamptz, text);
CREATE FUNCTION @extschema@.reevaluate(ids bigint[], as_of timestamptz, why text)
RETURNS integer
AS 'MODULE_PATHNAME', 'prio_reevaluate'
LANGUAGE C VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.reevaluate(bigint[], timestamptz, text) IS
'Internal (C, src/engine/refold.c): lock the given customers'' state rows in customer_id order and evaluate their stored facts as of as_of, writing the rows whose evaluation differs with history "<why>: <rule>"; returns how many changed tier or stage.';
REVOKE ALL ON FUNCTION @extschema@.reevaluate(bigint[], timestamptz, text) FROM PUBLIC;
DROP TRIGGER activities_updated ON @extschema@.activities;
DROP TRIGGER activities_deleted ON @extschema@.activities;
DROP TRIGGER activities_truncated ON @extschema@.activities;
DROP FUNCTION @extschema@.activities_changed();
CREATE FUNCTION @extschema@.activities_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_activities_changed'
LANGUAGE C SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.activities_changed() IS
'Statement trigger (C): UPDATE, DELETE or TRUNCATE of activities refolds the customers they touched (prio.rebuild; TRUNCATE: everyone), writing their state rows even when unchanged.';
REVOKE ALL ON FUNCTION @extschema@.activities_changed() FROM PUBLIC;
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
DROP TRIGGER customers_inserted ON @extschema@.customers;
DROP TRIGGER customers_updated ON @extschema@.customers;
DROP FUNCTION @extschema@.customers_changed();
CREATE FUNCTION @extschema@.customers_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_customers_changed'
LANGUAGE C SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.customers_changed() IS
'Statement trigger (C): a new customer gets its state row (unless an activity of it made one already); the state''s owner follows the customer''s; the customers are re-evaluated (prio.reevaluate), so a change of BANT answers re-tiers them.';
REVOKE ALL ON FUNCTION @extschema@.customers_changed() FROM PUBLIC;
CREATE TRIGGER customers_inserted
    AFTER INSERT ON @extschema@.customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.customers_changed();
CREATE TRIGGER customers_updated
    AFTER UPDATE ON @extschema@.customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.customers_changed();


-- 40_tables: planned touches (issue 18, item 3): an activity dated after the
-- customer was last folded is stored, not scored until due; refresh() folds
-- it then.  Every customer's state is kept (NULL: no planned touch; the
-- next write or refresh() of a customer that has one sets it).  Before the
-- followup below, which shows it (planned_at).
ALTER TABLE @extschema@.customer_state ADD COLUMN next_planned_at timestamptz;
CREATE INDEX customer_state_planned_idx ON @extschema@.customer_state (next_planned_at)
    WHERE next_planned_at IS NOT NULL;
COMMENT ON COLUMN @extschema@.customer_state.next_planned_at IS 'The earliest planned touch: an activity dated after the customer was last folded, stored but not scored yet; prio.refresh() folds it once due (NULL: none).';
-- 40_tables: history at the events' own times (issue 18, item 5)
COMMENT ON COLUMN @extschema@.tier_history.changed_at IS 'When the change took effect: the as_of of the evaluation; for a customer''s history replayed (its first events loaded or tracked with their past, reason "<why> then: ..."), the event''s own time.';

-- 91_win_probability: win_features() is C, the code that writes
-- win_outcomes (issue 16, item 1), its grants given back (followup, which
-- calls it, was dropped above).
SELECT pg_catalog.set_config('prio.upgrade_acl_win_features', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.win_features(@extschema@.customer_state)'::pg_catalog.regprocedure;
DROP FUNCTION @extschema@.win_features(@extschema@.customer_state);
-- win_features is C (src/engine/outcomes.c): the features the closing writes keep
-- in win_outcomes, computed by the same code.
CREATE FUNCTION @extschema@.win_features(state @extschema@.customer_state)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'prio_win_features'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.win_features(@extschema@.customer_state) IS
'What win probability looks at, for a state row (C, the code that writes prio.win_outcomes): base stage, owner, the four BANT answers (yes/no/unknown), RFM segment, and for every kind that does not close a deal whether the customer had one by state.last_at (kind:<name> yes/no).  NULL when the customer does not exist or the caller cannot see it; needs SELECT on customers, activities and activity_kinds.';
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.win_features(@extschema@.customer_state)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_win_features'), '')::pg_catalog.aclitem[]);

-- 40_tables: customers carry attributes of their own (issue 18, item 7)
ALTER TABLE @extschema@.customers
    ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (pg_catalog.jsonb_typeof(attributes) OPERATOR(pg_catalog.=) 'object');
COMMENT ON COLUMN @extschema@.customers.attributes IS 'Your own attributes of the customer, as a JSON object (dumped and restored with prio.customers); for a customer of a tracked table, the mapping''s "attributes".';


------------------------------------------------------------------------
-- Issue 18, item 1: the application's own key of a customer mirrored from a
-- tracked table, where prio shows customers: prio.customers and
-- prio.tier_history get the tracked table (source) and the key there as
-- text (customer_key; both NULL for prio's own customers), prio.followup
-- both (the key: customer_id as text for prio's own customers), explain()
-- source, key and the latest events.  followup (dropped above) is created
-- as 0.4 has it and explain(bigint) dropped and created again, their
-- privileges given back (prio.upgrade_regrant).
------------------------------------------------------------------------

ALTER TABLE @extschema@.customers
    ADD COLUMN source regclass,
    ADD COLUMN customer_key text,
    ADD CONSTRAINT customers_source_key_check CHECK ((source IS NULL) OPERATOR(pg_catalog.=) (customer_key IS NULL));
COMMENT ON COLUMN @extschema@.customers.source IS 'The tracked table this customer is mirrored from (prio.track()); NULL for a customer of prio.customers itself.';
COMMENT ON COLUMN @extschema@.customers.customer_key IS 'The customer''s key in the tracked table (source), as text; NULL for a customer of prio.customers itself, whose key is customer_id.  Written by prio.';
ALTER TABLE @extschema@.tier_history
    ADD COLUMN source regclass,
    ADD COLUMN customer_key text;
COMMENT ON COLUMN @extschema@.tier_history.source IS 'The tracked table the customer is mirrored from (prio.customers.source when the row was written); NULL for a customer of prio.customers itself.';
COMMENT ON COLUMN @extschema@.tier_history.customer_key IS 'The customer''s key in that table, as text (follows a change of the key); NULL for a customer of prio.customers itself, whose key is customer_id.';

SELECT pg_catalog.set_config('prio.upgrade_acl_explain', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.explain(bigint)'::pg_catalog.regprocedure;
DROP FUNCTION @extschema@.explain(bigint);

CREATE VIEW @extschema@.followup WITH (security_invoker = true) AS
SELECT r.rank,
       r.customer_id,
       (SELECT c.name FROM @extschema@.customers c
         WHERE c.customer_id OPERATOR(pg_catalog.=) r.customer_id) AS name,
       r.owner,
       st.tier,
       r.priority,
       st.effective_stage AS stage,
       st.r_score AS r,
       st.f_score AS f,
       st.m_score AS m,
       x.segment AS rfm_segment,
       st.bant,
       @extschema@.decayed(st.intent, st.intent_at,
                           (SELECT cfg.intent_half_life FROM @extschema@.settings cfg), pg_catalog.now()) AS intent,
       st.last_at AS last_activity_at,
       st.last_outbound_at AS last_contact_at,
       r.next_due_at,
       x.overdue_days,
       pg_catalog.concat_ws(', ',
           st.tier OPERATOR(pg_catalog.||) ': BANT ' OPERATOR(pg_catalog.||) st.bant OPERATOR(pg_catalog.||) '/4',
           CASE WHEN x.segment IS NULL AND st.frequency OPERATOR(pg_catalog.=) 0 THEN 'no purchases'
                WHEN x.segment IS NULL THEN 'RFM not scored yet'
                ELSE pg_catalog.format('%s %s-%s-%s', x.segment, st.r_score, st.f_score, st.m_score) END,
           st.effective_stage::text,
           CASE WHEN st.no_reply THEN 'no reply to last touch' END,
           CASE WHEN x.overdue_days OPERATOR(pg_catalog.=) 1 THEN '1 day overdue'
                WHEN x.overdue_days OPERATOR(pg_catalog.>) 1 THEN x.overdue_days OPERATOR(pg_catalog.||) ' days overdue'
                WHEN r.next_due_at OPERATOR(pg_catalog.<=) pg_catalog.now() THEN 'due today'
                ELSE 'due ' OPERATOR(pg_catalog.||) pg_catalog.to_char(r.next_due_at, 'YYYY-MM-DD') END) AS reason,
       @extschema@.p_alive((SELECT cm.bgnbd FROM @extschema@.clv_models cm
                             ORDER BY cm.fitted_at DESC LIMIT 1), st) AS p_alive,
       @extschema@.clv((SELECT cm.bgnbd FROM @extschema@.clv_models cm ORDER BY cm.fitted_at DESC LIMIT 1),
                       (SELECT cm.gammagamma FROM @extschema@.clv_models cm ORDER BY cm.fitted_at DESC LIMIT 1),
                       st,
                       (SELECT cfg.clv_horizon FROM @extschema@.settings cfg),
                       (SELECT cfg.clv_discount_rate FROM @extschema@.settings cfg)) AS clv,
       CASE WHEN st.stage OPERATOR(pg_catalog.<>) ALL ('{won,lost}'::@extschema@.stage[])
            THEN @extschema@.win_probability(@extschema@.win_features(st), (SELECT @extschema@.win_model())) END
       AS win_probability,
       -- added in 0.4 (hence last): the customer's key where it comes from
       (SELECT c.source FROM @extschema@.customers c
         WHERE c.customer_id OPERATOR(pg_catalog.=) r.customer_id) AS source,
       COALESCE((SELECT c.customer_key FROM @extschema@.customers c
                  WHERE c.customer_id OPERATOR(pg_catalog.=) r.customer_id),
                r.customer_id::text) AS customer_key,
       st.next_planned_at AS planned_at
  -- rank on the narrow columns; the rest of the row is read for the rows
  -- returned only (a LIMIT reads 50 rows, not an owner's thousands)
  FROM (
    SELECT pg_catalog.row_number() OVER (PARTITION BY s.owner
                                         ORDER BY s.priority DESC, s.next_due_at, s.customer_id) AS rank,
           s.customer_id, s.owner, s.priority, s.next_due_at
      FROM @extschema@.customer_state s
     ORDER BY s.priority DESC, s.next_due_at, s.customer_id
  ) r
  JOIN @extschema@.customer_state st ON st.customer_id OPERATOR(pg_catalog.=) r.customer_id
 CROSS JOIN LATERAL (
    SELECT CASE WHEN st.frequency OPERATOR(pg_catalog.>) 0 AND st.r_score IS NOT NULL
                     AND st.f_score IS NOT NULL AND st.m_score IS NOT NULL
                THEN @extschema@.rfm_segment(st.r_score, st.f_score, st.m_score) END AS segment,
           GREATEST(pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) r.next_due_at)
                                     OPERATOR(pg_catalog./) 86400)::integer, 0) AS overdue_days
 ) x
 ORDER BY r.priority DESC, r.next_due_at, r.customer_id;
COMMENT ON VIEW @extschema@.followup IS
'Whom each rep should contact next, when and why: one row per customer, highest priority first, with its rank in its owner''s list (rank 1 = first).  Filter with WHERE owner = ...';
COMMENT ON COLUMN @extschema@.followup.rank IS 'Position in the owner''s follow-up list (by priority, then due date).';
COMMENT ON COLUMN @extschema@.followup.customer_id IS 'The customer.';
COMMENT ON COLUMN @extschema@.followup.name IS 'Customer name.';
COMMENT ON COLUMN @extschema@.followup.owner IS 'Rep who owns the customer.';
COMMENT ON COLUMN @extschema@.followup.tier IS 'A (high value and intent), B (value), C (intent), D (neither).';
COMMENT ON COLUMN @extschema@.followup.priority IS 'Priority 0-100; higher first.';
COMMENT ON COLUMN @extschema@.followup.stage IS 'Effective lifecycle stage.';
COMMENT ON COLUMN @extschema@.followup.r IS 'Recency score 1-5.';
COMMENT ON COLUMN @extschema@.followup.f IS 'Frequency score 1-5.';
COMMENT ON COLUMN @extschema@.followup.m IS 'Monetary score 1-5.';
COMMENT ON COLUMN @extschema@.followup.rfm_segment IS 'Named RFM segment (prio.rfm_segments); NULL without purchases or before RFM breaks exist.';
COMMENT ON COLUMN @extschema@.followup.bant IS 'BANT answers that are TRUE (0-4).';
COMMENT ON COLUMN @extschema@.followup.intent IS 'Buying intent decayed to now.';
COMMENT ON COLUMN @extschema@.followup.last_activity_at IS 'Last activity of any kind.';
COMMENT ON COLUMN @extschema@.followup.last_contact_at IS 'Last outbound touch by the team.';
COMMENT ON COLUMN @extschema@.followup.next_due_at IS 'When the next follow-up is due (last touch + tier cadence).';
COMMENT ON COLUMN @extschema@.followup.overdue_days IS 'Whole days past next_due_at (0 when not overdue).';
COMMENT ON COLUMN @extschema@.followup.reason IS 'One readable line: tier, BANT, RFM segment and scores, stage, due.';
COMMENT ON COLUMN @extschema@.followup.p_alive IS 'Probability the customer is still buying (BG/NBD of the latest prio.clv_models fit); NULL without purchases or a fit.';
COMMENT ON COLUMN @extschema@.followup.win_probability IS 'Probability the open deal is won (prio.win_probability); NULL once won or lost.';
COMMENT ON COLUMN @extschema@.followup.source IS 'The tracked table the customer comes from (prio.track()); NULL for a customer of prio.customers itself.';
COMMENT ON COLUMN @extschema@.followup.customer_key IS 'The customer''s key as text: its key in the tracked table (source), else customer_id.  prio.followup_<table> has it in the key''s own type.';
COMMENT ON COLUMN @extschema@.followup.planned_at IS 'The next planned touch: the earliest activity dated after the customer was last scored (NULL: none); prio.refresh() scores it once due.';
COMMENT ON COLUMN @extschema@.followup.clv IS 'Expected value of the customer''s purchases over settings.clv_horizon months (BG/NBD x Gamma-Gamma, discounted); NULL without purchases or a fit.';

CREATE FUNCTION @extschema@.explain(customer_id bigint)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v jsonb;
BEGIN
    IF explain.customer_id IS NULL THEN
        RAISE EXCEPTION 'customer_id must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT pg_catalog.jsonb_build_object(
        'customer_id', c.customer_id, 'name', c.name, 'owner', c.owner,
        -- (0.4) where the customer comes from: a tracked table and its key
        -- there, else prio.customers and customer_id
        'source', c.source, 'key', COALESCE(c.customer_key, c.customer_id::text),
        'as_of', pg_catalog.now(),
        'tier', (x.e).tier, 'priority', (x.e).priority, 'rule', (x.e).rule,
        'stored', pg_catalog.jsonb_build_object('tier', s.tier, 'priority', s.priority,
                   'stage', s.effective_stage, 'updated_at', s.updated_at),
        'rfm', pg_catalog.jsonb_build_object(
            'recency_days', (x.e).recency_days, 'frequency', s.frequency, 'monetary', s.monetary,
            'r', (x.e).r_score, 'f', (x.e).f_score, 'm', (x.e).m_score,
            'segment', CASE WHEN (x.e).r_score IS NOT NULL AND (x.e).f_score IS NOT NULL
                             AND (x.e).m_score IS NOT NULL
                            THEN @extschema@.rfm_segment((x.e).r_score, (x.e).f_score, (x.e).m_score) END,
            'breaks', pg_catalog.jsonb_build_object('r', x.rb, 'f', x.fb, 'm', x.mb,
                        'source', CASE WHEN (x.cfg).r_breaks IS NULL THEN 'automatic quintiles, computed '
                                       OPERATOR(pg_catalog.||) coalesce(x.breaks_computed_at::text, 'never (run prio.refresh())')
                                       ELSE 'settings' END)),
        'bant', pg_catalog.jsonb_build_object('budget', c.budget, 'authority', c.authority,
                   'need', c.need, 'timeline', c.timeline, 'count', (x.e).bant,
                   'threshold', (x.cfg).bant_threshold),
        'stage', pg_catalog.jsonb_build_object('base', s.stage, 'effective', (x.e).effective_stage,
                   'first_at', s.first_at, 'last_at', s.last_at,
                   'last_inbound_at', s.last_inbound_at, 'last_outbound_at', s.last_outbound_at,
                   'silent_after', (x.cfg).silent_after, 'dormant_after', (x.cfg).dormant_after),
        'intent', pg_catalog.jsonb_build_object('value', (x.e).intent, 'threshold', (x.cfg).intent_threshold,
                   'half_life', (x.cfg).intent_half_life, 'no_reply', (x.e).no_reply,
                   'no_reply_after', (x.cfg).no_reply_after),
        'value_high', (x.e).value_high, 'intent_high', (x.e).intent_high,
        'priority_points', pg_catalog.jsonb_build_object('tier', (x.e).p_tier, 'rfm', (x.e).p_rfm,
                   'bant', (x.e).p_bant, 'intent', (x.e).p_intent, 'stage', (x.e).p_stage),
        'priority_weights', pg_catalog.jsonb_build_object('tier', (x.cfg).weight_tier,
                   'rfm', (x.cfg).weight_rfm, 'bant', (x.cfg).weight_bant,
                   'intent', (x.cfg).weight_intent, 'stage', (x.cfg).weight_stage),
        'next_due_at', (x.e).next_due_at,
        'cadence', CASE (x.e).tier WHEN 'A' THEN (x.cfg).cadence_a WHEN 'B' THEN (x.cfg).cadence_b
                                   WHEN 'C' THEN (x.cfg).cadence_c ELSE (x.cfg).cadence_d END,
        'clv', pg_catalog.jsonb_build_object(
                   'summary', pg_catalog.to_jsonb(@extschema@.customer_summary(s)),
                   'p_alive', @extschema@.p_alive(x.m_bgnbd, s),
                   'clv', @extschema@.clv(x.m_bgnbd, x.m_gammagamma, s, (x.cfg).clv_horizon, (x.cfg).clv_discount_rate),
                   'horizon_months', (x.cfg).clv_horizon,
                   'model_fitted_at', x.m_fitted_at),
        'win', CASE WHEN s.stage OPERATOR(pg_catalog.=) ANY ('{won,lost}'::@extschema@.stage[])
                    THEN pg_catalog.jsonb_build_object('closed', s.stage)
                    ELSE pg_catalog.jsonb_build_object(
                        'probability', @extschema@.win_probability(x.wf, x.wm),
                        'raises', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(f) ORDER BY f.weight DESC), '[]')
                                     FROM (SELECT * FROM @extschema@.win_factors(x.wf, x.wm) w
                                            WHERE w.weight OPERATOR(pg_catalog.>) 0
                                            ORDER BY w.weight DESC, w.variable LIMIT 3) f),
                        'lowers', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(f) ORDER BY f.weight), '[]')
                                     FROM (SELECT * FROM @extschema@.win_factors(x.wf, x.wm) w
                                            WHERE w.weight OPERATOR(pg_catalog.<) 0
                                            ORDER BY w.weight, w.variable LIMIT 3) f)) END)
      INTO v
      FROM @extschema@.customers c
      JOIN @extschema@.customer_state s ON s.customer_id OPERATOR(pg_catalog.=) c.customer_id
     CROSS JOIN LATERAL (
        SELECT r.cfg, r.r_breaks AS rb, r.f_breaks AS fb, r.m_breaks AS mb, r.breaks_computed_at,
               @extschema@.evaluate(@extschema@.stored_facts(s), c, r.cfg, r.r_breaks, r.f_breaks,
                                    r.m_breaks, pg_catalog.now(), r.bgnbd, r.gammagamma) AS e,
               @extschema@.win_features(s) AS wf, @extschema@.win_model() AS wm,
               m.bgnbd AS m_bgnbd, m.gammagamma AS m_gammagamma, m.fitted_at AS m_fitted_at
          FROM @extschema@.rule_config r
          LEFT JOIN (SELECT cm.bgnbd, cm.gammagamma, cm.fitted_at FROM @extschema@.clv_models cm
                      ORDER BY cm.fitted_at DESC LIMIT 1) m ON true
        OFFSET 0                        -- evaluate once, not once per field read
     ) x
     WHERE c.customer_id OPERATOR(pg_catalog.=) explain.customer_id;
    IF v IS NULL THEN
        RAISE EXCEPTION 'customer % does not exist', explain.customer_id
            USING ERRCODE = '23503', HINT = 'Customers are rows of prio.customers.';
    END IF;
    -- a customer of a tracked table: its latest events, read from the
    -- tracked activities tables as the caller may read them
    IF v OPERATOR(pg_catalog.->>) 'source' IS NOT NULL THEN
        v := v OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('events',
                 @extschema@._track_events(explain.customer_id, (v OPERATOR(pg_catalog.->>) 'source')::pg_catalog.regclass));
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION @extschema@.explain(bigint) IS
'Every factor behind a customer''s tier and priority, evaluated now: where the customer comes from (source: the tracked table, NULL for prio.customers; key: its key there, else customer_id; events: for a tracked customer, its latest events in each tracked activities table the caller may read), R/F/M values, scores and breaks, segment, BANT, stages, intent, the rule that fired, the priority points and weights, the stored state, the CLV inputs with P(alive) and CLV under the latest model, and the win probability with the three features that raise it most and the three that lower it most.';

SELECT @extschema@.upgrade_regrant('TABLE @extschema@.followup',
                                    NULLIF(pg_catalog.current_setting('prio.upgrade_acl_followup'), '')::pg_catalog.aclitem[]);
DO $$
DECLARE
    g text;
BEGIN
    FOR g IN
        SELECT pg_catalog.format('GRANT %s (%I) ON @extschema@.followup TO %s%s', a.privilege_type, c.key,
                   CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                        ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                   CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
          FROM pg_catalog.jsonb_each_text(pg_catalog.current_setting('prio.upgrade_colacl_followup')::jsonb) c,
               pg_catalog.aclexplode(c.value::pg_catalog.aclitem[]) a
         WHERE a.grantee OPERATOR(pg_catalog.<>) a.grantor
           AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute x
                        WHERE x.attrelid OPERATOR(pg_catalog.=) '@extschema@.followup'::pg_catalog.regclass
                          AND x.attname OPERATOR(pg_catalog.=) c.key AND NOT x.attisdropped)
    LOOP
        EXECUTE g;
    END LOOP;
END
$$;
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.explain(bigint)',
                                    NULLIF(pg_catalog.current_setting('prio.upgrade_acl_explain'), '')::pg_catalog.aclitem[]);


-- 85_track (tracked tables, new in 0.4) follows: the Makefile appends
-- sql/install/85_track.sql as it installs, then 99_triggers.sql.
