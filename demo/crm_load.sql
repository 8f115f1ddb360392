-- demo/crm_load.sql -- the CRM + Sales Opportunities sample (Maven Analytics;
-- ../shared/data/crm-opportunities, see its README) loaded unchanged into an
-- application schema of its own, crm: the tables as the publisher shaped
-- them, keyed by their own text keys (an account is its company name, an
-- opportunity its text id).  Nothing of prio here: this is "the application".
-- The CSVs are read from $PRIO_DATA/crm-opportunities (default ../shared/data:
-- beside the project's root, when psql runs there), by the client.
CREATE SCHEMA crm;
CREATE TABLE crm.accounts (
    account          text PRIMARY KEY,
    sector           text,
    year_established integer,
    revenue          numeric,    -- annual, millions of USD
    employees        integer,
    office_location  text,
    subsidiary_of    text        -- parent company (NULL: none)
);
CREATE TABLE crm.sales_teams (
    sales_agent     text PRIMARY KEY,
    manager         text,
    regional_office text
);
CREATE TABLE crm.products (
    product     text PRIMARY KEY,
    series      text,
    sales_price numeric
);
CREATE TABLE crm.sales_pipeline (
    opportunity_id text PRIMARY KEY,
    sales_agent    text,
    product        text,
    account        text,         -- NULL for many prospecting/engaging deals
    deal_stage     text,         -- Prospecting > Engaging > Won / Lost
    engage_date    date,         -- NULL while prospecting
    close_date     date,         -- NULL while open
    close_value    numeric
);
\copy crm.accounts FROM PROGRAM 'cat "${PRIO_DATA:-../shared/data}/crm-opportunities/accounts.csv"' WITH (FORMAT csv, HEADER true)
\copy crm.sales_teams FROM PROGRAM 'cat "${PRIO_DATA:-../shared/data}/crm-opportunities/sales_teams.csv"' WITH (FORMAT csv, HEADER true)
\copy crm.products FROM PROGRAM 'cat "${PRIO_DATA:-../shared/data}/crm-opportunities/products.csv"' WITH (FORMAT csv, HEADER true)
\copy crm.sales_pipeline FROM PROGRAM 'cat "${PRIO_DATA:-../shared/data}/crm-opportunities/sales_pipeline.csv"' WITH (FORMAT csv, HEADER true)
-- the application's own index on the deals' account (prio reads through it)
CREATE INDEX ON crm.sales_pipeline (account);
