-- pgTAP: the whole-table paths of src/engine/sweep.c, checked against the fold
-- aggregate (prio.fold) and prio.evaluate() in plain SQL:
--   * the insert trigger folding many backdated customers again by one scan
--     of the activities, in one pass and in several (maintenance_work_mem);
--   * prio.recompute() of everyone (sweep_rebuild) over a heap in time order,
--     a shuffled one and one with ties at the same time, in one pass and in
--     several; repairing wrong facts, a missing state row and a drifted owner;
--   * a settings change (sweep_rebuild with force);
--   * refresh's finder (sweep_due) against the SQL it replaced.
-- The number of passes shows in the activities' seq_scan count.
BEGIN;
SELECT plan(39);

DELETE FROM prio.activities;
DELETE FROM prio.customers;
DELETE FROM prio.tier_history;
UPDATE prio.settings SET r_breaks = '{7,30,90,180}', f_breaks = '{1,2,3,5}',
                         m_breaks = '{100,500,1000,5000}', clv_min_repeat_buyers = 1000000;
DO $$ BEGIN PERFORM setseed(0.3141); END $$;

INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline, created_at)
SELECT g, 'sweep ' || g, 'rep' || (g % 7), random() < 0.5, random() < 0.5,
       CASE WHEN random() < 0.3 THEN NULL ELSE random() < 0.5 END, NULL,
       now() - interval '400 days'
  FROM generate_series(1, 1500) g;

-- every customer's facts by the fold aggregate, and the stored rows that differ
CREATE TEMP VIEW refolded AS
SELECT x.customer_id, x.f
  FROM (SELECT c.customer_id,
               prio.fold(NULL, c.customer_id, a.at, k.direction = 'inbound', k.stage, k.is_purchase,
                         k.intent_weight, a.amount, cfg.intent_half_life, a.activity_id, k.revives,
                         cfg.reply_weight, cfg.reply_half_life) AS f
          FROM prio.customers c
          LEFT JOIN prio.activities a ON a.customer_id = c.customer_id
          LEFT JOIN prio.activity_kinds k ON k.kind = a.kind
         CROSS JOIN prio.settings cfg
         GROUP BY c.customer_id, cfg.intent_half_life) x;
CREATE TEMP VIEW wrong AS
SELECT s.customer_id,
       prio.stored_facts(s) IS DISTINCT FROM r.f AS facts,
       ROW(s.effective_stage, s.r_score, s.f_score, s.m_score, s.bant, s.no_reply, s.value_high,
           s.intent_high, s.tier, s.priority, s.next_due_at, s.rule)
       IS DISTINCT FROM
       ROW((e.ev).effective_stage, (e.ev).r_score, (e.ev).f_score, (e.ev).m_score, (e.ev).bant,
           (e.ev).no_reply, (e.ev).value_high, (e.ev).intent_high, (e.ev).tier, (e.ev).priority,
           (e.ev).next_due_at, (e.ev).rule) AS evaluation
  FROM prio.customer_state s
  JOIN refolded r ON r.customer_id = s.customer_id
  JOIN prio.customers c ON c.customer_id = s.customer_id
 CROSS JOIN prio.rule_config rc
 CROSS JOIN LATERAL (SELECT prio.evaluate(r.f, c, rc.cfg, rc.r_breaks, rc.f_breaks, rc.m_breaks,
                                          now(), rc.bgnbd, rc.gammagamma) AS ev) e;
CREATE FUNCTION pg_temp.wrong_rows() RETURNS bigint LANGUAGE sql AS
$$ SELECT count(*) FROM wrong WHERE facts OR evaluation $$;

-- seq scans of prio.activities so far in this transaction
CREATE FUNCTION pg_temp.scans() RETURNS bigint LANGUAGE sql AS
$$ SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = 'prio.activities'::regclass $$;
CREATE TEMP TABLE mark (n bigint);
CREATE FUNCTION pg_temp.mark() RETURNS void LANGUAGE sql AS
$$ DELETE FROM mark; INSERT INTO mark SELECT pg_temp.scans(); $$;
CREATE FUNCTION pg_temp.scans_since() RETURNS bigint LANGUAGE sql AS
$$ SELECT pg_temp.scans() - n FROM mark $$;

