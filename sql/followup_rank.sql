-- prio.followup's rank and speed (issue 19): rank is still the position in
-- the owner's list, row_number() over the owner's rows by priority DESC,
-- next_due_at, customer_id (customers without an owner: one list), now read
-- by prio._followup_rank() only as far as the rows asked for need; both of
-- the view's orders are indexes, so a LIMIT 50 reads 50 rows of
-- customer_state, team-wide or by owner, instead of a window over all of them.
-- Inside one transaction: the database is left as found.
BEGIN;
SET LOCAL timezone = 'UTC';
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;
-- The rank as the window over every row defines it (0.4's view).
CREATE FUNCTION pg_temp.window_rank() RETURNS TABLE (customer_id bigint, rn bigint) LANGUAGE sql AS
$$SELECT s.customer_id, row_number() OVER (PARTITION BY s.owner ORDER BY s.priority DESC, s.next_due_at, s.customer_id)
    FROM prio.customer_state s$$;
-- The scans of a plan (EXPLAIN ANALYZE): node, relation, rows per loop.
CREATE FUNCTION pg_temp.nodes(q text) RETURNS TABLE (node text, relation text, index text, rows numeric)
LANGUAGE plpgsql AS
$$
DECLARE
    p jsonb;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || q INTO p;
    RETURN QUERY
    WITH RECURSIVE n(x) AS (SELECT p -> 0 -> 'Plan'
                            UNION ALL
                            SELECT c FROM n, jsonb_array_elements(n.x -> 'Plans') c)
    SELECT n.x ->> 'Node Type', n.x ->> 'Relation Name', n.x ->> 'Index Name', (n.x ->> 'Actual Rows')::numeric FROM n;
END
$$;

-- 3,000 customers of four reps, dealt out in turn (not clustered), and 100
-- without an owner; rank_big has 1,500: its list is read in several batches
INSERT INTO prio.customers (customer_id, name, owner)
SELECT 9000000 + i, 'rank test ' || i,
       CASE WHEN i % 31 = 0 THEN NULL
            WHEN i % 2 = 0 THEN 'rank_big'
            WHEN i % 3 = 0 THEN 'rank_mid'
            WHEN i % 5 = 0 THEN 'rank_small'
            ELSE 'rank_other' END
  FROM generate_series(1, 3100) i;
-- priorities and due dates with ties (customer_id decides), and the edges
-- of the order: NULL priority (first, as DESC puts NULLs), NaN (above every
-- number), NULL due date (last among equals)
UPDATE prio.customer_state
   SET priority = CASE WHEN customer_id % 97 = 0 THEN NULL
                       WHEN customer_id % 89 = 0 THEN 'NaN'
                       ELSE (customer_id * 7919 % 13) * 7.5 END,
       next_due_at = CASE WHEN customer_id % 11 = 0 THEN NULL
                          ELSE '2026-01-01'::timestamptz + (customer_id % 4) * interval '1 day' END
 WHERE customer_id > 9000000;
ANALYZE prio.customers, prio.customer_state;

-- Every row of the view has the window's rank
SELECT count(*) = (SELECT count(*) FROM prio.customer_state) AS every_customer_once,
       count(*) FILTER (WHERE f.customer_id > 9000000) AS of_this_test,
       count(*) FILTER (WHERE f.rank IS DISTINCT FROM w.rn) AS ranks_differ
  FROM prio.followup f FULL JOIN pg_temp.window_rank() w USING (customer_id);
-- by owner, as an application asks: LIMIT 50, and the whole list
SELECT o AS owner,
       (SELECT array_agg(x.rank) FROM (SELECT rank FROM prio.followup WHERE owner = o LIMIT 50) x)
         = (SELECT array_agg(g::bigint ORDER BY g) FROM generate_series(1, 50) g) AS limit_50_ranks_1_to_50,
       (SELECT count(*) FILTER (WHERE f.rank IS DISTINCT FROM w.rn)
          FROM prio.followup f JOIN pg_temp.window_rank() w USING (customer_id) WHERE f.owner = o) AS ranks_differ,
       (SELECT count(*) FROM prio.followup WHERE owner = o) AS customers
  FROM unnest(ARRAY['rank_big', 'rank_mid', 'rank_small', 'rank_other']) o;
SELECT count(*) FILTER (WHERE f.rank IS DISTINCT FROM w.rn) AS no_owner_ranks_differ,
       count(*) FILTER (WHERE f.customer_id > 9000000) AS no_owner_of_this_test
  FROM prio.followup f JOIN pg_temp.window_rank() w USING (customer_id) WHERE f.owner IS NULL;
-- the team's first 50 and one row alone, deep in its owner's list
SELECT count(*) FILTER (WHERE f.rank IS DISTINCT FROM w.rn) AS team_50_ranks_differ, count(*) AS team_50
  FROM (SELECT customer_id, rank FROM prio.followup LIMIT 50) f JOIN pg_temp.window_rank() w USING (customer_id);
SELECT f.rank, w.rn AS window_rank
  FROM prio.followup f JOIN pg_temp.window_rank() w USING (customer_id)
 WHERE f.customer_id = (SELECT customer_id FROM pg_temp.window_rank() x
                         JOIN prio.customer_state s USING (customer_id)
                        WHERE s.owner = 'rank_big' AND x.rn = 1234);
-- and the order of the view: priority DESC, next_due_at, customer_id
SELECT (SELECT array_agg(v.customer_id) FROM (SELECT customer_id FROM prio.followup) v)
     = (SELECT array_agg(s.customer_id ORDER BY s.priority DESC, s.next_due_at, s.customer_id)
          FROM prio.customer_state s) AS view_in_order;

-- Speed: a LIMIT 50 reads 50 rows of customer_state through an index, in
-- the view's order (no sort, no window over every row), team-wide and by owner
SELECT q AS query,
       bool_and(n.node NOT IN ('WindowAgg', 'Sort', 'Incremental Sort')) AS no_sort_no_window,
       max(n.rows) FILTER (WHERE n.relation = 'customer_state') AS most_state_rows_a_scan_read,
       string_agg(DISTINCT n.index, ', ') FILTER (WHERE n.relation = 'customer_state') AS state_indexes
  FROM unnest(ARRAY['SELECT * FROM prio.followup LIMIT 50',
                    'SELECT * FROM prio.followup WHERE owner = ''rank_big'' LIMIT 50',
                    'SELECT * FROM prio.followup WHERE owner = ''rank_small'' LIMIT 50']) q,
       pg_temp.nodes(q) n
 GROUP BY q ORDER BY q;

-- Bad input: the internal function gives NULL, not an error, for what is
-- not in the list the caller sees (no customer, another owner's customer)
SELECT prio._followup_rank(NULL, NULL) AS no_customer,
       prio._followup_rank('rank_big', 424242) AS unknown_customer,
       prio._followup_rank('rank_big', 9000001) AS another_owners_customer,
       prio._followup_rank(NULL, 9000002) AS not_without_owner,
       prio._followup_rank('rank_other', 9000001) AS its_own_list;
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$SELECT prio._followup_rank('rank_big', 'x')$$),
  ($$SELECT prio._followup_rank(1, 9000001)$$)
) AS t(q);
ROLLBACK;
