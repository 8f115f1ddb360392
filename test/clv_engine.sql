-- pgTAP: CLV of prio's own customers.  The fold keeps each customer's BTYD
-- inputs live (equal to prio.clv_summary over its purchases and to a
-- rebuild), prio.fit_clv() fits the models from them, prio.refresh() refits
-- when the latest fit is old, and prio.followup shows p_alive and clv.
BEGIN;
SELECT plan(37);
SET LOCAL timezone = 'UTC';

-- A BG/NBD world over 78 weeks up to now: purchase rates from a gamma-like
-- mix, a dropout chance after each purchase; some purchases split over two
-- rows of the same day, plus non-purchase activities.
SELECT setseed(0.4242);
INSERT INTO prio.customers (customer_id, name, owner)
SELECT 60000 + g, 'CLV ' || g, 'rep' || g % 4 FROM generate_series(1, 400) g;
CREATE TEMP TABLE sim AS
WITH RECURSIVE c AS (
    SELECT 60000 + g AS id, -ln(1 - random()) * 0.3 + 0.01 AS lam, random() * 0.4 AS p, random() * 60 AS t0,
           20 + 200 * random() ^ 2 AS spend
      FROM generate_series(1, 360) g            -- 40 customers never buy
), p AS (
    SELECT id, lam, p, spend, t0 AS t, 1 AS n FROM c
    UNION ALL
    SELECT id, lam, p, spend, t + (-ln(1 - random()) / lam), n + 1 FROM p WHERE random() > p AND n < 100
)
SELECT id, now() - interval '78 weeks' + t * interval '1 week' AS at,
       round((spend * (0.5 + random()))::numeric, 2) AS amount
  FROM p WHERE t < 77.9;
-- some purchases come as two rows of the same day
INSERT INTO sim SELECT id, at + interval '1 minute', 5.5 FROM sim WHERE random() < 0.1;
-- inserted in three batches, the last one backdated (a refold of each)
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT id, 'purchase', at, amount FROM sim WHERE at < now() - interval '30 weeks' ORDER BY random();
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT id, 'purchase', at, amount FROM sim WHERE at >= now() - interval '30 weeks' AND random() < 0.7;
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT s.id, 'purchase', s.at, s.amount FROM sim s
 WHERE s.at >= now() - interval '30 weeks'
   AND NOT EXISTS (SELECT 1 FROM prio.activities a WHERE a.customer_id = s.id AND a.at = s.at);
INSERT INTO prio.activities (customer_id, kind, at)
SELECT 60000 + g, (ARRAY['email', 'reply', 'visit'])[1 + g % 3], now() - (g % 50) * interval '1 day'
  FROM generate_series(1, 400) g;

SELECT is((SELECT count(*) FROM prio.activities WHERE customer_id > 60000 AND kind = 'purchase'),
          (SELECT count(*) FROM sim), 'every simulated purchase is in');
SELECT is(prio.recompute(), 0, 'live BTYD inputs (first purchase, purchase days, first day amount) equal a rebuild');

CREATE TEMP TABLE batch AS
SELECT a.customer_id, prio.clv_summary(a.at, a.amount, now()) AS v
  FROM prio.activities a JOIN prio.activity_kinds k USING (kind)
 WHERE k.is_purchase AND a.customer_id > 60000 GROUP BY 1;
CREATE TEMP TABLE live AS
SELECT s.customer_id, prio.customer_summary(s, now()) AS v FROM prio.customer_state s WHERE s.customer_id > 60000;
SELECT is((SELECT count(*) FROM live l JOIN batch b USING (customer_id)
            WHERE (l.v).x = (b.v).x AND abs((l.v).t_x - (b.v).t_x) < 1e-12
              AND abs((l.v)."T" - (b.v)."T") < 1e-12
              AND abs((l.v).mean_value - (b.v).mean_value) <= 1e-9 * greatest(1, (b.v).mean_value)),
          360::bigint, 'customer_summary from the state equals clv_summary over the activities, for all 360 buyers');
SELECT is((SELECT count(*) FROM live WHERE v IS NULL), 40::bigint, 'customers without purchases have no summary');
SELECT ok((SELECT count(*) FROM live WHERE (v).x > 0 AND (v).mean_value > 0) > 100, 'the world has repeat buyers');
SELECT is((SELECT (prio.customer_summary(s, now(), '1 day')).t_x FROM prio.customer_state s WHERE customer_id = 60001),
          (SELECT 7 * (prio.customer_summary(s, now())).t_x FROM prio.customer_state s WHERE customer_id = 60001),
          'customer_summary counts in any unit');

