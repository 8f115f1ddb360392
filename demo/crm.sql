-- demo/crm.sql -- prio attached to a real application's tables: the CRM +
-- Sales Opportunities sample (85 accounts keyed by company name, 8,800
-- opportunities keyed by text ids, 2016-10 .. 2017-12), loaded unchanged into
-- its own schema crm.  prio tracks crm.accounts as customers and
-- crm.sales_pipeline as activities, without copying a row.
--
--   psql -d <a database with prio> -f demo/crm.sql
--
-- The data is read from $PRIO_DATA/crm-opportunities (default
-- ../shared/data, from the project's root); the schema crm must not exist.
-- tools/crm_demo.sh runs it in a throwaway cluster.
-- (the application: its tables, the CSVs loaded as they are)
\ir crm_load.sql

-- The accounts are prio's customers, by their own text key (the company
-- name); the columns prio has no place for are attributes.
SELECT prio.track('crm.accounts', 'customers',
       '{"key": "account", "name": "account",
         "attributes": {"sector": "sector", "revenue": "revenue",
                        "employees": "employees", "subsidiary_of": "subsidiary_of"}}');
-- One opportunity is two events: engaged (engage_date), then closed
-- (close_date): a purchase of close_value when Won, a rejection when Lost.
-- Dates are days in UTC.  A deal with no account is no customer's: ignored.
SELECT prio.track('crm.sales_pipeline', 'activities',
       '{"customer": "account",
         "events": [{"kind": "''engagement''",
                     "at": "engage_date::timestamp AT TIME ZONE ''UTC''"},
                    {"kind": "CASE deal_stage WHEN ''Won'' THEN ''purchase'' WHEN ''Lost'' THEN ''rejected'' END",
                     "at": "close_date::timestamp AT TIME ZONE ''UTC''",
                     "amount": "close_value"}]}');
-- What prio ignores: a kind it does not know yet (engagement), and the open
-- deals' close (no kind: NULL).  The admin maps the kind with one row.
SELECT * FROM prio.unmapped_kinds;
INSERT INTO prio.activity_kinds (kind, direction, stage, intent_weight)
VALUES ('engagement', 'inbound', 'engaged', 2);
SELECT * FROM prio.unmapped_kinds;
-- A deal of no customer of prio (here: no account) is ignored: how many,
-- through the key map of crm.accounts (its key to prio's customer_id)
SELECT key_map AS accounts_key_map FROM prio.tracked WHERE source = 'crm.accounts'::regclass \gset
SELECT count(*) AS deals,
       count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM :accounts_key_map k WHERE k.key = p.account)) AS ignored
  FROM crm.sales_pipeline p;

-- Evaluated as of the data's end (now() would be years after its last
-- deal: every account dormant, every intent decayed away).
SELECT prio.refresh('2018-01-01 00:00+00') AS changed;

-- One sales agent's follow-up list: the accounts the agent has deals with,
-- in prio's order, joined to the application by its own key.
SELECT row_number() OVER (ORDER BY f.rank) AS n, k.key AS account, f.tier,
       round(f.priority::numeric, 1) AS priority, f.stage, f.rfm_segment,
       to_char(f.last_activity_at, 'YYYY-MM-DD') AS last_activity
  FROM prio.followup f JOIN :accounts_key_map k USING (customer_id)
 WHERE k.key IN (SELECT p.account FROM crm.sales_pipeline p WHERE p.sales_agent = 'Darcel Schlecht')
 ORDER BY f.rank LIMIT 5;

-- Of the accounts that entered each tier, how many were won after (from
-- prio.tier_history, which track() wrote dated at the deals' own dates:
-- D at an account's creation, dated at its first deal, or as it lost or
-- went quiet; C as a deal engaged; A once purchases made the value high;
-- every account wins again after each).  Value here is past purchases.
SELECT * FROM prio.conversion_by_tier;
