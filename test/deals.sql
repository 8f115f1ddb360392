-- pgTAP: deals (issue 19 items 1-3) -- deals in flight, value as potential, the funnel counts.
-- The source documents: "later funnel stage -> higher priority: first contact, needs clear,
-- quote, negotiation, signing"; "ABCD means value *potential* x intent".
-- RFM breaks are fixed so scores are deterministic (as test/tiers.sql):
--   recency {7,30,90,180} days, frequency {1,2,3,5}, monetary {100,500,1000,5000}.
-- Customers 1901.. (owner 'deals'); times are relative to now().
BEGIN;
SELECT plan(103);
-- Autovacuum's in-place update of a table's pg_class row waits for a transaction that
-- changed the row (PostgreSQL 15.9 on); an ALTER TABLE of enable_owner_isolation() that
-- then waited for that autovacuum's lock deadlocked (40P01, now and then; seen in CI).
-- The tables it alters, locked first: autovacuum yields (as test/owner_isolation.sql).
LOCK TABLE prio.customers, prio.activities, prio.customer_state, prio.tier_history,
    prio.win_outcomes IN ACCESS EXCLUSIVE MODE;

UPDATE prio.settings
   SET r_breaks = '{7,30,90,180}', f_breaks = '{1,2,3,5}', m_breaks = '{100,500,1000,5000}',
       intent_half_life = DEFAULT, silent_after = DEFAULT, dormant_after = DEFAULT,
       no_reply_after = DEFAULT, cadence_a = DEFAULT, cadence_b = DEFAULT, cadence_c = DEFAULT,
       cadence_d = DEFAULT, value_score = DEFAULT, bant_threshold = DEFAULT,
       intent_threshold = DEFAULT, weight_tier = DEFAULT, weight_rfm = DEFAULT,
       weight_bant = DEFAULT, weight_intent = DEFAULT, weight_stage = DEFAULT,
       weight_funnel = DEFAULT, value_min_clv = NULL;

------------------------------------------------------------------------
-- 1. the configuration as shipped
------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT stage, lifecycle::text, outcome FROM prio.deal_stages ORDER BY position$$,
    $$VALUES ('first_contact', 'interested', NULL), ('needs_clear', 'engaged', NULL),
             ('quote', 'engaged', NULL), ('negotiation', 'closing', NULL),
             ('signing', 'closing', NULL), ('won', NULL, 'won'), ('lost', NULL, 'lost')$$,
    'deal stages: the funnel of the source documents in order (first contact, needs clear, quote, negotiation, signing), then won and lost');
SELECT results_eq(
    $$SELECT signal, enabled, threshold FROM prio.value_signals ORDER BY signal$$,
    $$VALUES ('budget_authority', true, NULL::float8), ('clv', true, NULL), ('frequency_score', true, NULL),
             ('key_type', true, NULL), ('monetary_score', true, NULL), ('pipeline', true, 10000::float8)$$,
    'value signals: every 0.4 signal at its 0.4 setting (NULL threshold), plus pipeline >= 10000 and key_type');

------------------------------------------------------------------------
-- 2. deal facts and the lifecycle
------------------------------------------------------------------------
INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline, created_at) VALUES
    (1901, 'two open deals',          'deals', NULL, NULL, NULL, NULL, now()),
    (1902, 'won, then a new deal',    'deals', NULL, NULL, NULL, NULL, now()),
    (1903, 'lost deal only',          'deals', NULL, NULL, NULL, NULL, now()),
    (1904, 'won deal only',           'deals', NULL, NULL, NULL, NULL, now()),
    (1905, 'won deal, rejected after','deals', NULL, NULL, NULL, NULL, now());
INSERT INTO prio.deals (customer_id, stage, amount, created_at) VALUES
    (1901, 'first_contact', 300, now() - interval '5 days'),
    (1901, 'quote', 700, now() - interval '4 days'),
    (1903, 'lost', 5000, now() - interval '3 days'),
    (1904, 'won', 5000, now() - interval '3 days');
INSERT INTO prio.deals (customer_id, stage, amount, created_at, closed_at) VALUES
    (1902, 'won', 8000, now() - interval '30 days', now() - interval '20 days'),
    (1905, 'won', 8000, now() - interval '30 days', now() - interval '20 days');
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (1903, 'inquiry', now() - interval '10 days'),
    (1905, 'rejected', now() - interval '2 days');

SELECT results_eq(
    $$SELECT open_deals, funnel_stage, pipeline, effective_stage::text FROM prio.customer_state WHERE customer_id = 1901$$,
    $$VALUES (2, 'quote', 1000::numeric, 'engaged')$$,
    'deal facts: two open deals, the funnel stage is the most advanced one''s (quote), the pipeline their amounts'' sum, the stage the one quote stands for (engaged)');
SELECT is((SELECT intent_high FROM prio.customer_state WHERE customer_id = 1901), true,
    'intent: 0.4''s rule "stage engaged or closing -> intent high" holds for a deal''s stage');
SELECT is((SELECT effective_stage::text FROM prio.customer_state WHERE customer_id = 1904), 'won',
    'lifecycle: a won deal counts as a win for the stage, as a purchase does');
SELECT is((SELECT frequency || '/' || monetary FROM prio.customer_state WHERE customer_id = 1904), '0/0',
    'lifecycle: a won deal adds nothing to RFM frequency or monetary (purchases stay in RFM and CLV)');
