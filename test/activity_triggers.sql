-- pgTAP: an application's own triggers on prio.activities that change,
-- delete or add rows while an INSERT or COPY runs never make the live state
-- drift from a rebuild (issue 17, defect 2).  "Committed rows are the truth":
-- every row trigger, and every statement trigger named before prio's
-- activities_inserted, fires before prio's statement trigger; when such a
-- trigger updated or deleted a new row (prio's activities_changed then
-- refolded the customer) or inserted another activity (prio's trigger of
-- that nested INSERT folded it), prio's trigger of the INSERT refolds the
-- customer from the table instead of folding the transition table's rows,
-- which are no longer what is committed.  Three application triggers --
-- rounding `at` to the hour (UPDATE of the new row), de-duplicating (DELETE
-- of the new row) and a follow-up activity (INSERT of another row of the
-- same customer) -- each at row and at statement level, named before and
-- after prio's, each through a single-row INSERT, a multi-row INSERT and a
-- COPY; each ends with the live state equal to a rebuild
-- (pg_temp.rebuild_check).  Then the issue's two figures, and a batch of
-- many customers refolded by one scan.
BEGIN;
SELECT plan(43);

\ir lib/rebuild_check.psql
INSERT INTO prio.customers (customer_id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three');

-- the DBA rounds every activity's time to the hour
CREATE FUNCTION pg_temp.round_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE prio.activities SET at = date_trunc('hour', at)
     WHERE activity_id = NEW.activity_id AND at <> date_trunc('hour', at);
    RETURN NULL;
END $$;
CREATE FUNCTION pg_temp.round_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE prio.activities a SET at = date_trunc('hour', a.at) FROM new_rows n
     WHERE a.activity_id = n.activity_id AND a.at <> date_trunc('hour', a.at);
    RETURN NULL;
END $$;
-- the DBA keeps one activity of each kind per customer: a later one is dropped
CREATE FUNCTION pg_temp.dedup_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM prio.activities a
     WHERE a.activity_id = NEW.activity_id
       AND EXISTS (SELECT 1 FROM prio.activities o
                    WHERE o.customer_id = a.customer_id AND o.kind = a.kind AND o.activity_id < a.activity_id);
    RETURN NULL;
END $$;
CREATE FUNCTION pg_temp.dedup_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM prio.activities a USING new_rows n
     WHERE a.activity_id = n.activity_id
       AND EXISTS (SELECT 1 FROM prio.activities o
                    WHERE o.customer_id = a.customer_id AND o.kind = a.kind AND o.activity_id < a.activity_id);
    RETURN NULL;
END $$;
-- the app answers every activity with an e-mail, recorded a minute later
CREATE FUNCTION pg_temp.follow_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.note IS DISTINCT FROM 'auto' THEN
        INSERT INTO prio.activities (customer_id, kind, at, note)
        VALUES (NEW.customer_id, 'email', NEW.at + interval '1 minute', 'auto');
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION pg_temp.follow_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- (a statement trigger fires for no rows too: the e-mails' INSERT stops here)
    IF EXISTS (SELECT 1 FROM new_rows n WHERE n.note IS DISTINCT FROM 'auto') THEN
        INSERT INTO prio.activities (customer_id, kind, at, note)
        SELECT n.customer_id, 'email', n.at + interval '1 minute', 'auto' FROM new_rows n
         WHERE n.note IS DISTINCT FROM 'auto';
    END IF;
    RETURN NULL;
END $$;

-- no application trigger, customers 1 to 3 without activities
CREATE FUNCTION pg_temp.reset() RETURNS void LANGUAGE plpgsql SET client_min_messages = warning AS $$
BEGIN
    DROP TRIGGER IF EXISTS a_app ON prio.activities;
    DROP TRIGGER IF EXISTS z_app ON prio.activities;
    DELETE FROM prio.activities WHERE customer_id IN (1, 2, 3);
END $$;
-- the application trigger what (round, dedup, follow) for each row or
-- statement, named before (a_app) or after (z_app) prio's activities_inserted
CREATE FUNCTION pg_temp.arm(what text, level text, name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.reset();
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON prio.activities %s FOR EACH %s EXECUTE FUNCTION pg_temp.%I()',
                   name, CASE level WHEN 'statement' THEN 'REFERENCING NEW TABLE AS new_rows' ELSE '' END,
                   level, what || '_' || level);
END $$;

------------------------------------------------------------------------
-- the issue's figures: one purchase of 50 rounded, a duplicate deleted
------------------------------------------------------------------------
SELECT pg_temp.arm('round', 'row', 'a_app');
INSERT INTO prio.activities (customer_id, kind, amount, at) VALUES (1, 'purchase', 50, '2025-03-01 10:17+00');
SELECT is((SELECT frequency || '/' || monetary || '/' || last_at FROM prio.customer_state WHERE customer_id = 1),
          '1/50/' || '2025-03-01 10:00+00'::timestamptz,
          'a row trigger rounding at: one purchase of 50 counts once, at its rounded time');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'a row trigger rounding at: live state equals a rebuild');
SELECT pg_temp.arm('dedup', 'row', 'a_app');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (2, 'reply', '2025-03-01 10:17+00');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (2, 'reply', '2025-03-02 10:17+00');
SELECT is((SELECT last_at FROM prio.customer_state WHERE customer_id = 2),
          (SELECT max(at) FROM prio.activities WHERE customer_id = 2),
          'a row trigger deleting a duplicate: last_at is the time of a row that exists');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'a row trigger deleting a duplicate: live state equals a rebuild');

