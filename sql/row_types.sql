-- prio's C functions read and build composite rows field by field: a row type
-- altered under them is refused with 42804, never misread (these crashed once).
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;
INSERT INTO prio.customers (customer_id, name, created_at) VALUES (31, 'Row', '2024-03-09 12:00+00');

-- Bad input: altered result types
BEGIN;
ALTER TYPE prio.evaluation ADD ATTRIBUTE z1 text, ADD ATTRIBUTE z2 text, ADD ATTRIBUTE z3 text;
SELECT pg_temp.err($$SELECT prio.evaluate(ROW(31, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 'prospect', NULL, 0, 0)::prio.facts, c, s, NULL, NULL, NULL, now()) FROM prio.customers c, prio.settings s WHERE c.customer_id = 31$$) AS evaluation_grew;
ROLLBACK;
BEGIN;
ALTER TYPE prio.facts ADD ATTRIBUTE junk text;
SELECT pg_temp.err($$SELECT prio.fold(NULL, 1, now(), true, NULL, false, 1, 0, '1 day')$$) AS facts_grew;
ROLLBACK;
BEGIN;
ALTER TYPE prio.rfm_summary ADD ATTRIBUTE junk integer;
SELECT pg_temp.err($$SELECT prio.rfm(now(), 1)$$) AS summary_grew;
ROLLBACK;
-- Bad input: altered argument types
BEGIN;
-- (prio.win_features() reads budget with a SQL-standard body, which already
-- refuses the change; without it the C must refuse the row)
ALTER EXTENSION prio DROP VIEW prio.followup;
ALTER EXTENSION prio DROP FUNCTION prio.win_features(prio.customer_state);
DROP VIEW prio.followup;
DROP FUNCTION prio.win_features(prio.customer_state);
ALTER TABLE prio.customers ALTER COLUMN budget TYPE integer USING budget::integer;
SELECT pg_temp.err($$SELECT prio.evaluate(ROW(31, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 'prospect', NULL, 0, 0)::prio.facts, c, s, NULL, NULL, NULL, now()) FROM prio.customers c, prio.settings s WHERE c.customer_id = 31$$) AS customer_field_retyped;
ROLLBACK;
-- prio.facts itself cannot be altered while prio.stored_facts() depends on it.
BEGIN;
SELECT pg_temp.err($$ALTER TYPE prio.facts ALTER ATTRIBUTE intent TYPE numeric$$) AS facts_retype;
ROLLBACK;
CREATE TEMP VIEW eval_call AS
SELECT prio.evaluate(ROW(31, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 'prospect', NULL, 0, 0)::prio.facts,
                     c, s, NULL, NULL, NULL, '2024-03-10 00:00+00') AS e
FROM prio.customers c, prio.settings s WHERE c.customer_id = 31;
-- The same call site before and after its argument's table changes type.
BEGIN;
DO $$
DECLARE r prio.evaluation;
BEGIN
    r := (SELECT e FROM eval_call);
    ALTER TABLE prio.settings ALTER COLUMN intent_threshold TYPE numeric;
    r := (SELECT e FROM eval_call);
    RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE '%: %', SQLSTATE, SQLERRM;
END
$$;
ROLLBACK;

-- evaluate is IMMUTABLE, so it must not depend on the TimeZone: the due date
-- counts days of 24 hours (2024-03-10 is a DST change in New York).
SET timezone = 'UTC';
SELECT (e).next_due_at AS due_utc FROM eval_call;
SET timezone = 'America/New_York';
SELECT (e).next_due_at AT TIME ZONE 'UTC' AS due_new_york_in_utc FROM eval_call;
RESET timezone;
DELETE FROM prio.customers WHERE customer_id = 31;
