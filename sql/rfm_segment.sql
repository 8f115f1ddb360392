-- prio.rfm_segment(r, f, m): first matching rule of prio.rfm_segments, else 'Other'.
SELECT segment, r_min, r_max, f_min, f_max, m_min, m_max, builtin
FROM prio.rfm_segments ORDER BY position;

SELECT r, f, m, prio.rfm_segment(r, f, m)
FROM (VALUES (5,5,5), (4,4,4), (1,5,5), (1,4,4), (2,3,3), (5,3,3), (1,3,2), (2,2,5),
             (5,1,1), (5,1,5), (3,1,1), (4,2,2), (3,3,3), (2,2,2), (3,2,1), (1,1,1),
             (2,1,1), (1,1,5), (3,4,1)) AS v(r, f, m);

-- How many of the 125 cells each segment covers (first match wins); the shipped map leaves none to 'Other'.
SELECT prio.rfm_segment(r, f, m) AS segment, count(*)
FROM generate_series(1,5) r, generate_series(1,5) f, generate_series(1,5) m
GROUP BY 1 ORDER BY 2 DESC, 1;

-- 'Other' when no rule matches.
BEGIN;
DELETE FROM prio.rfm_segments WHERE segment = 'Lost';
SELECT prio.rfm_segment(1, 1, 1) AS unmatched;
ROLLBACK;

-- NULL scores give NULL.
SELECT prio.rfm_segment(NULL, 1, 1) IS NULL AS null_in_null_out;

-- Edits take effect at once in this session; an edited or added row is no longer builtin.
BEGIN;
INSERT INTO prio.rfm_segments (position, segment, r_min, r_max, f_min, f_max, m_min, m_max)
VALUES (1, 'VIP', 5, 5, 5, 5, 5, 5);
UPDATE prio.rfm_segments SET segment = 'Hibernating' WHERE position = 100;
SELECT prio.rfm_segment(5,5,5) AS was_champion, prio.rfm_segment(1,1,1) AS was_lost;
SELECT position, segment, builtin FROM prio.rfm_segments WHERE NOT builtin ORDER BY position;
-- An inserted row with the key of an unchanged built-in row replaces it (how a restore lands).
INSERT INTO prio.rfm_segments (position, segment, r_min, r_max) VALUES (10, 'Best', 5, 5);
SELECT position, segment, r_min, r_max, builtin FROM prio.rfm_segments WHERE position = 10;
DELETE FROM prio.rfm_segments;
SELECT prio.rfm_segment(5,5,5) AS empty_map;
ROLLBACK;
SELECT prio.rfm_segment(5,5,5) AS after_rollback, prio.rfm_segment(1,1,1);

-- The cache serves large queries without re-reading the table for every row.
SELECT count(DISTINCT prio.rfm_segment(1 + i % 5, 1 + i / 5 % 5, 1 + i / 25 % 5)) AS segments
FROM generate_series(0, 99999) i;

-- Bad input: scores outside 1..5 (22023); rule rows out of range (23514); duplicate positions (23505).
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$SELECT prio.rfm_segment(0, 1, 1)$$),
  ($$SELECT prio.rfm_segment(1, 6, 1)$$),
  ($$SELECT prio.rfm_segment(1, 1, -2147483648)$$),
  ($$INSERT INTO prio.rfm_segments (position, segment, r_min) VALUES (5, 'x', 0)$$),
  ($$INSERT INTO prio.rfm_segments (position, segment, r_min, r_max) VALUES (5, 'x', 4, 3)$$),
  ($$INSERT INTO prio.rfm_segments (position, segment) VALUES (5, '')$$),
  ($$INSERT INTO prio.rfm_segments (position, segment) VALUES (5, NULL)$$),
  ($$INSERT INTO prio.rfm_segments (position, segment) VALUES (5, 'a'), (5, 'b')$$)
) AS t(q);