-- about 16 activities a customer, in time order, with ties at the same time
-- between kinds whose order matters (a rejection and a purchase)
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT c, k, t, CASE WHEN k = 'purchase' THEN round((10 + random() * 990)::numeric, 2) ELSE 0 END
  FROM (SELECT c, (ARRAY['purchase','reply','email','call','visit','inquiry','quote','rejected',
                         'demo_request','email_open'])[1 + floor(random() * 10)::int] AS k,
               now() - interval '200 days' + floor(random() * 2000) * interval '2 hours' AS t
          FROM generate_series(1, 1500) c, generate_series(1, 16) j) x
 ORDER BY t;
ANALYZE prio.customers, prio.activities, prio.customer_state;
SELECT is(pg_temp.wrong_rows(), 0::bigint, 'a first load in time order: every state row equals the fold aggregate');

-- Open deals close in one statement: the outcome features the flush builds
-- (C, index probes) equal win_features() of the rows before, segments and all
CREATE TEMP TABLE before_close AS
SELECT s.customer_id, prio.win_features(s) AS features
  FROM prio.customer_state s WHERE s.stage NOT IN ('won', 'lost');
INSERT INTO prio.activities (customer_id, kind, at)
SELECT customer_id, 'contract', now() - interval '20 days' FROM before_close;
SELECT cmp_ok((SELECT count(DISTINCT features->>'rfm_segment') FROM before_close), '>', 3::bigint,
              'the closing customers span several RFM segments');
SELECT is((SELECT count(*) FROM prio.win_outcomes o JOIN before_close b USING (customer_id)
            WHERE o.features = b.features),
          (SELECT count(*) FROM before_close), 'every closed deal''s features equal win_features() of its row before');

-- A backdated row for every customer: all 1,500 are folded again, by one scan
CREATE TEMP TABLE hist AS SELECT max(history_id) AS n FROM prio.tier_history;
SELECT pg_temp.mark();
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT c, (ARRAY['purchase','inquiry','rejected'])[1 + c % 3], now() - interval '300 days' + c * interval '1 minute',
       CASE WHEN c % 3 = 0 THEN 42.5 ELSE 0 END
  FROM generate_series(1, 1500) c;
SELECT is(pg_temp.scans_since(), 1::bigint, 'a backdated INSERT of 1,500 customers reads the activities in one scan');
SELECT is(pg_temp.wrong_rows(), 0::bigint, '... and every state row equals the fold aggregate');
SELECT ok((SELECT count(*) > 0 AND bool_and(reason LIKE 'activity: %') FROM prio.tier_history
            WHERE history_id > (SELECT n FROM hist)),
          '... and its changes of tier or stage have history rows');

-- Fewer customers than the scan needs: one query per chunk, no scan
SELECT pg_temp.mark();
INSERT INTO prio.activities (customer_id, kind, at)
SELECT c, 'reply', now() - interval '350 days' FROM generate_series(1, 50) c;
SELECT is(pg_temp.scans_since(), 0::bigint, 'a backdated INSERT of 50 customers reads them by index');
SELECT is(pg_temp.wrong_rows(), 0::bigint, '... and every state row equals the fold aggregate');

-- Several passes: maintenance_work_mem holds about a third of the events
SET LOCAL maintenance_work_mem = '1MB';
SELECT pg_temp.mark();
INSERT INTO prio.activities (customer_id, kind, at)
SELECT c, (ARRAY['visit','quote','call'])[1 + c % 3], now() - interval '320 days' FROM generate_series(1, 1500) c;
SELECT cmp_ok(pg_temp.scans_since(), '>', 1::bigint, 'with maintenance_work_mem = 1MB the backdated INSERT takes several passes');
SELECT is(pg_temp.wrong_rows(), 0::bigint, '... and every state row equals the fold aggregate');
SELECT pg_temp.mark();
SELECT is(prio.recompute(), 0, 'recompute() in several passes finds nothing to fix');
SELECT cmp_ok(pg_temp.scans_since(), '>', 1::bigint, '... and scanned the activities more than once');
RESET maintenance_work_mem;

