-- pgTAP: every path through the one C pipeline (issue 16, item 1).  UPDATE,
-- DELETE and TRUNCATE of activities, UPDATE of customers, recompute() of one
-- customer and of everyone, a settings change and refresh() all write
-- customer_state through the executor path (prio.state_writes()), so a
-- user's row trigger on customer_state fires for them as for an UPDATE, and
-- each leaves the same state as a rebuild (prio.recompute()).
-- win_features() is the C that writes win_outcomes; it gives what its SQL
-- body of 0.3 gave (kept below as the reference) on randomized data.
BEGIN;
-- prio's sequences as they are: put back at the end (setval outlasts the
-- ROLLBACK), so the files after this one see the same activity_ids as without it
CREATE TEMP TABLE engine_paths_seqs AS
SELECT format('%I.%I', schemaname, sequencename) AS seq, last_value, start_value
  FROM pg_sequences WHERE schemaname = 'prio';
SELECT plan(56);

UPDATE prio.settings
   SET r_breaks = '{7,30,90,180}', f_breaks = '{1,2,3,5}', m_breaks = '{100,500,1000,5000}';

\ir lib/rebuild_check.psql

CREATE FUNCTION pg_temp.executor_rows() RETURNS bigint LANGUAGE sql AS
$$ SELECT state_rows FROM prio.state_writes() WHERE path = 'executor' $$;
CREATE FUNCTION pg_temp.update_rows() RETURNS bigint LANGUAGE sql AS
$$ SELECT state_rows FROM prio.state_writes() WHERE path = 'update' $$;

-- a user's own row trigger on customer_state (no transition table: the
-- executor path stays)
CREATE TABLE public.engine_paths_seen (customer_id bigint, tier text);
CREATE FUNCTION public.engine_paths_seen() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO public.engine_paths_seen VALUES (NEW.customer_id, NEW.tier); RETURN NEW; END $$;
CREATE TRIGGER engine_paths_seen AFTER UPDATE ON prio.customer_state
    FOR EACH ROW EXECUTE FUNCTION public.engine_paths_seen();

SELECT setseed(0.16);
INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline, created_at)
SELECT 7000 + i, 'engine ' || i, (ARRAY['ann', 'ben', NULL])[1 + i % 3],
       CASE WHEN random() < 0.7 THEN random() < 0.5 END, CASE WHEN random() < 0.7 THEN random() < 0.5 END,
       CASE WHEN random() < 0.7 THEN random() < 0.5 END, CASE WHEN random() < 0.7 THEN random() < 0.5 END,
       now() - interval '200 days'
  FROM generate_series(1, 60) i;
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 7000 + 1 + (random() * 59)::int, k.kind, now() - random() * interval '180 days',
       CASE WHEN k.is_purchase THEN round((random() * 900)::numeric, 2) ELSE 0 END
  FROM generate_series(1, 600) g
 CROSS JOIN LATERAL (SELECT kind, is_purchase FROM prio.activity_kinds
                      WHERE g > 0 ORDER BY random() LIMIT 1) k;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'the inserted activities: live state equals a rebuild');

-- one path: the executor rows it wrote, the rows the user's trigger saw, the rebuild check
CREATE FUNCTION pg_temp.path(sql text, OUT executor bigint, OUT updates bigint, OUT seen bigint,
                             OUT check_ text) LANGUAGE plpgsql AS $$
DECLARE
    e0 bigint := pg_temp.executor_rows();
    u0 bigint := pg_temp.update_rows();
BEGIN
    DELETE FROM public.engine_paths_seen;
    EXECUTE sql;
    executor := pg_temp.executor_rows() - e0;
    updates := pg_temp.update_rows() - u0;
    SELECT count(*) INTO seen FROM public.engine_paths_seen;
    check_ := pg_temp.rebuild_check();
END
$$;

------------------------------------------------------------------------
-- UPDATE of activities: every customer the rows belonged to, before or after
------------------------------------------------------------------------
SELECT * INTO TEMP p FROM pg_temp.path($$
    UPDATE prio.activities SET customer_id = 7060, at = at - interval '1 day'
     WHERE activity_id IN (SELECT activity_id FROM prio.activities
                            WHERE customer_id BETWEEN 7001 AND 7005)$$);
