-- prio on a real application's data as it stood on a past day (issue 19 item
-- 9): the CRM + Sales Opportunities sample ($PRIO_DATA/crm-opportunities,
-- default ../shared/data) as of the end of 2017-06-30 -- accounts as
-- customers, the pipeline as deals, events derived from it as activities --,
-- evaluated with refresh(as_of) (demo/crm_then.sql, which the README shows,
-- run line for line).  Then its figures against plain SQL over the same
-- rows.  In a database of its own; nothing depends on today.  Skips, saying
-- so, when the data is absent (expected/crm_then_1.out).
-- No bad-input block: the deals mapping's bad input is in sql/deals.sql.
\set crm_present `test -r "${PRIO_DATA:-../shared/data}/crm-opportunities/sales_pipeline.csv" && echo true || echo false`
\if :crm_present
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS prio_crm_then;
CREATE DATABASE prio_crm_then;
\c prio_crm_then
SET TimeZone = 'UTC';
CREATE EXTENSION prio;
\i demo/crm_then.sql

-- the snapshot, from the final data directly: the deals engaged by then,
-- and those open then (closed after 2017-06-30, or never) with an account
SELECT count(*) FILTER (WHERE engage_date <= date '2017-06-30') AS engaged_by_then,
       count(*) FILTER (WHERE engage_date <= date '2017-06-30' AND account IS NOT NULL
                          AND (close_date > date '2017-06-30' OR close_date IS NULL)) AS open_then_with_account
  FROM crm.sales_pipeline;
-- every deal with an account is mirrored into prio.deals; open = Engaging
SELECT count(*) AS deals, count(*) FILTER (WHERE d.closed_at IS NULL) AS open,
       sum(d.amount) FILTER (WHERE d.closed_at IS NULL) AS open_amount,
       count(*) FILTER (WHERE d.stage = 'won') AS won, count(*) FILTER (WHERE d.stage = 'lost') AS lost
  FROM prio.deals d WHERE d.source = 'crm_then.sales_pipeline'::regclass;
-- per account, prio's deal facts equal plain SQL over the snapshot: open
-- deals, pipeline (their list prices), funnel stage, owner
CREATE TEMP VIEW plain_then AS
SELECT a.account, a.owner,
       count(p.opportunity_id) FILTER (WHERE p.deal_stage = 'Engaging') AS open_deals,
       coalesce(sum(p.list_price) FILTER (WHERE p.deal_stage = 'Engaging'), 0) AS pipeline,
       coalesce(sum(p.close_value) FILTER (WHERE p.deal_stage = 'Won'), 0) AS monetary
  FROM crm_then.accounts a LEFT JOIN crm_then.sales_pipeline p USING (account)
 GROUP BY a.account, a.owner;
SELECT count(*) AS accounts,
       count(*) FILTER (WHERE (s.open_deals, s.pipeline, s.funnel_stage, s.owner, s.monetary)
                              IS NOT DISTINCT FROM (p.open_deals, p.pipeline,
                                                    CASE WHEN p.open_deals > 0 THEN 'needs_clear' END,
                                                    p.owner, p.monetary)) AS equal_to_plain_sql
  FROM plain_then p
  JOIN prio.customers c ON c.source = 'crm_then.accounts'::regclass AND c.customer_key = p.account
  JOIN prio.customer_state s USING (customer_id);
-- evaluated as of then: the 12 months up to July 2017 hold every purchase
-- made by then (the sample starts in October 2016), the tiers as stored
-- are the evaluation at 2017-07-01, and refresh() logged that as_of
SELECT sum((prio.type_facts(s.customer_id, '2017-07-01 00:00+00') -> 'facts' ->> 'purchases_12m')::numeric) AS purchases_12m,
       (SELECT sum(close_value) FROM crm.sales_pipeline
         WHERE deal_stage = 'Won' AND close_date <= date '2017-06-30' AND account IS NOT NULL) AS won_by_then_plain,
       count(*) FILTER (WHERE (prio.evaluate(s, c, '2017-07-01 00:00+00')).tier IS DISTINCT FROM s.tier) AS tiers_not_as_of_then,
       (SELECT r.as_of FROM prio.refresh_runs r ORDER BY r.run_id DESC LIMIT 1) AS refresh_as_of
  FROM prio.customer_state s JOIN prio.customers c USING (customer_id);
-- the win-rate table's totals from the final data directly
SELECT count(*) AS deals, count(*) FILTER (WHERE deal_stage = 'Won') AS won,
       count(*) FILTER (WHERE deal_stage = 'Lost') AS lost,
       count(*) FILTER (WHERE deal_stage = 'Engaging') AS still_open
  FROM crm.sales_pipeline
 WHERE engage_date <= date '2017-06-30' AND account IS NOT NULL
   AND (close_date > date '2017-06-30' OR close_date IS NULL);
-- live maintenance of the three tracked tables equals a rebuild
SELECT prio.recompute() AS facts_recompute_fixed;

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE prio_crm_then;
\else
\echo SKIP: crm-opportunities data is absent (PRIO_DATA or ../shared/data), CRM-as-of-2017-06-30 test not run
\endif
