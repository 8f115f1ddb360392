-- pgTAP: live behaviour of the engine.
--   INSERT of one and of many activities, tier_history, backfills and ties,
--   UPDATE/DELETE of activities, BANT updates, settings changes and their
--   validation, prio.refresh(as_of), and the documented errors.
-- "Live state is correct" is checked with pg_temp.rebuild_check(): prio.recompute()
-- (a rebuild from the activities, evaluated now) fixes no stored facts and
-- changes no state row; now() is constant inside the transaction, so this is exact.
-- The file starts from an empty engine (inside its own transaction) so that
-- global counts (recompute, refresh) only see its own customers.
BEGIN;
SELECT plan(98);

-- pg_restore of a changed settings row: CREATE EXTENSION seeds the built-in
-- row, then the dumped row is INSERTed and must replace it (config_row_guard).
SELECT CASE WHEN (SELECT builtin FROM prio.settings)
            THEN lives_ok($$INSERT INTO prio.settings (id, value_score) VALUES (true, 4)$$,
                          'settings: an inserted row replaces the unchanged built-in row (as pg_restore does)')
            ELSE skip('settings row is no longer built-in in this database', 1) END;

DELETE FROM prio.activities;
DELETE FROM prio.customers;
DELETE FROM prio.tier_history;
UPDATE prio.settings
   SET r_breaks = '{7,30,90,180}', f_breaks = '{1,2,3,5}', m_breaks = '{100,500,1000,5000}',
       intent_half_life = DEFAULT, silent_after = DEFAULT, dormant_after = DEFAULT,
       no_reply_after = DEFAULT, cadence_a = DEFAULT, cadence_b = DEFAULT, cadence_c = DEFAULT,
       cadence_d = DEFAULT, value_score = DEFAULT, bant_threshold = DEFAULT,
       intent_threshold = DEFAULT, weight_tier = DEFAULT, weight_rfm = DEFAULT,
       weight_bant = DEFAULT, weight_intent = DEFAULT, weight_stage = DEFAULT;

\ir lib/rebuild_check.psql

-- 'tier/base/effective' of a customer, and its history rows
CREATE FUNCTION pg_temp.st(id bigint) RETURNS text LANGUAGE sql AS
$$ SELECT s.tier || '/' || s.stage || '/' || s.effective_stage FROM prio.customer_state s WHERE s.customer_id = id $$;
CREATE FUNCTION pg_temp.hist(id bigint) RETURNS bigint LANGUAGE sql AS
$$ SELECT count(*) FROM prio.tier_history h WHERE h.customer_id = id $$;

------------------------------------------------------------------------
-- new customers: a state row and a NULL -> tier history row each
------------------------------------------------------------------------
INSERT INTO prio.customers (customer_id, name) VALUES
    (301, 'inquirer'), (302, 'big buyer'), (303, 'closer'), (304, 'cold call'), (305, 'reader'), (306, 'buyer');
SELECT is((SELECT count(*) FROM prio.customer_state), 6::bigint, 'new customers: one state row each');
SELECT is((SELECT count(*) FROM prio.tier_history
            WHERE old_tier IS NULL AND old_stage IS NULL AND new_tier = 'D' AND new_stage = 'prospect'
              AND reason LIKE 'new customer:%'), 6::bigint,
          'new customers: one NULL -> D/prospect history row each, reason "new customer"');
SELECT is(pg_temp.st(301), 'D/prospect/prospect', 'new customer: D, prospect');

------------------------------------------------------------------------
-- INSERT of one row
------------------------------------------------------------------------
INSERT INTO prio.activities (customer_id, kind) VALUES (301, 'inquiry');
SELECT is(pg_temp.st(301), 'C/interested/interested', 'insert one: an inquiry now makes 301 C/interested');
SELECT results_eq($$SELECT old_tier, new_tier, old_stage::text, new_stage::text, changed_at, reason LIKE 'activity:%'
                      FROM prio.tier_history WHERE customer_id = 301 AND old_tier IS NOT NULL$$,
                  $$VALUES ('D', 'C', 'prospect', 'interested', now(), true)$$,
                  'insert one: one history row D->C, prospect->interested, at now(), reason "activity"');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'insert one: live state equals a full rebuild');

