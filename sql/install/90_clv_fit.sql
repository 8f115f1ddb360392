------------------------------------------------------------------------
-- Fitting the CLV models: prio._fit_clv() (the fit, which prio.refresh()
-- calls) and prio.fit_clv() (an admin's: the fit, then a re-tier when the
-- value side uses the model).  Their own part, so the update to 0.5
-- creates them from here too (sql/upgrade/0.4--0.5/47_hostile4.sql drops
-- 0.4's fit_clv()).
------------------------------------------------------------------------

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

REVOKE ALL ON FUNCTION @extschema@.fit_clv() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._fit_clv() FROM PUBLIC;
