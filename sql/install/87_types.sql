------------------------------------------------------------------------
-- Key-customer types (0.5): rule rows over facts and attributes, manual
-- tags, the types each customer holds (customer_state.types, live like the
-- tier), and the key-customer view.
------------------------------------------------------------------------

CREATE FUNCTION @extschema@._type_condition_check(condition jsonb, type text)
RETURNS void
AS 'MODULE_PATHNAME', 'prio_type_condition_check'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._type_condition_check(jsonb, text) IS
'Internal: checks a key-customer type''s condition (the rule language of prio.customer_types.condition); error 22023 naming the bad part.';

CREATE TABLE @extschema@.customer_types (
    type          text PRIMARY KEY CHECK (type OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]{0,62}$'),
    condition     jsonb NOT NULL,
    implies_value boolean NOT NULL DEFAULT false,
    enabled       boolean NOT NULL DEFAULT true,
    description   text CHECK (pg_catalog.length(description) OPERATOR(pg_catalog.<=) 1000),
    builtin       boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.customer_types IS
'Key-customer types: a customer holds every enabled type whose condition holds (or that a manual tag adds, prio.customer_type_tags), kept live in customer_state.types.  Edit the five built-in rows or add your own; a change re-evaluates everyone.';
COMMENT ON COLUMN @extschema@.customer_types.type IS 'Code name (lower case, digits, _): strategic, high_growth, industry_influence, active, key_relationship, or your own.';
COMMENT ON COLUMN @extschema@.customer_types.condition IS 'When a customer holds the type: {"all": [...]}, {"any": [...]}, {"not": {...}} over comparisons {"fact": name, op: value} (facts: purchases_12m, purchases_prev_12m, growth_yoy, growth_2y, repurchase_rate, interactions_per_month, pipeline, related_customers, frequency, monetary) or {"attr": key of customers.attributes, op: value}; op one of >=, >, <=, <, =, in, exists.';
COMMENT ON COLUMN @extschema@.customer_types.implies_value IS 'Holding the type makes the customer''s value potential high (the key_type value signal).';
COMMENT ON COLUMN @extschema@.customer_types.enabled IS 'False: nobody holds the type (a built-in type is disabled rather than deleted).';
COMMENT ON COLUMN @extschema@.customer_types.description IS 'What the type means and how to follow it up.';
COMMENT ON COLUMN @extschema@.customer_types.builtin IS 'True while the row is as prio shipped it; set false by any change.';

CREATE FUNCTION @extschema@._customer_types_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- a built-in type is disabled, not deleted; nor renamed: that removes it
    -- under its name, which a restore would seed again beside the new one
    IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT'
       AND (TG_OP OPERATOR(pg_catalog.=) 'DELETE' OR NEW.type IS DISTINCT FROM OLD.type)
       AND OLD.type OPERATOR(pg_catalog.=) ANY ('{strategic,high_growth,industry_influence,active,key_relationship}'::text[]) THEN
        RAISE EXCEPTION 'built-in customer type "%" cannot be %', OLD.type,
                        CASE TG_OP WHEN 'DELETE' THEN 'deleted' ELSE 'renamed' END
            USING ERRCODE = '23514',
                  HINT = CASE TG_OP
                         WHEN 'DELETE' THEN 'Disable it: UPDATE prio.customer_types SET enabled = false WHERE type = ''' OPERATOR(pg_catalog.||) OLD.type OPERATOR(pg_catalog.||) '''.'
                         ELSE 'Add a type of your own with INSERT, and disable this one if need be.' END;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF NEW.condition IS NOT NULL THEN           -- NULL: the NOT NULL constraint says so
        PERFORM @extschema@._type_condition_check(NEW.condition, NEW.type);
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@._customer_types_check() IS
'Row trigger on prio.customer_types: a condition must be valid (22023 naming the bad part); the five built-in types are disabled, not deleted or renamed (23514).';

-- The defaults, from the source documents (thresholds: docs, Key-customer types)
INSERT INTO @extschema@.customer_types (type, condition, implies_value, description, builtin) VALUES
    ('strategic',
     '{"all": [{"fact": "purchases_12m", ">=": 1000000}, {"attr": "decision_level", "in": ["executive", "board"]}]}',
     true, 'Strategic key account (annual purchases, decision level): cross-department team, executive relationship, tailored solutions.', true),
    ('high_growth',
     '{"any": [{"all": [{"fact": "purchases_12m", ">=": 100000}, {"any": [{"fact": "growth_2y", ">=": 1}, {"fact": "growth_yoy", ">=": 0.5}]}]}, {"attr": "funding", "in": ["series_a", "series_b", "series_c", "series_d", "pre_ipo"]}]}',
     true, 'High growth potential (growth over two years, funding): fast response, incubation resources, grow together.', true),
    ('industry_influence',
     '{"any": [{"attr": "industry_rank", "<=": 10}, {"attr": "awards", ">=": 1}]}',
     true, 'Industry influence (industry ranking, awards): benchmark delivery, case promotion.', true),
    ('active',
     '{"all": [{"fact": "repurchase_rate", ">=": 0.5}, {"fact": "interactions_per_month", ">=": 1}]}',
     false, 'Active cooperation (repurchase rate, interaction frequency): repurchase reminders, experience feedback, loyalty incentives.', true),
    ('key_relationship',
     '{"any": [{"fact": "related_customers", ">=": 2}, {"attr": "controls_resources", "=": true}]}',
     false, 'Key relationship (controls resources and relationships, project and social ties): executive trust, resource exchange, joint projects.', true);
CREATE TRIGGER customer_types_check
    BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.customer_types
    FOR EACH ROW EXECUTE FUNCTION @extschema@._customer_types_check();
CREATE TRIGGER customer_types_guard
    BEFORE INSERT OR UPDATE ON @extschema@.customer_types
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_guard('type');
CREATE TRIGGER customer_types_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.customer_types
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.invalidate_cache();

SELECT pg_catalog.pg_extension_config_dump('@extschema@.customer_types', 'WHERE NOT builtin');

CREATE TABLE @extschema@.customer_type_tags (
    customer_id bigint NOT NULL REFERENCES @extschema@.customers ON DELETE CASCADE ON UPDATE CASCADE,
    type        text NOT NULL REFERENCES @extschema@.customer_types ON DELETE CASCADE ON UPDATE CASCADE,
    add         boolean NOT NULL,
    note        text CHECK (pg_catalog.length(note) OPERATOR(pg_catalog.<=) 1000),
    tagged_by   text NOT NULL DEFAULT CURRENT_USER CHECK (pg_catalog.length(tagged_by) OPERATOR(pg_catalog.<=) 200),
    tagged_at   timestamptz NOT NULL DEFAULT pg_catalog.now() CHECK (pg_catalog.isfinite(tagged_at)),
    PRIMARY KEY (customer_id, type)
);
COMMENT ON TABLE @extschema@.customer_type_tags IS
'Manual key-customer types: a row adds a type to a customer (add true) or removes it (add false) whatever the type''s condition says; live (the customer is re-evaluated).  Delete the row to let the condition decide again.';
COMMENT ON COLUMN @extschema@.customer_type_tags.customer_id IS 'The customer.';
COMMENT ON COLUMN @extschema@.customer_type_tags.type IS 'The type (prio.customer_types).';
COMMENT ON COLUMN @extschema@.customer_type_tags.add IS 'True: the customer holds the type; false: it does not.';
COMMENT ON COLUMN @extschema@.customer_type_tags.note IS 'Why.';
COMMENT ON COLUMN @extschema@.customer_type_tags.tagged_by IS 'Who tagged (the current user by default).';
COMMENT ON COLUMN @extschema@.customer_type_tags.tagged_at IS 'When.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.customer_type_tags', '');
-- Owner isolation, as prio.deals: the tags of the customers the user can see,
-- always on (with prio.customers' policy off, that is every customer): a rep
-- reads and writes only the tags of their own customers once
-- prio.enable_owner_isolation() has run.  prio's engine reads them as its
-- owner, whom it does not restrict.
ALTER TABLE @extschema@.customer_type_tags ENABLE ROW LEVEL SECURITY;
CREATE POLICY owner_isolation ON @extschema@.customer_type_tags
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) customer_type_tags.customer_id));
COMMENT ON POLICY owner_isolation ON @extschema@.customer_type_tags IS
'Tags of the customers the user can see (prio.customers'' policy; every customer while owner isolation is off).';

-- related customers: the customers whose attributes name one as parent
-- company or referrer (by its key: customer_key, else customer_id)
CREATE INDEX customers_parent_company_idx ON @extschema@.customers
    ((attributes OPERATOR(pg_catalog.->>) 'parent_company'))
    WHERE (attributes OPERATOR(pg_catalog.->>) 'parent_company') IS NOT NULL;
CREATE INDEX customers_referred_by_idx ON @extschema@.customers
    ((attributes OPERATOR(pg_catalog.->>) 'referred_by'))
    WHERE (attributes OPERATOR(pg_catalog.->>) 'referred_by') IS NOT NULL;

-- Re-evaluation, live: a type row changed (everyone), a tag (its customer),
-- a customer naming another as parent company or referrer (the named one)
CREATE FUNCTION @extschema@._customer_types_changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    IF TG_RELID OPERATOR(pg_catalog.<>) '@extschema@.customer_types'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'prio._customer_types_changed() is a trigger of prio.customer_types only'
            USING ERRCODE = '39P01';
    END IF;
    -- as a settings change: everyone re-tiered under the new rules
    LOCK TABLE @extschema@.customer_state IN EXCLUSIVE MODE;
    PERFORM @extschema@.rebuild(NULL, 'customer_types changed', false);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@._customer_types_changed() IS
'Statement trigger: a change of prio.customer_types re-evaluates everyone in the same transaction.';
CREATE TRIGGER customer_types_retier
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.customer_types
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@._customer_types_changed();

CREATE FUNCTION @extschema@._customer_type_tags_changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_ids bigint[];
BEGIN
    IF TG_RELID OPERATOR(pg_catalog.<>) '@extschema@.customer_type_tags'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'prio._customer_type_tags_changed() is a trigger of prio.customer_type_tags only'
            USING ERRCODE = '39P01';
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
        -- no transition table says whose tags went: everyone, as a type's
        -- change.  Without waiting: a writer reads the tags (which TRUNCATE
        -- holds) while it holds its state rows, so waiting for the writers
        -- closed a cycle, and the writer's INSERT could be the one to fail
        BEGIN
            LOCK TABLE @extschema@.customer_state IN EXCLUSIVE MODE NOWAIT;
        EXCEPTION WHEN lock_not_available THEN
            RAISE EXCEPTION 'TRUNCATE prio.customer_type_tags does not wait for the writers of customers in flight'
                USING ERRCODE = '55P03',
                      HINT = 'Retry when no customer is being written, or DELETE FROM prio.customer_type_tags: it re-evaluates the tagged customers and does not lock the table.';
        END;
        PERFORM @extschema@.rebuild(NULL, 'customer_type_tags truncated', false);
        RETURN NULL;
    ELSIF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
        SELECT pg_catalog.array_agg(DISTINCT n.customer_id) INTO v_ids FROM new_rows n;
    ELSIF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
        SELECT pg_catalog.array_agg(DISTINCT o.customer_id) INTO v_ids FROM old_rows o;
    ELSE
        SELECT pg_catalog.array_agg(DISTINCT x.customer_id) INTO v_ids
          FROM (SELECT n.customer_id FROM new_rows n UNION SELECT o.customer_id FROM old_rows o) x;
    END IF;
    PERFORM @extschema@.reevaluate(v_ids, pg_catalog.now(), 'type tag changed');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@._customer_type_tags_changed() IS
'Statement trigger: a manual type tag re-evaluates its customer now (TRUNCATE: everyone, or 55P03 when a writer of customer_state is in flight).';
CREATE TRIGGER customer_type_tags_inserted
    AFTER INSERT ON @extschema@.customer_type_tags REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@._customer_type_tags_changed();
CREATE TRIGGER customer_type_tags_updated
    AFTER UPDATE ON @extschema@.customer_type_tags REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@._customer_type_tags_changed();
CREATE TRIGGER customer_type_tags_deleted
    AFTER DELETE ON @extschema@.customer_type_tags REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@._customer_type_tags_changed();
CREATE TRIGGER customer_type_tags_truncated
    AFTER TRUNCATE ON @extschema@.customer_type_tags
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@._customer_type_tags_changed();

CREATE FUNCTION @extschema@._customers_related_changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_keys text[];
    v_ids bigint[];
BEGIN
    IF TG_RELID OPERATOR(pg_catalog.<>) '@extschema@.customers'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'prio._customers_related_changed() is a trigger of prio.customers only'
            USING ERRCODE = '39P01';
    END IF;
    -- the keys named before or after, where they changed
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
        SELECT pg_catalog.array_agg(DISTINCT k) INTO v_keys
          FROM new_rows n,
               LATERAL (VALUES (n.attributes OPERATOR(pg_catalog.->>) 'parent_company'),
                               (n.attributes OPERATOR(pg_catalog.->>) 'referred_by')) v(k)
         WHERE k IS NOT NULL;
    ELSIF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
        SELECT pg_catalog.array_agg(DISTINCT k) INTO v_keys
          FROM old_rows o,
               LATERAL (VALUES (o.attributes OPERATOR(pg_catalog.->>) 'parent_company'),
                               (o.attributes OPERATOR(pg_catalog.->>) 'referred_by')) v(k)
         WHERE k IS NOT NULL;
    ELSE
        SELECT pg_catalog.array_agg(DISTINCT k) INTO v_keys
          FROM (SELECT n.attributes OPERATOR(pg_catalog.->>) 'parent_company' AS np,
                       n.attributes OPERATOR(pg_catalog.->>) 'referred_by' AS nr,
                       o.attributes OPERATOR(pg_catalog.->>) 'parent_company' AS op,
                       o.attributes OPERATOR(pg_catalog.->>) 'referred_by' AS orf
                  FROM new_rows n
                  FULL JOIN old_rows o ON o.customer_id OPERATOR(pg_catalog.=) n.customer_id) x,
               LATERAL (VALUES (CASE WHEN x.np IS DISTINCT FROM x.op THEN x.np END),
                               (CASE WHEN x.np IS DISTINCT FROM x.op THEN x.op END),
                               (CASE WHEN x.nr IS DISTINCT FROM x.orf THEN x.nr END),
                               (CASE WHEN x.nr IS DISTINCT FROM x.orf THEN x.orf END)) v(k)
         WHERE k IS NOT NULL;
    END IF;
    IF v_keys IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT pg_catalog.array_agg(c.customer_id) INTO v_ids
      FROM @extschema@.customers c
     WHERE c.customer_key OPERATOR(pg_catalog.=) ANY (v_keys)
        OR (c.customer_key IS NULL AND c.customer_id OPERATOR(pg_catalog.=) ANY (
               SELECT k::bigint FROM pg_catalog.unnest(v_keys) k
                WHERE k OPERATOR(pg_catalog.~) '^-?[0-9]{1,18}$'));
    PERFORM @extschema@.reevaluate(v_ids, pg_catalog.now(), 'related customer changed');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@._customers_related_changed() IS
'Statement trigger on prio.customers: a customer that names another as parent_company or referred_by (in attributes), or stops doing so, re-evaluates the one named (its related_customers fact).';
CREATE TRIGGER customers_related_inserted
    AFTER INSERT ON @extschema@.customers REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@._customers_related_changed();
CREATE TRIGGER customers_related_updated
    AFTER UPDATE ON @extschema@.customers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@._customers_related_changed();
CREATE TRIGGER customers_related_deleted
    AFTER DELETE ON @extschema@.customers REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@._customers_related_changed();

CREATE FUNCTION @extschema@.type_facts(customer_id bigint, as_of timestamptz DEFAULT pg_catalog.now())
RETURNS jsonb
AS 'MODULE_PATHNAME', 'prio_type_facts_sql'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.type_facts(bigint, timestamptz) IS
'A customer''s key-customer types evaluated as of a time: "facts" (the facts the conditions read, from its stored state), "types" (per enabled type: whether its condition holds, the manual tag if any, whether the customer holds it, whether it implies value), "held" and "implies_value".  NULL for a customer without a state row.';

-- the key customers laid out: type x industry x size x growth
CREATE VIEW @extschema@.key_customers WITH (security_invoker = true) AS
SELECT t.type,
       c.attributes OPERATOR(pg_catalog.->>) 'industry' AS industry,
       CASE WHEN x.employees OPERATOR(pg_catalog.>=) 1000 OR x.revenue OPERATOR(pg_catalog.>=) 100000000 THEN 'large'
            WHEN x.employees OPERATOR(pg_catalog.>=) 100 OR x.revenue OPERATOR(pg_catalog.>=) 10000000 THEN 'medium'
            WHEN x.employees IS NOT NULL OR x.revenue IS NOT NULL THEN 'small' END AS size,
       CASE WHEN NOT (f.facts OPERATOR(pg_catalog.?) 'growth_yoy') THEN 'new'
            WHEN (f.facts OPERATOR(pg_catalog.->>) 'growth_yoy')::float8 OPERATOR(pg_catalog.>=) 0.1 THEN 'growing'
            WHEN (f.facts OPERATOR(pg_catalog.->>) 'growth_yoy')::float8 OPERATOR(pg_catalog.<=) -0.1 THEN 'declining'
            ELSE 'steady' END AS growth,
       pg_catalog.count(*) AS customers,
       pg_catalog.sum((f.facts OPERATOR(pg_catalog.->>) 'pipeline')::numeric) AS pipeline,
       pg_catalog.sum((f.facts OPERATOR(pg_catalog.->>) 'purchases_12m')::numeric) AS revenue_12m,
       pg_catalog.sum(s.monetary) AS revenue
  FROM @extschema@.customer_state s
 CROSS JOIN LATERAL pg_catalog.unnest(s.types) t(type)
  JOIN @extschema@.customers c ON c.customer_id OPERATOR(pg_catalog.=) s.customer_id
 CROSS JOIN LATERAL (
    SELECT CASE WHEN pg_catalog.jsonb_typeof(c.attributes OPERATOR(pg_catalog.->) 'employees') OPERATOR(pg_catalog.=) 'number'
                THEN (c.attributes OPERATOR(pg_catalog.->>) 'employees')::numeric END AS employees,
           CASE WHEN pg_catalog.jsonb_typeof(c.attributes OPERATOR(pg_catalog.->) 'revenue') OPERATOR(pg_catalog.=) 'number'
                THEN (c.attributes OPERATOR(pg_catalog.->>) 'revenue')::numeric END AS revenue) x
 CROSS JOIN LATERAL (
    SELECT @extschema@.type_facts(s.customer_id) OPERATOR(pg_catalog.->) 'facts' AS facts) f
 GROUP BY 1, 2, 3, 4;
COMMENT ON VIEW @extschema@.key_customers IS
'Key customers laid out by type x industry x size x growth: one row per combination with its customers, open pipeline and revenue.  A customer holding several types counts once under each.';
COMMENT ON COLUMN @extschema@.key_customers.type IS 'The key-customer type (customer_state.types).';
COMMENT ON COLUMN @extschema@.key_customers.industry IS 'attributes.industry (NULL: not known).';
COMMENT ON COLUMN @extschema@.key_customers.size IS 'large (attributes.employees >= 1000 or revenue >= 100,000,000), medium (>= 100 or >= 10,000,000), small, NULL when neither is known.';
COMMENT ON COLUMN @extschema@.key_customers.growth IS 'growing (purchases of the last 12 months >= 10 % above the 12 before), declining (>= 10 % below), steady, new (nothing bought in the 12 before).';
COMMENT ON COLUMN @extschema@.key_customers.customers IS 'How many customers.';
COMMENT ON COLUMN @extschema@.key_customers.pipeline IS 'Their open pipeline value.';
COMMENT ON COLUMN @extschema@.key_customers.revenue_12m IS 'Their net purchases over the last 12 months (UTC calendar months).';
COMMENT ON COLUMN @extschema@.key_customers.revenue IS 'Their net purchases, all time (customer_state.monetary).';

REVOKE ALL ON FUNCTION @extschema@._customer_types_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._customer_type_tags_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._customers_related_changed() FROM PUBLIC;
