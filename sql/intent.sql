-- prio.intent(at, weight, half_life, as_of): sum of weight * 2^(-age / half_life).
SELECT round(prio.intent(at, w, '14 days', '2024-06-15 00:00+00')::numeric, 6) AS intent
FROM (VALUES ('2024-06-15 00:00+00'::timestamptz, 1.0::float8),   -- today: 1
             ('2024-06-01 00:00+00', 1.0),                        -- one half-life: 0.5
             ('2024-05-18 00:00+00', 2.0),                        -- two: 0.5
             ('2024-07-01 00:00+00', 3.0)) AS v(at, w);           -- after as_of: full 3

-- A month counts as 30 days, as interval comparison does.
SELECT prio.intent('2024-01-01 00:00+00', 8, '1 month', '2024-03-01 00:00+00') =
       prio.intent('2024-01-01 00:00+00', 8, '30 days', '2024-03-01 00:00+00') AS month_is_30_days;

-- NULL at or weight: skipped.  No rows: 0.
SELECT prio.intent(at, w, '7 days', now())
FROM (VALUES (NULL::timestamptz, 1::float8), (now(), NULL)) v(at, w);
SELECT prio.intent(now(), 1, '7 days', now()) WHERE false;

-- Infinite times: infinitely old events count nothing, events at/after as_of count in full.
SELECT prio.intent('-infinity', 5, '1 day', '2024-01-01') AS ancient,
       prio.intent('infinity', 5, '1 day', '2024-01-01')  AS future,
       prio.intent('2024-01-01', 5, '1 day', 'infinity')  AS as_of_infinity,
       prio.intent('2024-01-01', 5, '1 day', '-infinity') AS as_of_minus_infinity;

-- Negative weights (e.g. a rejection) are allowed.
SELECT prio.intent(at, w, '1 day', '2024-01-02') FROM (VALUES ('2024-01-02'::timestamptz, 2::float8), ('2024-01-02', -0.5)) v(at, w);

-- Parallel plan gives the same sum (to rounding).
CREATE TABLE intent_big AS
SELECT timestamptz '2024-01-01 00:00+00' + (i % 5000) * interval '1 hour' AS at, (i % 7)::float8 AS w
FROM generate_series(1, 100000) i;
ANALYZE intent_big;
SELECT round(prio.intent(at, w, '14 days', '2024-08-01')::numeric, 6) AS serial FROM intent_big;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT prio.intent(at, w, '14 days', '2024-08-01') FROM intent_big;
SELECT round(prio.intent(at, w, '14 days', '2024-08-01')::numeric, 6) AS parallel FROM intent_big;
RESET ALL;
DROP TABLE intent_big;

-- Bad input
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$SELECT prio.intent(now(), 1, '0 days', now())$$),
  ($$SELECT prio.intent(now(), 1, '-1 day', now())$$),
  ($$SELECT prio.intent(now(), 1, '1 month -31 days', now())$$),
  ($$SELECT prio.intent(now(), 1, NULL, now())$$),
  ($$SELECT prio.intent(now(), 1, '1 day', NULL)$$),
  ($$SELECT prio.intent(now(), 'NaN', '1 day', now())$$),
  ($$SELECT prio.intent(now(), 'Infinity', '1 day', now())$$),
  ($$SELECT prio.intent(at, 1e308, '1 day', at) FROM (VALUES (now()), (now())) v(at)$$)
) AS t(q);
