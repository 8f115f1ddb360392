-- prio 0.1 -> 0.2: owner isolation, the BTYD inputs in customer_state, CLV
-- models fitted by refresh() and shown in followup, win probability.
-- Objects whose definition changed are dropped and created again; their
-- grants are saved first and given back (prio.upgrade_regrant, dropped at
-- the end).
\echo Use "ALTER EXTENSION prio UPDATE TO '0.2'" to load this file. \quit

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
SELECT pg_catalog.set_config('prio.upgrade_acl_' OPERATOR(pg_catalog.||) x.name,
                             coalesce(x.acl::text, ''), false)
  FROM (SELECT 'followup' AS name, c.relacl AS acl FROM pg_catalog.pg_class c
         WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.followup'::pg_catalog.regclass
        UNION ALL
        SELECT p.proname, p.proacl FROM pg_catalog.pg_proc p
         WHERE p.oid OPERATOR(pg_catalog.=) ANY (ARRAY['@extschema@.refresh(timestamptz)'::pg_catalog.regprocedure,
                                                        '@extschema@.grant_reader(regrole)'::pg_catalog.regprocedure,
                                                        '@extschema@.grant_admin(regrole)'::pg_catalog.regprocedure])) x;

DROP VIEW @extschema@.followup;
DROP FUNCTION @extschema@.apply_facts(@extschema@.facts[], timestamptz, text, boolean);
DROP FUNCTION @extschema@.stored_facts(@extschema@.customer_state);
DROP FUNCTION @extschema@.refresh(timestamptz);
DROP FUNCTION @extschema@.grant_reader(regrole);
DROP FUNCTION @extschema@.grant_admin(regrole);

------------------------------------------------------------------------
-- BTYD inputs kept by the fold; CLV settings
------------------------------------------------------------------------

ALTER TYPE @extschema@.facts
    ADD ATTRIBUTE first_purchase_at timestamptz,
    ADD ATTRIBUTE purchase_days bigint,
    ADD ATTRIBUTE first_day_amount numeric;
COMMENT ON TYPE @extschema@.facts IS
'What prio folds from one customer''s activities: first/last activity, last inbound/outbound/purchase, purchase count and sum, intent decayed as of intent_at, base stage, and the BTYD inputs (first purchase, UTC calendar days with purchases, the first such day''s amount).';

ALTER TABLE @extschema@.customer_state
    ADD COLUMN first_purchase_at timestamptz,
    ADD COLUMN purchase_days bigint NOT NULL DEFAULT 0,
    ADD COLUMN first_day_amount numeric NOT NULL DEFAULT 0;
COMMENT ON COLUMN @extschema@.customer_state.first_purchase_at IS 'First purchase.';
COMMENT ON COLUMN @extschema@.customer_state.purchase_days IS 'UTC calendar days with purchases: the BTYD transactions (x = purchase_days - 1).';
COMMENT ON COLUMN @extschema@.customer_state.first_day_amount IS 'Amount bought on the first purchase day (the repeat transactions'' mean leaves it out).';

ALTER TABLE @extschema@.settings
    ADD COLUMN clv_horizon      integer NOT NULL DEFAULT 12 CHECK (clv_horizon BETWEEN 1 AND 600),
    ADD COLUMN clv_discount_rate double precision NOT NULL DEFAULT 0.01 CHECK (clv_discount_rate >= 0 AND clv_discount_rate < 1),
    ADD COLUMN clv_refit_after  interval NOT NULL DEFAULT '1 day' CHECK (clv_refit_after > interval '0' AND clv_refit_after < interval '100 years'),
    ADD COLUMN clv_min_repeat_buyers integer NOT NULL DEFAULT 30 CHECK (clv_min_repeat_buyers BETWEEN 3 AND 1000000000);
COMMENT ON COLUMN @extschema@.settings.clv_horizon IS 'Months (periods of 4.345 weeks) the clv column of prio.followup looks ahead.';
COMMENT ON COLUMN @extschema@.settings.clv_discount_rate IS 'Discount rate per month for the clv column.';
COMMENT ON COLUMN @extschema@.settings.clv_refit_after IS 'prio.refresh() fits the CLV models again when the latest fit is older than this.';
COMMENT ON COLUMN @extschema@.settings.clv_min_repeat_buyers IS 'prio.refresh() fits the CLV models only when at least this many customers bought on two or more days.';

