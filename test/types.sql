-- pgTAP: the key-customer types (issue 19 item 6).  The second source
-- document names five types, each identified by its own indicators:
-- strategic (战略型大客户: annual purchase amount, decision level),
-- high-growth (高增长潜力客户: growth over the last two years, funding),
-- industry-influence (行业影响力客户: industry ranking, awards), active
-- cooperation (合作活跃客户: repurchase rate, interaction frequency) and
-- key-relationship (关键关系客户: controls resources and relationships).
-- The built-in rows of prio.customer_types, as shipped, are what is tested.
-- Customers 951..960 (owner 'types'); times are relative to now().
BEGIN;
SELECT plan(25);

INSERT INTO prio.customers (customer_id, name, owner, attributes) VALUES
    (951, 'big buyer, executive',        'types', '{"decision_level": "executive"}'),
    (952, 'big buyer, no decision maker','types', '{"decision_level": "staff"}'),
    (953, 'tripled over two years',      'types', '{}'),
    (954, 'series B start-up',           'types', '{"funding": "series_b"}'),
    (955, 'industry rank 4',             'types', '{"industry_rank": 4}'),
    (956, 'award winner',                'types', '{"awards": 2}'),
    (957, 'monthly repeat buyer',        'types', '{}'),
    (958, 'parent of two',               'types', '{}'),
    (959, 'child one',                   'types', '{"parent_company": "958"}'),
    (960, 'child two',                   'types', '{"referred_by": "958"}');

INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (951, 'purchase', now() - interval '30 days', 1200000),
    (952, 'purchase', now() - interval '30 days', 1200000),
    (953, 'purchase', now() - interval '760 days', 100000),
    (953, 'purchase', now() - interval '20 days', 300000),
    -- a purchase 13 months ago does not count toward the last 12 months
    (951, 'purchase', now() - interval '400 days', 10);
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 957, CASE WHEN g % 2 = 0 THEN 'purchase' ELSE 'inquiry' END, now() - g * interval '15 days',
       CASE WHEN g % 2 = 0 THEN 50 ELSE 0 END
  FROM generate_series(1, 24) g;

CREATE FUNCTION pg_temp.types_of(id bigint) RETURNS text[] LANGUAGE sql AS
$$ SELECT types FROM prio.customer_state WHERE customer_id = id $$;

-- strategic
SELECT ok('strategic' = ANY (pg_temp.types_of(951)),
          'a customer buying over 1,000,000 in a year whose contact decides at executive level is a strategic key account (战略型大客户)');
SELECT ok(NOT 'strategic' = ANY (pg_temp.types_of(952)),
          'annual purchases alone do not make a strategic account: the decision level must be executive or board');
SELECT is((prio.type_facts(951, now()) -> 'facts' ->> 'purchases_12m')::numeric, 1200000::numeric,
          'purchases_12m counts the last 12 calendar months only (a purchase 13 months ago falls out)');
-- high growth
SELECT ok('high_growth' = ANY (pg_temp.types_of(953)),
          'a customer whose purchases at least doubled over the last two years is a high-growth customer (高增长潜力客户)');
SELECT ok(NOT 'high_growth' = ANY (pg_temp.types_of(957)),
          'growth from a small base (under 100,000 a year) does not make a high-growth customer');
SELECT ok('high_growth' = ANY (pg_temp.types_of(954)),
          'a funded start-up (series B) is a high-growth customer before it has bought anything');
-- industry influence
SELECT ok('industry_influence' = ANY (pg_temp.types_of(955)),
          'a top-10 industry rank makes an industry-influence customer (行业影响力客户)');
SELECT ok('industry_influence' = ANY (pg_temp.types_of(956)),
          'industry awards make an industry-influence customer');
UPDATE prio.customers SET attributes = '{"industry_rank": 12, "awards": 0}' WHERE customer_id = 956;
SELECT ok(NOT 'industry_influence' = ANY (pg_temp.types_of(956)),
          'types are live: a customer whose attributes change (awards taken back) is re-typed by the same statement');
-- active cooperation
SELECT ok('active' = ANY (pg_temp.types_of(957)),
          'a repeat buyer in touch with us every month is an active-cooperation customer (合作活跃客户)');
SELECT ok(NOT 'active' = ANY (pg_temp.types_of(951)),
          'a repeat buyer who is not in touch every month is not an active-cooperation customer');
