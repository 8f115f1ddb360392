------------------------------------------------------------------------
-- (0.5) A tracked table by name in a dump: prio.sources keeps each table's
-- OID (reloid, relid generated from it) and its current name (relname).
-- A restore loads the name and finds the table by it, so a dump without one
-- tracked table (pg_dump --exclude-table) loses that row only: a regclass
-- column failed the COPY of all of prio.sources, and no table stayed
-- tracked.  After prio.sources (85_track.sql); the update to 0.5 creates
-- this part as it is.
------------------------------------------------------------------------

COMMENT ON COLUMN @extschema@.sources.relid IS 'The tracked table (generated from reloid; not dumped).';
COMMENT ON COLUMN @extschema@.sources.reloid IS 'The tracked table''s OID; (0.5) a restore sets it from relname.';
COMMENT ON COLUMN @extschema@.sources.relname IS '(0.5) The tracked table''s schema-qualified name, kept when it is renamed: a restore finds the table by it, and leaves out, with a WARNING, the row of a table the dump does not have.';

-- (prio.tracked is here, so the update creates it again over the new
-- columns)
CREATE VIEW @extschema@.tracked WITH (security_invoker = true) AS
SELECT s.relid AS source, s.role, s.mapping, s.key_type, s.key_map, s.created_at,
       s.last_error, s.last_error_at,
       CASE WHEN s.compiled OPERATOR(pg_catalog.?) 'view'
            THEN pg_catalog.to_regclass(pg_catalog.format('%I.%I', '@extschema@', s.compiled OPERATOR(pg_catalog.->>) 'view')) END
       AS followup_view
  FROM @extschema@.sources s;
COMMENT ON VIEW @extschema@.tracked IS 'The application tables prio tracks, with their mappings.';
COMMENT ON COLUMN @extschema@.tracked.source IS 'The tracked table.';
COMMENT ON COLUMN @extschema@.tracked.role IS 'What its rows are: customers, activities or (0.5) deals.';
COMMENT ON COLUMN @extschema@.tracked.mapping IS 'prio''s names to the table''s columns or expressions.';
COMMENT ON COLUMN @extschema@.tracked.key_type IS 'Type of the table''s key.';
COMMENT ON COLUMN @extschema@.tracked.key_map IS 'The table''s key to prio''s customer_id.';
COMMENT ON COLUMN @extschema@.tracked.created_at IS 'When it was tracked.';
COMMENT ON COLUMN @extschema@.tracked.last_error IS 'The last error that kept a change from reaching prio (NULL: none; cleared by a prio.recompute() that read the table again without error, a customers table mirrored again as a whole).';
COMMENT ON COLUMN @extschema@.tracked.last_error_at IS 'When.';
COMMENT ON COLUMN @extschema@.tracked.followup_view IS 'Of a customers table: its typed follow-up view (prio.followup with the table''s key in its own type), NULL when none.';

CREATE FUNCTION @extschema@._sources_named()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF @extschema@.restoring() THEN
        -- a dumped row: its OID was the dumped database's
        NEW.reloid := pg_catalog.to_regclass(NEW.relname);
        IF NEW.reloid IS NULL THEN
            RAISE WARNING 'prio: tracked table % is not in this database: it is not tracked any more', NEW.relname
                USING DETAIL = pg_catalog.format('The dump does not have it (pg_dump --exclude-table?): its row of prio.sources (source_id %s, %s) is left out; the other tracked tables are restored.',
                                                 NEW.source_id, NEW.role),
                      HINT = CASE NEW.role
                                  WHEN 'activities' THEN 'The restored state still counts its rows: run SELECT prio.recompute() once the restore is done.'
                                  -- (their regclass column failed the COPY of every row)
                                  ELSE pg_catalog.format('%s: if it mirrored any row, that restore failed and loaded none of its rows. Restore from a dump that keeps the table (pg_dump --exclude-table-data leaves out its rows only).',
                                                         CASE NEW.role WHEN 'customers' THEN 'prio.customers and prio.tier_history name it too'
                                                                       ELSE 'prio.deals names it too' END) END;
            RETURN NULL;
        END IF;
    ELSE
        SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) INTO NEW.relname
          FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
         WHERE c.oid OPERATOR(pg_catalog.=) NEW.reloid;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'relation with OID % does not exist', NEW.reloid USING ERRCODE = '42P01';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@._sources_named() IS
