-- Tracked tables at their edges (issue 18, items 3, 4 and 8):
--   1. a refund (a purchase kind with a negative amount) is no step towards a
--      sale: the stage does not move, intent does not grow;
--   2. one row a mapping expression fails on does not block recompute(), a
--      change of settings or activity kinds, or refresh(): that table is
--      skipped (WARNING, prio.tracked.last_error), the state of its
--      customers is left as it was, everyone else is folded;
--   3. row-level security of the application's table: prio's owner must
--      read every row; track() refuses when a policy applies to it;
--   4. grants: prio's admin (grant_admin) may track a table it may create
--      triggers on and read all of, and sees prio.tracked and
--      prio.unmapped_kinds; a reader neither; under owner isolation a rep
--      sees only their customers of a tracked table;
--   6. the collector counts the rows of tracked tables against
--      maintenance_work_mem;
--   7. an INSERT of 1,000 rows or more whose keys meet dead entries of the
--      key map (customers deleted, committed) is read in C through the key
--      map's index: the state recompute() gives.
-- Then the bad input.  Starts from a fresh extension (deterministic ids).
SET client_min_messages = warning;
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio;
RESET client_min_messages;
SET timezone = 'UTC';
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;

CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO PUBLIC;
CREATE TABLE app.accounts (id uuid PRIMARY KEY, name text, rep text);
CREATE TABLE app.events (account_id uuid, type text, at timestamptz, value numeric, qty integer NOT NULL DEFAULT 1);
CREATE INDEX ON app.events (account_id);
INSERT INTO app.accounts VALUES
    ('00000000-0000-0000-0000-000000000001', 'Refund only', 'prio_edge_rep1'),
    ('00000000-0000-0000-0000-000000000002', 'Inquiry, refund', 'prio_edge_rep1'),
    ('00000000-0000-0000-0000-000000000003', 'Purchase, refund', 'prio_edge_rep2'),
    ('00000000-0000-0000-0000-000000000004', 'Lost, refund', 'prio_edge_rep2');
SELECT prio.track('app.accounts', 'customers', '{"key": "id", "name": "name", "owner": "rep"}');
SELECT prio.track('app.events', 'activities', '{"customer": "account_id", "kind": "type", "at": "at", "amount": "value / qty"}');
-- the facts of the tracked customers
CREATE VIEW pg_temp.facts AS
SELECT c.name, s.stage, s.frequency, s.monetary::numeric(12, 2) AS monetary, s.intent::numeric(8, 3) AS intent,
       s.last_at, s.last_inbound_at, s.tier
  FROM prio.customers c JOIN prio.customer_state s USING (customer_id)
 WHERE c.customer_id < 0 ORDER BY c.name;

