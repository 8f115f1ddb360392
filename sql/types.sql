-- Key-customer types (0.5): prio.customer_types rule rows over facts and
-- attributes, manual tags, customer_state.types kept live, followup.types,
-- explain()'s types, prio.type_facts() and the prio.key_customers view.
-- Inside one transaction: now() is constant and the database is left as found.
BEGIN;
SET LOCAL timezone = 'UTC';
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;

-- The five built-in types, from the source documents.
SELECT type, implies_value, enabled, builtin, condition FROM prio.customer_types ORDER BY type;

-- A strategic account: over 1,000,000 bought in the last 12 months and an
-- executive decision level; a second customer names it as its parent company.
INSERT INTO prio.customers (customer_id, name, owner, attributes) VALUES
    (901, 'Initech', 'alice', '{"decision_level": "executive", "industry": "software", "employees": 5000}'),
    (902, 'Initech Labs', 'alice', '{"parent_company": "901", "industry": "software", "employees": 40}'),
    (903, 'Hooli', 'bob', '{"industry_rank": 3, "industry": "media", "revenue": 20000000}');
-- (the 700,000 in the UTC month before the last purchase's, whatever today's
-- date: 40 days before ten days ago is the same month on some days, two
-- months back on others)
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (901, 'purchase', now() - interval '400 days', 200000),
    (901, 'purchase', date_trunc('month', now() - interval '10 days') - interval '5 days', 700000),
    (901, 'purchase', now() - interval '10 days', 400000);
SELECT customer_id, types FROM prio.customer_state WHERE customer_id BETWEEN 901 AND 903 ORDER BY 1;
SELECT customer_id, cardinality(month_purchases) AS months, month_purchases[1:2] AS last_two
  FROM prio.customer_state WHERE customer_id = 901;
-- Its facts as the conditions read them, and which conditions held.
SELECT prio.type_facts(901, now()) -> 'facts' AS facts;
SELECT t ->> 'type' AS type, t -> 'condition' AS condition, t -> 'tag' AS tag, t -> 'held' AS held
  FROM jsonb_array_elements(prio.type_facts(901, now()) -> 'types') t ORDER BY 1;

-- A second child names Initech: related_customers reaches 2, key_relationship
-- is held, live (the named customer is re-evaluated).
INSERT INTO prio.customers (customer_id, name, owner, attributes) VALUES
    (904, 'Initech East', 'bob', '{"referred_by": "901"}');
SELECT customer_id, types FROM prio.customer_state WHERE customer_id = 901;
-- ... and loses it when the child stops naming it.
UPDATE prio.customers SET attributes = '{}' WHERE customer_id = 904;
SELECT customer_id, types FROM prio.customer_state WHERE customer_id = 901;

-- A manual tag adds a type whatever the condition says, another removes one; live.
INSERT INTO prio.customer_type_tags (customer_id, type, add, note) VALUES
    (903, 'key_relationship', true, 'board member is a friend'),
    (901, 'strategic', false, 'parent deal handled by HQ');
SELECT customer_id, types FROM prio.customer_state WHERE customer_id IN (901, 903) ORDER BY 1;
SELECT t ->> 'type' AS type, t -> 'condition' AS condition, t -> 'tag' AS tag, t -> 'held' AS held
  FROM jsonb_array_elements(prio.explain(901) -> 'types' -> 'types') t
 WHERE t ->> 'type' = 'strategic';
DELETE FROM prio.customer_type_tags WHERE customer_id = 901;
SELECT customer_id, types FROM prio.customer_state WHERE customer_id = 901;

-- A new type of one's own, and an edited threshold, re-evaluate everyone at once.
INSERT INTO prio.customer_types (type, condition) VALUES
    ('software_big', '{"all": [{"attr": "industry", "=": "software"}, {"attr": "employees", ">": 1000}]}');
UPDATE prio.customer_types SET condition = '{"attr": "industry_rank", "<=": 2}' WHERE type = 'industry_influence';
SELECT customer_id, types FROM prio.customer_state WHERE customer_id BETWEEN 901 AND 904 ORDER BY 1;
SELECT type, builtin FROM prio.customer_types WHERE type IN ('industry_influence', 'software_big') ORDER BY 1;
-- A disabled type is held by nobody.
UPDATE prio.customer_types SET enabled = false WHERE type = 'software_big';
SELECT customer_id, types FROM prio.customer_state WHERE customer_id = 901;

-- followup shows them; the key-customer view lays them out.
SELECT customer_id, types FROM prio.followup WHERE customer_id BETWEEN 901 AND 904 ORDER BY 1;
SELECT * FROM prio.key_customers WHERE type IN ('strategic', 'key_relationship', 'industry_influence') ORDER BY 1, 2, 3, 4;

-- Time windows move with refresh(): as of 13 months on, the purchases fell
-- out of the last 12 months and Initech is no longer strategic.
SELECT prio.type_facts(901, now() + interval '13 months') -> 'facts' ->> 'purchases_12m' AS purchases_12m_later;
SELECT prio.refresh(now() + interval '13 months') IS NOT NULL AS refreshed;
SELECT customer_id, types FROM prio.customer_state WHERE customer_id = 901;
SELECT prio.recompute() AS rows_recompute_had_to_fix;

-- Bad input: conditions are checked when written (22023 naming the part),
-- type names and tags by constraints (23514, 23503), built-in types are not deleted.
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '[]')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '{}')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '{"all": []}')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '{"all": {"fact": "pipeline"}}')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '{"any": [{"fact": "pipeline", ">": 1}, {"fact": "purchase_12m", ">": 1}]}')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '{"not": {"attr": "awards", ">=": "many"}}')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '{"attr": "awards", "exists": 1}')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '{"attr": "awards", "in": []}')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '{"attr": "awards", "in": [[1]]}')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '{"attr": "awards"}')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '{">=": 1}')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '{"fact": "pipeline", "attr": "a", ">": 1}')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '{"fact": "pipeline", ">": 1, "<": 2}')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '{"fact": "pipeline", "~": 1}')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '{"all": [{"fact": "pipeline", ">": 1}], "any": []}')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '{"attr": "", "exists": true}')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', '{"attr": "a", "=": null}')$$),
  ($$UPDATE prio.customer_types SET condition = '"strategic"' WHERE type = 'strategic'$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('Bad Name', '{"attr": "a", "exists": true}')$$),
  ($$INSERT INTO prio.customer_types (type, condition) VALUES ('x', NULL)$$),
  ($$UPDATE prio.customer_types SET description = repeat('x', 1001) WHERE type = 'active'$$),
  ($$DELETE FROM prio.customer_types WHERE type = 'strategic'$$),
  ($$INSERT INTO prio.customer_type_tags (customer_id, type, add) VALUES (901, 'no_such_type', true)$$),
  ($$INSERT INTO prio.customer_type_tags (customer_id, type, add) VALUES (999999, 'active', true)$$),
  ($$INSERT INTO prio.customer_type_tags (customer_id, type, add) VALUES (901, 'active', NULL)$$),
  ($$INSERT INTO prio.customer_type_tags (customer_id, type, add, note) VALUES (901, 'active', true, repeat('x', 1001))$$),
  ($$INSERT INTO prio.customer_type_tags (customer_id, type, add, tagged_at) VALUES (901, 'active', true, 'infinity')$$),
  ($$SELECT prio.type_facts(901, 'infinity')$$),
  ($$SELECT prio.type_facts(NULL, now())$$)
) AS t(q);
-- None of it took.
SELECT count(*) AS types FROM prio.customer_types;
ROLLBACK;