SELECT is((SELECT executor FROM p), 6::bigint, 'UPDATE of activities: its 6 customers (old and new owners of the rows) written through the executor');
SELECT is((SELECT updates FROM p), 0::bigint, 'UPDATE of activities: nothing by the SQL UPDATE');
SELECT is((SELECT seen FROM p), 6::bigint, 'UPDATE of activities: a user''s row trigger on customer_state fires for each');
SELECT is((SELECT check_ FROM p), 'facts fixed 0, rows changed 0', 'UPDATE of activities: state equals a rebuild');
SELECT ok(EXISTS (SELECT 1 FROM prio.tier_history WHERE reason LIKE 'activity update: %'
                    AND customer_id BETWEEN 7001 AND 7005),
          'UPDATE of activities: history reads "activity update: <rule>"');
DROP TABLE p;

------------------------------------------------------------------------
-- DELETE of activities
------------------------------------------------------------------------
SELECT * INTO TEMP p FROM pg_temp.path($$
    DELETE FROM prio.activities WHERE activity_id IN (SELECT min(activity_id) FROM prio.activities
                                                       WHERE customer_id IN (7010, 7011, 7012)
                                                       GROUP BY customer_id)$$);
SELECT is((SELECT executor FROM p), 3::bigint,
          'DELETE of activities: its 3 customers written through the executor');
SELECT is((SELECT seen FROM p), 3::bigint, 'DELETE of activities: a user''s row trigger fires for each');
SELECT is((SELECT check_ FROM p), 'facts fixed 0, rows changed 0', 'DELETE of activities: state equals a rebuild');
DROP TABLE p;

------------------------------------------------------------------------
-- UPDATE of customers: BANT answers re-tier, the owner follows
------------------------------------------------------------------------
SELECT * INTO TEMP p FROM pg_temp.path($$
    UPDATE prio.customers SET budget = true, authority = true, need = true, timeline = true,
                              owner = 'cat'
     WHERE customer_id BETWEEN 7020 AND 7024$$);
SELECT cmp_ok((SELECT executor FROM p), '>', 0::bigint, 'UPDATE of customers: re-tiered rows written through the executor');
SELECT is((SELECT updates FROM p), 0::bigint, 'UPDATE of customers: the evaluation by no SQL UPDATE');
SELECT cmp_ok((SELECT seen FROM p), '>=', (SELECT executor FROM p), 'UPDATE of customers: a user''s row trigger fires for each');
SELECT is((SELECT check_ FROM p), 'facts fixed 0, rows changed 0', 'UPDATE of customers: state equals a rebuild');
SELECT is((SELECT count(*) FROM prio.customer_state WHERE customer_id BETWEEN 7020 AND 7024 AND owner = 'cat'),
          5::bigint, 'UPDATE of customers: the state''s owner follows the customer''s');
SELECT is((SELECT min(bant) FROM prio.customer_state WHERE customer_id BETWEEN 7020 AND 7024),
          4, 'UPDATE of customers: the new BANT answers are evaluated');
DROP TABLE p;

------------------------------------------------------------------------
-- recompute(): one customer (rebuild of ids) and everyone (the sweep)
------------------------------------------------------------------------
UPDATE prio.customer_state SET frequency = frequency + 7, owner = 'nobody' WHERE customer_id = 7030;
SELECT * INTO TEMP p FROM pg_temp.path($$ SELECT prio.recompute(7030) $$);
SELECT is((SELECT executor FROM p), 1::bigint, 'recompute(id): the wrong row written through the executor');
SELECT is((SELECT check_ FROM p), 'facts fixed 0, rows changed 0', 'recompute(id): state equals a rebuild');
SELECT is((SELECT owner FROM prio.customer_state WHERE customer_id = 7030),
          (SELECT owner FROM prio.customers WHERE customer_id = 7030), 'recompute(id): the owner follows the customer''s');
DROP TABLE p;
DELETE FROM public.engine_paths_seen;
SELECT is(prio.recompute(7031), 0, 'recompute(id) of a right row: no facts fixed ...');
SELECT is((SELECT count(*) FROM public.engine_paths_seen WHERE customer_id = 7031), 0::bigint,
          '... and the row is not written (force false: only rows that differ)');
UPDATE prio.customer_state SET monetary = monetary + 1 WHERE customer_id IN (7032, 7033);
SELECT * INTO TEMP p FROM pg_temp.path($$ SELECT prio.recompute() $$);
SELECT cmp_ok((SELECT executor FROM p), '>=', 2::bigint, 'recompute(): the wrong rows written through the executor');
SELECT is((SELECT check_ FROM p), 'facts fixed 0, rows changed 0', 'recompute(): state equals a rebuild');
DROP TABLE p;

