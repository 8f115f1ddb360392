-- prio's statement triggers on a tracked table (0.5: and on each partition
-- of a partitioned one).  A statement naming a
-- partition (an INSERT, a COPY, an UPDATE, a DELETE, a TRUNCATE of it)
-- fires the partition's statement triggers, not its parent's, and one
-- naming the parent fires the parent's only (TRUNCATE aside, which fires
-- every emptied table's: prio.source_changed() follows the first of a
-- statement): each partition needs prio's own, reading its own transition
-- tables.  Only what is missing is created, so the update from 0.4 calls
-- it again for tables tracked then.  (Not on a foreign partition, which
-- cannot have transition tables, nor on a table that merely inherits: a
-- tracked plain table is read without its children, ONLY.)
CREATE FUNCTION @extschema@._track_triggers(source regclass, source_id integer)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_rel regclass;
    v_op text;
    v_ref text;
    v_name name;
BEGIN
    -- (pg_partition_tree() gives nothing of a table not partitioned)
    FOR v_rel IN SELECT source
                  UNION ALL
                 SELECT t.relid FROM pg_catalog.pg_partition_tree(source) t
                   JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.relid
                  WHERE t.relid OPERATOR(pg_catalog.<>) source
                    AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p}'::"char"[])
                  ORDER BY 1 LOOP
        FOR v_op, v_ref IN VALUES ('INSERT', 'REFERENCING NEW TABLE AS new_rows'),
                                  ('UPDATE', 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'),
                                  ('DELETE', 'REFERENCING OLD TABLE AS old_rows'), ('TRUNCATE', '') LOOP
            v_name := pg_catalog.format('prio_%s_%s', source_id,
                                        CASE v_op WHEN 'INSERT' THEN 'inserted' WHEN 'UPDATE' THEN 'updated'
                                                  WHEN 'DELETE' THEN 'deleted' ELSE 'truncated' END);
            CONTINUE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t
                                   WHERE t.tgrelid OPERATOR(pg_catalog.=) v_rel AND t.tgname OPERATOR(pg_catalog.=) v_name);
            EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.source_changed(%L)',
                                      v_name, v_op, v_rel, v_ref, source_id);
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@._track_triggers(regclass, integer) IS
'Internal: creates prio''s statement triggers (INSERT, UPDATE, DELETE with transition tables, TRUNCATE) calling prio.source_changed(source_id) on a tracked table and, of a partitioned one, on each of its partitions, where they are missing.';
REVOKE ALL ON FUNCTION @extschema@._track_triggers(regclass, integer) FROM PUBLIC;

-- (0.5) Partition maintenance of a tracked partitioned table: a partition
-- created later (CREATE TABLE ... PARTITION OF) or attached gets prio's
-- triggers; one detached loses them (the table is the application's again,
-- as it was); rows that come or go with an ATTACH, a DETACH or a DROP TABLE
-- of a partition change the tracked table without a statement trigger, so
-- the whole source is folded again (prio._track_refold_source()).
CREATE FUNCTION @extschema@._track_keys_gone(source_id integer)
RETURNS void
AS 'MODULE_PATHNAME', 'prio_track_keys_gone'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@._track_keys_gone(integer) IS
'Internal (C, src/engine/source_tracked.c): removes the customers of a tracked customers table whose keys it no longer has (its compiled DELETE over every key of its key map), as a TRUNCATE of one of its partitions does.';
REVOKE ALL ON FUNCTION @extschema@._track_keys_gone(integer) FROM PUBLIC;

CREATE FUNCTION @extschema@._track_refold_source(source_id integer)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- the compiled SQL parsed as track() wrote it (track.c, PrioTrackedParseBegin())
SET standard_conforming_strings = on
SET array_nulls = on
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET bytea_output = 'hex'
SET lc_monetary = 'C'
SET lc_numeric = 'C'
SET lc_time = 'C'
AS $$
DECLARE
    v_src record;
    v_a record;
    v_sql text;
