-- pgTAP: how the insert trigger writes customer_state (src/engine/state_update.c).
-- The locked rows are written through the executor (ExecSimpleRelationUpdate),
-- so everything an UPDATE does happens as for an UPDATE: CHECK and NOT NULL
-- constraints (also ones a DBA added, renamed, or whose function changed), index
-- entries when an update is not HOT (unique and partial ones too), state_closed
-- and its flush, a user's row and statement triggers (BEFORE ones that change
-- the row too, UPDATE OF a column), foreign keys, the replica-identity check of
-- a publication.  A rule on UPDATE, row-level security or a trigger with
-- transition tables makes the trigger run the SQL UPDATE instead.  Which path
-- ran shows in prio.state_writes().  Either way the live rows equal a rebuild.
BEGIN;
SELECT plan(52);
SET LOCAL track_functions = 'all';

CREATE EXTENSION IF NOT EXISTS amcheck;
UPDATE prio.settings
   SET r_breaks = '{7,30,90,180}', f_breaks = '{1,2,3,5}', m_breaks = '{100,500,1000,5000}';

\ir lib/rebuild_check.psql
CREATE FUNCTION pg_temp.upd() RETURNS bigint LANGUAGE sql AS
$$ SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relid = 'prio.customer_state'::regclass $$;
CREATE FUNCTION pg_temp.hot() RETURNS bigint LANGUAGE sql AS
$$ SELECT n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relid = 'prio.customer_state'::regclass $$;
-- statements that ran the SQL UPDATE so far
CREATE FUNCTION pg_temp.updates() RETURNS bigint LANGUAGE sql AS
$$ SELECT statements FROM prio.state_writes() WHERE path = 'update' $$;
CREATE FUNCTION pg_temp.executor_rows() RETURNS bigint LANGUAGE sql AS
$$ SELECT state_rows FROM prio.state_writes() WHERE path = 'executor' $$;

INSERT INTO prio.customers (customer_id, name, owner)
SELECT 900 + i, 'state write ' || i, 'sw' FROM generate_series(1, 40) i;
SELECT pg_temp.updates() AS upd_base \gset

------------------------------------------------------------------------
-- through the executor: one row, then many
------------------------------------------------------------------------
INSERT INTO prio.activities (customer_id, kind, amount) VALUES (901, 'purchase', 250);
SELECT is((SELECT frequency || '/' || monetary || '/' || stage || '/' || (updated_at = now())
             FROM prio.customer_state WHERE customer_id = 901),
          '1/250/won/true', 'one row: the facts, the stage and updated_at written');
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 900 + i, (ARRAY['reply', 'visit', 'call', 'purchase'])[1 + i % 4],
       now() - (i || ' hours')::interval, i * 10
  FROM generate_series(1, 40) i;
SELECT is(pg_temp.updates(), :upd_base::bigint, 'through the executor: no SQL UPDATE ran');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'many rows: live state equals a rebuild');
SELECT pg_temp.updates() AS upd_base \gset

-- a savepoint rolled back undoes the write
SAVEPOINT sw;
INSERT INTO prio.activities (customer_id, kind, amount) VALUES (903, 'purchase', 999);
ROLLBACK TO SAVEPOINT sw;
SELECT is((SELECT monetary FROM prio.customer_state WHERE customer_id = 903), 30::numeric,
          'a rolled-back savepoint leaves the state row as it was');

------------------------------------------------------------------------
-- updates that are not HOT: an index on a column prio writes
------------------------------------------------------------------------
CREATE INDEX sw_priority_idx ON prio.customer_state (priority);
SELECT pg_temp.upd() AS upd0, pg_temp.hot() AS hot0 \gset
INSERT INTO prio.activities (customer_id, kind) SELECT 900 + i, 'inquiry' FROM generate_series(1, 40) i;
INSERT INTO prio.activities (customer_id, kind) VALUES (905, 'demo_request');
INSERT INTO prio.activities (customer_id, kind) VALUES (906, 'meeting');
SELECT is(pg_temp.upd() - :upd0, 42::bigint, 'indexed priority: 42 state rows updated');
SELECT is(pg_temp.updates(), :upd_base::bigint, 'indexed priority: still through the executor');
SELECT ok(pg_temp.hot() - :hot0 < 42, 'indexed priority: some updates were not HOT');
SELECT lives_ok($$SELECT bt_index_check('prio.customer_state_pkey', true)$$,
                'not HOT: the primary key has an entry for every row version (amcheck)');
