-- Row-level security of a tracked table (issue 18, item 8): prio scores a
-- customer from all of its rows, reading them as prio's owner.  Here prio is
-- owned by a role that is not a superuser (a superuser bypasses every
-- policy): track() refuses a table prio's owner may not read, or create
-- triggers on, or whose policies apply to it; with BYPASSRLS it tracks the
-- table, every row.  A policy that applies to prio's owner after track()
-- stops nothing but prio's side of that table: the application's writes go
-- through with a WARNING (prio.tracked.last_error), recompute() skips the
-- table and leaves its customers as they were.
-- Runs in a database of its own, where prio's owner is prio_rls_owner.
SELECT current_database() AS regdb \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS prio_rls;
DROP ROLE IF EXISTS prio_rls_owner;
DROP ROLE IF EXISTS prio_rls_app;
RESET client_min_messages;
CREATE ROLE prio_rls_owner SUPERUSER;
CREATE ROLE prio_rls_app;
CREATE DATABASE prio_rls;
\c prio_rls
SET timezone = 'UTC';
-- prio installed by a superuser that is then made an ordinary role
SET ROLE prio_rls_owner;
CREATE EXTENSION prio;
RESET ROLE;
ALTER ROLE prio_rls_owner NOSUPERUSER;
SELECT r.rolname AS prio_owner, r.rolsuper, r.rolbypassrls
  FROM pg_extension e JOIN pg_roles r ON r.oid = e.extowner WHERE e.extname = 'prio';
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;
GRANT EXECUTE ON FUNCTION prio.track(regclass, text, jsonb), prio.untrack(regclass) TO prio_rls_app;
GRANT USAGE ON SCHEMA prio TO prio_rls_app;
CREATE SCHEMA app AUTHORIZATION prio_rls_app;
SET ROLE prio_rls_app;
CREATE TABLE app.accounts (id text PRIMARY KEY, name text, region text);
CREATE TABLE app.events (account text, kind text, at timestamptz);
CREATE INDEX ON app.events (account);
INSERT INTO app.accounts VALUES ('a', 'A', 'north'), ('b', 'B', 'south');
INSERT INTO app.events VALUES ('a', 'inquiry', '2026-01-05 10:00+00'), ('b', 'inquiry', '2026-01-05 10:00+00');
ALTER TABLE app.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY north_only ON app.accounts USING (region = 'north');
-- prio's owner may not read the table: refused, saying what to grant
SELECT pg_temp.err($$SELECT prio.track('app.accounts', 'customers', '{"key": "id", "name": "name"}')$$) AS owner_may_not_read;
GRANT USAGE ON SCHEMA app TO prio_rls_owner;
GRANT SELECT, TRIGGER ON app.accounts, app.events TO prio_rls_owner;
-- the policy applies to prio's owner: refused (it would score from the north only)
SELECT pg_temp.err($$SELECT prio.track('app.accounts', 'customers', '{"key": "id", "name": "name"}')$$) AS policy_applies_to_owner;
RESET ROLE;
SELECT count(*) AS customers_after_refusals FROM prio.customers;
ALTER ROLE prio_rls_owner BYPASSRLS;
SET ROLE prio_rls_app;
SELECT prio.track('app.accounts', 'customers', '{"key": "id", "name": "name"}');
-- (activities: prio's triggers lock the customers' rows of app.accounts first)
SELECT pg_temp.err($$SELECT prio.track('app.events', 'activities', '{"customer": "account", "kind": "kind", "at": "at"}')$$) AS owner_may_not_lock_customers;
-- (0.5: deals too, whose writers lock them first as well)
CREATE TABLE app.opps (id integer PRIMARY KEY, account text, stage text);
RESET ROLE;
GRANT SELECT, TRIGGER ON app.opps TO prio_rls_owner;
SET ROLE prio_rls_app;
SELECT pg_temp.err($$SELECT prio.track('app.opps', 'deals', '{"key": "id", "customer": "account", "stage": "stage"}')$$) AS deals_owner_may_not_lock_customers;
GRANT UPDATE (id) ON app.accounts TO prio_rls_owner;
SELECT prio.track('app.events', 'activities', '{"customer": "account", "kind": "kind", "at": "at"}');
SELECT prio.track('app.opps', 'deals', '{"key": "id", "customer": "account", "stage": "stage"}');
INSERT INTO app.opps VALUES (1, 'a', 'quote');
RESET ROLE;
SELECT d.deal_key, d.stage, s.open_deals FROM prio.deals d JOIN prio.customer_state s USING (customer_id);
SELECT c.name, s.stage FROM prio.customers c JOIN prio.customer_state s USING (customer_id) ORDER BY 1;
-- prio's owner loses BYPASSRLS (the policy of app.accounts applies to it
-- again) and the events get one too: the
-- application's INSERT goes through with a WARNING, recompute() skips the
-- table (a WARNING) and leaves its customers as they were
ALTER ROLE prio_rls_owner NOBYPASSRLS;
SET ROLE prio_rls_app;
ALTER TABLE app.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY mine ON app.events USING (account = 'a');
INSERT INTO app.events VALUES ('b', 'purchase', '2026-01-06 10:00+00');
SELECT count(*) AS events_written FROM app.events;
RESET ROLE;
SELECT source, last_error FROM prio.tracked ORDER BY source::text;
SELECT prio.recompute() AS recompute_with_a_policy;
SELECT c.name, s.stage FROM prio.customers c JOIN prio.customer_state s USING (customer_id) ORDER BY 1;
-- the policy goes: recompute() folds the rows the table has now
SET ROLE prio_rls_app;
ALTER TABLE app.events DISABLE ROW LEVEL SECURITY;
RESET ROLE;
SELECT prio.recompute() AS recompute_without_the_policy;
SELECT c.name, s.stage FROM prio.customers c JOIN prio.customer_state s USING (customer_id) ORDER BY 1;

\c :regdb
DROP DATABASE prio_rls;
DROP ROLE prio_rls_owner, prio_rls_app;
