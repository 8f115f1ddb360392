-- pgTAP: an application writing prio's own tables in shapes the other files
-- do not (test/live.sql, write_paths.sql, activity_triggers.sql,
-- app_triggers.sql cover plain, MERGE, CTE writes and AFTER triggers).
-- After each, the live state equals a rebuild (pg_temp.rebuild_check) and
-- the latest tier_history row of every customer names its tier and stage.
--   A1 INSERT ... ON CONFLICT DO UPDATE that moves activities to another
--      customer, and one that changes customers' BANT answers;
--   A2 an application's BEFORE row triggers that change NEW (the customer,
--      the amount) or skip the row (RETURN NULL), on INSERT and UPDATE;
--   A3 an application's view with INSTEAD OF triggers writing activities;
--   A4 an application's row-level security policy on prio.activities;
--   A5 an application's deferred constraint trigger that writes activities
--      (fired at SET CONSTRAINTS ALL IMMEDIATE, and inside a rolled-back
--      savepoint);
--   A6 a plpgsql EXCEPTION block that undoes activities, a customer and a
--      BANT change after prio's triggers ran; DELETE ... RETURNING.
-- (Two-phase commit: specs/app_prepare.spec; pgTAP's temp tables forbid
-- PREPARE TRANSACTION here.)
BEGIN;
SELECT plan(8);

\ir lib/rebuild_check.psql

CREATE FUNCTION pg_temp.history_agrees() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM prio.customer_state s
     WHERE s.customer_id BETWEEN 66001 AND 66020
       AND (s.tier, s.effective_stage::text)::record IS DISTINCT FROM
           (SELECT (h.new_tier, h.new_stage::text) FROM prio.tier_history h
             WHERE h.customer_id = s.customer_id ORDER BY h.history_id DESC LIMIT 1)
$$;

INSERT INTO prio.customers (customer_id, name, owner)
SELECT g, 'app ' || g, 'app_rep' FROM generate_series(66001, 66010) g;
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 66001 + g % 10, 'purchase', now() - g * interval '3 days', 100 * g FROM generate_series(1, 40) g;

-- A1
INSERT INTO prio.activities (activity_id, customer_id, kind, amount) OVERRIDING SYSTEM VALUE
SELECT activity_id, 66003, 'purchase', 12345 FROM prio.activities WHERE customer_id = 66002
ON CONFLICT (activity_id) DO UPDATE
   SET customer_id = excluded.customer_id, amount = excluded.amount, at = now() - interval '1 day';
INSERT INTO prio.customers (customer_id, name, budget, authority) VALUES
    (66001, 'x', true, true), (66004, 'y', true, true), (66011, 'new', true, NULL)
ON CONFLICT (customer_id) DO UPDATE SET budget = excluded.budget, authority = excluded.authority;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'A1: ON CONFLICT DO UPDATE moving activities and changing BANT: live state equals a rebuild');

-- A2
CREATE FUNCTION pg_temp.app_before() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.amount = 13 THEN RETURN NULL; END IF;
    NEW.amount := NEW.amount * 2;
    IF NEW.customer_id = 66005 THEN NEW.customer_id := 66006; END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER app_before BEFORE INSERT OR UPDATE ON prio.activities
    FOR EACH ROW EXECUTE FUNCTION pg_temp.app_before();
INSERT INTO prio.activities (customer_id, kind, amount) VALUES
    (66005, 'purchase', 13), (66005, 'purchase', 50), (66007, 'purchase', 13), (66007, 'demo_request', 0);
UPDATE prio.activities SET amount = 13 WHERE customer_id = 66007;
UPDATE prio.activities SET customer_id = 66005 WHERE customer_id = 66008;
DROP TRIGGER app_before ON prio.activities;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'A2: BEFORE row triggers changing NEW or skipping rows: live state equals a rebuild');

-- A3
CREATE VIEW pg_temp.app_v AS SELECT customer_id AS cid, kind, amount FROM prio.activities;
CREATE FUNCTION pg_temp.app_v_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO prio.activities (customer_id, kind, amount) VALUES (NEW.cid, NEW.kind, NEW.amount);
    ELSE
        DELETE FROM prio.activities WHERE customer_id = OLD.cid AND kind = OLD.kind AND amount = OLD.amount;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER app_v_write INSTEAD OF INSERT OR DELETE ON pg_temp.app_v
    FOR EACH ROW EXECUTE FUNCTION pg_temp.app_v_write();
