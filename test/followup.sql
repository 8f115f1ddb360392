-- pgTAP: prio.followup reads its order off an index and counts each row's
-- rank (0.3); the result must be what the window over every owner's rows
-- gave: rank = row_number() within the owner by (priority DESC, next_due_at,
-- customer_id), the list in that order -- over a random world with NULL
-- owners and ties in priority and due date.  A LIMIT must read its rows off
-- an index, with no sort of the whole table.
BEGIN;
SELECT plan(10);

DELETE FROM prio.activities;
DELETE FROM prio.customers;
DELETE FROM prio.tier_history;
UPDATE prio.settings SET r_breaks = '{7,30,90,180}', f_breaks = '{1,2,3,5}',
                         m_breaks = '{100,500,1000,5000}', clv_min_repeat_buyers = 1000000;
DO $$ BEGIN PERFORM setseed(0.2718); END $$;

INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, created_at)
SELECT g, 'fu ' || g, CASE WHEN g % 11 = 0 THEN NULL ELSE 'rep' || (g % 5) END,
       random() < 0.5, random() < 0.5, random() < 0.5, date_trunc('day', now()) - interval '100 days'
  FROM generate_series(1, 3000) g;
-- whole-day times: many customers share a due date, and so a priority too
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT c, (ARRAY['purchase','reply','email','call','inquiry','quote','meeting'])[1 + floor(random() * 7)::int],
       date_trunc('day', now()) - floor(random() * 60) * interval '1 day',
       round((random() * 500)::numeric, 2)
  FROM generate_series(1, 3000) c, generate_series(1, 4) j;
ANALYZE prio.customer_state;

CREATE TEMP VIEW windowed AS
SELECT row_number() OVER (PARTITION BY s.owner ORDER BY s.priority DESC, s.next_due_at, s.customer_id) AS rank,
       s.customer_id
  FROM prio.customer_state s;

SELECT cmp_ok((SELECT count(*) FROM (SELECT owner, priority, next_due_at FROM prio.customer_state
                                      GROUP BY 1, 2, 3 HAVING count(*) > 1) t), '>', 50::bigint,
              'the world has ties in owner, priority and due date');
SELECT set_eq($$SELECT rank, customer_id FROM prio.followup$$, $$SELECT rank, customer_id FROM windowed$$,
              'every rank equals row_number() within the owner (NULL owners too)');
SELECT is((SELECT array_agg(customer_id) FROM (SELECT customer_id FROM prio.followup LIMIT 200) f),
          (SELECT array_agg(customer_id ORDER BY priority DESC, next_due_at, customer_id)
             FROM (SELECT * FROM prio.customer_state ORDER BY priority DESC, next_due_at, customer_id LIMIT 200) s),
          'the list comes in (priority DESC, next_due_at, customer_id) order');
SELECT is((SELECT array_agg(rank) FROM (SELECT rank FROM prio.followup WHERE owner = 'rep3' LIMIT 60) f),
          (SELECT array_agg(g::bigint) FROM generate_series(1, 60) g), 'one owner''s list ranks 1, 2, 3, ...');
SELECT is((SELECT array_agg(customer_id) FROM (SELECT customer_id FROM prio.followup WHERE owner = 'rep3' LIMIT 60) f),
          (SELECT array_agg(customer_id ORDER BY rank) FROM windowed w JOIN prio.customer_state s USING (customer_id)
            WHERE s.owner = 'rep3' AND w.rank <= 60), '... in the windowed order');
SELECT is((SELECT count(*) FROM prio.followup WHERE owner IS NULL AND rank = 1), 1::bigint,
          'customers without an owner form one list');

-- a LIMIT ranks only the rows it returns (counted by track_functions)
SET LOCAL track_functions = 'all';
CREATE FUNCTION pg_temp.rank_calls() RETURNS bigint LANGUAGE sql AS
$$ SELECT coalesce((SELECT calls FROM pg_stat_xact_user_functions
                     WHERE funcid = 'prio.followup_rank(bigint, text, double precision, timestamptz)'::regprocedure), 0) $$;
CREATE TEMP TABLE calls AS SELECT pg_temp.rank_calls() AS n;
SELECT sum(rank) FROM (SELECT * FROM prio.followup LIMIT 50) f;
SELECT is(pg_temp.rank_calls() - (SELECT n FROM calls), 50::bigint, 'LIMIT 50 ranks 50 rows, not 3,000');
UPDATE calls SET n = pg_temp.rank_calls();
SELECT sum(rank) FROM (SELECT * FROM prio.followup WHERE owner = 'rep3' LIMIT 50) f;
SELECT is(pg_temp.rank_calls() - (SELECT n FROM calls), 50::bigint, 'WHERE owner = ... LIMIT 50 ranks 50 rows');

-- a whole read ranks by counting first, then by one windowed pass: the same ranks
SET LOCAL track_functions = 'none';
SET LOCAL plan_cache_mode = force_custom_plan;
SELECT is((SELECT count(*) FROM prio.followup f JOIN windowed w USING (customer_id) WHERE f.rank <> w.rank),
          0::bigint, 'a whole read: ranks past the counting budget come from the windowed pass, equal');

-- after live changes (a tier moves) the ranks still equal the window
INSERT INTO prio.activities (customer_id, kind, at)
SELECT c, 'demo_request', now() - interval '1 hour' FROM generate_series(1, 3000, 7) c;
SELECT set_eq($$SELECT rank, customer_id FROM prio.followup$$, $$SELECT rank, customer_id FROM windowed$$,
              'after live changes every rank still equals the window''s');

SELECT * FROM finish();
ROLLBACK;
