-- pgTAP: prio's BI views checked as an analyst checks them against the raw
-- history (hostile8).  The rules, each asserted below:
--   B1  prio.conversion_by_tier counts, of the customers who ever entered a
--       tier, those who reached won (a change of stage to won) at or after
--       first entering it -- a repeat buyer too, whose first win came before
--       it entered the tier (on the real CRM every account wins again and
--       again: the view said 12 of 85 for D, the history says 85).  Equal to
--       that count made from prio.tier_history directly.
-- Customers 98001.. (owner 'hostile8'); times relative to now(); rolled back.
BEGIN;
SELECT plan(3);

------------------------------------------------------------------------
-- B1. conversion_by_tier: won at or after entering, not first won
------------------------------------------------------------------------
-- m_breaks given: a purchase of 100 is m score 5, value high (no refresh needed)
UPDATE prio.settings SET m_breaks = '{10,20,30,40}';
-- a backfill in one statement: history dated at the events' times.  Bought
-- (A, won), lost (D), came back with a visit (value high, intent low: B,
-- first entered now), bought again (won, after entering B)
INSERT INTO prio.customers (customer_id, name, owner, created_at) VALUES
    (98001, 'repeat buyer', 'hostile8', now() - interval '200 days');
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (98001, 'purchase', now() - interval '150 days', 100),
    (98001, 'rejected', now() - interval '100 days', 0),
    (98001, 'visit', now() - interval '60 days', 0),
    (98001, 'purchase', now() - interval '30 days', 50);

SELECT ok((SELECT min(h.changed_at) FILTER (WHERE h.new_tier = 'B')
                  > min(h.changed_at) FILTER (WHERE h.new_stage = 'won')
              AND max(h.changed_at) FILTER (WHERE h.new_stage = 'won' AND h.old_stage <> 'won')
                  >= min(h.changed_at) FILTER (WHERE h.new_tier = 'B')
             FROM prio.tier_history h WHERE h.customer_id = 98001),
          'B1 (setup): the customer first entered B after its first win and reached won again after');

SELECT is((SELECT won FROM prio.conversion_by_tier WHERE tier = 'B'),
          (SELECT count(DISTINCT e.customer_id)
             FROM prio.tier_history e
            WHERE e.new_tier = 'B'
              AND EXISTS (SELECT 1 FROM prio.tier_history w
                           WHERE w.customer_id = e.customer_id AND w.new_stage = 'won' AND w.old_stage IS DISTINCT FROM 'won'
                             AND w.changed_at >= (SELECT min(f.changed_at) FROM prio.tier_history f
                                                   WHERE f.customer_id = e.customer_id AND f.new_tier = 'B'))),
          'B1: conversion_by_tier counts under B a customer who reached won after first entering B, though it won before');

SELECT results_eq(
    $$SELECT tier, entered, won FROM prio.conversion_by_tier ORDER BY tier$$,
    $$WITH e AS (SELECT h.new_tier AS tier, h.customer_id, min(h.changed_at) AS entered_at
                   FROM prio.tier_history h WHERE h.new_tier IS NOT NULL GROUP BY 1, 2)
      SELECT e.tier, count(*),
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM prio.tier_history w
                                             WHERE w.customer_id = e.customer_id AND w.new_stage = 'won' AND w.old_stage IS DISTINCT FROM 'won'
                                               AND w.changed_at >= e.entered_at))
        FROM e GROUP BY e.tier ORDER BY e.tier$$,
    'B1: every tier''s entered and won equal the count from prio.tier_history (a change to won at or after first entering)');

SELECT * FROM finish();
ROLLBACK;
