-- prio.track() of activities with several events per row (issue 18, "Show
-- it on real data": one opportunity is an engagement and then a purchase or
-- a rejection).  The activities mapping may be an array of mappings, or
-- "events" holding one beside keys every event shares (such as the
-- customer); each event is checked as a mapping of its own, and errors name
-- it.  The events of a row are compiled into the one event source query (a
-- LATERAL VALUES list), so every path reads them alike: live INSERT,
-- UPDATE, DELETE, COPY, TRUNCATE equal recompute(); unmapped kinds count
-- events.  Then the bad input.
SET timezone = 'UTC';
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;
CREATE SCHEMA app_ev;
CREATE TABLE app_ev.accounts (id text PRIMARY KEY, name text);
CREATE TABLE app_ev.deals (id integer PRIMARY KEY, account text, referrer text, stage text,
                           engaged_at timestamptz, closed_at timestamptz, value numeric);
CREATE INDEX ON app_ev.deals (account);
INSERT INTO app_ev.accounts VALUES ('acme', 'Acme'), ('beta', 'Beta'), ('gamma', 'Gamma');
INSERT INTO app_ev.deals VALUES
    (1, 'acme', NULL,   'won',      '2026-01-02 10:00+00', '2026-01-10 10:00+00', 100),
    (2, 'acme', 'beta', 'lost',     '2026-01-03 10:00+00', '2026-01-11 10:00+00', 0),
    (3, 'beta', NULL,   'engaging', '2026-01-04 10:00+00', NULL, NULL),
    (4, NULL,   'gamma','won',      '2026-01-05 10:00+00', '2026-01-12 10:00+00', 40),
    -- engaged and won at one instant: two events of one row tie
    (5, 'gamma', NULL,  'won',      '2026-01-06 10:00+00', '2026-01-06 10:00+00', 25);
