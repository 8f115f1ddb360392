-- Last part of the upgrade to 0.5 (after prio.followup, created as 0.5 has
-- it): followup's privileges and its columns' given back; the typed
-- follow-up views created again with theirs; the helper dropped.
SELECT @extschema@.upgrade_regrant('TABLE @extschema@.followup',
                                    NULLIF(pg_catalog.current_setting('prio.upgrade_acl_followup'), '')::pg_catalog.aclitem[]);
DO $$
DECLARE
    g text;
BEGIN
    FOR g IN
        SELECT pg_catalog.format('GRANT %s (%I) ON @extschema@.followup TO %s%s', a.privilege_type, c.key,
                   CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                        ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                   CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
          FROM pg_catalog.jsonb_each_text(pg_catalog.current_setting('prio.upgrade_colacl_followup')::jsonb) c,
               pg_catalog.aclexplode(c.value::pg_catalog.aclitem[]) a
         WHERE a.grantee OPERATOR(pg_catalog.<>) a.grantor
           AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute x
                        WHERE x.attrelid OPERATOR(pg_catalog.=) '@extschema@.followup'::pg_catalog.regclass
                          AND x.attname OPERATOR(pg_catalog.=) c.key AND NOT x.attisdropped)
    LOOP
        EXECUTE g;
    END LOOP;
END
$$;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT s.source_id, s.compiled OPERATOR(pg_catalog.->>) 'view' AS view, v.value AS acl
               FROM pg_catalog.jsonb_each_text(pg_catalog.current_setting('prio.upgrade_typed_views')::jsonb) v
               JOIN @extschema@.sources s ON s.source_id::text OPERATOR(pg_catalog.=) v.key
              ORDER BY s.source_id
    LOOP
        PERFORM @extschema@._track_view(r.source_id);
        -- made by prio.track(), not a member of the extension (pg_dump dumps it)
        EXECUTE pg_catalog.format('ALTER EXTENSION prio DROP VIEW @extschema@.%I', r.view);
        PERFORM @extschema@.upgrade_regrant(pg_catalog.format('TABLE @extschema@.%I', r.view),
                                            r.acl::pg_catalog.aclitem[]);
    END LOOP;
END
$$;

DROP FUNCTION @extschema@.upgrade_regrant(text, aclitem[]);
