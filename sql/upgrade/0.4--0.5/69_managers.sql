-- 0.4 -> 0.5 (after the install part 98_owner_isolation_sees.sql, see
-- 49_managers.sql): the privileges grant_manager() and revoke_manager() had.
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.grant_manager(regrole)',
           NULLIF(pg_catalog.current_setting('prio.upgrade_acl_grant_manager'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.revoke_manager(regrole)',
           NULLIF(pg_catalog.current_setting('prio.upgrade_acl_revoke_manager'), '')::pg_catalog.aclitem[]);
