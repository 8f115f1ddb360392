-- pgTAP: the lifecycle rules.
--   1. prio.next_stage(stage, kind_stage, inbound): one activity's effect on the base stage.
--   2. prio.effective_stage(base, since, as_of, silent_after, dormant_after): silent/dormant.
--   3. End to end: activities inserted into prio.activities, read back from
--      prio.customer_state.stage (base) and .effective_stage.
-- Times are relative to now(), which is constant inside the transaction.
BEGIN;
SELECT plan(76);

------------------------------------------------------------------------
-- 1. next_stage
------------------------------------------------------------------------

-- a kind with stage lost -> lost, from anywhere, whatever the direction
SELECT is(prio.next_stage('prospect', 'lost', true),  'lost', 'next_stage: lost kind from prospect -> lost');
SELECT is(prio.next_stage('closing',  'lost', false), 'lost', 'next_stage: outbound lost kind from closing -> lost');
SELECT is(prio.next_stage('won',      'lost', true),  'lost', 'next_stage: won customer with a lost kind -> lost');
SELECT is(prio.next_stage('lost',     'lost', true),  'lost', 'next_stage: lost stays lost with a lost kind');

-- a kind with stage won -> won, from anywhere
SELECT is(prio.next_stage('prospect', 'won', true),  'won', 'next_stage: won kind from prospect -> won');
SELECT is(prio.next_stage('engaged',  'won', false), 'won', 'next_stage: outbound won kind (contract) from engaged -> won');
SELECT is(prio.next_stage('lost',     'won', false), 'won', 'next_stage: won kind decides before the lost rule (lost -> won)');

-- when won, only lost moves it
SELECT is(prio.next_stage('won', NULL,      true),  'won', 'next_stage: won + inbound without stage stays won');
SELECT is(prio.next_stage('won', 'engaged', true),  'won', 'next_stage: won + inbound engaged kind stays won');
SELECT is(prio.next_stage('won', 'closing', false), 'won', 'next_stage: won + outbound closing kind stays won');
SELECT is(prio.next_stage('won', 'interested', true), 'won', 'next_stage: won + inbound interested kind stays won');

-- when lost: outbound changes nothing; inbound revives to greatest(interested, kind stage)
SELECT is(prio.next_stage('lost', NULL,      false), 'lost', 'next_stage: lost + outbound without stage stays lost');
SELECT is(prio.next_stage('lost', 'engaged', false), 'lost', 'next_stage: lost + outbound engaged kind (meeting) stays lost');
SELECT is(prio.next_stage('lost', 'closing', false), 'lost', 'next_stage: lost + outbound closing kind (quote) stays lost');
SELECT is(prio.next_stage('lost', NULL,      true), 'interested', 'next_stage: lost + inbound without stage -> interested');
SELECT is(prio.next_stage('lost', 'prospect', true), 'interested', 'next_stage: lost + inbound prospect kind -> interested (the greater)');
SELECT is(prio.next_stage('lost', 'interested', true), 'interested', 'next_stage: lost + inbound interested kind -> interested');
SELECT is(prio.next_stage('lost', 'engaged', true), 'engaged', 'next_stage: lost + inbound engaged kind -> engaged (the greater)');
SELECT is(prio.next_stage('lost', 'closing', true), 'closing', 'next_stage: lost + inbound closing kind -> closing');

-- otherwise forward only
SELECT is(prio.next_stage('prospect', NULL, false), 'prospect', 'next_stage: prospect + outbound without stage stays prospect');
SELECT is(prio.next_stage('prospect', 'engaged', false), 'engaged', 'next_stage: prospect + outbound engaged kind -> engaged');
SELECT is(prio.next_stage('interested', 'closing', false), 'closing', 'next_stage: interested + closing kind -> closing');
SELECT is(prio.next_stage('engaged', 'interested', true), 'engaged', 'next_stage: never backwards (engaged + interested kind)');
SELECT is(prio.next_stage('closing', 'engaged', false), 'closing', 'next_stage: never backwards (closing + engaged kind)');
SELECT is(prio.next_stage('engaged', 'prospect', false), 'engaged', 'next_stage: never backwards (engaged + prospect kind)');
SELECT is(prio.next_stage('closing', NULL, true), 'closing', 'next_stage: closing + inbound without stage stays closing');

