-- (hostile7) prio._restore.dumped_by: a dump of 0.5 says so; a dump of 0.4
-- (no such column: NULL) is refused by prio.restore_begin(), whose restore
-- into 0.5 would skip this update (sql/install/05_restore.sql).
ALTER TABLE @extschema@._restore ADD COLUMN dumped_by text;
COMMENT ON COLUMN @extschema@._restore.dumped_by IS
'The version of prio whose dump this row is (0.5 and later); NULL in a dump of prio 0.4, which prio.restore_begin() refuses: restore it into CREATE EXTENSION prio VERSION ''0.4'', then ALTER EXTENSION prio UPDATE.';
-- the trigger skips every insert: the seeded row is updated (an update is no restore)
UPDATE @extschema@._restore SET dumped_by = '0.5';