BEGIN
    -- (only while its table is what track() compiled the SQL for: a table
    -- renamed, changed or dropped is not read)
    SELECT s.source_id, s.relid, s.role, s.compiled INTO v_src
      FROM @extschema@.sources s WHERE s.source_id OPERATOR(pg_catalog.=) _track_refold_source.source_id
       AND s.signature OPERATOR(pg_catalog.=) @extschema@._track_signature(s.relid, s.compiled);
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF v_src.role OPERATOR(pg_catalog.=) 'customers' THEN
        -- its rows new to prio mirrored, those gone removed, then its
        -- activities tables' customers folded (the new ones' activities)
        -- and its deals tables mirrored again (the new ones' deals)
        FOR v_sql IN SELECT pg_catalog.jsonb_array_elements_text(v_src.compiled OPERATOR(pg_catalog.->) 'LOAD') LOOP
            EXECUTE v_sql;
        END LOOP;
        PERFORM @extschema@._track_keys_gone(v_src.source_id);
        FOR v_a IN SELECT s.source_id FROM @extschema@.sources s
                    WHERE (s.role OPERATOR(pg_catalog.=) 'activities'
                           AND s.compiled OPERATOR(pg_catalog.->>) 'customers' OPERATOR(pg_catalog.=) v_src.source_id::text)
                       OR (s.role OPERATOR(pg_catalog.=) 'deals'
                           AND s.compiled OPERATOR(pg_catalog.->>) 'deal_customers' OPERATOR(pg_catalog.=) v_src.source_id::text)
                    ORDER BY s.source_id LOOP
            PERFORM @extschema@._track_refold_source(v_a.source_id);
        END LOOP;
    ELSIF v_src.role OPERATOR(pg_catalog.=) 'activities' THEN
        -- as its TRUNCATE: every customer of its customers table, their rows
        -- of that table locked first
        FOR v_sql IN SELECT pg_catalog.jsonb_array_elements_text(v_src.compiled OPERATOR(pg_catalog.->) 'TRUNCATE') LOOP
            EXECUTE v_sql;
        END LOOP;
    ELSIF v_src.role OPERATOR(pg_catalog.=) 'deals' THEN
        -- mirrored again as recompute() does (a row prio
        -- cannot mirror leaves its deals as they were but for those of
        -- rows gone: a WARNING and last_error, the partitions' triggers stay)
        PERFORM @extschema@._track_deals_load(v_src.source_id);
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._track_refold_source(integer) IS
'Internal: folds a tracked table into prio again as a whole (of a customers table: its new rows mirrored, the customers of keys gone removed, its activities tables'' customers folded, its deals tables mirrored again; of an activities table: every customer of its customers table; of a deals table: its rows mirrored again, prio._track_deals_load()), after a partition came or went with its rows (or, of a deals table, one was truncated); nothing while the table is not what prio.track() compiled its SQL for.';
REVOKE ALL ON FUNCTION @extschema@._track_refold_source(integer) FROM PUBLIC;

-- A partition's change that did not reach prio (the event triggers' handler):
-- what any statement may raise is raised again, anything else noted and
-- raised as a WARNING (the DDL goes through).
CREATE FUNCTION @extschema@._track_ddl_failed(source_id integer, state text, message text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.left(state, 2) OPERATOR(pg_catalog.=) ANY ('{40,53,57}'::text[]) OR state OPERATOR(pg_catalog.=) '55P03' THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message;
    END IF;
    PERFORM @extschema@._track_note_error(source_id, message);
    RAISE WARNING 'prio: this change of the partitions of % did not reach prio: %',
          (SELECT s.relid FROM @extschema@.sources s WHERE s.source_id OPERATOR(pg_catalog.=) _track_ddl_failed.source_id), message
        USING DETAIL = pg_catalog.format('SQLSTATE %s; the change itself went through.', state),
              HINT = 'See prio.tracked.last_error; prio.recompute() resynchronises the activities.';
END
$$;
COMMENT ON FUNCTION @extschema@._track_ddl_failed(integer, text, text) IS
'Internal (prio.track_ddl(), prio.track_drop()): an error that kept a partition''s change from reaching prio: raised again when any statement may raise it (serialization failure, deadlock, lock timeout, resources, cancel), otherwise noted in prio.tracked.last_error and raised as a WARNING.';
REVOKE ALL ON FUNCTION @extschema@._track_ddl_failed(integer, text, text) FROM PUBLIC;

-- A partition maintained: ddl_command_end of CREATE TABLE and ALTER TABLE
-- (the table itself, or the partitioned table of an ATTACH or DETACH).  The
-- DDL never fails for prio's sake: an error is noted (prio.tracked.last_error)
-- and raised as a WARNING, prio's part undone, as prio.source_changed() does.
CREATE FUNCTION @extschema@.track_ddl()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_src record;
    v_rel regclass;
    v_refold boolean;
    v_state text;
    v_msg text;
BEGIN
    IF @extschema@.restoring() THEN
        RETURN;
    END IF;
    FOR v_src IN SELECT DISTINCT s.source_id, s.relid, s.role
                   FROM pg_catalog.pg_event_trigger_ddl_commands() c
                   CROSS JOIN LATERAL pg_catalog.pg_partition_ancestors(c.objid) a(relid)
                   JOIN @extschema@.sources s ON s.relid OPERATOR(pg_catalog.=) a.relid
                  WHERE c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND c.objsubid OPERATOR(pg_catalog.=) 0
                    -- (a table without its own, as in a restore's post-data
                    -- before the dump's CREATE TRIGGER: prio does not follow
                    -- it, and triggers made here would fail those)
                    AND EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t
                                 WHERE t.tgrelid OPERATOR(pg_catalog.=) s.relid
                                   AND t.tgname OPERATOR(pg_catalog.=) pg_catalog.format('prio_%s_inserted', s.source_id))
                  ORDER BY s.source_id LOOP
        BEGIN
            v_refold := false;
            -- partitions detached: prio's triggers go, their rows left prio
            FOR v_rel IN SELECT DISTINCT t.tgrelid::pg_catalog.regclass FROM pg_catalog.pg_trigger t
                          WHERE t.tgname OPERATOR(pg_catalog.=) pg_catalog.format('prio_%s_inserted', v_src.source_id)
                            AND t.tgfoid OPERATOR(pg_catalog.=) '@extschema@.source_changed()'::pg_catalog.regprocedure
                            AND t.tgrelid OPERATOR(pg_catalog.<>) v_src.relid
                            AND t.tgrelid OPERATOR(pg_catalog.<>) ALL (SELECT p.relid FROM pg_catalog.pg_partition_tree(v_src.relid) p
                                                                      WHERE p.relid IS NOT NULL)
                          ORDER BY 1 LOOP
                PERFORM @extschema@._track_untrigger(v_rel, v_src.source_id);
                EXECUTE pg_catalog.format('SELECT EXISTS (SELECT 1 FROM ONLY %s) OR %L', v_rel, v_refold) INTO v_refold;
            END LOOP;
            -- partitions new (created: empty) or attached (with their rows)
            FOR v_rel IN SELECT p.relid FROM pg_catalog.pg_partition_tree(v_src.relid) p
                           JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.relid
                          WHERE p.relid OPERATOR(pg_catalog.<>) v_src.relid AND c.relkind OPERATOR(pg_catalog.=) 'r'
                            AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t
                                             WHERE t.tgrelid OPERATOR(pg_catalog.=) p.relid
                                               AND t.tgname OPERATOR(pg_catalog.=) pg_catalog.format('prio_%s_inserted', v_src.source_id))
                          ORDER BY 1 LOOP
                EXECUTE pg_catalog.format('SELECT EXISTS (SELECT 1 FROM ONLY %s) OR %L', v_rel, v_refold) INTO v_refold;
            END LOOP;
            PERFORM @extschema@._track_triggers(v_src.relid, v_src.source_id);
            IF v_refold THEN
                PERFORM @extschema@._track_refold_source(v_src.source_id);
            END IF;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT;
            PERFORM @extschema@._track_ddl_failed(v_src.source_id, v_state, v_msg);
        END;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.track_ddl() IS
