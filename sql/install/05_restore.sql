
------------------------------------------------------------------------
-- Restore: pg_dump keeps every table of prio (the derived ones too) and a
-- restore loads them as they were.  The first data of a dump of prio is the
-- row of prio._restore (its name sorts first); loading it puts the session
-- in restore mode, in which prio's triggers leave the loaded tables alone
-- (their WHEN clause asks prio.restoring()).
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.restore_begin()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_restore_begin'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.restore_begin() IS
'Row trigger (C) on prio._restore: a restore loading the dumped row puts its session in restore mode (prio''s triggers stand aside until the session ends) and skips the row, which CREATE EXTENSION has seeded.';

CREATE FUNCTION @extschema@.restoring()
RETURNS boolean
AS 'MODULE_PATHNAME', 'prio_restoring'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.restoring() IS
'True in a session that is loading a dump of prio (it loaded prio._restore): prio''s triggers then leave customers, activities, state, history and outcomes as loaded.';

CREATE TABLE @extschema@._restore (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    -- (0.5) the version whose dump this is: a dump of 0.4 has no such column,
    -- so its row loads NULL here and restore_begin() refuses it (the update
    -- to 0.5 would be skipped)
    dumped_by text
);
COMMENT ON TABLE @extschema@._restore IS
'One row, dumped first by pg_dump: loading it back tells prio that the session restores a dump, so the dumped state and history are loaded as they were instead of being derived again.  Never write it.';
COMMENT ON COLUMN @extschema@._restore.id IS 'Always true: one row.';
COMMENT ON COLUMN @extschema@._restore.dumped_by IS
'The version of prio whose dump this row is (0.5 and later); NULL in a dump of prio 0.4, which prio.restore_begin() refuses: restore it into CREATE EXTENSION prio VERSION ''0.4'', then ALTER EXTENSION prio UPDATE.';
-- seeded before the trigger exists: CREATE EXTENSION is no restore
INSERT INTO @extschema@._restore (id, dumped_by) VALUES (true, '0.5');
CREATE TRIGGER restore_begin
    BEFORE INSERT ON @extschema@._restore
    FOR EACH ROW EXECUTE FUNCTION @extschema@.restore_begin();
SELECT pg_catalog.pg_extension_config_dump('@extschema@._restore', '');
