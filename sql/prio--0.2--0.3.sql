-- prio 0.2 -> 0.3: performance.  Everyone at once in C (prio.sweep_rebuild
-- for recompute and configuration changes, prio.sweep_due for refresh,
-- prio.rebuild_win_counts for recompute's check of the win counts); the
-- outcome features and p_alive and clv of a state row in C.
-- Objects whose definition changed are dropped and created again; their
-- grants are saved first and given back (prio.upgrade_regrant, dropped at
-- the end).
\echo Use "ALTER EXTENSION prio UPDATE TO '0.3'" to load this file. \quit

CREATE FUNCTION @extschema@.upgrade_regrant(target text, acl aclitem[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
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

-- grants of what is dropped below
SELECT pg_catalog.set_config('prio.upgrade_acl_followup', coalesce(c.relacl::text, ''), true)
  FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.followup'::pg_catalog.regclass;
SELECT pg_catalog.set_config('prio.upgrade_acl_state_' OPERATOR(pg_catalog.||) p.proname,
                             coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) ANY (ARRAY['@extschema@.p_alive(@extschema@.bgnbd, @extschema@.customer_state, timestamptz)'::pg_catalog.regprocedure,
                                                '@extschema@.clv(@extschema@.bgnbd, @extschema@.gammagamma, @extschema@.customer_state, integer, double precision, timestamptz)'::pg_catalog.regprocedure]);
SELECT pg_catalog.set_config('prio.upgrade_acl_' OPERATOR(pg_catalog.||) p.proname,
                             coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) ANY (ARRAY['@extschema@.refresh(timestamptz)'::pg_catalog.regprocedure,
                                                '@extschema@.rebuild(bigint[], text, boolean)'::pg_catalog.regprocedure,
                                                '@extschema@.rebuild_win_counts()'::pg_catalog.regprocedure]);

DROP VIEW @extschema@.followup;      -- it calls the two below; created again as it was
DROP FUNCTION @extschema@.p_alive(@extschema@.bgnbd, @extschema@.customer_state, timestamptz);
DROP FUNCTION @extschema@.clv(@extschema@.bgnbd, @extschema@.gammagamma, @extschema@.customer_state, integer, double precision, timestamptz);
DROP FUNCTION @extschema@.refresh(timestamptz);
DROP FUNCTION @extschema@.rebuild(bigint[], text, boolean);
DROP FUNCTION @extschema@.config_changed() CASCADE;      -- and its two triggers
DROP FUNCTION @extschema@.rebuild_win_counts();

------------------------------------------------------------------------
-- P(alive) and CLV of a state row in C (an SQL function call per follow-up row)
CREATE FUNCTION @extschema@.p_alive(params @extschema@.bgnbd, state @extschema@.customer_state,
                                    as_of timestamptz DEFAULT pg_catalog.now())
RETURNS double precision
AS 'MODULE_PATHNAME', 'prio_p_alive_state'
LANGUAGE C IMMUTABLE PARALLEL SAFE
COST 50;
COMMENT ON FUNCTION @extschema@.p_alive(@extschema@.bgnbd, @extschema@.customer_state, timestamptz) IS
'P(alive) of a prio customer from its state row (weeks); NULL without purchases or params.';

CREATE FUNCTION @extschema@.clv(bgnbd @extschema@.bgnbd, gammagamma @extschema@.gammagamma,
                                state @extschema@.customer_state, horizon integer,
                                discount_rate double precision,
                                as_of timestamptz DEFAULT pg_catalog.now())
RETURNS double precision
AS 'MODULE_PATHNAME', 'prio_clv_state'
LANGUAGE C IMMUTABLE PARALLEL SAFE
COST 500;
COMMENT ON FUNCTION @extschema@.clv(@extschema@.bgnbd, @extschema@.gammagamma, @extschema@.customer_state, integer, double precision, timestamptz) IS
'Lifetime value of a prio customer from its state row over horizon months, discounted per month (repeat purchases all worth 0 count as the population''s mean spend); NULL without purchases or models.';

-- The ranking is the inner query, over customer_state alone; everything
-- else is computed outside it, so a query with LIMIT computes it only for
-- the rows it returns.  WHERE owner = ... reaches the index on owner.
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
       AS win_probability
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
COMMENT ON COLUMN @extschema@.followup.clv IS 'Expected value of the customer''s purchases over settings.clv_horizon months (BG/NBD x Gamma-Gamma, discounted); NULL without purchases or a fit.';

------------------------------------------------------------------------
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
REVOKE ALL ON FUNCTION @extschema@.sweep_rebuild(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sweep_due(timestamptz) FROM PUBLIC;

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
'Internal: lock, refold from all their activities and re-evaluate now the given customers (NULL: everyone, by prio.sweep_rebuild), writing every row when force; returns how many had stored facts that differed from the refold.';
REVOKE ALL ON FUNCTION @extschema@.rebuild(bigint[], text, boolean) FROM PUBLIC;

CREATE FUNCTION @extschema@.refresh(as_of timestamptz DEFAULT pg_catalog.now())
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_ids bigint[];
    v_changed integer := 0;
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
    -- one refresh at a time; a second one has nothing to add
    IF NOT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('prio.refresh')::bigint) THEN
        RAISE NOTICE 'prio.refresh() is already running in another session; skipped';
        RETURN 0;
    END IF;

    UPDATE @extschema@.auto_breaks b
       SET r_breaks = q.r, f_breaks = q.f, m_breaks = q.m, buyers = q.n, computed_at = as_of
      FROM (SELECT pg_catalog.percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP
                   (ORDER BY @extschema@.recency_days(s.last_purchase_at, as_of)) AS r,
                   pg_catalog.percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP
                   (ORDER BY s.frequency::double precision) AS f,
                   pg_catalog.percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP
                   (ORDER BY s.monetary::double precision) AS m,
                   pg_catalog.count(*) AS n
              FROM @extschema@.customer_state s
             WHERE s.frequency OPERATOR(pg_catalog.>) 0) q
     WHERE ROW(b.r_breaks, b.f_breaks, b.m_breaks, b.buyers) IS DISTINCT FROM ROW(q.r, q.f, q.m, q.n)
        OR b.computed_at IS NULL;

    -- the CLV models, when the latest fit is old and enough customers bought
    -- again (before the evaluation: the value side may use them)
    IF NOT EXISTS (SELECT 1 FROM @extschema@.clv_models m, @extschema@.settings cfg
                    WHERE m.fitted_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) cfg.clv_refit_after))
       AND (SELECT pg_catalog.count(*) FROM @extschema@.customer_state s
             WHERE s.purchase_days OPERATOR(pg_catalog.>) 1)
           OPERATOR(pg_catalog.>=) (SELECT cfg.clv_min_repeat_buyers FROM @extschema@.settings cfg) THEN
        BEGIN
            PERFORM @extschema@.fit_clv();
        EXCEPTION WHEN invalid_parameter_value THEN
            RAISE WARNING 'prio.refresh(): the CLV models were not fitted: %', SQLERRM;
        END;
    END IF;
    -- who would change: evaluate everyone without locks, then lock and apply only those
    v_ids := @extschema@.sweep_due(as_of);
    IF v_ids IS NOT NULL THEN
        v_changed := @extschema@.reevaluate(v_ids, as_of, 'refresh');
    END IF;

    -- sum up the win-count deltas
    IF EXISTS (SELECT 1 FROM @extschema@.win_counts w GROUP BY w.variable, w.value
                HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1) THEN
        PERFORM @extschema@.compact_win_counts();
    END IF;

    RETURN v_changed;
END
$$;
COMMENT ON FUNCTION @extschema@.refresh(timestamptz) IS
'Time moves customers too: recomputes automatic breaks, re-evaluates everyone as of as_of (silent, dormant, overdue, decayed intent), writes only rows that change, logs changes; fits the CLV models again (prio.fit_clv) when the latest fit is older than settings.clv_refit_after and enough customers bought again; returns how many customers changed tier or stage.  A concurrent second call returns 0 at once.';
REVOKE ALL ON FUNCTION @extschema@.refresh(timestamptz) FROM PUBLIC;

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
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();
CREATE TRIGGER activity_kinds_changed
    AFTER UPDATE OR DELETE ON @extschema@.activity_kinds
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();
REVOKE ALL ON FUNCTION @extschema@.config_changed() FROM PUBLIC;

CREATE FUNCTION @extschema@.rebuild_win_counts()
RETURNS void
AS 'MODULE_PATHNAME', 'prio_rebuild_win_counts'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.rebuild_win_counts() IS
'Internal (recompute; C): makes prio.win_outcomes follow the base stages (an open customer''s outcome goes; a closed customer without one gets its current features, stage unknown) and prio.win_counts equal the outcomes'' counts, rewriting them only when they differ or hold deltas; one scan of customer_state and one of win_outcomes, under the compaction lock.';
REVOKE ALL ON FUNCTION @extschema@.rebuild_win_counts() FROM PUBLIC;

------------------------------------------------------------------------
-- grants given back
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.refresh(timestamptz)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_refresh'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.rebuild(bigint[], text, boolean)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_rebuild'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.rebuild_win_counts()',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_rebuild_win_counts'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.p_alive(@extschema@.bgnbd, @extschema@.customer_state, timestamptz)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_state_p_alive'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.clv(@extschema@.bgnbd, @extschema@.gammagamma, @extschema@.customer_state, integer, double precision, timestamptz)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_state_clv'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_regrant('TABLE @extschema@.followup',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_followup'), '')::pg_catalog.aclitem[]);
DROP FUNCTION @extschema@.upgrade_regrant(text, aclitem[]);
