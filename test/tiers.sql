-- pgTAP: the tier rules, priority, cadence, prio.followup and prio.explain.
-- RFM breaks are fixed in prio.settings so scores are deterministic:
--   recency  {7,30,90,180} days (lower is better): <=7 -> 5, <=30 -> 4, <=90 -> 3, ...
--   frequency {1,2,3,5}: 1 -> 1, 2 -> 2, 3 -> 3, 4..5 -> 4, 6+ -> 5
--   monetary {100,500,1000,5000}: <=100 -> 1, ..., 1000.01..5000 -> 4, >5000 -> 5
-- Every other setting is reset to its default (value_score 4, bant_threshold 3,
-- intent_threshold 3, intent_half_life 14 days, no_reply_after 3 days,
-- cadences A 2 / B 5 / C 5 / D 14 days).  Times are relative to now().
-- Customers 201..222 (owner 'tiers') cover one rule each; 223 checks decayed
-- intent when an activity is dated ahead of now().
BEGIN;
SELECT plan(71);

UPDATE prio.settings
   SET r_breaks = '{7,30,90,180}', f_breaks = '{1,2,3,5}', m_breaks = '{100,500,1000,5000}',
       intent_half_life = DEFAULT, silent_after = DEFAULT, dormant_after = DEFAULT,
       no_reply_after = DEFAULT, cadence_a = DEFAULT, cadence_b = DEFAULT, cadence_c = DEFAULT,
       cadence_d = DEFAULT, value_score = DEFAULT, bant_threshold = DEFAULT,
       intent_threshold = DEFAULT, weight_tier = DEFAULT, weight_rfm = DEFAULT,
       weight_bant = DEFAULT, weight_intent = DEFAULT, weight_stage = DEFAULT;

INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline, created_at) VALUES
    (201, 'monetary score 4',              'tiers', NULL, NULL, NULL, NULL, now()),
    (202, 'frequency score 4',             'tiers', NULL, NULL, NULL, NULL, now()),
    (203, 'budget and authority',          'tiers', true, true, false, NULL, now()),
    (204, 'budget only',                   'tiers', true, false, NULL, NULL, now()),
    (205, 'BANT 3 without budget',         'tiers', NULL, true, true, true, now()),
    (206, 'engaged (meeting now)',         'tiers', NULL, NULL, NULL, NULL, now()),
    (207, 'closing (quote yesterday)',     'tiers', NULL, NULL, NULL, NULL, now()),
    (208, 'decayed intent exactly 3',      'tiers', NULL, NULL, NULL, NULL, now()),
    (209, 'decayed intent just below 3',   'tiers', NULL, NULL, NULL, NULL, now()),
    (210, 'intent 2.5 now',                'tiers', NULL, NULL, NULL, NULL, now()),
    (211, 'inquiry now',                   'tiers', NULL, NULL, NULL, NULL, now()),
    (212, 'BANT 4, call 4 days unanswered','tiers', true, true, true, true, now()),
    (213, 'BANT 4, call 2 days ago',       'tiers', true, true, true, true, now()),
    (214, 'BANT 4, call answered',         'tiers', true, true, true, true, now()),
    (215, 'BANT 4, reply then call',       'tiers', true, true, true, true, now()),
    (216, 'meeting 4 days unanswered',     'tiers', NULL, NULL, NULL, NULL, now()),
    (217, 'monetary 5 and BANT 3',         'tiers', true, NULL, true, true, now()),
    (218, 'big buyer, BANT 4, lost',       'tiers', true, true, true, true, now()),
    (219, 'nothing, created 20 days ago',  'tiers', NULL, NULL, NULL, NULL, now() - interval '20 days'),
    (220, 'call 15.5 days ago',            'tiers', NULL, NULL, NULL, NULL, now()),
    (221, 'call 10 days ago',              'tiers', NULL, NULL, NULL, NULL, now()),
    (222, 'BANT 4, call yesterday',        'tiers', true, true, true, true, now());

INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (201, 'purchase',     now() - interval '60 days', 1500),
    (202, 'purchase',     now() - interval '53 days', 10),
    (202, 'purchase',     now() - interval '52 days', 10),
    (202, 'purchase',     now() - interval '51 days', 10),
    (202, 'purchase',     now() - interval '50 days', 10),
    (206, 'meeting',      now(), 0),
    (207, 'quote',        now() - interval '1 day', 0),
    (208, 'inquiry',      now() - interval '14 days', 0),   -- 2 x 3 halved once = 3
    (208, 'inquiry',      now() - interval '14 days', 0),
    (209, 'inquiry',      now() - interval '15 days', 0),   -- 6 * 2^(-15/14) < 3
    (209, 'inquiry',      now() - interval '15 days', 0),
    (210, 'reply',        now(), 0),                        -- 2 + 0.5 = 2.5
    (210, 'email_open',   now(), 0),
    (211, 'inquiry',      now(), 0),
    (212, 'call',         now() - interval '4 days', 0),
    (213, 'call',         now() - interval '2 days', 0),
    (214, 'call',         now() - interval '5 days', 0),
    (214, 'reply',        now() - interval '4 days', 0),
    (215, 'reply',        now() - interval '6 days', 0),
    (215, 'call',         now() - interval '5 days', 0),
    (216, 'meeting',      now() - interval '4 days', 0),
    (217, 'purchase',     now() - interval '2 days', 6000),
    (218, 'purchase',     now() - interval '3 days', 6000),
    (218, 'rejected',     now() - interval '1 day', 0),
    (220, 'call',         now() - interval '15 days 12 hours', 0),
    (221, 'call',         now() - interval '10 days', 0),
    (222, 'call',         now() - interval '1 day', 0);

\ir lib/rebuild_check.psql

-- tier and rule of a customer
CREATE FUNCTION pg_temp.tier(id bigint) RETURNS text LANGUAGE sql AS
$$ SELECT s.tier FROM prio.customer_state s WHERE s.customer_id = id $$;
CREATE FUNCTION pg_temp.rule(id bigint) RETURNS text LANGUAGE sql AS
$$ SELECT s.rule FROM prio.customer_state s WHERE s.customer_id = id $$;

------------------------------------------------------------------------
-- RFM scores from the fixed breaks
------------------------------------------------------------------------
SELECT is((SELECT ARRAY[r_score, f_score, m_score] FROM prio.customer_state WHERE customer_id = 201),
          ARRAY[3, 1, 4], 'rfm: 60 days, 1 purchase, 1500 -> 3-1-4');
SELECT is((SELECT ARRAY[r_score, f_score, m_score] FROM prio.customer_state WHERE customer_id = 202),
          ARRAY[3, 4, 1], 'rfm: 50 days, 4 purchases, 40 -> 3-4-1');
SELECT is((SELECT ARRAY[r_score, f_score, m_score] FROM prio.customer_state WHERE customer_id = 217),
          ARRAY[5, 1, 5], 'rfm: 2 days, 1 purchase, 6000 -> 5-1-5');
SELECT is((SELECT ARRAY[r_score, f_score, m_score] FROM prio.customer_state WHERE customer_id = 203),
          ARRAY[1, 1, 1], 'rfm: no purchases -> 1-1-1');

------------------------------------------------------------------------
-- value side
------------------------------------------------------------------------
SELECT is(pg_temp.tier(201), 'B', 'value: monetary score 4 >= value_score -> B');
SELECT is(pg_temp.rule(201), 'value high (monetary score 4 >= 4); intent low', 'value: rule names the monetary score');
SELECT is(pg_temp.tier(202), 'B', 'value: frequency score 4 -> B');
SELECT matches(pg_temp.rule(202), 'frequency score 4', 'value: rule names the frequency score');
SELECT is(pg_temp.tier(203), 'B', 'value: budget AND authority TRUE -> B');
SELECT matches(pg_temp.rule(203), 'budget and authority', 'value: rule names budget and authority');
SELECT is(pg_temp.tier(204), 'D', 'value: budget alone (authority FALSE) is not value');
SELECT is((SELECT value_high FROM prio.customer_state WHERE customer_id = 204), false, 'value: value_high false for budget only');

------------------------------------------------------------------------
-- intent side
------------------------------------------------------------------------
SELECT is(pg_temp.tier(205), 'C', 'intent: BANT 3/4 -> C');
SELECT matches(pg_temp.rule(205), 'BANT 3/4 >= 3', 'intent: rule names the BANT count');
SELECT is(pg_temp.tier(206), 'C', 'intent: effective stage engaged -> C');
SELECT is((SELECT effective_stage::text FROM prio.customer_state WHERE customer_id = 206), 'engaged', 'intent: 206 is engaged');
SELECT is(pg_temp.tier(207), 'C', 'intent: effective stage closing -> C');
SELECT matches(pg_temp.rule(207), 'stage closing', 'intent: rule names the stage');
SELECT is(pg_temp.tier(208), 'C', 'intent: decayed intent exactly 3 (two inquiries one half-life ago) -> C');
SELECT matches(pg_temp.rule(208), 'decayed intent', 'intent: rule names decayed intent');
SELECT is(pg_temp.tier(209), 'D', 'intent: decayed intent just below 3 -> D');
SELECT is(pg_temp.tier(210), 'D', 'intent: reply + email_open = 2.5 < 3 -> D');
SELECT is(pg_temp.tier(211), 'C', 'intent: one inquiry now (weight 3) -> C');

