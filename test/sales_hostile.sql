-- pgTAP: prio's sales features used as a sales manager and a BI analyst use
-- them, at their edges (hostile4).  The rules, each asserted below:
--   S1  The win probability is shown for whoever has a deal in flight, and for
--       nobody whose business is decided: a customer with an open deal (or the
--       implicit deal) has it in prio.followup, prio.explain() and
--       prio.win_probability(id) even when an earlier purchase or won deal
--       made it "won"; a customer whose only deal was won (effective stage won,
--       no open deal) has none, in all three.  followup's weighted_pipeline is
--       its pipeline x its win_probability, never a number beside a NULL.
--   S2  A CLV model the value side uses takes effect at once: with the clv
--       value signal at a threshold, prio.fit_clv() called by an admin (not
--       only by prio.refresh()) re-tiers whoever its model moves, so the live
--       state equals a rebuild right after it.
--   S3  What the catalogue says of priority holds: with an open deal it goes
--       above 100 (up to 100 + settings.weight_funnel), and the comments of
--       customer_state.priority and followup.priority say so, not "0-100".
-- Customers 94001.. (owner 'hostile4'); times relative to now(); rolled back.
BEGIN;
SELECT plan(15);

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

------------------------------------------------------------------------
-- S2. fit_clv() re-tiers by the CLV value signal
------------------------------------------------------------------------
UPDATE prio.settings SET clv_min_repeat_buyers = 3;
UPDATE prio.value_signals SET threshold = 1 WHERE signal = 'clv';
-- a BG/NBD world over 78 weeks up to now (as test/clv_engine.sql): purchase
-- rates from a gamma-like mix, a dropout chance after each purchase
SELECT setseed(0.4242);
INSERT INTO prio.customers (customer_id, name, owner)
SELECT 94100 + g, 'buyer ' || g, 'hostile4' FROM generate_series(1, 200) g;
INSERT INTO prio.activities (customer_id, kind, at, amount)
WITH RECURSIVE c AS (
    SELECT 94100 + g AS id, -ln(1 - random()) * 0.3 + 0.01 AS lam, random() * 0.4 AS p, random() * 60 AS t0,
           20 + 200 * random() ^ 2 AS spend
      FROM generate_series(1, 200) g
), p AS (
    SELECT id, lam, p, spend, t0 AS t, 1 AS n FROM c
    UNION ALL
    SELECT id, lam, p, spend, t + (-ln(1 - random()) / lam), n + 1 FROM p WHERE random() > p AND n < 100
)
SELECT id, 'purchase', now() - interval '78 weeks' + t * interval '1 week', round((spend * (0.5 + random()))::numeric, 2)
  FROM p WHERE t < 77.9;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'S2: before any fit the live state equals a full rebuild');
SELECT isnt((SELECT (prio.fit_clv()).gammagamma), NULL, 'S2: both CLV models fitted');
SELECT is((SELECT (count(*) > 0, count(*) FILTER (WHERE NOT s.value_high))::text
             FROM prio.customer_state s
            WHERE s.customer_id BETWEEN 94101 AND 94300
              AND prio.explain(s.customer_id) -> 'value_signals_fired' = '["clv"]'),
          '(t,0)',
          'S2: right after fit_clv() the customers whose CLV alone reaches the threshold are stored high value');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'S2: after fit_clv() with the clv value signal at 1 the live state equals a full rebuild');

------------------------------------------------------------------------
-- S3. the range of priority, as the catalogue states it
------------------------------------------------------------------------
SELECT is((SELECT (priority > 100, priority <= 100 + (SELECT weight_funnel FROM prio.settings))::text
             FROM prio.followup WHERE customer_id = 94001),
          '(t,t)', 'S3: a customer with a deal in negotiation has a priority above 100, within 100 + weight_funnel');
SELECT is((SELECT array_agg(d ORDER BY d) FILTER (WHERE d LIKE '%0-100%' AND d NOT LIKE '%weight_funnel%')
             FROM (SELECT col_description(c.oid, a.attnum) AS d
                     FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                    WHERE c.oid IN ('prio.customer_state'::regclass, 'prio.followup'::regclass)
                      AND a.attname = 'priority') x),
          NULL, 'S3: no comment on priority claims 0-100 without the funnel term');

SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'live state equals a full rebuild after all of the above');

SELECT * FROM finish();
ROLLBACK;
