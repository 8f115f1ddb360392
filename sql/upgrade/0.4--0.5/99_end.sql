-- Last part of the upgrade to 0.5 (after explain(), prio.followup and the
-- role functions, created as 0.5 has them): their privileges given back;
-- the typed follow-up views created again with theirs; roles granted by
-- 0.4's grant_* functions given 0.5's new objects; everyone folded again
-- under 0.5's rules; the helper dropped.
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

SELECT @extschema@.upgrade_regrant(pg_catalog.format('FUNCTION @extschema@.%s(%s)', f.name, f.args),
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_' OPERATOR(pg_catalog.||) f.name), '')::pg_catalog.aclitem[])
  FROM (VALUES ('explain', 'bigint'), ('grant_reader', 'regrole'), ('grant_writer', 'regrole'),
               ('grant_admin', 'regrole'), ('recompute', 'bigint'), ('track', 'regclass, text, jsonb'),
               ('untrack', 'regclass'), ('_track_note_error', 'integer, text'),
               ('refresh', 'timestamptz')) AS f(name, args);
SELECT @extschema@.upgrade_regrant(pg_catalog.format('FUNCTION @extschema@.%s(%s)', f.name, f.args),
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_' OPERATOR(pg_catalog.||) f.k), '')::pg_catalog.aclitem[])
  FROM (VALUES ('explain_key', '_explain_key', 'regclass, anyelement'), ('explain_by_key', 'explain', 'regclass, anyelement'),
               ('explain_by_text_key', 'explain', 'regclass, text')) AS f(k, name, args);

-- A role 0.4's grant_reader, grant_writer or grant_admin gave to (SELECT on
-- customer_state, INSERT on activities, UPDATE on settings: what each gave)
-- gets what 0.5's gives on the objects new in 0.5, and nothing else back.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT a.grantee::pg_catalog.regrole AS role,
               pg_catalog.max(CASE WHEN c.oid OPERATOR(pg_catalog.=) '@extschema@.settings'::pg_catalog.regclass THEN 3
                                   WHEN c.oid OPERATOR(pg_catalog.=) '@extschema@.activities'::pg_catalog.regclass THEN 2
                                   ELSE 1 END) AS level
          FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
         WHERE ((c.oid OPERATOR(pg_catalog.=) '@extschema@.customer_state'::pg_catalog.regclass
                 AND a.privilege_type OPERATOR(pg_catalog.=) 'SELECT')
             OR (c.oid OPERATOR(pg_catalog.=) '@extschema@.activities'::pg_catalog.regclass
                 AND a.privilege_type OPERATOR(pg_catalog.=) 'INSERT')
             OR (c.oid OPERATOR(pg_catalog.=) '@extschema@.settings'::pg_catalog.regclass
                 AND a.privilege_type OPERATOR(pg_catalog.=) 'UPDATE'))
           AND a.grantee OPERATOR(pg_catalog.<>) c.relowner AND a.grantee OPERATOR(pg_catalog.<>) 0
         GROUP BY a.grantee
    LOOP
        -- grant_reader's
        EXECUTE pg_catalog.format('GRANT SELECT ON @extschema@.customer_types, @extschema@.customer_type_tags,'
                                  ' @extschema@.key_customers, @extschema@.reactivation, @extschema@.deals,'
                                  ' @extschema@.deal_stages, @extschema@.value_signals TO %s', r.role);
        IF r.level OPERATOR(pg_catalog.>=) 2 THEN   -- grant_writer's
            EXECUTE pg_catalog.format('GRANT INSERT, UPDATE, DELETE ON @extschema@.customer_type_tags TO %s', r.role);
            EXECUTE pg_catalog.format('GRANT INSERT (customer_id, owner, stage, amount, expected_close, created_at, closed_at),'
                                      ' UPDATE (customer_id, owner, stage, amount, expected_close, created_at, closed_at),'
                                      ' DELETE ON @extschema@.deals TO %s', r.role);
        END IF;
        IF r.level OPERATOR(pg_catalog.=) 3 THEN    -- grant_admin's
            EXECUTE pg_catalog.format('GRANT INSERT, UPDATE, DELETE ON @extschema@.labels, @extschema@.customer_types,'
                                      ' @extschema@.deal_stages TO %s', r.role);
            EXECUTE pg_catalog.format('GRANT UPDATE ON @extschema@.value_signals TO %s', r.role);
        END IF;
    END LOOP;
END
$$;

-- everyone folded again: 0.5 keeps more per customer (the monthly buckets
-- the key-customer types read, the implicit deal, stage_at) and scores
-- differently
LOCK TABLE @extschema@.customer_state IN EXCLUSIVE MODE;
SELECT @extschema@.rebuild(NULL, 'upgrade to 0.5', false);
-- prio.followup's two orders (dropped by 30_perf.sql), built from the new rows
CREATE INDEX customer_state_owner_idx ON @extschema@.customer_state
    (owner, priority DESC, next_due_at, customer_id);
CREATE INDEX customer_state_priority_idx ON @extschema@.customer_state
    (priority DESC, next_due_at, customer_id);

DROP FUNCTION @extschema@.upgrade_regrant(text, aclitem[]);

-- (review3) Every GRANT an extension script runs is recorded as the
-- object's initial privileges (pg_init_privs), and pg_dump leaves out what
-- equals them: the grants this update gave back or gave anew to roles (of
-- prio.grant_reader/writer/admin, a GRANT of the DBA's, a typed follow-up
-- view's) were in no later dump, so a restore lost them.  prio's scripts
-- grant to PUBLIC and the owner only: prio's initial privileges keep just
-- those, as after a fresh install, and the typed views (the application's
-- objects, made by prio.track()) have none.
CREATE TEMP TABLE prio_upgrade_initprivs ON COMMIT DROP AS
SELECT i.objoid, i.classoid, i.objsubid,
       ARRAY(SELECT u.a FROM pg_catalog.unnest(i.initprivs) WITH ORDINALITY AS u(a, n)
              WHERE EXISTS (SELECT 1 FROM pg_catalog.aclexplode(ARRAY[u.a]) x
                             WHERE x.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid
                                OR x.grantee OPERATOR(pg_catalog.=) x.grantor)
              ORDER BY u.n) AS kept,
       -- an object's default privileges are the same as no initial ones
       CASE WHEN i.objsubid OPERATOR(pg_catalog.<>) 0 THEN NULL
            WHEN i.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass THEN
                (SELECT pg_catalog.acldefault(CASE c.relkind WHEN 'S' THEN 's'::"char" ELSE 'r'::"char" END, c.relowner)
                   FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) i.objoid)
            WHEN i.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass THEN
                (SELECT pg_catalog.acldefault('f'::"char", p.proowner)
                   FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) i.objoid)
       END AS dflt
  FROM pg_catalog.pg_init_privs i
 WHERE i.privtype OPERATOR(pg_catalog.=) 'e'
   AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend d, pg_catalog.pg_extension e
                WHERE d.classid OPERATOR(pg_catalog.=) i.classoid AND d.objid OPERATOR(pg_catalog.=) i.objoid
                  AND d.deptype OPERATOR(pg_catalog.=) 'e'
                  AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
                  AND d.refobjid OPERATOR(pg_catalog.=) e.oid AND e.extname OPERATOR(pg_catalog.=) 'prio');
