-- 0.4 -> 0.5, config_row_guard(): an INSERT into a configuration table ran
-- an UPDATE for every row, to replace a built-in row of its key, even when
-- there was none; an UPDATE that changes no row still fires the table's
-- statement triggers, so adding an activity kind, a deal stage or a
-- playbook re-tiered everyone once per row.  Dropped here with its triggers
-- on 0.4's tables (its privileges and their enabled state kept), created as
-- 0.5 installs it (08_config_removed.sql), its triggers by 60_config_guard.sql
-- (their enabled state given back with the removed-rows ones, 63_gaps.sql).
SELECT pg_catalog.set_config('prio.upgrade_acl_config_row_guard', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.config_row_guard()'::pg_catalog.regprocedure;
SELECT pg_catalog.set_config('prio.upgrade_removed_triggers',
           (pg_catalog.current_setting('prio.upgrade_removed_triggers')::jsonb OPERATOR(pg_catalog.||)
            coalesce(pg_catalog.jsonb_object_agg(t.tgname, pg_catalog.jsonb_build_array(c.relname, t.tgenabled::text)), '{}'))::text, true)
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.tgrelid
 WHERE t.tgfoid OPERATOR(pg_catalog.=) '@extschema@.config_row_guard()'::pg_catalog.regprocedure
   AND t.tgenabled OPERATOR(pg_catalog.<>) 'O';
DROP TRIGGER rfm_segments_guard ON @extschema@.rfm_segments;
DROP TRIGGER settings_guard ON @extschema@.settings;
DROP TRIGGER activity_kinds_guard ON @extschema@.activity_kinds;
DROP FUNCTION @extschema@.config_row_guard();
