-- 0.4 -> 0.5 (after 08_config_removed.sql): a renamed built-in
-- segment or activity kind stays gone across a dump and restore, as a
-- deleted one does (its old key kept in prio.removed_config), as 0.5
-- installs them.  The 0.5 tables' triggers come with their install parts.
CREATE TRIGGER rfm_segments_renamed
    AFTER UPDATE ON @extschema@.rfm_segments
    FOR EACH ROW WHEN (OLD.position OPERATOR(pg_catalog.<>) NEW.position)
    EXECUTE FUNCTION @extschema@.config_row_removed('position');
CREATE TRIGGER activity_kinds_renamed
    AFTER UPDATE ON @extschema@.activity_kinds
    FOR EACH ROW WHEN (OLD.kind OPERATOR(pg_catalog.<>) NEW.kind)
    EXECUTE FUNCTION @extschema@.config_row_removed('kind');