-- the facts prio folded, per account
CREATE FUNCTION pg_temp.folded() RETURNS TABLE (account text, frequency bigint, monetary numeric, stage prio.stage,
                                                first_at timestamptz, last_at timestamptz, last_inbound_at timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('SELECT m.key, s.frequency, s.monetary, s.stage, s.first_at, s.last_at, s.last_inbound_at
                                   FROM %s m JOIN prio.customer_state s USING (customer_id) ORDER BY 1',
                                (SELECT t.key_map FROM prio.tracked t WHERE t.source = 'app_ev.accounts'::regclass));
END $$;
SELECT prio.track('app_ev.accounts', 'customers', '{"key": "id", "name": "name"}');

-- An array of mappings, each with its own customer: the deal's engagement
-- (a meeting) and its close for the account, a reply for the referrer.
SELECT prio.track('app_ev.deals', 'activities', $$[
    {"customer": "account", "kind": "'meeting'", "at": "engaged_at"},
    {"customer": "account", "kind": "CASE stage WHEN 'won' THEN 'purchase' WHEN 'lost' THEN 'rejected' END",
     "at": "closed_at", "amount": "value"},
    {"customer": "referrer", "kind": "'reply'", "at": "engaged_at"}]$$);
-- stored as "events"
SELECT source, mapping FROM prio.tracked WHERE source = 'app_ev.deals'::regclass;
SELECT * FROM pg_temp.folded();
-- kinds are counted per event: the open deal's close has none
SELECT * FROM prio.unmapped_kinds;
SELECT prio.recompute() AS facts_recompute_fixed_after_track;
-- INSERT (a tie again), UPDATE (the referrer moves; a deal closes), DELETE,
-- COPY: each reaches prio in the same statement, equal to recompute()
INSERT INTO app_ev.deals VALUES (6, 'beta', 'acme', 'won', '2026-01-13 10:00+00', '2026-01-13 10:00+00', 70);
SELECT * FROM pg_temp.folded();
SELECT prio.recompute() AS facts_recompute_fixed_after_insert;
UPDATE app_ev.deals SET referrer = 'gamma' WHERE id = 2;
UPDATE app_ev.deals SET stage = 'won', closed_at = '2026-01-14 10:00+00', value = 30 WHERE id = 3;
SELECT * FROM pg_temp.folded();
SELECT prio.recompute() AS facts_recompute_fixed_after_update;
DELETE FROM app_ev.deals WHERE id = 1;
COPY app_ev.deals FROM stdin;
7	gamma	beta	lost	2026-01-15 10:00:00+00	2026-01-16 10:00:00+00	0
\.
SELECT * FROM pg_temp.folded();
SELECT prio.recompute() AS facts_recompute_fixed_after_delete_copy;
-- an account the customers table gets after its deals (as the referrer of
-- one): folded with them at once
INSERT INTO app_ev.deals VALUES (8, 'acme', 'delta', 'engaging', '2026-01-17 10:00+00', NULL, NULL);
INSERT INTO app_ev.accounts VALUES ('delta', 'Delta');
SELECT * FROM pg_temp.folded() WHERE account = 'delta';
SELECT prio.recompute() AS facts_recompute_fixed_after_new_account;
TRUNCATE app_ev.deals;
SELECT * FROM pg_temp.folded();
SELECT prio.recompute() AS facts_recompute_fixed_after_truncate;
SELECT prio.untrack('app_ev.deals');

-- "events" beside the keys they share (the customer); the same facts as
-- the array that gives each its own
INSERT INTO app_ev.deals VALUES
    (1, 'acme', NULL,   'won',      '2026-01-02 10:00+00', '2026-01-10 10:00+00', 100),
    (2, 'acme', 'beta', 'lost',     '2026-01-03 10:00+00', '2026-01-11 10:00+00', 0),
    (5, 'gamma', NULL,  'won',      '2026-01-06 10:00+00', '2026-01-06 10:00+00', 25);
SELECT prio.track('app_ev.deals', 'activities', $${"customer": "account", "customers": "app_ev.accounts",
    "events": [{"kind": "'meeting'", "at": "engaged_at"},
               {"kind": "CASE stage WHEN 'won' THEN 'purchase' WHEN 'lost' THEN 'rejected' END",
                "at": "closed_at", "amount": "value"}]}$$);
CREATE TEMP TABLE events_form AS SELECT * FROM pg_temp.folded();
SELECT prio.untrack('app_ev.deals');
SELECT prio.track('app_ev.deals', 'activities', $$[
    {"customer": "account", "kind": "'meeting'", "at": "engaged_at"},
    {"customer": "account", "kind": "CASE stage WHEN 'won' THEN 'purchase' WHEN 'lost' THEN 'rejected' END",
     "at": "closed_at", "amount": "value"}]$$);
SELECT (SELECT count(*) FROM events_form) AS accounts,
       NOT EXISTS (SELECT * FROM events_form EXCEPT SELECT * FROM pg_temp.folded()) AS same_facts;
-- an event dated ahead (an expected close) is a planned touch, as with one
-- event a row: stored aside (next_planned_at), not folded yet
INSERT INTO app_ev.deals VALUES (6, 'beta', NULL, 'won', '2026-01-07 10:00+00', now() + interval '30 days', 70);
SELECT s.next_planned_at > now() AS planned, s.frequency
  FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
 WHERE c.source = 'app_ev.accounts'::regclass AND c.customer_key = 'beta';
SELECT prio.recompute() AS facts_recompute_fixed_with_planned;
SELECT prio.untrack('app_ev.deals');

-- Bad input: each event checked as a mapping, errors naming it; nothing
-- half-done
CREATE TEMP TABLE sources_before AS SELECT count(*) AS n FROM prio.sources;
SELECT pg_temp.err($$SELECT prio.track('app_ev.deals', 'activities', '{"customer": "account", "events": {"kind": "stage", "at": "engaged_at"}}')$$) AS events_not_an_array;
SELECT pg_temp.err($$SELECT prio.track('app_ev.deals', 'activities', '{"customer": "account", "events": []}')$$) AS events_empty;
SELECT pg_temp.err($$SELECT prio.track('app_ev.deals', 'activities', '[]')$$) AS array_empty;
SELECT pg_temp.err($$SELECT prio.track('app_ev.deals', 'activities', '{"customer": "account", "events": [{"kind": "stage", "at": "engaged_at"}, "closed_at"]}')$$) AS event_not_an_object;
SELECT pg_temp.err($$SELECT prio.track('app_ev.deals', 'activities', '{"customer": "account", "events": [{"kind": "stage", "at": "engaged_at"}, {"kind": "stage", "at": "closd_at"}]}')$$) AS event_missing_column;
SELECT pg_temp.err($$SELECT prio.track('app_ev.deals', 'activities', '{"customer": "account", "events": [{"kind": "stage", "at": "engaged_at"}, {"kind": "stage"}]}')$$) AS event_at_missing;
SELECT pg_temp.err($$SELECT prio.track('app_ev.deals', 'activities', '{"customer": "account", "events": [{"kind": "stage", "at": "engaged_at", "events": []}]}')$$) AS event_nested_events;
SELECT pg_temp.err($$SELECT prio.track('app_ev.deals', 'activities', '{"customer": "account", "events": [{"kind": "stage", "at": "engaged_at"}, {"kind": "stage", "at": "closed_at", "amount": "stage"}]}')$$) AS event_amount_a_text;
SELECT pg_temp.err($$SELECT prio.track('app_ev.deals', 'activities', '[{"customer": "account", "kind": "stage", "at": "engaged_at"}, {"customer": "id", "kind": "stage", "at": "closed_at"}]')$$) AS event_customer_of_another_type;
SELECT pg_temp.err($$SELECT prio.track('app_ev.deals', 'activities', '[{"customer": "account", "kind": "stage", "at": "engaged_at", "customers": "app_ev.accounts"}, {"customer": "referrer", "kind": "stage", "at": "closed_at"}]')$$) AS events_of_different_customers_tables;
-- (a customers mapping is one object)
CREATE TABLE app_ev.leads (id text PRIMARY KEY);
SELECT pg_temp.err($$SELECT prio.track('app_ev.leads', 'customers', '[{"key": "id"}]')$$) AS customers_mapping_an_array;
SELECT pg_temp.err($$SELECT prio.track('app_ev.leads', 'customers', '{"key": "id", "events": [{"key": "id"}]}')$$) AS customers_mapping_with_events;
SELECT (SELECT count(*) FROM prio.sources) = n AS nothing_half_done FROM sources_before;

-- clean up
SELECT prio.untrack('app_ev.accounts');
DROP SCHEMA app_ev CASCADE;
