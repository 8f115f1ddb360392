-- make demo: generated CRM data, the ranked follow-up list, and a customer moving tier.
\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS prio;
\echo '== Generating 2,000 customers with their activities (deterministic seed) ...'
\i tools/generate.sql
SELECT count(*) AS customers, (SELECT count(*) FROM prio.activities) AS activities FROM prio.customers;
\echo '== prio.refresh(): quintile breaks of the population, everyone re-tiered as of now'
SELECT prio.refresh() AS customers_changed_tier_or_stage;
\echo
\echo '== Tiers'
SELECT tier, sum(customers) AS customers, sum(monetary) AS revenue, sum(overdue) AS overdue
FROM prio.tier_summary GROUP BY tier ORDER BY tier;
\echo
\echo '== Whom should alice contact next?   SELECT ... FROM prio.followup WHERE owner = ''alice'' LIMIT 12'
SELECT rank, customer_id, name, tier, priority, stage, next_due_at::date AS due, reason
FROM prio.followup WHERE owner = 'alice' LIMIT 12;
\echo
\echo '== The whole team''s top 10 by priority'
SELECT owner, rank, customer_id, tier, priority, reason
FROM prio.followup ORDER BY priority DESC, next_due_at LIMIT 10;

\echo
\echo '== Live re-tiering: a B-tier customer (high value, low intent) asks for a demo'
SELECT customer_id AS demo_customer FROM prio.customer_state
 WHERE tier = 'B' AND effective_stage <> 'lost' ORDER BY priority DESC, customer_id LIMIT 1 \gset
SELECT customer_id, tier, priority, stage, reason FROM prio.followup WHERE customer_id = :demo_customer;
LISTEN prio_tier_change;
INSERT INTO prio.activities (customer_id, kind, note) VALUES (:demo_customer, 'demo_request', 'asked for a demo on the website');
SELECT customer_id, tier, priority, stage, reason FROM prio.followup WHERE customer_id = :demo_customer;
SELECT changed_at::timestamp(0) AS changed_at, old_tier, new_tier, old_stage, new_stage, reason
FROM prio.tier_history WHERE customer_id = :demo_customer ORDER BY history_id DESC LIMIT 2;
\echo
\echo '== Why? prio.explain()'
SELECT jsonb_pretty(prio.explain(:demo_customer) - 'stored' - 'priority_weights') AS explain;
