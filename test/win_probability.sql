-- pgTAP: win probability.  Customers close (won or lost) with features drawn
-- from known rates; open customers from the same world are then scored and
-- the scores must be calibrated (reliability table below) and beat the
-- base-rate predictor's Brier score.  The counts prio keeps live must equal
-- the ones rebuilt from the outcomes after random activity.
BEGIN;
SELECT plan(35);
SET LOCAL timezone = 'UTC';

SELECT is(prio.win_probability('{"budget": "yes"}'::jsonb), 0.5::double precision, 'no outcomes yet: 0.5');

-- The world: P(won) = 0.4; given the outcome, independent features.
SELECT setseed(0.77);
CREATE TEMP TABLE world AS
SELECT g AS id, g <= 3000 AS train, w AS won,
       random() < CASE WHEN w THEN 0.7 ELSE 0.3 END AS budget,
       random() < CASE WHEN w THEN 0.6 ELSE 0.4 END AS authority,
       random() < CASE WHEN w THEN 0.8 ELSE 0.5 END AS need,
       CASE WHEN w THEN (ARRAY['rep_a','rep_a','rep_a','rep_a','rep_a','rep_b','rep_b','rep_b','rep_c','rep_c'])[1 + floor(random() * 10)::int]
            ELSE (ARRAY['rep_a','rep_a','rep_b','rep_b','rep_b','rep_c','rep_c','rep_c','rep_c','rep_c'])[1 + floor(random() * 10)::int] END AS owner,
       random() < CASE WHEN w THEN 0.7 ELSE 0.3 END AS opened_email,
       random() < 0.5 AS visited
  FROM (SELECT g, random() < 0.4 AS w FROM generate_series(1, 5000) g) x;
INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need)
SELECT 50000 + id, 'Deal ' || id, owner, budget, authority, need FROM world;
INSERT INTO prio.activities (customer_id, kind, at)
SELECT 50000 + id, 'reply', now() - interval '10 days' FROM world
UNION ALL SELECT 50000 + id, 'email_open', now() - interval '9 days' FROM world WHERE opened_email
UNION ALL SELECT 50000 + id, 'visit', now() - interval '8 days' FROM world WHERE visited;
-- plans from what is loaded now, not from whatever autovacuum last counted: a
-- vacuum after an earlier test's rollback left customer_state at 0 rows, and
-- the follow-up join below ran for minutes as a quadratic nested loop
ANALYZE prio.customers, prio.activities, prio.customer_state, world;
-- the training deals close; their features just before, as win_features() gives them
CREATE TEMP TABLE before_close AS
SELECT s.customer_id, prio.win_features(s) AS features
  FROM prio.customer_state s JOIN world w ON s.customer_id = 50000 + w.id WHERE w.train;
INSERT INTO prio.activities (customer_id, kind, at)
SELECT 50000 + id, CASE WHEN won THEN 'contract' ELSE 'rejected' END, now() - interval '1 day'
  FROM world WHERE train ORDER BY random();

SELECT is((SELECT count(*) FROM prio.win_outcomes WHERE customer_id > 50000), 3000::bigint,
          'every closed deal has an outcome');
SELECT is((SELECT count(*) FROM prio.win_outcomes o JOIN world w ON o.customer_id = 50000 + w.id
            WHERE o.won = w.won AND o.features->>'stage' = 'interested'
              AND o.features->>'kind:email_open' = CASE WHEN w.opened_email THEN 'yes' ELSE 'no' END
              AND o.features->>'budget' = CASE WHEN w.budget THEN 'yes' ELSE 'no' END
              AND o.features->>'owner' = w.owner),
          3000::bigint, 'each outcome holds its features from before the close (stage, kinds, BANT, owner)');
SELECT is((SELECT count(*) FROM prio.win_outcomes o JOIN before_close b USING (customer_id)
            WHERE o.features = b.features), 3000::bigint,
          'the features the closing statement wrote (C) equal win_features() of the row before');
SELECT is((SELECT count(*) FROM prio.win_outcomes WHERE features ? 'kind:contract' OR features ? 'kind:rejected'),
          0::bigint, 'kinds that close a deal are not features');

