-- prio 0.1 -> 0.2
\echo Use "ALTER EXTENSION prio UPDATE TO '0.2'" to load this file. \quit

------------------------------------------------------------------------
-- Tier-change notifications name only the history row under owner isolation
------------------------------------------------------------------------

DROP FUNCTION @extschema@.apply_facts(@extschema@.facts[], timestamptz, text, boolean);
CREATE FUNCTION @extschema@.apply_facts(facts @extschema@.facts[], as_of timestamptz, why text,
                                        force boolean,
                                        OUT changed integer, OUT facts_fixed integer)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    WITH n AS MATERIALIZED (
        SELECT f.customer_id, f.first_at, f.last_at, f.last_inbound_at, f.last_outbound_at,
               f.last_purchase_at, f.frequency, f.monetary, f.intent, f.intent_at, f.stage,
               @extschema@.evaluate(f, c, r.cfg, r.r_breaks, r.f_breaks, r.m_breaks, as_of) AS e
          FROM pg_catalog.unnest(facts) AS f
          JOIN @extschema@.customers c ON c.customer_id OPERATOR(pg_catalog.=) f.customer_id
         CROSS JOIN @extschema@.rule_config r
    ), o AS (
        SELECT s.customer_id, s.tier, s.effective_stage,
               ROW(s.first_at, s.last_at, s.last_inbound_at, s.last_outbound_at, s.last_purchase_at,
                   s.frequency, s.monetary, s.intent, s.intent_at, s.stage)
               IS DISTINCT FROM
               ROW(n.first_at, n.last_at, n.last_inbound_at, n.last_outbound_at, n.last_purchase_at,
                   n.frequency, n.monetary, n.intent, n.intent_at, n.stage) AS facts_differ
          FROM @extschema@.customer_state s
          JOIN n ON n.customer_id OPERATOR(pg_catalog.=) s.customer_id
    ), upd AS (
        UPDATE @extschema@.customer_state s
           SET first_at = n.first_at, last_at = n.last_at, last_inbound_at = n.last_inbound_at,
               last_outbound_at = n.last_outbound_at, last_purchase_at = n.last_purchase_at,
               frequency = n.frequency, monetary = n.monetary, intent = n.intent,
               intent_at = n.intent_at, stage = n.stage,
               effective_stage = (n.e).effective_stage, r_score = (n.e).r_score,
               f_score = (n.e).f_score, m_score = (n.e).m_score, bant = (n.e).bant,
               no_reply = (n.e).no_reply, value_high = (n.e).value_high,
               intent_high = (n.e).intent_high, tier = (n.e).tier, priority = (n.e).priority,
               next_due_at = (n.e).next_due_at, rule = (n.e).rule,
               updated_at = pg_catalog.now()
          FROM n
         WHERE s.customer_id OPERATOR(pg_catalog.=) n.customer_id
           AND (force OR ROW(s.first_at, s.last_at, s.last_inbound_at, s.last_outbound_at, s.last_purchase_at,
                   s.frequency, s.monetary, s.intent, s.intent_at, s.stage, s.effective_stage,
                   s.r_score, s.f_score, s.m_score, s.bant, s.no_reply, s.value_high,
                   s.intent_high, s.tier, s.priority, s.next_due_at, s.rule)
               IS DISTINCT FROM
               ROW(n.first_at, n.last_at, n.last_inbound_at, n.last_outbound_at, n.last_purchase_at,
                   n.frequency, n.monetary, n.intent, n.intent_at, n.stage, (n.e).effective_stage,
                   (n.e).r_score, (n.e).f_score, (n.e).m_score, (n.e).bant, (n.e).no_reply,
                   (n.e).value_high, (n.e).intent_high, (n.e).tier, (n.e).priority,
                   (n.e).next_due_at, (n.e).rule))
        RETURNING s.customer_id, s.tier, s.effective_stage, s.rule
    ), hist AS (
        INSERT INTO @extschema@.tier_history
               (customer_id, changed_at, old_tier, new_tier, old_stage, new_stage, reason)
        SELECT u.customer_id, as_of, o.tier, u.tier, o.effective_stage, u.effective_stage,
               why OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||) u.rule
          FROM upd u JOIN o ON o.customer_id OPERATOR(pg_catalog.=) u.customer_id
         WHERE o.tier IS DISTINCT FROM u.tier OR o.effective_stage IS DISTINCT FROM u.effective_stage
        RETURNING history_id, customer_id, old_tier, new_tier, old_stage, new_stage
    )
    -- anyone may LISTEN: with owner isolation on, name only the history row
    SELECT (SELECT pg_catalog.count(pg_catalog.pg_notify('prio_tier_change',
                       CASE WHEN i.isolated
                            THEN pg_catalog.json_build_object('history_id', h.history_id)
                            ELSE pg_catalog.json_build_object('customer_id', h.customer_id,
                                     'old_tier', h.old_tier, 'new_tier', h.new_tier,
                                     'old_stage', h.old_stage, 'new_stage', h.new_stage) END::text)::text)
              FROM hist h,
                   (SELECT c.relrowsecurity AS isolated FROM pg_catalog.pg_class c
                     WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.customers'::pg_catalog.regclass) i),
           (SELECT pg_catalog.count(*) FROM o WHERE o.facts_differ)
      INTO changed, facts_fixed;
END
$$;
COMMENT ON FUNCTION @extschema@.apply_facts(@extschema@.facts[], timestamptz, text, boolean) IS
'Internal: evaluate the given facts as of as_of and write the state rows that differ (all of them when force); one tier_history row and one NOTIFY prio_tier_change per change of tier or stage (changed counts them; with owner isolation on, the payload names only the history row); facts_fixed counts stored facts that differed.  Callers must hold the state rows'' locks.';
REVOKE ALL ON FUNCTION @extschema@.apply_facts(@extschema@.facts[], timestamptz, text, boolean) FROM PUBLIC;

------------------------------------------------------------------------
-- Owner isolation: row-level security so each rep sees only the
-- customers they own or cover for.  The policies are always there; they
-- apply once prio.enable_owner_isolation() turns row-level security on.
-- prio's own triggers and functions run as the tables' owner, which the
-- policies do not restrict, so live maintenance sees every customer.
------------------------------------------------------------------------

CREATE TABLE @extschema@.managers (
    role_name name PRIMARY KEY CHECK (role_name OPERATOR(pg_catalog.<>) '')
);
COMMENT ON TABLE @extschema@.managers IS
'Roles that see every customer while owner isolation is on (members of these roles too); maintained by prio.grant_manager() and prio.revoke_manager().';
COMMENT ON COLUMN @extschema@.managers.role_name IS 'A role name (a row naming a dropped role grants nothing).';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.managers', '');
-- the policies read it as the querying user
GRANT SELECT ON @extschema@.managers TO PUBLIC;

CREATE FUNCTION @extschema@.sees_all_customers()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM @extschema@.managers m
                    WHERE pg_catalog.pg_has_role(CURRENT_USER,
                              pg_catalog.to_regrole(pg_catalog.quote_ident(m.role_name)), 'MEMBER'));
END;
COMMENT ON FUNCTION @extschema@.sees_all_customers() IS
'Whether the current user is (a member of) a role in prio.managers, who see every customer under owner isolation.';

CREATE POLICY owner_isolation ON @extschema@.customers
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER::pg_catalog.text
           OR backup_owner OPERATOR(pg_catalog.=) CURRENT_USER::pg_catalog.text
           OR (SELECT @extschema@.sees_all_customers()));
