-- (hostile7) prio._restore.dumped_by: a dump of 0.5 says so; a dump of 0.4
-- (no such column: NULL) is refused by prio.restore_begin(), whose restore
-- into 0.5 would skip this update (sql/install/05_restore.sql).
ALTER TABLE @extschema@._restore ADD COLUMN dumped_by text;
COMMENT ON COLUMN @extschema@._restore.dumped_by IS
'The version of prio whose dump this row is (0.5 and later); NULL in a dump of prio 0.4, which prio.restore_begin() refuses: restore it into CREATE EXTENSION prio VERSION ''0.4'', then ALTER EXTENSION prio UPDATE.';
-- the trigger skips every insert: the seeded row is updated (an update is no restore)
UPDATE @extschema@._restore SET dumped_by = '0.5';

-- (hostile7) A tracked table dropped before the update (0.4, as 0.5, lets
-- DROP TABLE through; its source stays until prio.untrack()): its typed
-- follow-up view, dropped by 10_begin.sql, is not created again in
-- 99_end.sql (there is no table to compile it from: that stopped the update
-- with "could not open relation", XX000).  Said with a WARNING.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT s.source_id, s.relid::pg_catalog.oid AS relid, s.compiled OPERATOR(pg_catalog.->>) 'view' AS view
               FROM @extschema@.sources s
              WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) s.relid)
              ORDER BY s.source_id
    LOOP
        PERFORM pg_catalog.set_config('prio.upgrade_typed_views',
                    (pg_catalog.current_setting('prio.upgrade_typed_views')::jsonb
                     OPERATOR(pg_catalog.-) r.source_id::text)::text, true);
        RAISE WARNING 'prio: the table of tracked source % (OID %) was dropped: prio.untrack() it', r.source_id, r.relid
            USING DETAIL = CASE WHEN r.view IS NULL THEN 'Its changes no longer reach prio.'
                                ELSE pg_catalog.format('Its typed follow-up view prio.%I is not created again.', r.view) END,
                  HINT = pg_catalog.format('SELECT prio.untrack(%s) forgets it.', r.relid);
    END LOOP;
END
$$;
