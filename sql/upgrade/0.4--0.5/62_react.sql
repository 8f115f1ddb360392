-- 0.4 -> 0.5, react (after sql/install/94_reactivation.sql): whoever may
-- read prio.followup may read prio.reactivation beside it; then everyone is
-- refolded and re-evaluated under 0.5's rules (the reply term, kinds that
-- do not revive, the re-activation cadences), the rows that change written
-- with history "update to 0.5: <rule>", as a change of settings does.

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT DISTINCT a.grantee, a.is_grantable
               FROM pg_catalog.aclexplode(NULLIF(pg_catalog.current_setting('prio.upgrade_acl_followup'), '')::pg_catalog.aclitem[]) a
              WHERE a.privilege_type OPERATOR(pg_catalog.=) 'SELECT'
                AND a.grantee OPERATOR(pg_catalog.<>) a.grantor
    LOOP
        EXECUTE pg_catalog.format('GRANT SELECT ON @extschema@.reactivation TO %s%s',
                    CASE WHEN r.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                         ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r.grantee)) END,
                    CASE WHEN r.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
END
$$;

LOCK TABLE @extschema@.customer_state IN EXCLUSIVE MODE;
SELECT @extschema@.rebuild(NULL, 'update to 0.5', false);
