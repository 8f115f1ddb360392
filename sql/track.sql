-- prio.track() / prio.untrack() (issue 18, first part): an application's own
-- customers table, any key type, mirrored into prio.customers through a typed
-- key map and kept live by statement triggers; the application's writes never
-- fail because of prio; untrack() leaves the table as it was.  Then the bad
-- input: each a clear ERROR with its SQLSTATE, nothing half-done.
-- Starts from a fresh extension (deterministic customer ids).
SET client_min_messages = warning;
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio;
RESET client_min_messages;
SET timezone = 'UTC';
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;
-- what track() may leave: sources rows, key maps, triggers, mirrored customers
CREATE FUNCTION pg_temp.prio_side() RETURNS text LANGUAGE sql AS $$
SELECT format('sources=%s key_maps=%s triggers=%s mirrored_customers=%s',
              (SELECT count(*) FROM prio.sources),
              (SELECT count(*) FROM pg_class WHERE relnamespace = 'prio'::regnamespace AND relname ~ '^keys_' AND relkind = 'r'),
              (SELECT count(*) FROM pg_trigger WHERE tgfoid = 'prio.source_changed()'::regprocedure),
              (SELECT count(*) FROM prio.customers WHERE customer_id < 0)) $$;
-- a table as the application sees it: definition, triggers, grants, rows
CREATE FUNCTION pg_temp.app_table_def(r regclass) RETURNS text LANGUAGE sql AS $$
SELECT concat_ws(E'\n', c.relkind, pg_get_userbyid(c.relowner), c.relacl::text, c.reloptions::text,
       (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || ' ' || attnotnull, ', ' ORDER BY attnum)
          FROM pg_attribute WHERE attrelid = r AND attnum > 0 AND NOT attisdropped),
       (SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), ', ' ORDER BY conname) FROM pg_constraint WHERE conrelid = r),
       (SELECT string_agg(pg_get_indexdef(indexrelid), ', ' ORDER BY pg_get_indexdef(indexrelid)) FROM pg_index WHERE indrelid = r),
       (SELECT string_agg(pg_get_triggerdef(oid), ', ' ORDER BY tgname) FROM pg_trigger WHERE tgrelid = r AND NOT tgisinternal))
  FROM pg_class c WHERE c.oid = r $$;
-- a tracked table's customers, by its own key (as text)
CREATE FUNCTION pg_temp.mirror_of(r regclass) RETURNS TABLE (key text, customer_id bigint, name text, owner text)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('SELECT m.key::text, c.customer_id, c.name, c.owner FROM %s m JOIN prio.customers c USING (customer_id) ORDER BY 1',
                                (SELECT t.key_map FROM prio.tracked t WHERE t.source = r));
