------------------------------------------------------------------------
-- Role model (prio creates no roles; these grant to roles you have)
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.grant_reader(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'role must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- '-' (0) and the oid of a dropped role are regroles too: GRANT ... TO -
    -- would fail as a syntax error
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) role) THEN
        RAISE EXCEPTION 'role % does not exist', role::pg_catalog.oid USING ERRCODE = '42704',
            HINT = 'Name an existing role: prio.grant_reader(''rep_name'').';
    END IF;
    -- one grant at a time (every grant_*() starts here): a GRANT updates
    -- the object's catalog row in place, and a second session's GRANT of
    -- the same object fails with XX000 "tuple concurrently updated".  A
    -- self-conflicting table lock waits for the other to commit and, once
    -- taken, reads its catalog changes (a relation lock accepts them).
    LOCK TABLE @extschema@.managers IN SHARE UPDATE EXCLUSIVE MODE;
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA @extschema@ TO %s', role);
    -- the views are security_invoker: readers need their base tables too
    EXECUTE pg_catalog.format(
        'GRANT SELECT ON @extschema@.followup, @extschema@.tier_summary, @extschema@.conversion_by_tier,'
        ' @extschema@.rule_config, @extschema@.customers, @extschema@.customer_state,'
        ' @extschema@.tier_history, @extschema@.settings, @extschema@.auto_breaks,'
        ' @extschema@.activity_kinds, @extschema@.rfm_segments, @extschema@.clv_models,'
        ' @extschema@.activities, @extschema@.win_outcomes, @extschema@.reactivation TO %s', role);
    -- 0.5: deals and what the rules read of them
    EXECUTE pg_catalog.format('GRANT SELECT ON @extschema@.deals, @extschema@.deal_stages,'
                              ' @extschema@.value_signals TO %s', role);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.explain(bigint) TO %s', role);
    -- (0.5) the key-customer types: their rules, manual tags and the view
    EXECUTE pg_catalog.format('GRANT SELECT ON @extschema@.customer_types, @extschema@.customer_type_tags,'
                              ' @extschema@.key_customers TO %s', role);
END
$$;
COMMENT ON FUNCTION @extschema@.grant_reader(regrole) IS
'BI and reps: SELECT on the views (and the tables they read; 0.5: deals, deal stages and value signals too), prio.explain(), the key-customer types and tags.  Run it as prio''s owner.';

CREATE FUNCTION @extschema@.grant_writer(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_cols text;
BEGIN
    PERFORM @extschema@.grant_reader(role);
    -- customers, but not source and customer_key: only prio.track() mirrors
    -- a customer (a forged pair listed an application's row twice)
    SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO v_cols
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) '@extschema@.customers'::pg_catalog.regclass
       AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
       AND a.attname OPERATOR(pg_catalog.<>) ALL (ARRAY['source', 'customer_key']::pg_catalog.name[]);
    EXECUTE pg_catalog.format('GRANT INSERT (%s), UPDATE (%s), DELETE ON @extschema@.customers TO %s', v_cols, v_cols, role);
    EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.activities TO %s', role);
    -- deals, but not source and deal_key: only prio.track() mirrors a deal
    EXECUTE pg_catalog.format('GRANT INSERT (customer_id, owner, stage, amount, expected_close, created_at, closed_at),'
                              ' UPDATE (customer_id, owner, stage, amount, expected_close, created_at, closed_at),'
                              ' DELETE ON @extschema@.deals TO %s', role);
    -- (0.5) a manual key-customer type tag adds or removes a type
    EXECUTE pg_catalog.format('GRANT INSERT, UPDATE, DELETE ON @extschema@.customer_type_tags TO %s', role);
END
$$;
COMMENT ON FUNCTION @extschema@.grant_writer(regrole) IS
'Applications: what grant_reader gives, plus maintaining customers (every column but source and customer_key, prio.track()''s: the columns as they are when it runs) and deals, inserting (and correcting) activities and tagging key-customer types; the triggers keep state and history, which nobody writes directly.';

CREATE FUNCTION @extschema@.grant_admin(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.grant_writer(role);
    EXECUTE pg_catalog.format('GRANT UPDATE ON @extschema@.settings TO %s', role);
    EXECUTE pg_catalog.format('GRANT INSERT, UPDATE, DELETE ON @extschema@.activity_kinds, @extschema@.rfm_segments TO %s', role);
    EXECUTE pg_catalog.format('GRANT INSERT, UPDATE, DELETE ON @extschema@.deal_stages TO %s', role);
    EXECUTE pg_catalog.format('GRANT UPDATE ON @extschema@.value_signals TO %s', role);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.refresh(timestamptz), @extschema@.recompute(bigint),'
                              ' @extschema@.fit_clv() TO %s', role);
    EXECUTE pg_catalog.format('GRANT SELECT ON @extschema@.refresh_runs TO %s', role);
    -- tracked tables: attach and detach (of a table the role owns, or may
    -- create triggers on and read all of: prio._track_check_owner), see
    -- them with their mappings and last errors, and the kinds to map
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.track(regclass, text, jsonb), @extschema@.untrack(regclass),'
                              ' @extschema@.unmapped_kinds_of_sources() TO %s', role);
    EXECUTE pg_catalog.format('GRANT SELECT ON @extschema@.tracked, @extschema@.sources, @extschema@.unmapped_kinds TO %s', role);
    -- (0.5) the labels, in every language, and the key-customer types' rules
    EXECUTE pg_catalog.format('GRANT INSERT, UPDATE, DELETE ON @extschema@.labels, @extschema@.customer_types TO %s', role);
END
$$;
COMMENT ON FUNCTION @extschema@.grant_admin(regrole) IS
'Whoever runs prio: what grant_writer gives, plus settings, activity kinds, segments, deal stages, value signals, refresh(), recompute() and fit_clv(), the refresh run log (prio.refresh_runs), and tracked tables: prio.track() and prio.untrack() (of tables the role owns, or may create triggers on and read all of), prio.tracked and prio.unmapped_kinds; and the labels (prio.labels) and key-customer type rules (prio.customer_types).';

