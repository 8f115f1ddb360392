-- pgTAP: reply speed and re-activation (issue 19 items 4 and 5).
--   1. Reply speed: the faster the customer answers our touch, the more intent.
--   2. Kinds that revive a lost customer (activity_kinds.revives).
--   3. Re-activation: silent and lost customers on their own cadence,
--      listed by prio.reactivation once due, most valuable first.
-- Times are relative to now(), which is constant inside the transaction;
-- customers 95001-95099; everything is rolled back.
BEGIN;
SELECT plan(40);

CREATE FUNCTION pg_temp.intent_now(cid bigint) RETURNS double precision LANGUAGE sql AS $$
    SELECT prio.decayed(s.intent, s.intent_at, (SELECT intent_half_life FROM prio.settings), now())
      FROM prio.customer_state s WHERE s.customer_id = cid
$$;
-- the 0.5 fold of a customer's activities, as the settings and kinds are now
CREATE FUNCTION pg_temp.refold(cid bigint) RETURNS prio.facts LANGUAGE sql AS $$
    SELECT prio.fold(NULL, a.customer_id, a.at, k.direction = 'inbound', k.stage, k.is_purchase,
                     k.intent_weight, a.amount, cfg.intent_half_life, a.activity_id, k.revives,
                     cfg.reply_weight, cfg.reply_half_life)
      FROM prio.activities a JOIN prio.activity_kinds k USING (kind) CROSS JOIN prio.settings cfg
     WHERE a.customer_id = cid AND a.at <= now()
$$;

INSERT INTO prio.customers (customer_id, name, owner)
SELECT g, 'React ' || g, CASE WHEN g % 2 = 0 THEN 'react_even' ELSE 'react_odd' END
  FROM generate_series(95001, 95020) g;

------------------------------------------------------------------------
-- 1. Reply speed
------------------------------------------------------------------------
-- 95001 answers our call after ten minutes, 95002 after seventy hours;
-- both calls 71 hours ago, both seen now
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (95001, 'call',  now() - interval '71 hours'),
    (95001, 'reply', now() - interval '71 hours' + interval '10 minutes'),
    (95002, 'call',  now() - interval '71 hours'),
    (95002, 'reply', now() - interval '1 hour');
SELECT cmp_ok(pg_temp.intent_now(95001), '>', pg_temp.intent_now(95002),
    'reply speed: a reply ten minutes after our call carries more intent, seen now, than a reply seventy hours after it');
SELECT cmp_ok((SELECT priority FROM prio.customer_state WHERE customer_id = 95001), '>',
              (SELECT priority FROM prio.customer_state WHERE customer_id = 95002),
    'reply speed: the customer who replied in ten minutes outranks the one who replied after seventy hours');
SELECT is((SELECT tier FROM prio.customer_state WHERE customer_id = 95001), 'C',
    'reply speed: the quick reply alone makes intent high (tier C without value)');

-- the term: reply_weight * 2^(-delay / reply_half_life), added at the reply
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (95003, 'call',  now() - interval '10 days'),
    (95003, 'reply', now() - interval '9 days');
SELECT is((SELECT round(intent::numeric, 6) FROM prio.customer_state WHERE customer_id = 95003), 3.000000,
    'reply speed: a reply one reply_half_life after our touch adds half of reply_weight (2 + 2 * 1/2)');
SELECT is((SELECT intent_at FROM prio.customer_state WHERE customer_id = 95003), now() - interval '9 days',
    'reply speed: the term is added at the reply and decays from there');

-- only the first answer to a touch earns it; no touch, no term
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (95004, 'call',  now() - interval '5 days'),
    (95004, 'reply', now() - interval '4 days'),
    (95004, 'reply', now() - interval '3 days'),
    (95005, 'reply', now() - interval '3 days');
SELECT is((SELECT round(intent::numeric, 6) FROM prio.customer_state WHERE customer_id = 95004),
          round(((2 + 2 * 0.5) * 2 ^ (-1 / 14.0) + 2)::numeric, 6),
    'reply speed: a second inbound after the answer adds only its kind''s weight (the touch was answered already)');