------------------------------------------------------------------------
-- no reply: an unanswered outbound touch older than no_reply_after drops intent
------------------------------------------------------------------------
SELECT is(pg_temp.tier(212), 'B', 'no_reply: BANT 4 but call unanswered 4 days -> intent low, B');
SELECT matches(pg_temp.rule(212), 'unanswered', 'no_reply: rule says the touch is unanswered');
SELECT is((SELECT no_reply FROM prio.customer_state WHERE customer_id = 212), true, 'no_reply: flag set');
SELECT is(pg_temp.tier(213), 'A', 'no_reply: call only 2 days old does not count -> A');
SELECT is((SELECT (prio.evaluate(ROW(213, now() - interval '3 days', now() - interval '3 days', NULL,
                                     now() - interval '3 days', NULL, 0, 0, 0,
                                     now() - interval '3 days', 'prospect', NULL, 0, 0)::prio.facts,
                                 c, s, NULL, NULL, NULL, now())).no_reply
             FROM prio.customers c, prio.settings s WHERE c.customer_id = 213),
          false, 'no_reply: a touch exactly no_reply_after old is not yet unanswered (older than)');
SELECT is(pg_temp.tier(214), 'A', 'no_reply: call answered by a later reply -> A');
SELECT is(pg_temp.tier(215), 'B', 'no_reply: reply older than the call does not answer it -> B');
SELECT is(pg_temp.tier(216), 'D', 'no_reply: overrides the engaged stage -> D');
SELECT is((SELECT effective_stage::text FROM prio.customer_state WHERE customer_id = 216), 'engaged',
          'no_reply: the stage itself stays engaged');

------------------------------------------------------------------------
-- A, lost
------------------------------------------------------------------------
SELECT is(pg_temp.tier(217), 'A', 'tier A: monetary 5 and BANT 3');
SELECT is(pg_temp.tier(218), 'D', 'lost: a lost customer is D despite value and BANT 4');
SELECT is(pg_temp.rule(218), 'lost customers are tier D', 'lost: rule says so');

------------------------------------------------------------------------
-- priority: in [0,100], A > every B/C > every D
------------------------------------------------------------------------
SELECT is((SELECT count(*) FROM prio.customer_state WHERE customer_id BETWEEN 201 AND 222
            AND NOT priority BETWEEN 0 AND 100), 0::bigint, 'priority: every priority in [0,100]');
SELECT cmp_ok((SELECT min(priority) FROM prio.customer_state WHERE tier = 'A'), '>',
              (SELECT max(priority) FROM prio.customer_state WHERE tier IN ('B', 'C')),
              'priority: every A above every B/C');
SELECT cmp_ok((SELECT min(priority) FROM prio.customer_state WHERE tier IN ('B', 'C')), '>',
              (SELECT max(priority) FROM prio.customer_state WHERE tier = 'D'),
              'priority: every B/C above every D');
