------------------------------------------------------------------------
-- Predictive: customer lifetime value (BG/NBD + Gamma-Gamma, src/rules/btyd.c)
------------------------------------------------------------------------

CREATE TYPE @extschema@.btyd_summary AS (
    x          bigint,
    t_x        double precision,
    "T"        double precision,
    mean_value double precision
);
COMMENT ON TYPE @extschema@.btyd_summary IS
'One customer as the BTYD models see it: x repeat transactions, t_x = last - first transaction, T = cut-off - first transaction (both in the chosen unit), mean value of the repeat transactions.';

CREATE FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz, interval)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_clv_summary_accum_unit_0_4' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz, interval) IS 'Transition function of prio.clv_summary.';
CREATE FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_clv_summary_accum_0_4' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz) IS 'Transition function of prio.clv_summary (weeks).';
CREATE FUNCTION @extschema@.clv_summary_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_clv_summary_combine' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_summary_combine(internal, internal) IS 'Combine function of prio.clv_summary.';
CREATE FUNCTION @extschema@.clv_summary_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'prio_clv_summary_serialize' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_summary_serialize(internal) IS 'Serial function of prio.clv_summary.';
CREATE FUNCTION @extschema@.clv_summary_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_clv_summary_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_summary_deserialize(bytea, internal) IS 'Deserial function of prio.clv_summary.';
CREATE FUNCTION @extschema@.clv_summary_final(internal)
RETURNS @extschema@.btyd_summary AS 'MODULE_PATHNAME', 'prio_clv_summary_final' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_summary_final(internal) IS 'Final function of prio.clv_summary.';

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

CREATE TYPE @extschema@.bgnbd AS (
    r double precision, alpha double precision, a double precision, b double precision,
    log_likelihood double precision, n bigint
);
COMMENT ON TYPE @extschema@.bgnbd IS 'Fitted BG/NBD parameters (alpha in the summary''s time unit), the log-likelihood and the number of customers.';
CREATE TYPE @extschema@.gammagamma AS (
    p double precision, q double precision, v double precision,
    log_likelihood double precision, n bigint
);
COMMENT ON TYPE @extschema@.gammagamma IS 'Fitted Gamma-Gamma spend parameters, the log-likelihood and the number of repeat buyers used.';

CREATE FUNCTION @extschema@.bgnbd_accum(internal, double precision, double precision, double precision)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_bgnbd_accum' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_accum(internal, double precision, double precision, double precision) IS 'Transition function of prio.bgnbd_fit.';
CREATE FUNCTION @extschema@.gammagamma_accum(internal, double precision, double precision)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_gammagamma_accum' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.gammagamma_accum(internal, double precision, double precision) IS 'Transition function of prio.gammagamma_fit.';
CREATE FUNCTION @extschema@.fit_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_fit_combine' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fit_combine(internal, internal) IS 'Combine function of the model fits.';
CREATE FUNCTION @extschema@.fit_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'prio_fit_serialize' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fit_serialize(internal) IS 'Serial function of the model fits.';
CREATE FUNCTION @extschema@.fit_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_fit_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fit_deserialize(bytea, internal) IS 'Deserial function of the model fits.';
CREATE FUNCTION @extschema@.bgnbd_final(internal)
RETURNS @extschema@.bgnbd AS 'MODULE_PATHNAME', 'prio_bgnbd_final' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_final(internal) IS 'Final function of prio.bgnbd_fit: the maximum-likelihood fit.';
CREATE FUNCTION @extschema@.gammagamma_final(internal)
RETURNS @extschema@.gammagamma AS 'MODULE_PATHNAME', 'prio_gammagamma_final' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.gammagamma_final(internal) IS 'Final function of prio.gammagamma_fit: the maximum-likelihood fit.';

