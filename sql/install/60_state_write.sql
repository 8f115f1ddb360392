------------------------------------------------------------------------
-- Engine: writing state.  One C pipeline (src/engine/refold.c, sweep.c,
-- state_write.c): lock the customers rows and then the state rows in
-- customer_id order (so concurrent writers never deadlock), read the
-- activities afterwards (so they see what committed meanwhile), fold,
-- evaluate, write the rows that differ with history and NOTIFY.
------------------------------------------------------------------------

-- Everyone at once (C, src/engine/sweep.c): one pass over each table.  They read
-- the tables directly, past privileges and row-level security, so only
-- prio's own SECURITY DEFINER functions call them.
CREATE FUNCTION @extschema@.sweep_rebuild(why text, force boolean)
RETURNS integer
AS 'MODULE_PATHNAME', 'prio_sweep_rebuild'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.sweep_rebuild(text, boolean) IS
'Internal (rebuild of everyone): locks customer_state EXCLUSIVE, folds every customer again from one scan of the activities, evaluates now and writes the rows that differ (all when force), with history "<why>: <rule>"; returns how many customers'' stored facts differed.  Holds the activities within maintenance_work_mem (in passes beyond it).';

CREATE FUNCTION @extschema@.sweep_due(as_of timestamptz)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'prio_sweep_due'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.sweep_due(timestamptz) IS
'Internal (refresh): the customers whose stored facts, evaluated as of as_of, give another evaluation than the stored one, in customer_id order (NULL: none); reads without locks.';

CREATE FUNCTION @extschema@.rebuild(ids bigint[], why text, force boolean)
RETURNS integer
AS 'MODULE_PATHNAME', 'prio_rebuild'
LANGUAGE C VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.rebuild(bigint[], text, boolean) IS
'Internal (C, src/engine/refold.c): lock (customers rows, then state rows, in customer_id order), refold from all their activities and re-evaluate now the given customers (NULL: everyone, by prio.sweep_rebuild), writing the rows that differ (every row when force) with history "<why>: <rule>"; the state''s owner follows the customer''s; returns how many had stored facts that differed from the refold.';

CREATE FUNCTION @extschema@.reevaluate(ids bigint[], as_of timestamptz, why text)
RETURNS integer
AS 'MODULE_PATHNAME', 'prio_reevaluate'
LANGUAGE C VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.reevaluate(bigint[], timestamptz, text) IS
'Internal (C, src/engine/refold.c): lock the given customers'' state rows in customer_id order and evaluate their stored facts as of as_of, writing the rows whose evaluation differs with history "<why>: <rule>"; returns how many changed tier or stage.';

CREATE FUNCTION @extschema@.state_writes(OUT path text, OUT statements bigint, OUT state_rows bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'prio_state_writes'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.state_writes() IS
'How this session has written prio.customer_state rows so far: path executor (rows the trigger or a sweep located, updated through the executor as an UPDATE would, its triggers and constraints included) or update (the SQL UPDATE, used when row-level security, a rule, a trigger with transition tables or an executor hook is on the table), each with its statements and rows.';