CREATE FUNCTION @extschema@.stored_facts(s @extschema@.customer_state)
RETURNS @extschema@.facts
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- A pure row expression with qualified names only, left without SET so the
-- planner can inline it.
RETURN ROW(s.customer_id, s.first_at, s.last_at, s.last_inbound_at, s.last_outbound_at,
           s.last_purchase_at, s.frequency, s.monetary, s.intent, s.intent_at,
           s.stage, s.first_purchase_at, s.purchase_days, s.first_day_amount)::@extschema@.facts;
COMMENT ON FUNCTION @extschema@.stored_facts(@extschema@.customer_state) IS
'The folded facts of a customer_state row, as prio.facts.';

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
               @extschema@.evaluate(f, c, r.cfg, r.r_breaks, r.f_breaks, r.m_breaks, as_of) AS e
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
REVOKE ALL ON FUNCTION @extschema@.apply_facts(@extschema@.facts[], timestamptz, text, boolean) FROM PUBLIC;

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

    -- who would change: evaluate without locks, then lock and apply only those
    -- (MATERIALIZED: evaluate once per customer, not once per field read)
    WITH e AS MATERIALIZED (
        SELECT s.*, @extschema@.evaluate(@extschema@.stored_facts(s), c, r.cfg,
                                         r.r_breaks, r.f_breaks, r.m_breaks, as_of) AS ev
          FROM @extschema@.customer_state s
          JOIN @extschema@.customers c ON c.customer_id OPERATOR(pg_catalog.=) s.customer_id
         CROSS JOIN @extschema@.rule_config r
    )
    SELECT pg_catalog.array_agg(e.customer_id ORDER BY e.customer_id) INTO v_ids
      FROM e
     WHERE ROW(e.effective_stage, e.r_score, e.f_score, e.m_score, e.bant, e.no_reply,
               e.value_high, e.intent_high, e.tier, e.priority, e.next_due_at, e.rule)
           IS DISTINCT FROM
           ROW((e.ev).effective_stage, (e.ev).r_score, (e.ev).f_score, (e.ev).m_score,
               (e.ev).bant, (e.ev).no_reply, (e.ev).value_high, (e.ev).intent_high,
               (e.ev).tier, (e.ev).priority, (e.ev).next_due_at, (e.ev).rule);
    IF v_ids IS NOT NULL THEN
        v_changed := @extschema@.reevaluate(v_ids, as_of, 'refresh');
    END IF;

    -- the CLV models, when the latest fit is old and enough customers bought again
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
    RETURN v_changed;
END
$$;
COMMENT ON FUNCTION @extschema@.refresh(timestamptz) IS
'Time moves customers too: recomputes automatic breaks, re-evaluates everyone as of as_of (silent, dormant, overdue, decayed intent), writes only rows that change, logs changes; fits the CLV models again (prio.fit_clv) when the latest fit is older than settings.clv_refit_after and enough customers bought again; returns how many customers changed tier or stage.  A concurrent second call returns 0 at once.';
REVOKE ALL ON FUNCTION @extschema@.refresh(timestamptz) FROM PUBLIC;

------------------------------------------------------------------------
-- CLV of prio's own customers: the BTYD inputs kept in customer_state,
-- the models fitted by prio.refresh(), and the followup columns
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.customer_summary(state @extschema@.customer_state,
                                             as_of timestamptz DEFAULT pg_catalog.now(),
                                             unit interval DEFAULT '1 week')
RETURNS @extschema@.btyd_summary AS 'MODULE_PATHNAME', 'prio_customer_summary'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.customer_summary(@extschema@.customer_state, timestamptz, interval) IS
'A customer''s (x, t_x, T, mean_value) from its state row, without reading its activities: equal to prio.clv_summary() over its purchases with cut_off as_of (T runs at least to the last purchase''s day); NULL without purchases.';

