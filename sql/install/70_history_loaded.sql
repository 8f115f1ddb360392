------------------------------------------------------------------------
-- (0.5) prio.tier_history is prio's log: outside a restore only prio's own
-- writer adds to it.  Rows loaded otherwise are a dump of prio 0.3 or
-- before (no prio._restore row), refused with the way to restore it.
-- Its own part, so the update to 0.5 creates it from here too.
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.history_loaded()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_history_loaded'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.history_loaded() IS
'Statement trigger (C) on prio.tier_history, after INSERT outside a restore: rows that prio''s own writer did not write (a dump of prio 0.3 or before, which has no prio._restore row, or a hand-written INSERT) are refused with 55000 and the way to restore such a dump: CREATE EXTENSION prio VERSION ''0.3'', the restore, ALTER EXTENSION prio UPDATE.';
REVOKE ALL ON FUNCTION @extschema@.history_loaded() FROM PUBLIC;
-- after the statement: a row that breaks a constraint fails as it did
CREATE TRIGGER history_loaded
    AFTER INSERT ON @extschema@.tier_history
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.history_loaded();