-- key relationship
SELECT ok('key_relationship' = ANY (pg_temp.types_of(958)),
          'a company that two customers name as parent company or referrer is a key-relationship customer (关键关系客户)');
DELETE FROM prio.customers WHERE customer_id = 960;
SELECT ok(NOT 'key_relationship' = ANY (pg_temp.types_of(958)),
          'the key relationship is live: when a related customer goes, the named company is re-evaluated at once');

-- several types, manual tags
SELECT is(pg_temp.types_of(951), '{high_growth,strategic}'::text[],
          'a customer may hold several types at once (a strategic account that grew 100-fold is high-growth too)');
INSERT INTO prio.customer_type_tags (customer_id, type, add, note) VALUES
    (952, 'strategic', true, 'the CEO signs off every order'),
    (951, 'high_growth', false, 'a one-off project, not growth');
SELECT ok('strategic' = ANY (pg_temp.types_of(952)),
          'a manual tag adds a type the conditions do not give (a sales manager knows the decision maker)');
SELECT is(pg_temp.types_of(951), '{strategic}'::text[],
          'a manual tag removes a type the conditions give');

-- followup, explain, value
SELECT is((SELECT types FROM prio.followup WHERE customer_id = 951), '{strategic}'::text[],
          'followup shows each customer''s types');
SELECT is((SELECT t ->> 'tag' FROM jsonb_array_elements(prio.explain(951) -> 'types' -> 'types') t
            WHERE t ->> 'type' = 'high_growth') || ' / condition ' ||
          (SELECT t ->> 'condition' FROM jsonb_array_elements(prio.explain(951) -> 'types' -> 'types') t
            WHERE t ->> 'type' = 'high_growth'),
          'remove / condition true',
          'explain() says which type conditions held and which manual tag overrode them');
SELECT ok((prio.type_facts(951, now()) ->> 'implies_value')::boolean
          AND NOT (prio.type_facts(957, now()) ->> 'implies_value')::boolean,
          'a strategic account has high value potential (its type implies value); an active-cooperation customer''s type does not');

-- a tracked customers table: the parent named by its key there
CREATE SCHEMA types_app;
CREATE TABLE types_app.accounts (code text PRIMARY KEY, name text, rep text, sector text, parent text);
INSERT INTO types_app.accounts VALUES
    ('ACME', 'Acme', 'types', 'retail', NULL),
    ('ACME-EU', 'Acme Europe', 'types', 'retail', 'ACME'),
    ('ACME-US', 'Acme America', 'types', 'retail', 'ACME');
SELECT prio.track('types_app.accounts', 'customers',
                  '{"key": "code", "name": "name", "owner": "rep", "attributes": {"industry": "sector", "parent_company": "parent"}}');
SELECT ok('key_relationship' = ANY (pg_temp.types_of((SELECT customer_id FROM prio.customers WHERE customer_key = 'ACME'))),
          'a tracked account that two others name as parent (by its key in the application) is a key-relationship customer');
UPDATE types_app.accounts SET parent = NULL WHERE code = 'ACME-US';
SELECT ok(NOT 'key_relationship' = ANY (pg_temp.types_of((SELECT customer_id FROM prio.customers WHERE customer_key = 'ACME'))),
          'the application''s own update of a subsidiary re-types its parent at once');

-- time: the 12-month window moves with refresh()
SELECT ok(NOT (prio.type_facts(951, now() + interval '13 months') -> 'held') ? 'strategic',
          'a strategic account that stops buying is no longer strategic 13 months on');
SELECT is(prio.recompute(), 0, 'live types equal a rebuild (recompute fixes nothing)');
SELECT is((SELECT count(*) FROM prio.customer_state s
            WHERE s.customer_id BETWEEN 951 AND 960
              AND s.types IS DISTINCT FROM
                  ARRAY(SELECT jsonb_array_elements_text(prio.type_facts(s.customer_id, now()) -> 'held'))),
          0::bigint, 'stored types equal the types evaluated now');
DO $$ BEGIN PERFORM prio.refresh(); END $$;
SELECT is((SELECT count(*) FROM prio.customer_state s
            WHERE s.types IS DISTINCT FROM
                  ARRAY(SELECT jsonb_array_elements_text(prio.type_facts(s.customer_id, now()) -> 'held'))),
          0::bigint, 'after refresh() and recompute() (which read the inputs of everyone at once) every stored type equals the one evaluated alone');

SELECT * FROM finish();
ROLLBACK;
