-- prio.rfm_score: score 1..n+1 against n ascending breaks.
-- k = number of breaks strictly below value; higher is better: 1 + k; lower is better: n + 1 - k.
SELECT v, prio.rfm_score(v, '{10,20,30,40}') AS higher,
          prio.rfm_score(v, '{10,20,30,40}', false) AS lower
FROM unnest(ARRAY[-1e300, 0, 10, 10.5, 20, 39.999, 40, 40.001, 1e300]::float8[]) AS v;

-- Ties in breaks are allowed: a value equal to tied breaks is above none of them.
SELECT prio.rfm_score(5, '{5,5,5,9}') AS at_ties, prio.rfm_score(6, '{5,5,5,9}') AS above_ties;
-- One break gives scores 1..2.
SELECT prio.rfm_score(1, '{1}') AS one, prio.rfm_score(2, '{1}') AS two;
-- +-Infinity values are legal; infinite breaks too.
SELECT prio.rfm_score('Infinity', '{1,2,3,4}') AS pos_inf,
       prio.rfm_score('-Infinity', '{1,2,3,4}') AS neg_inf,
       prio.rfm_score('Infinity', '{1,2,3,4}', false) AS pos_inf_lower,
       prio.rfm_score(5, '{-Infinity,0,Infinity}') AS inf_breaks;
-- NULL value gives NULL (breaks are still checked).
SELECT prio.rfm_score(NULL, '{1,2,3,4}') IS NULL AS null_value;
-- Quintile breaks from data, the usual way.
WITH d(x) AS (SELECT generate_series(1, 100)::float8),
     b(br) AS (SELECT percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY x) FROM d)
SELECT prio.rfm_score(x, br) AS score, count(*) FROM d, b GROUP BY 1 ORDER BY 1;

-- Bad input: each is a 22023 (or 22004 for a NULL flag) naming the fault.
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$SELECT prio.rfm_score(1, NULL)$$),
  ($$SELECT prio.rfm_score(1, '{}')$$),
  ($$SELECT prio.rfm_score(NULL, '{}')$$),
  ($$SELECT prio.rfm_score(1, '{1,NULL,3}')$$),
  ($$SELECT prio.rfm_score(1, '{1,NaN,3}')$$),
  ($$SELECT prio.rfm_score(1, '{3,2,1}')$$),
  ($$SELECT prio.rfm_score(1, '{{1,2},{3,4}}')$$),
  ($$SELECT prio.rfm_score('NaN', '{1,2,3,4}')$$),
  ($$SELECT prio.rfm_score(1, '{1,2,3,4}', NULL)$$)
) AS t(q);