DELETE FROM pg_catalog.pg_init_privs i
 USING pg_temp.prio_upgrade_initprivs k
 WHERE i.objoid OPERATOR(pg_catalog.=) k.objoid AND i.classoid OPERATOR(pg_catalog.=) k.classoid
   AND i.objsubid OPERATOR(pg_catalog.=) k.objsubid
   AND (pg_catalog.cardinality(k.kept) OPERATOR(pg_catalog.=) 0
        OR k.kept::pg_catalog.text OPERATOR(pg_catalog.=) k.dflt::pg_catalog.text);
UPDATE pg_catalog.pg_init_privs i SET initprivs = k.kept
  FROM pg_temp.prio_upgrade_initprivs k
 WHERE i.objoid OPERATOR(pg_catalog.=) k.objoid AND i.classoid OPERATOR(pg_catalog.=) k.classoid
   AND i.objsubid OPERATOR(pg_catalog.=) k.objsubid
   AND pg_catalog.cardinality(k.kept) OPERATOR(pg_catalog.>) 0
   AND k.kept::pg_catalog.text IS DISTINCT FROM k.dflt::pg_catalog.text
   AND i.initprivs::pg_catalog.text OPERATOR(pg_catalog.<>) k.kept::pg_catalog.text;
DELETE FROM pg_catalog.pg_init_privs i
 WHERE i.privtype OPERATOR(pg_catalog.=) 'e'
   AND i.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
   AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                WHERE c.oid OPERATOR(pg_catalog.=) i.objoid
                  AND c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace)
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid OPERATOR(pg_catalog.=) i.classoid AND d.objid OPERATOR(pg_catalog.=) i.objoid
                      AND d.deptype OPERATOR(pg_catalog.=) 'e');
DROP TABLE pg_temp.prio_upgrade_initprivs;
