------------------------------------------------------------------------
-- Engine: refresh, recompute, explain
------------------------------------------------------------------------

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

CREATE FUNCTION @extschema@.recompute(customer_id bigint DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_fixed integer;
BEGIN
    IF recompute.customer_id IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM @extschema@.customers c
            WHERE c.customer_id OPERATOR(pg_catalog.=) recompute.customer_id) THEN
        RAISE EXCEPTION 'customer % does not exist', recompute.customer_id
            USING ERRCODE = '23503', HINT = 'Customers are rows of prio.customers.';
    END IF;
    v_fixed := @extschema@.rebuild(CASE WHEN recompute.customer_id IS NULL THEN NULL
                                        ELSE ARRAY[recompute.customer_id] END, 'recompute', false);
    IF recompute.customer_id IS NULL THEN
        PERFORM @extschema@.rebuild_win_counts();
    END IF;
    RETURN v_fixed;
END
$$;
COMMENT ON FUNCTION @extschema@.recompute(bigint) IS
'Rebuilds state from the activities for one customer or everyone (NULL) and re-evaluates it now; for everyone it also rebuilds the win-probability counts from the outcomes; returns how many customers'' stored facts differed from the rebuild (0 when live maintenance was right).';

CREATE FUNCTION @extschema@.explain(customer_id bigint)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v jsonb;
    v_labels jsonb;
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
                   'no_reply_after', (x.cfg).no_reply_after,
                   -- (0.5) reply speed: the settings, whether our last touch
                   -- awaits an answer, and how much of the intent now the
                   -- reply terms make (the fold with and without them)
                   'reply', pg_catalog.jsonb_build_object('weight', (x.cfg).reply_weight,
                       'half_life', (x.cfg).reply_half_life,
                       'awaiting_reply_since', CASE WHEN s.last_outbound_at OPERATOR(pg_catalog.>)
                                                         coalesce(s.last_inbound_at, '-infinity')
                                                    THEN s.last_outbound_at END,
                       'intent_from_replies', CASE WHEN c.source IS NULL THEN
                           (SELECT @extschema@.decayed(f.with_reply, f.at, (x.cfg).intent_half_life, pg_catalog.now())
                                   OPERATOR(pg_catalog.-)
                                   @extschema@.decayed(f.without, f.at, (x.cfg).intent_half_life, pg_catalog.now())
                              FROM (SELECT (g.w).intent AS with_reply, (g.wo).intent AS without, (g.w).intent_at AS at
                                      FROM (SELECT @extschema@.fold(NULL, a.customer_id, a.at, k.direction OPERATOR(pg_catalog.=) 'inbound',
                                                                    k.stage, k.is_purchase, k.intent_weight, a.amount,
                                                                    (x.cfg).intent_half_life, a.activity_id, k.revives,
                                                                    (x.cfg).reply_weight, (x.cfg).reply_half_life) AS w,
                                                   @extschema@.fold(NULL, a.customer_id, a.at, k.direction OPERATOR(pg_catalog.=) 'inbound',
                                                                    k.stage, k.is_purchase, k.intent_weight, a.amount,
                                                                    (x.cfg).intent_half_life, a.activity_id, k.revives,
                                                                    0, (x.cfg).reply_half_life) AS wo
                                              FROM @extschema@.activities a
                                              JOIN @extschema@.activity_kinds k ON k.kind OPERATOR(pg_catalog.=) a.kind
                                             WHERE a.customer_id OPERATOR(pg_catalog.=) c.customer_id
                                               AND a.at OPERATOR(pg_catalog.<=) pg_catalog.now()) g) f) END)),
        'value_high', (x.e).value_high, 'intent_high', (x.e).intent_high,
        'priority_points', pg_catalog.jsonb_build_object('tier', (x.e).p_tier, 'rfm', (x.e).p_rfm,
                   'bant', (x.e).p_bant, 'intent', (x.e).p_intent, 'stage', (x.e).p_stage),
        'priority_weights', pg_catalog.jsonb_build_object('tier', (x.cfg).weight_tier,
                   'rfm', (x.cfg).weight_rfm, 'bant', (x.cfg).weight_bant,
                   'intent', (x.cfg).weight_intent, 'stage', (x.cfg).weight_stage),
        'next_due_at', (x.e).next_due_at,
        -- (0.5) a silent or lost customer is woken up on its own cadence
        'cadence', CASE WHEN (x.e).effective_stage OPERATOR(pg_catalog.=) 'silent' THEN (x.cfg).silent_cadence
                        WHEN (x.e).effective_stage OPERATOR(pg_catalog.=) 'lost' THEN (x.cfg).lost_cadence
                        ELSE CASE (x.e).tier WHEN 'A' THEN (x.cfg).cadence_a WHEN 'B' THEN (x.cfg).cadence_b
                                             WHEN 'C' THEN (x.cfg).cadence_c ELSE (x.cfg).cadence_d END END,
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
    -- (0.5) the labels of the tier, stage and segment above, and followup's
    -- reason line, in the session's prio.language
    SELECT pg_catalog.jsonb_build_object(
               'language', pg_catalog.current_setting('prio.language'),
               'tier', @extschema@.label('tier', v OPERATOR(pg_catalog.->>) 'tier'),
               'stage', @extschema@.label('stage', v OPERATOR(pg_catalog.->) 'stage' OPERATOR(pg_catalog.->>) 'effective'),
               'segment', @extschema@.label('rfm_segment', v OPERATOR(pg_catalog.->) 'rfm' OPERATOR(pg_catalog.->>) 'segment'),
               'reason', @extschema@.reason(s))
      INTO v_labels
      FROM @extschema@.customer_state s
     WHERE s.customer_id OPERATOR(pg_catalog.=) explain.customer_id;
    v := v OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('labels', v_labels);
    RETURN v;
END
$$;
COMMENT ON FUNCTION @extschema@.explain(bigint) IS
'Every factor behind a customer''s tier and priority, evaluated now: where the customer comes from (source: the tracked table, NULL for prio.customers; key: its key there, else customer_id; events: for a tracked customer, its latest events in each tracked activities table the caller may read), R/F/M values, scores and breaks, segment, BANT, stages, intent, the rule that fired, the priority points and weights, the stored state, the CLV inputs with P(alive) and CLV under the latest model, and the win probability with the three features that raise it most and the three that lower it most; labels: the tier, stage and segment labels and followup''s reason line in the session''s prio.language.';

-- Internal functions are not for direct calls.
REVOKE ALL ON FUNCTION @extschema@.rebuild(bigint[], text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sweep_rebuild(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sweep_due(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.reevaluate(bigint[], timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.refresh(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.recompute(bigint) FROM PUBLIC;