SELECT lives_ok($$SELECT bt_index_check('prio.sw_priority_idx', true)$$,
                'not HOT: the index on priority too');
SELECT lives_ok($$SELECT bt_index_check('prio.customer_state_owner_idx', true)$$,
                'not HOT: and the index on owner');
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SELECT is((SELECT count(*) FROM prio.customer_state WHERE priority >= 0), 40::bigint,
          'not HOT: an index scan on priority finds each customer once');
SELECT is((SELECT count(*) FROM prio.customer_state WHERE customer_id BETWEEN 901 AND 940), 40::bigint,
          'not HOT: an index scan on customer_id finds each customer once');
RESET enable_seqscan;
RESET enable_bitmapscan;
-- more customers than one batch of 500, in one statement
INSERT INTO prio.customers (customer_id, name) SELECT 2000 + i, 'batch ' || i FROM generate_series(1, 1200) i;
INSERT INTO prio.activities (customer_id, kind) SELECT 2000 + i, 'reply' FROM generate_series(1, 1200) i;
INSERT INTO prio.activities (customer_id, kind) SELECT 2000 + i, 'meeting' FROM generate_series(1, 1200) i;
SELECT lives_ok($$SELECT bt_index_check('prio.sw_priority_idx', true)$$,
                'not HOT, 1,200 customers in batches of 500: every index entry there');
DROP INDEX prio.sw_priority_idx;
-- a GiST index: its per-statement insert cache must not outlive the statement
-- (the kept executor state once kept it, pointing at a relcache entry a
-- rename frees)
CREATE INDEX sw_gist ON prio.customer_state USING gist (tstzrange(updated_at, updated_at, '[]'));
INSERT INTO prio.activities (customer_id, kind) VALUES (931, 'visit');
ALTER INDEX prio.sw_gist RENAME TO sw_gist_renamed;
SELECT count(*) FROM prio.tier_history WHERE customer_id = 931;
SELECT lives_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (932, 'visit')$$,
                'a GiST index renamed between two writes: the second write goes through');
SELECT is((SELECT count(*) FROM prio.customer_state WHERE tstzrange(updated_at, updated_at, '[]') @> now()),
          (SELECT count(*) FROM prio.customer_state WHERE updated_at = now()),
          'the GiST index finds every row written in this transaction');
DROP INDEX prio.sw_gist_renamed;
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'not HOT: live state equals a rebuild');

-- a unique partial index a DBA added: 23505 as from the UPDATE
INSERT INTO prio.customers (customer_id, name) VALUES (960, 'twin a'), (961, 'twin b');
-- (new customers' rows are evaluated by an UPDATE: customers_changed)
SELECT pg_temp.updates() AS upd_base \gset
CREATE UNIQUE INDEX sw_unique ON prio.customer_state (last_at) WHERE customer_id IN (960, 961);
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind, at)
                   VALUES (960, 'visit', now() - interval '1 hour'), (961, 'visit', now() - interval '1 hour')$$,
                 '23505', NULL, 'a unique partial index: two customers with the same last_at fail with 23505');
SELECT lives_ok($$INSERT INTO prio.activities (customer_id, kind, at)
                  VALUES (960, 'visit', now() - interval '1 hour'), (961, 'visit', now() - interval '2 hours')$$,
                'a unique partial index: different last_at go through');
DROP INDEX prio.sw_unique;

------------------------------------------------------------------------
-- constraints a DBA added hold as they do for an UPDATE
------------------------------------------------------------------------
ALTER TABLE prio.customer_state ADD CONSTRAINT sw_no_closing CHECK (stage <> 'closing') NOT VALID;
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (910, 'quote')$$, '23514',
                 'new row for relation "customer_state" violates check constraint "sw_no_closing"',
                 'an added CHECK: an activity that breaks it fails with 23514 and its name');
