-- (types) Key-customer types: customer_state's new columns (appended, as a
-- fresh install has them last), written by the state writer; explain()
-- changes after the new install part (64_types.sql).
-- stored_facts() uses customer_state's row type (a SQL-standard body): it
-- goes while the table changes and comes back as it was, privileges included
SELECT pg_catalog.set_config('prio.upgrade_acl_stored_facts', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.stored_facts(@extschema@.customer_state)'::pg_catalog.regprocedure;
DROP FUNCTION @extschema@.stored_facts(@extschema@.customer_state);
ALTER TABLE @extschema@.customer_state ADD COLUMN month_purchases double precision[];
ALTER TABLE @extschema@.customer_state ADD COLUMN month_inbound integer[];
ALTER TABLE @extschema@.customer_state ADD COLUMN types text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN @extschema@.customer_state.month_purchases IS 'Net purchases per UTC calendar month, the month of last_at first and the 35 before it (NULL: no activity); the key-customer types'' time-windowed facts are read from it.';
COMMENT ON COLUMN @extschema@.customer_state.month_inbound IS 'Inbound activities per UTC calendar month, as month_purchases.';
COMMENT ON COLUMN @extschema@.customer_state.types IS 'The key-customer types the customer holds (prio.customer_types, prio.customer_type_tags), by name.';

CREATE FUNCTION @extschema@.stored_facts(s @extschema@.customer_state)
RETURNS @extschema@.facts
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- A pure row expression with qualified names only, left without SET so the
-- planner can inline it.
RETURN ROW(s.customer_id, s.first_at, s.last_at, s.last_inbound_at, s.last_outbound_at,
           s.last_purchase_at, s.frequency, s.monetary, s.intent, s.intent_at,
           s.stage, s.first_purchase_at, s.purchase_days, s.first_day_amount)::@extschema@.facts;
COMMENT ON FUNCTION @extschema@.stored_facts(@extschema@.customer_state) IS
'The folded facts of a customer_state row, as prio.facts.';
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.stored_facts(@extschema@.customer_state)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_stored_facts'), '')::pg_catalog.aclitem[]);
