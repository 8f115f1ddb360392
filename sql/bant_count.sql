-- prio.bant_count: how many BANT answers are TRUE; NULL = not known = not met.
SELECT prio.bant_count(true, true, true, true)     AS all_met,
       prio.bant_count(false, false, false, false) AS none_met,
       prio.bant_count(NULL, NULL, NULL, NULL)     AS none_known,
       prio.bant_count(true, NULL, true, false)    AS two_met;

-- Named arguments, in any order.
SELECT prio.bant_count(timeline => true, need => true, budget => NULL, authority => true) AS three;

-- Every combination of TRUE/FALSE/NULL (81) agrees with a plain-SQL count; never NULL.
WITH v(x) AS (VALUES (true), (false), (NULL::boolean))
SELECT count(*) AS combinations,
       count(*) FILTER (WHERE prio.bant_count(b.x, a.x, n.x, t.x) =
                        (b.x IS TRUE)::int + (a.x IS TRUE)::int + (n.x IS TRUE)::int + (t.x IS TRUE)::int) AS agree,
       count(*) FILTER (WHERE prio.bant_count(b.x, a.x, n.x, t.x) IS NULL) AS nulls
FROM v b, v a, v n, v t;

-- Bad input: every boolean is valid input; wrong arity or types do not resolve.
\set VERBOSITY terse
SELECT prio.bant_count(true, true, true);
SELECT prio.bant_count('yes', 'no', 'maybe', 'x');
