-- Does the live state equal a rebuild?  Used by tools/stress.sh, crash.sh and
-- dumprestore.sh; prints "name value" lines, every check reads 0 when all is well.
-- In one transaction: refresh (so the stored evaluation is as of now), snapshot
-- customer_state (all but updated_at; 0.5: the deal facts too), recompute (facts
-- it had to fix), compare.
BEGIN;
SELECT 'refresh ' || coalesce(prio.refresh()::text, 'skipped');
CREATE TEMP TABLE snap AS
SELECT customer_id, first_at, last_at, last_inbound_at, last_outbound_at, last_purchase_at, frequency,
       monetary, intent, intent_at, stage, effective_stage, r_score, f_score, m_score, bant, no_reply,
       value_high, intent_high, tier, priority, next_due_at, rule, next_planned_at,
       month_purchases, month_inbound, types, playbook,
       open_deals, funnel_stage, pipeline, last_deal_at, deal_closed_at, deal_outcome, quote_amount, quote_at, stage_at
  FROM prio.customer_state;
SELECT 'recompute ' || prio.recompute();
CREATE TEMP TABLE now_state AS
SELECT customer_id, first_at, last_at, last_inbound_at, last_outbound_at, last_purchase_at, frequency,
       monetary, intent, intent_at, stage, effective_stage, r_score, f_score, m_score, bant, no_reply,
       value_high, intent_high, tier, priority, next_due_at, rule, next_planned_at,
       month_purchases, month_inbound, types, playbook,
       open_deals, funnel_stage, pipeline, last_deal_at, deal_closed_at, deal_outcome, quote_amount, quote_at, stage_at
  FROM prio.customer_state;
SELECT 'differ ' || count(*) FROM ((TABLE snap EXCEPT TABLE now_state)
                                   UNION ALL (TABLE now_state EXCEPT TABLE snap)) d;
SELECT 'state_rows_mismatch ' || count(*) FROM (
    SELECT c.customer_id FROM prio.customers c LEFT JOIN prio.customer_state s USING (customer_id)
     GROUP BY c.customer_id HAVING count(s.customer_id) <> 1
    UNION ALL
    SELECT s.customer_id FROM prio.customer_state s
     WHERE NOT EXISTS (SELECT 1 FROM prio.customers c WHERE c.customer_id = s.customer_id)) x;
SELECT 'facts_vs_sql ' || count(*) FROM prio.customer_state s
  LEFT JOIN (SELECT a.customer_id, count(*) FILTER (WHERE k.is_purchase) AS f,
                    coalesce(sum(a.amount) FILTER (WHERE k.is_purchase), 0) AS m, max(a.at) AS la
               FROM prio.activities a JOIN prio.activity_kinds k USING (kind)
              WHERE a.at <= now()               -- later ones are planned touches, not folded
              GROUP BY a.customer_id) x
    USING (customer_id)
 WHERE s.frequency <> coalesce(x.f, 0) OR s.monetary <> coalesce(x.m, 0) OR s.last_at IS DISTINCT FROM x.la
    OR s.next_planned_at IS DISTINCT FROM (SELECT min(a.at) FROM prio.activities a
                                            WHERE a.customer_id = s.customer_id AND a.at > now());
SELECT 'history_orphans ' || count(*) FROM prio.tier_history h
 WHERE NOT EXISTS (SELECT 1 FROM prio.customers c WHERE c.customer_id = h.customer_id);
SELECT 'customers ' || count(*) FROM prio.customers;
SELECT 'activities ' || count(*) FROM prio.activities;
SELECT 'history_rows ' || count(*) FROM prio.tier_history;
COMMIT;