SELECT is((SELECT count(*) FROM prio.activities WHERE customer_id = 910 AND kind = 'quote'), 0::bigint,
          'an added CHECK: the failed INSERT left no activity');
ALTER TABLE prio.customer_state RENAME CONSTRAINT sw_no_closing TO sw_never_closing;
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (910, 'quote')$$, '23514',
                 'new row for relation "customer_state" violates check constraint "sw_never_closing"',
                 'a renamed CHECK: the error names it by its new name');
ALTER TABLE prio.customer_state DROP CONSTRAINT sw_never_closing;
-- a CHECK calling a function, then the function replaced: the new body counts
CREATE FUNCTION public.sw_allowed(s prio.stage) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN RETURN true; END $$;
ALTER TABLE prio.customer_state ADD CONSTRAINT sw_allowed CHECK (public.sw_allowed(stage)) NOT VALID;
INSERT INTO prio.activities (customer_id, kind) VALUES (908, 'visit');
CREATE OR REPLACE FUNCTION public.sw_allowed(s prio.stage) RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN RETURN s <> 'interested'; END $$;
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (908, 'reply')$$, '23514',
                 'new row for relation "customer_state" violates check constraint "sw_allowed"',
                 'a CHECK whose function was replaced: the new body decides');
ALTER TABLE prio.customer_state DROP CONSTRAINT sw_allowed;
SELECT is(pg_temp.updates(), :upd_base::bigint, 'added, renamed and replaced CHECKs: still through the executor');
SELECT lives_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (910, 'quote')$$,
                'the CHECK dropped: the same INSERT goes through');
SELECT is((SELECT stage::text FROM prio.customer_state WHERE customer_id = 910), 'closing',
          'the CHECK dropped: the customer is closing');

------------------------------------------------------------------------
-- state_closed, disabled and enabled
------------------------------------------------------------------------
ALTER TABLE prio.customer_state DISABLE TRIGGER state_closed;
INSERT INTO prio.activities (customer_id, kind) VALUES (921, 'contract');
SELECT is((SELECT count(*) FROM prio.win_outcomes WHERE customer_id = 921), 0::bigint,
          'state_closed disabled: a closed deal records no outcome');
ALTER TABLE prio.customer_state ENABLE TRIGGER state_closed;
INSERT INTO prio.activities (customer_id, kind) VALUES (922, 'contract');
SELECT is((SELECT won FROM prio.win_outcomes WHERE customer_id = 922), true,
          'state_closed enabled: a closed deal records a won outcome');
INSERT INTO prio.activities (customer_id, kind) VALUES (922, 'rejected');
SELECT is((SELECT won FROM prio.win_outcomes WHERE customer_id = 922), false,
          'state_closed enabled: lost after won turns the outcome to lost');