SELECT is((SELECT round(intent::numeric, 6) FROM prio.customer_state WHERE customer_id = 95005), 2.000000,
    'reply speed: an inbound activity without an outbound touch before it has no reply term');

-- a quick "no" answers the touch, but a kind without intent earns no term
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (95014, 'call',     now() - interval '2 days'),
    (95014, 'rejected', now() - interval '2 days' + interval '5 minutes');
SELECT is((SELECT intent::text || ' ' || no_reply FROM prio.customer_state WHERE customer_id = 95014), '0 false',
    'reply speed: a quick rejection answers our call but adds no intent (only kinds with a positive intent weight earn the term)');

-- our touch after the answer opens a new question: the next answer earns it again
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (95004, 'email', now() - interval '2 days'),
    (95004, 'reply', now() - interval '1 day');
SELECT is((SELECT round(intent::numeric, 6) FROM prio.customer_state WHERE customer_id = 95004),
          round((((2 + 2 * 0.5) * 2 ^ (-1 / 14.0) + 2) * 2 ^ (-2 / 14.0) + 2 + 2 * 0.5)::numeric, 6),
    'reply speed: each outbound touch answered earns its own reply term');

-- the 0.5 prio.fold folds what the insert trigger stored
SELECT is(pg_temp.refold(95004)::text, (SELECT prio.stored_facts(s)::text FROM prio.customer_state s WHERE customer_id = 95004),
    'reply speed: prio.fold with revives and the reply settings equals the stored facts');

-- settings: no reply term at reply_weight 0; a longer half-life counts a slow reply more
UPDATE prio.settings SET reply_weight = 0;
SELECT is((SELECT round(intent::numeric, 6) FROM prio.customer_state WHERE customer_id = 95003), 2.000000,
    'reply speed: reply_weight 0 turns the reply term off (everyone refolded at once)');
UPDATE prio.settings SET reply_weight = 4, reply_half_life = '2 days';
SELECT is((SELECT round(intent::numeric, 6) FROM prio.customer_state WHERE customer_id = 95003),
          round((2 + 4 * 2 ^ (-0.5))::numeric, 6),
    'reply speed: reply_weight and reply_half_life come from settings');
UPDATE prio.settings SET reply_weight = 2, reply_half_life = '1 day';

------------------------------------------------------------------------
-- 2. Kinds that revive
------------------------------------------------------------------------
-- 95006 said no ten days ago, then an automated email_open; 95007 said no,
-- then asked again (inquiry)
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (95006, 'rejected',   now() - interval '10 days'),
    (95006, 'email_open', now() - interval '1 day'),
    (95007, 'rejected',   now() - interval '10 days'),
    (95007, 'inquiry',    now() - interval '1 day');
SELECT is((SELECT stage::text FROM prio.customer_state WHERE customer_id = 95006), 'lost',
    'revives: an automated email_open does not revive a customer who explicitly said no');
SELECT is((SELECT last_inbound_at FROM prio.customer_state WHERE customer_id = 95006), now() - interval '10 days',
    'revives: for a lost customer, an email_open is not inbound (the silent clock stays at the rejection)');
SELECT is((SELECT intent FROM prio.customer_state WHERE customer_id = 95006), 0::double precision,
    'revives: for a lost customer, an email_open adds no intent');
SELECT is((SELECT last_at FROM prio.customer_state WHERE customer_id = 95006), now() - interval '1 day',
    'revives: the email_open is still a contact (last activity)');
SELECT is((SELECT stage::text FROM prio.customer_state WHERE customer_id = 95007), 'interested',
    'revives: an inquiry brings a lost customer back');
-- for a customer who is not lost, email_open is inbound as ever
INSERT INTO prio.activities (customer_id, kind, at) VALUES (95008, 'email_open', now() - interval '1 day');
SELECT is((SELECT stage::text || ' ' || intent FROM prio.customer_state WHERE customer_id = 95008), 'interested 0.5',
    'revives: an email_open of a customer who is not lost counts as inbound with its intent');
