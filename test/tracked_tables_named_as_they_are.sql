-- pgTAP: prio.sources names each tracked table as it is now (relname), so
-- that a restore finds it by name (0.5).  relid, which prio reads, is
-- generated from the table's OID (reloid) and not dumped: a dumped regclass
-- failed the COPY of every row of prio.sources when one tracked table was
-- left out of the dump (pg_dump --exclude-table), and no table stayed
-- tracked.  The name follows ALTER TABLE ... RENAME and SET SCHEMA and
-- ALTER SCHEMA ... RENAME (event trigger prio_track_rename).  A tracked
-- table dropped (without prio.untrack()) has no name: its row is named by
-- its OID, which no restore finds (event trigger prio_track_rename_drop).
-- Before, it kept the name, and a restore took a table created since under
-- that name for it: the dead row's mapping on a table prio had no triggers
-- on, or, that table tracked too, two rows for one table and the COPY of
-- every row of prio.sources failed.
BEGIN;
SELECT plan(8);
SET LOCAL client_min_messages = warning;

CREATE SCHEMA named_app;
CREATE TABLE named_app.accounts (id integer PRIMARY KEY, name text);
INSERT INTO named_app.accounts VALUES (1, 'one');
SELECT prio.track('named_app.accounts', 'customers', '{"key": "id", "name": "name"}');

SELECT is((SELECT relname FROM prio.sources WHERE relid = 'named_app.accounts'::regclass),
          'named_app.accounts', 'track() names the table, schema-qualified');
SELECT is((SELECT reloid FROM prio.sources WHERE relname = 'named_app.accounts'),
          'named_app.accounts'::regclass::oid, 'and keeps its OID, which relid is generated from');
SELECT is((SELECT attgenerated FROM pg_attribute WHERE attrelid = 'prio.sources'::regclass AND attname = 'relid'),
          's', 'relid is a generated column: pg_dump leaves it out');

ALTER TABLE named_app.accounts RENAME TO "Key Accounts";
SELECT is((SELECT relname FROM prio.sources WHERE relid = 'named_app."Key Accounts"'::regclass),
          'named_app."Key Accounts"', 'a table renamed: its name follows, quoted as needed');
CREATE SCHEMA named_other;
ALTER TABLE named_app."Key Accounts" SET SCHEMA named_other;
SELECT is((SELECT relname FROM prio.sources WHERE relid = 'named_other."Key Accounts"'::regclass),
          'named_other."Key Accounts"', 'a table moved to another schema: its name follows');
ALTER SCHEMA named_other RENAME TO "Named Other";
SELECT is((SELECT relname FROM prio.sources WHERE relid = '"Named Other"."Key Accounts"'::regclass),
          '"Named Other"."Key Accounts"', 'its schema renamed: its name follows');

CREATE TABLE named_app.gone (id integer PRIMARY KEY, name text);
SELECT prio.track('named_app.gone', 'customers', '{"key": "id", "name": "name", "view": false}');
SELECT set_config('named.gone_oid', 'named_app.gone'::regclass::oid::text, true);
DROP TABLE named_app.gone;
CREATE TABLE named_app.gone (id integer PRIMARY KEY, name text);
SELECT is((SELECT relname FROM prio.sources WHERE reloid = current_setting('named.gone_oid')::oid),
          current_setting('named.gone_oid'), 'a table dropped: its row is named by its OID');
SELECT is((SELECT to_regclass(relname) FROM prio.sources WHERE reloid = current_setting('named.gone_oid')::oid),
          NULL, 'which a restore finds no table by, not the table created under its name since');

SELECT * FROM finish();
ROLLBACK;