------------------------------------------------------------------------
-- a settings change, refresh()
------------------------------------------------------------------------
SELECT * INTO TEMP p FROM pg_temp.path($$ UPDATE prio.settings SET bant_threshold = 2 $$);
SELECT cmp_ok((SELECT executor FROM p), '>=', (SELECT count(*) FROM prio.customer_state WHERE customer_id > 7000),
              'a settings change: every row written through the executor');
SELECT is((SELECT updates FROM p), 0::bigint, 'a settings change: nothing by the SQL UPDATE');
SELECT cmp_ok((SELECT seen FROM p), '>=', (SELECT count(*) FROM prio.customer_state WHERE customer_id > 7000),
              'a settings change: a user''s row trigger fires for each');
SELECT is((SELECT check_ FROM p), 'facts fixed 0, rows changed 0', 'a settings change: state equals a rebuild');
DROP TABLE p;

SELECT * INTO TEMP p FROM pg_temp.path($$ SELECT prio.refresh(now() + interval '120 days') $$);
SELECT cmp_ok((SELECT executor FROM p), '>', 0::bigint, 'refresh(): the rows that change written through the executor');
SELECT is((SELECT updates FROM p), 0::bigint, 'refresh(): nothing by the SQL UPDATE');
SELECT is((SELECT seen FROM p), (SELECT executor FROM p), 'refresh(): a user''s row trigger fires for each');
SELECT is((SELECT changed FROM prio.refresh_runs ORDER BY run_id DESC LIMIT 1)::bigint,
          (SELECT count(*) FROM prio.tier_history WHERE reason LIKE 'refresh: %'),
          'refresh(): returns the changes of tier or stage, one history row each');
DROP TABLE p;
-- refresh evaluated as of 120 days on; a rebuild evaluates now: back to now first
SELECT prio.refresh(now()) IS NOT NULL AS back_to_now;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'refresh(now()) after refresh(later): state equals a rebuild');

------------------------------------------------------------------------
-- prio.rebuild(), prio.reevaluate() called directly (internal)
------------------------------------------------------------------------
SELECT is(prio.rebuild(ARRAY[7040, NULL, 7040, 99999999]::bigint[], 'engine test', false), 0,
          'rebuild(ids): repeats, NULLs and unknown customers are skipped');
SELECT is((SELECT count(*) FROM prio.customer_state WHERE customer_id = 99999999), 0::bigint,
          'rebuild(ids): no state row for a customer that does not exist');
DELETE FROM prio.customer_state WHERE customer_id = 7041;
SELECT is(prio.rebuild(ARRAY[7041]::bigint[], 'engine test', false),
          (SELECT (count(*) > 0)::int FROM prio.activities WHERE customer_id = 7041),
          'rebuild(ids): a missing state row is made again and folded (its facts counted as fixed)');
SELECT is(pg_temp.rebuild_check(7041), 'facts fixed 0, rows changed 0', 'rebuild(ids): the state row made again equals a rebuild');
SELECT is(prio.reevaluate(NULL, now(), 'engine test'), 0, 'reevaluate(NULL): nothing');
SELECT is(prio.reevaluate(ARRAY[7042, 7043]::bigint[], now(), 'engine test'), 0,
          'reevaluate(ids) of rows evaluated now: no change');

------------------------------------------------------------------------
-- TRUNCATE of activities: everyone, by the sweep
------------------------------------------------------------------------
SELECT * INTO TEMP p FROM pg_temp.path($$ TRUNCATE prio.activities $$);
SELECT cmp_ok((SELECT executor FROM p), '>=', (SELECT count(*) FROM prio.customer_state WHERE customer_id > 7000),
              'TRUNCATE of activities: every row written through the executor');
SELECT is((SELECT check_ FROM p), 'facts fixed 0, rows changed 0', 'TRUNCATE of activities: state equals a rebuild');
SELECT is((SELECT count(*) FROM prio.customer_state WHERE last_at IS NOT NULL), 0::bigint,
          'TRUNCATE of activities: no customer has activity facts left');
DROP TABLE p;