CREATE TABLE @extschema@.clv_models (
    fitted_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    customers     bigint NOT NULL,
    repeat_buyers bigint NOT NULL,
    bgnbd         @extschema@.bgnbd NOT NULL,
    gammagamma    @extschema@.gammagamma,
    fit_ms        double precision NOT NULL
);
CREATE INDEX clv_models_fitted_at_idx ON @extschema@.clv_models (fitted_at);
COMMENT ON TABLE @extschema@.clv_models IS
'Every fit of the CLV models on prio''s customers (prio.fit_clv(), run by prio.refresh() when due); prio.followup uses the latest.';
COMMENT ON COLUMN @extschema@.clv_models.fitted_at IS 'When the models were fitted; the customers'' T ran to this day.';
COMMENT ON COLUMN @extschema@.clv_models.customers IS 'Customers with purchases the fit used.';
COMMENT ON COLUMN @extschema@.clv_models.repeat_buyers IS 'Of those, customers who bought on two or more days.';
COMMENT ON COLUMN @extschema@.clv_models.bgnbd IS 'BG/NBD parameters (time unit: weeks).';
COMMENT ON COLUMN @extschema@.clv_models.gammagamma IS 'Gamma-Gamma parameters (NULL when that fit failed).';
COMMENT ON COLUMN @extschema@.clv_models.fit_ms IS 'Time the fit took, in milliseconds.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.clv_models', '');

CREATE FUNCTION @extschema@.fit_clv()
RETURNS @extschema@.clv_models
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_started timestamptz := pg_catalog.clock_timestamp();
    v_as_of timestamptz := pg_catalog.now();
    v_min integer;
    v_row @extschema@.clv_models;
BEGIN
    SELECT cfg.clv_min_repeat_buyers INTO v_min FROM @extschema@.settings cfg;
    SELECT pg_catalog.count(*),
           pg_catalog.count(*) FILTER (WHERE s.purchase_days OPERATOR(pg_catalog.>) 1)
      INTO v_row.customers, v_row.repeat_buyers
      FROM @extschema@.customer_state s
     WHERE s.first_purchase_at IS NOT NULL;
    IF v_row.repeat_buyers OPERATOR(pg_catalog.<) v_min THEN
        RAISE EXCEPTION 'only % customers bought on two or more days; the CLV models need at least %',
                        v_row.repeat_buyers, v_min
            USING ERRCODE = '22023',
                  HINT = 'settings.clv_min_repeat_buyers sets the minimum (at least 3).';
    END IF;
    -- (no temporary table: this runs as prio's owner)
    SELECT @extschema@.bgnbd_fit(y.x, y.t_x, y."T") INTO v_row.bgnbd
      FROM @extschema@.customer_state s, @extschema@.customer_summary(s, v_as_of) y
     WHERE s.first_purchase_at IS NOT NULL;
    BEGIN
        SELECT @extschema@.gammagamma_fit(y.x, y.mean_value) INTO v_row.gammagamma
          FROM @extschema@.customer_state s, @extschema@.customer_summary(s, v_as_of) y
         WHERE s.purchase_days OPERATOR(pg_catalog.>) 1;
    EXCEPTION WHEN invalid_parameter_value THEN
        RAISE WARNING 'prio.fit_clv(): Gamma-Gamma not fitted: %', SQLERRM;
    END;
    v_row.fitted_at := v_as_of;
    v_row.fit_ms := pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) v_started)
                    OPERATOR(pg_catalog.*) 1000;
    INSERT INTO @extschema@.clv_models SELECT v_row.*;
    RETURN v_row;
END
$$;
COMMENT ON FUNCTION @extschema@.fit_clv() IS
'Fits BG/NBD and Gamma-Gamma (weeks) on every customer with purchases, from customer_state as of now, stores them in prio.clv_models and returns the row.  22023 with fewer repeat buyers than settings.clv_min_repeat_buyers or when the fit fails.';