INSERT INTO pg_temp.app_v SELECT 66001 + g % 5, 'purchase', g FROM generate_series(1, 20) g;
DELETE FROM pg_temp.app_v WHERE cid BETWEEN 66001 AND 66005 AND amount < 5;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'A3: a view with INSTEAD OF triggers writing activities: live state equals a rebuild');

-- A4
ALTER TABLE prio.activities ENABLE ROW LEVEL SECURITY;
CREATE POLICY app_small ON prio.activities FOR ALL TO PUBLIC
    USING (amount < 1000) WITH CHECK (amount < 1000);
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prio_app_hostile') THEN
        CREATE ROLE prio_app_hostile;
    END IF;
END $$;
GRANT USAGE ON SCHEMA prio TO prio_app_hostile;
GRANT SELECT, INSERT, UPDATE, DELETE ON prio.customers, prio.activities TO prio_app_hostile;
UPDATE prio.customers SET owner = 'prio_app_hostile' WHERE customer_id BETWEEN 66001 AND 66011;
SET LOCAL ROLE prio_app_hostile;
INSERT INTO prio.activities (customer_id, kind, amount) VALUES (66002, 'purchase', 500);
UPDATE prio.activities SET amount = amount + 1 WHERE customer_id = 66002;
DELETE FROM prio.activities WHERE customer_id = 66009;
RESET ROLE;
DROP POLICY app_small ON prio.activities;
ALTER TABLE prio.activities DISABLE ROW LEVEL SECURITY;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'A4: writes through an application''s RLS policy on activities: live state equals a rebuild');

-- A5
CREATE FUNCTION pg_temp.app_deferred() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE prio.activities SET amount = amount + 1 WHERE activity_id = NEW.activity_id;
    INSERT INTO prio.activities (customer_id, kind) SELECT NEW.customer_id, 'reply' WHERE NEW.kind = 'inquiry';
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER app_deferred AFTER INSERT ON prio.activities
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION pg_temp.app_deferred();
INSERT INTO prio.activities (customer_id, kind, amount) VALUES (66004, 'inquiry', 1), (66010, 'purchase', 5);
SAVEPOINT deferred;
INSERT INTO prio.activities (customer_id, kind, amount) VALUES (66010, 'inquiry', 1);
SET CONSTRAINTS ALL IMMEDIATE;
ROLLBACK TO SAVEPOINT deferred;
SET CONSTRAINTS ALL IMMEDIATE;
SET CONSTRAINTS ALL DEFERRED;
DROP TRIGGER app_deferred ON prio.activities;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'A5: a deferred constraint trigger writing activities: live state equals a rebuild');

-- A6
DO $$
BEGIN
    BEGIN
        INSERT INTO prio.activities (customer_id, kind, amount) VALUES (66004, 'purchase', 99999);
        INSERT INTO prio.customers (customer_id, name) VALUES (66012, 'undone');
        INSERT INTO prio.activities (customer_id, kind) VALUES (66012, 'inquiry');
        UPDATE prio.customers SET budget = true, need = true WHERE customer_id = 66005;
        RAISE EXCEPTION 'the application changes its mind';
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
    INSERT INTO prio.activities (customer_id, kind) VALUES (66004, 'reply');
END $$;
SELECT is((SELECT count(*) FROM prio.customer_state WHERE customer_id = 66012), 0::bigint,
          'A6: a customer inserted in a rolled-back EXCEPTION block leaves no state row');
CREATE TEMP TABLE deleted (activity_id bigint);
WITH d AS (DELETE FROM prio.activities WHERE customer_id = 66003 AND amount > 1000 RETURNING activity_id)
INSERT INTO deleted SELECT activity_id FROM d;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'A6: an EXCEPTION block undoing prio''s writes, DELETE ... RETURNING: live state equals a rebuild');

SELECT is(pg_temp.history_agrees(), 0::bigint,
          'A1-A6: every customer''s latest tier_history row names its tier and stage');

SELECT * FROM finish();
ROLLBACK;