-- scores of the open deals
CREATE TEMP TABLE scored AS
SELECT w.id, w.won, f.win_probability AS p FROM world w JOIN prio.followup f ON f.customer_id = 50000 + w.id
 WHERE NOT w.train;
SELECT is((SELECT count(*) FROM scored WHERE p > 0 AND p < 1), 2000::bigint, 'every open deal has a probability strictly between 0 and 1');
SELECT is((SELECT count(*) FROM scored s WHERE s.id % 20 = 0 AND abs(prio.win_probability(50000 + s.id) - s.p) < 1e-12),
          (SELECT count(*) FROM scored s WHERE s.id % 20 = 0), 'followup.win_probability is prio.win_probability');
SELECT is((SELECT count(*) FROM prio.followup f JOIN world w ON f.customer_id = 50000 + w.id
            WHERE w.train AND f.win_probability IS NULL), 3000::bigint, 'closed deals have none');

CREATE TEMP TABLE reliability AS
SELECT width_bucket(p, 0, 1, 5) AS bin, count(*) AS n, avg(p) AS predicted, avg(won::int) AS observed
  FROM scored GROUP BY 1 ORDER BY 1;
SELECT diag('reliability (open deals, 5 bins of predicted probability):');
SELECT diag(format('  bin %s  n %4s  predicted %s  observed %s', bin, n, round(predicted::numeric, 3), round(observed::numeric, 3)))
  FROM reliability ORDER BY bin;
SELECT ok((SELECT bool_and(abs(predicted - observed) < 0.08) FROM reliability WHERE n >= 100),
          'calibrated: every bin with 100+ deals within 0.08 of its observed win rate');
SELECT ok((SELECT sum(n * abs(predicted - observed)) / sum(n) FROM reliability) < 0.04,
          'expected calibration error under 0.04');
CREATE TEMP TABLE brier AS
SELECT avg((p - won::int) ^ 2) AS model,
       avg(((SELECT avg(won::int) FROM world WHERE train) - won::int) ^ 2) AS base_rate
  FROM scored;
SELECT diag(format('Brier score %s, base-rate predictor %s', round(model::numeric, 4), round(base_rate::numeric, 4))) FROM brier;
SELECT ok((SELECT model < 0.85 * base_rate FROM brier), 'Brier score well below the base-rate predictor''s');

-- explain: the three features that raise it most and the three that lower it most
CREATE TEMP TABLE strong AS
SELECT 50000 + id AS cid FROM world WHERE NOT train AND budget AND need AND opened_email AND owner = 'rep_a' LIMIT 1;
SELECT is((SELECT jsonb_array_length(prio.explain(cid)->'win'->'raises') FROM strong), 3, 'explain: three raising features');
SELECT is((SELECT prio.explain(cid)->'win'->'raises'->0->>'variable' FROM strong),
          (SELECT variable FROM prio.win_factors(prio.win_features((SELECT s FROM prio.customer_state s, strong WHERE s.customer_id = cid)))
            ORDER BY weight DESC LIMIT 1), 'explain: the strongest first');
SELECT is((SELECT (prio.explain(cid)->'win'->>'probability')::float8 FROM strong),
          (SELECT prio.win_probability(cid) FROM strong), 'explain: the same probability');
SELECT ok((SELECT bool_and((f->>'weight')::float8 < 0) FROM jsonb_array_elements(
              (SELECT prio.explain(50000 + id)->'win'->'lowers' FROM world
                WHERE NOT train AND NOT budget AND NOT need AND owner = 'rep_c' LIMIT 1)) f),
          'explain: the lowering features have negative weights');

-- random activity: closes, reopens (an inbound touch after a loss), won -> lost,
-- deletions of closing activities and of customers; the live counts must
-- equal the counts rebuilt from the outcomes
INSERT INTO prio.activities (customer_id, kind, at)
SELECT 50000 + id, (ARRAY['contract', 'rejected', 'reply', 'visit', 'rejected'])[1 + floor(random() * 5)::int], now()
  FROM world WHERE random() < 0.3;
