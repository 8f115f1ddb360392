-- pgTAP: prio.sources names each tracked table as it is now (relname), so
-- that a restore finds it by name (0.5).  relid, which prio reads, is
-- generated from the table's OID (reloid) and not dumped: a dumped regclass
-- failed the COPY of every row of prio.sources when one tracked table was
-- left out of the dump (pg_dump --exclude-table), and no table stayed
-- tracked.  The name follows ALTER TABLE ... RENAME and SET SCHEMA and
-- ALTER SCHEMA ... RENAME (event trigger prio_track_rename).
BEGIN;
SELECT plan(6);
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

SELECT * FROM finish();
ROLLBACK;
