-- RFM scores of every buyer with prio's primitives: the rfm aggregate, quintile
-- breaks, rfm_score.  ASOF is replaced by the benchmark's fixed "now".
WITH f AS (
    SELECT a.customer_id, (prio.rfm(a.at, a.amount)).*
      FROM prio.activities a JOIN prio.activity_kinds k ON k.kind = a.kind
     WHERE k.is_purchase
     GROUP BY a.customer_id
), v AS (
    SELECT customer_id, prio.recency_days(last_at, 'ASOF'::timestamptz) AS rec,
           frequency::float8 AS fr, monetary::float8 AS mo
      FROM f
), b AS (
    SELECT percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY rec) AS rb,
           percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY fr) AS fb,
           percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY mo) AS mb
      FROM v
)
SELECT v.customer_id, prio.rfm_score(rec, rb, false) AS r, prio.rfm_score(fr, fb) AS f,
       prio.rfm_score(mo, mb) AS m
  FROM v, b ORDER BY 1;
