------------------------------------------------------------------------
-- Views for BI tools and applications (security_invoker: row-level
-- security on the base tables holds through them)
------------------------------------------------------------------------

CREATE VIEW @extschema@.tier_summary WITH (security_invoker = true) AS
SELECT s.tier,
       s.effective_stage AS stage,
       pg_catalog.count(*) AS customers,
       pg_catalog.sum(s.monetary) AS monetary,
       pg_catalog.count(*) FILTER (WHERE s.next_due_at OPERATOR(pg_catalog.<) pg_catalog.now()) AS overdue
  FROM @extschema@.customer_state s
 GROUP BY s.tier, s.effective_stage
 ORDER BY s.tier, s.effective_stage;
COMMENT ON VIEW @extschema@.tier_summary IS 'Customers, revenue and overdue follow-ups per tier and stage.';
COMMENT ON COLUMN @extschema@.tier_summary.tier IS 'Tier.';
COMMENT ON COLUMN @extschema@.tier_summary.stage IS 'Effective stage.';
COMMENT ON COLUMN @extschema@.tier_summary.customers IS 'Number of customers.';
COMMENT ON COLUMN @extschema@.tier_summary.monetary IS 'Sum of their purchases.';
COMMENT ON COLUMN @extschema@.tier_summary.overdue IS 'How many are past their next due date.';

CREATE VIEW @extschema@.conversion_by_tier WITH (security_invoker = true) AS
WITH entered AS (
    SELECT h.new_tier AS tier, h.customer_id, pg_catalog.min(h.changed_at) AS entered_at
      FROM @extschema@.tier_history h
     WHERE h.new_tier IS NOT NULL
     GROUP BY h.new_tier, h.customer_id
), won AS (
    -- the latest time it reached won (its stage changed to won): it reached
    -- won at or after entering a tier when that is (a repeat buyer's first
    -- win may come before it)
    SELECT h.customer_id, pg_catalog.max(h.changed_at) AS won_at
      FROM @extschema@.tier_history h
     WHERE h.new_stage OPERATOR(pg_catalog.=) 'won'
       AND (h.old_stage IS NULL OR h.old_stage OPERATOR(pg_catalog.<>) 'won')
     GROUP BY h.customer_id
)
SELECT e.tier,
       pg_catalog.count(*) AS entered,
       pg_catalog.count(w.customer_id) AS won,
       pg_catalog.round(pg_catalog.count(w.customer_id)::numeric OPERATOR(pg_catalog./)
                        pg_catalog.count(*), 4) AS win_rate
  FROM entered e
  LEFT JOIN won w ON w.customer_id OPERATOR(pg_catalog.=) e.customer_id
                 AND w.won_at OPERATOR(pg_catalog.>=) e.entered_at
 GROUP BY e.tier
 ORDER BY e.tier;
COMMENT ON VIEW @extschema@.conversion_by_tier IS
'Of the customers who ever entered each tier, how many reached won at or after entering it (from prio.tier_history).';
COMMENT ON COLUMN @extschema@.conversion_by_tier.tier IS 'Tier.';
COMMENT ON COLUMN @extschema@.conversion_by_tier.entered IS 'Customers who entered the tier.';
COMMENT ON COLUMN @extschema@.conversion_by_tier.won IS 'Of those, how many reached won afterwards.';
COMMENT ON COLUMN @extschema@.conversion_by_tier.win_rate IS 'won / entered.';