DELETE FROM prio.activities WHERE customer_id > 50000 AND kind IN ('contract', 'rejected') AND random() < 0.1;
CREATE TEMP TABLE gone AS SELECT 50000 + id AS cid FROM world WHERE random() < 0.02;
DELETE FROM prio.activities WHERE customer_id IN (SELECT cid FROM gone);
DELETE FROM prio.customers WHERE customer_id IN (SELECT cid FROM gone);
CREATE TEMP VIEW live_counts AS
SELECT variable, value, sum(won) AS won, sum(lost) AS lost FROM prio.win_counts
 GROUP BY 1, 2 HAVING sum(won) <> 0 OR sum(lost) <> 0;
CREATE TEMP VIEW rebuilt_counts AS
SELECT f.key AS variable, f.value, count(*) FILTER (WHERE o.won)::numeric AS won, count(*) FILTER (WHERE NOT o.won)::numeric AS lost
  FROM prio.win_outcomes o, LATERAL (SELECT key, value FROM jsonb_each_text(o.features) UNION ALL SELECT '*', '*') f
 GROUP BY 1, 2;
SELECT is((SELECT count(*) FROM prio.customer_state s
            WHERE (s.stage IN ('won', 'lost')) <> EXISTS (SELECT 1 FROM prio.win_outcomes o WHERE o.customer_id = s.customer_id)),
          0::bigint, 'after random activity: an outcome for exactly the closed customers');
SELECT is((SELECT count(*) FROM prio.win_outcomes o JOIN prio.customer_state s USING (customer_id)
            WHERE o.won <> (s.stage = 'won')), 0::bigint, 'with the right outcome');
SELECT set_eq('SELECT * FROM live_counts', 'SELECT * FROM rebuilt_counts', 'live counts equal the counts rebuilt from the outcomes');
CREATE TEMP TABLE before_recompute AS SELECT * FROM live_counts;
SELECT is(prio.recompute(), 0, 'recompute finds nothing to fix');
SELECT set_eq('SELECT * FROM live_counts', 'SELECT * FROM before_recompute', 'and rebuilds the same counts');
SELECT lives_ok($$SELECT prio.refresh()$$, 'refresh sums up the deltas');
SELECT set_eq('SELECT * FROM live_counts', 'SELECT * FROM before_recompute', 'to the same counts');

-- recompute() repairs outcomes and counts that drifted (rebuild_win_counts, C)
DELETE FROM prio.win_counts WHERE variable = 'budget' AND value = 'yes';
INSERT INTO prio.win_counts VALUES ('need', 'no', 5, 0), ('need', 'no', -5, 0), ('spent', 'row', 0, 0),
                                   ('*', '*', 1, 1);
DELETE FROM prio.win_outcomes
 WHERE customer_id = (SELECT min(customer_id) FROM prio.customer_state WHERE stage = 'won');
INSERT INTO prio.win_outcomes (customer_id, won, features)
SELECT min(customer_id), true, '{"stage": "closing"}' FROM prio.customer_state WHERE stage NOT IN ('won', 'lost');
SELECT is(prio.recompute(), 0, 'recompute over drifted outcomes and counts: the facts were right');
SELECT is((SELECT count(*) FROM prio.customer_state s
            WHERE (s.stage IN ('won', 'lost')) <> EXISTS (SELECT 1 FROM prio.win_outcomes o WHERE o.customer_id = s.customer_id)),
          0::bigint, 'an outcome for exactly the closed customers again');
SELECT set_eq('SELECT * FROM live_counts', 'SELECT * FROM rebuilt_counts', 'the counts equal the outcomes'' again');
SELECT is((SELECT count(*) FROM prio.win_counts), (SELECT count(DISTINCT (variable, value)) FROM prio.win_counts),
          'one row per (variable, value): compacted, the spent row gone');

-- a user's row trigger on customer_state that catches an error (a subtransaction
-- rolled back) between state_closed and the flush: the statement's other
-- closed deals are still recorded (an abort used to drop every pending one)
CREATE FUNCTION pg_temp.audit_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        PERFORM 1 / 0;
    EXCEPTION WHEN division_by_zero THEN
        NULL;
    END;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_audit_state AFTER UPDATE ON prio.customer_state
    FOR EACH ROW EXECUTE FUNCTION pg_temp.audit_state();