-- it is the kind's property: email_open set to revive brings 95006 back
UPDATE prio.activity_kinds SET revives = true WHERE kind = 'email_open';
SELECT is((SELECT stage::text FROM prio.customer_state WHERE customer_id = 95006), 'interested',
    'revives: whether a kind revives a lost customer is a property of the kind (activity_kinds.revives)');
UPDATE prio.activity_kinds SET revives = false WHERE kind = 'email_open';
SELECT is((SELECT stage::text FROM prio.customer_state WHERE customer_id = 95006), 'lost',
    'revives: and back to lost when it does not');
-- a kind that does not revive, outbound: our touch counts, the stage stays lost
INSERT INTO prio.activity_kinds (kind, direction, stage, revives) VALUES ('react_auto_contract', 'outbound', 'won', false);
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (95009, 'rejected', now() - interval '5 days'),
    (95009, 'react_auto_contract', now() - interval '4 days');
SELECT is((SELECT stage::text || ' ' || (last_outbound_at = now() - interval '4 days')
             FROM prio.customer_state WHERE customer_id = 95009), 'lost true',
    'revives: an outbound kind that does not revive is our touch, but leaves a lost customer lost');

------------------------------------------------------------------------
-- 3. Re-activation
------------------------------------------------------------------------
-- 95010: called 40 days ago, answered, nothing since: silent (silent_after 30 days)
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (95010, 'call',  now() - interval '40 days'),
    (95010, 'reply', now() - interval '40 days' + interval '1 hour');
SELECT is((SELECT effective_stage::text FROM prio.customer_state WHERE customer_id = 95010), 'silent',
    're-activation: a customer quiet for silent_after is silent');
SELECT is((SELECT next_due_at - last_outbound_at FROM prio.customer_state WHERE customer_id = 95010), interval '30 days',
    're-activation: a silent customer is due silent_cadence after our last touch, not on its tier''s cadence');
-- 95011: emailed 100 days ago, said no 95 days ago: lost, due 90 days after our touch
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (95011, 'email',    now() - interval '100 days'),
    (95011, 'rejected', now() - interval '95 days');
SELECT is((SELECT next_due_at - last_outbound_at FROM prio.customer_state WHERE customer_id = 95011), interval '90 days',
    're-activation: a lost customer is due lost_cadence after our last touch, not on tier D''s cadence');
-- 95012: bought 200 days ago (won), called 60 days ago: dormant, so silent
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (95012, 'purchase', now() - interval '200 days', 500),
    (95012, 'call',     now() - interval '60 days', 0);
SELECT is((SELECT effective_stage::text || ' ' || (next_due_at - last_outbound_at)
             FROM prio.customer_state WHERE customer_id = 95012), 'silent 30 days',
    're-activation: a dormant won customer is silent and woken up on silent_cadence');
-- 95013: silent but called 5 days ago: not due yet
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (95013, 'reply', now() - interval '50 days'),
    (95013, 'call',  now() - interval '5 days');
SELECT is((SELECT effective_stage::text FROM prio.customer_state WHERE customer_id = 95013), 'silent',
    're-activation: 95013 is silent');
-- an engaged customer keeps its tier's cadence
SELECT is((SELECT next_due_at - last_outbound_at FROM prio.customer_state WHERE customer_id = 95001), interval '5 days',
    're-activation: a customer who is neither silent nor lost keeps its tier''s cadence');

SELECT set_eq($$SELECT customer_id FROM prio.reactivation WHERE customer_id BETWEEN 95001 AND 95099$$,
              ARRAY[95010, 95011, 95012]::bigint[],
    're-activation: prio.reactivation lists the silent and lost customers whose re-activation is due, and no one else');
SELECT results_eq($$SELECT customer_id FROM prio.reactivation WHERE customer_id BETWEEN 95001 AND 95099$$,
                  ARRAY[95012, 95010, 95011]::bigint[],
    're-activation: the most valuable first (past purchases), then the most recently quiet');