------------------------------------------------------------------------
-- INSERT of many rows (one statement, several customers, out of order)
------------------------------------------------------------------------
CREATE TEMP TABLE h0 AS SELECT count(*) AS n FROM prio.tier_history;
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (303, 'reply',      now(),                      0),
    (302, 'purchase',   now() - interval '2 days',  6000),
    (303, 'quote',      now() - interval '1 day',   0),
    (304, 'call',       now() - interval '10 days', 0),
    (305, 'email_open', now(),                      0),
    (301, 'visit',      now(),                      0),
    (306, 'purchase',   now() - interval '1 day',   1500);
SELECT is(pg_temp.st(302), 'B/won/won', 'insert many: 302 big purchase -> B, won');
SELECT is(pg_temp.st(303), 'C/closing/closing', 'insert many: 303 quote then reply -> C, closing');
SELECT is(pg_temp.st(304), 'D/prospect/prospect', 'insert many: 304 unanswered call -> D, prospect');
SELECT is(pg_temp.st(305), 'D/interested/interested', 'insert many: 305 email_open -> D, interested');
SELECT is(pg_temp.st(306), 'B/won/won', 'insert many: 306 purchase of 1500 (monetary 4) -> B, won');
SELECT is((SELECT last_at FROM prio.customer_state WHERE customer_id = 301), now(), 'insert many: 301 facts updated');
SELECT is((SELECT count(*) FROM prio.tier_history) - (SELECT n FROM h0), 6::bigint,
          'insert many: one history row per change of tier or stage (302, 303, 305, 306; not 301, 304), the first events of a customer replayed at their own times');
SELECT is((SELECT string_agg(customer_id || ':' || (now() - changed_at)::text, ' ' ORDER BY history_id)
             FROM (SELECT * FROM prio.tier_history ORDER BY history_id OFFSET (SELECT n FROM h0)) h
            WHERE reason LIKE 'activity then:%'), '302:2 days 303:1 day 306:1 day',
          'insert many: the changes of first events of the past are dated at them, "activity then"');
SELECT is((SELECT new_tier || '/' || old_stage || '->' || new_stage FROM prio.tier_history
            WHERE customer_id = 305 AND old_tier IS NOT NULL), 'D/prospect->interested',
          'insert many: a stage change alone writes a history row');
SELECT is(pg_temp.hist(304), 1::bigint, 'insert many: no history row without a change');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'insert many: live state equals a full rebuild');

------------------------------------------------------------------------
-- backfills (older than the newest activity) and ties give the rebuilt state
------------------------------------------------------------------------
INSERT INTO prio.activities (customer_id, kind, at) VALUES (302, 'rejected', now() - interval '5 days');
SELECT is(pg_temp.st(302), 'B/won/won', 'backfill: a rejection older than the purchase leaves 302 won');
SELECT is(pg_temp.rebuild_check(302), 'facts fixed 0, rows changed 0', 'backfill: 302 live state equals its rebuilt state (recompute(302))');
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES (302, 'purchase', now() - interval '30 days', 100);
SELECT is((SELECT frequency || '/' || monetary || '/' || first_at::text FROM prio.customer_state WHERE customer_id = 302),
          '2/6100/' || (now() - interval '30 days')::text, 'backfill: purchase counted, first_at moved back');
SELECT is(pg_temp.rebuild_check(302), 'facts fixed 0, rows changed 0', 'backfill: 302 still equals its rebuilt state');
-- tie with the stored last_at: folded after it (activity_id order)
INSERT INTO prio.activities (customer_id, kind, at) VALUES (303, 'rejected', now());
SELECT is(pg_temp.st(303), 'D/lost/lost', 'tie: a rejection at the same time as the last reply, inserted later -> lost');
SELECT is(pg_temp.rebuild_check(303), 'facts fixed 0, rows changed 0', 'tie: 303 equals its rebuilt state');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'backfill and tie: prio.recompute() changes nothing');

