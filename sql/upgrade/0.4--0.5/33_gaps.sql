-- 0.4 -> 0.5, gaps.
-- Removed built-in rows of prio.deal_stages, prio.channels and prio.labels
-- stay removed across a dump and restore, as removed segments and kinds do.
-- prio.removed_config takes their keys; config_row_removed() (the trigger
-- that keeps them) and removed_config_load() (the one that applies them on
-- restore) are dropped with their triggers and created as 0.5 installs
-- them, privileges and the triggers' enabled state given back.  The new
-- tables' triggers come with their install parts (86_deals, 88_playbooks,
-- 89_labels).
-- Deals dated ahead: the quiet clock counts a deal from its date
-- (prio._deal_facts(), 86_deals), and refresh() counts the deals whose date
-- came due: dropped and created as 0.5 installs it, privileges given back.
-- prio.tracked.last_error of an activities or deals table is cleared by a
-- recompute() that read the table again without error: _track_note_error()
-- tells it which noted one (dropped and created as 0.5 installs it).

ALTER TABLE @extschema@.removed_config DROP CONSTRAINT removed_config_table_name_check;
ALTER TABLE @extschema@.removed_config ADD CONSTRAINT removed_config_table_name_check
    CHECK (table_name IN ('rfm_segments', 'activity_kinds', 'deal_stages', 'channels', 'labels'));
COMMENT ON TABLE @extschema@.removed_config IS
'Keys of rows removed from prio.rfm_segments, prio.activity_kinds and (0.5) prio.deal_stages, prio.channels and prio.labels (kept by prio, dumped): a restore removes the built-in row CREATE EXTENSION seeded again under such a key, so a removed built-in row stays removed.';
COMMENT ON COLUMN @extschema@.removed_config.table_name IS 'rfm_segments, activity_kinds, deal_stages, channels or labels.';
COMMENT ON COLUMN @extschema@.removed_config.key IS 'The removed row''s key (position, kind, stage or channel) as text; of a label, its domain, code and lang as a JSON array (["stage", "closing", "en"]).';

