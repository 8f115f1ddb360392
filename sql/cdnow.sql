-- prio.rfm on the real CDNOW purchase log (../shared/data/cdnow/CDNOW_master.txt):
-- per customer it must equal min/max/count/sum by plain SQL for all 23,570 customers.
-- Skips, saying so, when the file is absent (expected/cdnow_1.out).
\set cdnow_file '../shared/data/cdnow/CDNOW_master.txt'
\set cdnow_present `test -r ../shared/data/cdnow/CDNOW_master.txt && echo true || echo false`
\if :cdnow_present
CREATE TEMP TABLE cdnow_raw (line text);
\copy cdnow_raw FROM '../shared/data/cdnow/CDNOW_master.txt'
CREATE TEMP TABLE cdnow AS
SELECT f[1]::bigint AS customer_id,
       to_date(f[2], 'YYYYMMDD')::timestamptz AS at,
       f[3]::int AS cds,
       f[4]::numeric AS amount
FROM (SELECT regexp_split_to_array(btrim(line, E' \r'), '\s+') AS f FROM cdnow_raw) s
WHERE f[1] ~ '^[0-9]+$';
SELECT count(*) AS transactions, count(DISTINCT customer_id) AS customers FROM cdnow;

CREATE TEMP TABLE cdnow_prio AS
SELECT customer_id, (prio.rfm(at, amount)).* FROM cdnow GROUP BY customer_id;
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (p.first_at, p.last_at, p.frequency, p.monetary)
                              IS NOT DISTINCT FROM (s.a, s.b, s.c, s.m)) AS equal_to_plain_sql
FROM cdnow_prio p
JOIN (SELECT customer_id, min(at) a, max(at) b, count(*) c, sum(amount) m FROM cdnow GROUP BY 1) s
  USING (customer_id);
SELECT sum(monetary) AS total_revenue, sum(frequency) AS total_purchases FROM cdnow_prio;
\else
\echo SKIP: :cdnow_file is absent, CDNOW aggregate test not run
\endif