INSERT INTO prio.customers (customer_id, name, created_at)
SELECT g, 'subxact ' || g, now() - interval '30 days' FROM generate_series(990001, 990003) g;
INSERT INTO prio.activities (customer_id, kind, at)
SELECT g, CASE WHEN g = 990002 THEN 'rejected' ELSE 'contract' END, now() - interval '1 hour'
  FROM generate_series(990001, 990003) g;
SELECT results_eq('SELECT customer_id, won FROM prio.win_outcomes WHERE customer_id > 990000 ORDER BY 1',
                  $$VALUES (990001::bigint, true), (990002, false), (990003, true)$$,
                  'a subtransaction rolled back by another trigger between state_closed and the flush loses no outcome');
DROP TRIGGER zz_audit_state ON prio.customer_state;

-- win_outcomes_changed() (C) counts what jsonb_each_text() gives: numbers,
-- booleans and nested values by their text; an UPDATE that flips an outcome
-- moves its counts; a null value or features that are not an object fail the
-- statement, counting nothing
INSERT INTO prio.win_outcomes (customer_id, won, features)
SELECT min(customer_id), true, '{"n": 1.50, "b": true, "o": {"x": [1, "y"]}, "s": "é"}'
  FROM prio.customer_state WHERE stage NOT IN ('won', 'lost');
SELECT set_eq('SELECT * FROM live_counts', 'SELECT * FROM rebuilt_counts',
              'win_outcomes_changed: a hand-written outcome of numbers, booleans and nested values counts as jsonb_each_text reads it');
UPDATE prio.win_outcomes SET won = NOT won
 WHERE customer_id IN (SELECT customer_id FROM prio.win_outcomes ORDER BY customer_id LIMIT 50);
SELECT set_eq('SELECT * FROM live_counts', 'SELECT * FROM rebuilt_counts',
              'win_outcomes_changed: an UPDATE that flips outcomes moves their counts');
CREATE TEMP TABLE counts_before AS SELECT * FROM prio.win_counts;
SELECT throws_ok($$UPDATE prio.win_outcomes SET features = '{"a": null}'
                    WHERE customer_id = (SELECT max(customer_id) FROM prio.win_outcomes)$$,
                 '22004', NULL, 'win_outcomes_changed: a null feature value fails the statement (22004)');
SELECT throws_ok($$UPDATE prio.win_outcomes SET features = '[1, 2]'
                    WHERE customer_id = (SELECT max(customer_id) FROM prio.win_outcomes)$$,
                 '22023', NULL, 'win_outcomes_changed: features that are not an object fail the statement (22023)');
SELECT set_eq('SELECT * FROM prio.win_counts', 'SELECT * FROM counts_before',
              'win_outcomes_changed: ... and nothing was counted');
-- every 100th appending statement sums the deltas up (compact_win_counts())
SELECT setval('prio.win_counts_appends', 99 + 100 * (nextval('prio.win_counts_appends') / 100));
UPDATE prio.win_outcomes SET won = NOT won
 WHERE customer_id = (SELECT min(customer_id) FROM prio.win_outcomes);
SELECT is((SELECT count(*) FROM prio.win_counts), (SELECT count(DISTINCT (variable, value)) FROM prio.win_counts),
          'win_outcomes_changed: the 100th appending statement leaves one row per (variable, value)');

-- bad input: the C trigger function attached where it does not belong
CREATE TEMP TABLE not_outcomes (customer_id bigint, won boolean, features jsonb);
CREATE TRIGGER wrong_table AFTER INSERT ON not_outcomes REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION prio.win_outcomes_changed();
SELECT throws_ok($$INSERT INTO not_outcomes VALUES (1, true, '{}')$$, '39P01', NULL,
                 'win_outcomes_changed: a trigger of another table is refused (39P01)');
DROP TRIGGER wrong_table ON not_outcomes;
CREATE TRIGGER no_transition AFTER INSERT ON not_outcomes
    FOR EACH STATEMENT EXECUTE FUNCTION prio.win_outcomes_changed();
SELECT throws_ok($$INSERT INTO not_outcomes VALUES (1, true, '{}')$$, '39P01', NULL,
                 'win_outcomes_changed: a trigger without its transition table is refused (39P01)');
DROP TRIGGER no_transition ON not_outcomes;

SELECT * FROM finish();
ROLLBACK;