CREATE FUNCTION @extschema@.p_alive(params @extschema@.bgnbd, state @extschema@.customer_state,
                                    as_of timestamptz DEFAULT pg_catalog.now())
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
COST 50
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT @extschema@.p_alive(params, y.x, y.t_x, y."T")
      FROM @extschema@.customer_summary(state, as_of) y
     WHERE params IS NOT NULL AND y.x IS NOT NULL;
END;
COMMENT ON FUNCTION @extschema@.p_alive(@extschema@.bgnbd, @extschema@.customer_state, timestamptz) IS
'P(alive) of a prio customer from its state row (weeks); NULL without purchases or params.';

CREATE FUNCTION @extschema@.clv(bgnbd @extschema@.bgnbd, gammagamma @extschema@.gammagamma,
                                state @extschema@.customer_state, horizon integer,
                                discount_rate double precision,
                                as_of timestamptz DEFAULT pg_catalog.now())
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
COST 500
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT @extschema@.clv(bgnbd, gammagamma, y.x, y.t_x, y."T", y.mean_value, horizon, discount_rate)
      FROM @extschema@.customer_summary(state, as_of) y
     WHERE bgnbd IS NOT NULL AND gammagamma IS NOT NULL AND y.x IS NOT NULL;
END;
COMMENT ON FUNCTION @extschema@.clv(@extschema@.bgnbd, @extschema@.gammagamma, @extschema@.customer_state, integer, double precision, timestamptz) IS
'Lifetime value of a prio customer from its state row over horizon months, discounted per month; NULL without purchases or models.';

REVOKE ALL ON FUNCTION @extschema@.fit_clv() FROM PUBLIC;

-- The ranking is the inner query; the model columns are computed outside
-- it, so a query with LIMIT computes them only for the rows it returns.
CREATE VIEW @extschema@.followup WITH (security_invoker = true) AS
SELECT r.rank, r.customer_id, r.name, r.owner, r.tier, r.priority, r.stage, r.r, r.f, r.m,
       r.rfm_segment, r.bant, r.intent, r.last_activity_at, r.last_contact_at, r.next_due_at,
       r.overdue_days, r.reason,
       @extschema@.p_alive(r.bgnbd, r.state) AS p_alive,
       @extschema@.clv(r.bgnbd, r.gammagamma, r.state, r.clv_horizon, r.clv_discount_rate) AS clv
  FROM (
    SELECT pg_catalog.row_number() OVER (PARTITION BY c.owner
                                         ORDER BY s.priority DESC, s.next_due_at, s.customer_id) AS rank,
           s.customer_id,
           c.name,
           c.owner,
           s.tier,
           s.priority,
           s.effective_stage AS stage,
           s.r_score AS r,
           s.f_score AS f,
           s.m_score AS m,
           x.segment AS rfm_segment,
           s.bant,
           @extschema@.decayed(s.intent, s.intent_at, cfg.intent_half_life, pg_catalog.now()) AS intent,
           s.last_at AS last_activity_at,
           s.last_outbound_at AS last_contact_at,
           s.next_due_at,
           x.overdue_days,
           pg_catalog.concat_ws(', ',
               s.tier OPERATOR(pg_catalog.||) ': BANT ' OPERATOR(pg_catalog.||) s.bant OPERATOR(pg_catalog.||) '/4',
               CASE WHEN x.segment IS NULL AND s.frequency OPERATOR(pg_catalog.=) 0 THEN 'no purchases'
                    WHEN x.segment IS NULL THEN 'RFM not scored yet'
                    ELSE pg_catalog.format('%s %s-%s-%s', x.segment, s.r_score, s.f_score, s.m_score) END,
               s.effective_stage::text,
               CASE WHEN s.no_reply THEN 'no reply to last touch' END,
               CASE WHEN x.overdue_days OPERATOR(pg_catalog.=) 1 THEN '1 day overdue'
                    WHEN x.overdue_days OPERATOR(pg_catalog.>) 1 THEN x.overdue_days OPERATOR(pg_catalog.||) ' days overdue'
                    WHEN s.next_due_at OPERATOR(pg_catalog.<=) pg_catalog.now() THEN 'due today'
                    ELSE 'due ' OPERATOR(pg_catalog.||) pg_catalog.to_char(s.next_due_at, 'YYYY-MM-DD') END) AS reason,
           s AS state, m.bgnbd, m.gammagamma, cfg.clv_horizon, cfg.clv_discount_rate
      FROM @extschema@.customer_state s
      JOIN @extschema@.customers c ON c.customer_id OPERATOR(pg_catalog.=) s.customer_id
     CROSS JOIN @extschema@.settings cfg
      LEFT JOIN (SELECT cm.bgnbd, cm.gammagamma FROM @extschema@.clv_models cm
                  ORDER BY cm.fitted_at DESC LIMIT 1) m ON true
     CROSS JOIN LATERAL (
        SELECT CASE WHEN s.frequency OPERATOR(pg_catalog.>) 0 AND s.r_score IS NOT NULL
                         AND s.f_score IS NOT NULL AND s.m_score IS NOT NULL
                    THEN @extschema@.rfm_segment(s.r_score, s.f_score, s.m_score) END AS segment,
               GREATEST(pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) s.next_due_at)
                                         OPERATOR(pg_catalog./) 86400)::integer, 0) AS overdue_days
     ) x
     ORDER BY rank, s.priority DESC, s.customer_id
  ) r;
