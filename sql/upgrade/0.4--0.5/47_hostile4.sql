-- 0.4 -> 0.5, hostile4: prio.win_probability(customer_id) is NULL for a
-- customer decided with nothing in flight only -- won or lost by its
-- activities or by a won deal (the effective stage), with no open deal and
-- no implicit deal -- as prio.followup and prio.explain() say; created again
-- as sql/install/91_win_probability.sql has it, privileges included.
SELECT pg_catalog.set_config('prio.upgrade_acl_win_probability_id', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.win_probability(bigint)'::pg_catalog.regprocedure;
DROP FUNCTION @extschema@.win_probability(bigint);
CREATE FUNCTION @extschema@.win_probability(customer_id bigint)
RETURNS double precision
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_state @extschema@.customer_state;
BEGIN
    IF win_probability.customer_id IS NULL THEN
        RAISE EXCEPTION 'customer_id must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT s.* INTO v_state FROM @extschema@.customer_state s
     WHERE s.customer_id OPERATOR(pg_catalog.=) win_probability.customer_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer % does not exist', win_probability.customer_id
            USING ERRCODE = '23503', HINT = 'Customers are rows of prio.customers.';
    END IF;
    -- decided already: won or lost (the activities' stage, or the effective
    -- one a won deal gives) with no deal in flight, as prio.followup
    IF v_state.open_deals OPERATOR(pg_catalog.=) 0
       AND NOT (v_state.last_deal_at IS NULL AND v_state.quote_at IS NOT NULL)
       AND (v_state.stage OPERATOR(pg_catalog.=) ANY ('{won,lost}'::@extschema@.stage[])
            OR v_state.effective_stage OPERATOR(pg_catalog.=) ANY ('{won,lost}'::@extschema@.stage[])) THEN
        RETURN NULL;
    END IF;
    RETURN @extschema@.win_probability(@extschema@.win_features(v_state));
END
$$;
COMMENT ON FUNCTION @extschema@.win_probability(bigint) IS
'Probability that this open customer''s deal is won (naive Bayes over the customers that closed, prio.win_factors): for a customer with an open deal (or the implicit deal), or whose business is not decided; NULL once won or lost with nothing open, as prio.followup.  22004 for NULL, 23503 for an unknown customer.';
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.win_probability(bigint)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_win_probability_id'), '')::pg_catalog.aclitem[]);

-- 0.4 -> 0.5, hostile4: prio.fit_clv() called by an admin re-tiers the
-- customers its model moves when the clv value signal is in force; the fit
-- itself moves to prio._fit_clv(), which prio.refresh() (created again from
-- its install part) calls before it evaluates everyone.  As
-- sql/install/90_clv.sql has them, fit_clv()'s privileges given back.
SELECT pg_catalog.set_config('prio.upgrade_acl_fit_clv', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.fit_clv()'::pg_catalog.regprocedure;
DROP FUNCTION @extschema@.fit_clv();
CREATE FUNCTION @extschema@._fit_clv()
RETURNS @extschema@.clv_models
LANGUAGE plpgsql
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
COMMENT ON FUNCTION @extschema@._fit_clv() IS
'Internal (prio.fit_clv(), prio.refresh()): fits BG/NBD and Gamma-Gamma (weeks) on every customer with purchases, from customer_state as of now, stores them in prio.clv_models and returns the row; re-tiers nobody.';

-- The admin's fit: the internal one, and when the value side uses the
-- model (the clv value signal at a threshold) the customers it moves
-- re-tiered at once, as a settings change does -- prio.refresh(), which
-- evaluates everyone after its fit, calls prio._fit_clv() itself.
CREATE FUNCTION @extschema@.fit_clv()
RETURNS @extschema@.clv_models
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_row @extschema@.clv_models;
    v_ids bigint[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM @extschema@.value_signals v, @extschema@.settings cfg
                    WHERE v.signal OPERATOR(pg_catalog.=) 'clv' AND v.enabled
                      AND coalesce(v.threshold, cfg.value_min_clv) IS NOT NULL) THEN
        RETURN @extschema@._fit_clv();
    END IF;
    -- wait for the transactions writing state (scored under the old model)
    -- and hold off new ones until the customers are re-tiered
    LOCK TABLE @extschema@.customer_state IN EXCLUSIVE MODE;
    v_row := @extschema@._fit_clv();
    v_ids := @extschema@.sweep_due(v_row.fitted_at);
    IF v_ids IS NOT NULL THEN
        PERFORM @extschema@.reevaluate(v_ids, v_row.fitted_at, 'clv model fitted');
    END IF;
    RETURN v_row;
END
$$;
COMMENT ON FUNCTION @extschema@.fit_clv() IS
'Fits BG/NBD and Gamma-Gamma (weeks) on every customer with purchases, from customer_state as of now, stores them in prio.clv_models and returns the row; when the clv value signal is in force (enabled, at a threshold) the customers the new model moves are re-tiered at once, as a settings change does.  22023 with fewer repeat buyers than settings.clv_min_repeat_buyers or when the fit fails.';
REVOKE ALL ON FUNCTION @extschema@._fit_clv() FROM PUBLIC;
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.fit_clv()',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_fit_clv'), '')::pg_catalog.aclitem[]);

-- 0.4 -> 0.5, hostile4: customer_state.priority is no longer 0-100 (the
-- funnel term adds up to settings.weight_funnel); its comment says so.
COMMENT ON COLUMN @extschema@.customer_state.priority IS
'Priority, higher first: 0-100 from tier, RFM, BANT, intent and stage, plus settings.weight_funnel x the funnel points of the most advanced open deal (0-1), so up to 100 + weight_funnel (docs/sales.md, The priority formula; prio.explain() shows the terms).';