SELECT pg_temp.mark();
SELECT is(prio.recompute(), 0, 'recompute() of everyone finds nothing to fix');
SELECT is(pg_temp.scans_since(), 1::bigint, '... in one scan of the activities');

-- recompute repairs what is wrong, and says how many stored facts were
UPDATE prio.customer_state SET intent = intent + 1 WHERE customer_id <= 10;
UPDATE prio.customer_state SET monetary = monetary + 0.01, tier = 'D' WHERE customer_id = 11;
UPDATE prio.customer_state SET rule = 'tampered' WHERE customer_id = 12;
UPDATE prio.customer_state SET owner = 'nobody' WHERE customer_id = 13;
DELETE FROM prio.customer_state WHERE customer_id = 14;
SELECT is(prio.recompute(), 12, 'recompute() counts the 10 + 1 wrong facts and the missing row with activities');
SELECT is(pg_temp.wrong_rows(), 0::bigint, '... and repairs them all');
SELECT is((SELECT count(*) FROM prio.customer_state), 1500::bigint, '... the missing state row is back');
SELECT is((SELECT owner FROM prio.customer_state WHERE customer_id = 13), 'rep6', '... the owner follows the customer again');
SELECT is((SELECT count(*) FROM prio.tier_history WHERE customer_id = 14 AND old_tier IS NULL AND reason LIKE 'recompute: %'),
          1::bigint, '... and the restored customer''s history starts anew');
SELECT is(prio.recompute(), 0, 'a second recompute() finds nothing');

-- A shuffled heap (rows of a customer out of time order) with ties whose
-- activity_id order is not the heap order
DELETE FROM prio.activities WHERE customer_id > 1000;
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT c, k, t, CASE WHEN k = 'purchase' THEN 10 ELSE 0 END
  FROM (SELECT c, (ARRAY['purchase','rejected','reply','quote'])[1 + floor(random() * 4)::int] AS k,
               date_trunc('day', now()) - floor(random() * 40) * interval '1 day' AS t
          FROM generate_series(1001, 1500) c, generate_series(1, 16) j) x
 ORDER BY random();
SELECT is(pg_temp.wrong_rows(), 0::bigint, 'activities inserted in random order with ties: state equals the fold aggregate');
SELECT is(prio.recompute(), 0, '... and recompute() over the shuffled heap finds nothing to fix');

-- A kind name longer than the scan's inline copy (32 bytes), on purchases
-- with amounts, read by a rebuild among thousands of short ones
INSERT INTO prio.activity_kinds (kind, direction, stage, is_purchase, intent_weight)
VALUES (repeat('long purchase ', 7), 'inbound', NULL, true, 2);
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT c, repeat('long purchase ', 7), now() - (c % 30) * interval '1 day', 123.45 + c
  FROM generate_series(1001, 1500, 7) c;
SELECT is(prio.recompute(), 0, 'a 98-character purchase kind: recompute() finds nothing to fix');
SELECT is(pg_temp.wrong_rows(), 0::bigint, '... and every state row, amounts included, equals the fold aggregate');

-- A settings change rewrites everyone through the sweep
CREATE TEMP TABLE upd AS
SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relid = 'prio.customer_state'::regclass;
SELECT pg_temp.mark();
UPDATE prio.settings SET intent_half_life = '5 days';
SELECT is(pg_temp.scans_since(), 1::bigint, 'a settings change refolds everyone in one scan');
SELECT is(pg_temp.wrong_rows(), 0::bigint, '... and every row follows the new half-life');
SELECT is((SELECT x.n_tup_upd - u.n_tup_upd FROM pg_stat_xact_user_tables x, upd u
            WHERE x.relid = 'prio.customer_state'::regclass), 1500::bigint,
          '... every state row was written (force)');

