-- prio.win_outcomes_changed() is C now (engine/outcomes.c, as recompute()'s
-- rebuild of the counts): its triggers go with it and come back unchanged.
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
REVOKE ALL ON FUNCTION @extschema@.win_outcomes_changed() FROM PUBLIC;
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
