-- demo/crm_then.sql -- the CRM + Sales Opportunities sample as its
-- application stood at the end of 2017-06-30, tracked by prio with deals,
-- evaluated as of then; then what became of the deals open that day, by the
-- tier prio gave their account then (issue 19 item 9).
--
--   psql -d <a database with prio> -f demo/crm_then.sql
--
-- The data is read from $PRIO_DATA/crm-opportunities (default
-- ../shared/data, from the project's root); the schemas crm and crm_then
-- must not exist.  tools/crm_demo.sh --then runs it in a throwaway cluster.
--
-- (the application: its tables, the CSVs loaded as they are, schema crm)
\ir crm_load.sql

-- The application's tables as they stood at the end of 2017-06-30, derived
-- from crm (the sample is a snapshot of 2017-12-31; nothing of prio here).
CREATE SCHEMA crm_then;
-- The accounts as they are (the sample has no history of them).  The sample
-- has no account owner either: the demo adds one, the sales agent with the
-- most deals of the account engaged by then (ties: the latest engaged deal's
-- agent, then by name).  Derived, not the application's.
CREATE TABLE crm_then.accounts (LIKE crm.accounts INCLUDING ALL);
ALTER TABLE crm_then.accounts ADD COLUMN owner text;
INSERT INTO crm_then.accounts SELECT a.*, NULL FROM crm.accounts a;
UPDATE crm_then.accounts a SET owner = o.sales_agent
  FROM (SELECT DISTINCT ON (p.account) p.account, p.sales_agent
          FROM crm.sales_pipeline p
         WHERE p.engage_date <= date '2017-06-30' AND p.account IS NOT NULL
         GROUP BY p.account, p.sales_agent
         ORDER BY p.account, count(*) DESC, max(p.engage_date) DESC, p.sales_agent) o
 WHERE o.account = a.account;
-- The deals engaged by then (engage_date <= 2017-06-30).  Those closed later
-- were still open then: stage Engaging, no close date, no close value.  An
-- open deal's value is not known then (close_value is the outcome: a Lost
-- deal carries 0), so every deal gets its product's list price
-- (crm.products; the pipeline writes 'GTXPro' for the product 'GTX Pro').
-- Prospecting deals have no dates at all (no engage_date): left out, as
-- nothing says whether they existed by then.
CREATE TABLE crm_then.sales_pipeline (LIKE crm.sales_pipeline INCLUDING ALL);
ALTER TABLE crm_then.sales_pipeline ADD COLUMN list_price numeric;
INSERT INTO crm_then.sales_pipeline
SELECT p.opportunity_id, p.sales_agent, p.product, p.account,
       CASE WHEN p.close_date <= date '2017-06-30' THEN p.deal_stage ELSE 'Engaging' END,
       p.engage_date,
       CASE WHEN p.close_date <= date '2017-06-30' THEN p.close_date END,
       CASE WHEN p.close_date <= date '2017-06-30' THEN p.close_value END,
       pr.sales_price
  FROM crm.sales_pipeline p
  LEFT JOIN crm.products pr ON replace(pr.product, ' ', '') = replace(p.product, ' ', '')
 WHERE p.engage_date <= date '2017-06-30';
-- The sample has no activity log: this derives one from the deals' dates,
-- one row per engagement and one per close (won: the purchase of its close
-- value; lost: a rejection), as demo/crm.sql reads them from the pipeline.
-- (A table is tracked in one role only: the pipeline itself is the deals.)
CREATE TABLE crm_then.deal_events (
    opportunity_id text NOT NULL,
    account        text,
    event          text NOT NULL CHECK (event IN ('engaged', 'won', 'lost')),
    at             date NOT NULL,
    amount         numeric,
    PRIMARY KEY (opportunity_id, event)
);
INSERT INTO crm_then.deal_events
SELECT p.opportunity_id, p.account, 'engaged', p.engage_date, NULL FROM crm_then.sales_pipeline p
UNION ALL
SELECT p.opportunity_id, p.account, lower(p.deal_stage), p.close_date, p.close_value
  FROM crm_then.sales_pipeline p WHERE p.deal_stage IN ('Won', 'Lost');
CREATE INDEX ON crm_then.deal_events (account);
SELECT (SELECT count(*) FROM crm_then.sales_pipeline) AS deals_by_then,
       (SELECT count(*) FROM crm_then.sales_pipeline WHERE deal_stage = 'Engaging') AS open_then,
       (SELECT count(*) FROM crm_then.sales_pipeline WHERE deal_stage = 'Engaging' AND account IS NOT NULL) AS open_with_account,
       (SELECT count(*) FROM crm_then.sales_pipeline WHERE deal_stage = 'Won') AS won_by_then,
       (SELECT count(*) FROM crm_then.sales_pipeline WHERE deal_stage = 'Lost') AS lost_by_then,
       (SELECT count(*) FROM crm.sales_pipeline WHERE deal_stage = 'Prospecting') AS prospecting_left_out;

