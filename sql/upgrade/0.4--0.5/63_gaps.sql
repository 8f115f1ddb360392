-- 0.4 -> 0.5, gaps (after 08_config_removed.sql): the triggers of the
-- removed-rows functions on 0.4's tables, created again as 0.4 had them,
-- with the functions' privileges and the triggers' enabled state.
CREATE TRIGGER removed_config_load
    AFTER INSERT ON @extschema@.removed_config
    FOR EACH ROW EXECUTE FUNCTION @extschema@.removed_config_load();
CREATE TRIGGER rfm_segments_removed
    AFTER DELETE ON @extschema@.rfm_segments
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_removed('position');
CREATE TRIGGER rfm_segments_truncated
    BEFORE TRUNCATE ON @extschema@.rfm_segments
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_row_removed('position');
CREATE TRIGGER activity_kinds_removed
    AFTER DELETE ON @extschema@.activity_kinds
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_removed('kind');
CREATE TRIGGER activity_kinds_truncated
    BEFORE TRUNCATE ON @extschema@.activity_kinds
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_row_removed('kind');
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.config_row_removed()',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_config_row_removed'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.removed_config_load()',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_removed_config_load'), '')::pg_catalog.aclitem[]);
-- a trigger the DBA had disabled (or set to fire on replicas) stays so
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT e.value OPERATOR(pg_catalog.->>) 0 AS rel, e.key AS tg, e.value OPERATOR(pg_catalog.->>) 1 AS state
               FROM pg_catalog.jsonb_each(pg_catalog.current_setting('prio.upgrade_removed_triggers')::jsonb) e
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I %s TRIGGER %I', r.rel,
                                  CASE r.state WHEN 'D' THEN 'DISABLE' WHEN 'R' THEN 'ENABLE REPLICA'
                                               ELSE 'ENABLE ALWAYS' END, r.tg);
    END LOOP;
END
$$;