------------------------------------------------------------------------
-- UPDATE and DELETE of activities refold the customers they touch
------------------------------------------------------------------------
UPDATE prio.activities SET kind = 'visit' WHERE customer_id = 303 AND kind = 'rejected';
SELECT is(pg_temp.st(303), 'C/closing/closing', 'update kind: rejection turned visit -> closing again');
SELECT matches((SELECT reason FROM prio.tier_history WHERE customer_id = 303 ORDER BY history_id DESC LIMIT 1),
               '^activity update:', 'update: history reason "activity update"');
UPDATE prio.activities SET at = now() - interval '1 day' WHERE customer_id = 302 AND kind = 'rejected';
SELECT is(pg_temp.st(302), 'D/lost/lost', 'update at: the rejection moved after the purchase -> lost');
UPDATE prio.activities SET customer_id = 304 WHERE customer_id = 305;
SELECT is((SELECT stage::text || '/' || (first_at IS NULL)::text FROM prio.customer_state WHERE customer_id = 305),
          'prospect/true', 'update customer_id: the old customer is refolded without the activity');
SELECT is(pg_temp.st(304), 'D/interested/interested', 'update customer_id: the new customer gains it (inbound after the call)');
SELECT is((SELECT no_reply FROM prio.customer_state WHERE customer_id = 304), false, 'update customer_id: 304 call now answered');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'update: prio.recompute() changes nothing');
SELECT throws_ok($$UPDATE prio.activities SET at = now() + interval '2 days' WHERE customer_id = 301$$,
                 '22008', NULL, 'update: moving an activity more than a day into the future is refused');

DELETE FROM prio.activities WHERE customer_id = 302 AND kind = 'rejected';
SELECT is(pg_temp.st(302), 'A/won/won', 'delete: without the rejection 302 is won again (A: two purchases give intent 3.4)');
SELECT matches((SELECT reason FROM prio.tier_history WHERE customer_id = 302 ORDER BY history_id DESC LIMIT 1),
               '^activity delete:', 'delete: history reason "activity delete"');
DELETE FROM prio.activities WHERE customer_id = 301;
SELECT results_eq($$SELECT tier, stage::text, first_at, last_at, frequency, intent FROM prio.customer_state WHERE customer_id = 301$$,
                  $$VALUES ('D', 'prospect', NULL::timestamptz, NULL::timestamptz, 0::bigint, 0::float8)$$,
                  'delete all: a customer without activities is back to D/prospect with empty facts');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'delete: prio.recompute() changes nothing');

------------------------------------------------------------------------
-- BANT answers re-tier the customer
------------------------------------------------------------------------
UPDATE prio.customers SET budget = true, authority = true WHERE customer_id = 305;
SELECT is(pg_temp.st(305), 'B/prospect/prospect', 'BANT: budget and authority -> B');
SELECT matches((SELECT reason FROM prio.tier_history WHERE customer_id = 305 ORDER BY history_id DESC LIMIT 1),
               '^customer:', 'BANT: history reason "customer"');
UPDATE prio.customers SET need = true WHERE customer_id = 305;
SELECT is(pg_temp.st(305), 'A/prospect/prospect', 'BANT: a third answer -> A');
SELECT is((SELECT bant FROM prio.customer_state WHERE customer_id = 305), 3, 'BANT: count stored');
CREATE TEMP TABLE ct AS SELECT customer_id, ctid::text AS tid FROM prio.customer_state;
UPDATE prio.customers SET name = 'renamed' WHERE customer_id = 304;
SELECT is((SELECT ctid::text FROM prio.customer_state WHERE customer_id = 304),
          (SELECT tid FROM ct WHERE customer_id = 304), 'customer update that changes nothing writes no state');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'BANT: prio.recompute() changes nothing');