END $$;
CREATE FUNCTION pg_temp.app_rows(r regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v text;
BEGIN
    EXECUTE format('SELECT md5(coalesce(string_agg(t::text, ''|'' ORDER BY t::text), '''')) FROM %s t', r) INTO v;
    RETURN v;
END $$;

-- An application's customers table, keyed by uuid, with its own trigger and grant.
CREATE SCHEMA crm;
CREATE TABLE crm.accounts (
    id         uuid PRIMARY KEY,
    legal_name text,
    sales_rep  text,
    has_budget boolean,
    industry   text,
    opened     date,
    employees  integer
);
CREATE FUNCTION crm.no_op() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER accounts_own BEFORE UPDATE ON crm.accounts FOR EACH ROW EXECUTE FUNCTION crm.no_op();
GRANT SELECT ON crm.accounts TO PUBLIC;
INSERT INTO crm.accounts VALUES
    ('00000000-0000-0000-0000-00000000000a', 'Acme', 'alice', true, 'tools', '2024-01-15', 40),
    ('00000000-0000-0000-0000-00000000000b', 'Globex', NULL, NULL, NULL, NULL, NULL),
    ('00000000-0000-0000-0000-00000000000c', 'Initech', 'bob', false, 'software', '2023-06-01', 0);
CREATE TEMP TABLE app_before AS
SELECT pg_temp.app_table_def('crm.accounts') AS def, pg_temp.app_rows('crm.accounts') AS rows;

-- track(): the existing rows are loaded at once; created_at from a date
-- column (cast implicitly), other columns into attributes.
SELECT prio.track('crm.accounts', 'customers',
       '{"key": "id", "name": "legal_name", "owner": "sales_rep", "budget": "has_budget",
         "created_at": "opened", "attributes": {"industry": "industry", "size": "employees * 10"}}');
SELECT source, role, mapping, key_type, key_map, last_error FROM prio.tracked;
SELECT pg_temp.prio_side();
-- one view to read the mirror by the application's own key
CREATE TEMP VIEW mirror AS
SELECT m.key, c.customer_id, c.name, c.owner, c.budget,
       CASE WHEN c.created_at < now() - interval '1 hour' THEN c.created_at::text
            WHEN c.created_at <= now() THEN 'about now' END AS created_at, c.attributes, s.tier IS NOT NULL AS has_state
  FROM prio.keys_1 m JOIN prio.customers c USING (customer_id)
  LEFT JOIN prio.customer_state s USING (customer_id);
SELECT * FROM mirror ORDER BY key;
-- the key map is typed: the application's key type, its primary key
SELECT format_type(atttypid, atttypmod) AS key_map_key_type FROM pg_attribute
 WHERE attrelid = 'prio.keys_1'::regclass AND attname = 'key';

-- Live: INSERT (several rows), UPDATE, an UPDATE of the key (the customer
-- keeps its id, state and history), two keys changed in one statement,
-- INSERT ... ON CONFLICT, COPY, DELETE, TRUNCATE.
INSERT INTO crm.accounts (id, legal_name, sales_rep) VALUES
    ('00000000-0000-0000-0000-00000000000d', 'Umbrella', 'carol'),
    ('00000000-0000-0000-0000-00000000000e', 'Hooli', 'carol');
UPDATE crm.accounts SET legal_name = 'Acme Corp', has_budget = NULL WHERE id = '00000000-0000-0000-0000-00000000000a';
SELECT count(*) AS history_rows_of_globex FROM prio.tier_history WHERE customer_id = -2;
UPDATE crm.accounts SET id = '00000000-0000-0000-0000-0000000000bb' WHERE legal_name = 'Globex';
SELECT key, customer_id, name FROM mirror WHERE name = 'Globex';
SELECT count(*) AS history_rows_of_globex_kept FROM prio.tier_history WHERE customer_id = -2;
-- two keys changed in one statement: each customer follows its row
UPDATE crm.accounts SET id = CASE legal_name WHEN 'Umbrella' THEN '00000000-0000-0000-0000-0000000000dd'::uuid
                                             ELSE '00000000-0000-0000-0000-0000000000ee'::uuid END
 WHERE legal_name IN ('Umbrella', 'Hooli');
INSERT INTO crm.accounts (id, legal_name) VALUES ('00000000-0000-0000-0000-00000000000c', 'Initech LLC'),
                                                 ('00000000-0000-0000-0000-00000000000f', 'Stark')
    ON CONFLICT (id) DO UPDATE SET legal_name = excluded.legal_name;
COPY crm.accounts (id, legal_name, sales_rep, employees) FROM stdin;
00000000-0000-0000-0000-000000000010	Wayne	dave	7
00000000-0000-0000-0000-000000000011	Tyrell	\N	\N
\.
DELETE FROM crm.accounts WHERE legal_name IN ('Stark', 'Tyrell');
SELECT * FROM mirror ORDER BY key;
-- every application row is a customer, every customer an application row
SELECT (SELECT count(*) FROM crm.accounts) AS app_rows,
       (SELECT count(*) FROM prio.keys_1) AS mapped,
       (SELECT count(*) FROM prio.customer_state WHERE customer_id < 0) AS with_state;

-- The application's writes never fail because of prio: a created date in
-- the future is now, a name past prio's 1000 characters is cut, NULLs are
-- "not known" (NULL owner: nobody's customer).
INSERT INTO crm.accounts (id, legal_name, opened) VALUES
    ('00000000-0000-0000-0000-000000000020', repeat('x', 2000), now() + interval '1 year');
SELECT length(name) AS name_length, created_at, owner FROM mirror WHERE key = '00000000-0000-0000-0000-000000000020';
TRUNCATE crm.accounts;
SELECT pg_temp.prio_side();

-- untrack(): triggers, key map, customers (state, history) gone; the table
-- is as it was (definition, triggers, grants), its rows are the application's.
INSERT INTO crm.accounts VALUES
    ('00000000-0000-0000-0000-00000000000a', 'Acme', 'alice', true, 'tools', '2024-01-15', 40),
    ('00000000-0000-0000-0000-00000000000b', 'Globex', NULL, NULL, NULL, NULL, NULL),
    ('00000000-0000-0000-0000-00000000000c', 'Initech', 'bob', false, 'software', '2023-06-01', 0);
SELECT pg_temp.prio_side();
DROP VIEW mirror;  -- a view on the key map would keep untrack() from dropping it
SELECT prio.untrack('crm.accounts');
SELECT pg_temp.prio_side();
SELECT pg_temp.app_table_def('crm.accounts') = def AS definition_unchanged,
       pg_temp.app_rows('crm.accounts') = rows AS rows_unchanged
  FROM app_before;
SELECT count(*) AS history_left FROM prio.tier_history WHERE customer_id < 0;

-- A mapping expression that fails on a row (division by zero) does not fail
-- the application's write: a WARNING, prio.tracked.last_error, and prio's
-- side of that statement undone.
SELECT prio.track('crm.accounts', 'customers', '{"key": "id", "name": "legal_name", "need": "100 / (employees - 7) > 1"}');
INSERT INTO crm.accounts (id, legal_name, employees) VALUES ('00000000-0000-0000-0000-000000000030', 'Seven', 7);
SELECT legal_name FROM crm.accounts WHERE employees = 7;
SELECT last_error, last_error_at IS NOT NULL AS dated FROM prio.tracked;
SELECT * FROM pg_temp.mirror_of('crm.accounts');
SELECT prio.untrack('crm.accounts');

-- A mapped column changed after track() (here its type), or the table
-- renamed: prio's triggers warn and do nothing until it is tracked again.
CREATE TABLE crm.renamed (id int PRIMARY KEY, label text);
SELECT prio.track('crm.renamed', 'customers', '{"key": "id", "name": "label"}');
ALTER TABLE crm.renamed ALTER COLUMN label TYPE varchar(20);
INSERT INTO crm.renamed VALUES (1, 'after the change');
SELECT last_error FROM prio.tracked WHERE source = 'crm.renamed'::regclass;
SELECT count(*) AS mirrored FROM pg_temp.mirror_of('crm.renamed');
SELECT prio.untrack('crm.renamed');
SELECT prio.track('crm.renamed', 'customers', '{"key": "id", "name": "label"}');
SELECT * FROM pg_temp.mirror_of('crm.renamed');
ALTER TABLE crm.renamed RENAME TO renamed2;
UPDATE crm.renamed2 SET label = 'after the rename';
SELECT last_error FROM prio.tracked WHERE source = 'crm.renamed2'::regclass;
SELECT * FROM pg_temp.mirror_of('crm.renamed2');
SELECT prio.untrack('crm.renamed2');
DROP TABLE crm.renamed2;

-- Other key types: text (case matters), integer, bigint; a varchar key uses text's equality.
CREATE TABLE crm.companies (name text CONSTRAINT companies_name_key UNIQUE, rep varchar(50), authority boolean);
INSERT INTO crm.companies VALUES ('Acme', 'alice', true), ('acme', 'bob', false), (NULL, 'nobody', NULL);
SELECT prio.track('crm.companies', 'customers', '{"key": "name", "name": "upper(name)", "owner": "rep", "authority": "authority"}');
UPDATE crm.companies SET name = 'ACME' WHERE name = 'acme';
UPDATE crm.companies SET name = 'Late' WHERE name IS NULL;
SELECT * FROM pg_temp.mirror_of('crm.companies');
CREATE TABLE crm.small (id integer PRIMARY KEY, label varchar(20));
CREATE TABLE crm.big (id bigint PRIMARY KEY, label text);
CREATE TABLE crm.coded (code varchar(10) PRIMARY KEY, label text);
INSERT INTO crm.small VALUES (1, 'one'), (2, 'two');
INSERT INTO crm.big VALUES (9000000000, 'big');
INSERT INTO crm.coded VALUES ('X1', 'coded');
SELECT prio.track('crm.small', 'customers', '{"key": "id", "name": "label"}');
SELECT prio.track('crm.big', 'customers', '{"key": "id", "name": "label"}');
SELECT prio.track('crm.coded', 'customers', '{"key": "code", "name": "label"}');
UPDATE crm.small SET id = 3 WHERE id = 2;
DELETE FROM crm.big;
INSERT INTO crm.big VALUES (-1, 'negative key');
UPDATE crm.coded SET label = 'recoded';
SELECT source, key_type FROM prio.tracked ORDER BY source::text;
SELECT 'small' AS t, * FROM pg_temp.mirror_of('crm.small')
UNION ALL SELECT 'big', * FROM pg_temp.mirror_of('crm.big')
UNION ALL SELECT 'coded', * FROM pg_temp.mirror_of('crm.coded')
ORDER BY 1, 2;
-- prio's own customers (positive ids) are untouched by the mirrors
INSERT INTO prio.customers (customer_id, name) VALUES (1, 'own');
SELECT customer_id, name FROM prio.customers WHERE customer_id > 0;

-- A partitioned table is tracked through its root (rows routed to partitions).
CREATE TABLE crm.bycode (code text PRIMARY KEY, label text) PARTITION BY RANGE (code);
CREATE TABLE crm.bycode_am PARTITION OF crm.bycode FOR VALUES FROM ('a') TO ('n');
CREATE TABLE crm.bycode_nz PARTITION OF crm.bycode FOR VALUES FROM ('n') TO (MAXVALUE);
INSERT INTO crm.bycode VALUES ('apple', 'Apple');
SELECT prio.track('crm.bycode', 'customers', '{"key": "code", "name": "label"}');
INSERT INTO crm.bycode VALUES ('pear', 'Pear');
UPDATE crm.bycode SET code = 'quince' WHERE code = 'apple';
SELECT * FROM pg_temp.mirror_of('crm.bycode');

-- Bad input: each a clear ERROR with its SQLSTATE; nothing half-done
-- (prio's side is the same before and after).
CREATE TEMP TABLE side_before AS SELECT pg_temp.prio_side() AS side;
CREATE TABLE crm.leads (id uuid PRIMARY KEY, title text, score integer, doc json, meta jsonb,
                        at timestamptz, kind text, amount numeric, email text, plain integer);
CREATE UNIQUE INDEX leads_doc_key ON crm.leads ((doc::text));
CREATE VIEW crm.leads_v AS SELECT * FROM crm.leads;
CREATE MATERIALIZED VIEW crm.leads_mv AS SELECT * FROM crm.leads;
CREATE SEQUENCE crm.leads_seq;
CREATE FOREIGN DATA WRAPPER prio_track_fdw;
CREATE SERVER prio_track_srv FOREIGN DATA WRAPPER prio_track_fdw;
CREATE FOREIGN TABLE crm.leads_f (id uuid) SERVER prio_track_srv;
CREATE TEMP TABLE temp_accounts (id int PRIMARY KEY);
CREATE DOMAIN crm.positive AS integer CHECK (VALUE > 0);
CREATE FUNCTION crm.shout(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT upper(t)$$;
INSERT INTO crm.leads (id, title, score) VALUES ('00000000-0000-0000-0000-000000000001', 'lead', 0);
-- arguments
SELECT pg_temp.err($$SELECT prio.track(NULL, 'customers', '{"key": "id"}')$$) AS null_source;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', NULL, '{"key": "id"}')$$) AS null_role;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', NULL)$$) AS null_mapping;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'deals', '{"key": "id"}')$$) AS deals_need_customer_and_stage;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'prospects', '{"key": "id"}')$$) AS unknown_role;
SELECT pg_temp.err($$SELECT prio.untrack(NULL)$$) AS untrack_null;
-- what is tracked: tables only, once
SELECT pg_temp.err($$SELECT prio.track('crm.leads_v', 'customers', '{"key": "id"}')$$) AS a_view;
SELECT pg_temp.err($$SELECT prio.track('crm.leads_mv', 'customers', '{"key": "id"}')$$) AS a_materialized_view;
SELECT pg_temp.err($$SELECT prio.track('crm.leads_f', 'customers', '{"key": "id"}')$$) AS a_foreign_table;
SELECT pg_temp.err($$SELECT prio.track('crm.leads_seq', 'customers', '{"key": "id"}')$$) AS a_sequence;
SELECT pg_temp.err($$SELECT prio.track('crm.bycode_am', 'customers', '{"key": "code"}')$$) AS a_partition;
SELECT pg_temp.err($$SELECT prio.track('temp_accounts', 'customers', '{"key": "id"}')$$) AS a_temporary_table;
SELECT pg_temp.err($$SELECT prio.track('prio.customers', 'customers', '{"key": "customer_id"}')$$) AS prios_own_table;
SELECT pg_temp.err($$SELECT prio.track('crm.small', 'customers', '{"key": "id"}')$$) AS tracked_twice;
SELECT pg_temp.err($$SELECT prio.untrack('crm.leads')$$) AS untrack_not_tracked;
SELECT pg_temp.err($$SELECT prio.track('crm.no_such_table', 'customers', '{"key": "id"}')$$) AS no_such_table;
-- the mapping
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '["id"]')$$) AS mapping_not_an_object;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "onwer": "title"}')$$) AS unknown_key;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"name": "title"}')$$) AS key_missing;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "name": 7}')$$) AS value_not_a_string;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "name": " "}')$$) AS value_empty;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "attributes": ["title"]}')$$) AS attributes_not_an_object;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "attributes": {"x": 1}}')$$) AS attribute_not_a_string;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "name": "titel"}')$$) AS missing_column;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "attributes": {"x": "nope + 1"}}')$$) AS missing_column_in_attribute;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "name": "title ||"}')$$) AS bad_syntax;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "name": "title, email"}')$$) AS two_expressions;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "name": "rolname FROM pg_authid"}')$$) AS a_from_clause;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "name": "title AS n"}')$$) AS an_alias;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "name": "title); DROP TABLE crm.leads; --"}')$$) AS injection;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "name": "max(title)"}')$$) AS an_aggregate;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "name": "(SELECT rolname FROM pg_authid LIMIT 1)"}')$$) AS a_subquery;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "attributes": {"x": "generate_series(1, score)"}}')$$) AS a_set_returning_function;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "budget": "random() > 0.5"}')$$) AS a_volatile_function;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "created_at": "now()"}')$$) AS now_is_not_a_column;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "name": "current_setting(''data_directory'')"}')$$) AS current_setting;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "name": "CURRENT_USER"}')$$) AS current_user;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "name": "crm.shout(title)"}')$$) AS a_users_function;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "name": "shout(title)"}')$$) AS a_function_on_the_callers_path;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "attributes": {"s": "score::crm.positive"}}')$$) AS a_domain_cast;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "name": "ctid::text"}')$$) AS a_system_column;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "attributes": {"row": "leads"}}')$$) AS the_whole_row;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "name": "score"}')$$) AS name_an_integer;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "budget": "title"}')$$) AS budget_a_text;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "created_at": "title"}')$$) AS created_at_a_text;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "doc"}')$$) AS key_without_btree;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "lower(title)"}')$$) AS key_an_expression;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "email"}')$$) AS key_not_unique;
-- a unique index under another collation than the column's: two keys it
-- keeps apart could be one key to prio (and "a", "A" one customer)
CREATE TABLE crm.leads_c (code text, title text);
CREATE UNIQUE INDEX leads_c_code_key ON crm.leads_c (code COLLATE "C");
SELECT pg_temp.err($$SELECT prio.track('crm.leads_c', 'customers', '{"key": "code", "name": "title"}')$$) AS key_index_of_another_collation;
-- a failure while loading the rows undoes the key map and triggers already made
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "budget": "100 / score > 1"}')$$) AS load_fails;
-- activities: the mapping is checked in full; its customer must be the key of a tracked customers table
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'activities', '{"customer": "id", "kind": "kind", "at": "at", "amount": "amount * 2", "note": "title", "external_key": "plain"}')$$) AS activities_without_tracked_customers;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'activities', '{"customer": "id", "kind": "kind"}')$$) AS activities_at_missing;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'activities', '{"customer": "id", "kind": "kind", "at": "at", "key": "id"}')$$) AS activities_unknown_key;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'activities', '{"customer": "id", "kind": "kynd", "at": "at"}')$$) AS activities_missing_column;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'activities', '{"customer": "id", "kind": "score", "at": "at"}')$$) AS activities_kind_an_integer;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'activities', '{"customer": "id", "kind": "kind", "at": "at", "amount": "title"}')$$) AS activities_amount_a_text;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'activities', '{"customer": "doc", "kind": "kind", "at": "at"}')$$) AS activities_customer_without_btree;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'activities', '{"customer": "id", "kind": "kind", "at": "least(at, now())"}')$$) AS activities_at_not_immutable;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'activities', '{"customer": "title", "kind": "kind", "at": "at"}')$$) AS activities_two_customers_tables_of_its_type;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'activities', '{"customer": "id", "kind": "kind", "at": "at", "customers": "crm.leads"}')$$) AS activities_customers_not_tracked;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'activities', '{"customer": "id", "kind": "kind", "at": "at", "customers": "crm.big"}')$$) AS activities_customers_key_of_another_type;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'activities', '{"customer": "id", "kind": "kind", "at": "at", "customers": ["crm.big"]}')$$) AS activities_customers_not_a_name;
-- ownership: a role that does not own the table (even allowed to run track();
-- without the TRIGGER privilege on it: see track_edges)
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prio_track_stranger') THEN
        CREATE ROLE prio_track_stranger;
    END IF;
END $$;
GRANT USAGE ON SCHEMA crm, prio TO prio_track_stranger;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES ON crm.leads TO prio_track_stranger;
CREATE TABLE crm.own_leads (id bigint PRIMARY KEY, title text);
ALTER TABLE crm.own_leads OWNER TO prio_track_stranger;
GRANT EXECUTE ON FUNCTION prio.track(regclass, text, jsonb), prio.untrack(regclass) TO prio_track_stranger;
SET ROLE prio_track_stranger;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id"}')$$) AS not_the_owner;
SELECT pg_temp.err($$SELECT prio.untrack('crm.small')$$) AS untrack_not_the_owner;
-- (its own table it may track and untrack)
SELECT pg_temp.err($$SELECT prio.track('crm.own_leads', 'customers', '{"key": "id", "name": "title"}')$$) AS own_table_tracked;
SELECT pg_temp.err($$SELECT prio.untrack('crm.own_leads')$$) AS own_table_untracked;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION prio.track(regclass, text, jsonb), prio.untrack(regclass) FROM prio_track_stranger;
SET ROLE prio_track_stranger;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id"}')$$) AS not_granted;
RESET ROLE;
SELECT pg_temp.prio_side() = side AS nothing_half_done FROM side_before;
SELECT pg_temp.app_table_def('crm.leads') AS leads_untouched;

-- Activities (issue 18, second part): crm.events refers to the uuid key of a
-- tracked customers table; prio folds its rows into those customers' state
-- without copying them, live on INSERT, UPDATE (a row moved to another
-- customer too), DELETE, TRUNCATE and COPY, equal to recompute().  Ignored
-- for scoring (the application's write goes through): a kind prio does not
-- know (counted in prio.unmapped_kinds), a NULL customer or time, a customer
-- the customers table does not have, a time in the future.  A purchase of a
-- negative amount is a refund: monetary is net of it, never below 0.
CREATE TABLE crm.clients (id uuid PRIMARY KEY, name text);
CREATE TABLE crm.events (account_id uuid, type text, happened_at timestamptz, value numeric);
INSERT INTO crm.clients VALUES ('00000000-0000-0000-0000-000000000001', 'One'),
    ('00000000-0000-0000-0000-000000000002', 'Two'), ('00000000-0000-0000-0000-000000000003', 'Three');
INSERT INTO crm.events VALUES
    ('00000000-0000-0000-0000-000000000001', 'inquiry', '2026-01-05 10:00+00', NULL),
    ('00000000-0000-0000-0000-000000000001', 'purchase', '2026-01-10 10:00+00', 100),
    ('00000000-0000-0000-0000-000000000002', 'visit', '2026-01-06 10:00+00', NULL),
    ('00000000-0000-0000-0000-000000000002', 'teleport', '2026-01-07 10:00+00', NULL),
    (NULL, 'purchase', '2026-01-07 10:00+00', 5),
    ('00000000-0000-0000-0000-000000000003', 'purchase', NULL, 5),
    ('00000000-0000-0000-0000-000000000099', 'purchase', '2026-01-07 10:00+00', 5);
CREATE TEMP TABLE events_before AS
SELECT pg_temp.app_table_def('crm.events') AS def, pg_temp.app_rows('crm.events') AS rows;
-- the facts prio folded, per customer of crm.clients
CREATE FUNCTION pg_temp.folded() RETURNS TABLE (name text, frequency bigint, monetary numeric, stage prio.stage,
                                                first_at timestamptz, last_at timestamptz, last_inbound_at timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('SELECT c.name, s.frequency, s.monetary, s.stage, s.first_at, s.last_at, s.last_inbound_at
                                   FROM %s m JOIN prio.customers c USING (customer_id)
                                   JOIN prio.customer_state s USING (customer_id) ORDER BY 1',
                                (SELECT t.key_map FROM prio.tracked t WHERE t.source = 'crm.clients'::regclass));
END $$;
SELECT prio.track('crm.clients', 'customers', '{"key": "id", "name": "name"}');
-- (activities too are tracked in READ COMMITTED only: 25001)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pg_temp.err($$SELECT prio.track('crm.events', 'activities', '{"customer": "account_id", "kind": "type", "at": "happened_at", "amount": "value"}')$$) AS activities_in_repeatable_read;
ROLLBACK;
-- no index on the customer column: track() says so
SELECT prio.track('crm.events', 'activities', '{"customer": "account_id", "kind": "type", "at": "happened_at", "amount": "value"}');
SELECT source, role, mapping, key_type FROM prio.tracked WHERE source IN ('crm.clients'::regclass, 'crm.events'::regclass) ORDER BY source::text;
SELECT * FROM pg_temp.folded();
SELECT * FROM prio.unmapped_kinds;
SELECT prio.recompute() AS facts_recompute_fixed_after_track;
-- INSERT: two events at the same instant as One's purchase (folded in the
-- same order on every path), a refund bigger than Two's purchases, a
-- meeting next week
INSERT INTO crm.events VALUES
    ('00000000-0000-0000-0000-000000000001', 'rejected', '2026-01-10 10:00+00', NULL),
    ('00000000-0000-0000-0000-000000000001', 'call', '2026-01-10 10:00+00', NULL),
    ('00000000-0000-0000-0000-000000000002', 'purchase', '2026-01-08 10:00+00', 30),
    ('00000000-0000-0000-0000-000000000002', 'purchase', '2026-01-09 10:00+00', -50),
    ('00000000-0000-0000-0000-000000000003', 'meeting', now() + interval '7 days', NULL);
SELECT * FROM pg_temp.folded();
SELECT prio.recompute() AS facts_recompute_fixed_after_insert;
-- UPDATE: One's purchase moves to Three
UPDATE crm.events SET account_id = '00000000-0000-0000-0000-000000000003'
 WHERE type = 'purchase' AND value = 100;
SELECT * FROM pg_temp.folded();
SELECT prio.recompute() AS facts_recompute_fixed_after_update;
-- DELETE, COPY
DELETE FROM crm.events WHERE type = 'visit';
COPY crm.events FROM stdin;
00000000-0000-0000-0000-000000000002	purchase	2026-01-12 10:00:00+00	70
00000000-0000-0000-0000-000000000001	email	2026-01-12 10:00:00+00	\N
\.
SELECT * FROM pg_temp.folded();
SELECT prio.recompute() AS facts_recompute_fixed_after_copy;
-- a kind added to prio.activity_kinds counts at once
INSERT INTO prio.activity_kinds (kind, direction, intent_weight) VALUES ('teleport', 'inbound', 1);
SELECT * FROM prio.unmapped_kinds;
SELECT name, first_at FROM pg_temp.folded() WHERE name = 'Two';
DELETE FROM prio.activity_kinds WHERE kind = 'teleport';
SELECT name, first_at FROM pg_temp.folded() WHERE name = 'Two';
-- a customer the customers table gets after its activities is folded with
-- them at once; a customer whose key changes takes the activities of its
-- new key (those of the old one belong to no customer now)
INSERT INTO crm.events VALUES ('00000000-0000-0000-0000-000000000004', 'purchase', '2026-01-13 10:00+00', 40),
                              ('00000000-0000-0000-0000-000000000006', 'inquiry', '2026-01-14 10:00+00', NULL);
INSERT INTO crm.clients VALUES ('00000000-0000-0000-0000-000000000004', 'Four');
UPDATE crm.clients SET id = '00000000-0000-0000-0000-000000000006' WHERE name = 'Three';
SELECT * FROM pg_temp.folded();
SELECT prio.recompute() AS facts_recompute_fixed_after_new_customers;
-- TRUNCATE
TRUNCATE crm.events;
SELECT * FROM pg_temp.folded();
SELECT prio.recompute() AS facts_recompute_fixed_after_truncate;
-- untrack() of the activities: the customers' state folded again without
-- them; the table as it was
-- (an INSERT of no rows changes nothing)
INSERT INTO crm.events SELECT * FROM crm.events WHERE false;
INSERT INTO crm.events VALUES
    ('00000000-0000-0000-0000-000000000001', 'inquiry', '2026-01-05 10:00+00', NULL),
    ('00000000-0000-0000-0000-000000000001', 'purchase', '2026-01-10 10:00+00', 100),
    ('00000000-0000-0000-0000-000000000002', 'visit', '2026-01-06 10:00+00', NULL),
    ('00000000-0000-0000-0000-000000000002', 'teleport', '2026-01-07 10:00+00', NULL),
    (NULL, 'purchase', '2026-01-07 10:00+00', 5),
    ('00000000-0000-0000-0000-000000000003', 'purchase', NULL, 5),
    ('00000000-0000-0000-0000-000000000099', 'purchase', '2026-01-07 10:00+00', 5);
SELECT * FROM pg_temp.folded();
-- (the customers table stays tracked while its activities are)
SELECT pg_temp.err($$SELECT prio.untrack('crm.clients')$$) AS untrack_customers_of_tracked_activities;
SELECT prio.untrack('crm.events');
SELECT * FROM pg_temp.folded();
SELECT prio.recompute() AS facts_recompute_fixed_after_untrack;
SELECT pg_temp.app_table_def('crm.events') = def AS definition_unchanged,
       pg_temp.app_rows('crm.events') = rows AS rows_unchanged
  FROM events_before;
SELECT prio.untrack('crm.clients');
DROP TABLE crm.events, crm.clients;

-- The application's own key everywhere (issue 18, item 1): prio.customers,
-- prio.followup, prio.tier_history and prio.explain() carry the tracked table
-- (source) and the customer's key there as text (customer_id for prio's own
-- customers); a typed view per tracked customers table,
-- prio.followup_<table>, has the key in its own type, named as its column,
-- so a BI tool joins it to the table by plain equality.  A change of the
-- key follows everywhere.  explain() takes the key (typed, or as text) and
-- shows the customer's latest events, read from the application's table.
CREATE TABLE crm.people (person uuid PRIMARY KEY, full_name text, rep text);
CREATE TABLE crm.touches (person uuid, what text, at timestamptz, amount numeric);
CREATE INDEX ON crm.touches (person);
INSERT INTO crm.people VALUES ('00000000-0000-0000-0000-0000000000a1', 'Ada', 'alice'),
                              ('00000000-0000-0000-0000-0000000000b2', 'Bo', 'bob');
INSERT INTO crm.touches VALUES
    ('00000000-0000-0000-0000-0000000000a1', 'inquiry', '2026-02-01 10:00+00', NULL),
    ('00000000-0000-0000-0000-0000000000a1', 'purchase', '2026-02-02 10:00+00', 80),
    ('00000000-0000-0000-0000-0000000000a1', 'teleport', '2026-02-03 10:00+00', NULL),
    ('00000000-0000-0000-0000-0000000000b2', 'visit', '2026-02-04 10:00+00', NULL);
SELECT prio.track('crm.people', 'customers', '{"key": "person", "name": "full_name", "owner": "rep"}');
SELECT prio.track('crm.touches', 'activities', '{"customer": "person", "kind": "what", "at": "at", "amount": "amount"}');
-- prio.customers: the source and the key as text (NULL for prio's own customers)
SELECT customer_id > 0 AS own, name, source, customer_key FROM prio.customers
 WHERE source = 'crm.people'::regclass OR customer_id > 0 ORDER BY name;
-- prio.followup: the same, the key customer_id as text for prio's own customers
SELECT name, source, customer_key FROM prio.followup
 WHERE source = 'crm.people'::regclass OR source IS NULL ORDER BY name;
-- tier_history: the source and the key of each row (NULL for prio's own)
SELECT c.name, h.source, h.customer_key, h.new_tier, h.new_stage
  FROM prio.tier_history h JOIN prio.customers c USING (customer_id)
 WHERE h.source = 'crm.people'::regclass OR h.customer_id > 0 ORDER BY h.history_id;
SELECT source, followup_view FROM prio.tracked WHERE source = 'crm.people'::regclass;
-- the typed view: the key first, in its own type and named as its column,
-- then prio.followup's columns; security_invoker, commented
SELECT a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type
  FROM pg_attribute a WHERE a.attrelid = 'prio.followup_people'::regclass AND a.attnum <= 3 ORDER BY 1;
SELECT (SELECT count(*) FROM pg_attribute WHERE attrelid = 'prio.followup_people'::regclass AND attnum > 0)
       = 1 + (SELECT count(*) FROM pg_attribute WHERE attrelid = 'prio.followup'::regclass AND attnum > 0) AS all_followup_columns,
       c.reloptions, obj_description(c.oid, 'pg_class') IS NOT NULL AS commented,
       (SELECT bool_and(col_description(c.oid, a.attnum) IS NOT NULL) FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0) AS columns_commented
  FROM pg_class c WHERE c.oid = 'prio.followup_people'::regclass;
-- a BI tool's join by plain equality on the application's key type
SELECT p.full_name, f.tier, f.stage, f.customer_key = p.person::text AS same_key
  FROM crm.people p JOIN prio.followup_people f ON f.person = p.person ORDER BY 1;
-- a change of the key follows: prio.customers, tier_history, followup, the typed view
UPDATE crm.people SET person = '00000000-0000-0000-0000-0000000000b3' WHERE full_name = 'Bo';
SELECT c.customer_key, (SELECT string_agg(DISTINCT h.customer_key, ',') FROM prio.tier_history h
                         WHERE h.customer_id = c.customer_id) AS history_keys,
       (SELECT f.customer_key FROM prio.followup f WHERE f.customer_id = c.customer_id) AS followup_key,
       (SELECT v.person FROM prio.followup_people v WHERE v.customer_id = c.customer_id) AS typed_key
  FROM prio.customers c WHERE c.name = 'Bo';
-- an update of prio that drops prio.followup drops the typed views first and
-- creates them again with prio._track_view(source_id): the same view
CREATE TEMP TABLE typed_before AS
SELECT pg_get_viewdef(c.oid) AS def, c.relacl AS acl, c.reloptions AS opts, obj_description(c.oid, 'pg_class') AS comment
  FROM pg_class c WHERE c.oid = 'prio.followup_people'::regclass;
DROP VIEW prio.followup_people;
SELECT prio._track_view(source_id) FROM prio.sources WHERE relid = 'crm.people'::regclass;
SELECT pg_get_viewdef(c.oid) = b.def AS same_definition, c.relacl = b.acl AS same_privileges,
       c.reloptions = b.opts AS same_options, obj_description(c.oid, 'pg_class') = b.comment AS same_comment
  FROM pg_class c, typed_before b WHERE c.oid = 'prio.followup_people'::regclass;
-- explain(): source, key and the latest events (folded ones: not the
-- unknown kind) read from crm.touches; by the typed key or its text
SELECT e ->> 'source' AS source, e ->> 'key' AS key, e -> 'events' AS events
  FROM prio.explain('crm.people', '00000000-0000-0000-0000-0000000000a1'::uuid) e;
SELECT prio.explain('crm.people', '00000000-0000-0000-0000-0000000000a1') - 'as_of'
     = prio.explain('crm.people', '00000000-0000-0000-0000-0000000000a1'::uuid) - 'as_of' AS text_key_same,
       prio.explain((SELECT customer_id FROM prio.customers WHERE name = 'Ada')) - 'as_of'
     = prio.explain('crm.people', '00000000-0000-0000-0000-0000000000a1'::uuid) - 'as_of' AS same_as_by_id;
-- prio's own customers: no source, the key is customer_id, no events
SELECT e ->> 'source' AS source, e ->> 'key' AS key, e ? 'events' AS has_events FROM prio.explain(1) e;
-- other key types: text (in its collation), integer
CREATE TABLE crm.firms (code text COLLATE "C" PRIMARY KEY, label text);
CREATE TABLE crm.shops (shop_id integer PRIMARY KEY, label text);
INSERT INTO crm.firms VALUES ('F-1', 'Firm'), ('f-1', 'firm');
INSERT INTO crm.shops VALUES (7, 'Shop');
SELECT prio.track('crm.firms', 'customers', '{"key": "code", "name": "label"}');
SELECT prio.track('crm.shops', 'customers', '{"key": "shop_id", "name": "label", "view": "shops_followup"}');
SELECT f.code, f.name FROM crm.firms a JOIN prio.followup_firms f ON f.code = a.code ORDER BY 1;
SELECT f.shop_id, pg_typeof(f.shop_id), f.name FROM crm.shops a JOIN prio.shops_followup f ON f.shop_id = a.shop_id;
SELECT prio.explain('crm.firms', 'f-1') ->> 'name' AS by_text_key, prio.explain('crm.shops', 7) ->> 'name' AS by_integer_key,
       prio.explain('crm.shops', '7') ->> 'name' AS by_integer_key_as_text, prio.explain('crm.shops', 7::bigint) ->> 'name' AS by_bigint;
-- a view name taken: a clear error (name another, or none)
CREATE VIEW prio.followup_leads2 AS SELECT 1 AS x;
CREATE TABLE crm.leads2 (id int PRIMARY KEY);
SELECT pg_temp.err($$SELECT prio.track('crm.leads2', 'customers', '{"key": "id"}')$$) AS typed_view_name_taken;
SELECT pg_temp.err($$SELECT prio.track('crm.leads2', 'customers', '{"key": "id", "view": "followup_people"}')$$) AS typed_view_name_taken_too;
SELECT prio.track('crm.leads2', 'customers', '{"key": "id", "view": false}');
SELECT count(*) AS views_on_the_key_map FROM pg_depend d
 WHERE d.classid = 'pg_rewrite'::regclass
   AND d.refobjid = (SELECT key_map FROM prio.tracked WHERE source = 'crm.leads2'::regclass);
SELECT prio.untrack('crm.leads2');
SELECT * FROM prio.followup_leads2;
DROP VIEW prio.followup_leads2;
DROP TABLE crm.leads2;
-- the bad input of explain(source, key) and of the mapping's "view"
SELECT pg_temp.err($$SELECT prio.explain(NULL::regclass, 'x')$$) AS explain_null_source;
SELECT pg_temp.err($$SELECT prio.explain('crm.people', NULL::uuid)$$) AS explain_null_key;
SELECT pg_temp.err($$SELECT prio.explain('crm.people', NULL)$$) AS explain_null_untyped_key;
SELECT pg_temp.err($$SELECT prio.explain('crm.leads', 'x')$$) AS explain_not_tracked;
SELECT pg_temp.err($$SELECT prio.explain('crm.touches', 'x')$$) AS explain_tracked_as_activities;
SELECT pg_temp.err($$SELECT prio.explain('crm.people', '00000000-0000-0000-0000-0000000000ff'::uuid)$$) AS explain_no_such_key;
SELECT pg_temp.err($$SELECT prio.explain('crm.people', 'not a uuid')$$) AS explain_key_not_of_its_type;
SELECT pg_temp.err($$SELECT prio.explain('crm.people', 42)$$) AS explain_key_of_another_type;
SELECT pg_temp.err($$SELECT prio.explain('crm.people', '00000000-0000-0000-0000-0000000000b2'::uuid)$$) AS explain_old_key;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "view": 7}')$$) AS view_not_a_name;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "view": ""}')$$) AS view_empty;
SELECT pg_temp.err(format($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "view": "%s"}')$$, repeat('v', 64))) AS view_name_too_long;
SELECT pg_temp.err($$SELECT prio.track('crm.leads', 'customers', '{"key": "id", "view": "followup"}')$$) AS view_named_followup;
-- untrack() drops the typed view with the key map
SELECT prio.untrack('crm.touches');
SELECT prio.untrack('crm.people');
SELECT to_regclass('prio.followup_people') AS typed_view_after_untrack;
DROP TABLE crm.touches, crm.people;
-- INSERT and COPY into a tracked activities table continue the customers'
-- stored fold from the new rows alone, as prio.activities' own insert
-- trigger does: no other row of the table is read (its scans are counted
-- here), except for a customer given an event not after its last folded
-- one, who is folded again from all its rows.  Rows prio ignores inside a
-- batch leave the others folded; an error undoes prio's side of the whole
-- statement (a WARNING), never the write.  Live state equals recompute().
CREATE TABLE crm.accts (id uuid PRIMARY KEY, name text);
CREATE TABLE crm.acts (acct uuid, what text, at timestamptz, amount numeric, divisor numeric DEFAULT 1);
CREATE INDEX ON crm.acts (acct);
INSERT INTO crm.accts SELECT ('00000000-0000-0000-0000-00000000000' || i)::uuid, 'Acct ' || i FROM generate_series(1, 4) i;
INSERT INTO crm.acts (acct, what, at) VALUES ('00000000-0000-0000-0000-000000000001', 'inquiry', '2026-02-01 10:00+00'),
                                              ('00000000-0000-0000-0000-000000000002', 'visit', '2026-02-01 10:00+00');
SELECT prio.track('crm.accts', 'customers', '{"key": "id", "name": "name"}');
SELECT prio.track('crm.acts', 'activities', '{"customer": "acct", "kind": "what", "at": "at", "amount": "amount / divisor"}');
-- the scans of crm.acts this session counted and has not reported yet (as
-- it does not inside a transaction block: deltas are taken inside one)
CREATE FUNCTION pg_temp.acts_read() RETURNS bigint LANGUAGE sql AS
$$SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables WHERE relid = 'crm.acts'::regclass$$;
CREATE FUNCTION pg_temp.acts_folded() RETURNS TABLE (name text, frequency bigint, monetary numeric, stage prio.stage,
                                                     first_at timestamptz, last_at timestamptz, tier text)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('SELECT c.name, s.frequency, s.monetary, s.stage, s.first_at, s.last_at, s.tier
                                   FROM %s m JOIN prio.customers c USING (customer_id)
                                   JOIN prio.customer_state s USING (customer_id) ORDER BY 1',
                                (SELECT t.key_map FROM prio.tracked t WHERE t.source = 'crm.accts'::regclass));
END $$;
SELECT * FROM pg_temp.acts_folded();
-- one statement, several customers each after its last event, and rows
-- prio ignores: a kind it does not know, no customer, a customer crm.accts
-- does not have, no time, a time in the future
BEGIN;
SELECT pg_temp.acts_read() AS scans_before \gset
INSERT INTO crm.acts (acct, what, at, amount) VALUES
    ('00000000-0000-0000-0000-000000000001', 'call', '2026-02-02 10:00+00', NULL),
    ('00000000-0000-0000-0000-000000000001', 'purchase', '2026-02-03 10:00+00', 120),
    ('00000000-0000-0000-0000-000000000002', 'teleport', '2026-02-02 09:00+00', NULL),
    ('00000000-0000-0000-0000-000000000002', 'purchase', '2026-02-02 10:00+00', 40),
    (NULL, 'purchase', '2026-02-02 10:00+00', 5),
    ('00000000-0000-0000-0000-000000000009', 'purchase', '2026-02-02 10:00+00', 5),
    ('00000000-0000-0000-0000-000000000003', 'visit', NULL, NULL),
    ('00000000-0000-0000-0000-000000000003', 'meeting', now() + interval '7 days', NULL),
    ('00000000-0000-0000-0000-000000000003', 'email', '2026-02-02 10:00+00', NULL),
    ('00000000-0000-0000-0000-000000000004', 'inquiry', '2026-02-04 10:00+00', NULL);
SELECT pg_temp.acts_read() - :scans_before AS scans_by_in_order_insert;
COMMIT;
SELECT * FROM pg_temp.acts_folded();
SELECT prio.recompute() AS fixed_after_batch;
-- an event before Acct 1's last one, another at Acct 2's last instant:
-- those two customers are folded again from all their rows
BEGIN;
SELECT pg_temp.acts_read() AS scans_before \gset
INSERT INTO crm.acts (acct, what, at, amount) VALUES
    ('00000000-0000-0000-0000-000000000001', 'purchase', '2026-01-15 10:00+00', 30),
    ('00000000-0000-0000-0000-000000000002', 'call', '2026-02-02 10:00+00', NULL),
    ('00000000-0000-0000-0000-000000000004', 'call', '2026-02-05 10:00+00', NULL);
SELECT pg_temp.acts_read() - :scans_before > 0 AS scanned_for_the_older_events;
COMMIT;
SELECT * FROM pg_temp.acts_folded();
SELECT prio.recompute() AS fixed_after_out_of_order;
-- COPY of several customers, in order
BEGIN;
SELECT pg_temp.acts_read() AS scans_before \gset
COPY crm.acts (acct, what, at, amount) FROM stdin;
00000000-0000-0000-0000-000000000003	purchase	2026-02-06 10:00:00+00	70
00000000-0000-0000-0000-000000000003	purchase	2026-02-07 10:00:00+00	-20
00000000-0000-0000-0000-000000000004	teleport	2026-02-06 10:00:00+00	\N
00000000-0000-0000-0000-000000000001	email	2026-02-06 10:00:00+00	\N
\.
SELECT pg_temp.acts_read() - :scans_before AS scans_by_copy;
COMMIT;
SELECT * FROM pg_temp.acts_folded();
SELECT prio.recompute() AS fixed_after_copy;
-- a statement of 12,000 rows (sorted by the query, read in batches)
INSERT INTO crm.acts (acct, what, at, amount)
SELECT ('00000000-0000-0000-0000-00000000000' || (1 + i % 4))::uuid, (ARRAY['call', 'email', 'visit', 'purchase', 'teleport'])[1 + i % 5],
       '2026-02-10 00:00+00'::timestamptz + i * interval '1 minute', i % 7
  FROM generate_series(1, 12000) i;
SELECT * FROM pg_temp.acts_folded();
SELECT prio.recompute() AS fixed_after_large_insert;
-- a mapping that fails on one row of a statement (division by zero): the
-- rows are written, prio's side of the statement is undone (Acct 2's
-- purchase is not folded either), a WARNING and prio.tracked.last_error
INSERT INTO crm.acts VALUES ('00000000-0000-0000-0000-000000000001', 'purchase', '2026-03-01 10:00+00', 10, 0),
                            ('00000000-0000-0000-0000-000000000002', 'purchase', '2026-03-01 10:00+00', 10, 1);
SELECT last_error FROM prio.tracked WHERE source = 'crm.acts'::regclass;
SELECT count(*) AS rows_written FROM crm.acts WHERE at = '2026-03-01 10:00+00';
SELECT * FROM pg_temp.acts_folded();
DELETE FROM crm.acts WHERE divisor = 0;
SELECT prio.recompute() AS fixed_after_failed_insert;
SELECT prio.untrack('crm.acts');
SELECT prio.untrack('crm.accts');
DROP TABLE crm.acts, crm.accts;

-- A mapping whose value depends on the session's settings ("d::timestamptz"
-- takes the TimeZone, "n::text" the float style) gives the same events in
-- every session: tracked SQL runs with TimeZone UTC, DateStyle ISO and
-- extra_float_digits 3.  A write in Tokyo, recompute() in Los Angeles:
-- nothing to fix.
CREATE TABLE crm.zaccts (id integer PRIMARY KEY, name text);
CREATE TABLE crm.zacts (acct integer, what text, d date, amount float8);
INSERT INTO crm.zaccts VALUES (1, 'Zed');
SELECT prio.track('crm.zaccts', 'customers', '{"key": "id", "name": "name"}');
SELECT prio.track('crm.zacts', 'activities', '{"customers": "crm.zaccts", "customer": "acct", "kind": "what", "at": "d::timestamptz", "amount": "(amount::text)::numeric"}');
SET TimeZone = 'Asia/Tokyo';
SET extra_float_digits = -3;
INSERT INTO crm.zacts VALUES (1, 'inquiry', '2026-01-05', NULL), (1, 'purchase', '2026-01-06', 0.1::float8 + 0.2::float8);
SET TimeZone = 'America/Los_Angeles';
SET extra_float_digits = 1;
SELECT first_at, monetary FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
 WHERE c.source = 'crm.zaccts'::regclass;
SELECT prio.recompute() AS fixed_across_time_zones;
SET TimeZone = 'UTC';
RESET extra_float_digits;
SELECT prio.untrack('crm.zacts');
SELECT prio.untrack('crm.zaccts');
DROP TABLE crm.zacts, crm.zaccts;

-- Channels (0.5): an activities mapping's "channel" (a column or an SQL
-- expression, checked by track() as the other keys are) is read with each
-- event by explain() and checked against the customer's playbook; it is
-- never scored.  The several-events form takes it per event (an event
-- without one: NULL, unknown).
CREATE TABLE crm.chaccts (id integer PRIMARY KEY, name text, rep text);
CREATE TABLE crm.chcalls (acct integer, what text, at timestamptz, via varchar(20), code integer);
CREATE TABLE crm.chopps (acct integer, engaged timestamptz, closed timestamptz, value numeric);
CREATE INDEX ON crm.chcalls (acct);
CREATE INDEX ON crm.chopps (acct);
INSERT INTO crm.chaccts VALUES (1, 'Phone Co', 'alice');
INSERT INTO crm.chcalls VALUES (1, 'call', '2026-03-01 10:00+00', 'Phone', 1), (1, 'reply', '2026-03-02 10:00+00', 'WeChat', 2),
                               (1, 'inquiry', '2026-03-03 10:00+00', NULL, 3), (1, 'call', '2026-03-03 11:00+00', 'Fax', 4),
                               (1, 'email', '2026-03-03 12:00+00', 'Email', 5);
INSERT INTO crm.chopps VALUES (1, '2026-03-04 10:00+00', '2026-03-05 10:00+00', 500);
SELECT prio.track('crm.chaccts', 'customers', '{"key": "id", "name": "name", "owner": "rep"}');
-- (the facts folded without a channel, to compare)
SELECT prio.track('crm.chcalls', 'activities', '{"customer": "acct", "customers": "crm.chaccts", "kind": "what", "at": "at"}');
CREATE TEMP TABLE ch_facts AS
SELECT s.frequency, s.monetary, s.intent, s.intent_at, s.stage, s.last_inbound_at, s.last_outbound_at, s.tier
  FROM prio.customer_state s JOIN prio.customers c USING (customer_id) WHERE c.source = 'crm.chaccts'::regclass;
SELECT prio.untrack('crm.chcalls');
SELECT prio.track('crm.chcalls', 'activities', '{"customer": "acct", "customers": "crm.chaccts", "kind": "what", "at": "at", "channel": "lower(via)"}');
SELECT prio.track('crm.chopps', 'activities',
       '{"customer": "acct", "customers": "crm.chaccts",
         "events": [{"kind": "''meeting''", "at": "engaged", "channel": "''visit''"}, {"kind": "''purchase''", "at": "closed", "amount": "value"}]}');
-- each event with its channel, by table
SELECT jsonb_pretty(prio.explain('crm.chaccts', 1) -> 'events');
-- the channels used, against the chosen playbook
SELECT prio.explain('crm.chaccts', 1) -> 'playbook' ->> 'chosen' AS chosen;
SELECT c ->> 'channel' AS channel, c ->> 'label' AS label, c -> 'known' AS known, c -> 'in_playbook' AS in_playbook,
       c -> 'events' AS events, c ->> 'last_at' AS last_at, c ->> 'note' AS note
  FROM jsonb_array_elements(prio.explain('crm.chaccts', 1) -> 'playbook' -> 'channel_check') c;
-- channels are not scored: the facts with them are those without
SELECT prio.untrack('crm.chopps');
SELECT (SELECT ROW(s.frequency, s.monetary, s.intent, s.intent_at, s.stage, s.last_inbound_at, s.last_outbound_at, s.tier)::text
          FROM prio.customer_state s JOIN prio.customers c USING (customer_id) WHERE c.source = 'crm.chaccts'::regclass)
     = (SELECT ROW(f.*)::text FROM ch_facts f) AS facts_with_channels_the_same;
-- a table tracked before 0.5 (no EXPLAIN_EVENTS): its events, channel NULL
UPDATE prio.sources SET compiled = compiled - 'EXPLAIN_EVENTS', signature = prio._track_signature(relid, compiled - 'EXPLAIN_EVENTS')
 WHERE relid = 'crm.chcalls'::regclass;
SELECT e -> 'at' AS at, e -> 'kind' AS kind, e -> 'channel' AS channel
  FROM jsonb_array_elements(prio.explain('crm.chaccts', 1) -> 'events' -> 0 -> 'latest') e;
SELECT prio.recompute() AS fixed_with_channels;
SELECT prio.untrack('crm.chcalls');
-- a channel expression that fails on a row (it runs only for explain(),
-- never on a write): explain() still answers, that table noted as not read
SELECT prio.track('crm.chcalls', 'activities', '{"customer": "acct", "customers": "crm.chaccts", "kind": "what", "at": "at", "channel": "upper(via)::integer::text"}');
SELECT s ->> 'source' AS source, s -> 'latest' AS latest, s ->> 'note' AS note
  FROM jsonb_array_elements(prio.explain('crm.chaccts', 1) -> 'events') s;
SELECT prio.untrack('crm.chcalls');
-- Bad input: the channel mapping is checked at track() (42703, 42804,
-- 22023, 42601), never on the application's write; nothing half-done.
CREATE TABLE crm.chcalls2 (acct integer, what text, at timestamptz, via text, code integer);
SELECT pg_temp.prio_side() AS before_bad_channels;
SELECT pg_temp.err($$SELECT prio.track('crm.chcalls2', 'activities', '{"customer": "acct", "kind": "what", "at": "at", "channel": "viaa"}')$$) AS channel_missing_column;
SELECT pg_temp.err($$SELECT prio.track('crm.chcalls2', 'activities', '{"customer": "acct", "kind": "what", "at": "at", "channel": "code"}')$$) AS channel_an_integer;
SELECT pg_temp.err($$SELECT prio.track('crm.chcalls2', 'activities', '{"customer": "acct", "kind": "what", "at": "at", "channel": 5}')$$) AS channel_not_a_string;
SELECT pg_temp.err($$SELECT prio.track('crm.chcalls2', 'activities', '{"customer": "acct", "kind": "what", "at": "at", "channel": " "}')$$) AS channel_empty;
SELECT pg_temp.err($$SELECT prio.track('crm.chcalls2', 'activities', '{"customer": "acct", "kind": "what", "at": "at", "channel": "via ||"}')$$) AS channel_not_an_expression;
SELECT pg_temp.err($$SELECT prio.track('crm.chcalls2', 'activities', '{"customer": "acct", "kind": "what", "at": "at", "channel": "via || now()::text"}')$$) AS channel_not_immutable;
SELECT pg_temp.err($$SELECT prio.track('crm.chcalls2', 'activities', '{"customer": "acct", "events": [{"kind": "what", "at": "at"}, {"kind": "what", "at": "at", "channel": "vai"}]}')$$) AS channel_of_event_2_missing_column;
SELECT pg_temp.prio_side() AS after_bad_channels;
SELECT prio.untrack('crm.chaccts');
DROP TABLE crm.chaccts, crm.chcalls, crm.chopps, crm.chcalls2;

-- clean up
SELECT prio.untrack(source) FROM prio.tracked ORDER BY source::text;
SELECT pg_temp.prio_side();
REVOKE ALL ON crm.leads FROM prio_track_stranger;
REVOKE USAGE ON SCHEMA crm, prio FROM prio_track_stranger;
DROP TABLE crm.own_leads;
DROP ROLE prio_track_stranger;
DROP SCHEMA crm CASCADE;
DROP SERVER prio_track_srv;
DROP FOREIGN DATA WRAPPER prio_track_fdw;
