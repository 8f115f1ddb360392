-- 0.4 -> 0.5, config_row_guard() (after 08_config_removed.sql, see
-- 46_config_guard.sql): its triggers on 0.4's tables created again as 0.4
-- had them, with the function's privileges (their enabled state: 63_gaps.sql).
CREATE TRIGGER rfm_segments_guard
    BEFORE INSERT OR UPDATE ON @extschema@.rfm_segments
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_guard('position');
CREATE TRIGGER settings_guard
    BEFORE INSERT OR UPDATE ON @extschema@.settings
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_guard('id');
CREATE TRIGGER activity_kinds_guard
    BEFORE INSERT OR UPDATE ON @extschema@.activity_kinds
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_guard('kind');
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.config_row_guard()',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_config_row_guard'), '')::pg_catalog.aclitem[]);
