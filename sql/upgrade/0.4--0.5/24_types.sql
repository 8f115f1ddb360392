-- (types) Key-customer types: customer_state's new columns (appended, as a
-- fresh install has them last), written by the state writer; explain()
-- changes after the new install part (64_types.sql).
ALTER TABLE @extschema@.customer_state ADD COLUMN month_purchases double precision[];
ALTER TABLE @extschema@.customer_state ADD COLUMN month_inbound integer[];
ALTER TABLE @extschema@.customer_state ADD COLUMN types text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN @extschema@.customer_state.month_purchases IS 'Net purchases per UTC calendar month, the month of last_at first and the 35 before it (NULL: no activity); the key-customer types'' time-windowed facts are read from it.';
COMMENT ON COLUMN @extschema@.customer_state.month_inbound IS 'Inbound activities per UTC calendar month, as month_purchases.';
COMMENT ON COLUMN @extschema@.customer_state.types IS 'The key-customer types the customer holds (prio.customer_types, prio.customer_type_tags), by name.';