COMMENT ON POLICY owner_isolation ON @extschema@.customers IS
'A rep (role named in owner or backup_owner) sees and writes their own customers; managers all.';
-- the other tables follow the customers a user can see
CREATE POLICY owner_isolation ON @extschema@.activities
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) activities.customer_id));
COMMENT ON POLICY owner_isolation ON @extschema@.activities IS
'Activities of the customers the user can see (prio.customers'' policy).';
CREATE POLICY owner_isolation ON @extschema@.customer_state
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) customer_state.customer_id));
COMMENT ON POLICY owner_isolation ON @extschema@.customer_state IS
'State of the customers the user can see (prio.customers'' policy).';
CREATE POLICY owner_isolation ON @extschema@.tier_history
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) tier_history.customer_id));
COMMENT ON POLICY owner_isolation ON @extschema@.tier_history IS
'History of the customers the user can see (prio.customers'' policy).';

CREATE FUNCTION @extschema@.enable_owner_isolation()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    ALTER TABLE @extschema@.customers ENABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.activities ENABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.customer_state ENABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.tier_history ENABLE ROW LEVEL SECURITY;
END
$$;
COMMENT ON FUNCTION @extschema@.enable_owner_isolation() IS
'Turns on row-level security: each rep (role name = owner or backup_owner) sees only their customers, their activities, state and history, through the tables, the views and prio.explain(); managers (prio.grant_manager) see all; tier-change notifications carry only the history_id.  Run it as prio''s owner.';

CREATE FUNCTION @extschema@.disable_owner_isolation()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    ALTER TABLE @extschema@.customers DISABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.activities DISABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.customer_state DISABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.tier_history DISABLE ROW LEVEL SECURITY;
END
$$;
COMMENT ON FUNCTION @extschema@.disable_owner_isolation() IS
'Turns owner isolation off again: everyone with SELECT sees every customer.  Run it as prio''s owner.';

CREATE FUNCTION @extschema@.grant_manager(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.grant_reader(role);
    INSERT INTO @extschema@.managers (role_name)
    SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) role
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION @extschema@.grant_manager(regrole) IS
'Sales managers (and applications that write for every rep): what grant_reader gives, and every customer visible while owner isolation is on.  Run it as prio''s owner.';

CREATE FUNCTION @extschema@.revoke_manager(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'role must not be NULL' USING ERRCODE = '22004';
    END IF;
    DELETE FROM @extschema@.managers m
     USING pg_catalog.pg_roles r
     WHERE r.oid OPERATOR(pg_catalog.=) role AND m.role_name OPERATOR(pg_catalog.=) r.rolname;
END
$$;
COMMENT ON FUNCTION @extschema@.revoke_manager(regrole) IS
'Takes a role out of prio.managers (its reader grants stay).  Run it as prio''s owner.';

REVOKE ALL ON FUNCTION @extschema@.enable_owner_isolation() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.disable_owner_isolation() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.grant_manager(regrole) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.revoke_manager(regrole) FROM PUBLIC;