SELECT results_eq($$SELECT rank, customer_id FROM prio.reactivation WHERE owner = 'react_even' AND customer_id BETWEEN 95001 AND 95099$$,
                  $$VALUES (1::bigint, 95012::bigint), (2, 95010)$$,
    're-activation: rank is the position in the owner''s list');
SELECT is((SELECT reason FROM prio.reactivation WHERE customer_id = 95012),
          'silent, 200 days since the last reply, 1 purchase, 500 in total, 30 days overdue',
    're-activation: the reason line says the stage, how long nothing came in, the past value and how overdue');
SELECT is((SELECT reason FROM prio.reactivation WHERE customer_id = 95011),
          'lost, 95 days since the last reply, no purchases, 10 days overdue',
    're-activation: the reason line of a lost customer');
SET LOCAL prio.language = 'zh-CN';
SELECT is((SELECT reason FROM prio.reactivation WHERE customer_id = 95012),
          '沉默，距上次回复 200 天，购买 1 次，共 500，逾期 30 天',
    're-activation: the reason line in Chinese (prio.language zh-CN), from prio.labels');
RESET prio.language;
-- the cadences are settings
UPDATE prio.settings SET silent_cadence = '7 days', lost_cadence = '200 days';
SELECT is((SELECT next_due_at - last_outbound_at FROM prio.customer_state WHERE customer_id = 95013), interval '7 days',
    're-activation: silent_cadence is a setting (95013 due 7 days after our call)');
SELECT set_eq($$SELECT customer_id FROM prio.reactivation WHERE customer_id BETWEEN 95001 AND 95099$$,
              ARRAY[95010, 95012]::bigint[],
    're-activation: lost_cadence is a setting (95011 no longer due) and the list follows at once');
-- explain shows the re-activation cadence and the reply term
SELECT is(prio.explain(95010) ->> 'cadence', '7 days', 're-activation: explain() shows the silent cadence');
SELECT cmp_ok((prio.explain(95001) #>> '{intent,reply,intent_from_replies}')::double precision, '>', 1.7::double precision,
    'reply speed: explain() shows how much of the intent the reply term makes');

------------------------------------------------------------------------
-- 4. The same rules for an application's own tables (prio.track())
------------------------------------------------------------------------
SET LOCAL client_min_messages = warning;
CREATE SCHEMA react_app;
CREATE TABLE react_app.acc (id text PRIMARY KEY, name text);
INSERT INTO react_app.acc VALUES ('quick', 'Quick'), ('slow', 'Slow'), ('no', 'Said no');
SELECT prio.track('react_app.acc', 'customers', '{"key": "id", "name": "name"}');
CREATE TABLE react_app.ev (acc text, kind text, at timestamptz);
SELECT prio.track('react_app.ev', 'activities', '{"customer": "acc", "kind": "kind", "at": "at"}');
INSERT INTO react_app.ev VALUES
    ('quick', 'call',       now() - interval '71 hours'),
    ('quick', 'reply',      now() - interval '71 hours' + interval '10 minutes'),
    ('slow',  'call',       now() - interval '71 hours'),
    ('slow',  'reply',      now() - interval '1 hour'),
    ('no',    'rejected',   now() - interval '10 days'),
    ('no',    'email_open', now() - interval '1 day');
SELECT cmp_ok((SELECT s.priority FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
                WHERE c.source = 'react_app.acc'::regclass AND c.customer_key = 'quick'), '>',
              (SELECT s.priority FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
                WHERE c.source = 'react_app.acc'::regclass AND c.customer_key = 'slow'),
    'tracked tables: a reply ten minutes after our call outranks a reply seventy hours after it');
SELECT is((SELECT s.stage::text FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
            WHERE c.source = 'react_app.acc'::regclass AND c.customer_key = 'no'), 'lost',
    'tracked tables: an automated email_open does not revive a customer who said no');

-- live state equals a full rebuild for all these customers
SELECT is(prio.recompute(), 0, 'live state equals a full rebuild (prio.recompute() changes nothing)');

SELECT * FROM finish();
ROLLBACK;
