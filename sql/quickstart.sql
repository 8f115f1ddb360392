-- The README's quick start, line for line, so the two cannot drift: every
-- line between the markers is copied verbatim from README.md ("Quick start"),
-- and its output is what the README says the reader will see.
-- It runs in a database of its own, as a reader's would (autocommit, each
-- statement at its own now()), and in UTC so that whole-day counts do not
-- move by an hour across a daylight-saving change.
-- No bad-input block: this file checks the documentation, not a feature.
-- First, that the lines below are still the README's (tools/quickstart_check.sh):
\set quickstart_check `sh tools/quickstart_check.sh`
SELECT :'quickstart_check' AS readme;
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS prio_quickstart;
CREATE DATABASE prio_quickstart;
\c prio_quickstart
SET TimeZone = 'UTC';
CREATE EXTENSION prio;
-- >>> README.md quick start
INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline) VALUES
    (1, 'Acme',     'alice', true,  true, true, NULL),
    (2, 'Globex',   'alice', true,  NULL, true, NULL),
    (3, 'Initech',  'alice', NULL,  NULL, NULL, NULL),
    (4, 'Umbrella', 'alice', false, NULL, NULL, NULL),
    (5, 'Hooli',    'alice', NULL,  NULL, true, NULL);

INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (1, 'purchase',     now() - interval '60 days',  900),
    (1, 'purchase',     now() - interval '30 days',  1500),
    (1, 'call',         now() - interval '4 days',   0),
    (1, 'purchase',     now() - interval '2 days',   2000),
    (2, 'purchase',     now() - interval '45 days',  400),
    (2, 'email',        now() - interval '16 days',  0),
    (2, 'purchase',     now() - interval '12 days',  600),
    (3, 'purchase',     now() - interval '20 days',  250),
    (3, 'inquiry',      now() - interval '3 days',   0),
    (4, 'purchase',     now() - interval '120 days', 150),
    (4, 'email',        now() - interval '30 days',  0),
    (5, 'demo_request', now() - interval '8 days',   0),
    (5, 'meeting',      now() - interval '7 days',   0),
    (5, 'reply',        now() - interval '2 days',   0);

SELECT rank, name, tier, priority, stage, reason
  FROM prio.followup WHERE owner = 'alice' LIMIT 50;

SELECT prio.refresh();

SELECT rank, name, tier, priority, stage, reason
  FROM prio.followup WHERE owner = 'alice' LIMIT 50;

SELECT e->>'tier' AS tier, e->'rfm'->>'segment' AS segment,
       e->'rfm'->>'r' AS r, e->'rfm'->>'f' AS f, e->'rfm'->>'m' AS m, e->>'rule' AS rule
  FROM prio.explain(2) AS e;

SELECT old_tier, new_tier, new_stage, reason
  FROM prio.tier_history WHERE customer_id = 2 ORDER BY history_id;
-- <<< README.md quick start
-- What the README says of it: explain() right after refresh() agrees with the
-- stored row of every customer (the scores refresh stored are the scores now).
SELECT s.customer_id, s.tier = e->>'tier' AS same_tier,
       format('%s-%s-%s', s.r_score, s.f_score, s.m_score)
         = format('%s-%s-%s', e->'rfm'->>'r', e->'rfm'->>'f', e->'rfm'->>'m') AS same_scores,
       s.priority = (e->>'priority')::numeric AS same_priority
  FROM prio.customer_state s, prio.explain(s.customer_id) AS e
 ORDER BY s.customer_id;
-- and a second refresh has nothing to change
SELECT prio.refresh() AS changed_again;
\c :regress_db
SET client_min_messages = warning;
DROP DATABASE prio_quickstart;