------------------------------------------------------------------------
-- each trigger, at row and statement level, named before and after prio's
------------------------------------------------------------------------
SELECT pg_temp.arm('round', 'row', 'a_app');
\set case 'a row trigger rounding at, named before prio''s'
\ir lib/activity_trigger_case.psql
SELECT pg_temp.arm('round', 'row', 'z_app');
\set case 'a row trigger rounding at, named after prio''s'
\ir lib/activity_trigger_case.psql
SELECT pg_temp.arm('round', 'statement', 'a_app');
\set case 'a statement trigger rounding at, named before prio''s'
\ir lib/activity_trigger_case.psql
SELECT pg_temp.arm('round', 'statement', 'z_app');
\set case 'a statement trigger rounding at, named after prio''s'
\ir lib/activity_trigger_case.psql

SELECT pg_temp.arm('dedup', 'row', 'a_app');
\set case 'a row trigger deleting duplicates, named before prio''s'
\ir lib/activity_trigger_case.psql
SELECT pg_temp.arm('dedup', 'row', 'z_app');
\set case 'a row trigger deleting duplicates, named after prio''s'
\ir lib/activity_trigger_case.psql
SELECT pg_temp.arm('dedup', 'statement', 'a_app');
\set case 'a statement trigger deleting duplicates, named before prio''s'
\ir lib/activity_trigger_case.psql
SELECT pg_temp.arm('dedup', 'statement', 'z_app');
\set case 'a statement trigger deleting duplicates, named after prio''s'
\ir lib/activity_trigger_case.psql

SELECT pg_temp.arm('follow', 'row', 'a_app');
\set case 'a row trigger inserting a follow-up, named before prio''s'
\ir lib/activity_trigger_case.psql
SELECT pg_temp.arm('follow', 'row', 'z_app');
\set case 'a row trigger inserting a follow-up, named after prio''s'
\ir lib/activity_trigger_case.psql
SELECT pg_temp.arm('follow', 'statement', 'a_app');
\set case 'a statement trigger inserting a follow-up, named before prio''s'
\ir lib/activity_trigger_case.psql
SELECT pg_temp.arm('follow', 'statement', 'z_app');
\set case 'a statement trigger inserting a follow-up, named after prio''s'
\ir lib/activity_trigger_case.psql
SELECT is((SELECT count(*) FROM prio.activities WHERE customer_id IN (1, 2, 3) AND note = 'auto'), 9::bigint,
          'a statement trigger inserting a follow-up: one e-mail per activity inserted');

------------------------------------------------------------------------
-- many customers at once: refolded by one scan of the activities
------------------------------------------------------------------------
SELECT pg_temp.arm('round', 'statement', 'a_app');
INSERT INTO prio.customers (customer_id, name) SELECT g, 'many' FROM generate_series(10001, 11200) g;
INSERT INTO prio.activities (customer_id, kind, amount, at)
SELECT g, 'purchase', 50, '2025-03-01 10:17+00' FROM generate_series(10001, 11200) g;
SELECT is((SELECT count(*) FROM prio.customer_state
            WHERE customer_id BETWEEN 10001 AND 11200
              AND frequency = 1 AND monetary = 50 AND last_at = '2025-03-01 10:00+00'), 1200::bigint,
          'a statement trigger rounding at for 1,200 customers: each purchase counts once, at its rounded time');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'a statement trigger rounding at for 1,200 customers: live state equals a rebuild');

SELECT * FROM finish();
ROLLBACK;