SELECT is((SELECT effective_stage::text FROM prio.customer_state WHERE customer_id = 1903), 'interested',
    'lifecycle: a lost deal closes that deal only: the customer stays where its activities put it');
SELECT is((SELECT effective_stage::text FROM prio.customer_state WHERE customer_id = 1905), 'lost',
    'lifecycle: a rejection after the won deal closed makes the customer lost, as after a purchase');
SELECT is((SELECT deal_outcome || ' ' || (deal_closed_at = now() - interval '20 days')
             FROM prio.customer_state WHERE customer_id = 1902), 'won true',
    'deal facts: the last closed deal''s outcome and when it closed');

-- a new deal after a win takes the customer through the funnel again
INSERT INTO prio.deals (customer_id, stage, amount) VALUES (1902, 'needs_clear', 2000);
SELECT results_eq(
    $$SELECT effective_stage::text, open_deals, funnel_stage, deal_outcome FROM prio.customer_state WHERE customer_id = 1902$$,
    $$VALUES ('engaged', 1, 'needs_clear', 'won')$$,
    'lifecycle: a new deal after a win takes the customer through the funnel again (won -> engaged)');
UPDATE prio.deals SET stage = 'signing' WHERE customer_id = 1902 AND stage = 'needs_clear';
SELECT is((SELECT effective_stage::text FROM prio.customer_state WHERE customer_id = 1902), 'closing',
    'lifecycle: the deal moving to signing moves the customer to closing, in the same transaction');
UPDATE prio.deals SET stage = 'won', closed_at = now() WHERE customer_id = 1902 AND stage = 'signing';
SELECT results_eq(
    $$SELECT effective_stage::text, open_deals, funnel_stage, pipeline FROM prio.customer_state WHERE customer_id = 1902$$,
    $$VALUES ('won', 0, NULL::text, 0::numeric)$$,
    'lifecycle: winning the renewal closes that deal: won again, no pipeline left');

-- a deal closed closes that deal only
UPDATE prio.deals SET stage = 'lost', closed_at = now() WHERE customer_id = 1901 AND stage = 'quote';
SELECT results_eq(
    $$SELECT open_deals, funnel_stage, pipeline, effective_stage::text FROM prio.customer_state WHERE customer_id = 1901$$,
    $$VALUES (1, 'first_contact', 300::numeric, 'interested')$$,
    'deal facts: a deal lost closes that deal only; the other open deal stays in the funnel');
DELETE FROM prio.deals WHERE customer_id = 1901;
SELECT results_eq(
    $$SELECT open_deals, funnel_stage, pipeline, deal_outcome FROM prio.customer_state WHERE customer_id = 1901$$,
    $$VALUES (0, NULL::text, 0::numeric, NULL::text)$$,
    'deal facts: deleting a customer''s deals leaves no deal facts');

-- a stage of the user's own
INSERT INTO prio.deal_stages (stage, position, lifecycle) VALUES ('proof_of_concept', 25, 'engaged');
INSERT INTO prio.deals (customer_id, stage, amount) VALUES (1901, 'proof_of_concept', 100), (1901, 'needs_clear', 100);
SELECT is((SELECT funnel_stage FROM prio.customer_state WHERE customer_id = 1901), 'proof_of_concept',
    'deal stages: a stage the user added takes its place in the funnel by position');
SELECT is((SELECT round((prio.explain(1901) -> 'priority_points' ->> 'funnel')::numeric, 4)), round(3 / 6.0, 4),
    'funnel points: the k-th of n open stages scores k/n (proof_of_concept: 3rd of 6)');

-- with no deals at all, a quote or proposal activity with an amount stands for an open deal
INSERT INTO prio.customers (customer_id, name, owner, created_at) VALUES
    (1950, 'quoted 15000',                 'deals', now()),
    (1951, 'proposal, then a purchase',    'deals', now()),
    (1952, 'quote, then rejected',         'deals', now()),
    (1953, 'quote, but a deal of its own', 'deals', now()),
    (1954, 'quote without an amount',      'deals', now());
INSERT INTO prio.deals (customer_id, stage, amount, created_at) VALUES (1953, 'lost', 0, now() - interval '9 days');
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (1950, 'quote', now() - interval '1 day', 15000),
    (1951, 'proposal', now() - interval '3 days', 3000), (1951, 'purchase', now() - interval '1 day', 2000),
    (1952, 'quote', now() - interval '3 days', 12000), (1952, 'rejected', now() - interval '1 day', 0),
    (1953, 'quote', now() - interval '1 day', 12000),
    (1954, 'quote', now() - interval '1 day', 0);
SELECT results_eq(
    $$SELECT funnel_stage, pipeline, open_deals FROM prio.followup WHERE customer_id = 1950$$,
    $$VALUES ('quote'::text, 15000::numeric, 1)$$,
    'implicit deal: with no deals at all, a quote activity with an amount stands for an open deal at stage quote');
SELECT is((SELECT rule FROM prio.customer_state WHERE customer_id = 1950),
    'value high (quoted 15000 >= 10000); intent high (stage closing)',
    'implicit deal: its amount is the pipeline the value signal reads');
SELECT is((SELECT round((prio.explain(1950) -> 'priority_points' ->> 'funnel')::numeric, 4)), round(4 / 6.0, 4),
    'implicit deal: it earns the funnel points of stage quote (4th of the 6 open stages here)');