------------------------------------------------------------------------
-- a backdated customer's row changed by someone else's trigger before prio
-- writes it (a trigger on tier_history, fired by an earlier customer's flush):
-- the batch takes the UPDATE, which finds the row by key
------------------------------------------------------------------------
INSERT INTO prio.customers (customer_id, name) VALUES (970, 'first in the statement'), (971, 'backdated');
INSERT INTO prio.activities (customer_id, kind) VALUES (971, 'visit');
CREATE FUNCTION public.sw_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.customer_id = 970 THEN
        UPDATE prio.customer_state SET owner = 'touched' WHERE customer_id = 971;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER sw_touch AFTER INSERT ON prio.tier_history FOR EACH ROW EXECUTE FUNCTION public.sw_touch();
SELECT lives_ok($$INSERT INTO prio.activities (customer_id, kind, at)
                  VALUES (970, 'inquiry', now()), (971, 'reply', now() - interval '1 day')$$,
                'a row changed after it was locked: the INSERT goes through');
SELECT is((SELECT owner || '/' || stage FROM prio.customer_state WHERE customer_id = 971), 'touched/interested',
          'a row changed after it was locked: the other trigger''s change kept, prio''s written over it');
DROP TRIGGER sw_touch ON prio.tier_history;

------------------------------------------------------------------------
-- a user's triggers on UPDATE fire, through the executor
------------------------------------------------------------------------
CREATE TABLE public.sw_log (customer_id bigint, tier text);
CREATE FUNCTION public.sw_log_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.sw_log VALUES (NEW.customer_id, NEW.tier);
    RETURN NULL;
END
$$;
CREATE FUNCTION public.sw_log_state_stmt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.sw_log VALUES (0, 'stmt');
    RETURN NULL;
END
$$;
SELECT pg_temp.updates() AS upd_base \gset
CREATE TRIGGER sw_log AFTER UPDATE ON prio.customer_state
    FOR EACH ROW EXECUTE FUNCTION public.sw_log_state();
INSERT INTO prio.activities (customer_id, kind) VALUES (913, 'reply');
INSERT INTO prio.activities (customer_id, kind) SELECT 900 + i, 'visit' FROM generate_series(14, 16) i;
SELECT is((SELECT array_agg(customer_id ORDER BY customer_id) FROM public.sw_log), '{913,914,915,916}'::bigint[],
          'a user''s row trigger on UPDATE fires for every state row the insert trigger writes');
SELECT is(pg_temp.updates(), :upd_base::bigint, 'a user''s row trigger: fired by the executor''s write, no SQL UPDATE');
DROP TRIGGER sw_log ON prio.customer_state;
-- a BEFORE trigger that changes the row: its change is what is written (by the
-- SQL UPDATE: a BEFORE row trigger takes it)
CREATE FUNCTION public.sw_before() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.owner := 'set by before';
    RETURN NEW;
END
$$;
CREATE TRIGGER sw_before BEFORE UPDATE ON prio.customer_state
    FOR EACH ROW WHEN (NEW.customer_id = 911) EXECUTE FUNCTION public.sw_before();
INSERT INTO prio.activities (customer_id, kind) VALUES (911, 'reply'), (912, 'reply');
SELECT is((SELECT string_agg(coalesce(owner, '-'), ',' ORDER BY customer_id) FROM prio.customer_state
            WHERE customer_id IN (911, 912)), 'set by before,sw',
          'a user''s BEFORE row trigger: its change to the row is written, its WHEN honoured');
SELECT is(pg_temp.updates(), (:upd_base + 1)::bigint, 'a user''s BEFORE row trigger: the SQL UPDATE ran');
DROP TRIGGER sw_before ON prio.customer_state;
-- one that updates its own row fails as the UPDATE does (27000), not with an internal error
CREATE FUNCTION public.sw_self() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('sw.busy', true) IS DISTINCT FROM 'on' THEN
        PERFORM set_config('sw.busy', 'on', true);
        UPDATE prio.customer_state SET rule = rule WHERE customer_id = NEW.customer_id;
        PERFORM set_config('sw.busy', 'off', true);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER sw_self BEFORE UPDATE ON prio.customer_state FOR EACH ROW EXECUTE FUNCTION public.sw_self();
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (912, 'visit')$$, '27000', NULL,
                 'a BEFORE row trigger updating its own state row: 27000, as from an UPDATE');
DROP TRIGGER sw_self ON prio.customer_state;
SELECT set_config('sw.busy', 'off', true);
SELECT pg_temp.updates() AS upd_base \gset
-- trigger functions with SET or SECURITY DEFINER (their call information
-- must outlive a row and a batch), over several batches of the insert trigger
-- and of the sweep
CREATE TABLE public.sw_count (what text, n bigint);
CREATE FUNCTION public.sw_count_row() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public AS $$
BEGIN
    INSERT INTO public.sw_count VALUES ('row', 1);
    RETURN NULL;
END
$$;
CREATE FUNCTION public.sw_count_stmt() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, public AS $$
BEGIN
    INSERT INTO public.sw_count VALUES ('statement', 1);
    RETURN NULL;
END
$$;
CREATE TRIGGER sw_count_row AFTER UPDATE ON prio.customer_state
    FOR EACH ROW EXECUTE FUNCTION public.sw_count_row();
CREATE TRIGGER sw_count_stmt AFTER UPDATE ON prio.customer_state
    FOR EACH STATEMENT EXECUTE FUNCTION public.sw_count_stmt();