COMMENT ON VIEW @extschema@.followup IS
'Whom each rep should contact next, when and why: one row per customer, ranked within its owner''s list (rank 1 = first).  Filter with WHERE owner = ...';
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
COMMENT ON COLUMN @extschema@.followup.clv IS 'Expected value of the customer''s purchases over settings.clv_horizon months (BG/NBD x Gamma-Gamma, discounted); NULL without purchases or a fit.';

CREATE FUNCTION @extschema@.grant_reader(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'role must not be NULL' USING ERRCODE = '22004';
    END IF;
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA @extschema@ TO %s', role);
    -- the views are security_invoker: readers need their base tables too
    EXECUTE pg_catalog.format(
        'GRANT SELECT ON @extschema@.followup, @extschema@.tier_summary, @extschema@.conversion_by_tier,'
        ' @extschema@.rule_config, @extschema@.customers, @extschema@.customer_state,'
        ' @extschema@.tier_history, @extschema@.settings, @extschema@.auto_breaks,'
        ' @extschema@.activity_kinds, @extschema@.rfm_segments, @extschema@.clv_models TO %s', role);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.explain(bigint) TO %s', role);
END
$$;
COMMENT ON FUNCTION @extschema@.grant_reader(regrole) IS
'BI and reps: SELECT on the views (and the tables they read), prio.explain().  Run it as prio''s owner.';

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
END
$$;
COMMENT ON FUNCTION @extschema@.grant_admin(regrole) IS
'Whoever runs prio: what grant_writer gives, plus settings, activity kinds, segments, refresh(), recompute() and fit_clv().';

------------------------------------------------------------------------
-- Owner isolation: row-level security so each rep sees only the
-- customers they own or cover for.  The policies are always there; they
-- apply once prio.enable_owner_isolation() turns row-level security on.
-- prio's own triggers and functions run as the tables' owner, which the
-- policies do not restrict, so live maintenance sees every customer.
------------------------------------------------------------------------

CREATE TABLE @extschema@.managers (
    role_name name PRIMARY KEY CHECK (role_name OPERATOR(pg_catalog.<>) '')
);
COMMENT ON TABLE @extschema@.managers IS
'Roles that see every customer while owner isolation is on (members of these roles too); maintained by prio.grant_manager() and prio.revoke_manager().';
COMMENT ON COLUMN @extschema@.managers.role_name IS 'A role name (a row naming a dropped role grants nothing).';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.managers', '');
-- the policies read it as the querying user
GRANT SELECT ON @extschema@.managers TO PUBLIC;

CREATE FUNCTION @extschema@.sees_all_customers()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM @extschema@.managers m
                    WHERE pg_catalog.pg_has_role(CURRENT_USER,
                              pg_catalog.to_regrole(pg_catalog.quote_ident(m.role_name)), 'MEMBER'));
END;
COMMENT ON FUNCTION @extschema@.sees_all_customers() IS
'Whether the current user is (a member of) a role in prio.managers, who see every customer under owner isolation.';