-- the functions' privileges and their triggers' enabled state, kept
SELECT pg_catalog.set_config('prio.upgrade_acl_config_row_removed', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.config_row_removed()'::pg_catalog.regprocedure;
SELECT pg_catalog.set_config('prio.upgrade_acl_removed_config_load', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.removed_config_load()'::pg_catalog.regprocedure;
SELECT pg_catalog.set_config('prio.upgrade_removed_triggers',
           coalesce(pg_catalog.jsonb_object_agg(t.tgname, pg_catalog.jsonb_build_array(c.relname, t.tgenabled::text))::text, '{}'), true)
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.tgrelid
 WHERE t.tgfoid OPERATOR(pg_catalog.=) ANY (ARRAY['@extschema@.config_row_removed()'::pg_catalog.regprocedure,
                                                  '@extschema@.removed_config_load()'::pg_catalog.regprocedure]::pg_catalog.oid[])
   AND t.tgenabled OPERATOR(pg_catalog.<>) 'O';
DROP TRIGGER rfm_segments_removed ON @extschema@.rfm_segments;
DROP TRIGGER rfm_segments_truncated ON @extschema@.rfm_segments;
DROP TRIGGER activity_kinds_removed ON @extschema@.activity_kinds;
DROP TRIGGER activity_kinds_truncated ON @extschema@.activity_kinds;
DROP TRIGGER removed_config_load ON @extschema@.removed_config;
DROP FUNCTION @extschema@.config_row_removed();
DROP FUNCTION @extschema@.removed_config_load();

CREATE FUNCTION @extschema@.config_row_removed()
RETURNS trigger
LANGUAGE plpgsql
-- it writes prio.removed_config, which only prio writes, for an admin who
-- may delete configuration rows
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_key text;
BEGIN
    -- TG_ARGV holds the key column(s): one (its value is the key, as text),
    -- or several (their values as a JSON array, as text: a label's)
    IF TG_RELID OPERATOR(pg_catalog.<>) ALL (ARRAY['@extschema@.rfm_segments'::pg_catalog.regclass,
                                                  '@extschema@.activity_kinds'::pg_catalog.regclass,
                                                  '@extschema@.deal_stages'::pg_catalog.regclass,
                                                  '@extschema@.channels'::pg_catalog.regclass,
                                                  '@extschema@.labels'::pg_catalog.regclass]) THEN
        RAISE EXCEPTION 'prio.config_row_removed() is a trigger of prio.rfm_segments, prio.activity_kinds, prio.deal_stages, prio.channels and prio.labels only'
            USING ERRCODE = '39P01';
    END IF;
    IF TG_NARGS OPERATOR(pg_catalog.=) 1 THEN
        v_key := pg_catalog.format('t.%I::text', TG_ARGV[0]);
    ELSE
        SELECT 'pg_catalog.jsonb_build_array(' OPERATOR(pg_catalog.||)
               pg_catalog.string_agg(pg_catalog.format('t.%I', a.col), ', ' ORDER BY a.n)
               OPERATOR(pg_catalog.||) ')::text'
          INTO v_key
          FROM pg_catalog.unnest(TG_ARGV) WITH ORDINALITY a(col, n);
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
        EXECUTE pg_catalog.format(
            'INSERT INTO @extschema@.removed_config (table_name, key) SELECT $1, %s FROM %s t'
            ' ON CONFLICT DO NOTHING', v_key, TG_RELID::pg_catalog.regclass)
        USING TG_TABLE_NAME;
    ELSE
        EXECUTE pg_catalog.format(
            'INSERT INTO @extschema@.removed_config (table_name, key) SELECT $1, %s FROM (SELECT ($2).*) t'
            ' ON CONFLICT DO NOTHING', v_key)
        USING TG_TABLE_NAME, OLD;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.config_row_removed() IS
'Trigger on prio.rfm_segments, prio.activity_kinds, prio.deal_stages, prio.channels and prio.labels (row after DELETE, statement before TRUNCATE; its arguments: the key column or columns): keeps the removed keys in prio.removed_config.';

CREATE FUNCTION @extschema@.removed_config_load()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_rel pg_catalog.regclass;
    v_key text;
    v_found boolean;
BEGIN
    -- the table and its key, as prio.config_row_removed() wrote it
    CASE NEW.table_name
        WHEN 'rfm_segments' THEN
            v_rel := '@extschema@.rfm_segments'::pg_catalog.regclass;
            v_key := 't.position::text';
        WHEN 'activity_kinds' THEN
            v_rel := '@extschema@.activity_kinds'::pg_catalog.regclass;
            v_key := 't.kind::text';
        WHEN 'deal_stages' THEN
            v_rel := '@extschema@.deal_stages'::pg_catalog.regclass;
            v_key := 't.stage::text';
        WHEN 'channels' THEN
            v_rel := '@extschema@.channels'::pg_catalog.regclass;
            v_key := 't.channel::text';
        ELSE
            v_rel := '@extschema@.labels'::pg_catalog.regclass;
            v_key := 'pg_catalog.jsonb_build_array(t.domain, t.code, t.lang)::text';
    END CASE;
    -- only a built-in row (one that CREATE EXTENSION seeded); a dumped row
    -- with that key replaces it or is loaded, whichever table comes first.
    -- No DELETE when there is nothing to remove: its statement triggers
    -- would re-tier everyone.
    EXECUTE pg_catalog.format('SELECT EXISTS (SELECT 1 FROM %s t WHERE t.builtin AND %s OPERATOR(pg_catalog.=) $1)',
                              v_rel, v_key)
    INTO v_found USING NEW.key;
    IF v_found THEN
        EXECUTE pg_catalog.format('DELETE FROM %s t WHERE t.builtin AND %s OPERATOR(pg_catalog.=) $1',
                                  v_rel, v_key)
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
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.config_row_removed()',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_config_row_removed'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.removed_config_load()',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_removed_config_load'), '')::pg_catalog.aclitem[]);
-- a trigger the DBA had disabled (or set to fire on replicas) stays so
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT e.value OPERATOR(pg_catalog.->>) 0 AS rel, e.key AS tg, e.value OPERATOR(pg_catalog.->>) 1 AS state
               FROM pg_catalog.jsonb_each(pg_catalog.current_setting('prio.upgrade_removed_triggers')::jsonb) e
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I %s TRIGGER %I', r.rel,
                                  CASE r.state WHEN 'D' THEN 'DISABLE' WHEN 'R' THEN 'ENABLE REPLICA'
                                               ELSE 'ENABLE ALWAYS' END, r.tg);
    END LOOP;