INSERT INTO prio.activities (customer_id, kind) SELECT 2000 + i, 'visit' FROM generate_series(1, 1200) i;
SELECT is((SELECT string_agg(what || ' ' || n, ', ' ORDER BY what)
             FROM (SELECT what, sum(n) AS n FROM public.sw_count GROUP BY 1) x),
          'row 1200, statement 3',
          'SET and SECURITY DEFINER trigger functions: 1,200 rows in 3 batches, each trigger fired');
DELETE FROM public.sw_count;
SELECT prio.sweep_rebuild('state_write test', true) IS NOT NULL AS swept;
SELECT ok((SELECT sum(n) FROM public.sw_count WHERE what = 'statement') >= 2
          AND (SELECT sum(n) FROM public.sw_count WHERE what = 'row') >= 1240,
          'SET and SECURITY DEFINER trigger functions: the sweep fires them over several batches');
DROP TRIGGER sw_count_row ON prio.customer_state;
DROP TRIGGER sw_count_stmt ON prio.customer_state;
-- the triggers see what the statement did before the write (a snapshot of their own)
CREATE FUNCTION public.sw_peek() RETURNS trigger LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM set_config('sw.peek', (SELECT count(*) FROM prio.activities a
                                    WHERE a.customer_id = NEW.customer_id)::text, true);
    RETURN NULL;
END
$$;
CREATE TRIGGER sw_peek AFTER UPDATE ON prio.customer_state FOR EACH ROW EXECUTE FUNCTION public.sw_peek();
DELETE FROM public.sw_count;
INSERT INTO prio.activities (customer_id, kind) VALUES (925, 'visit');
SELECT is(current_setting('sw.peek')::bigint,
          (SELECT count(*) FROM prio.activities WHERE customer_id = 925),
          'a trigger on the state row sees the activity just inserted');
DROP TRIGGER sw_peek ON prio.customer_state;
SELECT is(pg_temp.updates(), :upd_base::bigint, 'those triggers: written through the executor');
-- a statement trigger fires once per statement; UPDATE OF a column fires when prio writes it
CREATE TRIGGER sw_stmt AFTER UPDATE ON prio.customer_state
    FOR EACH STATEMENT EXECUTE FUNCTION public.sw_log_state_stmt();
CREATE TRIGGER sw_of_tier AFTER UPDATE OF tier ON prio.customer_state
    FOR EACH ROW EXECUTE FUNCTION public.sw_log_state();
DELETE FROM public.sw_log;
INSERT INTO prio.activities (customer_id, kind) SELECT 900 + i, 'reply' FROM generate_series(21, 23) i;
SELECT is((SELECT string_agg(customer_id || ':' || tier, ',' ORDER BY customer_id) FROM public.sw_log),
          '0:stmt,921:' || (SELECT tier FROM prio.customer_state WHERE customer_id = 921) || ',922:'
          || (SELECT tier FROM prio.customer_state WHERE customer_id = 922) || ',923:'
          || (SELECT tier FROM prio.customer_state WHERE customer_id = 923),
          'a user''s statement trigger fires once, an UPDATE OF tier trigger for each row');
DROP TRIGGER sw_stmt ON prio.customer_state;
DROP TRIGGER sw_of_tier ON prio.customer_state;
-- a trigger with a transition table: the SQL UPDATE, whose rows it sees
CREATE FUNCTION public.sw_log_new_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.sw_log SELECT customer_id, 'transition' FROM new_rows;
    RETURN NULL;
END
$$;
CREATE TRIGGER sw_transition AFTER UPDATE ON prio.customer_state
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.sw_log_new_rows();
INSERT INTO prio.activities (customer_id, kind) VALUES (924, 'reply');
SELECT is((SELECT array_agg(customer_id) FROM public.sw_log WHERE tier = 'transition'), '{924}'::bigint[],
          'a trigger with a transition table sees the state row written');
