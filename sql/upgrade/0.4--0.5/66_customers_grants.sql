-- 0.4 -> 0.5, prio.customers' source and customer_key are prio.track()'s:
-- grant_writer() gives INSERT and UPDATE of every other column (0.4 gave
-- them of the table, and a writer could forge a customer of a tracked
-- table, listed twice in prio.followup).  Roles that hold them on the table
-- get them on those columns instead, as grant_writer() gives them now.
DO $$
DECLARE
    r record;
    v_cols text;
BEGIN
    SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO v_cols
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) '@extschema@.customers'::pg_catalog.regclass
       AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
       AND a.attname OPERATOR(pg_catalog.<>) ALL (ARRAY['source', 'customer_key']::pg_catalog.name[]);
    FOR r IN SELECT CASE WHEN x.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                         -- (a regrole's text is quoted as it must be already)
                         ELSE x.grantee::pg_catalog.regrole::pg_catalog.text END AS grantee,
                    x.privilege_type AS priv
               FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) x
              WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.customers'::pg_catalog.regclass
                AND x.grantee OPERATOR(pg_catalog.<>) c.relowner
                AND x.privilege_type OPERATOR(pg_catalog.=) ANY (ARRAY['INSERT', 'UPDATE'])
                AND NOT x.is_grantable   -- (a DBA's delegation: left as it is)
    LOOP
        EXECUTE pg_catalog.format('REVOKE %s ON @extschema@.customers FROM %s', r.priv, r.grantee);
        EXECUTE pg_catalog.format('GRANT %s (%s) ON @extschema@.customers TO %s', r.priv, v_cols, r.grantee);
    END LOOP;
END
$$;