-- any inbound moves a prospect to at least interested
SELECT is(prio.next_stage('prospect', NULL, true), 'interested', 'next_stage: prospect + inbound -> interested');
SELECT is(prio.next_stage('prospect', 'prospect', true), 'interested', 'next_stage: prospect + inbound prospect kind -> interested');
SELECT is(prio.next_stage('prospect', 'closing', true), 'closing', 'next_stage: prospect + inbound closing kind -> closing');
SELECT is(prio.next_stage('interested', NULL, true), 'interested', 'next_stage: interested + inbound stays interested');

-- arguments
SELECT throws_ok($$SELECT prio.next_stage(NULL, 'won', true)$$, '22004', NULL, 'next_stage: NULL stage refused');
SELECT throws_ok($$SELECT prio.next_stage('prospect', 'won', NULL)$$, '22004', NULL, 'next_stage: NULL inbound refused');

------------------------------------------------------------------------
-- 2. effective_stage (silent_after 30 days, dormant_after 90 days)
------------------------------------------------------------------------

SELECT is(prio.effective_stage('prospect', now() - interval '29 days', now(), '30 days', '90 days'),
          'prospect', 'effective_stage: prospect quiet 29 of 30 days stays prospect');
SELECT is(prio.effective_stage('prospect', now() - interval '31 days', now(), '30 days', '90 days'),
          'silent', 'effective_stage: prospect quiet 31 days -> silent');
SELECT is(prio.effective_stage('interested', now() - interval '31 days', now(), '30 days', '90 days'),
          'silent', 'effective_stage: interested quiet 31 days -> silent');
SELECT is(prio.effective_stage('engaged', now() - interval '31 days', now(), '30 days', '90 days'),
          'silent', 'effective_stage: engaged quiet 31 days -> silent');
SELECT is(prio.effective_stage('closing', now() - interval '31 days', now(), '30 days', '90 days'),
          'silent', 'effective_stage: closing quiet 31 days -> silent');
SELECT is(prio.effective_stage('closing', now() - interval '30 days' + interval '1 second', now(), '30 days', '90 days'),
          'closing', 'effective_stage: one second short of silent_after is not silent');
SELECT is(prio.effective_stage('won', now() - interval '89 days', now(), '30 days', '90 days'),
          'won', 'effective_stage: won quiet 89 days stays won (silent_after does not apply)');
SELECT is(prio.effective_stage('won', now() - interval '91 days', now(), '30 days', '90 days'),
          'silent', 'effective_stage: won quiet 91 days -> silent (dormant)');
SELECT is(prio.effective_stage('lost', now() - interval '1000 days', now(), '30 days', '90 days'),
          'lost', 'effective_stage: lost never turns silent');
SELECT is(prio.effective_stage('engaged', NULL, now(), '30 days', '90 days'),
          'engaged', 'effective_stage: no since -> base stage');
SELECT is(prio.effective_stage('engaged', now() + interval '2 days', now(), '30 days', '90 days'),
          'engaged', 'effective_stage: since in the future is not silent');
SELECT throws_ok($$SELECT prio.effective_stage(NULL, now(), now(), '30 days', '90 days')$$,
                 '22004', NULL, 'effective_stage: NULL base refused');
SELECT throws_ok($$SELECT prio.effective_stage('prospect', now(), now(), '0 days', '90 days')$$,
                 '22023', NULL, 'effective_stage: zero silent_after refused');

------------------------------------------------------------------------
-- 3. End to end through prio.activities
------------------------------------------------------------------------

\ir lib/rebuild_check.psql


-- 'base/effective' of a customer
CREATE FUNCTION pg_temp.st(id bigint) RETURNS text LANGUAGE sql AS
$$ SELECT s.stage || '/' || s.effective_stage FROM prio.customer_state s WHERE s.customer_id = id $$;