SELECT is(pg_temp.updates(), (:upd_base + 1)::bigint, 'a trigger with a transition table: the SQL UPDATE ran');
DROP TRIGGER sw_transition ON prio.customer_state;
-- a user's rule on UPDATE
CREATE RULE sw_rule AS ON UPDATE TO prio.customer_state DO ALSO INSERT INTO public.sw_log VALUES (NEW.customer_id, 'rule');
INSERT INTO prio.activities (customer_id, kind) VALUES (917, 'reply');
SELECT is((SELECT count(*) FROM public.sw_log WHERE tier = 'rule' AND customer_id = 917), 1::bigint,
          'a user''s rule on UPDATE applies to the insert trigger''s write');
DROP RULE sw_rule ON prio.customer_state;
-- row-level security on the table
ALTER TABLE prio.customer_state ENABLE ROW LEVEL SECURITY;
INSERT INTO prio.activities (customer_id, kind) VALUES (918, 'reply');
SELECT is(pg_temp.updates(), (:upd_base + 3)::bigint, 'row-level security on customer_state: the SQL UPDATE ran');
ALTER TABLE prio.customer_state DISABLE ROW LEVEL SECURITY;
-- a foreign key on a column prio writes
CREATE TABLE public.sw_tiers (tier text PRIMARY KEY);
INSERT INTO public.sw_tiers VALUES ('Z');
ALTER TABLE prio.customer_state ADD CONSTRAINT sw_tier_fk FOREIGN KEY (tier) REFERENCES public.sw_tiers NOT VALID;
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (919, 'email')$$, '23503', NULL,
                 'a foreign key on tier: a tier it does not list fails with 23503, checked as for an UPDATE');
ALTER TABLE prio.customer_state DROP CONSTRAINT sw_tier_fk;
SELECT pg_temp.updates() AS upd_fk \gset
INSERT INTO prio.activities (customer_id, kind) VALUES (919, 'email');
SELECT is(pg_temp.updates(), :upd_fk::bigint, 'all of those gone: through the executor again');
SELECT pg_temp.executor_rows() AS ex0, pg_temp.updates() AS upd_sweep \gset
SELECT prio.sweep_rebuild('state_write test', true);
SELECT ok(pg_temp.executor_rows() - :ex0 >= 40 AND pg_temp.updates() = :upd_sweep,
          'everyone at once (the sweep) writes through the executor too');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'through the UPDATE: live state equals a rebuild');

------------------------------------------------------------------------
-- bad input: what the UPDATE would refuse is refused
------------------------------------------------------------------------
-- a NOT NULL a DBA set on a column prio writes as NULL (no recency breaks, no score)
UPDATE prio.settings SET r_breaks = NULL;
UPDATE prio.customer_state SET r_score = 1;
ALTER TABLE prio.customer_state ALTER COLUMN r_score SET NOT NULL;
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (930, 'reply')$$, '23502',
                 'null value in column "r_score" of relation "customer_state" violates not-null constraint',
                 'bad input: a NOT NULL column prio writes as NULL fails with 23502');
ALTER TABLE prio.customer_state ALTER COLUMN r_score DROP NOT NULL;
-- published for updates without a replica identity
SET LOCAL client_min_messages = error;  -- wal_level need not be logical here
CREATE PUBLICATION sw_pub FOR TABLE prio.customer_state;
RESET client_min_messages;
ALTER TABLE prio.customer_state REPLICA IDENTITY NOTHING;
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (920, 'reply')$$, '55000',
                 'cannot update table "customer_state" because it does not have a replica identity and publishes updates',
                 'bad input: published without a replica identity fails with 55000, as the UPDATE does');
ALTER TABLE prio.customer_state REPLICA IDENTITY DEFAULT;
SELECT lives_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (920, 'reply')$$,
                'published with its primary key as replica identity: the INSERT goes through');

-- a read-only transaction: the write refuses as the UPDATE does (25006)
CREATE FUNCTION pg_temp.read_only_sweep() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    SET LOCAL transaction_read_only = on;
    RETURN prio.sweep_rebuild('read only', true);
END
$$;
SELECT throws_ok($$SELECT pg_temp.read_only_sweep()$$, '25006', NULL,
                 'bad input: in a read-only transaction the write fails with 25006, as an UPDATE does');
SELECT * FROM finish();
ROLLBACK;
