-- (types) Key-customer types: customer_state's new columns (appended, as a
-- fresh install has them last), written by the state writer; explain()
-- changes after the new install part (64_types.sql).
-- stored_facts() uses customer_state's row type (a SQL-standard body): it
-- goes while the table changes (types, playbook, deals: 24-27) and comes
-- back as it was, privileges included, after them (29_stored_facts.sql)
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

