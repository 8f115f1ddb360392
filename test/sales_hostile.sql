-- pgTAP: prio's sales features used as a sales manager and a BI analyst use
-- them, at their edges (hostile4).  The rules, each asserted below:
--   S1  The win probability is shown for whoever has a deal in flight, and for
--       nobody whose business is decided: a customer with an open deal (or the
--       implicit deal) has it in prio.followup, prio.explain() and
--       prio.win_probability(id) even when an earlier purchase or won deal
--       made it "won"; a customer whose only deal was won (effective stage won,
--       no open deal) has none, in all three.  followup's weighted_pipeline is
--       its pipeline x its win_probability, never a number beside a NULL.
-- Customers 94001.. (owner 'hostile4'); times relative to now(); rolled back.
BEGIN;
SELECT plan(9);

\ir lib/rebuild_check.psql

------------------------------------------------------------------------
-- S1. the win probability of deals in flight, none for decided business
------------------------------------------------------------------------
INSERT INTO prio.customers (customer_id, name, owner) VALUES
    (94001, 'bought before, new deal in negotiation', 'hostile4'),
    (94002, 'won its only deal', 'hostile4'),
    (94003, 'bought before, nothing open', 'hostile4');
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (94001, 'purchase', now() - interval '60 days', 500),
    (94003, 'purchase', now() - interval '60 days', 500);
INSERT INTO prio.deals (customer_id, stage, amount) VALUES
    (94001, 'negotiation', 50000),
    (94002, 'won', 5000);

SELECT is((SELECT (stage, win_probability IS NOT NULL,
                   weighted_pipeline IS NOT DISTINCT FROM pipeline * win_probability::numeric)::text
             FROM prio.followup WHERE customer_id = 94001),
          '(closing,t,t)',
          'S1: followup shows the win probability of a repeat buyer''s new open deal, and weighted_pipeline = pipeline x win_probability');
SELECT is((SELECT (p IS NOT NULL, p = f.win_probability)::text
             FROM (SELECT (prio.explain(94001) -> 'win' ->> 'probability')::float8 AS p) e,
                  prio.followup f WHERE f.customer_id = 94001),
          '(t,t)',
          'S1: explain() gives the repeat buyer''s open deal the followup''s win probability');
SELECT is((SELECT (p IS NOT NULL, p = f.win_probability)::text
             FROM (SELECT prio.win_probability(94001::bigint) AS p) w,
                  prio.followup f WHERE f.customer_id = 94001),
          '(t,t)',
          'S1: win_probability(customer_id) of the repeat buyer''s open deal is the followup''s');
SELECT is((SELECT (stage, win_probability, weighted_pipeline)::text FROM prio.followup WHERE customer_id = 94002),
          '(won,,)',
          'S1: a customer whose only deal was won has no win probability in followup');
SELECT is(prio.explain(94002) -> 'win', '{"closed": "won"}',
          'S1: explain() says the won deal''s customer is closed (won)');
SELECT is(prio.win_probability(94002::bigint), NULL,
          'S1: win_probability(customer_id) is NULL for the won deal''s customer');
SELECT is((SELECT (stage, win_probability, weighted_pipeline)::text FROM prio.followup WHERE customer_id = 94003),
          '(won,,)',
          'S1: a buyer with nothing open has no win probability (as in 0.4)');
SELECT is(prio.explain(94003) -> 'win', '{"closed": "won"}',
          'S1: explain() says the buyer with nothing open is closed (won)');

SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'live state equals a full rebuild after all of the above');

SELECT * FROM finish();
ROLLBACK;
