------------------------------------------------------------------------
-- Win probability: naive Bayes over the customers that closed.  When a
-- customer is decided (won or lost by its activities or its deals:
-- prio.win_outcome), its features as they were just before (the old state
-- row) are kept in win_outcomes; the won/lost counts
-- per (variable, value) follow the outcomes through append-only delta rows,
-- so concurrent writers never wait on a count row; refresh() compacts them.
------------------------------------------------------------------------

-- SQL-standard bodies (BEGIN ATOMIC) are parsed when created, so no name in
-- them depends on the caller's search_path; without a SET clause they can be
-- inlined, which matters when they run once per row.
-- win_features is C (src/engine/outcomes.c): the features the closing writes keep
-- in win_outcomes, computed by the same code.
CREATE FUNCTION @extschema@.win_features(state @extschema@.customer_state)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'prio_win_features'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.win_features(@extschema@.customer_state) IS
'What win probability looks at, for a state row (C, the code that writes prio.win_outcomes): base stage, owner, the four BANT answers (yes/no/unknown), RFM segment, and for every kind that does not close a deal whether the customer had one by state.last_at (kind:<name> yes/no).  NULL when the customer does not exist or the caller cannot see it; needs SELECT on customers, activities and activity_kinds.';

CREATE TABLE @extschema@.win_outcomes (
    customer_id bigint PRIMARY KEY REFERENCES @extschema@.customers ON DELETE CASCADE ON UPDATE CASCADE,
    won         boolean NOT NULL,
    features    jsonb NOT NULL,
    closed_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
-- (the table's comment: 91_win_probability_customer.sql, with the rule)
COMMENT ON COLUMN @extschema@.win_outcomes.customer_id IS 'The customer.';
COMMENT ON COLUMN @extschema@.win_outcomes.won IS 'Won (true) or lost.';
COMMENT ON COLUMN @extschema@.win_outcomes.features IS 'prio.win_features() of the state before the close.';
COMMENT ON COLUMN @extschema@.win_outcomes.closed_at IS 'When prio saw it close.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.win_outcomes', '');

-- No key: each statement appends its deltas; refresh() and recompute() sum them up.
CREATE TABLE @extschema@.win_counts (
    variable text NOT NULL,
    value    text NOT NULL,
    won      bigint NOT NULL,
    lost     bigint NOT NULL
);
CREATE INDEX win_counts_variable_idx ON @extschema@.win_counts (variable, value);
COMMENT ON TABLE @extschema@.win_counts IS
'Won and lost outcomes per (variable, value), as rows to be summed (variable ''*'': all outcomes); maintained by prio from win_outcomes.';
COMMENT ON COLUMN @extschema@.win_counts.variable IS 'A feature name (prio.win_features), or * for the totals.';
COMMENT ON COLUMN @extschema@.win_counts.value IS 'Its value.';
COMMENT ON COLUMN @extschema@.win_counts.won IS 'Won outcomes to add.';
COMMENT ON COLUMN @extschema@.win_counts.lost IS 'Lost outcomes to add.';

CREATE SEQUENCE @extschema@.win_counts_appends;
COMMENT ON SEQUENCE @extschema@.win_counts_appends IS 'Counts statements that appended to prio.win_counts, to sum them up now and then.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.win_counts', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.win_counts_appends', '');

CREATE FUNCTION @extschema@.compact_win_counts()
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    -- one at a time, and never waiting: a writer that cannot have the job's
    -- row (prio.job_locks, which no other role can lock) leaves its deltas to
    -- the next one; concurrent appends are not seen (one snapshot) and stay
    PERFORM 1 FROM @extschema@.job_locks j WHERE j.job OPERATOR(pg_catalog.=) 'win_counts'
        FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        WITH d AS (DELETE FROM @extschema@.win_counts RETURNING variable, value, won, lost)
        INSERT INTO @extschema@.win_counts (variable, value, won, lost)
        SELECT d.variable, d.value, pg_catalog.sum(d.won), pg_catalog.sum(d.lost)
          FROM d GROUP BY 1, 2
        HAVING pg_catalog.sum(d.won) OPERATOR(pg_catalog.<>) 0 OR pg_catalog.sum(d.lost) OPERATOR(pg_catalog.<>) 0;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.compact_win_counts() IS
'Internal: sums up the delta rows of prio.win_counts (skipped while another session does it).';
REVOKE ALL ON FUNCTION @extschema@.compact_win_counts() FROM PUBLIC;

CREATE FUNCTION @extschema@.win_outcomes_changed()
RETURNS trigger
LANGUAGE C
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'prio_win_outcomes_changed';
COMMENT ON FUNCTION @extschema@.win_outcomes_changed() IS
'Statement trigger on prio.win_outcomes: appends the won/lost deltas of the statement to prio.win_counts.';

CREATE TRIGGER win_outcomes_inserted
    AFTER INSERT ON @extschema@.win_outcomes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.win_outcomes_changed();
CREATE TRIGGER win_outcomes_updated
    AFTER UPDATE ON @extschema@.win_outcomes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.win_outcomes_changed();
CREATE TRIGGER win_outcomes_deleted
    AFTER DELETE ON @extschema@.win_outcomes
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.win_outcomes_changed();

-- Only prio's own functions update customer_state, so these run as prio's
-- owner already; the flush pins search_path itself, when it writes.
CREATE FUNCTION @extschema@.state_closed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_state_closed'
LANGUAGE C;
CREATE FUNCTION @extschema@.state_closed_flush()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_state_closed_flush'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.state_closed_flush() IS
'Statement trigger (C) on prio.customer_state: writes the statement''s closed customers to prio.win_outcomes (their features just before) and removes those opened again, in one statement.';

-- (the row trigger state_closed, WHEN an input of the outcome rule changes,
-- is created with prio.win_outcome in 91_win_probability_customer.sql)
CREATE TRIGGER state_closed_flush
    AFTER UPDATE ON @extschema@.customer_state
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.state_closed_flush();

CREATE FUNCTION @extschema@.rebuild_win_counts()
RETURNS void
AS 'MODULE_PATHNAME', 'prio_rebuild_win_counts'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

-- Not SECURITY DEFINER: under owner isolation the model a rep reads must be
-- built from the outcomes the rep may see, so it runs as the caller.  The
-- summed counts of everyone come through prio.win_counts_shared, which
-- gives rows only while isolation is off and to managers (the raw delta rows
-- stay unreadable: one statement's rows are one closed customer's features).
CREATE FUNCTION @extschema@.win_model()
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_counts @extschema@.win_counts[];
BEGIN
    IF NOT (SELECT c.relrowsecurity FROM pg_catalog.pg_class c
             WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.customers'::pg_catalog.regclass)
       OR @extschema@.sees_all_customers() THEN
        SELECT pg_catalog.array_agg(ROW(w.variable, w.value, w.won, w.lost)::@extschema@.win_counts)
          INTO v_counts FROM @extschema@.win_counts_shared w;
    ELSE
        -- a rep under owner isolation: the outcomes row-level security lets
        -- the caller see (their own and covered customers), nobody else's
        SELECT pg_catalog.array_agg(ROW(x.variable, x.value, x.won, x.lost)::@extschema@.win_counts)
          INTO v_counts
          FROM (SELECT f.key AS variable, f.value,
                       pg_catalog.count(*) FILTER (WHERE o.won) AS won,
                       pg_catalog.count(*) FILTER (WHERE NOT o.won) AS lost
                  FROM @extschema@.win_outcomes o,
                       LATERAL (SELECT e.key, e.value FROM pg_catalog.jsonb_each_text(o.features) e
                                UNION ALL SELECT '*', '*') f
                 GROUP BY 1, 2) x;
    END IF;
    RETURN (
        WITH c AS (
            SELECT u.variable, u.value, u.won, u.lost FROM pg_catalog.unnest(v_counts) u
             WHERE u.won OPERATOR(pg_catalog.>) 0 OR u.lost OPERATOR(pg_catalog.>) 0
        ), v AS (
            SELECT c.variable, pg_catalog.jsonb_build_array(pg_catalog.sum(c.won), pg_catalog.sum(c.lost),
                                                            GREATEST(pg_catalog.count(*), 2)) AS totals,
                   pg_catalog.jsonb_object_agg(c.value, pg_catalog.jsonb_build_array(c.won, c.lost)) AS counts
              FROM c WHERE c.variable OPERATOR(pg_catalog.<>) '*' GROUP BY 1
        )
        SELECT pg_catalog.jsonb_build_object(
                   'total', (SELECT pg_catalog.jsonb_build_array(coalesce(pg_catalog.sum(c.won), 0), coalesce(pg_catalog.sum(c.lost), 0))
                               FROM c WHERE c.variable OPERATOR(pg_catalog.=) '*'),
                   'variables', coalesce((SELECT pg_catalog.jsonb_object_agg(v.variable, v.totals) FROM v), '{}'),
                   'counts', coalesce((SELECT pg_catalog.jsonb_object_agg(v.variable, v.counts) FROM v), '{}')));
END
$$;
COMMENT ON FUNCTION @extschema@.win_model() IS
'The naive-Bayes model as one value, read once per query: won/lost totals, per variable its won and lost outcomes and number of values, and the won/lost counts of each value.  Built from every outcome (prio.win_counts summed) while owner isolation is off and for managers; for a rep under owner isolation only from the outcomes of the customers the rep can see (prio.win_outcomes through row-level security), so nothing in it comes from another rep''s customers: another rep closing a deal changes nothing in it, and it has no other owner''s counts.  Such a rep''s win probabilities learn from their own deals only; the rep needs SELECT on prio.win_outcomes (prio.grant_reader).';

CREATE FUNCTION @extschema@.win_factors(features jsonb, model jsonb DEFAULT @extschema@.win_model())
RETURNS TABLE (variable text, value text, won bigint, lost bigint, weight double precision)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    -- log P(value | won) - log P(value | lost), Laplace-smoothed over the values seen
    SELECT x.variable, x.value, x.won, x.lost,
           pg_catalog.ln((x.won OPERATOR(pg_catalog.+) 1)::double precision
                         OPERATOR(pg_catalog./) (x.var_won OPERATOR(pg_catalog.+) x.k)::double precision)
           OPERATOR(pg_catalog.-)
           pg_catalog.ln((x.lost OPERATOR(pg_catalog.+) 1)::double precision
                         OPERATOR(pg_catalog./) (x.var_lost OPERATOR(pg_catalog.+) x.k)::double precision)
      FROM (SELECT f.key AS variable, f.value,
                   coalesce(((model OPERATOR(pg_catalog.->) 'counts' OPERATOR(pg_catalog.->) f.key
                              OPERATOR(pg_catalog.->) f.value) OPERATOR(pg_catalog.->>) 0)::bigint, 0) AS won,
                   coalesce(((model OPERATOR(pg_catalog.->) 'counts' OPERATOR(pg_catalog.->) f.key
                              OPERATOR(pg_catalog.->) f.value) OPERATOR(pg_catalog.->>) 1)::bigint, 0) AS lost,
                   coalesce(((model OPERATOR(pg_catalog.->) 'variables' OPERATOR(pg_catalog.->) f.key)
                             OPERATOR(pg_catalog.->>) 0)::bigint, 0) AS var_won,
                   coalesce(((model OPERATOR(pg_catalog.->) 'variables' OPERATOR(pg_catalog.->) f.key)
                             OPERATOR(pg_catalog.->>) 1)::bigint, 0) AS var_lost,
                   coalesce(((model OPERATOR(pg_catalog.->) 'variables' OPERATOR(pg_catalog.->) f.key)
                             OPERATOR(pg_catalog.->>) 2)::bigint, 2) AS k
              FROM pg_catalog.jsonb_each_text(features) f) x
     ORDER BY 5 DESC, 1;
END;
COMMENT ON FUNCTION @extschema@.win_factors(jsonb, jsonb) IS
'Each feature''s weight in the naive-Bayes win probability: log P(value | won) - log P(value | lost) (Laplace smoothing over the values seen), with its won and lost counts; positive raises the probability.  model defaults to prio.win_model().';

CREATE FUNCTION @extschema@.win_probability(features jsonb, model jsonb DEFAULT @extschema@.win_model())
RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT GREATEST(1e-6::double precision, LEAST(1::double precision OPERATOR(pg_catalog.-) 1e-6,
               1 OPERATOR(pg_catalog./) (1 OPERATOR(pg_catalog.+) pg_catalog.exp(OPERATOR(pg_catalog.-) GREATEST(-700::double precision, LEAST(700::double precision,
                   pg_catalog.ln((coalesce(((model OPERATOR(pg_catalog.->) 'total') OPERATOR(pg_catalog.->>) 0)::bigint, 0)
                                  OPERATOR(pg_catalog.+) 1)::double precision
                                 OPERATOR(pg_catalog./)
                                 (coalesce(((model OPERATOR(pg_catalog.->) 'total') OPERATOR(pg_catalog.->>) 1)::bigint, 0)
                                  OPERATOR(pg_catalog.+) 1)::double precision)
                   OPERATOR(pg_catalog.+)
                   coalesce((SELECT pg_catalog.sum(x.weight) FROM @extschema@.win_factors(features, model) x), 0)))))));
END;
COMMENT ON FUNCTION @extschema@.win_probability(jsonb, jsonb) IS
'Naive-Bayes probability of winning a deal with these features (prio.win_features) under the model (default prio.win_model(): the won and lost customers so far); strictly between 0 and 1, 0.5 before any outcome.';

REVOKE ALL ON FUNCTION @extschema@.rebuild_win_counts() FROM PUBLIC;

