-- prio.win_outcomes_changed() is C now (engine/outcomes.c, as recompute()'s
-- rebuild of the counts): its triggers go with it and come back unchanged,
-- with the function's privileges and each trigger's enabled state.
SELECT pg_catalog.set_config('prio.upgrade_acl_win_outcomes_changed', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.win_outcomes_changed()'::pg_catalog.regprocedure;
SELECT pg_catalog.set_config('prio.upgrade_win_outcomes_triggers',
           coalesce(pg_catalog.jsonb_object_agg(t.tgname, t.tgenabled::text)::text, '{}'), true)
  FROM pg_catalog.pg_trigger t
 WHERE t.tgfoid OPERATOR(pg_catalog.=) '@extschema@.win_outcomes_changed()'::pg_catalog.regprocedure
   AND t.tgenabled OPERATOR(pg_catalog.<>) 'O';
DROP TRIGGER win_outcomes_inserted ON @extschema@.win_outcomes;
DROP TRIGGER win_outcomes_updated ON @extschema@.win_outcomes;
DROP TRIGGER win_outcomes_deleted ON @extschema@.win_outcomes;
DROP FUNCTION @extschema@.win_outcomes_changed();
CREATE FUNCTION @extschema@.win_outcomes_changed()
RETURNS trigger
LANGUAGE C
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'prio_win_outcomes_changed';
COMMENT ON FUNCTION @extschema@.win_outcomes_changed() IS
'Statement trigger on prio.win_outcomes: appends the won/lost deltas of the statement to prio.win_counts.';
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.win_outcomes_changed()',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_win_outcomes_changed'), '')::pg_catalog.aclitem[]);
CREATE TRIGGER win_outcomes_inserted
    AFTER INSERT ON @extschema@.win_outcomes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.win_outcomes_changed();
CREATE TRIGGER win_outcomes_updated
    AFTER UPDATE ON @extschema@.win_outcomes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.win_outcomes_changed();
CREATE TRIGGER win_outcomes_deleted
    AFTER DELETE ON @extschema@.win_outcomes
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.win_outcomes_changed();
-- a trigger the DBA had disabled (or set to fire on replicas) stays so
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT e.key AS tg, e.value AS state
               FROM pg_catalog.jsonb_each_text(pg_catalog.current_setting('prio.upgrade_win_outcomes_triggers')::jsonb) e
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.win_outcomes %s TRIGGER %I',
                                  CASE r.state WHEN 'D' THEN 'DISABLE' WHEN 'R' THEN 'ENABLE REPLICA'
                                               ELSE 'ENABLE ALWAYS' END, r.tg);
    END LOOP;
END
$$;