SELECT is((SELECT string_agg(customer_id::text, ',' ORDER BY customer_id) FROM prio.customer_state
            WHERE customer_id BETWEEN 1951 AND 1954 AND quote_amount IS NOT NULL), '1953',
    'implicit deal: a purchase or a rejection after the quote closes it; a quote without an amount opens none');
SELECT is((SELECT (prio.explain(1953) -> 'priority_points' ->> 'funnel')::float8), 0::float8,
    'implicit deal: a customer with deals of its own has no implicit one');
SELECT is((SELECT prio.explain(1950) -> 'deals' -> 'implicit_deal' ->> 'amount'), '15000',
    'explain: shows the implicit deal');

------------------------------------------------------------------------
-- 3. value is potential
------------------------------------------------------------------------
INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline, created_at) VALUES
    (1910, 'quote over the threshold, no purchase', 'deals', NULL, NULL, NULL, NULL, now()),
    (1911, 'quote under the threshold',             'deals', NULL, NULL, NULL, NULL, now()),
    (1912, 'big buyer with budget and a big deal',  'deals', true, true, NULL, NULL, now());
INSERT INTO prio.deals (customer_id, stage, amount) VALUES
    (1910, 'quote', 12000), (1911, 'quote', 9999), (1912, 'negotiation', 50000);
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (1912, 'purchase', now() - interval '3 days', 6000);

SELECT results_eq(
    $$SELECT value_high, tier FROM prio.customer_state WHERE customer_id = 1910$$,
    $$VALUES (true, 'A')$$,
    'value is potential: an open pipeline over the threshold makes value high without any purchase (a quote stage deal is tier A)');
SELECT is((SELECT rule FROM prio.customer_state WHERE customer_id = 1910),
    'value high (pipeline 12000 >= 10000); intent high (stage engaged)',
    'value is potential: the rule names the pipeline signal');
SELECT results_eq(
    $$SELECT value_high, tier FROM prio.customer_state WHERE customer_id = 1911$$,
    $$VALUES (false, 'C')$$,
    'value is potential: a pipeline under the threshold is no value signal (tier C)');
SELECT is((SELECT prio.explain(1912) -> 'value_signals_fired'),
    '["monetary_score", "budget_authority", "pipeline"]'::jsonb,
    'value signals: explain() lists every signal that fired, not only the first');
SELECT is((SELECT jsonb_agg(v ->> 'signal' ORDER BY v ->> 'signal')
             FROM jsonb_array_elements(prio.explain(1912) -> 'value_signals') v WHERE (v ->> 'fired')::boolean),
    '["budget_authority", "monetary_score", "pipeline"]'::jsonb,
    'value signals: explain() marks each configured signal fired or not');
SELECT is((SELECT (prio.evaluate(s, c)).value_signals FROM prio.customer_state s
             JOIN prio.customers c USING (customer_id) WHERE customer_id = 1912),
    '{monetary_score,budget_authority,pipeline}'::text[],
    'value signals: prio.evaluate(state, customer) returns the signals that fired');

UPDATE prio.value_signals SET threshold = 11000 WHERE signal = 'pipeline';
SELECT is((SELECT value_high FROM prio.customer_state WHERE customer_id = 1910), true,
    'value signals: a higher pipeline threshold the pipeline still clears keeps value high');
UPDATE prio.value_signals SET threshold = 20000 WHERE signal = 'pipeline';
SELECT is((SELECT value_high FROM prio.customer_state WHERE customer_id = 1910), false,
    'value signals: a change of a threshold re-tiers everyone in the same transaction');
UPDATE prio.value_signals SET threshold = 10000 WHERE signal = 'pipeline';
UPDATE prio.value_signals SET enabled = false WHERE signal = 'pipeline';
SELECT is((SELECT value_high FROM prio.customer_state WHERE customer_id = 1910), false,
    'value signals: a disabled signal does not count');
UPDATE prio.value_signals SET enabled = true WHERE signal = 'pipeline';
SELECT is((SELECT builtin FROM prio.value_signals WHERE signal = 'pipeline'), false,
    'value signals: a changed row is no longer built-in (pg_dump keeps it)');

-- the 0.4 signals keep their 0.4 thresholds: monetary score 5 (6000 > 5000) >= value_score
UPDATE prio.value_signals SET enabled = false WHERE signal IN ('pipeline', 'budget_authority');
SELECT is((SELECT rule LIKE 'value high (monetary score 5 >= 4)%' FROM prio.customer_state WHERE customer_id = 1912), true,
    'value signals: monetary_score with no threshold of its own takes settings.value_score (0.4''s behaviour)');
UPDATE prio.settings SET value_score = 5;
UPDATE prio.value_signals SET threshold = 5 WHERE signal = 'frequency_score';
SELECT is((SELECT value_high FROM prio.customer_state WHERE customer_id = 1912), true,
    'value signals: settings.value_score still moves the signals without a threshold of their own');
UPDATE prio.value_signals SET enabled = false WHERE signal = 'monetary_score';
SELECT is((SELECT value_high FROM prio.customer_state WHERE customer_id = 1912), false,
    'value signals: with every signal that fires for it disabled, value is low');