'Event trigger (ddl_command_end of CREATE TABLE and ALTER TABLE): a partition created in or attached to a tracked partitioned table gets prio''s triggers, one detached loses them, and rows that came or went with it are folded in again (the whole table); never fails the DDL for prio''s sake (a WARNING and prio.tracked.last_error).';
REVOKE ALL ON FUNCTION @extschema@.track_ddl() FROM PUBLIC;
CREATE EVENT TRIGGER prio_track_ddl ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
    EXECUTE FUNCTION @extschema@.track_ddl();
COMMENT ON EVENT TRIGGER prio_track_ddl IS
'prio: keeps prio''s triggers on the partitions of tracked partitioned tables, and their rows folded in, as partitions are created, attached and detached (prio.track_ddl()).';

-- A partition dropped: its rows left the tracked table (prio's triggers went
-- with it; their names give the source).
CREATE FUNCTION @extschema@.track_drop()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id integer;
    v_state text;
    v_msg text;
BEGIN
    IF @extschema@.restoring() THEN
        RETURN;
    END IF;
    -- (the signature is checked by _track_refold_source(), for the sources
    -- whose triggers were dropped only, not for every source on every DROP)
    FOR v_id IN SELECT s.source_id FROM @extschema@.sources s
                 WHERE pg_catalog.format('prio_%s_inserted', s.source_id) OPERATOR(pg_catalog.=) ANY
                       (SELECT d.address_names[3] FROM pg_catalog.pg_event_trigger_dropped_objects() d
                         WHERE d.object_type OPERATOR(pg_catalog.=) 'trigger')
                 ORDER BY 1 LOOP
        BEGIN
            PERFORM @extschema@._track_refold_source(v_id);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT;
            PERFORM @extschema@._track_ddl_failed(v_id, v_state, v_msg);
        END;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.track_drop() IS