INSERT INTO prio.customers (customer_id, name, created_at) VALUES
    (101, 'no activity, new', now()),
    (102, 'no activity, created 31 days ago', now() - interval '31 days'),
    (103, 'only an old outbound call', now()),
    (104, 'outbound: first 40 days ago, last 1 day ago', now()),
    (105, 'inbound visit', now()),
    (106, 'inquiry then meeting then reply', now()),
    (107, 'quote then demo request', now()),
    (108, 'won, lost, revived', now()),
    (109, 'lost, then inbound trial', now()),
    (110, 'lost, then outbound meeting', now()),
    (111, 'outbound contract', now()),
    (112, 'won, last inbound 89 days ago', now()),
    (113, 'won, last inbound 91 days ago', now()),
    (114, 'engaged, inbound 31 days ago, outbound yesterday', now()),
    (115, 'time order: rejected after purchase', now()),
    (116, 'time order: purchase after rejected', now()),
    (117, 'tie: purchase then rejected at the same time', now()),
    (118, 'tie: rejected then purchase at the same time', now()),
    (119, 'backfill before lost', now()),
    (120, 'backfill of lost before won', now()),
    (121, 'outbound only, 10 days ago', now());

-- no activity: quiet clock starts at created_at
SELECT is(pg_temp.st(101), 'prospect/prospect', 'e2e: new customer without activity is prospect');
SELECT is(pg_temp.st(102), 'prospect/silent', 'e2e: no activity, created 31 days ago -> silent (counted from created_at)');

-- outbound only: quiet clock starts at the first activity
INSERT INTO prio.activities (customer_id, kind, at) VALUES (121, 'call', now() - interval '10 days');
SELECT is(pg_temp.st(121), 'prospect/prospect', 'e2e: an outbound call keeps a prospect prospect');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (103, 'call', now() - interval '31 days');
SELECT is(pg_temp.st(103), 'prospect/silent', 'e2e: only an outbound call 31 days ago -> silent');
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (104, 'call', now() - interval '40 days'), (104, 'email', now() - interval '1 day');
SELECT is(pg_temp.st(104), 'prospect/silent',
          'e2e: no inbound ever: counted from the first activity, a recent outbound does not reset it');

-- inbound makes a prospect interested
INSERT INTO prio.activities (customer_id, kind, at) VALUES (105, 'visit', now() - interval '1 hour');
SELECT is(pg_temp.st(105), 'interested/interested', 'e2e: inbound visit (no kind stage) -> interested');

-- forward only
INSERT INTO prio.activities (customer_id, kind, at) VALUES (106, 'inquiry', now() - interval '3 days');
SELECT is(pg_temp.st(106), 'interested/interested', 'e2e: inquiry -> interested');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (106, 'meeting', now() - interval '2 days');
SELECT is(pg_temp.st(106), 'engaged/engaged', 'e2e: outbound meeting -> engaged');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (106, 'reply', now() - interval '1 day');
SELECT is(pg_temp.st(106), 'engaged/engaged', 'e2e: a later reply (interested kind) does not move engaged back');

INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (107, 'quote', now() - interval '2 days'), (107, 'demo_request', now() - interval '1 day');
SELECT is(pg_temp.st(107), 'closing/closing', 'e2e: quote then demo request stays closing');

-- won -> (inbound) won -> lost -> (outbound) lost -> (inbound) interested
INSERT INTO prio.activities (customer_id, kind, at) VALUES (108, 'purchase', now() - interval '5 days');
SELECT is(pg_temp.st(108), 'won/won', 'e2e: purchase -> won');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (108, 'demo_request', now() - interval '4 days');
SELECT is(pg_temp.st(108), 'won/won', 'e2e: won customer stays won on an inbound engaged kind');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (108, 'rejected', now() - interval '3 days');
SELECT is(pg_temp.st(108), 'lost/lost', 'e2e: rejected moves won to lost');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (108, 'call', now() - interval '2 days');
SELECT is(pg_temp.st(108), 'lost/lost', 'e2e: an outbound call does not revive a lost customer');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (108, 'visit', now() - interval '1 day');
SELECT is(pg_temp.st(108), 'interested/interested', 'e2e: an inbound visit revives lost to interested');

INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (109, 'rejected', now() - interval '2 days'), (109, 'trial_use', now() - interval '1 day');
SELECT is(pg_temp.st(109), 'engaged/engaged', 'e2e: lost + inbound trial_use revives to engaged (greater than interested)');
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (110, 'rejected', now() - interval '2 days'), (110, 'meeting', now() - interval '1 day');
SELECT is(pg_temp.st(110), 'lost/lost', 'e2e: lost + outbound meeting stays lost');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (111, 'contract', now() - interval '1 day');
SELECT is(pg_temp.st(111), 'won/won', 'e2e: an outbound contract -> won');

-- dormant won customers
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES (112, 'purchase', now() - interval '89 days', 10);
SELECT is(pg_temp.st(112), 'won/won', 'e2e: won, last inbound 89 days ago -> still won');
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (113, 'purchase', now() - interval '91 days', 10), (113, 'call', now() - interval '1 day', 0);
SELECT is(pg_temp.st(113), 'won/silent', 'e2e: won, nothing inbound for 91 days (outbound does not count) -> silent');

-- open deal quiet since the last inbound
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (114, 'trial_use', now() - interval '31 days'), (114, 'meeting', now() - interval '1 day');
SELECT is(pg_temp.st(114), 'engaged/silent', 'e2e: engaged with last inbound 31 days ago -> silent despite outbound');

-- activities fold in time order, not insertion order (one statement each)
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (115, 'rejected', now() - interval '1 day'), (115, 'purchase', now() - interval '2 days');
SELECT is(pg_temp.st(115), 'lost/lost', 'e2e: purchase then (later) rejected -> lost, whatever the row order');
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (116, 'purchase', now() - interval '1 day'), (116, 'rejected', now() - interval '2 days');
SELECT is(pg_temp.st(116), 'won/won', 'e2e: rejected then (later) purchase -> won, whatever the row order');

-- ties at the same time fold in activity_id (insertion) order
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (117, 'purchase', now() - interval '1 day'), (117, 'rejected', now() - interval '1 day');
SELECT is(pg_temp.st(117), 'lost/lost', 'e2e: tie purchase, rejected -> lost (activity_id order)');
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (118, 'rejected', now() - interval '1 day'), (118, 'purchase', now() - interval '1 day');
SELECT is(pg_temp.st(118), 'won/won', 'e2e: tie rejected, purchase -> won (activity_id order)');

-- backfills (older than what is stored) refold in time order
INSERT INTO prio.activities (customer_id, kind, at) VALUES (119, 'rejected', now() - interval '1 day');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (119, 'purchase', now() - interval '5 days');
SELECT is(pg_temp.st(119), 'lost/lost', 'e2e: a purchase backfilled before a rejection leaves the customer lost');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (120, 'purchase', now() - interval '1 day');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (120, 'rejected', now() - interval '5 days');
SELECT is(pg_temp.st(120), 'won/won', 'e2e: a rejection backfilled before a purchase leaves the customer won');
-- the same backfill again, at exactly the stored last_at (a tie): after it in activity_id order
INSERT INTO prio.activities (customer_id, kind, at) VALUES (120, 'rejected', now() - interval '1 day');
SELECT is(pg_temp.st(120), 'lost/lost', 'e2e: a rejection tied with the last purchase but inserted later -> lost');

-- the quiet clock runs from the last inbound, also after a revival
SELECT is((SELECT last_inbound_at FROM prio.customer_state WHERE customer_id = 108),
          now() - interval '1 day', 'e2e: last_inbound_at is the newest inbound activity');

-- a kind cannot carry the silent stage
SELECT throws_ok($$INSERT INTO prio.activity_kinds (kind, direction, stage) VALUES ('ghost', 'inbound', 'silent')$$,
                 '23514', NULL, 'activity_kinds: stage silent is refused');

-- live state equals a full rebuild for all these customers
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'e2e: live state equals a full rebuild (prio.recompute() changes nothing)');

SELECT * FROM finish();
ROLLBACK;