------------------------------------------------------------------------
-- settings: an UPDATE re-tiers everyone at once; invalid values refused
------------------------------------------------------------------------
UPDATE prio.settings SET value_score = 5;
SELECT is(pg_temp.st(306), 'D/won/won', 'settings: value_score 5 drops 306 (monetary 4) to D in the same transaction');
SELECT is(pg_temp.st(302), 'A/won/won', 'settings: 302 (monetary 5) stays A');
SELECT matches((SELECT reason FROM prio.tier_history WHERE customer_id = 306 ORDER BY history_id DESC LIMIT 1),
               '^settings changed:', 'settings: history reason "settings changed"');
UPDATE prio.settings SET value_score = 4, intent_half_life = '3 days';
SELECT is(pg_temp.st(306), 'B/won/won', 'settings: value_score back to 4 -> B again');
SELECT is((SELECT round(intent::numeric, 12) FROM prio.customer_state WHERE customer_id = 304),
          round((0.5 + 2 * 2 ^ (-10.0))::numeric, 12),
          'settings: intent refolded with the new half-life (email_open now = 0.5, plus the reply term of an answer 10 days after the call)');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'settings: prio.recompute() changes nothing after a half-life change');
UPDATE prio.settings SET intent_half_life = DEFAULT;

SELECT throws_ok($$UPDATE prio.settings SET value_score = 0$$, '23514', NULL, 'settings: value_score 0 refused');
SELECT throws_ok($$UPDATE prio.settings SET bant_threshold = 5$$, '23514', NULL, 'settings: bant_threshold 5 refused');
SELECT throws_ok($$UPDATE prio.settings SET r_breaks = '{1,2,3}'$$, '23514', NULL, 'settings: three breaks refused');
SELECT throws_ok($$UPDATE prio.settings SET m_breaks = '{4,3,2,1}'$$, '22023', NULL, 'settings: descending breaks refused');
SELECT throws_ok($$UPDATE prio.settings SET f_breaks = '{1,2,NaN,4}'$$, '22023', NULL, 'settings: NaN break refused');
SELECT throws_ok($$UPDATE prio.settings SET silent_after = '0 days'$$, '23514', NULL, 'settings: zero silent_after refused');
SELECT throws_ok($$UPDATE prio.settings SET no_reply_after = '-1 day'$$, '23514', NULL, 'settings: negative no_reply_after refused');
SELECT throws_ok($$UPDATE prio.settings SET intent_threshold = 'Infinity'$$, '23514', NULL, 'settings: infinite intent_threshold refused');
SELECT throws_ok($$UPDATE prio.settings SET weight_rfm = -1$$, '23514', NULL, 'settings: negative weight refused');
SELECT throws_ok($$UPDATE prio.settings SET weight_tier = 0, weight_rfm = 0, weight_bant = 0, weight_intent = 0, weight_stage = 0$$,
                 '23514', NULL, 'settings: all weights zero refused');
SELECT throws_ok($$UPDATE prio.settings SET id = false$$, '23514', NULL, 'settings: id must stay true');
SELECT throws_ok($$DELETE FROM prio.settings$$, '23514', NULL, 'settings: DELETE refused');
SELECT throws_ok($$TRUNCATE prio.settings$$, '23514', NULL, 'settings: TRUNCATE refused');
SELECT is((SELECT count(*) FROM prio.settings), 1::bigint, 'settings: still exactly one row');