CREATE POLICY owner_isolation ON @extschema@.customers
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER::pg_catalog.text
           OR backup_owner OPERATOR(pg_catalog.=) CURRENT_USER::pg_catalog.text
           OR (SELECT @extschema@.sees_all_customers()));
COMMENT ON POLICY owner_isolation ON @extschema@.customers IS
'A rep (role named in owner or backup_owner) sees and writes their own customers; managers all.';
-- the other tables follow the customers a user can see
CREATE POLICY owner_isolation ON @extschema@.activities
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) activities.customer_id));
COMMENT ON POLICY owner_isolation ON @extschema@.activities IS
'Activities of the customers the user can see (prio.customers'' policy).';
CREATE POLICY owner_isolation ON @extschema@.customer_state
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) customer_state.customer_id));
COMMENT ON POLICY owner_isolation ON @extschema@.customer_state IS
'State of the customers the user can see (prio.customers'' policy).';
CREATE POLICY owner_isolation ON @extschema@.tier_history
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) tier_history.customer_id));
COMMENT ON POLICY owner_isolation ON @extschema@.tier_history IS
'History of the customers the user can see (prio.customers'' policy).';

CREATE FUNCTION @extschema@.enable_owner_isolation()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    ALTER TABLE @extschema@.customers ENABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.activities ENABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.customer_state ENABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.tier_history ENABLE ROW LEVEL SECURITY;
END
$$;
COMMENT ON FUNCTION @extschema@.enable_owner_isolation() IS
'Turns on row-level security: each rep (role name = owner or backup_owner) sees only their customers, their activities, state and history, through the tables, the views and prio.explain(); managers (prio.grant_manager) see all; tier-change notifications carry only the history_id.  Run it as prio''s owner.';

CREATE FUNCTION @extschema@.disable_owner_isolation()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    ALTER TABLE @extschema@.customers DISABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.activities DISABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.customer_state DISABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.tier_history DISABLE ROW LEVEL SECURITY;
END
$$;
COMMENT ON FUNCTION @extschema@.disable_owner_isolation() IS
'Turns owner isolation off again: everyone with SELECT sees every customer.  Run it as prio''s owner.';

CREATE FUNCTION @extschema@.grant_manager(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.grant_reader(role);
    INSERT INTO @extschema@.managers (role_name)
    SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) role
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION @extschema@.grant_manager(regrole) IS
'Sales managers (and applications that write for every rep): what grant_reader gives, and every customer visible while owner isolation is on.  Run it as prio''s owner.';

CREATE FUNCTION @extschema@.revoke_manager(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'role must not be NULL' USING ERRCODE = '22004';
    END IF;
    DELETE FROM @extschema@.managers m
     USING pg_catalog.pg_roles r
     WHERE r.oid OPERATOR(pg_catalog.=) role AND m.role_name OPERATOR(pg_catalog.=) r.rolname;
END
$$;
COMMENT ON FUNCTION @extschema@.revoke_manager(regrole) IS
'Takes a role out of prio.managers (its reader grants stay).  Run it as prio''s owner.';

REVOKE ALL ON FUNCTION @extschema@.enable_owner_isolation() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.disable_owner_isolation() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.grant_manager(regrole) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.revoke_manager(regrole) FROM PUBLIC;

-- the grants saved above, back on what replaced them (readers of followup
-- need the models it reads too)
SELECT @extschema@.upgrade_regrant('TABLE @extschema@.followup',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_followup'), '')::aclitem[]);
SELECT @extschema@.upgrade_regrant('TABLE @extschema@.clv_models',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_followup'), '')::aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.refresh(timestamptz)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_refresh'), '')::aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.fit_clv()',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_refresh'), '')::aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.grant_reader(regrole)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_grant_reader'), '')::aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.grant_admin(regrole)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_grant_admin'), '')::aclitem[]);
DROP FUNCTION @extschema@.upgrade_regrant(text, aclitem[]);

-- fill the new state columns from the activities
SELECT @extschema@.rebuild(NULL, 'upgrade to 0.2', false);
