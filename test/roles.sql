-- pgTAP: the role model.  A reader reads, a writer maintains customers and
-- activities, an admin also owns the configuration and refresh; nobody but
-- prio's triggers writes customer_state or tier_history.
BEGIN;
SELECT plan(45);
-- A (auto)vacuum waits for a transaction that changed the table's pg_class
-- row (PostgreSQL 15.9 on), as the grants below do; the settings change
-- below, whose LOCK ... EXCLUSIVE then waited for that vacuum, deadlocked
-- (40P01, now and then: docs/operations.md).  Kept out first.
LOCK TABLE prio.customer_state IN SHARE UPDATE EXCLUSIVE MODE;

CREATE ROLE prio_t_reader; CREATE ROLE prio_t_writer; CREATE ROLE prio_t_admin; CREATE ROLE prio_t_nobody;
SELECT lives_ok($$SELECT prio.grant_reader('prio_t_reader')$$, 'grant_reader applies');
SELECT lives_ok($$SELECT prio.grant_writer('prio_t_writer')$$, 'grant_writer applies');
SELECT lives_ok($$SELECT prio.grant_admin('prio_t_admin')$$, 'grant_admin applies');
SELECT throws_ok($$SELECT prio.grant_reader(NULL)$$, '22004', NULL, 'grant_reader(NULL) is refused');
SELECT throws_ok($$SELECT prio.grant_reader('no_such_role_xyz')$$, '42704', NULL, 'an unknown role is refused');
INSERT INTO prio.customers (customer_id, name, owner) VALUES (88001, 'Roles', 'alice');

SET ROLE prio_t_reader;
SELECT lives_ok($$SELECT * FROM prio.followup LIMIT 5$$, 'reader: reads the follow-up list');
SELECT lives_ok($$SELECT prio.explain(88001)$$, 'reader: explains a customer');
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (88001, 'reply')$$, '42501', NULL, 'reader: cannot insert activities');
SELECT throws_ok($$UPDATE prio.customers SET budget = true WHERE customer_id = 88001$$, '42501', NULL, 'reader: cannot change customers');
SELECT throws_ok($$SELECT prio.refresh()$$, '42501', NULL, 'reader: cannot refresh');
RESET ROLE;

SET ROLE prio_t_writer;
SELECT lives_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (88001, 'inquiry')$$, 'writer: inserts an activity (the trigger re-tiers as prio)');
SELECT lives_ok($$UPDATE prio.customers SET budget = true, authority = true WHERE customer_id = 88001$$, 'writer: updates BANT answers');
SELECT is((SELECT tier FROM prio.customer_state WHERE customer_id = 88001), 'A', 'writer: the customer was re-tiered');
SELECT throws_ok($$UPDATE prio.settings SET intent_threshold = 1$$, '42501', NULL, 'writer: cannot change settings');
SELECT throws_ok($$UPDATE prio.customer_state SET tier = 'A'$$, '42501', NULL, 'writer: cannot write tiers directly');
SELECT throws_ok($$INSERT INTO prio.tier_history (customer_id, changed_at) VALUES (88001, now())$$, '42501', NULL, 'writer: cannot write history');
SELECT lives_ok($$INSERT INTO prio.deals (customer_id, stage, amount) VALUES (88001, 'quote', 100)$$, 'writer: records a deal');
SELECT throws_ok($$INSERT INTO prio.deals (customer_id, created_at, source, deal_key) VALUES (88001, now() + interval '300 days', 'prio.customers'::regclass, 'x')$$,
                 '42501', NULL, 'writer: cannot forge a tracked table''s deal (source and deal_key are prio.track()''s), so cannot date one beyond the one-day rule');
SELECT throws_ok($$UPDATE prio.deals SET deal_key = 'x' WHERE customer_id = 88001$$, '42501', NULL, 'writer: nor turn a deal into a tracked one');
SELECT throws_ok($$INSERT INTO prio.customers (customer_id, name, source, customer_key) VALUES (88002, 'Forged', 'prio.customers'::regclass, '1')$$,
                 '42501', NULL, 'writer: cannot forge a tracked table''s customer (source and customer_key are prio.track()''s)');
SELECT throws_ok($$UPDATE prio.customers SET source = 'prio.customers'::regclass, customer_key = '1' WHERE customer_id = 88001$$,
                 '42501', NULL, 'writer: nor turn a customer into a tracked one (it was listed twice in followup)');
RESET ROLE;
INSERT INTO prio.deals (customer_id, stage, amount, source, deal_key) VALUES (88001, 'quote', 50, 'prio.customers'::regclass, 'mirrored-1');
SET ROLE prio_t_writer;
SELECT throws_ok($$UPDATE prio.deals SET created_at = now() + interval '50 years' WHERE deal_key = 'mirrored-1'$$, '42501', NULL,
                 'writer: cannot change a deal mirrored from a tracked table (prio.track() keeps it equal to its row), so cannot date it beyond the one-day rule');
SELECT lives_ok($$DELETE FROM prio.deals WHERE deal_key = 'mirrored-1'$$, 'writer: a DELETE of a mirrored deal ...');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM prio.deals WHERE deal_key = 'mirrored-1'), 1, '... leaves it: only prio.track() deletes a mirrored deal');
SET ROLE prio_t_writer;
SELECT throws_ok($$SET prio.notify = off$$, '42501', NULL, 'writer: cannot silence the tier-change notifications others listen to (prio.notify is a superuser''s setting)');
RESET ROLE;

