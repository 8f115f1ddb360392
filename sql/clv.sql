-- Customer lifetime value on the real CDNOW 1/10 sample (39-week calibration,
-- cut at 1997-09-30), against the published figures.  Skips, saying so,
-- when ../shared/data/cdnow is absent (expected/clv_1.out).
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;
\set cdnow_dir '../shared/data/cdnow'
\set present `test -r ../shared/data/cdnow/CDNOW_sample.txt && test -r ../shared/data/cdnow/cdnow_customers_summary.csv && echo true || echo false`
\if :present
CREATE TEMP TABLE raw (line text);
\copy raw FROM '../shared/data/cdnow/CDNOW_sample.txt'
CREATE TEMP TABLE tx AS
SELECT f[2]::int AS id, to_date(f[3], 'YYYYMMDD')::timestamptz AS at, f[5]::numeric AS amount
FROM (SELECT regexp_split_to_array(btrim(line, E' \r'), '\s+') AS f FROM raw) s;
CREATE TEMP TABLE ref (id int, frequency numeric, recency numeric, "T" numeric);
\copy ref FROM '../shared/data/cdnow/cdnow_customers_summary.csv' CSV HEADER
CREATE TEMP TABLE ref_zbar (id int, x int, t_x numeric, "T" numeric, zbar numeric);
\copy ref_zbar FROM '../shared/data/cdnow/cdnow_customers_summary_with_transactions.csv' CSV HEADER

-- The summary equals the published one row for row (values rounded to 2 decimals as published).
CREATE TEMP TABLE summ AS
SELECT id, (prio.clv_summary(at, amount, '1997-09-30')).* FROM tx GROUP BY id;
SELECT count(*) AS customers,
       count(*) FILTER (WHERE s.x = r.frequency AND round(s.t_x::numeric, 2) = r.recency
                          AND round(s."T"::numeric, 2) = r."T") AS x_tx_T_equal,
       count(*) FILTER (WHERE round(s.mean_value::numeric, 2) = z.zbar) AS mean_value_equal
FROM summ s JOIN ref r USING (id) JOIN ref_zbar z USING (id);

-- BG/NBD: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 (each within 0.5 %), LL = -9582.4 (+-0.1)
CREATE TEMP TABLE bg AS SELECT prio.bgnbd_fit(x, t_x, "T") AS p FROM summ;
SELECT round((p).r::numeric, 4) AS r, round((p).alpha::numeric, 4) AS alpha,
       round((p).a::numeric, 4) AS a, round((p).b::numeric, 4) AS b,
       round((p).log_likelihood::numeric, 2) AS log_likelihood, (p).n,
       abs((p).r / 0.243 - 1) < 0.005 AND abs((p).alpha / 4.414 - 1) < 0.005
         AND abs((p).a / 0.793 - 1) < 0.005 AND abs((p).b / 2.426 - 1) < 0.005 AS params_within_half_percent,
       abs((p).log_likelihood + 9582.4) <= 0.1 AS log_likelihood_within_0_1
FROM bg;

-- Gamma-Gamma on the 946 repeat buyers: p = 6.25, q = 3.74, v = 15.44 (each within 1 %)
CREATE TEMP TABLE gg AS SELECT prio.gammagamma_fit(x, mean_value) AS p FROM summ;
SELECT round((p).p::numeric, 3) AS p, round((p).q::numeric, 3) AS q, round((p).v::numeric, 3) AS v, (p).n,
       abs((p).p / 6.25 - 1) < 0.01 AND abs((p).q / 3.74 - 1) < 0.01 AND abs((p).v / 15.44 - 1) < 0.01 AS within_1_percent
FROM gg;

-- The customer with x = 2, t_x = 30.43, T = 38.86: P(alive) = 0.727, next 39 weeks = 1.226 (+-0.001)
SELECT round(prio.p_alive(p, 2, 30.43, 38.86)::numeric, 4) AS p_alive,
       round(prio.expected_purchases(p, 39, 2, 30.43, 38.86)::numeric, 4) AS next_39_weeks,
       abs(prio.p_alive(p, 2, 30.43, 38.86) - 0.727) <= 0.001
         AND abs(prio.expected_purchases(p, 39, 2, 30.43, 38.86) - 1.226) <= 0.001 AS within_0_001,
       round(prio.expected_purchases(p, 39)::numeric, 4) AS new_customer_39_weeks
FROM bg;

-- Spend and a year's CLV (12 monthly periods, 1 % a month) of the most valuable customers
SELECT s.id, s.x, round(s.mean_value::numeric, 2) AS mean_value,
       round(prio.expected_spend(gg.p, s.x, s.mean_value)::numeric, 2) AS expected_spend,
       round(prio.clv(bg.p, gg.p, s.x, s.t_x, s."T", s.mean_value, 12, 0.01)::numeric, 2) AS clv_12_months
FROM summ s, bg, gg
ORDER BY prio.clv(bg.p, gg.p, s.x, s.t_x, s."T", s.mean_value, 12, 0.01) DESC, s.id LIMIT 5;

-- Partial aggregation (workers do all the scanning) gives the same fit.
CREATE TABLE clv_summ AS SELECT * FROM summ;
ANALYZE clv_summ;
SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0; SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT prio.bgnbd_fit(x, t_x, "T"), prio.gammagamma_fit(x, mean_value) FROM clv_summ;
SELECT round((prio.bgnbd_fit(x, t_x, "T")).log_likelihood::numeric, 2) AS parallel_bgnbd_ll,
       round((prio.gammagamma_fit(x, mean_value)).p::numeric, 3) AS parallel_gg_p
FROM clv_summ;
RESET ALL;
DROP TABLE clv_summ;
\else
\echo SKIP: :cdnow_dir is absent, CDNOW model checks not run
\endif

-- Bad input
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$SELECT prio.bgnbd_fit(x, 1, 2) FROM (VALUES (1), (2), (3)) v(x)$$),
  ($$SELECT prio.bgnbd_fit(0, 0, 5) FROM generate_series(1, 10)$$),
  ($$SELECT prio.bgnbd_fit(-1, 0, 5)$$),
  ($$SELECT prio.bgnbd_fit(1.5, 0, 5)$$),
  ($$SELECT prio.bgnbd_fit(2, 6, 5)$$),
  ($$SELECT prio.bgnbd_fit(2, 'NaN', 5)$$),
  ($$SELECT prio.gammagamma_fit(1, 10)$$),
  ($$SELECT prio.clv_summary(now(), 1, NULL)$$),
  ($$SELECT prio.clv_summary(now(), 1, now(), '0 days')$$),
  ($$SELECT prio.clv_summary(now(), 1, 'infinity')$$),
  ($$SELECT prio.p_alive(NULL, 1, 1, 2)$$),
  ($$SELECT prio.p_alive(ROW(-1, 1, 1, 1, 0, 1)::prio.bgnbd, 1, 1, 2)$$),
  ($$SELECT prio.p_alive(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, 1, 3, 2)$$),
  ($$SELECT prio.expected_purchases(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, -1)$$),
  ($$SELECT prio.expected_spend(ROW(1, 2, 1, 0, 1)::prio.gammagamma, 1, -5)$$),
  ($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, ROW(6, 4, 15, 0, 1)::prio.gammagamma, 1, 1, 2, 10, -1, 0.01)$$),
  ($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, ROW(6, 4, 15, 0, 1)::prio.gammagamma, 1, 1, 2, 10, 12, -1)$$)
) AS t(q);
