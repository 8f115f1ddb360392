------------------------------------------------------------------------
-- prio.win_probability(customer_id): the probability of one customer, or
-- NULL once it is decided.  Its own part, so the update to 0.5 creates it
-- from here too (sql/upgrade/0.4--0.5/47_hostile4.sql drops 0.4's).
------------------------------------------------------------------------

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
