-- prio's statement triggers on a tracked table (0.5: and on each partition
-- of a partitioned customers or activities table).  A statement naming a
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
                    AND (c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p}'::"char"[])
                         AND NOT EXISTS (SELECT 1 FROM @extschema@.sources s
                                          WHERE s.source_id OPERATOR(pg_catalog.=) _track_triggers.source_id
                                            AND s.role OPERATOR(pg_catalog.=) 'deals'))
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
'Internal: creates prio''s statement triggers (INSERT, UPDATE, DELETE with transition tables, TRUNCATE) calling prio.source_changed(source_id) on a tracked table and, of a partitioned customers or activities table, on each of its partitions, where they are missing.';
REVOKE ALL ON FUNCTION @extschema@._track_triggers(regclass, integer) FROM PUBLIC;