-- 1. Refunds.  A refund alone leaves a prospect a prospect (it used to win
-- it: a purchase kind's stage); after an inquiry, interested; after a
-- purchase, won by the purchase, monetary net of the refund; a lost
-- customer is not revived by it.  Each is a contact (last_at, inbound).
INSERT INTO app.events (account_id, type, at, value) VALUES
    ('00000000-0000-0000-0000-000000000001', 'purchase', '2026-01-05 10:00+00', -40),
    ('00000000-0000-0000-0000-000000000002', 'inquiry', '2026-01-05 10:00+00', NULL),
    ('00000000-0000-0000-0000-000000000002', 'purchase', '2026-01-06 10:00+00', -10),
    ('00000000-0000-0000-0000-000000000003', 'purchase', '2026-01-05 10:00+00', 50),
    ('00000000-0000-0000-0000-000000000003', 'purchase', '2026-01-06 10:00+00', -20),
    ('00000000-0000-0000-0000-000000000004', 'rejected', '2026-01-05 10:00+00', NULL),
    ('00000000-0000-0000-0000-000000000004', 'purchase', '2026-01-06 10:00+00', -5);
SELECT name, stage, frequency, monetary, intent, last_at, last_inbound_at FROM pg_temp.facts;
-- every path folds a refund alike: the prio.fold aggregate too
SELECT (f).stage AS fold_aggregate_refund_stage, (f).intent AS fold_aggregate_refund_intent
  FROM (SELECT prio.fold(NULL, 1, at, true, 'won', true, 3, amount, interval '14 days') AS f
          FROM (VALUES ('2026-01-05 10:00+00'::timestamptz, -40::numeric)) v(at, amount)) x;
SELECT prio.recompute() AS recompute_fixed_after_refunds;

-- 2. One bad row: qty 0 makes the amount "value / qty" fail on it.  The
-- application's INSERT goes through (a WARNING); recompute(), a change of
-- settings, of activity kinds and refresh() all work: the table is skipped
-- with a WARNING, its customers' state is left as it was, prio's own
-- customers are folded.
INSERT INTO prio.customers (customer_id, name) VALUES (7, 'Own');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (7, 'inquiry', '2026-01-04 10:00+00');
INSERT INTO app.events VALUES ('00000000-0000-0000-0000-000000000002', 'purchase', '2026-01-07 10:00+00', 30, 0);
SELECT source, last_error FROM prio.tracked ORDER BY source::text;
CREATE TEMP TABLE state_before AS SELECT * FROM prio.customer_state WHERE customer_id < 0;
-- (prio's own customer's stored facts drifted: recompute() repairs them)
UPDATE prio.customer_state SET intent = intent + 1 WHERE customer_id = 7;
SELECT prio.recompute() AS recompute_fixed_with_a_bad_row;
SELECT (SELECT count(*) FROM prio.customer_state s JOIN state_before b USING (customer_id)
         WHERE s IS NOT DISTINCT FROM b) AS tracked_states_left_as_they_were,
       (SELECT count(*) FROM state_before) AS of;
UPDATE prio.settings SET intent_threshold = intent_threshold + 1;
UPDATE prio.activity_kinds SET intent_weight = 2.5 WHERE kind = 'visit';
INSERT INTO prio.activity_kinds (kind, direction, intent_weight) VALUES ('webinar', 'inbound', 1);
DELETE FROM prio.activity_kinds WHERE kind = 'webinar';
SELECT prio.refresh() IS NOT NULL AS refreshed;
SELECT (SELECT count(*) FROM prio.customer_state s JOIN state_before b USING (customer_id)
         WHERE (s.frequency, s.monetary, s.stage, s.last_at) IS NOT DISTINCT FROM (b.frequency, b.monetary, b.stage, b.last_at))
       AS tracked_facts_left_as_they_were;
SELECT prio.recompute(customer_id) = 0 AS own_customer_right FROM prio.customers WHERE customer_id = 7;
-- fixed in the application: the UPDATE refolds the customer; recompute()
-- finds everyone right again
UPDATE app.events SET qty = 1 WHERE qty = 0;
SELECT name, stage, frequency, monetary FROM pg_temp.facts;
SELECT prio.recompute() AS recompute_fixed_after_the_fix;

-- 4. Grants.  An admin may track a table it does not own but may create
-- triggers on and read all of; it sees prio.tracked and prio.unmapped_kinds.
-- A reader may not read them.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prio_edge_admin') THEN CREATE ROLE prio_edge_admin; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prio_edge_rep1') THEN CREATE ROLE prio_edge_rep1; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prio_edge_rep2') THEN CREATE ROLE prio_edge_rep2; END IF;
END $$;
SELECT prio.grant_admin('prio_edge_admin');
SELECT prio.grant_reader('prio_edge_rep1');
SELECT prio.grant_reader('prio_edge_rep2');
CREATE TABLE app.leads (id integer PRIMARY KEY, title text);
INSERT INTO app.leads VALUES (1, 'first lead');
CREATE TABLE app.lead_notes (lead integer, kind text, at timestamptz);
-- (a note without a kind is listed as kind NULL: the mapping must give it one)
INSERT INTO app.lead_notes VALUES (1, 'inquiry', '2026-01-03 10:00+00'), (1, 'fax', '2026-01-03 11:00+00'),
                                  (1, NULL, '2026-01-03 12:00+00');