SET ROLE prio_t_admin;
SELECT lives_ok($$UPDATE prio.settings SET intent_threshold = 2.5$$, 'admin: changes settings (everyone re-tiered)');
SELECT lives_ok($$SELECT prio.refresh()$$, 'admin: refreshes');
SELECT throws_ok($$UPDATE prio.customer_state SET tier = 'A'$$, '42501', NULL, 'admin: cannot write tiers directly either');
SELECT throws_ok($$DELETE FROM prio.tier_history$$, '42501', NULL, 'admin: cannot rewrite history');
RESET ROLE;

SET ROLE prio_t_nobody;
SELECT throws_ok($$SELECT * FROM prio.followup$$, '42501', NULL, 'a role without grants sees nothing');
RESET ROLE;
SELECT is((SELECT count(*) FROM prio.tier_history WHERE customer_id = 88001) > 0, true, 'history was written by prio');


-- prio's trigger functions are prio's own: nobody attaches them to a table of
-- theirs (several run as prio's owner), and they refuse any other table
SET ROLE prio_t_reader;
CREATE TEMP TABLE fake_activities (customer_id bigint, at timestamptz, activity_id bigint, kind text, amount numeric);
SELECT throws_ok($$CREATE TRIGGER t AFTER INSERT ON fake_activities REFERENCING NEW TABLE AS new_rows
                   FOR EACH STATEMENT EXECUTE FUNCTION prio.activities_inserted()$$, '42501', NULL,
                 'reader: cannot attach the insert trigger function to a table of theirs');
SELECT throws_ok($$CREATE TRIGGER t AFTER UPDATE ON fake_activities
                   FOR EACH STATEMENT EXECUTE FUNCTION prio.state_closed_flush()$$, '42501', NULL,
                 'reader: nor the outcome flush');
SELECT throws_ok($$SELECT * FROM prio.win_counts$$, '42501', NULL,
                 'reader: cannot read the raw win-count deltas (one statement''s rows are one deal)');
SELECT lives_ok($$SELECT prio.win_model()$$, 'reader: reads the summed model');
RESET ROLE;
CREATE TRIGGER t AFTER INSERT ON fake_activities REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION prio.activities_inserted();
SELECT throws_ok($$INSERT INTO fake_activities VALUES (88001, now(), 1, 'rejected', 0)$$, '39P01', NULL,
                 'the insert trigger refuses any table but prio.activities');
CREATE TEMP TABLE fake_customers (customer_id bigint, created_at timestamptz, owner text);
CREATE TRIGGER t AFTER UPDATE ON fake_customers REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION prio.customers_changed();
INSERT INTO fake_customers VALUES (88001, now(), 'mallory');
SELECT throws_ok($$UPDATE fake_customers SET owner = 'mallory'$$, '39P01', NULL,
                 'customers_changed refuses any table but prio.customers');
CREATE TRIGGER t2 AFTER UPDATE ON fake_customers FOR EACH ROW EXECUTE FUNCTION prio.state_closed();
SELECT throws_ok($$UPDATE fake_customers SET owner = 'x'$$, '39P01', NULL,
                 'state_closed refuses any table but prio.customer_state');

-- refresh() and the win-count compaction run one at a time by locking their
-- row of prio.job_locks; no other role can take those locks (an advisory key
-- could be taken by anyone and stopped them), nor a table lock that makes them wait
SET ROLE prio_t_writer;
SELECT throws_ok($$SELECT 1 FROM prio.job_locks FOR UPDATE$$, '42501', NULL,
                 'writer: cannot lock the job rows refresh() and the compaction take');
SELECT throws_ok($$SELECT 1 FROM prio.job_locks FOR KEY SHARE$$, '42501', NULL,
                 'writer: nor hold them in the weakest row-lock mode');
SELECT throws_ok($$LOCK TABLE prio.job_locks IN ACCESS SHARE MODE$$, '42501', NULL,
                 'writer: nor lock the job table');
RESET ROLE;
SET ROLE prio_t_admin;
SELECT throws_ok($$SELECT 1 FROM prio.job_locks FOR UPDATE$$, '42501', NULL,
                 'admin: runs refresh() but cannot hold its job row');
RESET ROLE;
SET ROLE prio_t_reader;
SELECT throws_ok($$LOCK TABLE prio.customer_state IN ROW SHARE MODE$$, '42501', NULL,
                 'reader: cannot hold a lock on customer_state that makes refresh() wait');
RESET ROLE;
SET ROLE prio_t_admin;
SELECT is((SELECT skipped FROM prio.refresh_runs ORDER BY run_id DESC LIMIT 1), false,
          'admin: reads the run log; their refresh is in it, not skipped');
RESET ROLE;
DELETE FROM prio.job_locks WHERE job = 'refresh';
SELECT throws_ok($$SELECT prio.refresh()$$, '55000', 'prio.job_locks has no row for the job refresh',
                 'a missing job row is an error, not a refresh skipped for ever');

SELECT * FROM finish();
ROLLBACK;
