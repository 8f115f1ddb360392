------------------------------------------------------------------------
-- prio.win_outcome(state): whether a customer is decided, by the rule the
-- win outcomes follow, and the row trigger that keeps them by it (with the
-- comments that state the rule); prio.win_probability(customer_id): the
-- probability of one customer, or NULL once it is decided.  Its own part,
-- so the update to 0.5 creates them from here too
-- (sql/upgrade/0.4--0.5/47_hostile4.sql drops 0.4's win_probability,
-- 49_windeals.sql its trigger).
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.win_outcome(state @extschema@.customer_state)
RETURNS text
AS 'MODULE_PATHNAME', 'prio_win_outcome'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.win_outcome(@extschema@.customer_state) IS
'Whether the customer of this state row is decided, by the rule prio.win_outcomes follows (C): won or lost, NULL while a deal is in flight (an open deal, or the implicit one) or nothing is decided.  With a closed deal the last one decides, unless the activities decided after it closed (their stage won or lost, and stage_at, the activity that last decided it so -- a won or lost kind, a purchase --, after the deal closed); with none, the activities'' stage (won, lost).  prio.followup, prio.explain() and prio.win_probability(customer_id) give no probability for a decided customer.';

-- WHEN an input of the outcome rule (prio.win_outcome) changes; the C
-- compares the outcomes before and after and remembers only a change.  Of
-- the activities' dates the rule reads only stage_at (when they last
-- decided won or lost), and only beside a closed deal, as whether it is
-- after the deal closed: most activities of a customer (a call, an e-mail,
-- another purchase of a won one, another rejection of a lost one) then
-- queue no row trigger, only a decision that crosses the deal's close.
CREATE TRIGGER state_closed
    AFTER UPDATE ON @extschema@.customer_state
    FOR EACH ROW
    WHEN (OLD.stage IS DISTINCT FROM NEW.stage
          OR OLD.open_deals IS DISTINCT FROM NEW.open_deals
          OR OLD.deal_outcome IS DISTINCT FROM NEW.deal_outcome
          OR OLD.deal_closed_at IS DISTINCT FROM NEW.deal_closed_at
          OR (OLD.last_deal_at IS NULL) IS DISTINCT FROM (NEW.last_deal_at IS NULL)
          OR (OLD.quote_at IS NULL OR OLD.quote_amount IS NULL)
             IS DISTINCT FROM (NEW.quote_at IS NULL OR NEW.quote_amount IS NULL)
          OR (NEW.deal_closed_at IS NOT NULL
              AND coalesce(OLD.stage_at > NEW.deal_closed_at, false)
                  <> coalesce(NEW.stage_at > NEW.deal_closed_at, false)))
    EXECUTE FUNCTION @extschema@.state_closed();
COMMENT ON TABLE @extschema@.win_outcomes IS
'One row per decided customer (prio.win_outcome: won or lost by its activities or its deals, nothing in flight): the outcome and its features just before it was decided; written by prio only (a customer that opens again, by an inbound touch or a new deal, loses its row).  Dumped as it is, so a restore gives it back.';
COMMENT ON FUNCTION @extschema@.state_closed() IS
'Row trigger (C) on prio.customer_state, when an input of the outcome rule (prio.win_outcome: base stage, deal facts, implicit deal) changes: remembers the old row of a customer decided, decided the other way or open again, for prio.state_closed_flush().';
COMMENT ON FUNCTION @extschema@.rebuild_win_counts() IS
'Internal (recompute; C): makes prio.win_outcomes follow the outcome rule (prio.win_outcome: an open customer''s outcome goes, one decided the other way is turned, a decided customer without one gets its current features, stage unknown) and prio.win_counts equal the outcomes'' counts, rewriting them only when they differ or hold deltas; one scan of customer_state and one of win_outcomes, under the compaction lock.';

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
    -- decided already (by its activities or its deals, with no deal in
    -- flight), as prio.followup and the win outcomes have it
    IF @extschema@.win_outcome(v_state) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    RETURN @extschema@.win_probability(@extschema@.win_features(v_state));
END
$$;
COMMENT ON FUNCTION @extschema@.win_probability(bigint) IS
'Probability that this open customer''s deal is won (naive Bayes over the customers that closed, prio.win_factors): for a customer with an open deal (or the implicit deal), or whose business is not decided; NULL once decided (prio.win_outcome), as prio.followup.  22004 for NULL, 23503 for an unknown customer.';
