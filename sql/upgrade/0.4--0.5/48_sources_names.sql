-- 0.4 -> 0.5, prio.sources names each tracked table (relname) beside its
-- OID (reloid), and relid is generated from the OID, so pg_dump leaves it
-- out: a restore finds each table by name, and one the dump does not have
-- (pg_dump --exclude-table) loses its row only, not every row of
-- prio.sources (sql/install/85_track_names.sql, created after this part
-- with prio.tracked, whose privileges 68_sources_names.sql gives back).  A
-- table dropped under 0.4 (a dead OID) is named by that OID: no restore
-- finds it.
SELECT pg_catalog.set_config('prio.upgrade_acl_tracked', coalesce(c.relacl::text, ''), true)
  FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.tracked'::pg_catalog.regclass;
DROP VIEW @extschema@.tracked;
ALTER TABLE @extschema@.sources ADD COLUMN reloid oid, ADD COLUMN relname text;
UPDATE @extschema@.sources s
   SET reloid = s.relid,
       relname = coalesce((SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)
                             FROM pg_catalog.pg_class c
                             JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
                            WHERE c.oid OPERATOR(pg_catalog.=) s.relid), s.relid::pg_catalog.oid::text);
ALTER TABLE @extschema@.sources ALTER COLUMN reloid SET NOT NULL, ALTER COLUMN relname SET NOT NULL,
    DROP COLUMN relid;
ALTER TABLE @extschema@.sources
    ADD COLUMN relid regclass GENERATED ALWAYS AS (reloid::pg_catalog.regclass) STORED NOT NULL UNIQUE;