------------------------------------------------------------------------
-- win_features(): the C against 0.3's SQL body, on randomized data
------------------------------------------------------------------------
CREATE FUNCTION pg_temp.win_features_sql(state prio.customer_state) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.jsonb_build_object(
               'stage', state.stage::text,
               'owner', coalesce(c.owner, '(none)'),
               'budget', CASE c.budget WHEN true THEN 'yes' WHEN false THEN 'no' ELSE 'unknown' END,
               'authority', CASE c.authority WHEN true THEN 'yes' WHEN false THEN 'no' ELSE 'unknown' END,
               'need', CASE c.need WHEN true THEN 'yes' WHEN false THEN 'no' ELSE 'unknown' END,
               'timeline', CASE c.timeline WHEN true THEN 'yes' WHEN false THEN 'no' ELSE 'unknown' END,
               'rfm_segment', coalesce(CASE WHEN state.frequency > 0
                                             THEN prio.rfm_segment(state.r_score, state.f_score, state.m_score) END,
                                        'none'))
           ||
           coalesce((SELECT pg_catalog.jsonb_object_agg('kind:' || k.kind,
                               CASE WHEN k.kind = ANY (seen.kinds) THEN 'yes' ELSE 'no' END)
                       FROM prio.activity_kinds k,
                            (SELECT pg_catalog.array_agg(DISTINCT a.kind) AS kinds
                               FROM prio.activities a
                              WHERE a.customer_id = state.customer_id
                                AND a.at <= state.last_at) seen
                      WHERE NOT k.is_purchase
                        AND (k.stage IS NULL OR k.stage <> ALL ('{won,lost}'::prio.stage[]))),
                    '{}'::jsonb)
      FROM prio.customers c
     WHERE c.customer_id = state.customer_id
$$;
INSERT INTO prio.activity_kinds (kind, direction, stage, is_purchase, intent_weight)
VALUES ('webinar', 'inbound', 'engaged', false, 1.5), ('chat', 'inbound', NULL, false, 0.5);
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 7000 + 1 + (random() * 59)::int, k.kind, now() - random() * interval '300 days',
       CASE WHEN k.is_purchase THEN round((random() * 2000)::numeric, 2) ELSE 0 END
  FROM generate_series(1, 900) g
 CROSS JOIN LATERAL (SELECT kind, is_purchase FROM prio.activity_kinds
                      WHERE g > 0 ORDER BY random() LIMIT 1) k;
UPDATE prio.customers SET owner = NULL, budget = NULL WHERE customer_id % 7 = 0 AND customer_id > 7000;
SELECT is((SELECT count(*) FROM prio.customer_state s
            WHERE s.customer_id > 7000 AND prio.win_features(s) IS DISTINCT FROM pg_temp.win_features_sql(s)),
          0::bigint, 'win_features(): the C equals 0.3''s SQL on every randomized state row');
SELECT is((SELECT count(DISTINCT prio.win_features(s)) FROM prio.customer_state s WHERE s.customer_id > 7000) > 20,
          true, '... and the rows are not all alike');
-- a state row whose last_at comes before some of its activities: only those up to it count
SELECT is((SELECT count(*) FROM prio.customer_state s0,
                  LATERAL (SELECT ROW(s0.customer_id, s0.first_at, s0.first_at + (s0.last_at - s0.first_at) / 2,
                                  s0.last_inbound_at, s0.last_outbound_at, s0.last_purchase_at, s0.frequency,
                                  s0.monetary, s0.intent, s0.intent_at, s0.stage, s0.effective_stage,
                                  s0.r_score, s0.f_score, s0.m_score, s0.bant, s0.no_reply, s0.value_high,
                                  s0.intent_high, s0.tier, s0.priority, s0.next_due_at, s0.rule,
                                  s0.updated_at, s0.first_purchase_at, s0.purchase_days,
                                  s0.first_day_amount, s0.owner, s0.next_planned_at,
                                  s0.month_purchases, s0.month_inbound, s0.types, s0.playbook, s0.open_deals,
                                  s0.funnel_stage, s0.pipeline, s0.last_deal_at, s0.deal_closed_at,
                                  s0.deal_outcome, s0.quote_amount, s0.quote_at, s0.stage_at)::prio.customer_state AS s) y
            WHERE s0.customer_id > 7000
              AND prio.win_features(y.s) IS DISTINCT FROM pg_temp.win_features_sql(y.s)),
          0::bigint, 'win_features(): equal for rows with an earlier last_at too');

