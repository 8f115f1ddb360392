------------------------------------------------------------------------
-- prio.refresh(): time moves customers too.  Its own part, so the update to
-- 0.5 creates it from here too.
------------------------------------------------------------------------

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
    v_deals bigint[];
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
                PERFORM @extschema@._fit_clv();  -- (everyone is evaluated below)
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
    -- (0.5) deals dated ahead that came due (a created_at or closed_at up to
    -- now, after the customer's last_deal_at): those customers' deal facts
    -- computed again, as of now (the evaluation below re-tiers them); with
    -- the planned touches' customers, so that one pass locks every row in
    -- customer_id order
    v_deals := ARRAY(SELECT DISTINCT d.customer_id
                       FROM @extschema@.deals d
                       JOIN @extschema@.customer_state s ON s.customer_id OPERATOR(pg_catalog.=) d.customer_id
                      WHERE (d.created_at OPERATOR(pg_catalog.<=) pg_catalog.now()
                             AND d.created_at OPERATOR(pg_catalog.>) coalesce(s.last_deal_at, '-infinity'))
                         OR (d.closed_at OPERATOR(pg_catalog.<=) pg_catalog.now()
                             AND d.closed_at OPERATOR(pg_catalog.>) coalesce(s.last_deal_at, '-infinity'))
                      ORDER BY 1);
    IF pg_catalog.cardinality(v_deals) OPERATOR(pg_catalog.>) 0 THEN
        PERFORM @extschema@._deal_facts(ARRAY(SELECT DISTINCT u.id
                                                FROM pg_catalog.unnest(v_deals OPERATOR(pg_catalog.||) v_planned) u(id)
                                               ORDER BY 1));
    END IF;
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
'Time moves customers too: folds the planned touches that came due (activities dated after their customer was last folded) and (0.5) counts the deals dated ahead that came due (their customers'' deal facts computed again), recomputes automatic breaks, re-evaluates everyone as of as_of (silent, dormant, overdue, decayed intent), writes only rows that change, logs changes; fits the CLV models again (prio.fit_clv) when the latest fit is older than settings.clv_refit_after and enough customers bought again; returns how many customers changed tier or stage.  When the breaks or the models change it first waits for the transactions writing state and holds off new ones until it ends, as a settings change does; with lock_timeout set, a refresh that cannot lock them out in time keeps the old breaks and models (a WARNING, breaks = deferred in the log).  One call at a time: a concurrent second call returns NULL at once, with a NOTICE; every call is logged in prio.refresh_runs.';
REVOKE ALL ON FUNCTION @extschema@.refresh(timestamptz) FROM PUBLIC;
