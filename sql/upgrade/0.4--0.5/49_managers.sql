-- 0.4 -> 0.5, prio.managers keeps the OID of the role a row was written for
-- (a role dropped and created again under that name is no manager):
-- role_oid, the rows' roles as they are now; grant_manager() and
-- revoke_manager() dropped here (their privileges kept) and created again
-- from sql/install/98_owner_isolation_sees.sql with the table's trigger,
-- its comments and its dump filter; the privileges given back by
-- 69_managers.sql.
SELECT pg_catalog.set_config('prio.upgrade_acl_grant_manager', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.grant_manager(regrole)'::pg_catalog.regprocedure;
SELECT pg_catalog.set_config('prio.upgrade_acl_revoke_manager', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.revoke_manager(regrole)'::pg_catalog.regprocedure;
DROP FUNCTION @extschema@.grant_manager(regrole);
DROP FUNCTION @extschema@.revoke_manager(regrole);
ALTER TABLE @extschema@.managers ADD COLUMN role_oid oid;
UPDATE @extschema@.managers m SET role_oid = pg_catalog.to_regrole(pg_catalog.quote_ident(m.role_name));
