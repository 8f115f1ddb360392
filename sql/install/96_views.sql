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