END
$$;

-- refresh(): the deals dated ahead that came due
SELECT pg_catalog.set_config('prio.upgrade_acl_refresh', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.refresh(timestamptz)'::pg_catalog.regprocedure;
DROP FUNCTION @extschema@.refresh(timestamptz);
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

SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.refresh(timestamptz)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_refresh'), '')::pg_catalog.aclitem[]);
COMMENT ON COLUMN @extschema@.customer_state.last_deal_at IS 'The latest created_at or closed_at of the customer''s deals that is not in the future: a deal counts as the customer acting for the quiet clock (silent_after, dormant_after) from its date (a date ahead counts once prio.refresh() finds it came due).';

-- _track_note_error(): which sources noted an error, for recompute()
SELECT pg_catalog.set_config('prio.upgrade_acl_track_note_error', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@._track_note_error(integer, text)'::pg_catalog.regprocedure;
DROP FUNCTION @extschema@._track_note_error(integer, text);
CREATE FUNCTION @extschema@._track_note_error(source_id integer, message text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (0.5) the sources that noted an error in this transaction, for
    -- prio.recompute(): it clears the last error of a table it read again
    -- without noting one
    PERFORM pg_catalog.set_config('prio.track_errors_noted',
                coalesce(pg_catalog.current_setting('prio.track_errors_noted', true), ',')
                OPERATOR(pg_catalog.||) _track_note_error.source_id::text OPERATOR(pg_catalog.||) ',', true);
    IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.=) 'serializable' THEN
        RETURN;
    END IF;
    BEGIN
        UPDATE @extschema@.sources s SET last_error = message, last_error_at = pg_catalog.now()
         WHERE s.source_id OPERATOR(pg_catalog.=) (SELECT l.source_id FROM @extschema@.sources l
                                                   WHERE l.source_id OPERATOR(pg_catalog.=) _track_note_error.source_id
                                                   FOR UPDATE SKIP LOCKED);
    EXCEPTION WHEN serialization_failure THEN
        NULL;
    END;
END
$$;
COMMENT ON FUNCTION @extschema@._track_note_error(integer, text) IS
'Internal: notes the error that kept a change of a tracked table from reaching prio in prio.sources.last_error, unless that would make the writer wait or fail (another writer noting one, a newer version than its snapshot, a SERIALIZABLE transaction); (0.5) and, for prio.recompute(), that the source noted one in this transaction (the setting prio.track_errors_noted).';
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@._track_note_error(integer, text)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_track_note_error'), '')::pg_catalog.aclitem[]);
COMMENT ON COLUMN @extschema@.sources.last_error IS 'The last error that kept a change of the table from reaching prio (the application''s write went through; NULL: none).  (0.5) Of an activities or deals table, cleared by a prio.recompute() of everyone that read the table again without error.';
COMMENT ON COLUMN @extschema@.tracked.last_error IS 'The last error that kept a change from reaching prio (NULL: none; of an activities or deals table, cleared by a prio.recompute() that read the table again without error).';