'Event trigger (sql_drop of DROP TABLE, DROP SCHEMA, DROP OWNED): a partition of a tracked partitioned table dropped with its rows folds that table into prio again (the whole table); never fails the DROP for prio''s sake (a WARNING and prio.tracked.last_error).';
REVOKE ALL ON FUNCTION @extschema@.track_drop() FROM PUBLIC;
CREATE EVENT TRIGGER prio_track_drop ON sql_drop
    WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED')
    EXECUTE FUNCTION @extschema@.track_drop();
COMMENT ON EVENT TRIGGER prio_track_drop IS
'prio: folds a tracked partitioned table into prio again when one of its partitions is dropped with its rows (prio.track_drop()).';

-- prio's triggers off a table (a partition detached)
CREATE FUNCTION @extschema@._track_untrigger(rel regclass, source_id integer)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_trigger name;
BEGIN
    FOR v_trigger IN SELECT t.tgname FROM pg_catalog.pg_trigger t
                      WHERE t.tgrelid OPERATOR(pg_catalog.=) rel
                        AND t.tgfoid OPERATOR(pg_catalog.=) '@extschema@.source_changed()'::pg_catalog.regprocedure
                        AND t.tgname OPERATOR(pg_catalog.=) ANY (ARRAY[pg_catalog.format('prio_%s_inserted', source_id),
                                                                       pg_catalog.format('prio_%s_updated', source_id),
                                                                       pg_catalog.format('prio_%s_deleted', source_id),
                                                                       pg_catalog.format('prio_%s_truncated', source_id)]::name[])
                      ORDER BY t.tgname LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', v_trigger, rel);
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@._track_untrigger(regclass, integer) IS
'Internal: drops prio''s statement triggers of source_id from a table (prio.untrack(): from the partitions of the tracked table, and those detached since; prio.track_ddl(): from a partition detached).';
REVOKE ALL ON FUNCTION @extschema@._track_untrigger(regclass, integer) FROM PUBLIC;
