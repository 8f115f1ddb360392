-- stored_facts(customer_state), dropped in 24_types.sql before the
-- customer_state columns of 0.5 were added (types, playbook, deals),
-- created again after them as it was, privileges included.
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