-- prio attached to those tables.  The engagement kind as demo/crm.sql maps
-- it (inbound, stage engaged).  refresh() below would fit the CLV models as
-- of now() (prio.fit_clv() takes no as_of), years after the data: no fit.
INSERT INTO prio.activity_kinds (kind, direction, stage, intent_weight)
VALUES ('engagement', 'inbound', 'engaged', 2);
UPDATE prio.settings SET clv_min_repeat_buyers = 1000000000;
-- The accounts are the customers; the attributes the key-customer types
-- read: industry, employees, revenue (the sample's is in millions of USD),
-- parent_company.
SELECT prio.track('crm_then.accounts', 'customers',
       '{"key": "account", "name": "account", "owner": "owner",
         "attributes": {"industry": "sector", "employees": "employees",
                        "revenue": "revenue * 1000000", "parent_company": "subsidiary_of"}}');
-- The derived events are the activities (dates are days in UTC).
SELECT prio.track('crm_then.deal_events', 'activities',
       '{"customer": "account",
         "kind": "CASE event WHEN ''engaged'' THEN ''engagement'' WHEN ''won'' THEN ''purchase'' WHEN ''lost'' THEN ''rejected'' END",
         "at": "at::timestamp AT TIME ZONE ''UTC''", "amount": "amount"}');
-- The pipeline is the deals.  The sample has one open stage, Engaging (after
-- Prospecting, before the close): mapped to needs_clear -- nothing in the
-- data says a quote was made, and every open deal is at list price.  Every
-- open deal being at the same stage, this choice moves every account's
-- priority by the same amount (quote: 30 points more) and changes no order.
-- Amount: the close value once closed, else the list price.
SELECT prio.track('crm_then.sales_pipeline', 'deals',
       '{"key": "opportunity_id", "customer": "account", "owner": "sales_agent",
         "stage": "CASE deal_stage WHEN ''Engaging'' THEN ''needs_clear'' WHEN ''Won'' THEN ''won'' WHEN ''Lost'' THEN ''lost'' END",
         "amount": "CASE WHEN close_date IS NOT NULL THEN close_value ELSE list_price END",
         "created_at": "engage_date::timestamp AT TIME ZONE ''UTC''",
         "closed_at": "close_date::timestamp AT TIME ZONE ''UTC''"}');

-- Evaluated as of the end of 2017-06-30: refresh(as_of) evaluates every
-- customer at as_of (tier, stage, types and their 12-month facts, priority,
-- due dates).  What still reads now(): the followup columns intent and
-- overdue_days (not shown here) and prio.key_customers' facts (below).
SELECT prio.refresh('2017-07-01 00:00+00') IS NOT NULL AS refreshed;

-- (1) One sales agent's follow-up list as of then: the accounts the agent
-- owns (most deals), in prio's order.  Every account had an open deal then.
SELECT f.rank AS n, f.customer_key AS account, f.tier, f.priority, f.funnel_stage,
       f.open_deals, f.pipeline, f.types, f.next_action
  FROM prio.followup f
 WHERE f.owner = 'Darcel Schlecht'
 ORDER BY f.rank LIMIT 10;

-- (2) The key customers as of then: prio.key_customers computes its facts
-- (revenue_12m, growth, pipeline) as of now(), years after the data; this is
-- the same query with the facts as of 2017-07-01 (the types held are the
-- ones refresh() stored).
SELECT t.type, c.attributes ->> 'industry' AS industry,
       CASE WHEN (c.attributes ->> 'employees')::numeric >= 1000 OR (c.attributes ->> 'revenue')::numeric >= 100000000 THEN 'large'
            WHEN (c.attributes ->> 'employees')::numeric >= 100 OR (c.attributes ->> 'revenue')::numeric >= 10000000 THEN 'medium'
            WHEN c.attributes ? 'employees' OR c.attributes ? 'revenue' THEN 'small' END AS size,
       CASE WHEN NOT (f.facts ? 'growth_yoy') THEN 'new'
            WHEN (f.facts ->> 'growth_yoy')::float8 >= 0.1 THEN 'growing'
            WHEN (f.facts ->> 'growth_yoy')::float8 <= -0.1 THEN 'declining'
            ELSE 'steady' END AS growth,
       count(*) AS customers,
       sum((f.facts ->> 'pipeline')::numeric) AS pipeline,
       sum((f.facts ->> 'purchases_12m')::numeric) AS revenue_12m,
       sum(s.monetary) AS revenue
  FROM prio.customer_state s
 CROSS JOIN LATERAL unnest(s.types) t(type)
  JOIN prio.customers c USING (customer_id)
 CROSS JOIN LATERAL (SELECT prio.type_facts(s.customer_id, '2017-07-01 00:00+00') -> 'facts' AS facts) f
 GROUP BY 1, 2, 3, 4
 ORDER BY 1, 2, 3, 4;

-- (3) What became of the deals open on 2017-06-30 (crm.sales_pipeline: the
-- outcome as of 2017-12-31), by the tier prio gave their account then.
-- win_rate: won / (won + lost), the deals closed by the end of 2017.
SELECT CASE WHEN grouping(s.tier) = 1 THEN 'all' ELSE s.tier::text END AS tier, count(*) AS deals,
       count(*) FILTER (WHERE p.deal_stage = 'Won') AS won,
       count(*) FILTER (WHERE p.deal_stage = 'Lost') AS lost,
       count(*) FILTER (WHERE p.deal_stage = 'Engaging') AS still_open,
       round(count(*) FILTER (WHERE p.deal_stage = 'Won')::numeric
             / nullif(count(*) FILTER (WHERE p.deal_stage IN ('Won', 'Lost')), 0), 3) AS win_rate
  FROM crm_then.sales_pipeline t
  JOIN crm.sales_pipeline p USING (opportunity_id)
  JOIN prio.customers c ON c.source = 'crm_then.accounts'::regclass AND c.customer_key = t.account
  JOIN prio.customer_state s USING (customer_id)
 WHERE t.deal_stage = 'Engaging'
 GROUP BY ROLLUP (s.tier)
 ORDER BY grouping(s.tier), s.tier;
