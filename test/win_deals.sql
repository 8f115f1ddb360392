-- pgTAP: the win model learns from deals (prio.win_outcome's rule).  A customer is
-- decided when nothing is in flight (no open deal, no implicit one) and its last
-- closed deal, or its activities after that deal (lost; won by a purchase), or
-- with no closed deal its activities' stage, say won or lost:
--   W1 a deal closed won in prio.deals alone -> outcome won, with the features of
--      the state row just before (win_features), and the model counts it;
--   W2 a deal closed lost -> outcome lost;
--   W3 a new open deal -> the outcome goes (opened again), and comes back when
--      that deal closes;
--   W4 a deal moved from won to lost -> the outcome turns lost; deleted -> the
--      outcome follows what is left (the activities' stage, or nothing);
--   W5 activities after the deal closed: rejected after a won deal -> lost, a
--      purchase after a lost deal -> won;
--   W6 prio.win_probability(id), prio.followup and prio.explain() give no
--      probability exactly for decided customers (prio.win_outcome);
--   W7 a tracked deals table teaches the model as prio.deals does;
--   W8 live == rebuild: recompute() changes no outcome and no count;
--   W9 the row trigger runs only when an input the rule reads changed: a call
--      to a customer with a closed deal (its last_at changes, which the rule
--      does not read) queues none, whatever its stage; nor does another
--      purchase or rejection that leaves stage_at after the deal; a decision
--      that moves stage_at across the deal's close does;
--   W10 the activities decided after the last closed deal only by an activity
--      that decides (stage_at): a contract (stage won, no purchase) after a
--      lost deal -> won, outcome and lifecycle alike;
--   W11 a lost-stage activity before a won deal is overruled by it: a call
--      after the deal reopens nothing -> won (outcome and lifecycle);
--   W12 several closed deals: the last one's close is the line; a rejection
--      between two won deals -> won, a rejection after the last -> lost;
--   W13 a decision before a lost deal does not outlive it (outcome lost); a
--      purchase after it, by a customer won already, still decides won.
-- Customers 1950.. (owner 'windeals').  Runs in one transaction, rolled back.
BEGIN;
SELECT plan(54);
SET LOCAL client_min_messages = warning;

INSERT INTO prio.customers (customer_id, name, owner, budget, created_at) VALUES
    (1951, 'won deal',                'windeals', true,  now() - interval '60 days'),
    (1952, 'lost deal',               'windeals', false, now() - interval '60 days'),
    (1953, 'won, then a new deal',    'windeals', NULL,  now() - interval '60 days'),
    (1954, 'won deal moved to lost',  'windeals', NULL,  now() - interval '60 days'),
    (1955, 'won deal deleted',        'windeals', NULL,  now() - interval '60 days'),
    (1956, 'won deal, rejected after','windeals', NULL,  now() - interval '60 days'),
    (1957, 'lost deal, bought after', 'windeals', NULL,  now() - interval '60 days'),
    (1958, 'open deal only',          'windeals', NULL,  now() - interval '60 days');
INSERT INTO prio.activities (customer_id, kind, at)
SELECT c, 'inquiry', now() - interval '40 days' FROM generate_series(1951, 1958) c;
INSERT INTO prio.deals (customer_id, stage, amount, created_at)
SELECT c, 'negotiation', 1000, now() - interval '30 days' FROM generate_series(1951, 1958) c;

CREATE TEMP TABLE wd_before AS
SELECT s.customer_id, prio.win_features(s) AS features FROM prio.customer_state s
 WHERE s.customer_id BETWEEN 1951 AND 1958;
SELECT is((SELECT count(*)::int FROM prio.win_outcomes WHERE customer_id BETWEEN 1951 AND 1958), 0,
    'open deals: nobody decided, no outcome');

-- W1, W2: deals close in prio.deals alone (the activities' stage stays interested)
UPDATE prio.deals SET stage = 'won', closed_at = now() - interval '10 days'
 WHERE customer_id IN (1951, 1953, 1954, 1955, 1956);
UPDATE prio.deals SET stage = 'lost', closed_at = now() - interval '10 days'
 WHERE customer_id IN (1952, 1957);
SELECT is((SELECT stage::text FROM prio.customer_state WHERE customer_id = 1951), 'interested',
    'the activities'' stage is not won: only the deal is');
SELECT results_eq(
    $$SELECT customer_id, won FROM prio.win_outcomes WHERE customer_id BETWEEN 1951 AND 1958 ORDER BY 1$$,
    $$VALUES (1951::bigint, true), (1952, false), (1953, true), (1954, true), (1955, true), (1956, true), (1957, false)$$,
    'W1, W2: a deal closed won in prio.deals is an outcome won, one closed lost an outcome lost; the open deal none');
SELECT is((SELECT count(*)::int FROM prio.win_outcomes o JOIN wd_before b USING (customer_id) WHERE o.features = b.features),
    7, 'W1: each outcome keeps win_features() of the state row just before the deal closed');
SELECT is((SELECT features->>'budget' FROM prio.win_outcomes WHERE customer_id = 1951), 'yes',
    'W1: with the customer''s BANT answers among them');
SELECT ok((prio.win_model()->'total'->>0)::int >= 5 AND (prio.win_model()->'total'->>1)::int >= 2,
    'W1: the model counts the deals'' outcomes (won and lost totals)');
SELECT is((SELECT won - lost FROM (SELECT sum(won) AS won, sum(lost) AS lost FROM prio.win_counts
                                    WHERE variable = 'owner' AND value = 'windeals') x)::int, 3,
    'W1: win_counts count them per feature (owner windeals: 5 won, 2 lost)');
SELECT ok(prio.win_probability(1958) > 0.5,
    'the model learnt from the deals: an open deal of the same owner scores above 0.5');

-- W6: decided customers get no probability, anywhere
SELECT is(prio.win_outcome(s), 'won', 'W6: win_outcome() of a won deal''s customer is won')
  FROM prio.customer_state s WHERE s.customer_id = 1951;
SELECT is(prio.win_outcome(s), 'lost', 'W6: win_outcome() of a lost deal''s customer is lost')
  FROM prio.customer_state s WHERE s.customer_id = 1952;
SELECT is(prio.win_probability(1952), NULL, 'W6: win_probability(id) of a customer whose last deal was lost is NULL');
SELECT is((SELECT win_probability FROM prio.followup WHERE customer_id = 1952), NULL,
    'W6: prio.followup gives it no probability either');
SELECT is(prio.explain(1952)->'win', '{"closed": "lost"}'::jsonb, 'W6: explain() says it closed lost');
SELECT is(prio.explain(1951)->'win', '{"closed": "won"}'::jsonb, 'W6: and a won deal''s customer closed won');
SELECT is((SELECT count(*)::int FROM prio.followup f JOIN prio.customer_state s USING (customer_id)
            WHERE f.owner = 'windeals' AND (f.win_probability IS NULL) <> (prio.win_outcome(s) IS NOT NULL)),
    0, 'W6: followup has a probability exactly for the customers win_outcome() leaves undecided');

-- W3: a new open deal opens the customer again
INSERT INTO prio.deals (customer_id, stage, amount) VALUES (1953, 'quote', 500);
SELECT is((SELECT count(*)::int FROM prio.win_outcomes WHERE customer_id = 1953), 0,
    'W3: a new open deal removes the outcome (opened again)');
SELECT ok(prio.win_probability(1953) IS NOT NULL, 'W3: it has a probability again');
UPDATE prio.deals SET stage = 'lost', closed_at = now() WHERE customer_id = 1953 AND stage = 'quote';
SELECT is((SELECT won FROM prio.win_outcomes WHERE customer_id = 1953), false,
    'W3: that deal closed lost: the outcome is back, lost (the last closed deal decides)');

-- W4: a deal moved, a deal deleted
UPDATE prio.deals SET stage = 'lost' WHERE customer_id = 1954;
SELECT is((SELECT won FROM prio.win_outcomes WHERE customer_id = 1954), false,
    'W4: a deal moved from won to lost turns the outcome lost');
DELETE FROM prio.deals WHERE customer_id = 1955;
SELECT is((SELECT count(*)::int FROM prio.win_outcomes WHERE customer_id = 1955), 0,
    'W4: the won deal deleted, the activities decide nothing: the outcome goes');
SELECT ok(prio.win_probability(1955) IS NOT NULL, 'W4: and it has a probability again');

-- W5: what the activities say after the deal closed
INSERT INTO prio.activities (customer_id, kind, at) VALUES (1956, 'rejected', now() - interval '2 days');
SELECT is((SELECT won FROM prio.win_outcomes WHERE customer_id = 1956), false,
    'W5: rejected after a won deal: lost, as its effective stage');
SELECT is((SELECT effective_stage::text FROM prio.customer_state WHERE customer_id = 1956), 'lost',
    'W5: (the lifecycle agrees: lost after the win)');
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES (1957, 'purchase', now() - interval '2 days', 800);
SELECT is((SELECT won FROM prio.win_outcomes WHERE customer_id = 1957), true,
    'W5: a purchase after a lost deal: won');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (1952, 'call', now() - interval '1 day');
SELECT is((SELECT won FROM prio.win_outcomes WHERE customer_id = 1952), false,
    'W5: an outbound call after a lost deal decides nothing: still lost');

-- W10..W13: what the activities decided after the last closed deal (stage_at)
INSERT INTO prio.customers (customer_id, name, owner, created_at) VALUES
    (1961, 'lost deal, contract after',        'windeals2', now() - interval '60 days'),
    (1962, 'rejected, won deal, a call',       'windeals2', now() - interval '60 days'),
    (1963, 'won deal, rejected, won deal',     'windeals2', now() - interval '60 days'),
    (1964, 'contract, then a lost deal',       'windeals2', now() - interval '60 days'),
    (1965, 'bought, lost deal, bought again',  'windeals2', now() - interval '60 days');
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (1961, 'inquiry',  now() - interval '40 days', 0),
    (1962, 'rejected', now() - interval '40 days', 0),
    (1963, 'inquiry',  now() - interval '40 days', 0),
    (1963, 'rejected', now() - interval '20 days', 0),
    (1964, 'contract', now() - interval '40 days', 0),
    (1965, 'purchase', now() - interval '40 days', 500);
INSERT INTO prio.deals (customer_id, stage, amount, created_at, closed_at) VALUES
    (1961, 'lost', 1000, now() - interval '30 days', now() - interval '10 days'),
    (1962, 'won',  1000, now() - interval '30 days', now() - interval '10 days'),
    (1963, 'won',  1000, now() - interval '35 days', now() - interval '30 days'),
    (1963, 'won',  1000, now() - interval '15 days', now() - interval '10 days'),
    (1964, 'lost', 1000, now() - interval '30 days', now() - interval '10 days'),
    (1965, 'lost', 1000, now() - interval '30 days', now() - interval '10 days');
SELECT is((SELECT stage_at FROM prio.customer_state WHERE customer_id = 1963), now() - interval '20 days',
    'stage_at: the time of the activity that last decided the stage (the rejection)');
SELECT is((SELECT stage_at FROM prio.customer_state WHERE customer_id = 1961), NULL,
    'stage_at: NULL while no activity decided won or lost');

-- the outcome and the lifecycle stage, as one text
CREATE FUNCTION pg_temp.wd_decided(id bigint) RETURNS text LANGUAGE sql AS $$
SELECT coalesce((SELECT CASE WHEN won THEN 'won' ELSE 'lost' END FROM prio.win_outcomes WHERE customer_id = id), 'none')
       || ' / ' || (SELECT effective_stage::text FROM prio.customer_state WHERE customer_id = id) $$;

INSERT INTO prio.activities (customer_id, kind, at) VALUES (1961, 'contract', now() - interval '2 days');
SELECT is(pg_temp.wd_decided(1961), 'won / won',
    'W10: a contract (stage won, not a purchase) after a lost deal decides won, outcome and lifecycle stage');
SELECT is(prio.win_outcome(s), 'won', 'W10: win_outcome() says won')
  FROM prio.customer_state s WHERE s.customer_id = 1961;
INSERT INTO prio.activities (customer_id, kind, at) VALUES (1961, 'call', now() - interval '1 day');
SELECT is(pg_temp.wd_decided(1961), 'won / won', 'W10: a call after the contract decides nothing: still won');

INSERT INTO prio.activities (customer_id, kind, at) VALUES (1962, 'call', now() - interval '2 days');
SELECT is(pg_temp.wd_decided(1962), 'won / won',
    'W11: rejected before a won deal, a call after it: won (the rejection came before the deal), outcome and lifecycle stage');
SELECT is(prio.explain(1962)->'win', '{"closed": "won"}'::jsonb, 'W11: explain() says it closed won');

INSERT INTO prio.activities (customer_id, kind, at) VALUES (1963, 'call', now() - interval '2 days');
SELECT is(pg_temp.wd_decided(1963), 'won / won',
    'W12: a rejection between two won deals, a call after the last: won, outcome and lifecycle stage');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (1963, 'rejected', now() - interval '1 day');
SELECT is(pg_temp.wd_decided(1963), 'lost / lost', 'W12: rejected after the last won deal: lost');

SELECT is(pg_temp.wd_decided(1964), 'lost / won',
    'W13: a contract before a lost deal: the deal decides the outcome, lost (the lifecycle stays the activities'')');
SELECT is((SELECT won FROM prio.win_outcomes WHERE customer_id = 1965), false,
    'W13: a purchase before a lost deal: lost');
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES (1965, 'purchase', now() - interval '2 days', 300);
SELECT is((SELECT won FROM prio.win_outcomes WHERE customer_id = 1965), true,
    'W13: a purchase after the lost deal, the customer won already: won');
SELECT is(prio.win_probability(1965), NULL, 'W13: decided: no probability');

-- W7: a tracked deals table
CREATE SCHEMA wd_app;
CREATE TABLE wd_app.opps (id integer PRIMARY KEY, customer bigint, stage text, value numeric);
SELECT prio.track('wd_app.opps', 'deals', '{"key": "id", "customer": "customer", "amount": "value", "stage": "stage"}');
INSERT INTO wd_app.opps VALUES (1, 1958, 'won', 900);
SELECT is((SELECT count(*)::int FROM prio.win_outcomes WHERE customer_id = 1958), 0,
    'W7: a tracked deal won while another deal of the customer is open: not decided');
DELETE FROM prio.deals WHERE customer_id = 1958 AND source IS NULL;
SELECT is((SELECT won FROM prio.win_outcomes WHERE customer_id = 1958), true,
    'W7: the open deal gone, the tracked table''s won deal decides: won');
UPDATE wd_app.opps SET stage = 'lost' WHERE id = 1;
SELECT is((SELECT won FROM prio.win_outcomes WHERE customer_id = 1958), false,
    'W7: the tracked row moved to lost: the outcome turns lost');
INSERT INTO wd_app.opps VALUES (2, 1958, 'quote', 100);
SELECT is((SELECT count(*)::int FROM prio.win_outcomes WHERE customer_id = 1958), 0,
    'W7: a new open deal in the tracked table opens it again');
DELETE FROM wd_app.opps WHERE id = 2;
SELECT is((SELECT won FROM prio.win_outcomes WHERE customer_id = 1958), false,
    'W7: that row deleted: the lost deal decides again');

-- W8: live == rebuild
CREATE TEMP TABLE wd_live AS
SELECT (SELECT array_agg(ARRAY[customer_id, won::int] ORDER BY customer_id) FROM prio.win_outcomes) AS outcomes,
       (SELECT array_agg(ARRAY[variable, value, won::text, lost::text] ORDER BY variable, value)
          FROM (SELECT variable, value, sum(won) AS won, sum(lost) AS lost FROM prio.win_counts
                 GROUP BY 1, 2 HAVING sum(won) <> 0 OR sum(lost) <> 0) c) AS counts;
SELECT lives_ok('SELECT prio.recompute()', 'W8: recompute() runs');
SELECT is((SELECT array_agg(ARRAY[customer_id, won::int] ORDER BY customer_id) FROM prio.win_outcomes),
          (SELECT outcomes FROM wd_live), 'W8: recompute() finds every outcome as the live writes left it');
SELECT is((SELECT array_agg(ARRAY[variable, value, won::text, lost::text] ORDER BY variable, value) FROM prio.win_counts),
          (SELECT counts FROM wd_live), 'W8: and the counts too (summed up, equal)');

-- W9: the row trigger's WHEN lets through only changes the rule reads
SET LOCAL track_functions = 'all';
CREATE FUNCTION pg_temp.wd_closed_calls() RETURNS bigint LANGUAGE sql AS $$
    SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_xact_user_functions
     WHERE funcid = 'prio.state_closed()'::regprocedure $$;
CREATE TEMP TABLE wd_calls AS SELECT pg_temp.wd_closed_calls() AS n;
INSERT INTO prio.activities (customer_id, kind, at) VALUES (1951, 'call', now());
SELECT is(pg_temp.wd_closed_calls() - (SELECT n FROM wd_calls), 0::bigint,
    'W9: a call to a won deal''s customer (stage interested: last_at is not read) runs no state_closed');
SELECT is((SELECT won FROM prio.win_outcomes WHERE customer_id = 1951), true, 'W9: still won');
UPDATE wd_calls SET n = pg_temp.wd_closed_calls();
INSERT INTO prio.activities (customer_id, kind, at) VALUES (1956, 'call', now());
SELECT is(pg_temp.wd_closed_calls() - (SELECT n FROM wd_calls), 0::bigint,
    'W9: a call to a customer whose stage is lost after its deal (a call decides nothing) runs none either');
SELECT is((SELECT won FROM prio.win_outcomes WHERE customer_id = 1956), false, 'W9: still lost');
UPDATE wd_calls SET n = pg_temp.wd_closed_calls();
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES (1957, 'purchase', now(), 100);
SELECT is(pg_temp.wd_closed_calls() - (SELECT n FROM wd_calls), 0::bigint,
    'W9: another purchase of a customer won after its lost deal (stage_at stays after the deal) runs none');
UPDATE wd_calls SET n = pg_temp.wd_closed_calls();
INSERT INTO prio.activities (customer_id, kind, at) VALUES (1963, 'rejected', now());
SELECT is(pg_temp.wd_closed_calls() - (SELECT n FROM wd_calls), 0::bigint,
    'W9: another rejection of a customer lost after its won deal runs none');
UPDATE wd_calls SET n = pg_temp.wd_closed_calls();
INSERT INTO prio.activities (customer_id, kind, at) VALUES (1964, 'contract', now());
SELECT is(pg_temp.wd_closed_calls() - (SELECT n FROM wd_calls), 1::bigint,
    'W9: a contract after a lost deal, the stage won already by one before it (stage_at crosses the deal''s close) runs it');
SELECT is((SELECT won FROM prio.win_outcomes WHERE customer_id = 1964), true, 'W9: and turns the outcome won');

ROLLBACK;