------------------------------------------------------------------------
-- prio.refresh(as_of): time moves customers (a fresh set of customers)
--   401 inquiry now                 C/interested -> (+31 days) D/silent
--   402 purchase 6000 2 days ago    B/won        -> B/won (recency score changes only)
--   403 nothing                     D/prospect   -> D/silent
--   404 rejected                    D/lost       -> D/lost
--   405 meeting now, budget+auth.   A/engaged    -> B/silent (quiet, and the meeting unanswered)
------------------------------------------------------------------------
DELETE FROM prio.activities;
DELETE FROM prio.customers;
INSERT INTO prio.customers (customer_id, budget, authority) VALUES
    (401, NULL, NULL), (402, NULL, NULL), (403, NULL, NULL), (404, NULL, NULL), (405, true, true);
INSERT INTO prio.activities (customer_id, kind, amount, at) VALUES
    (401, 'inquiry', 0, now()), (402, 'purchase', 6000, now() - interval '2 days'),
    (404, 'rejected', 0, now()), (405, 'meeting', 0, now());
SELECT is(prio.refresh(), 0, 'refresh: nothing to do right after live changes (as of now)');
SELECT is(string_agg(pg_temp.st(id), ',' ORDER BY id), 'C/interested/interested,B/won/won,D/prospect/prospect,D/lost/lost,A/engaged/engaged',
          'refresh: starting tiers and stages')
  FROM generate_series(401, 405) id;

CREATE TEMP TABLE h1 AS SELECT count(*) AS n FROM prio.tier_history;
SELECT is(prio.refresh(now() + interval '31 days'), 3, 'refresh +31 days: returns 3 (401, 403, 405 changed tier or stage)');
SELECT is(string_agg(pg_temp.st(id), ',' ORDER BY id), 'D/interested/silent,B/won/won,D/prospect/silent,D/lost/lost,B/engaged/silent',
          'refresh +31 days: quiet open deals are silent')
  FROM generate_series(401, 405) id;
SELECT is((SELECT r_score FROM prio.customer_state WHERE customer_id = 402), 3,
          'refresh +31 days: 402 recency score updated (33 days -> 3) without counting as a change');
SELECT is((SELECT count(*) FROM prio.tier_history WHERE changed_at = now() + interval '31 days' AND reason LIKE 'refresh:%'),
          3::bigint, 'refresh: one history row per change, dated as_of, reason "refresh"');
SELECT is((SELECT count(*) FROM prio.tier_history) - (SELECT n FROM h1), 3::bigint, 'refresh: no other history rows');

-- a second refresh at the same time has nothing to do and writes nothing
CREATE TEMP TABLE ct2 AS SELECT customer_id, ctid::text AS tid, updated_at FROM prio.customer_state;
CREATE TEMP TABLE ab AS SELECT ctid::text AS tid FROM prio.auto_breaks;
SELECT is(prio.refresh(now() + interval '31 days'), 0, 'refresh twice: the second returns 0');
SELECT is((SELECT count(*) FROM prio.customer_state s JOIN ct2 USING (customer_id)
            WHERE s.ctid::text = ct2.tid AND s.updated_at = ct2.updated_at), 5::bigint,
          'refresh twice: no state row rewritten (same ctid and updated_at)');
SELECT is((SELECT ctid::text FROM prio.auto_breaks), (SELECT tid FROM ab), 'refresh twice: auto_breaks not rewritten');
SELECT is((SELECT count(*) FROM prio.tier_history) - (SELECT n FROM h1), 3::bigint, 'refresh twice: no new history rows');
SELECT skip('NOTIFY prio_tier_change is delivered at commit, which a pgTAP file never reaches: specs/notify.spec tests it', 1);
-- back to now: the same three change back
-- recompute counts only wrong stored facts: re-evaluating a state left at +31 days is no repair
SELECT is(prio.recompute(), 0, 'recompute after a future refresh: no stored facts to fix (time is not a repair)');
SELECT is(pg_temp.st(401), 'C/interested/interested', 'recompute after a future refresh: re-evaluated as of now again');
UPDATE prio.customer_state SET frequency = 99, monetary = 1 WHERE customer_id = 402;
SELECT is(prio.recompute(), 1, 'recompute: counts the one customer whose stored facts were wrong');
SELECT is((SELECT frequency || '/' || monetary FROM prio.customer_state WHERE customer_id = 402), '1/6000',
          'recompute: and repairs its facts');