CREATE AGGREGATE @extschema@.bgnbd_fit(x double precision, t_x double precision, "T" double precision) (
    SFUNC = @extschema@.bgnbd_accum, STYPE = internal,
    FINALFUNC = @extschema@.bgnbd_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = @extschema@.fit_combine,
    SERIALFUNC = @extschema@.fit_serialize, DESERIALFUNC = @extschema@.fit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.bgnbd_fit(double precision, double precision, double precision) IS
'BG/NBD (Fader, Hardie & Lee 2005) maximum-likelihood fit over customers'' (x, t_x, T); deterministic; a clear error when there are too few customers, nobody bought again, or it cannot converge.';
CREATE AGGREGATE @extschema@.gammagamma_fit(x double precision, mean_value double precision) (
    SFUNC = @extschema@.gammagamma_accum, STYPE = internal,
    FINALFUNC = @extschema@.gammagamma_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = @extschema@.fit_combine,
    SERIALFUNC = @extschema@.fit_serialize, DESERIALFUNC = @extschema@.fit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.gammagamma_fit(double precision, double precision) IS
'Gamma-Gamma spend model fit on the customers with x > 0 and a positive mean value.';

CREATE FUNCTION @extschema@.p_alive(params @extschema@.bgnbd, x double precision, t_x double precision, "T" double precision)
RETURNS double precision AS 'MODULE_PATHNAME', 'prio_p_alive' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.p_alive(@extschema@.bgnbd, double precision, double precision, double precision) IS
'Probability that the customer has not dropped out by T (BG/NBD).';
CREATE FUNCTION @extschema@.expected_purchases(params @extschema@.bgnbd, t double precision, x double precision, t_x double precision, "T" double precision)
RETURNS double precision AS 'MODULE_PATHNAME', 'prio_expected_purchases_conditional' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.bgnbd, double precision, double precision, double precision, double precision) IS
'Expected repeat purchases of this customer in the next t units (BG/NBD conditional expectation, with the Gaussian hypergeometric 2F1).';
CREATE FUNCTION @extschema@.expected_purchases(params @extschema@.bgnbd, t double precision)
RETURNS double precision AS 'MODULE_PATHNAME', 'prio_expected_purchases_new' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.bgnbd, double precision) IS
'Expected repeat purchases of a new customer in its first t units (BG/NBD, unconditional).';
CREATE FUNCTION @extschema@.expected_spend(params @extschema@.gammagamma, x double precision, mean_value double precision)
RETURNS double precision AS 'MODULE_PATHNAME', 'prio_expected_spend' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_spend(@extschema@.gammagamma, double precision, double precision) IS
'Expected value of the customer''s future transactions (Gamma-Gamma).';
CREATE FUNCTION @extschema@.clv(bgnbd @extschema@.bgnbd, gammagamma @extschema@.gammagamma,
                                x double precision, t_x double precision, "T" double precision,
                                mean_value double precision, horizon integer,
                                discount_rate double precision, period double precision DEFAULT 4.345)
RETURNS double precision AS 'MODULE_PATHNAME', 'prio_clv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv(@extschema@.bgnbd, @extschema@.gammagamma, double precision, double precision, double precision, double precision, integer, double precision, double precision) IS
'Customer lifetime value over horizon periods of length period (model units; 4.345 weeks = a month): the expected purchases in each period times the expected spend, discounted at discount_rate per period at its end.';

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
CREATE TRIGGER clv_models_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.clv_models
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.invalidate_cache();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.clv_models', '');

CREATE FUNCTION @extschema@.evaluate(facts @extschema@.facts, customer @extschema@.customers,
                                     cfg @extschema@.settings, r_breaks double precision[],
                                     f_breaks double precision[], m_breaks double precision[],
                                     as_of timestamptz, bgnbd @extschema@.bgnbd,
                                     gammagamma @extschema@.gammagamma)
RETURNS @extschema@.evaluation
AS 'MODULE_PATHNAME', 'prio_evaluate_models_0_5'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz, @extschema@.bgnbd, @extschema@.gammagamma) IS
'prio.evaluate with the CLV models (prio.rule_config''s bgnbd and gammagamma): value is also high when settings.value_min_clv is set and the customer''s CLV reaches it.';

-- (defined here, after the models it reads)
CREATE VIEW @extschema@.rule_config WITH (security_invoker = true) AS
SELECT s AS cfg,
       coalesce(s.r_breaks, b.r_breaks) AS r_breaks,
       coalesce(s.f_breaks, b.f_breaks) AS f_breaks,
       coalesce(s.m_breaks, b.m_breaks) AS m_breaks,
       b.computed_at AS breaks_computed_at,
       m.bgnbd,
       m.gammagamma
  FROM @extschema@.settings s CROSS JOIN @extschema@.auto_breaks b
  LEFT JOIN (SELECT cm.bgnbd, cm.gammagamma FROM @extschema@.clv_models cm
              ORDER BY cm.fitted_at DESC LIMIT 1) m ON true;
COMMENT ON VIEW @extschema@.rule_config IS
'What prio.evaluate() takes besides a customer: the settings row, the breaks in force (settings, else the automatic quintiles) and the latest CLV models.';
COMMENT ON COLUMN @extschema@.rule_config.cfg IS 'The settings row.';
COMMENT ON COLUMN @extschema@.rule_config.r_breaks IS 'Recency breaks in force.';
COMMENT ON COLUMN @extschema@.rule_config.f_breaks IS 'Frequency breaks in force.';
COMMENT ON COLUMN @extschema@.rule_config.m_breaks IS 'Monetary breaks in force.';
COMMENT ON COLUMN @extschema@.rule_config.breaks_computed_at IS 'When prio.refresh() last computed the automatic breaks.';
COMMENT ON COLUMN @extschema@.rule_config.bgnbd IS 'BG/NBD parameters of the latest prio.clv_models fit (NULL: none).';
COMMENT ON COLUMN @extschema@.rule_config.gammagamma IS 'Gamma-Gamma parameters of the latest fit.';

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