UPDATE prio.value_signals SET enabled = true, threshold = CASE WHEN signal = 'pipeline' THEN 10000 END;
UPDATE prio.settings SET value_score = DEFAULT;
SELECT is((SELECT value_high FROM prio.customer_state WHERE customer_id = 1912), true,
    'value signals: back to the defaults, value is high again');

------------------------------------------------------------------------
-- 4. the funnel counts: the priority formula
------------------------------------------------------------------------
-- repeat buyers with no open deal, as strong as they come: tier A, RFM 5-5-5,
-- BANT 4/4, intent far above the threshold
INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline, created_at)
SELECT 1920 + g, 'repeat buyer ' || g, 'deals', true, true, true, true, now() - interval '400 days'
  FROM generate_series(0, 4) g;
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 1920 + g, k.kind, now() - (d || ' days')::interval, CASE WHEN k.kind = 'purchase' THEN 3000 ELSE 0 END
  FROM generate_series(0, 4) g, generate_series(1, 8) d, (VALUES ('purchase'), ('demo_request'), ('inquiry')) k(kind);

-- closing deals over the threshold, as weak as they come: nothing bought, no
-- BANT, created long ago, the deal opened 40 days ago, our last call
-- unanswered for 35 days (silent; intent low: tier B)
INSERT INTO prio.customers (customer_id, name, owner, created_at)
SELECT 1930 + g, 'weak closing deal ' || g, 'deals', now() - interval '400 days' FROM generate_series(0, 1) g;
INSERT INTO prio.deals (customer_id, stage, amount, created_at) VALUES
    (1930, 'negotiation', 10000, now() - interval '40 days'),
    (1931, 'signing', 10000, now() - interval '40 days');
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (1930, 'call', now() - interval '35 days'), (1931, 'call', now() - interval '35 days');

SELECT is((SELECT count(*)::int FROM prio.customer_state WHERE customer_id BETWEEN 1920 AND 1924
             AND tier = 'A' AND r_score = 5 AND f_score = 5 AND m_score = 5 AND bant = 4 AND open_deals = 0), 5,
    'funnel: the repeat buyers are tier A with RFM 5-5-5 and BANT 4/4, and no open deal');
SELECT is((SELECT string_agg(tier || ' ' || effective_stage, ', ' ORDER BY customer_id)
             FROM prio.customer_state WHERE customer_id IN (1930, 1931)), 'B silent, B silent',
    'funnel: the closing deals are tier B (unanswered call), silent');
SELECT cmp_ok((SELECT min(priority) FROM prio.customer_state WHERE customer_id IN (1930, 1931)), '>',
              (SELECT max(priority) FROM prio.customer_state WHERE customer_id BETWEEN 1920 AND 1924),
    'the funnel counts: a closing deal over the value threshold outranks every repeat buyer with no open deal');
SELECT cmp_ok((SELECT min(rank) FROM prio.followup WHERE owner = 'deals' AND customer_id IN (1930, 1931)), '<',
              (SELECT min(rank) FROM prio.followup WHERE owner = 'deals' AND customer_id BETWEEN 1920 AND 1924),
    'the funnel counts: in the owner''s follow-up list the closing deals come before the repeat buyers');
-- and with the settings' default weights, whatever the other terms can add: the
-- worst closing deal over the threshold (tier B, silent) against the best
-- imaginable customer with no open deal (tier A, every other point 1)
SELECT cmp_ok(100 * (s.weight_tier * 0.5 + s.weight_stage * 0.1) / (s.weight_tier + s.weight_rfm + s.weight_bant + s.weight_intent + s.weight_stage)
                  + s.weight_funnel * (SELECT 4.0 / 5),
              '>', 100::float8,
    'the funnel counts: with the default weights the bound holds for any repeat buyer (negotiation in tier B above 100 points)')
  FROM prio.settings s;

-- stage order within a tier: one deal customer per funnel stage, all tier A;
-- the earlier the stage, the more of everything else it gets
INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline, created_at)
SELECT 1940 + g, 'deal at stage ' || g, 'deals', g <= 2, g <= 2, g <= 1, g <= 1, now() FROM generate_series(1, 5) g;
INSERT INTO prio.deals (customer_id, stage, amount)
SELECT 1940 + g, (ARRAY['first_contact', 'needs_clear', 'quote', 'negotiation', 'signing'])[g], 20000
  FROM generate_series(1, 5) g;
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 1940 + g, 'purchase', now() - (d || ' days')::interval, 5000
  FROM generate_series(1, 2) g, generate_series(1, 10 - 3 * g) d;
INSERT INTO prio.activities (customer_id, kind, at)
SELECT 1940 + g, 'demo_request', now() - interval '1 hour' FROM generate_series(1, 5) g;
-- a purchase makes the stage won: a new deal takes it through the funnel again
SELECT is((SELECT string_agg(tier, '' ORDER BY customer_id) FROM prio.customer_state WHERE customer_id BETWEEN 1941 AND 1945),
    'AAAAA', 'funnel: one deal customer per stage, all tier A');
SELECT is((SELECT array_agg(customer_id ORDER BY priority DESC) FROM prio.customer_state WHERE customer_id BETWEEN 1941 AND 1945),
    '{1945,1944,1943,1942,1941}'::bigint[],
    'the funnel counts: within a tier, later funnel stage -> higher priority (signing, negotiation, quote, needs clear, first contact)');
