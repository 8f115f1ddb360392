-- prio.rfm(at, amount): raw RFM facts over the rows it sees.
SELECT (prio.rfm(at, amount)).*
FROM (VALUES ('2024-01-05 10:00+00'::timestamptz, 10.10::numeric),
             ('2024-03-01 09:00+00', 0.005),
             ('2023-12-31 23:59+00', NULL),        -- NULL amount counts as 0
             (NULL, 1000)) AS v(at, amount);        -- NULL at is skipped

-- No rows, or only NULL at: (NULL, NULL, 0, 0).
SELECT (prio.rfm(at, amount)).* FROM (VALUES (NULL::timestamptz, 5::numeric)) v(at, amount);
SELECT (prio.rfm(at, amount)).* FROM (VALUES (now(), 1::numeric)) v(at, amount) WHERE false;

-- FILTER selects purchases; the sum is exact numeric.
SELECT customer, (prio.rfm(at, amount) FILTER (WHERE kind = 'purchase')).*
FROM (VALUES (1, 'purchase', '2024-01-01 00:00+00'::timestamptz, 0.1::numeric),
             (1, 'purchase', '2024-01-02 00:00+00', 0.2),
             (1, 'email',    '2024-05-01 00:00+00', 99),
             (2, 'email',    '2024-01-01 00:00+00', 5)) AS v(customer, kind, at, amount)
GROUP BY customer ORDER BY customer;

-- Infinite timestamps and huge amounts are carried exactly.
SELECT (prio.rfm(at, amount)).*
FROM (VALUES ('-infinity'::timestamptz, 1e30::numeric), ('infinity', 1e-30)) v(at, amount);

-- Partial aggregation: force a parallel plan whose workers do all the scanning
-- (so states go through serialize/combine/deserialize) and compare with serial.
CREATE TABLE rfm_big AS
SELECT (i % 997) AS customer_id,
       timestamptz '2020-01-01 00:00+00' + (i * 7919 % 100000) * interval '17 minutes' AS at,
       CASE WHEN i % 13 = 0 THEN NULL ELSE round((i % 1000) / 7.0, 3) END AS amount
FROM generate_series(1, 200000) i;
ANALYZE rfm_big;

CREATE TEMP TABLE rfm_serial AS
SELECT customer_id, (prio.rfm(at, amount)).* FROM rfm_big GROUP BY customer_id;

SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT prio.rfm(at, amount) FROM rfm_big;
SELECT (prio.rfm(at, amount)).* FROM rfm_big;
CREATE TEMP TABLE rfm_parallel AS
SELECT customer_id, (prio.rfm(at, amount)).* FROM rfm_big GROUP BY customer_id;
RESET ALL;

SELECT (SELECT count(*) FROM rfm_serial) AS customers,
       (SELECT count(*) FROM (SELECT * FROM rfm_serial EXCEPT SELECT * FROM rfm_parallel) d) AS differ,
       (SELECT count(*) FROM rfm_serial s
          JOIN (SELECT customer_id, min(at) a, max(at) b, count(*) c, coalesce(sum(amount), 0) m
                  FROM rfm_big GROUP BY 1) p USING (customer_id)
         WHERE (s.first_at, s.last_at, s.frequency, s.monetary) IS DISTINCT FROM (p.a, p.b, p.c, p.m)) AS differ_from_sql;
DROP TABLE rfm_big;

-- Bad input: the support functions only run inside the aggregate.
\set VERBOSITY terse
SELECT prio.rfm(1, 2);
SELECT prio.rfm_final(NULL);