-- extreme cases evaluated directly with prio.evaluate (facts, customer, settings, breaks, as_of)
CREATE FUNCTION pg_temp.ev(f prio.facts, c prio.customers) RETURNS prio.evaluation LANGUAGE sql AS
$$ SELECT prio.evaluate(f, c, s, s.r_breaks, s.f_breaks, s.m_breaks, now()) FROM prio.settings s $$;
CREATE TEMP TABLE extreme AS SELECT * FROM (VALUES
    -- strongest B: RFM 5-5-5, BANT 4, huge intent, closing, but the last touch is unanswered
    ('strongest B', pg_temp.ev(ROW(1, now() - interval '10 days', now() - interval '4 days', now() - interval '5 days',
                                   now() - interval '4 days', now() - interval '5 days', 10, 1e6, 1e5,
                                   now() - interval '4 days', 'closing', now() - interval '10 days', 5, 1e5)::prio.facts,
                               ROW(1, 'x', NULL, NULL, true, true, true, true, now(), '{}', NULL, NULL)::prio.customers)),
    -- weakest A: no purchases, budget+authority only, engaged without intent
    ('weakest A',   pg_temp.ev(ROW(2, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 'engaged', NULL, 0, 0)::prio.facts,
                               ROW(2, 'x', NULL, NULL, true, true, NULL, NULL, now(), '{}', NULL, NULL)::prio.customers)),
    -- weakest C: nothing but the engaged stage
    ('weakest C',   pg_temp.ev(ROW(3, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 'engaged', NULL, 0, 0)::prio.facts,
                               ROW(3, 'x', NULL, NULL, NULL, NULL, NULL, NULL, now(), '{}', NULL, NULL)::prio.customers)),
    -- strongest D: lost with RFM 5-5-5, BANT 4 and huge intent
    ('strongest D', pg_temp.ev(ROW(4, now() - interval '10 days', now() - interval '1 day', now() - interval '1 day',
                                   NULL, now() - interval '1 day', 10, 1e6, 1e5, now() - interval '1 day',
                                   'lost', now() - interval '10 days', 5, 1e5)::prio.facts,
                               ROW(4, 'x', NULL, NULL, true, true, true, true, now(), '{}', NULL, NULL)::prio.customers))
) v(name, e);
SELECT is((SELECT string_agg(name || '=' || (e).tier, ',' ORDER BY name) FROM extreme),
          'strongest B=B,strongest D=D,weakest A=A,weakest C=C', 'priority: the extreme cases have the tiers they claim');
SELECT cmp_ok((SELECT (e).priority FROM extreme WHERE name = 'weakest A'), '>',
              (SELECT (e).priority FROM extreme WHERE name = 'strongest B'),
              'priority: the weakest A is above the strongest B');
SELECT cmp_ok((SELECT (e).priority FROM extreme WHERE name = 'weakest C'), '>',
              (SELECT (e).priority FROM extreme WHERE name = 'strongest D'),
              'priority: the weakest C is above the strongest D');

------------------------------------------------------------------------
-- cadence: next_due_at = last outbound (else first activity, else created_at) + cadence
------------------------------------------------------------------------
SELECT is((SELECT next_due_at FROM prio.customer_state WHERE customer_id = 222),
          now() - interval '1 day' + interval '2 days', 'cadence A: last outbound + 2 days');
SELECT is((SELECT next_due_at FROM prio.customer_state WHERE customer_id = 201),
          now() - interval '60 days' + interval '5 days', 'cadence B without outbound: first activity + 5 days');
SELECT is((SELECT next_due_at FROM prio.customer_state WHERE customer_id = 207),
          now() - interval '1 day' + interval '5 days', 'cadence C: last outbound (quote) + 5 days');
SELECT is((SELECT next_due_at FROM prio.customer_state WHERE customer_id = 219),
          now() - interval '20 days' + interval '14 days', 'cadence D without activity: created_at + 14 days');
SELECT is((SELECT next_due_at FROM prio.customer_state WHERE customer_id = 221),
          now() - interval '10 days' + interval '14 days', 'cadence D: last outbound + 14 days');
SELECT is((SELECT next_due_at FROM prio.customer_state WHERE customer_id = 203),
          now() + interval '5 days', 'cadence B without activity: created_at (now) + 5 days');

------------------------------------------------------------------------
-- prio.followup
------------------------------------------------------------------------
SELECT is((SELECT overdue_days FROM prio.followup WHERE customer_id = 201), 55, 'followup: 55 days overdue');
SELECT is((SELECT overdue_days FROM prio.followup WHERE customer_id = 219), 6, 'followup: 6 days overdue');
SELECT is((SELECT overdue_days FROM prio.followup WHERE customer_id = 220), 1, 'followup: 1.5 days late counts as 1 whole day');
SELECT is((SELECT overdue_days FROM prio.followup WHERE customer_id = 221), 0, 'followup: not due yet -> 0');
SELECT is((SELECT reason FROM prio.followup WHERE customer_id = 201),
          'B: BANT 0/4, Need Attention 3-1-4, won, 55 days overdue', 'followup: full reason line of 201');
SELECT is((SELECT reason FROM prio.followup WHERE customer_id = 219),
          'D: BANT 0/4, no purchases, prospect, 6 days overdue', 'followup: reason without purchases');