SELECT cmp_ok((SELECT priority FROM prio.customer_state WHERE customer_id = 1941), '>',
              (SELECT max(priority) FROM prio.customer_state WHERE customer_id BETWEEN 1920 AND 1924),
    'the funnel counts: within tier A even a first contact deal ranks above a repeat buyer with no open deal');
SELECT is((SELECT jsonb_agg(t ->> 'term' ORDER BY t ->> 'term') FROM jsonb_array_elements(prio.explain(1944) -> 'priority_terms') t
            WHERE t ? 'points' AND t ? 'weight'),
    '["bant", "funnel", "intent", "rfm", "stage", "tier"]'::jsonb,
    'explain: every term of the priority with its points and weight');
SELECT is((SELECT (prio.explain(1944) -> 'priority')::float8),
    (SELECT round((100 * (s.weight_tier * (e ->> 'tier')::float8 + s.weight_rfm * (e ->> 'rfm')::float8
                          + s.weight_bant * (e ->> 'bant')::float8 + s.weight_intent * (e ->> 'intent')::float8
                          + s.weight_stage * (e ->> 'stage')::float8)
                   / (s.weight_tier + s.weight_rfm + s.weight_bant + s.weight_intent + s.weight_stage)
                   + s.weight_funnel * (e ->> 'funnel')::float8)::numeric, 1)::float8
       FROM prio.settings s, LATERAL (SELECT prio.explain(1944) -> 'priority_points' AS e) x),
    'explain: the priority is the documented formula of the terms and weights it shows');
SELECT is((SELECT priority FROM prio.customer_state WHERE customer_id = 1944),
          (SELECT (prio.explain(1944) ->> 'priority')::float8),
    'explain: evaluates the stored row as the engine did');

UPDATE prio.settings SET weight_funnel = 0;
SELECT cmp_ok((SELECT max(priority) FROM prio.customer_state WHERE customer_id IN (1930, 1931)), '<',
              (SELECT min(priority) FROM prio.customer_state WHERE customer_id BETWEEN 1920 AND 1924),
    'the funnel counts: weight_funnel 0 gives 0.4''s priorities (tier first)');
UPDATE prio.settings SET weight_funnel = DEFAULT;

------------------------------------------------------------------------
-- 5. live state equals a rebuild; TRUNCATE
------------------------------------------------------------------------
CREATE TEMP TABLE deals_live AS SELECT * FROM prio.customer_state WHERE customer_id BETWEEN 1900 AND 1999;
SELECT is(prio.recompute(), 0, 'live == rebuild: recompute() finds nothing to fix after deal writes');
SELECT is((SELECT count(*)::int FROM (
             SELECT customer_id, tier, priority, effective_stage, rule, open_deals, funnel_stage, pipeline,
                    last_deal_at, deal_closed_at, deal_outcome FROM deals_live
             EXCEPT
             SELECT customer_id, tier, priority, effective_stage, rule, open_deals, funnel_stage, pipeline,
                    last_deal_at, deal_closed_at, deal_outcome FROM prio.customer_state
              WHERE customer_id BETWEEN 1900 AND 1999) x), 0,
    'live == rebuild: the deal facts, tiers and priorities the triggers kept are what recompute() gives');
UPDATE prio.customer_state SET pipeline = 1, open_deals = 7 WHERE customer_id = 1910;
SELECT is(prio.recompute(1910), 1, 'recompute(customer): deal facts set wrong by hand are counted and fixed');
SELECT results_eq($$SELECT pipeline, open_deals FROM prio.customer_state WHERE customer_id = 1910$$,
    $$VALUES (12000::numeric, 1)$$, 'recompute(customer): the deal facts come from prio.deals again');

TRUNCATE prio.deals;
SELECT is((SELECT count(*)::int FROM prio.customer_state
            WHERE open_deals <> 0 OR pipeline <> 0 OR funnel_stage IS NOT NULL OR deal_outcome IS NOT NULL
               OR last_deal_at IS NOT NULL), 0,
    'TRUNCATE prio.deals: no customer keeps deal facts');
SELECT is((SELECT tier FROM prio.customer_state WHERE customer_id = 1910), 'D',
    'TRUNCATE prio.deals: the customers are re-tiered in the same transaction');
SELECT is(prio.recompute(), 0, 'live == rebuild after TRUNCATE');
-- recompute() of everyone looks at the customers with deals or with deal
-- facts stored: one without deals whose facts were set wrong is fixed too
UPDATE prio.customer_state SET pipeline = 5, deal_outcome = 'won', last_deal_at = now() WHERE customer_id = 1911;
SELECT is(prio.recompute(), 1, 'recompute(): a customer without deals whose deal facts were set wrong by hand is counted');
SELECT results_eq($$SELECT pipeline, open_deals, deal_outcome, last_deal_at FROM prio.customer_state WHERE customer_id = 1911$$,
    $$VALUES (0::numeric, 0, NULL::text, NULL::timestamptz)$$, 'recompute(): and its deal facts are those of no deals again');