-- win_features() in a parallel query (PARALLEL RESTRICTED: the leader runs
-- it, and no new snapshot may be taken there) with its configuration to be
-- read again: a savepoint's rollback makes prio forget the cached copy
SAVEPOINT engine_paths_parallel;
ROLLBACK TO SAVEPOINT engine_paths_parallel;
SET LOCAL force_parallel_mode = on;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SELECT count(prio.win_features(s)) AS engine_paths_parallel_n FROM prio.customer_state s \gset
RESET force_parallel_mode;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SELECT is(:'engine_paths_parallel_n'::bigint, (SELECT count(*) FROM prio.customer_state),
          'win_features(): works in a parallel query that reads the configuration (no new snapshot in the leader)');

------------------------------------------------------------------------
-- bad input
------------------------------------------------------------------------
SELECT is(prio.win_features(ROW(424242, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 'prospect',
                                'prospect', NULL, NULL, NULL, 0, false, false, false, 'D', 0, now(),
                                'x', now(), NULL, 0, 0, NULL, NULL, NULL, NULL, '{}', NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL)::prio.customer_state),
          NULL::jsonb, 'bad input: win_features() of a customer that does not exist is NULL, as the SQL gave');
SELECT is(prio.win_features(NULL), NULL::jsonb, 'bad input: win_features(NULL) is NULL');
SELECT throws_ok($$SELECT prio.rebuild(ARRAY[7001]::bigint[], NULL, true)$$, '22004', 'why must not be NULL',
                 'bad input: rebuild() refuses a NULL why');
SELECT throws_ok($$SELECT prio.rebuild(ARRAY[7001]::bigint[], 'x', NULL)$$, '22004', 'force must not be NULL',
                 'bad input: rebuild() refuses a NULL force');
SELECT throws_ok($$SELECT prio.reevaluate(ARRAY[7001]::bigint[], NULL, 'x')$$, '22004', 'as_of must not be NULL',
                 'bad input: reevaluate() refuses a NULL as_of');
SELECT throws_ok($$SELECT prio.reevaluate(ARRAY[7001]::bigint[], now(), NULL)$$, '22004', 'why must not be NULL',
                 'bad input: reevaluate() refuses a NULL why');
SELECT throws_ok($$SELECT prio.rebuild(ARRAY[[7001]]::bigint[], 'x', true)$$, '2202E', NULL,
                 'bad input: rebuild() refuses a two-dimensional array');
CREATE TABLE public.engine_paths_other (customer_id bigint, at timestamptz, created_at timestamptz);
CREATE TRIGGER wrong AFTER UPDATE ON public.engine_paths_other REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION prio.activities_changed();
INSERT INTO public.engine_paths_other VALUES (7001, now(), now());
SELECT throws_ok($$UPDATE public.engine_paths_other SET at = at$$, '39P01',
                 'prio.activities_changed() is a trigger of prio.activities only',
                 'bad input: activities_changed() on another table is refused (39P01)');
DROP TRIGGER wrong ON public.engine_paths_other;
CREATE TRIGGER wrong AFTER UPDATE ON public.engine_paths_other REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION prio.customers_changed();
SELECT throws_ok($$UPDATE public.engine_paths_other SET at = at$$, '39P01',
                 'prio.customers_changed() is a trigger of prio.customers only',
                 'bad input: customers_changed() on another table is refused (39P01)');
CREATE TRIGGER wrong_row AFTER DELETE ON prio.activities
    FOR EACH ROW EXECUTE FUNCTION prio.activities_changed();
SELECT throws_ok($$DELETE FROM prio.activities WHERE customer_id = 7001$$, '39P01', NULL,
                 'bad input: activities_changed() as a row trigger is refused (39P01)');
DROP TRIGGER wrong_row ON prio.activities;
INSERT INTO prio.activities (customer_id, kind) VALUES (7001, 'call');
SELECT throws_ok($$UPDATE prio.activities SET at = now() + interval '2 days' WHERE customer_id = 7001$$, '22008',
                 'activity dated more than a day in the future',
                 'bad input: UPDATE of an activity into the future is refused (22008)');
SELECT throws_ok($$UPDATE prio.customers SET created_at = now() + interval '2 days' WHERE customer_id = 7001$$, '22008',
                 'customer created_at is more than a day in the future',
                 'bad input: a customer created in the future is refused (22008)');

SELECT * FROM finish();
SELECT count(setval(seq::regclass, coalesce(last_value, start_value), last_value IS NOT NULL)) >= 0 AS sequences_back
  FROM engine_paths_seqs;
ROLLBACK;