SELECT matches((SELECT reason FROM prio.followup WHERE customer_id = 220), '1 day overdue$', 'followup: singular day');
SELECT matches((SELECT reason FROM prio.followup WHERE customer_id = 212), '^B: BANT 4/4, .*no reply to last touch',
               'followup: reason names tier, BANT 4/4 and the unanswered touch');
SELECT is((SELECT reason FROM prio.followup WHERE customer_id = 221),
          'D: BANT 0/4, no purchases, prospect, no reply to last touch, due ' || to_char(now() + interval '4 days', 'YYYY-MM-DD'),
          'followup: due date in the future');
SELECT matches((SELECT reason FROM prio.followup WHERE customer_id = 213), 'due today$',
               'followup: due exactly now -> due today');
SELECT is((SELECT count(*) FROM prio.followup
            WHERE owner = 'tiers' AND reason NOT LIKE tier || ': BANT ' || bant || '/4%'), 0::bigint,
          'followup: every reason starts with "<tier>: BANT n/4"');
SELECT is((SELECT customer_id FROM prio.followup WHERE owner = 'tiers' AND rank = 1), 217::bigint,
          'followup: rank 1 is the highest priority (A, monetary 5)');
SELECT is((SELECT bool_and(ok) FROM (
              SELECT priority <= lag(priority) OVER (ORDER BY rank) AS ok
                FROM prio.followup WHERE owner = 'tiers') x WHERE ok IS NOT NULL), true,
          'followup: ranks follow priority, highest first');
SELECT is((SELECT array_agg(rank ORDER BY rank) FROM prio.followup WHERE owner = 'tiers'),
          (SELECT array_agg(g::bigint) FROM generate_series(1, 22) g), 'followup: ranks 1..22 within the owner');

------------------------------------------------------------------------
-- prio.explain
------------------------------------------------------------------------
SELECT ok(prio.explain(212) ?& ARRAY['tier', 'rule', 'rfm', 'bant', 'stage', 'intent'],
          'explain: has keys tier, rule, rfm, bant, stage, intent');
SELECT is((SELECT count(*) FROM prio.customer_state s
            WHERE s.customer_id BETWEEN 201 AND 222
              AND (prio.explain(s.customer_id) ->> 'tier' IS DISTINCT FROM s.tier
                   OR prio.explain(s.customer_id) ->> 'rule' IS DISTINCT FROM s.rule)), 0::bigint,
          'explain: tier and rule equal the stored ones for every customer');
SELECT is(prio.explain(212) -> 'bant' ->> 'count', '4', 'explain: bant count');
SELECT is(prio.explain(212) -> 'intent' ->> 'no_reply', 'true', 'explain: intent.no_reply');
SELECT is(prio.explain(201) -> 'rfm' ->> 'm', '4', 'explain: rfm.m score');
SELECT is(prio.explain(216) -> 'stage' ->> 'effective', 'engaged', 'explain: stage.effective');

------------------------------------------------------------------------
-- decayed intent with a future-dated activity (at most a day ahead is allowed):
-- two inquiries one half-life ago are worth exactly 3 now, as in 208; an
-- outbound email of weight 0 dated 12 hours ahead must not lower that.
------------------------------------------------------------------------
INSERT INTO prio.customers (customer_id, name, owner) VALUES (223, 'intent 3 plus a future email', 'future');
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (223, 'inquiry', now() - interval '14 days'), (223, 'inquiry', now() - interval '14 days'),
    (223, 'email', now() + interval '12 hours');
SELECT is((prio.explain(223) -> 'intent' ->> 'value')::float8,
          (SELECT prio.intent(a.at, k.intent_weight, '14 days', now())
             FROM prio.activities a JOIN prio.activity_kinds k USING (kind) WHERE a.customer_id = 223),
          'intent: a future-dated activity does not change how older ones decay to now (equals prio.intent)');
SELECT is(pg_temp.tier(223), 'C', 'intent: a zero-weight future-dated email leaves decayed intent 3 -> still C');

------------------------------------------------------------------------
-- cadence follows the settings at once; and the live state is a rebuild
------------------------------------------------------------------------
UPDATE prio.settings SET cadence_d = '7 days';
SELECT is((SELECT next_due_at FROM prio.customer_state WHERE customer_id = 221),
          now() - interval '10 days' + interval '7 days', 'cadence: changing cadence_d re-dues D customers at once');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0', 'live state equals a full rebuild (prio.recompute() changes nothing)');

SELECT * FROM finish();
ROLLBACK;