-- a customer whose deal facts and folded facts were both wrong is one
-- customer fixed, counted once (as docs/reference.md says)
UPDATE prio.customer_state SET pipeline = 5, frequency = frequency + 3 WHERE customer_id = 1911;
SELECT is(prio.recompute(), 1, 'recompute(): deal facts and folded facts both wrong count the customer once');
UPDATE prio.customer_state SET pipeline = 5, frequency = frequency + 3 WHERE customer_id = 1911;
SELECT is(prio.recompute(1911), 1, 'recompute(customer): deal facts and folded facts both wrong count it once');
UPDATE prio.customer_state SET pipeline = 5, frequency = frequency + 3 WHERE customer_id IN (1911, 1912);
UPDATE prio.customer_state SET monetary = monetary + 1 WHERE customer_id = 1910;
SELECT is(prio.recompute(), 3, 'recompute(): two customers with both parts wrong and one with its folded facts wrong are 3');
SELECT is(prio.recompute(), 0, 'recompute(): and they were fixed');

------------------------------------------------------------------------
-- 5b. the key_type value signal: a key-customer type that implies value
--     (prio.customer_types.implies_value; strategic does, active does not)
------------------------------------------------------------------------
INSERT INTO prio.customers (customer_id, name, owner) VALUES (1970, 'key type, nothing else', 'deals');
INSERT INTO prio.customer_type_tags (customer_id, type, add) VALUES (1970, 'strategic', true);
SELECT results_eq($$SELECT tier, value_high, rule FROM prio.customer_state WHERE customer_id = 1970$$,
    $$VALUES ('B'::text, true, 'value high (a key-customer type that implies value); intent low'::text)$$,
    'key_type: a strategic key customer has high value potential with no purchases or deals (tier B, the rule names the signal)');
SELECT is(prio.explain(1970) -> 'value_signals_fired', '["key_type"]'::jsonb,
    'key_type: explain() (prio.evaluate of the state row) reads the customer''s stored types and lists the signal');
UPDATE prio.value_signals SET enabled = false WHERE signal = 'key_type';
SELECT is((SELECT tier FROM prio.customer_state WHERE customer_id = 1970), 'D',
    'key_type: disabled, a key-customer type no longer raises value');
UPDATE prio.value_signals SET enabled = true WHERE signal = 'key_type';
UPDATE prio.customer_type_tags SET type = 'active' WHERE customer_id = 1970;
SELECT results_eq($$SELECT tier, types FROM prio.customer_state WHERE customer_id = 1970$$,
    $$VALUES ('D'::text, '{active}'::text[])$$,
    'key_type: a type that does not imply value (active) leaves value low');
SELECT is(prio.recompute(), 0, 'live == rebuild after key-customer type tags');

------------------------------------------------------------------------
-- 6. owner isolation: a rep sees and writes the deals of their own customers only
------------------------------------------------------------------------
CREATE ROLE deals_rep_a;
CREATE ROLE deals_rep_b;
SELECT prio.grant_writer('deals_rep_a');
SELECT prio.grant_writer('deals_rep_b');
INSERT INTO prio.customers (customer_id, name, owner) VALUES (1960, 'rep a''s', 'deals_rep_a'), (1961, 'rep b''s', 'deals_rep_b');
INSERT INTO prio.deals (customer_id, stage, amount) VALUES (1960, 'quote', 1), (1961, 'quote', 2);
SELECT prio.enable_owner_isolation();
SET LOCAL ROLE deals_rep_a;
SELECT is((SELECT array_agg(customer_id ORDER BY customer_id) FROM prio.deals), '{1960}'::bigint[],
    'owner isolation: a rep sees the deals of their own customers only');
SELECT throws_ok($$INSERT INTO prio.deals (customer_id, stage, amount) VALUES (1961, 'quote', 3)$$, '42501', NULL,
    'owner isolation: a rep cannot add a deal to another rep''s customer');
SELECT lives_ok($$INSERT INTO prio.deals (customer_id, stage, amount) VALUES (1960, 'signing', 30000)$$,
    'owner isolation: a rep adds deals to their own customer (prio''s triggers re-tier it)');
RESET ROLE;
SELECT prio.disable_owner_isolation();

------------------------------------------------------------------------
-- 7. refused
------------------------------------------------------------------------
SELECT throws_ok($$INSERT INTO prio.deals (customer_id, stage) VALUES (1910, 'nonsense')$$, '23503', NULL,
    'deals: a stage that is not in prio.deal_stages is refused');
SELECT throws_ok($$DELETE FROM prio.value_signals WHERE signal = 'pipeline'$$, '23514', NULL,
    'value signals: rows cannot be removed (disable them)');
SELECT throws_ok($$UPDATE prio.value_signals SET threshold = NULL WHERE signal = 'pipeline'$$, '23514', NULL,
    'value signals: the pipeline signal needs a threshold');