SET ROLE prio_edge_admin;
SELECT pg_temp.err($$SELECT prio.track('app.leads', 'customers', '{"key": "id", "name": "title"}')$$) AS admin_without_trigger_privilege;
RESET ROLE;
GRANT SELECT, TRIGGER ON app.leads, app.lead_notes TO prio_edge_admin;
SET ROLE prio_edge_admin;
SELECT pg_temp.err($$SELECT prio.track('app.leads', 'customers', '{"key": "id", "name": "title"}')$$) AS admin_with_trigger_privilege;
SELECT pg_temp.err($$SELECT prio.track('app.lead_notes', 'activities', '{"customer": "lead", "kind": "kind", "at": "at"}')$$) AS admin_tracks_activities;
-- (app.events' last_error is gone: the recompute() after the fix read it without error)
SELECT source, role, last_error FROM prio.tracked ORDER BY source::text;
SELECT source, coalesce(kind, '(NULL: no kind)') AS kind, rows FROM prio.unmapped_kinds ORDER BY 1, 2;
RESET ROLE;
-- (prio.unmapped_kinds counts the rows the caller may see: a policy of the
-- table that hides the fax from the admin hides it there too)
ALTER TABLE app.lead_notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_no_fax ON app.lead_notes USING (kind <> 'fax');
SELECT source, coalesce(kind, '(NULL: no kind)') AS kind, rows FROM prio.unmapped_kinds ORDER BY 1, 2;
SET ROLE prio_edge_admin;
SELECT count(*) AS unmapped_kinds_the_admin_may_see FROM prio.unmapped_kinds;
RESET ROLE;
DROP POLICY notes_no_fax ON app.lead_notes;
ALTER TABLE app.lead_notes DISABLE ROW LEVEL SECURITY;
SET ROLE prio_edge_rep1;
SELECT pg_temp.err('SELECT * FROM prio.tracked') AS reader_tracked;
SELECT pg_temp.err('SELECT * FROM prio.unmapped_kinds') AS reader_unmapped_kinds;
SELECT pg_temp.err($$SELECT prio.track('app.leads', 'customers', '{"key": "id"}')$$) AS reader_track;
RESET ROLE;
-- row-level security of the table that applies to the admin: refused (it
-- would show prio's readers rows the admin may not see)
SET ROLE prio_edge_admin;
SELECT prio.untrack('app.lead_notes');
SELECT prio.untrack('app.leads');
RESET ROLE;
ALTER TABLE app.leads ENABLE ROW LEVEL SECURITY;
CREATE POLICY leads_first ON app.leads USING (id = 1);
SET ROLE prio_edge_admin;
SELECT pg_temp.err($$SELECT prio.track('app.leads', 'customers', '{"key": "id", "name": "title"}')$$) AS admin_under_row_security;
RESET ROLE;
ALTER TABLE app.leads DISABLE ROW LEVEL SECURITY;

-- 4. Owner isolation: a rep sees only their customers of a tracked table,
-- in followup and explain()
SELECT prio.enable_owner_isolation();
SET ROLE prio_edge_rep1;
SELECT name, owner FROM prio.followup ORDER BY name;
SELECT prio.explain(customer_id) ->> 'name' AS explained FROM prio.customers ORDER BY 1;
SELECT pg_temp.err($$SELECT prio.explain(-3)$$) AS explain_another_reps_customer;
RESET ROLE;
SET ROLE prio_edge_rep2;
SELECT name, owner FROM prio.followup ORDER BY name;
RESET ROLE;
SELECT prio.disable_owner_isolation();

-- 6. The collector's passes count the rows of tracked tables: with no
-- activities of prio's own and 40,000 tracked events, recompute() under
-- maintenance_work_mem = 1MB takes several passes (scans of
-- prio.activities), not one
BEGIN;
INSERT INTO app.accounts SELECT ('00000000-0000-0000-0001-' || lpad(g::text, 12, '0'))::uuid, 'bulk ' || g, 'bulk'
  FROM generate_series(1, 1000) g;
INSERT INTO app.events (account_id, type, at, value)
SELECT ('00000000-0000-0000-0001-' || lpad((1 + g % 1000)::text, 12, '0'))::uuid, 'visit',
       '2026-01-01 00:00+00'::timestamptz + g * interval '1 minute', NULL
  FROM generate_series(1, 40000) g;
SET LOCAL maintenance_work_mem = '1MB';
CREATE TEMP TABLE scans AS SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = 'prio.activities'::regclass;
SELECT prio.recompute() AS recompute_fixed_in_passes;
SELECT (SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = 'prio.activities'::regclass) - s.seq_scan > 1
       AS several_passes FROM scans s;
ROLLBACK;

-- Bad input (row-level security that applies to prio's owner: track_rls)
SELECT pg_temp.err($$SELECT prio.track('app.lead_notes', 'customers', '{"key": "kind"}')$$) AS customers_key_without_unique_index;
SELECT pg_temp.err($$SELECT prio.track('app.leads', 'activities', '{"customer": "id", "kind": "title", "at": "title"}')$$) AS at_of_another_type;
-- a statement that errors in prio's SQL of the table (a bad row) is not
-- prio's to fail: a warning; recompute() of that table's customer does fail
-- (it cannot be folded), with the row's own error, never XX000
INSERT INTO app.events VALUES ('00000000-0000-0000-0000-000000000003', 'purchase', '2026-01-08 10:00+00', 1, 0);
SELECT pg_temp.err($$SELECT prio.recompute(-3)$$) AS recompute_of_a_customer_with_a_bad_row;
SELECT prio.recompute() AS recompute_all_with_a_bad_row;
DELETE FROM app.events WHERE qty = 0;
SELECT prio.recompute() AS recompute_fixed_after_delete;

-- 7. A large INSERT over dead key-map entries (every other customer deleted)
CREATE SCHEMA dk;
CREATE TABLE dk.c (id integer PRIMARY KEY, name text);
INSERT INTO dk.c SELECT i, 'c' || i FROM generate_series(1, 3000) i;
CREATE TABLE dk.e (c integer, kind text, at timestamptz);
CREATE INDEX ON dk.e (c);
SELECT prio.track('dk.c', 'customers', '{"key": "id", "name": "name", "view": false}');
SELECT prio.track('dk.e', 'activities', '{"customer": "c", "kind": "kind", "at": "at"}');
DELETE FROM dk.c WHERE id % 2 = 0;
INSERT INTO dk.e SELECT 1 + i % 3000, (ARRAY['email', 'reply', 'purchase'])[1 + i % 3],
                        '2026-01-10 10:00+00'::timestamptz + i * interval '1 s'
                   FROM generate_series(1, 5000) i;
SELECT count(*) AS customers_with_events, sum(s.frequency) AS purchases
  FROM prio.customers c JOIN prio.customer_state s USING (customer_id)
 WHERE c.source = 'dk.c'::regclass AND s.last_at IS NOT NULL;
SELECT prio.recompute() AS recompute_after_a_large_insert_over_dead_keys;
SELECT prio.untrack('dk.e');
SELECT prio.untrack('dk.c');
DROP SCHEMA dk CASCADE;

-- clean up
SELECT prio.untrack('app.events');
SELECT prio.untrack('app.accounts');
DROP SCHEMA app CASCADE;
REVOKE ALL ON ALL TABLES IN SCHEMA prio FROM prio_edge_admin, prio_edge_rep1, prio_edge_rep2;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA prio FROM prio_edge_admin, prio_edge_rep1, prio_edge_rep2;
REVOKE ALL ON SCHEMA prio FROM prio_edge_admin, prio_edge_rep1, prio_edge_rep2;
DROP ROLE prio_edge_admin, prio_edge_rep1, prio_edge_rep2;