DO $$ BEGIN PERFORM prio.refresh(now() + interval '31 days'); END $$;  -- and +31 days again
SELECT is(prio.refresh(now()), 3, 'refresh back to now: the three change back');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'refresh back to now: state equals a full rebuild');

------------------------------------------------------------------------
-- bad inputs
------------------------------------------------------------------------
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (999999, 'inquiry')$$,
                 '23503', NULL, 'bad input: unknown customer');
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (401, 'no such kind')$$,
                 '23503', NULL, 'bad input: unknown kind');
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind, at) VALUES (401, 'inquiry', now() + interval '25 hours')$$,
                 '22008', NULL, 'bad input: activity more than a day in the future');
SELECT lives_ok($$INSERT INTO prio.activities (customer_id, kind, at) VALUES (401, 'inquiry', now() + interval '1 day')$$,
                'bad input: exactly a day in the future is allowed');
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind, amount) VALUES (402, 'purchase', -1)$$,
                 '23514', NULL, 'bad input: negative amount');
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind, at) VALUES (401, 'inquiry', 'infinity')$$,
                 '23514', NULL, 'bad input: at = infinity');
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind, at) VALUES (401, 'inquiry', '-infinity')$$,
                 '23514', NULL, 'bad input: at = -infinity');
SELECT throws_ok($$SELECT prio.recompute(999999)$$, '23503', NULL, 'bad input: recompute of an unknown customer');
SELECT throws_ok($$SELECT prio.explain(999999)$$, '23503', NULL, 'bad input: explain of an unknown customer');
SELECT throws_ok($$SELECT prio.explain(NULL)$$, '22004', NULL, 'bad input: explain(NULL)');
SELECT throws_ok($$SELECT prio.refresh(NULL)$$, '22004', NULL, 'bad input: refresh(NULL)');
SELECT throws_ok($$SELECT prio.refresh('infinity')$$, '22023', NULL, 'bad input: refresh(infinity)');
SELECT throws_ok($$SELECT prio.refresh('-infinity')$$, '22023', NULL, 'bad input: refresh(-infinity)');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'after the refused inputs the state still equals a full rebuild');

-- Configuration rows added re-tier once a statement, not once a row: the
-- guard's UPDATE in place of a built-in row ran for every inserted row, and
-- an UPDATE of no row still fires the table's statement triggers.
SET LOCAL track_functions = 'all';
CREATE FUNCTION pg_temp.rebuilds() RETURNS bigint LANGUAGE sql AS $$
    SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_xact_user_functions
     WHERE funcid = 'prio.rebuild(bigint[],text,boolean)'::regprocedure
$$;
CREATE TEMP TABLE rebuilds0 AS SELECT pg_temp.rebuilds() AS n;
INSERT INTO prio.activity_kinds (kind, direction, stage, is_purchase, intent_weight)
VALUES ('live_kind_1', 'inbound', 'engaged', false, 1), ('live_kind_2', 'outbound', NULL, false, 0.5);
SELECT is(pg_temp.rebuilds() - (SELECT n FROM rebuilds0), 0::bigint,
          'activity kinds added (no tracked table) re-tier no one: no activity can have them yet');
UPDATE rebuilds0 SET n = pg_temp.rebuilds();
INSERT INTO prio.deal_stages (stage, position, lifecycle)
VALUES ('live_stage_1', 21, 'engaged'), ('live_stage_2', 22, 'engaged'), ('live_stage_3', 23, 'engaged');
SELECT is(pg_temp.rebuilds() - (SELECT n FROM rebuilds0), 1::bigint,
          'three deal stages added in one INSERT re-tier everyone once, not four times');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'after the configuration rows added the state still equals a full rebuild');

SELECT * FROM finish();
ROLLBACK;