-- fitting
UPDATE prio.settings SET clv_min_repeat_buyers = 100000;
SELECT throws_ok($$SELECT prio.fit_clv()$$, '22023', NULL, 'fit_clv: too few repeat buyers is a clear error');
SELECT lives_ok($$SELECT prio.refresh()$$, 'refresh with too few repeat buyers skips the fit quietly');
SELECT is((SELECT count(*) FROM prio.clv_models), 0::bigint, 'and stores no model');
UPDATE prio.settings SET clv_min_repeat_buyers = 30;
SELECT lives_ok($$SELECT prio.refresh()$$, 'refresh fits the models when there are none');
SELECT is((SELECT count(*) FROM prio.clv_models), 1::bigint, 'one model stored');
SELECT ok((SELECT (bgnbd).r > 0 AND (bgnbd).alpha > 0 AND (bgnbd).a > 0 AND (bgnbd).b > 0
                  AND (gammagamma).p > 0 AND fit_ms >= 0 FROM prio.clv_models), 'with positive parameters and a fit time');
SELECT is((SELECT (customers, repeat_buyers)::text FROM prio.clv_models),
          (SELECT (count(*), count(*) FILTER (WHERE purchase_days > 1))::text FROM prio.customer_state
            WHERE first_purchase_at IS NOT NULL), 'over every buyer, counting the repeat buyers');
SELECT is((SELECT (bgnbd).n FROM prio.clv_models), 360::bigint, 'the BG/NBD fit saw the 360 buyers');
SELECT is((SELECT round(((bgnbd).log_likelihood)::numeric, 6) FROM prio.clv_models),
          (SELECT round(((prio.bgnbd_fit((v).x, (v).t_x, (v)."T")).log_likelihood)::numeric, 6) FROM batch),
          'the same fit as bgnbd_fit over clv_summary');
SELECT lives_ok($$SELECT prio.refresh()$$, 'a second refresh');
SELECT is((SELECT count(*) FROM prio.clv_models), 1::bigint, 'does not refit a fresh model');
UPDATE prio.clv_models SET fitted_at = now() - interval '2 days';
SELECT lives_ok($$SELECT prio.refresh()$$, 'a refresh after clv_refit_after');
SELECT is((SELECT count(*) FROM prio.clv_models), 2::bigint, 'refits');

-- the followup columns
SELECT is((SELECT count(*) FROM prio.followup f JOIN live l USING (customer_id)
            WHERE (l.v IS NULL) = (f.p_alive IS NULL) AND (l.v IS NULL) = (f.clv IS NULL)),
          400::bigint, 'followup: p_alive and clv for every buyer, NULL for the others');
SELECT ok((SELECT bool_and(p_alive > 0 AND p_alive <= 1 AND clv >= 0) FROM prio.followup WHERE customer_id > 60000),
          'followup: p_alive in (0, 1], clv not negative');
SELECT is((SELECT count(*) FROM prio.followup f
             JOIN live l USING (customer_id)
            CROSS JOIN (SELECT bgnbd FROM prio.clv_models ORDER BY fitted_at DESC LIMIT 1) m
            WHERE l.v IS NOT NULL
              AND abs(f.p_alive - prio.p_alive(m.bgnbd, (l.v).x, (l.v).t_x, (l.v)."T")) < 1e-12),
          360::bigint, 'followup.p_alive is prio.p_alive of the latest model and the customer''s summary');

-- value from CLV: off by default; with settings.value_min_clv set, a customer
-- whose CLV reaches it has high value (and a rebuild agrees)
SELECT is((SELECT count(*) FROM prio.customer_state WHERE rule LIKE '%CLV%'), 0::bigint,
          'value_min_clv unset: CLV plays no part in the tier');
CREATE TEMP TABLE clv_now AS
SELECT customer_id, clv FROM prio.followup WHERE customer_id > 60000 AND clv IS NOT NULL;
UPDATE prio.settings SET value_score = 5, value_min_clv = (SELECT percentile_cont(0.8) WITHIN GROUP (ORDER BY clv) FROM clv_now);
SELECT ok((SELECT count(*) FROM prio.customer_state WHERE rule LIKE 'value high (CLV %') > 20,
          'value_min_clv set: customers whose CLV reaches it are high value (rule says CLV)');
