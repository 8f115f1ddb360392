-- prio 0.4 -> 0.5.  Add-only, built by the Makefile from these parts:
--   sql/upgrade/0.4--0.5/[1-4]*.sql   changes to what 0.4 has, before ...
--   the install parts new in 0.5      (sql/install/, verbatim; NEW_IN_0_5)
--   sql/upgrade/0.4--0.5/[5-8]*.sql   changes that need those
--   sql/install/93_sources_api.sql, 94_explain.sql, 95_followup.sql,
--   97_roles.sql, as 0.5 has them
--   sql/upgrade/0.4--0.5/99_end.sql   privileges and typed views given back,
--                                     everyone folded again
--
-- prio.followup, explain(bigint), recompute(), track(), untrack(),
-- _track_note_error(), refresh() and the grant_* functions, which features
-- extend, are dropped here and
-- created once, near the end, from their install parts, so no part needs to: followup's privileges (of the
-- view and of its columns) and the functions' are given back after, and the
-- typed follow-up views of tracked customers tables (prio.followup_<table>)
-- are created again with prio._track_view() and their privileges.

-- Gives back the privileges a dropped and re-created object had (acl: its
-- old ACL); used throughout this script, dropped at its end (99_end.sql).
CREATE FUNCTION @extschema@.upgrade_regrant(target text, acl aclitem[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    IF acl IS NULL THEN
        RETURN;                         -- the default privileges, as created
    END IF;
    -- an object is created with privileges for PUBLIC (EXECUTE; the typed
    -- views' SELECT): take them back unless the old one had them
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(acl) a WHERE a.grantee OPERATOR(pg_catalog.=) 0) THEN
        EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC', target);
    END IF;
    FOR r IN SELECT a.grantee, a.privilege_type, a.is_grantable
               FROM pg_catalog.aclexplode(acl) a
              WHERE a.grantee OPERATOR(pg_catalog.<>) a.grantor
    LOOP
        EXECUTE pg_catalog.format('GRANT %s ON %s TO %s%s', r.privilege_type, target,
                    CASE WHEN r.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                         ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r.grantee)) END,
                    CASE WHEN r.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
END
$$;

-- followup's privileges, and its columns' (GRANT SELECT (tier, ...) ON
-- prio.followup), given back in 99_end.sql to the columns it still has
SELECT pg_catalog.set_config('prio.upgrade_acl_followup', coalesce(c.relacl::text, ''), true)
  FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.followup'::pg_catalog.regclass;
SELECT pg_catalog.set_config('prio.upgrade_colacl_followup',
           coalesce(pg_catalog.jsonb_object_agg(a.attname, a.attacl::text)::text, '{}'), true)
  FROM pg_catalog.pg_attribute a
 WHERE a.attrelid OPERATOR(pg_catalog.=) '@extschema@.followup'::pg_catalog.regclass
   AND a.attacl IS NOT NULL;

-- the typed follow-up views (not members of the extension: made by
-- prio.track()), by source, with their privileges; dropped
SELECT pg_catalog.set_config('prio.upgrade_typed_views',
           coalesce(pg_catalog.jsonb_object_agg(s.source_id, c.relacl::text)::text, '{}'), true)
  FROM @extschema@.sources s
  JOIN pg_catalog.pg_class c
    ON c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
   AND c.relname OPERATOR(pg_catalog.=) (s.compiled OPERATOR(pg_catalog.->>) 'view')
 WHERE s.role OPERATOR(pg_catalog.=) 'customers';
DO $$
DECLARE
    v text;
BEGIN
    FOR v IN SELECT s.compiled OPERATOR(pg_catalog.->>) 'view'
               FROM @extschema@.sources s
              WHERE s.role OPERATOR(pg_catalog.=) 'customers'
                AND s.source_id::text OPERATOR(pg_catalog.=) ANY
                    (SELECT pg_catalog.jsonb_object_keys(pg_catalog.current_setting('prio.upgrade_typed_views')::jsonb))
    LOOP
        EXECUTE pg_catalog.format('DROP VIEW @extschema@.%I', v);
    END LOOP;
END
$$;
DROP VIEW @extschema@.followup;

-- explain(), the sources' entry points and the role functions, with their
-- privileges
SELECT pg_catalog.set_config('prio.upgrade_acl_' OPERATOR(pg_catalog.||) p.proname,
                             coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) ANY (ARRAY['@extschema@.explain(bigint)'::pg_catalog.regprocedure,
                                                '@extschema@.grant_reader(regrole)'::pg_catalog.regprocedure,
                                                '@extschema@.grant_writer(regrole)'::pg_catalog.regprocedure,
                                                '@extschema@.grant_admin(regrole)'::pg_catalog.regprocedure,
                                                '@extschema@.recompute(bigint)'::pg_catalog.regprocedure,
                                                '@extschema@.track(regclass, text, jsonb)'::pg_catalog.regprocedure,
                                                '@extschema@.untrack(regclass)'::pg_catalog.regprocedure,
                                                '@extschema@._track_note_error(integer, text)'::pg_catalog.regprocedure,
                                                '@extschema@.refresh(timestamptz)'::pg_catalog.regprocedure]);
DROP FUNCTION @extschema@.explain(bigint);
DROP FUNCTION @extschema@.grant_admin(regrole);
DROP FUNCTION @extschema@.grant_writer(regrole);
DROP FUNCTION @extschema@.grant_reader(regrole);
DROP FUNCTION @extschema@.recompute(bigint);
DROP FUNCTION @extschema@.track(regclass, text, jsonb);
DROP FUNCTION @extschema@.untrack(regclass);
DROP FUNCTION @extschema@._track_note_error(integer, text);
DROP FUNCTION @extschema@.refresh(timestamptz);