-- refresh's finder equals the SQL it replaced, at times when many change
SELECT is(prio.sweep_due(t),
          (SELECT array_agg(s.customer_id ORDER BY s.customer_id)
             FROM prio.customer_state s
             JOIN prio.customers c ON c.customer_id = s.customer_id
            CROSS JOIN prio.rule_config r
            CROSS JOIN LATERAL (SELECT prio.evaluate(prio.stored_facts(s), c, r.cfg, r.r_breaks,
                                                     r.f_breaks, r.m_breaks, t, r.bgnbd,
                                                     r.gammagamma) AS ev) e
            WHERE ROW(s.effective_stage, s.r_score, s.f_score, s.m_score, s.bant, s.no_reply,
                      s.value_high, s.intent_high, s.tier, s.priority, s.next_due_at, s.rule)
                  IS DISTINCT FROM
                  ROW((e.ev).effective_stage, (e.ev).r_score, (e.ev).f_score, (e.ev).m_score,
                      (e.ev).bant, (e.ev).no_reply, (e.ev).value_high, (e.ev).intent_high,
                      (e.ev).tier, (e.ev).priority, (e.ev).next_due_at, (e.ev).rule)
               -- (0.5) or the key-customer types held as of then
               OR s.types IS DISTINCT FROM
                  ARRAY(SELECT pg_catalog.jsonb_array_elements_text(prio.type_facts(s.customer_id, t) -> 'held'))),
          'sweep_due(now() + ' || d || ' days) names exactly the customers evaluate() or their types would change')
  FROM (VALUES (0), (3), (45)) v(d), LATERAL (SELECT now() + d * interval '1 day' AS t) x;
SELECT is(prio.sweep_due(now()), NULL, 'right after a rebuild nobody is due');
SELECT is(prio.refresh(), 0, 'refresh() then changes nobody');

-- One statement folds all 1,500 by one scan: a backdated email for the
-- closed, a rejection at the very time of their last activity for the open
-- (a tie: after it, by activity_id).  The open deals close as lost; the
-- trigger hands the flush the kinds it read, and the features must still
-- equal win_features() of the rows before
DROP TABLE before_close;
CREATE TEMP TABLE before_close AS
SELECT s.customer_id, prio.win_features(s) AS features
  FROM prio.customer_state s WHERE s.stage NOT IN ('won', 'lost');
SELECT pg_temp.mark();
INSERT INTO prio.activities (customer_id, kind, at)
SELECT s.customer_id, CASE WHEN b.customer_id IS NULL THEN 'email' ELSE 'rejected' END,
       CASE WHEN b.customer_id IS NULL THEN s.first_at - interval '1 day' ELSE s.last_at END
  FROM prio.customer_state s LEFT JOIN before_close b USING (customer_id)
 WHERE s.first_at IS NOT NULL;
SELECT is(pg_temp.scans_since(), 1::bigint, 'a backdated row for everyone: one scan');
SELECT cmp_ok((SELECT count(*) FROM before_close), '>', 50::bigint, '... closing the open deals');
SELECT is((SELECT count(*) FROM prio.win_outcomes o JOIN before_close b USING (customer_id)
            WHERE NOT o.won AND o.features = b.features),
          (SELECT count(*) FROM before_close), '... whose outcome features equal win_features() of the rows before');

-- bad input
SELECT throws_ok($$SELECT prio.sweep_rebuild(NULL, false)$$, '22004', 'why must not be NULL',
                 'sweep_rebuild: NULL why is 22004');
SELECT throws_ok($$SELECT prio.sweep_rebuild('x', NULL)$$, '22004', 'force must not be NULL',
                 'sweep_rebuild: NULL force is 22004');
SELECT throws_ok($$SELECT prio.sweep_due(NULL)$$, '22004', 'as_of must not be NULL',
                 'sweep_due: NULL as_of is 22004');
SELECT ok(NOT EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) a
                       WHERE p.oid IN ('prio.sweep_rebuild(text, boolean)'::regprocedure,
                                       'prio.sweep_due(timestamptz)'::regprocedure)
                         AND a.grantee = 0)
          AND (SELECT bool_and(proacl IS NOT NULL) FROM pg_proc
                WHERE oid IN ('prio.sweep_rebuild(text, boolean)'::regprocedure,
                              'prio.sweep_due(timestamptz)'::regprocedure)),
          'the sweeps read past privileges: PUBLIC may not call them');

SELECT * FROM finish();
ROLLBACK;