SELECT is((SELECT count(*) FROM prio.customer_state s JOIN clv_now c USING (customer_id)
            WHERE s.rule LIKE 'value high (CLV %'
              AND c.clv < (SELECT value_min_clv FROM prio.settings) * (1 - 1e-9)), 0::bigint,
          'and none below it');
SELECT is(prio.recompute(), 0, 'a rebuild agrees with the live state');
SELECT is((SELECT count(*) FROM prio.customer_state s CROSS JOIN prio.rule_config r,
                  LATERAL prio.evaluate(prio.stored_facts(s), (SELECT c FROM prio.customers c WHERE c.customer_id = s.customer_id),
                                        r.cfg, r.r_breaks, r.f_breaks, r.m_breaks, now(), r.bgnbd, r.gammagamma) e
            WHERE s.customer_id > 60000 AND e.value_high IS DISTINCT FROM s.value_high), 0::bigint,
          'the nine-argument evaluate gives the stored value side');
UPDATE prio.settings SET value_score = 4, value_min_clv = NULL;

-- repeat purchases all worth 0: the population's mean spend, not an error
INSERT INTO prio.customers (customer_id, name, owner) VALUES (60999, 'Free samples', 'rep1');
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (60999, 'purchase', now() - interval '20 days', 50), (60999, 'purchase', now() - interval '10 days', 0),
    (60999, 'purchase', now() - interval '5 days', 0);
SELECT is((SELECT round(clv::numeric, 6) FROM prio.followup WHERE customer_id = 60999),
          (SELECT round(prio.clv(m.bgnbd, m.gammagamma, (y).x, (y).t_x, (y)."T",
                                 (m.gammagamma).p * (m.gammagamma).v / ((m.gammagamma).q - 1), 12, 0.01)::numeric, 6)
             FROM (SELECT prio.customer_summary(s) AS y FROM prio.customer_state s WHERE customer_id = 60999) c,
                  (SELECT * FROM prio.clv_models ORDER BY fitted_at DESC LIMIT 1) m),
          'followup: repeat purchases worth 0 count as the population''s mean spend');

-- bad input
SELECT throws_ok($$SELECT prio.customer_summary(NULL::prio.customer_state, now())$$, '22004', NULL, 'customer_summary: NULL state');
SELECT throws_ok($$SELECT prio.customer_summary(s, 'infinity') FROM prio.customer_state s LIMIT 1$$, '22023', NULL, 'customer_summary: infinite as_of');
SELECT throws_ok($$SELECT prio.customer_summary(s, now(), '0') FROM prio.customer_state s LIMIT 1$$, '22023', NULL, 'customer_summary: zero unit');
SELECT throws_ok($$SELECT prio.customer_summary(s, now(), NULL) FROM prio.customer_state s LIMIT 1$$, '22004', NULL, 'customer_summary: NULL unit');
SELECT throws_ok($$SELECT prio.customer_summary(ROW(1, NULL, NULL, NULL, NULL, now(), 1, 5, 0, NULL, 'prospect', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, now(), now() + interval '1 day', 0, 0, NULL, NULL, NULL, NULL, '{}', NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL)::prio.customer_state, now())$$,
                 '22023', NULL, 'customer_summary: purchases but no purchase days (a hand-made row)');

SELECT throws_ok($$SELECT prio.customer_summary(ROW(1, NULL, NULL, NULL, NULL, 'infinity', 2, 5, 0, NULL, 'prospect', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, now(), '-infinity', 2, 0, NULL, NULL, NULL, NULL, '{}', NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL)::prio.customer_state, now())$$,
                 '22023', NULL, 'customer_summary: infinite purchase times');
SELECT throws_ok($$SELECT prio.customer_summary(ROW(1, NULL, NULL, NULL, NULL, now(), 2, 1e400, 0, NULL, 'prospect', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, now(), now() - interval '3 days', 2, 0, NULL, NULL, NULL, NULL, '{}', NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL)::prio.customer_state, now())$$,
                 '22003', NULL, 'customer_summary: repeat amounts beyond double precision');
SELECT throws_ok($$SELECT prio.customer_summary(ROW(1, NULL, NULL, NULL, NULL, now(), 5, 10, 0, NULL, 'prospect', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, now(), now(), 5, 0, NULL, NULL, NULL, NULL, '{}', NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL)::prio.customer_state, now())$$,
                 '22023', NULL, 'customer_summary: five purchase days within one day');
SELECT throws_ok($$UPDATE prio.settings SET value_min_clv = 0$$, '23514', NULL, 'value_min_clv must be positive');
SELECT * FROM finish();
ROLLBACK;