------------------------------------------------------------------------
-- 8. deals dated ahead.  prio.deals refuses a date more than a day ahead,
--    as prio.activities does; a tracked table's deal is mirrored whatever
--    its date (the application's write never fails because of prio), and
--    a date ahead counts for the quiet clock from that date: a deal dated
--    50 years ahead does not keep its customer from going silent
------------------------------------------------------------------------
INSERT INTO prio.customers (customer_id, name, owner, created_at) VALUES (1980, 'dated ahead', 'deals', now() - interval '100 days');
SELECT throws_ok($$INSERT INTO prio.deals (customer_id, stage, created_at) VALUES (1980, 'quote', now() + interval '50 years')$$,
    '22008', NULL, 'dated ahead: prio.deals refuses a deal opened more than a day in the future, as prio.activities refuses an activity');
SELECT throws_like($$INSERT INTO prio.deals (customer_id, stage, closed_at) VALUES (1980, 'won', now() + interval '2 days')$$,
    '%closed_at is more than a day in the future%', 'dated ahead: the error names the column (closed_at)');
SELECT lives_ok($$INSERT INTO prio.deals (customer_id, stage, created_at) VALUES (1980, 'quote', now() + interval '12 hours')$$,
    'dated ahead: up to a day ahead is accepted (clock skew), as for activities');
SELECT throws_ok($$UPDATE prio.deals SET stage = 'won', closed_at = now() + interval '50 years' WHERE customer_id = 1980$$,
    '22008', NULL, 'dated ahead: an UPDATE dating a deal of prio.deals more than a day ahead is refused too');
SELECT is((SELECT effective_stage::text || ' ' || coalesce(last_deal_at::text, 'none') FROM prio.customer_state WHERE customer_id = 1980),
    'silent none', 'dated ahead: a deal 12 hours ahead does not count for the quiet clock yet (100 days quiet: silent)');

CREATE SCHEMA deals_far;
CREATE TABLE deals_far.accounts (id text PRIMARY KEY, rep text, since timestamptz);
CREATE TABLE deals_far.opps (id integer PRIMARY KEY, account text, stage text, opened timestamptz, closed timestamptz);
INSERT INTO deals_far.accounts VALUES ('far', 'deals', now() - interval '100 days'), ('mixed', 'deals', now() - interval '100 days');
SELECT prio.track('deals_far.accounts', 'customers', '{"key": "id", "name": "id", "owner": "rep", "created_at": "since"}');
SELECT prio.track('deals_far.opps', 'deals', '{"key": "id", "customer": "account", "stage": "stage", "created_at": "opened", "closed_at": "closed"}');
SELECT lives_ok($$INSERT INTO deals_far.opps VALUES
    (1, 'far', 'quote', now() + interval '50 years', NULL),
    (2, 'mixed', 'quote', now() - interval '10 days', NULL),
    (3, 'mixed', 'won', now() - interval '200 days', now() + interval '50 years')$$,
    'dated ahead: a tracked table''s deals 50 years ahead never fail the application''s write');
SELECT results_eq(
    $$SELECT c.customer_key, s.effective_stage::text, s.last_deal_at, s.open_deals
        FROM prio.customers c JOIN prio.customer_state s USING (customer_id)
       WHERE c.source = 'deals_far.accounts'::regclass ORDER BY 1$$,
    $$VALUES ('far', 'silent', NULL::timestamptz, 1), ('mixed', 'engaged', now() - interval '10 days', 1)$$,
    'dated ahead: a deal 50 years ahead does not keep its customer from going silent (the quiet clock counts a deal from its date: last_deal_at is the latest date up to now)');
SELECT is((SELECT last_error FROM prio.tracked WHERE source = 'deals_far.opps'::regclass), NULL,
    'dated ahead: a tracked deal dated ahead is no sync error');
SELECT is(prio.recompute(), 0, 'dated ahead: live state equals recompute()');
-- time passes (as if): the far deal was opened an hour ago, and prio.deals'
-- deal of 1980 too; their customers' stored deal facts do not know yet
SET LOCAL session_replication_role = replica;
UPDATE deals_far.opps SET opened = now() - interval '1 hour' WHERE id = 1;
UPDATE prio.deals SET created_at = now() - interval '1 hour'
 WHERE deal_key = '1' AND source = 'deals_far.opps'::regclass OR customer_id = 1980;
SET LOCAL session_replication_role = origin;
SELECT ok(prio.refresh() >= 2, 'dated ahead: refresh() counts the customers whose deal came due as changed');
SELECT results_eq(
    $$SELECT coalesce(c.customer_key, c.customer_id::text), s.effective_stage::text, s.last_deal_at
        FROM prio.customers c JOIN prio.customer_state s USING (customer_id)
       WHERE c.source = 'deals_far.accounts'::regclass AND c.customer_key = 'far' OR c.customer_id = 1980 ORDER BY 1$$,
    $$VALUES ('1980', 'engaged', now() - interval '1 hour'), ('far', 'engaged', now() - interval '1 hour')$$,
    'dated ahead: once its date has come, prio.refresh() counts the deal for the quiet clock (the customers are no longer silent)');
SELECT is(prio.recompute(), 0, 'dated ahead: after refresh() live state equals recompute()');

-- a tracked deals table's last error clears once recompute() mirrors it again without one
INSERT INTO deals_far.opps VALUES (4, 'far', 'handshake', now() - interval '1 day', NULL);
SELECT alike((SELECT last_error FROM prio.tracked WHERE source = 'deals_far.opps'::regclass), '%deals_stage_fkey%',
    'tracked deals: a stage prio does not know is noted in prio.tracked.last_error (the write went through)');
SELECT lives_ok($$UPDATE prio.sources SET last_error_at = last_error_at - interval '1 hour' WHERE relid = 'deals_far.opps'::regclass;
                  SELECT prio.recompute()$$,
    'tracked deals: recompute() does not fail on a tracked row it cannot mirror (a WARNING)');
SELECT results_eq($$SELECT last_error ~ 'deals_stage_fkey', last_error_at = now() FROM prio.tracked WHERE source = 'deals_far.opps'::regclass$$,
    $$VALUES (true, true)$$,
    'tracked deals: recompute() notes the row it cannot mirror again and keeps last_error');
UPDATE deals_far.opps SET stage = 'quote' WHERE id = 4;
SELECT isnt((SELECT last_error FROM prio.tracked WHERE source = 'deals_far.opps'::regclass), NULL,
    'tracked deals: a later write that reaches prio leaves last_error (it proves nothing of the other rows)');
SELECT is(prio.recompute(), 0, 'tracked deals: the fixed row reached prio with its UPDATE');
SELECT is((SELECT last_error FROM prio.tracked WHERE source = 'deals_far.opps'::regclass), NULL,
    'tracked deals: once recompute() has mirrored the table again without error, prio.tracked.last_error is cleared');

------------------------------------------------------------------------
-- 9. dates a deal cannot have: an infinite expected close, a close before
--    the opening.  prio.deals refuses them for its own deals, naming the
--    column; a tracked table's deal is the application's: its write never
--    fails, and prio takes such a deal as it can be meant (expected_close
--    NULL; created when it closed), in one place (prio._deals_row_check())
------------------------------------------------------------------------
SELECT throws_like($$INSERT INTO prio.deals (customer_id, stage, expected_close) VALUES (1980, 'quote', 'infinity')$$,
    '%expected_close must be a finite date, not infinity%', 'impossible dates: an infinite expected_close of a deal of prio.deals is refused, naming the column');
SELECT throws_ok($$INSERT INTO prio.deals (customer_id, stage, expected_close) VALUES (1980, 'quote', '-infinity')$$,
    '22008', NULL, 'impossible dates: ... -infinity too (22008)');
SELECT throws_ok($$INSERT INTO prio.deals (customer_id, stage, created_at, closed_at) VALUES (1980, 'won', now(), now() - interval '1 day')$$,
    '23514', NULL, 'impossible dates: a deal of prio.deals closed before it was created is refused (23514)');
SELECT throws_like($$INSERT INTO prio.deals (customer_id, stage, closed_at) VALUES (1980, 'won', now() - interval '30 days')$$,
    '%closed_at is before created_at%', 'impossible dates: ... also against created_at''s default, now(), naming both columns');
SELECT throws_ok($$UPDATE prio.deals SET stage = 'won', closed_at = created_at - interval '1 second' WHERE customer_id = 1980$$,
    '23514', NULL, 'impossible dates: an UPDATE closing a deal before it was created is refused too');
CREATE TABLE deals_far.odd (id integer PRIMARY KEY, account text, stage text, expected date,
                            opened timestamptz, closed timestamptz);
SELECT prio.track('deals_far.odd', 'deals', '{"key": "id", "customer": "account", "stage": "stage", "expected_close": "expected",
                                              "created_at": "opened", "closed_at": "closed"}');
SELECT lives_ok($$INSERT INTO deals_far.odd VALUES
    (1, 'mixed', 'quote', 'infinity', now() - interval '5 days', NULL),
    (2, 'mixed', 'won', '-infinity', now() - interval '2 days', now() - interval '3 days')$$,
    'impossible dates: a tracked table''s deals with them never fail the application''s write');
SELECT results_eq(
    $$SELECT d.deal_key, d.expected_close, d.created_at, d.closed_at FROM prio.deals d
       WHERE d.source = 'deals_far.odd'::regclass ORDER BY 1$$,
    $$VALUES ('1', NULL::date, now() - interval '5 days', NULL::timestamptz),
             ('2', NULL::date, now() - interval '3 days', now() - interval '3 days')$$,
    'impossible dates: a tracked deal''s infinite expected_close is taken as NULL, and one closed before it was created as created when it closed');
SELECT lives_ok($$UPDATE deals_far.odd SET opened = now(), closed = now() - interval '4 days', expected = 'infinity' WHERE id = 2$$,
    'impossible dates: ... an UPDATE of the application''s row too');
SELECT results_eq(
    $$SELECT d.expected_close, d.created_at, d.closed_at FROM prio.deals d
       WHERE d.source = 'deals_far.odd'::regclass AND d.deal_key = '2'$$,
    $$VALUES (NULL::date, now() - interval '4 days', now() - interval '4 days')$$,
    'impossible dates: ... taken the same way');
SELECT is((SELECT last_error FROM prio.tracked WHERE source = 'deals_far.odd'::regclass), NULL,
    'impossible dates: they are no sync error');
SELECT is(prio.recompute(), 0, 'impossible dates: live state equals recompute()');
SELECT prio.untrack('deals_far.odd');
-- without a created_at mapping a new tracked deal is created now: one that
-- closed 30 days ago was created when it closed, not now
CREATE TABLE deals_far.closed_only (id integer PRIMARY KEY, account text, stage text, closed timestamptz);
INSERT INTO deals_far.closed_only VALUES (1, 'mixed', 'lost', now() - interval '30 days');
SELECT prio.track('deals_far.closed_only', 'deals', '{"key": "id", "customer": "account", "stage": "stage", "closed_at": "closed"}');
SELECT results_eq(
    $$SELECT d.created_at, d.closed_at FROM prio.deals d WHERE d.source = 'deals_far.closed_only'::regclass$$,
    $$VALUES (now() - interval '30 days', now() - interval '30 days')$$,
    'impossible dates: a tracked deal without a created_at mapping that closed before prio first mirrored it counts as created when it closed');
SELECT is(prio.recompute(), 0, 'impossible dates: ... and live state equals recompute()');

ROLLBACK;