'Trigger (BEFORE INSERT on prio.sources): names a newly tracked table (relname); a restore''s row finds its table by that name (reloid), and one whose table is not in the database is left out with a WARNING.';
REVOKE ALL ON FUNCTION @extschema@._sources_named() FROM PUBLIC;
CREATE TRIGGER sources_named
    BEFORE INSERT ON @extschema@.sources
    FOR EACH ROW EXECUTE FUNCTION @extschema@._sources_named();

-- A tracked table renamed or moved (ALTER TABLE ... RENAME, SET SCHEMA;
-- ALTER SCHEMA ... RENAME): its name follows, so a dump names the table it
-- has.  Never fails the DDL for prio's sake.
CREATE FUNCTION @extschema@.track_rename()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_state text;
    v_msg text;
BEGIN
    IF @extschema@.restoring() THEN
        RETURN;
    END IF;
    IF TG_EVENT OPERATOR(pg_catalog.=) 'sql_drop' THEN
        -- a tracked table dropped has no name: named by its OID (as the
        -- update from 0.4 names one), so a restore does not take a table
        -- created under its old name since for it
        UPDATE @extschema@.sources s SET relname = s.reloid::pg_catalog.text
         WHERE s.reloid OPERATOR(pg_catalog.=) ANY
               (SELECT d.objid FROM pg_catalog.pg_event_trigger_dropped_objects() d
                 WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                   AND d.objsubid OPERATOR(pg_catalog.=) 0)
           AND s.relname OPERATOR(pg_catalog.<>) s.reloid::pg_catalog.text;
        RETURN;
    END IF;
    UPDATE @extschema@.sources s
       SET relname = pg_catalog.format('%I.%I', n.nspname, c.relname)
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
     WHERE c.oid OPERATOR(pg_catalog.=) s.reloid
       AND s.relname OPERATOR(pg_catalog.<>) pg_catalog.format('%I.%I', n.nspname, c.relname);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT;
    -- what any statement may raise is raised again
    IF pg_catalog.left(v_state, 2) OPERATOR(pg_catalog.=) ANY ('{40,53,57}'::text[]) OR v_state OPERATOR(pg_catalog.=) '55P03' THEN
        RAISE;
    END IF;
    RAISE WARNING 'prio: the new name of a tracked table was not noted: %', v_msg
        USING DETAIL = pg_catalog.format('SQLSTATE %s; the change itself went through.', v_state),
              HINT = 'A dump taken now may not find the table on restore, or take another of its name: prio.untrack() (and prio.track()) it.';
END
$$;
COMMENT ON FUNCTION @extschema@.track_rename() IS
'Event trigger (ddl_command_end of ALTER TABLE and ALTER SCHEMA): keeps prio.sources.relname the tracked tables'' current names, which a restore finds them by; (sql_drop of DROP TABLE, DROP SCHEMA, DROP OWNED) names a tracked table dropped by its OID, which no restore finds; never fails the DDL for prio''s sake (a WARNING).';
REVOKE ALL ON FUNCTION @extschema@.track_rename() FROM PUBLIC;
CREATE EVENT TRIGGER prio_track_rename ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'ALTER SCHEMA')
    EXECUTE FUNCTION @extschema@.track_rename();
COMMENT ON EVENT TRIGGER prio_track_rename IS
'prio: keeps the names of tracked tables in prio.sources as they are renamed or moved, for a restore (prio.track_rename()).';
CREATE EVENT TRIGGER prio_track_rename_drop ON sql_drop
    WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED')
    EXECUTE FUNCTION @extschema@.track_rename();
COMMENT ON EVENT TRIGGER prio_track_rename_drop IS
'prio: names a tracked table dropped by its OID in prio.sources, so a restore does not take a table created under its name since for it (prio.track_rename()).';
