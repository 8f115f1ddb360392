-- prio 0.3 -> 0.4.  Add-only: what 0.4 changes in the catalog, in the order
-- of the install script's parts (sql/install/).
\echo Use "ALTER EXTENSION prio UPDATE TO '0.4'" to load this file. \quit

CREATE FUNCTION @extschema@.state_writes(OUT path text, OUT statements bigint, OUT state_rows bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'prio_state_writes'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.state_writes() IS
'How this session has written prio.customer_state rows so far: path executor (rows the trigger or a sweep located, updated through the executor as an UPDATE would, its triggers and constraints included) or update (the SQL UPDATE, used when row-level security, a rule, a trigger with transition tables or an executor hook is on the table), each with its statements and rows.';
