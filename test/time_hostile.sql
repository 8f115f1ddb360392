-- pgTAP: prio through time, as a sales manager in Shanghai and a DBA whose
-- servers run in UTC try it (hostile round 10).  The rules, each asserted below:
--   H1  refresh(as_of) in the past of a customer's facts never counts an
--       event above its weight: intent_at is the newest folded event, and
--       taking its decay back made one email_open (0.5) one hour ago worth
--       9.8 at refresh(now() - 60 days), tier C "decayed intent >= 3".
-- Then a labelled block of bad time arguments: each refused with its own
-- SQLSTATE, never XX000.
-- Customers 99101..; times relative to now(); rolled back.
BEGIN;
SELECT plan(7);

CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'ok'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END$$;

------------------------------------------------------------------------
-- H1. refresh(as_of) in the past: no event counts above its weight
------------------------------------------------------------------------
INSERT INTO prio.customers (customer_id, name, owner, created_at) VALUES
    (99101, 'one email open', 'th', now() - interval '200 days');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (99101, 'email_open', now() - interval '1 hour');
SELECT prio.refresh(now() - interval '60 days') IS NOT NULL AS refreshed;
SELECT is((SELECT (tier, intent_high) FROM prio.customer_state WHERE customer_id = 99101),
          ROW('D'::text, false),
          'H1: refresh(as_of) 60 days back leaves a customer whose only event weighs 0.5 at intent low, tier D (its decay is not taken back above its weight)');
SELECT prio.refresh() IS NOT NULL AS refreshed;
SELECT is((SELECT count(*) FROM prio.tier_history WHERE customer_id = 99101 AND reason LIKE 'refresh:%'),
          0::bigint, 'H1: neither refresh wrote a tier change for it');

------------------------------------------------------------------------
-- Bad input: time arguments refused with their own SQLSTATE, never XX000
------------------------------------------------------------------------
SELECT is(pg_temp.sqlstate_of($$SELECT prio.refresh('-infinity')$$), '22023', 'bad input: refresh(-infinity) is 22023');
SELECT is(pg_temp.sqlstate_of($$SELECT prio.refresh(now() + interval '11 years')$$), '22023',
          'bad input: refresh() more than 10 years ahead is 22023');
SELECT is(pg_temp.sqlstate_of($$SELECT prio.reason(s, 'infinity') FROM prio.customer_state s LIMIT 1$$), '22023',
          'bad input: reason() at +infinity is 22023');
SELECT is(pg_temp.sqlstate_of($$SELECT prio.reactivation_reason('silent', now(), 0, 0, NULL, now(), NULL)$$), '22004',
          'bad input: reactivation_reason() at a NULL as_of is 22004');
SELECT is(pg_temp.sqlstate_of($$INSERT INTO prio.activities (customer_id, kind, at) VALUES (99101, 'call', now() + interval '2 days')$$),
          '22008', 'bad input: prio.activities refuses a row more than a day ahead with 22008');

SELECT * FROM finish();
ROLLBACK;
