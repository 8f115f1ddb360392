------------------------------------------------------------------------
-- Tracked tables (issue 18): prio.track() attaches prio to an
-- application's own table.  A tracked customers table is mirrored into
-- prio.customers through a typed key map (prio.keys_<source_id>); its
-- statement triggers run SQL compiled once by track() and stored in
-- prio.sources, through one generic trigger function.
------------------------------------------------------------------------

CREATE FUNCTION @extschema@._track_check_owner(source regclass, action text)
RETURNS void
AS 'MODULE_PATHNAME', 'prio_track_check_owner'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@._track_check_owner(regclass, text) IS
'Internal (C): raises 42501 unless the role that called prio (SET ROLE included) owns the table or is a member of its owner.';
REVOKE ALL ON FUNCTION @extschema@._track_check_owner(regclass, text) FROM PUBLIC;

CREATE FUNCTION @extschema@._track_compile(source regclass, key text, expr text, want regtype,
    OUT sql text, OUT type regtype, OUT attnum smallint, OUT collation oid, OUT btree boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'prio_track_compile'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@._track_compile(regclass, text, text, regtype) IS
'Internal (C): parses one mapping expression over a row of the table with search_path pg_catalog, checks it (columns, constants and immutable built-in functions only; the type want, NULL for any) and returns it deparsed, with its type, column number (0: an expression), collation and whether the type has a btree equality.';
REVOKE ALL ON FUNCTION @extschema@._track_compile(regclass, text, text, regtype) FROM PUBLIC;

-- Customers of tracked tables get negative ids, apart from the keys
-- applications give prio.customers themselves.
CREATE SEQUENCE @extschema@.source_customer_ids INCREMENT BY -1 MAXVALUE -1 START WITH -1;
COMMENT ON SEQUENCE @extschema@.source_customer_ids IS
'Internal ids (negative) of the customers mirrored from tracked tables.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.source_customer_ids', '');

CREATE FUNCTION @extschema@._new_customer_id()
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    LOOP
        v_id := pg_catalog.nextval('@extschema@.source_customer_ids');
        -- an id an application gave prio.customers itself is skipped
        EXIT WHEN NOT EXISTS (SELECT 1 FROM @extschema@.customers c
                               WHERE c.customer_id OPERATOR(pg_catalog.=) v_id);
    END LOOP;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION @extschema@._new_customer_id() IS
'Internal: the next free id for a customer mirrored from a tracked table (negative).';
REVOKE ALL ON FUNCTION @extschema@._new_customer_id() FROM PUBLIC;

CREATE FUNCTION @extschema@._track_signature(source regclass, compiled jsonb)
RETURNS text
LANGUAGE sql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||)
           pg_catalog.quote_ident(c.relname) OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||)
           (SELECT pg_catalog.string_agg(pg_catalog.concat_ws(' ', pg_catalog.quote_ident(a.attname),
                                                              a.atttypid::pg_catalog.regtype, a.atttypmod,
                                                              a.attcollation::pg_catalog.regcollation),
                                         ', ' ORDER BY a.attnum)
              FROM pg_catalog.pg_attribute a
             WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
               -- a column the compiled SQL may name (its name as the SQL
               -- writes it appears in one of its strings, at any depth: an
               -- activities table's EVENTS, ON_CUSTOMERS ...; more columns
               -- than it names is safe)
               AND EXISTS (SELECT 1 FROM pg_catalog.jsonb_path_query(compiled, 'strict $.** ? (@.type() == "string")') q
                            WHERE pg_catalog.strpos(q OPERATOR(pg_catalog.#>>) '{}', pg_catalog.quote_ident(a.attname)) OPERATOR(pg_catalog.>) 0))
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
     WHERE c.oid OPERATOR(pg_catalog.=) source;
END;
COMMENT ON FUNCTION @extschema@._track_signature(regclass, jsonb) IS
'Internal: a table''s name and the columns its compiled SQL names (name, type, typmod, collation, in order) as text, by name only (the same after pg_dump and restore, which give collations new OIDs and drop dropped columns); prio''s triggers run a tracked table''s compiled SQL only while it equals what prio.track() checked.  Columns the SQL does not name may be added, dropped or changed.';

CREATE TABLE @extschema@.sources (
    source_id     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    relid         regclass NOT NULL UNIQUE,
    role          text NOT NULL CHECK (role IN ('customers', 'activities', 'deals')),
    mapping       jsonb NOT NULL CHECK (pg_catalog.jsonb_typeof(mapping) OPERATOR(pg_catalog.=) 'object'),
    key_type      regtype NOT NULL,
    key_map       regclass,
    compiled      jsonb NOT NULL DEFAULT '{}',
    signature     text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    last_error    text,
    last_error_at timestamptz
);
COMMENT ON TABLE @extschema@.sources IS
'One row per application table prio tracks (prio.track()); written by prio.track() and prio.untrack() only.';
COMMENT ON COLUMN @extschema@.sources.source_id IS 'Generated; names the key map (prio.keys_<source_id>) and the triggers (prio_<source_id>_...).';
COMMENT ON COLUMN @extschema@.sources.relid IS 'The tracked table.';
COMMENT ON COLUMN @extschema@.sources.role IS 'What its rows are: customers, activities or (0.5) deals.';
COMMENT ON COLUMN @extschema@.sources.mapping IS 'The mapping given to prio.track(): prio''s names to the table''s columns or SQL expressions over its row.';
COMMENT ON COLUMN @extschema@.sources.key_type IS 'Type of the table''s key (a domain''s base type).';
COMMENT ON COLUMN @extschema@.sources.key_map IS 'The key map: the table''s key to prio''s internal customer id.';
COMMENT ON COLUMN @extschema@.sources.compiled IS 'SQL the triggers run, per operation (INSERT, UPDATE, DELETE, TRUNCATE; LOAD: the first load of the table), compiled by prio.track() from the checked mapping; of an activities table also EVENTS (its event source: customer_id, at, tiebreak, kind, amount), KINDS (its unmapped kinds), ON_CUSTOMERS (run by the customers table''s triggers), customers and customer_map (the customers table''s source_id and key map).';
COMMENT ON COLUMN @extschema@.sources.signature IS 'The table''s name and the columns the compiled SQL names (name, type, typmod, collation) when prio.track() checked the mapping: while they differ, prio''s triggers do nothing but warn.';
COMMENT ON COLUMN @extschema@.sources.created_at IS 'When prio.track() ran.';
COMMENT ON COLUMN @extschema@.sources.last_error IS 'The last error that kept a change of the table from reaching prio (the application''s write went through; NULL: none).';
COMMENT ON COLUMN @extschema@.sources.last_error_at IS 'When last_error happened.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sources', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sources_source_id_seq', '');
COMMENT ON SEQUENCE @extschema@.sources_source_id_seq IS 'Generates prio.sources.source_id.';

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
COMMENT ON COLUMN @extschema@.tracked.last_error IS 'The last error that kept a change from reaching prio (NULL: none).';
COMMENT ON COLUMN @extschema@.tracked.last_error_at IS 'When.';
COMMENT ON COLUMN @extschema@.tracked.followup_view IS 'Of a customers table: its typed follow-up view (prio.followup with the table''s key in its own type), NULL when none.';

-- prio.sources.last_error is bookkeeping: writers of a tracked table must
-- never wait for each other on it, nor fail on it.  A row another writer is
-- noting an error in is skipped (SKIP LOCKED); one changed since this
-- transaction's snapshot (REPEATABLE READ) is left as it is; in a
-- SERIALIZABLE transaction nothing is written (two writers both noting an
-- error would be a read/write cycle, failing one of them at COMMIT).  The
-- WARNING is raised in every case.
CREATE FUNCTION @extschema@._track_note_error(source_id integer, message text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.=) 'serializable' THEN
        RETURN;
    END IF;
    BEGIN
        UPDATE @extschema@.sources s SET last_error = message, last_error_at = pg_catalog.now()
         WHERE s.source_id OPERATOR(pg_catalog.=) (SELECT l.source_id FROM @extschema@.sources l
                                                   WHERE l.source_id OPERATOR(pg_catalog.=) _track_note_error.source_id
                                                   FOR UPDATE SKIP LOCKED);
    EXCEPTION WHEN serialization_failure THEN
        NULL;
    END;
END
$$;
COMMENT ON FUNCTION @extschema@._track_note_error(integer, text) IS
'Internal: notes the error that kept a change of a tracked table from reaching prio in prio.sources.last_error, unless that would make the writer wait or fail (another writer noting one, a newer version than its snapshot, a SERIALIZABLE transaction).';
REVOKE ALL ON FUNCTION @extschema@._track_note_error(integer, text) FROM PUBLIC;

-- The one trigger function of every tracked table (C,
-- engine/source_tracked.c).  It runs as prio's owner (it writes prio's
-- tables, which the application's roles may not), the SQL prio.track()
-- compiled from a checked mapping, each statement prepared once per
-- session; an INSERT or COPY into an activities table continues its
-- customers' fold from the new rows alone, as prio.activities' own insert
-- trigger does.  The application's write never fails because of prio: an
-- error here (a mapping expression that fails on a row, a constraint a
-- user added to prio.customers) is recorded in prio.sources and raised as
-- a WARNING, and prio's side of the statement is undone; only what the
-- server raises for any statement (serialization failure, deadlock, lock
-- timeout, out of memory or disk, cancel) is raised.
CREATE FUNCTION @extschema@.source_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_source_changed'
LANGUAGE C
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
-- never a policy of the application's table, run as prio's owner
SET row_security = off
-- the compiled SQL is parsed here, in the writer's session: its string
-- and array constants must read as track() wrote them (with
-- standard_conforming_strings off a backslash would end a constant early
-- and let a mapping's text become SQL run as prio's owner)
SET standard_conforming_strings = on
SET array_nulls = on
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3;
COMMENT ON FUNCTION @extschema@.source_changed() IS
'Statement trigger of every tracked table (argument: its source_id): runs the SQL prio.track() compiled for the operation over the transition tables, keeping prio''s mirror of the table live.  Never fails the application''s write for prio''s sake: an error is recorded (prio.tracked.last_error) and raised as a WARNING.';
REVOKE ALL ON FUNCTION @extschema@.source_changed() FROM PUBLIC;

CREATE FUNCTION @extschema@._track_triggers(source regclass, source_id integer)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_op text;
    v_ref text;
BEGIN
    FOR v_op, v_ref IN VALUES ('INSERT', 'REFERENCING NEW TABLE AS new_rows'),
                              ('UPDATE', 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'),
                              ('DELETE', 'REFERENCING OLD TABLE AS old_rows'), ('TRUNCATE', '') LOOP
        EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.source_changed(%L)',
                                  pg_catalog.format('prio_%s_%s', source_id,
                                                    CASE v_op WHEN 'INSERT' THEN 'inserted' WHEN 'UPDATE' THEN 'updated'
                                                              WHEN 'DELETE' THEN 'deleted' ELSE 'truncated' END),
                                  v_op, source, v_ref, source_id);
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@._track_triggers(regclass, integer) IS
'Internal: creates prio''s statement triggers (INSERT, UPDATE, DELETE with transition tables, TRUNCATE) on a tracked table, calling prio.source_changed(source_id).';
REVOKE ALL ON FUNCTION @extschema@._track_triggers(regclass, integer) FROM PUBLIC;

-- The typed follow-up view of a tracked customers table: prio.followup
-- with the table's key, in its own type and named as its column, so a BI
-- tool joins it to the table by plain equality.  Created at run time (not a
-- member of the extension: pg_dump dumps it, after prio.followup); an
-- update of prio that drops prio.followup drops these views first and calls
-- this again for each tracked customers table.
CREATE FUNCTION @extschema@._track_view(source_id integer)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_src record;
    v_key name;
    v_view text;
    v_col record;
    v_cols text;
BEGIN
    SELECT s.relid, s.mapping, s.key_map, s.compiled OPERATOR(pg_catalog.->>) 'view' AS view INTO v_src
      FROM @extschema@.sources s
     WHERE s.source_id OPERATOR(pg_catalog.=) _track_view.source_id AND s.role OPERATOR(pg_catalog.=) 'customers';
    IF NOT FOUND OR v_src.view IS NULL THEN
        RETURN;
    END IF;
    SELECT a.attname INTO STRICT v_key
      FROM @extschema@._track_compile(v_src.relid, 'key', v_src.mapping OPERATOR(pg_catalog.->>) 'key', NULL) c
      JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) v_src.relid AND a.attnum OPERATOR(pg_catalog.=) c.attnum;
    v_view := pg_catalog.format('@extschema@.%I', v_src.view);
    -- followup's columns as they are now (one named as the key is left out)
    SELECT pg_catalog.string_agg(pg_catalog.format('f.%I', a.attname), ', ' ORDER BY a.attnum) INTO v_cols
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) '@extschema@.followup'::pg_catalog.regclass
       AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped AND a.attname OPERATOR(pg_catalog.<>) v_key;
    EXECUTE pg_catalog.format($q$CREATE VIEW %s WITH (security_invoker = true) AS
SELECT m.key AS %I, %s
  FROM @extschema@.followup f
  JOIN %s m ON m.customer_id OPERATOR(pg_catalog.=) f.customer_id
 ORDER BY f.priority DESC, f.next_due_at, f.customer_id$q$, v_view, v_key, v_cols, v_src.key_map);
    EXECUTE pg_catalog.format('COMMENT ON VIEW %s IS %L', v_view,
        pg_catalog.format('prio.followup of the customers of tracked table %s, with their key %I in its own type: join it to the table by plain equality.  Created by prio.track(), dropped by prio.untrack().',
                          v_src.relid, v_key));
    EXECUTE pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', v_view, v_key,
        pg_catalog.format('The customer''s key in %s (its column %I, of its type).', v_src.relid, v_key));
    FOR v_col IN SELECT a.attname, pg_catalog.col_description(a.attrelid, a.attnum) AS d
                   FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid OPERATOR(pg_catalog.=) '@extschema@.followup'::pg_catalog.regclass
                    AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
                    AND a.attname OPERATOR(pg_catalog.<>) v_key
                  ORDER BY a.attnum LOOP
        EXECUTE pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', v_view, v_col.attname, v_col.d);
    END LOOP;
    -- security_invoker: whoever reads it needs prio.followup's tables and
    -- the key map (its policy: the customers they can see)
    EXECUTE pg_catalog.format('GRANT SELECT ON %s TO PUBLIC', v_view);
END
$$;
COMMENT ON FUNCTION @extschema@._track_view(integer) IS
'Internal: creates the typed follow-up view of a tracked customers table (prio.sources.compiled ->> ''view''): prio.followup joined to its key map, the key in its own type named as the table''s key column.';
REVOKE ALL ON FUNCTION @extschema@._track_view(integer) FROM PUBLIC;

CREATE FUNCTION @extschema@.track(source regclass, role text, mapping jsonb)
RETURNS void
LANGUAGE plpgsql
-- It creates the key map in prio's schema, triggers on the table, and
-- writes prio.customers: as prio's owner, once the caller is known to own
-- the table (prio._track_check_owner).
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET row_security = off
-- constants written into the compiled SQL as source_changed() reads them
SET standard_conforming_strings = on
SET array_nulls = on
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
AS $$
DECLARE
    v_cls record;
    v_k text;
    v_v jsonb;
    v_a text;
    v_c record;
    v_events jsonb := '[]';
    v_evexprs jsonb := '[]';
    v_m jsonb;
    v_custs text[];
    v_kvals text;
    v_has text;
    v_exprs jsonb := '{}';
    v_attrs text := '';
    v_key record;
    v_id integer;
    v_map text;
    v_app text;
    v_eq text;
    v_sel text;
    v_set text := '';
    v_rename text;
    v_upd_cmp text;
    v_op text;
    v_ks text;
    v_stmts text[];
    v_compiled jsonb := '{}';
    v_sql text;
    v_n bigint;
    v_cs record;
    v_view text;
    v_lock text;
BEGIN
    IF source IS NULL OR role IS NULL OR mapping IS NULL THEN
        RAISE EXCEPTION 'prio.track(): source, role and mapping must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- track() loads the table's rows once its triggers are on it (their lock
    -- waits for every writer): a REPEATABLE READ or SERIALIZABLE snapshot,
    -- taken before, would miss rows committed in between, forever
    IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.<>) 'read committed' THEN
        RAISE EXCEPTION 'prio.track() must run in a READ COMMITTED transaction, not %',
                        pg_catalog.upper(pg_catalog.current_setting('transaction_isolation'))
            USING ERRCODE = '25001',
                  DETAIL = 'Its snapshot would miss rows the application commits before track() locks the table.',
                  HINT = 'Call prio.track() outside a REPEATABLE READ or SERIALIZABLE transaction.';
    END IF;
    IF role OPERATOR(pg_catalog.<>) ALL ('{customers,activities,deals}'::text[]) THEN
        RAISE EXCEPTION 'prio.track(): role must be customers, activities or deals, not "%"', role
            USING ERRCODE = '22023';
    END IF;

    SELECT c.relkind, c.relispartition, c.relpersistence, n.nspname, c.relname,
           (SELECT pc.oid::regclass FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid OPERATOR(pg_catalog.=) i.inhparent
             WHERE i.inhrelid OPERATOR(pg_catalog.=) c.oid LIMIT 1) AS parent
      INTO v_cls
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
     WHERE c.oid OPERATOR(pg_catalog.=) source;
    IF v_cls.relkind OPERATOR(pg_catalog.<>) ALL ('{r,p}'::"char"[]) THEN
        RAISE EXCEPTION '% is %, not a table', source,
              CASE v_cls.relkind WHEN 'v' THEN 'a view' WHEN 'm' THEN 'a materialized view'
                                 WHEN 'f' THEN 'a foreign table' WHEN 'S' THEN 'a sequence'
                                 WHEN 'c' THEN 'a composite type' WHEN 'i' THEN 'an index'
                                 WHEN 'I' THEN 'an index' ELSE 'no table' END
            USING ERRCODE = '42809',
                  HINT = 'prio tracks the table whose rows the application writes (its triggers see every change).';
    END IF;
    IF v_cls.relispartition THEN
        RAISE EXCEPTION '% is a partition of %', source, v_cls.parent
            USING ERRCODE = '42809', HINT = 'Track the partitioned table: rows written through it do not fire a partition''s statement triggers.';
    END IF;
    IF v_cls.relpersistence OPERATOR(pg_catalog.=) 't' THEN
        RAISE EXCEPTION '% is a temporary table', source
            USING ERRCODE = '42809', HINT = 'prio tracks permanent (or unlogged) tables.';
    END IF;
    IF v_cls.nspname OPERATOR(pg_catalog.=) '@extschema@' THEN
        RAISE EXCEPTION '% is prio''s own table', source
            USING ERRCODE = '42809', HINT = 'prio.customers and prio.activities are prio''s own tables already; track the application''s tables.';
    END IF;
    PERFORM @extschema@._track_check_owner(source, 'track');
    -- prio's triggers and recompute() read every row of the table as
    -- prio's owner (CURRENT_USER here): it must be allowed to, and no
    -- row-level security policy may hide rows from it (a fold of some of a
    -- customer's activities would be a wrong score, not a smaller one)
    IF NOT (pg_catalog.has_schema_privilege(v_cls.nspname, 'USAGE') AND pg_catalog.has_table_privilege(source, 'SELECT')
            AND pg_catalog.has_table_privilege(source, 'TRIGGER')) THEN
        RAISE EXCEPTION 'prio.track(): prio''s owner % may not read % or create triggers on it', CURRENT_USER, source
            USING ERRCODE = '42501',
                  HINT = pg_catalog.format('GRANT USAGE ON SCHEMA %I TO %I; GRANT SELECT, TRIGGER ON %s TO %I; prio reads the table and keeps its state live with triggers, as its owner.',
                                           v_cls.nspname, CURRENT_USER, source, CURRENT_USER);
    END IF;
    IF pg_catalog.row_security_active(source) THEN
        RAISE EXCEPTION 'prio.track(): row-level security of % applies to prio''s owner %', source, CURRENT_USER
            USING ERRCODE = '42501',
                  DETAIL = 'prio scores a customer from all of its rows; a policy would hide some of them from prio.',
                  HINT = pg_catalog.format('ALTER ROLE %I BYPASSRLS (prio shows rows to its readers through its own owner isolation), or disable row-level security on %s.', CURRENT_USER, source);
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.sources s WHERE s.relid OPERATOR(pg_catalog.=) source) THEN
        RAISE EXCEPTION 'table % is tracked already', source
            USING ERRCODE = '42710', HINT = 'prio.untrack() it first to change its mapping (see prio.tracked).';
    END IF;
    -- (0.5) an opportunities table: its rows mirrored into prio.deals
    IF role OPERATOR(pg_catalog.=) 'deals' THEN
        PERFORM @extschema@._track_deals(source, mapping);
        RETURN;
    END IF;

    -- the mapping, checked and compiled.  An activities mapping may give
    -- several events per row: an array of mappings, or "events" holding one
    -- (the mapping's other keys shared by every event, such as the
    -- customer); it is stored as {..., "events": [...]}.
    IF role OPERATOR(pg_catalog.=) 'activities' AND pg_catalog.jsonb_typeof(mapping) OPERATOR(pg_catalog.=) 'array' THEN
        mapping := pg_catalog.jsonb_build_object('events', mapping);
    END IF;
    IF role OPERATOR(pg_catalog.=) 'activities' AND pg_catalog.jsonb_typeof(mapping) OPERATOR(pg_catalog.=) 'object'
       AND mapping OPERATOR(pg_catalog.?) 'events' THEN
        IF pg_catalog.jsonb_typeof(mapping OPERATOR(pg_catalog.->) 'events') OPERATOR(pg_catalog.<>) 'array'
           OR pg_catalog.jsonb_array_length(mapping OPERATOR(pg_catalog.->) 'events') OPERATOR(pg_catalog.=) 0 THEN
            RAISE EXCEPTION 'prio.track(): mapping key "events" must be a non-empty JSON array of event mappings, not %', mapping OPERATOR(pg_catalog.->) 'events'
                USING ERRCODE = '22023',
                      HINT = 'Such as "events": [{"kind": "''engagement''", "at": "engaged_on"}, {"kind": "outcome", "at": "closed_on", "amount": "value"}].';
        END IF;
        FOR v_n, v_v IN SELECT e.n, e.v FROM pg_catalog.jsonb_array_elements(mapping OPERATOR(pg_catalog.->) 'events') WITH ORDINALITY e(v, n) ORDER BY e.n LOOP
            IF pg_catalog.jsonb_typeof(v_v) OPERATOR(pg_catalog.<>) 'object' THEN
                RAISE EXCEPTION 'prio.track(): event % of the mapping must be a JSON object, not %', v_n, v_v
                    USING ERRCODE = '22023', HINT = 'Each event is a mapping such as {"kind": "type", "at": "happened_at"}.';
            END IF;
            v_v := (mapping OPERATOR(pg_catalog.-) 'events') OPERATOR(pg_catalog.||) v_v;
            v_events := v_events OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(v_v);
            v_evexprs := v_evexprs OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(
                @extschema@._track_mapping(source, role, v_v, pg_catalog.format('event %s', v_n)));
        END LOOP;
        -- one customers table for all of them
        IF (SELECT pg_catalog.count(DISTINCT COALESCE(e OPERATOR(pg_catalog.->>) 'customers', ''))
              FROM pg_catalog.jsonb_array_elements(v_events) e) OPERATOR(pg_catalog.>) 1 THEN
            RAISE EXCEPTION 'prio.track(): the events of the mapping name different customers tables'
                USING ERRCODE = '22023', HINT = 'Give "customers" once, beside "events".';
        END IF;
    ELSE
        v_events := pg_catalog.jsonb_build_array(mapping);
        v_evexprs := pg_catalog.jsonb_build_array(@extschema@._track_mapping(source, role, mapping, NULL));
    END IF;
    -- the first event's keys stand for all where they must agree (the
    -- customer's type, the customers table)
    v_m := v_events OPERATOR(pg_catalog.->) 0;
    v_exprs := v_evexprs OPERATOR(pg_catalog.->) 0;

    IF role OPERATOR(pg_catalog.=) 'activities' THEN
        -- (several events per row: every one's customer is of one type)
        FOR v_n, v_v IN SELECT e.n, e.x FROM pg_catalog.jsonb_array_elements(v_evexprs) WITH ORDINALITY e(x, n)
                         WHERE e.n OPERATOR(pg_catalog.>) 1 ORDER BY e.n LOOP
            IF (v_v OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type') OPERATOR(pg_catalog.<>)
               (v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type') THEN
                RAISE EXCEPTION 'prio.track(): event %: the customer % is of type %, but event 1''s (%) is of type %', v_n,
                      v_events OPERATOR(pg_catalog.->) (v_n::integer OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog.->>) 'customer',
                      v_v OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type',
                      v_m OPERATOR(pg_catalog.->>) 'customer', v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type'
                    USING ERRCODE = '42804', HINT = 'Every event''s customer is a key of the same customers table: cast it to that type.';
            END IF;
        END LOOP;
        -- Its customer is the key of a tracked customers table: the one
        -- named by "customers", else the one whose key is of the same type.
        IF v_m OPERATOR(pg_catalog.?) 'customers' THEN
            SELECT s.source_id, s.relid, s.mapping, s.key_map, s.key_type INTO v_cs FROM @extschema@.sources s
             WHERE s.role OPERATOR(pg_catalog.=) 'customers'
               AND s.relid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(v_m OPERATOR(pg_catalog.->>) 'customers');
            IF NOT FOUND THEN
                RAISE EXCEPTION 'prio.track(): mapping key "customers" (%) is not a table tracked as customers', v_m OPERATOR(pg_catalog.->>) 'customers'
                    USING ERRCODE = '42704', HINT = 'prio.tracked lists the tracked tables; track the customers table first.';
            END IF;
            IF v_cs.key_type OPERATOR(pg_catalog.<>) (v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type')::pg_catalog.regtype THEN
                RAISE EXCEPTION 'prio.track(): the activities'' customer % is of type %, but the key of % is of type %',
                      v_m OPERATOR(pg_catalog.->>) 'customer', v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type',
                      v_m OPERATOR(pg_catalog.->>) 'customers', v_cs.key_type
                    USING ERRCODE = '42804', HINT = 'Cast the customer in the mapping to the key''s type.';
            END IF;
        ELSE
            SELECT pg_catalog.count(*) INTO v_n FROM @extschema@.sources s
             WHERE s.role OPERATOR(pg_catalog.=) 'customers'
               AND s.key_type OPERATOR(pg_catalog.=) (v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type')::pg_catalog.regtype;
            IF v_n OPERATOR(pg_catalog.<>) 1 THEN
                RAISE EXCEPTION 'prio.track(): the activities'' customer % is of type %, and % tracked customers table has a key of that type',
                      v_m OPERATOR(pg_catalog.->>) 'customer', v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type',
                      CASE WHEN v_n OPERATOR(pg_catalog.=) 0 THEN 'no' ELSE 'more than one' END
                    USING ERRCODE = CASE WHEN v_n OPERATOR(pg_catalog.=) 0 THEN '42704' ELSE '22023' END,
                          HINT = CASE WHEN v_n OPERATOR(pg_catalog.=) 0
                                      THEN 'Track the customers table first (prio.track(''...'', ''customers'', ...)); the activities'' customer refers to its key.'
                                      ELSE 'Name it in the mapping: "customers": "schema.table".' END;
            END IF;
            SELECT s.source_id, s.relid, s.mapping, s.key_map, s.key_type INTO v_cs FROM @extschema@.sources s
             WHERE s.role OPERATOR(pg_catalog.=) 'customers'
               AND s.key_type OPERATOR(pg_catalog.=) (v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type')::pg_catalog.regtype;
        END IF;
        -- the activities change those customers' state: the caller must
        -- own the customers table too (not only the activities table)
        PERFORM @extschema@._track_check_owner(v_cs.relid, 'attach activities to');
        -- prio's triggers lock the customers' rows of the customers table
        -- (below), as prio's owner
        IF NOT pg_catalog.has_any_column_privilege(v_cs.relid, 'UPDATE') THEN
            RAISE EXCEPTION 'prio.track(): prio''s owner % may not lock the rows of %', CURRENT_USER, v_cs.relid
                USING ERRCODE = '42501',
                      DETAIL = 'A change of the activities locks its customers'' rows of the customers table (FOR NO KEY UPDATE) before prio''s own, so that writers never deadlock.',
                      HINT = pg_catalog.format('GRANT UPDATE (%s) ON %s TO %I.', v_cs.mapping OPERATOR(pg_catalog.->>) 'key', v_cs.relid, CURRENT_USER);
        END IF;
        -- the key map's equality, as the customers table's was found
        SELECT o.oprnamespace::regnamespace::text, o.oprname INTO v_c
          FROM pg_catalog.pg_index i
          JOIN pg_catalog.pg_opclass oc ON oc.oid OPERATOR(pg_catalog.=) i.indclass[0]
          JOIN pg_catalog.pg_amop ao ON ao.amopfamily OPERATOR(pg_catalog.=) oc.opcfamily
                                    AND ao.amoplefttype OPERATOR(pg_catalog.=) oc.opcintype
                                    AND ao.amoprighttype OPERATOR(pg_catalog.=) oc.opcintype
                                    AND ao.amopstrategy OPERATOR(pg_catalog.=) 3
                                    AND ao.amopmethod OPERATOR(pg_catalog.=) oc.opcmethod
          JOIN pg_catalog.pg_operator o ON o.oid OPERATOR(pg_catalog.=) ao.amopopr
         WHERE i.indrelid OPERATOR(pg_catalog.=) v_cs.key_map AND i.indisprimary;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'key map % has no primary key', v_cs.key_map USING ERRCODE = '55000';
        END IF;
        v_eq := pg_catalog.format('OPERATOR(%I.%s)', v_c.oprnamespace, v_c.oprname);
        -- the customer is compared with that operator by name, as the
        -- customers key is (see below): a customer column of a domain would
        -- pick it among operators anyone may add to its schema
        FOR v_n, v_v IN SELECT e.n, e.x FROM pg_catalog.jsonb_array_elements(v_evexprs) WITH ORDINALITY e(x, n) ORDER BY e.n LOOP
            IF v_c.oprnamespace OPERATOR(pg_catalog.<>) 'pg_catalog'
               AND (SELECT t.typtype FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
                     WHERE a.attrelid OPERATOR(pg_catalog.=) source
                       AND a.attnum OPERATOR(pg_catalog.=) (v_v OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'attnum')::smallint) OPERATOR(pg_catalog.=) 'd' THEN
                RAISE EXCEPTION 'prio.track(): the activities'' customer % is of a domain over %, whose equality is not a built-in operator',
                      v_events OPERATOR(pg_catalog.->) (v_n::integer OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog.->>) 'customer', v_cs.key_type
                    USING ERRCODE = '42804',
                          HINT = pg_catalog.format('Make the customer column of type %s itself.', v_cs.key_type);
            END IF;
        END LOOP;
        -- the customer expressions of the events, each once, in event order
        SELECT pg_catalog.array_agg(c.sql ORDER BY c.n) INTO v_custs
          FROM (SELECT x OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'sql' AS sql, pg_catalog.min(n) AS n
                  FROM pg_catalog.jsonb_array_elements(v_evexprs) WITH ORDINALITY e(x, n) GROUP BY 1) c;
        v_app := pg_catalog.format('%s%I.%I', CASE WHEN v_cls.relkind OPERATOR(pg_catalog.=) 'r' THEN 'ONLY ' ELSE '' END,
                                   v_cls.nspname, v_cls.relname);

        -- The event source: one row per row of the table that prio folds,
        -- (customer_id, at, tiebreak, kind, amount).  Ignored: a row whose
        -- customer, at or kind is NULL (or at infinite; an amount NaN or
        -- infinite is no amount), whose customer is not mapped, whose
        -- kind is not in prio.activity_kinds (prio.unmapped_kinds counts
        -- them).  One dated after now is a planned touch: the fold keeps it
        -- aside (customer_state.next_planned_at) until refresh() folds it.
        -- Events at the same instant are folded in the order of tiebreak, a
        -- hash of the kind and the amount: the same order on every path.
        -- A mapping of several events per row gives each row's events
        -- through a LATERAL VALUES list (one row of it per event), the same
        -- output columns; the table is named once per customer expression
        -- (once when the events share the customer).
        IF pg_catalog.jsonb_array_length(v_evexprs) OPERATOR(pg_catalog.=) 1 THEN
            v_sel := pg_catalog.format($q$SELECT m.customer_id, e.at,
       pg_catalog.hashtextextended(pg_catalog.concat_ws(' ', e.kind, e.amount), 0) AS tiebreak, e.kind, e.amount
  FROM (SELECT (%1$s) AS k, (%2$s) AS at, (%3$s) AS kind,
               CASE WHEN NOT %4$s OPERATOR(pg_catalog.=) ANY ('{NaN,Infinity,-Infinity}'::numeric[]) THEN %4$s END AS amount
          FROM %5$s) e
  JOIN %6$s m ON m.key %7$s e.k
 WHERE e.kind IS NOT NULL AND pg_catalog.isfinite(e.at)
   AND EXISTS (SELECT 1 FROM @extschema@.activity_kinds ak WHERE ak.kind OPERATOR(pg_catalog.=) e.kind)$q$,
                v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'sql',
                v_exprs OPERATOR(pg_catalog.->) 'at' OPERATOR(pg_catalog.->>) 'sql',
                v_exprs OPERATOR(pg_catalog.->) 'kind' OPERATOR(pg_catalog.->>) 'sql',
                CASE WHEN v_exprs OPERATOR(pg_catalog.?) 'amount'
                     THEN '(' OPERATOR(pg_catalog.||) (v_exprs OPERATOR(pg_catalog.->) 'amount' OPERATOR(pg_catalog.->>) 'sql') OPERATOR(pg_catalog.||) ')'
                     ELSE 'NULL::numeric' END,
                v_app, v_cs.key_map, v_eq);
        ELSE
            -- one SELECT per customer expression (one for most mappings),
            -- joined on it as the single mapping is: a refold of a few
            -- customers reaches the table through its index on the column
            SELECT pg_catalog.string_agg(pg_catalog.format($q$SELECT m.customer_id, e.at,
       pg_catalog.hashtextextended(pg_catalog.concat_ws(' ', e.kind, e.amount), 0) AS tiebreak, e.kind, e.amount
  FROM (SELECT (%1$s) AS k, v.at, v.kind,
               CASE WHEN NOT v.amount OPERATOR(pg_catalog.=) ANY ('{NaN,Infinity,-Infinity}'::numeric[]) THEN v.amount END AS amount
          FROM %2$s CROSS JOIN LATERAL (VALUES %3$s) v(at, kind, amount)) e
  JOIN %4$s m ON m.key %5$s e.k
 WHERE e.kind IS NOT NULL AND pg_catalog.isfinite(e.at)
   AND EXISTS (SELECT 1 FROM @extschema@.activity_kinds ak WHERE ak.kind OPERATOR(pg_catalog.=) e.kind)$q$,
                       g.customer, v_app, g.vals, v_cs.key_map, v_eq), E'\nUNION ALL\n' ORDER BY g.n)
              INTO v_sel
              FROM (SELECT x OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'sql' AS customer, pg_catalog.min(n) AS n,
                           pg_catalog.string_agg(pg_catalog.format('((%s), (%s), %s)',
                                                                   x OPERATOR(pg_catalog.->) 'at' OPERATOR(pg_catalog.->>) 'sql',
                                                                   x OPERATOR(pg_catalog.->) 'kind' OPERATOR(pg_catalog.->>) 'sql',
                                                                   CASE WHEN x OPERATOR(pg_catalog.?) 'amount'
                                                                        THEN '(' OPERATOR(pg_catalog.||) (x OPERATOR(pg_catalog.->) 'amount' OPERATOR(pg_catalog.->>) 'sql') OPERATOR(pg_catalog.||) ')'
                                                                        ELSE 'NULL::numeric' END), ', ' ORDER BY n) AS vals
                      FROM pg_catalog.jsonb_array_elements(v_evexprs) WITH ORDINALITY e(x, n)
                     GROUP BY 1) g;
            SELECT pg_catalog.string_agg(pg_catalog.format('((%s))', x OPERATOR(pg_catalog.->) 'kind' OPERATOR(pg_catalog.->>) 'sql'), ', ' ORDER BY n)
              INTO v_kvals
              FROM pg_catalog.jsonb_array_elements(v_evexprs) WITH ORDINALITY e(x, n);
        END IF;
        -- the kinds prio does not know, and how many rows (events) each has
        IF pg_catalog.jsonb_array_length(v_evexprs) OPERATOR(pg_catalog.=) 1 THEN
            v_rename := pg_catalog.format($q$SELECT e.kind, pg_catalog.count(*) AS n
  FROM (SELECT (%1$s) AS kind FROM %2$s) e
 WHERE NOT EXISTS (SELECT 1 FROM @extschema@.activity_kinds ak WHERE ak.kind OPERATOR(pg_catalog.=) e.kind)
 GROUP BY e.kind$q$, v_exprs OPERATOR(pg_catalog.->) 'kind' OPERATOR(pg_catalog.->>) 'sql', v_app);
        ELSE
            v_rename := pg_catalog.format($q$SELECT e.kind, pg_catalog.count(*) AS n
  FROM (SELECT v.kind FROM %1$s CROSS JOIN LATERAL (VALUES %2$s) v(kind)) e
 WHERE NOT EXISTS (SELECT 1 FROM @extschema@.activity_kinds ak WHERE ak.kind OPERATOR(pg_catalog.=) e.kind)
 GROUP BY e.kind$q$, v_app, v_kvals);
        END IF;
        -- A change refolds the customers it touched from the table (the
        -- rows before and after it); TRUNCATE, every customer of the
        -- customers table.  First it locks those customers' rows of the
        -- customers table, in key order, as the application's UPDATE of one
        -- does (FOR NO KEY UPDATE): prio's own locks (rebuild: prio.customers
        -- rows, then state rows) come after the application's in every
        -- writer, so a transaction writing an activity and then its customer
        -- row does not deadlock with one writing them the other way round.
        SELECT pg_catalog.format('%s%I.%I', CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'r' THEN 'ONLY ' ELSE '' END,
                                 n.nspname, c.relname),
               (SELECT k.sql FROM @extschema@._track_compile(v_cs.relid, 'key', v_cs.mapping OPERATOR(pg_catalog.->>) 'key', NULL) k)
          INTO v_lock, v_k
          FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
         WHERE c.oid OPERATOR(pg_catalog.=) v_cs.relid;
        FOREACH v_op IN ARRAY '{INSERT,UPDATE,DELETE}'::text[] LOOP
            SELECT pg_catalog.string_agg(
                       CASE v_op WHEN 'INSERT' THEN pg_catalog.format('SELECT (%s) AS k FROM new_rows', c.sql)
                                 WHEN 'DELETE' THEN pg_catalog.format('SELECT (%s) AS k FROM old_rows', c.sql)
                                 ELSE pg_catalog.format('SELECT (%1$s) AS k FROM old_rows UNION SELECT (%1$s) FROM new_rows', c.sql) END,
                       ' UNION ' ORDER BY c.n)
              INTO v_ks FROM pg_catalog.unnest(v_custs) WITH ORDINALITY c(sql, n);
            v_compiled := v_compiled OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(v_op, ARRAY[
                pg_catalog.format($q$SELECT 1 FROM %1$s t WHERE EXISTS (SELECT 1 FROM (%2$s) s WHERE s.k %3$s t.%4$s) ORDER BY t.%4$s FOR NO KEY UPDATE OF t$q$,
                                  v_lock, v_ks, v_eq, v_k),
                pg_catalog.format(
                $q$SELECT @extschema@.rebuild(ARRAY(SELECT DISTINCT m.customer_id FROM (%1$s) s JOIN %2$s m ON m.key %3$s s.k ORDER BY 1), %4$L, true)$q$,
                v_ks, v_cs.key_map, v_eq,
                CASE v_op WHEN 'INSERT' THEN 'activity' WHEN 'UPDATE' THEN 'activity update' ELSE 'activity delete' END)]);
            IF v_op OPERATOR(pg_catalog.=) 'INSERT' THEN
                -- (the lock alone, for the INSERT path that continues the fold)
                v_compiled := v_compiled OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('INSERT_LOCK',
                    pg_catalog.jsonb_build_array(v_compiled OPERATOR(pg_catalog.->) 'INSERT' OPERATOR(pg_catalog.->) 0));
            END IF;
        END LOOP;
        -- run by the customers table's trigger (INSERT, UPDATE): customers
        -- new whose activities are in the table already, and under a new key
        SELECT c.sql INTO v_k FROM @extschema@._track_compile(v_cs.relid, 'key', v_cs.mapping OPERATOR(pg_catalog.->>) 'key', NULL) c;
        SELECT pg_catalog.string_agg(pg_catalog.format('EXISTS (SELECT 1 FROM %s t WHERE (%s) %s m.key)', v_app, c.sql, v_eq), ' OR ' ORDER BY c.n)
          INTO v_has FROM pg_catalog.unnest(v_custs) WITH ORDINALITY c(sql, n);
        v_compiled := v_compiled OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('ON_CUSTOMERS', pg_catalog.jsonb_build_object(
            'INSERT', ARRAY[pg_catalog.format(
                $q$SELECT @extschema@.rebuild(ARRAY(SELECT m.customer_id FROM (SELECT (%1$s) AS k FROM new_rows) s JOIN %2$s m ON m.key %3$s s.k WHERE %4$s ORDER BY 1), 'customer', true)$q$,
                v_k, v_cs.key_map, v_eq, v_has)],
            -- (under a new key every customer: the rows of its old key are
            -- its no more, whether or not rows have the new one)
            'UPDATE', ARRAY[pg_catalog.format(
                $q$SELECT @extschema@.rebuild(ARRAY(SELECT m.customer_id FROM (SELECT (%1$s) AS k FROM new_rows EXCEPT SELECT (%1$s) FROM old_rows) s JOIN %2$s m ON m.key %3$s s.k ORDER BY 1), 'customer', true)$q$,
                v_k, v_cs.key_map, v_eq)]));
        v_compiled := v_compiled OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(
            'TRUNCATE', ARRAY[pg_catalog.format($q$SELECT @extschema@.rebuild(ARRAY(SELECT m.customer_id FROM %s m ORDER BY 1), 'activities truncated', true)$q$, v_cs.key_map)],
            'LOAD', ARRAY[pg_catalog.format($q$SELECT @extschema@.rebuild(ARRAY(SELECT m.customer_id FROM %s m ORDER BY 1), 'track', true)$q$, v_cs.key_map)],
            'EVENTS', v_sel, 'KINDS', v_rename, 'customers', v_cs.source_id, 'customer_map', v_cs.key_map::text);
        INSERT INTO @extschema@.sources (relid, role, mapping, key_type, compiled, signature)
        VALUES (source, role, mapping, v_cs.key_type, v_compiled, @extschema@._track_signature(source, v_compiled))
        RETURNING source_id INTO v_id;
        PERFORM @extschema@._track_triggers(source, v_id);
        FOR v_k IN SELECT c.customer FROM (SELECT e OPERATOR(pg_catalog.->>) 'customer' AS customer, pg_catalog.min(n) AS n
                                             FROM pg_catalog.jsonb_array_elements(v_events) WITH ORDINALITY x(e, n)
                                            WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                                                               WHERE i.indrelid OPERATOR(pg_catalog.=) source AND i.indisvalid AND i.indpred IS NULL
                                                                 AND i.indkey[0] OPERATOR(pg_catalog.=) (v_evexprs OPERATOR(pg_catalog.->) (n::integer OPERATOR(pg_catalog.-) 1)
                                                                                                         OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'attnum')::smallint
                                                                 AND i.indkey[0] OPERATOR(pg_catalog.<>) 0)
                                            GROUP BY 1) c ORDER BY c.n LOOP
            RAISE NOTICE 'prio: % has no index on its customer column %: every change of it reads the table through', source, v_k
                USING HINT = pg_catalog.format('CREATE INDEX ON %s (%s);', source, v_k);
        END LOOP;
        -- the table's rows now: its customers folded again with them
        FOR v_sql IN SELECT pg_catalog.jsonb_array_elements_text(v_compiled OPERATOR(pg_catalog.->) 'LOAD') LOOP
            EXECUTE v_sql;
        END LOOP;
        EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM (%s) x', v_sel) INTO v_n;
        RAISE NOTICE 'prio: tracking % as activities: % activities of the customers of %', source, v_n,
              (SELECT s.relid FROM @extschema@.sources s WHERE s.source_id OPERATOR(pg_catalog.=) v_cs.source_id);
        RETURN;
    END IF;

    -- customers: the key is a column with a unique index, so one row of the
    -- table is one customer
    SELECT (v_exprs OPERATOR(pg_catalog.->) 'key' OPERATOR(pg_catalog.->>) 'attnum')::smallint AS attnum,
           (v_exprs OPERATOR(pg_catalog.->) 'key' OPERATOR(pg_catalog.->>) 'type')::pg_catalog.regtype AS type,
           (v_exprs OPERATOR(pg_catalog.->) 'key' OPERATOR(pg_catalog.->>) 'collation')::oid AS collation,
           v_exprs OPERATOR(pg_catalog.->) 'key' OPERATOR(pg_catalog.->>) 'sql' AS sql
      INTO v_key;
    IF v_key.attnum OPERATOR(pg_catalog.<=) 0 THEN
        RAISE EXCEPTION 'prio.track(): the customers key must be a column of %, not an expression (%)', source, mapping OPERATOR(pg_catalog.->>) 'key'
            USING ERRCODE = '22023', HINT = 'Map "key" to the column that identifies a customer (with a unique index).';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                    WHERE i.indrelid OPERATOR(pg_catalog.=) source AND i.indisunique AND i.indimmediate
                      AND i.indisvalid AND i.indnkeyatts OPERATOR(pg_catalog.=) 1
                      AND i.indkey[0] OPERATOR(pg_catalog.=) v_key.attnum
                      AND i.indpred IS NULL AND i.indexprs IS NULL) THEN
        RAISE EXCEPTION 'prio.track(): the customers key % of % has no unique index', v_key.sql, source
            USING ERRCODE = '42P10',
                  HINT = pg_catalog.format('One row per customer: CREATE UNIQUE INDEX ON %s (%s) (or a primary key, not deferrable).', source, v_key.sql);
    END IF;
    -- prio compares keys (the key map, the triggers' SQL) with the equality
    -- of the table's unique index, under the column's collation: the index
    -- is what makes one row one customer.  (A unique index COLLATE "C" on a
    -- case-insensitive column lets "a" and "A" both in: prio, comparing them
    -- as the column does, would take them for one customer.)
    SELECT o.oprnamespace::regnamespace::text AS oprnamespace, o.oprname INTO v_c
      FROM pg_catalog.pg_index i
      JOIN pg_catalog.pg_opclass ic ON ic.oid OPERATOR(pg_catalog.=) i.indclass[0]
      JOIN pg_catalog.pg_am am ON am.oid OPERATOR(pg_catalog.=) ic.opcmethod AND am.amname OPERATOR(pg_catalog.=) 'btree'
      JOIN pg_catalog.pg_amop ao ON ao.amopfamily OPERATOR(pg_catalog.=) ic.opcfamily
                                AND ao.amoplefttype OPERATOR(pg_catalog.=) ic.opcintype
                                AND ao.amoprighttype OPERATOR(pg_catalog.=) ic.opcintype
                                AND ao.amopstrategy OPERATOR(pg_catalog.=) 3
                                AND ao.amopmethod OPERATOR(pg_catalog.=) ic.opcmethod
      JOIN pg_catalog.pg_operator o ON o.oid OPERATOR(pg_catalog.=) ao.amopopr
     WHERE i.indrelid OPERATOR(pg_catalog.=) source AND i.indisunique AND i.indimmediate
       AND i.indisvalid AND i.indnkeyatts OPERATOR(pg_catalog.=) 1
       AND i.indkey[0] OPERATOR(pg_catalog.=) v_key.attnum
       AND i.indpred IS NULL AND i.indexprs IS NULL
       AND i.indcollation[0] OPERATOR(pg_catalog.=) v_key.collation
     ORDER BY ic.opcdefault DESC, i.indisprimary DESC, i.indexrelid
     LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'prio.track(): the unique index on the customers key % of % compares keys under another collation than the column''s', v_key.sql, source
            USING ERRCODE = '42P10',
                  HINT = pg_catalog.format('prio compares keys as the column does (collation %s): CREATE UNIQUE INDEX ON %s (%s).',
                                           COALESCE((SELECT pg_catalog.quote_ident(co.collname) FROM pg_catalog.pg_collation co
                                                      WHERE co.oid OPERATOR(pg_catalog.=) v_key.collation), 'none'),
                                           source, v_key.sql);
    END IF;
    v_eq := pg_catalog.format('OPERATOR(%I.%s)', v_c.oprnamespace, v_c.oprname);
    -- The triggers compare keys with that operator by name, and a domain's
    -- values pick it among the operators of its schema by their types: one
    -- outside pg_catalog could be shadowed by an operator on the domain that
    -- whoever may create in that schema adds, and run as prio's owner.
    IF v_c.oprnamespace OPERATOR(pg_catalog.<>) 'pg_catalog'
       AND (SELECT t.typtype FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
             WHERE a.attrelid OPERATOR(pg_catalog.=) source AND a.attnum OPERATOR(pg_catalog.=) v_key.attnum) OPERATOR(pg_catalog.=) 'd' THEN
        RAISE EXCEPTION 'prio.track(): the customers key % is of a domain over %, whose equality is not a built-in operator', v_key.sql, v_key.type
            USING ERRCODE = '42804',
                  HINT = pg_catalog.format('Make the key column of type %s itself.', v_key.type);
    END IF;

    -- the typed follow-up view's name (prio.followup_<table> unless the
    -- mapping names it, or says false: none), free in prio's schema
    v_view := CASE WHEN NOT mapping OPERATOR(pg_catalog.?) 'view' THEN 'followup_' OPERATOR(pg_catalog.||) v_cls.relname
                   WHEN mapping OPERATOR(pg_catalog.->) 'view' OPERATOR(pg_catalog.<>) 'false'::jsonb
                   THEN mapping OPERATOR(pg_catalog.->>) 'view' END;
    IF pg_catalog.octet_length(v_view) OPERATOR(pg_catalog.>=) 64 THEN
        RAISE EXCEPTION 'prio.track(): the typed follow-up view''s name % is longer than 63 bytes', v_view
            USING ERRCODE = '42622', HINT = 'Name it in the mapping: "view": "followup_..." (or "view": false for none).';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
                  AND c.relname OPERATOR(pg_catalog.=) v_view)
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_type t
                   WHERE t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
                     AND t.typname OPERATOR(pg_catalog.=) v_view) THEN
        RAISE EXCEPTION 'prio.track(): prio.% exists already: it cannot be the typed follow-up view of %', pg_catalog.quote_ident(v_view), source
            USING ERRCODE = '42P07', HINT = 'Name another in the mapping: "view": "followup_..." (or "view": false for none).';
    END IF;

    INSERT INTO @extschema@.sources (relid, role, mapping, key_type)
    VALUES (source, role, mapping, v_key.type)
    RETURNING source_id INTO v_id;
    v_map := pg_catalog.format('@extschema@.%I', 'keys_' OPERATOR(pg_catalog.||) v_id);
    IF pg_catalog.to_regclass(v_map) IS NOT NULL THEN
        -- key maps are the application's data, not members of the extension:
        -- DROP EXTENSION leaves them
        RAISE EXCEPTION 'prio.track(): % is there already, left by an earlier installation of prio', v_map
            USING ERRCODE = '42P07', HINT = pg_catalog.format('Drop it (DROP TABLE %s) if you do not need it.', v_map);
    END IF;
    v_app := pg_catalog.format('%s%I.%I', CASE WHEN v_cls.relkind OPERATOR(pg_catalog.=) 'r' THEN 'ONLY ' ELSE '' END,
                               v_cls.nspname, v_cls.relname);
    EXECUTE pg_catalog.format(
        'CREATE TABLE %s (key %s%s PRIMARY KEY DEFERRABLE, customer_id bigint NOT NULL UNIQUE REFERENCES @extschema@.customers ON DELETE CASCADE)',
        v_map, pg_catalog.format_type(v_key.type, NULL),
        (SELECT pg_catalog.format(' COLLATE %I.%I', cn.nspname, co.collname)
           FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid OPERATOR(pg_catalog.=) co.collnamespace
          WHERE co.oid OPERATOR(pg_catalog.=) v_key.collation));
    EXECUTE pg_catalog.format('COMMENT ON TABLE %s IS %L', v_map,
        pg_catalog.format('prio''s key map of tracked table %s: its key %s to prio''s customer_id (written by prio only).',
                          source, v_key.sql));
    -- Readable by anyone for the customers they can see in prio.customers
    -- (its policy, when owner isolation is on): the typed follow-up view and
    -- prio.explain(source, key) read it as the caller.  prio's own
    -- functions read it as its owner, whom the policy does not restrict.
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', v_map);
    EXECUTE pg_catalog.format($q$CREATE POLICY customers_visible ON %s
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) %s.customer_id))$q$,
        v_map, pg_catalog.quote_ident('keys_' OPERATOR(pg_catalog.||) v_id));
    EXECUTE pg_catalog.format('COMMENT ON POLICY customers_visible ON %s IS %L', v_map,
        'Keys of the customers the user can see (prio.customers'' policy).');
    EXECUTE pg_catalog.format('GRANT SELECT ON %s TO PUBLIC', v_map);

    -- one mapped customer per row, as prio.customers wants it: texts cut
    -- to prio's limits, created_at no later than now (NULL: now when new,
    -- unchanged when not), attributes a JSON object
    v_sel := pg_catalog.format('t.%s AS k', v_key.sql);
    FOR v_k, v_a IN SELECT * FROM (VALUES ('name', 'text'), ('owner', 'text'), ('backup_owner', 'text'),
                                          ('budget', 'boolean'), ('authority', 'boolean'), ('need', 'boolean'),
                                          ('timeline', 'boolean'), ('created_at', 'timestamptz')) x(k, t) LOOP
        v_sel := v_sel OPERATOR(pg_catalog.||) ', ' OPERATOR(pg_catalog.||)
                 CASE WHEN NOT v_exprs OPERATOR(pg_catalog.?) v_k THEN pg_catalog.format('NULL::%s', v_a)
                      WHEN v_k OPERATOR(pg_catalog.=) 'name' THEN pg_catalog.format('pg_catalog.left((%s), 1000)', v_exprs OPERATOR(pg_catalog.->) v_k OPERATOR(pg_catalog.->>) 'sql')
                      WHEN v_a OPERATOR(pg_catalog.=) 'text' THEN pg_catalog.format('pg_catalog.left((%s), 200)', v_exprs OPERATOR(pg_catalog.->) v_k OPERATOR(pg_catalog.->>) 'sql')
                      WHEN v_k OPERATOR(pg_catalog.=) 'created_at' THEN
                          pg_catalog.format('CASE WHEN pg_catalog.isfinite((%1$s)) THEN LEAST((%1$s), pg_catalog.now()) END',
                                            v_exprs OPERATOR(pg_catalog.->) v_k OPERATOR(pg_catalog.->>) 'sql')
                      ELSE pg_catalog.format('(%s)', v_exprs OPERATOR(pg_catalog.->) v_k OPERATOR(pg_catalog.->>) 'sql') END
                 OPERATOR(pg_catalog.||) ' AS ' OPERATOR(pg_catalog.||) v_k;
        IF v_exprs OPERATOR(pg_catalog.?) v_k THEN
            v_set := v_set OPERATOR(pg_catalog.||) CASE WHEN v_set OPERATOR(pg_catalog.=) '' THEN '' ELSE ', ' END
                     OPERATOR(pg_catalog.||)
                     CASE WHEN v_k OPERATOR(pg_catalog.=) 'created_at'
                          THEN 'created_at = COALESCE(a.created_at, c.created_at)'
                          ELSE pg_catalog.format('%1$s = a.%1$s', v_k) END;
        END IF;
    END LOOP;
    SELECT pg_catalog.string_agg(pg_catalog.format('%L, (%s)', pg_catalog.substr(e.key, 12),
                                                   e.value OPERATOR(pg_catalog.->>) 'sql'), ', ' ORDER BY e.key)
      INTO v_attrs
      FROM pg_catalog.jsonb_each(v_exprs) e WHERE e.key OPERATOR(pg_catalog.~~) 'attributes.%';
    v_sel := v_sel OPERATOR(pg_catalog.||) ', ' OPERATOR(pg_catalog.||)
             CASE WHEN v_attrs IS NULL THEN '''{}''::jsonb'
                  ELSE pg_catalog.format('pg_catalog.jsonb_build_object(%s)', v_attrs) END
             OPERATOR(pg_catalog.||) ' AS attributes';
    IF mapping OPERATOR(pg_catalog.?) 'attributes' THEN
        v_set := v_set OPERATOR(pg_catalog.||) CASE WHEN v_set OPERATOR(pg_catalog.=) '' THEN '' ELSE ', ' END
                 OPERATOR(pg_catalog.||) 'attributes = a.attributes';
    END IF;

    -- An UPDATE that changes a row's key keeps its customer (state,
    -- history; the key as text in prio.customers and prio.tier_history
    -- follows).  Row n of old_rows is the old version of row n of new_rows.
    -- Every pair moves at once, so a chain in one statement (b to c, a to
    -- b) keeps each customer with its row: the key map's primary key is
    -- checked at the end of the statement (DEFERRABLE).  A new key mapped
    -- already to a customer that is not moving away (prio missed a change)
    -- is not taken.
    v_rename := pg_catalog.format($q$
WITH o AS (SELECT %1$s AS k, pg_catalog.row_number() OVER () AS n FROM old_rows),
     nw AS (SELECT %1$s AS k, pg_catalog.row_number() OVER () AS n FROM new_rows),
     p AS (SELECT o.k AS old_k, nw.k AS new_k FROM o JOIN nw ON o.n OPERATOR(pg_catalog.=) nw.n
            WHERE o.k IS NOT NULL AND nw.k IS NOT NULL AND NOT (o.k %2$s nw.k)),
     r AS (UPDATE %3$s m SET key = p.new_k FROM p
            WHERE m.key %2$s p.old_k
              AND NOT EXISTS (SELECT 1 FROM %3$s m2 WHERE m2.key %2$s p.new_k
                                 AND NOT EXISTS (SELECT 1 FROM p p2 WHERE p2.old_k %2$s m2.key))
           RETURNING m.customer_id, m.key),
     h AS (UPDATE @extschema@.tier_history h SET customer_key = r.key::pg_catalog.text FROM r
            WHERE h.customer_id OPERATOR(pg_catalog.=) r.customer_id)
UPDATE @extschema@.customers c SET customer_key = r.key::pg_catalog.text FROM r
 WHERE c.customer_id OPERATOR(pg_catalog.=) r.customer_id$q$, v_key.sql, v_eq, v_map);
    v_upd_cmp := (SELECT pg_catalog.string_agg(
                    CASE WHEN x.k OPERATOR(pg_catalog.=) 'attributes' AND NOT mapping OPERATOR(pg_catalog.?) 'attributes' THEN 'c.attributes'
                         WHEN x.k OPERATOR(pg_catalog.=) 'attributes' THEN 'a.attributes'
                         WHEN NOT v_exprs OPERATOR(pg_catalog.?) x.k THEN 'c.' OPERATOR(pg_catalog.||) x.k
                         WHEN x.k OPERATOR(pg_catalog.=) 'created_at' THEN 'COALESCE(a.created_at, c.created_at)'
                         ELSE 'a.' OPERATOR(pg_catalog.||) x.k END, ', ' ORDER BY x.n)
                    FROM pg_catalog.unnest('{name,owner,backup_owner,budget,authority,need,timeline,created_at,attributes}'::text[])
                         WITH ORDINALITY x(k, n));
    -- Then each key the statement touched, as the table has it now: gone
    -- (the customer goes, with its state and history), changed, or new.
    -- Every piece of the mapping is formatted in once (never re-scanned).
    FOREACH v_op IN ARRAY '{INSERT,UPDATE,DELETE,LOAD}'::text[] LOOP
        v_ks := CASE v_op
            WHEN 'INSERT' THEN pg_catalog.format('SELECT %s AS k FROM new_rows', v_key.sql)
            WHEN 'DELETE' THEN pg_catalog.format('SELECT %s AS k FROM old_rows', v_key.sql)
            WHEN 'UPDATE' THEN pg_catalog.format('SELECT %1$s AS k FROM old_rows UNION SELECT %1$s FROM new_rows', v_key.sql)
            ELSE pg_catalog.format('SELECT t.%s AS k FROM %s t', v_key.sql, v_app) END;
        v_stmts := '{}';
        IF v_op OPERATOR(pg_catalog.=) 'UPDATE' THEN
            v_stmts := v_stmts OPERATOR(pg_catalog.||) v_rename;
        END IF;
        -- (after an INSERT every key it touched is in the table: nothing goes)
        IF v_op OPERATOR(pg_catalog.=) ANY ('{UPDATE,DELETE}'::text[]) THEN
            v_stmts := v_stmts OPERATOR(pg_catalog.||) pg_catalog.format($q$
WITH s AS (%5$s)
DELETE FROM @extschema@.activities x USING %1$s m
 WHERE x.customer_id OPERATOR(pg_catalog.=) m.customer_id
   AND EXISTS (SELECT 1 FROM s WHERE s.k %2$s m.key)
   AND NOT EXISTS (SELECT 1 FROM %3$s t WHERE t.%4$s %2$s m.key)$q$, v_map, v_eq, v_app, v_key.sql, v_ks);
            v_stmts := v_stmts OPERATOR(pg_catalog.||) pg_catalog.format($q$
WITH s AS (%5$s)
DELETE FROM @extschema@.customers c USING %1$s m
 WHERE c.customer_id OPERATOR(pg_catalog.=) m.customer_id
   AND EXISTS (SELECT 1 FROM s WHERE s.k %2$s m.key)
   AND NOT EXISTS (SELECT 1 FROM %3$s t WHERE t.%4$s %2$s m.key)$q$, v_map, v_eq, v_app, v_key.sql, v_ks);
        END IF;
        IF v_op OPERATOR(pg_catalog.=) ANY ('{INSERT,UPDATE}'::text[]) AND v_set OPERATOR(pg_catalog.<>) '' THEN
            v_stmts := v_stmts OPERATOR(pg_catalog.||) pg_catalog.format($q$
WITH s AS (%8$s),
     a AS (SELECT %1$s FROM %2$s t WHERE EXISTS (SELECT 1 FROM s WHERE s.k %3$s t.%4$s))
UPDATE @extschema@.customers c SET %5$s
  FROM a JOIN %6$s m ON m.key %3$s a.k
 WHERE c.customer_id OPERATOR(pg_catalog.=) m.customer_id
   AND (c.name, c.owner, c.backup_owner, c.budget, c.authority, c.need, c.timeline, c.created_at, c.attributes)
       IS DISTINCT FROM (%7$s)$q$, v_sel, v_app, v_eq, v_key.sql, v_set, v_map, v_upd_cmp, v_ks);
        END IF;
        IF v_op OPERATOR(pg_catalog.<>) 'DELETE' THEN
            v_stmts := v_stmts OPERATOR(pg_catalog.||) pg_catalog.format($q$
WITH s AS (%6$s),
     a AS (SELECT %1$s FROM %2$s t WHERE EXISTS (SELECT 1 FROM s WHERE s.k %3$s t.%4$s)),
     n AS (SELECT a.*, @extschema@._new_customer_id() AS id FROM a
            WHERE NOT EXISTS (SELECT 1 FROM %5$s m WHERE m.key %3$s a.k)),
     c AS (INSERT INTO @extschema@.customers (customer_id, name, owner, backup_owner, budget, authority, need,
                                              timeline, created_at, attributes, source, customer_key)
           SELECT n.id, n.name, n.owner, n.backup_owner, n.budget, n.authority, n.need, n.timeline,
                  COALESCE(n.created_at, pg_catalog.now()), n.attributes, %7$L::pg_catalog.regclass,
                  n.k::pg_catalog.text
             FROM n)
INSERT INTO %5$s (key, customer_id) SELECT n.k, n.id FROM n$q$, v_sel, v_app, v_eq, v_key.sql, v_map, v_ks,
                pg_catalog.format('%I.%I', v_cls.nspname, v_cls.relname));
        END IF;
        v_compiled := v_compiled OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(v_op, v_stmts);
    END LOOP;
    v_compiled := v_compiled OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('TRUNCATE', ARRAY[
        pg_catalog.format('DELETE FROM @extschema@.activities x USING %s m WHERE x.customer_id OPERATOR(pg_catalog.=) m.customer_id', v_map),
        pg_catalog.format('DELETE FROM @extschema@.customers c USING %s m WHERE c.customer_id OPERATOR(pg_catalog.=) m.customer_id', v_map)]);
    IF v_view IS NOT NULL THEN
        v_compiled := v_compiled OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('view', v_view);
    END IF;
    UPDATE @extschema@.sources s SET key_map = v_map::pg_catalog.regclass, compiled = v_compiled,
                                     signature = @extschema@._track_signature(source, v_compiled)
     WHERE s.source_id OPERATOR(pg_catalog.=) v_id;
    PERFORM @extschema@._track_view(v_id);

    PERFORM @extschema@._track_triggers(source, v_id);

    -- the table's rows now, in one pass (a row whose key is NULL is no
    -- customer until it has one)
    FOR v_sql IN SELECT pg_catalog.jsonb_array_elements_text(v_compiled OPERATOR(pg_catalog.->) 'LOAD') LOOP
        EXECUTE v_sql;
    END LOOP;
    EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s', v_map) INTO v_n;
    RAISE NOTICE 'prio: tracking % as customers: % customers', source, v_n;
END
$$;
COMMENT ON FUNCTION @extschema@.track(regclass, text, jsonb) IS
'Attaches prio to an application''s table: role customers (mapping keys key, name, owner, backup_owner, budget, authority, need, timeline, created_at, attributes: {...}, view: the name of its typed follow-up view, default followup_<table>, or false) mirrors its rows into prio.customers and keeps them live; activities (customer, kind, at, amount, note, actor, channel, external_key, customers: the tracked customers table whose key the customer is, needed when several have a key of its type) folds its rows into those customers'' state without copying them, and keeps it live; several events per row: an array of such mappings, or "events": [...] beside the keys they share; (0.5) deals (key, customer, stage: required; customers, owner, amount, expected_close, created_at, closed_at) mirrors its rows into prio.deals and keeps them live.  Each mapping value is a column name or an SQL expression over the row.  Requires owning the table, or prio''s admin role (grant_admin) with TRIGGER and SELECT on it and no policy of it applying; everything or nothing.';
REVOKE ALL ON FUNCTION @extschema@.track(regclass, text, jsonb) FROM PUBLIC;

CREATE FUNCTION @extschema@._track_mapping(source regclass, role text, mapping jsonb, part text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- errors name the part of the mapping they are about ("event 2: ")
    v_where text := COALESCE(part OPERATOR(pg_catalog.||) ': ', '');
    v_allowed text[];
    v_required text[];
    v_want jsonb;
    v_k text;
    v_v jsonb;
    v_a text;
    v_av jsonb;
    v_c record;
    v_state text;
    v_msg text;
    v_hint text;
    v_exprs jsonb := '{}';
BEGIN
    -- the mapping: its keys, the type each must give (null: any type)
    IF pg_catalog.jsonb_typeof(mapping) OPERATOR(pg_catalog.<>) 'object' THEN
        RAISE EXCEPTION 'prio.track(): %mapping must be a JSON object, not %', v_where, pg_catalog.jsonb_typeof(mapping)
            USING ERRCODE = '22023', HINT = 'Such as {"key": "id", "name": "legal_name"}.';
    END IF;
    IF role OPERATOR(pg_catalog.=) 'customers' THEN
        v_want := '{"key": null, "name": "text", "owner": "text", "backup_owner": "text",
                    "budget": "boolean", "authority": "boolean", "need": "boolean", "timeline": "boolean",
                    "created_at": "timestamp with time zone", "attributes": "object", "view": "name"}';
        v_required := '{key}';
    ELSE
        v_want := '{"customer": null, "kind": "text", "at": "timestamp with time zone", "amount": "numeric",
                    "note": "text", "actor": "text", "channel": "text", "external_key": null, "customers": "regclass"}';
        v_required := '{customer,kind,at}';
    END IF;
    SELECT pg_catalog.array_agg(k ORDER BY k) INTO v_allowed FROM pg_catalog.jsonb_object_keys(v_want) k;
    FOR v_k IN SELECT k FROM pg_catalog.jsonb_object_keys(mapping) k ORDER BY k LOOP
        IF NOT v_want OPERATOR(pg_catalog.?) v_k THEN
            RAISE EXCEPTION 'prio.track(): %mapping key "%" is not one prio knows for %', v_where, v_k, role
                USING ERRCODE = '22023',
                      HINT = 'The keys are ' OPERATOR(pg_catalog.||) pg_catalog.array_to_string(v_allowed, ', ')
                             OPERATOR(pg_catalog.||) CASE WHEN role OPERATOR(pg_catalog.=) 'customers'
                                 THEN '; put other attributes in "attributes": {"name": "column or expression"}.' ELSE '.' END;
        END IF;
    END LOOP;
    FOREACH v_k IN ARRAY v_required LOOP
        IF NOT mapping OPERATOR(pg_catalog.?) v_k THEN
            RAISE EXCEPTION 'prio.track(): %the % mapping needs the key "%"', v_where, role, v_k
                USING ERRCODE = '22023',
                      HINT = 'Required: ' OPERATOR(pg_catalog.||) pg_catalog.array_to_string(v_required, ', ') OPERATOR(pg_catalog.||) '.';
        END IF;
    END LOOP;

    -- every expression parsed and checked over the table's row, in key order
    FOR v_k, v_v IN SELECT e.key, e.value FROM pg_catalog.jsonb_each(mapping) e ORDER BY e.key LOOP
        IF v_k OPERATOR(pg_catalog.=) 'customers' THEN
            -- (activities) the tracked customers table the customer is the key of: a name
            IF pg_catalog.jsonb_typeof(v_v) OPERATOR(pg_catalog.<>) 'string' THEN
                RAISE EXCEPTION 'prio.track(): %mapping key "customers" must name the tracked customers table (a JSON string), not %', v_where, v_v
                    USING ERRCODE = '22023';
            END IF;
            CONTINUE;
        END IF;
        IF v_k OPERATOR(pg_catalog.=) 'view' THEN
            -- (customers) the name of its typed follow-up view, or false: none
            IF NOT (v_v OPERATOR(pg_catalog.=) 'false'::jsonb
                    OR (pg_catalog.jsonb_typeof(v_v) OPERATOR(pg_catalog.=) 'string'
                        AND (v_v OPERATOR(pg_catalog.#>>) '{}') OPERATOR(pg_catalog.<>) '')) THEN
                RAISE EXCEPTION 'prio.track(): mapping key "view" must name the typed follow-up view (a JSON string) or be false (no view), not %', v_v
                    USING ERRCODE = '22023';
            END IF;
            CONTINUE;
        END IF;
        IF v_k OPERATOR(pg_catalog.=) 'attributes' THEN
            IF pg_catalog.jsonb_typeof(v_v) OPERATOR(pg_catalog.<>) 'object' THEN
                RAISE EXCEPTION 'prio.track(): %mapping key "attributes" must be a JSON object of attribute names to columns or expressions', v_where
                    USING ERRCODE = '22023', HINT = 'Such as "attributes": {"industry": "industry"}.';
            END IF;
            FOR v_a, v_av IN SELECT e.key, e.value FROM pg_catalog.jsonb_each(v_v) e ORDER BY e.key LOOP
                IF pg_catalog.jsonb_typeof(v_av) OPERATOR(pg_catalog.<>) 'string' OR v_a OPERATOR(pg_catalog.=) '' THEN
                    RAISE EXCEPTION 'prio.track(): %attribute "%" must map to a column name or an SQL expression (a JSON string)', v_where, v_a
                        USING ERRCODE = '22023';
                END IF;
            END LOOP;
            CONTINUE;
        END IF;
        IF pg_catalog.jsonb_typeof(v_v) OPERATOR(pg_catalog.<>) 'string'
           OR pg_catalog.btrim(v_v OPERATOR(pg_catalog.#>>) '{}') OPERATOR(pg_catalog.=) '' THEN
            RAISE EXCEPTION 'prio.track(): %mapping key "%" must be a column name or an SQL expression (a non-empty JSON string), not %', v_where, v_k, v_v
                USING ERRCODE = '22023';
        END IF;
    END LOOP;
    FOR v_k, v_a, v_av IN
        SELECT e.key, e.key, e.value FROM pg_catalog.jsonb_each(mapping) e WHERE e.key OPERATOR(pg_catalog.<>) ALL ('{attributes,customers,view}'::text[])
        UNION ALL
        SELECT 'attributes.' OPERATOR(pg_catalog.||) a.key, NULL, a.value
          FROM pg_catalog.jsonb_each(CASE WHEN mapping OPERATOR(pg_catalog.?) 'attributes' THEN mapping OPERATOR(pg_catalog.->) 'attributes' ELSE '{}' END) a
        ORDER BY 1
    LOOP
        BEGIN
            SELECT * INTO STRICT v_c
              FROM @extschema@._track_compile(source, v_k, v_av OPERATOR(pg_catalog.#>>) '{}',
                                              CASE WHEN v_a IS NOT NULL THEN (v_want OPERATOR(pg_catalog.->>) v_a)::pg_catalog.regtype END);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT,
                                    v_hint = PG_EXCEPTION_HINT;
            IF v_msg OPERATOR(pg_catalog.!~) '^mapping key ' THEN
                v_msg := pg_catalog.format('mapping key "%s" (%s): %s', v_k, v_av OPERATOR(pg_catalog.#>>) '{}', v_msg);
            END IF;
            v_msg := 'prio.track(): ' OPERATOR(pg_catalog.||) v_where OPERATOR(pg_catalog.||) v_msg;
            IF v_hint IS NULL OR v_hint OPERATOR(pg_catalog.=) '' THEN
                RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_msg;
            END IF;
            RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_msg, HINT = v_hint;
        END;
        IF v_a IS NOT NULL AND v_want OPERATOR(pg_catalog.->>) v_a IS NULL AND NOT v_c.btree THEN
            RAISE EXCEPTION 'prio.track(): %mapping key "%" (%) is of type %, which has no btree equality', v_where, v_k, v_av OPERATOR(pg_catalog.#>>) '{}', v_c.type
                USING ERRCODE = '42883', HINT = 'prio needs keys it can compare for equality and index (bigint, integer, text, uuid, ...).';
        END IF;
        v_exprs := v_exprs OPERATOR(pg_catalog.||)
                   pg_catalog.jsonb_build_object(v_k, pg_catalog.jsonb_build_object('sql', v_c.sql, 'type', v_c.type::text,
                                                 'attnum', v_c.attnum, 'collation', v_c.collation));
    END LOOP;
    RETURN v_exprs;
END
$$;
COMMENT ON FUNCTION @extschema@._track_mapping(regclass, text, jsonb, text) IS
'Internal (prio.track()): checks one mapping object of a table of that role (its keys, and each value parsed over the table''s row by prio._track_compile) and returns, per key, its deparsed SQL, type, column number and collation; errors start with part (such as "event 2"), when given.';
REVOKE ALL ON FUNCTION @extschema@._track_mapping(regclass, text, jsonb, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.untrack(source regclass)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_src record;
    v_sql text;
    v_trigger name;
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'prio.untrack(): source must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM @extschema@._track_check_owner(source, 'untrack');
    SELECT s.source_id, s.role, s.key_map, s.compiled INTO v_src
      FROM @extschema@.sources s WHERE s.relid OPERATOR(pg_catalog.=) source FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % is not tracked by prio', source
            USING ERRCODE = '42704', HINT = 'prio.tracked lists the tracked tables.';
    END IF;
    FOR v_trigger IN SELECT t.tgname FROM pg_catalog.pg_trigger t
                      WHERE t.tgrelid OPERATOR(pg_catalog.=) source
                        AND t.tgfoid OPERATOR(pg_catalog.=) '@extschema@.source_changed()'::pg_catalog.regprocedure
                      ORDER BY t.tgname LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', v_trigger, source);
    END LOOP;
    IF v_src.role OPERATOR(pg_catalog.=) 'activities' THEN
        -- the table's activities leave its customers' state: refolded without them
        DELETE FROM @extschema@.sources s WHERE s.source_id OPERATOR(pg_catalog.=) v_src.source_id;
        EXECUTE pg_catalog.format('SELECT @extschema@.rebuild(ARRAY(SELECT m.customer_id FROM %s m ORDER BY 1), %L, true)',
                                  v_src.compiled OPERATOR(pg_catalog.->>) 'customer_map', 'untrack');
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.sources s
                WHERE s.role OPERATOR(pg_catalog.=) 'activities'
                  AND s.compiled OPERATOR(pg_catalog.->>) 'customers' OPERATOR(pg_catalog.=) v_src.source_id::text) THEN
        RAISE EXCEPTION 'activities of the customers of % are tracked', source
            USING ERRCODE = '2BP01',
                  DETAIL = (SELECT pg_catalog.string_agg(s.relid::text, ', ' ORDER BY s.source_id) FROM @extschema@.sources s
                             WHERE s.role OPERATOR(pg_catalog.=) 'activities'
                               AND s.compiled OPERATOR(pg_catalog.->>) 'customers' OPERATOR(pg_catalog.=) v_src.source_id::text),
                  HINT = 'prio.untrack() the activities table first.';
    END IF;
    -- (0.5) nor while deals tracked against its keys are
    IF EXISTS (SELECT 1 FROM @extschema@.sources s
                WHERE s.role OPERATOR(pg_catalog.=) 'deals'
                  AND s.compiled OPERATOR(pg_catalog.->>) 'deal_customers' OPERATOR(pg_catalog.=) v_src.source_id::text) THEN
        RAISE EXCEPTION 'deals of the customers of % are tracked', source
            USING ERRCODE = '2BP01',
                  DETAIL = (SELECT pg_catalog.string_agg(s.relid::text, ', ' ORDER BY s.source_id) FROM @extschema@.sources s
                             WHERE s.role OPERATOR(pg_catalog.=) 'deals'
                               AND s.compiled OPERATOR(pg_catalog.->>) 'deal_customers' OPERATOR(pg_catalog.=) v_src.source_id::text),
                  HINT = 'prio.untrack() the deals table first.';
    END IF;
    -- its customers go, with their state and history
    FOR v_sql IN SELECT pg_catalog.jsonb_array_elements_text(v_src.compiled OPERATOR(pg_catalog.->) 'TRUNCATE') LOOP
        EXECUTE v_sql;
    END LOOP;
    -- its typed follow-up view, then its key map
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
                  AND c.relname OPERATOR(pg_catalog.=) (v_src.compiled OPERATOR(pg_catalog.->>) 'view')
                  AND c.relkind OPERATOR(pg_catalog.=) 'v') THEN
        EXECUTE pg_catalog.format('DROP VIEW @extschema@.%I', v_src.compiled OPERATOR(pg_catalog.->>) 'view');
    END IF;
    IF v_src.key_map IS NOT NULL THEN
        EXECUTE pg_catalog.format('DROP TABLE %s', v_src.key_map);
    END IF;
    DELETE FROM @extschema@.sources s WHERE s.source_id OPERATOR(pg_catalog.=) v_src.source_id;
END
$$;
COMMENT ON FUNCTION @extschema@.untrack(regclass) IS
'Detaches prio from a tracked table: drops prio''s triggers on it; of a customers table, its typed follow-up view, its key map and its customers (with their state and history; refused while their activities or (0.5) deals are tracked); (0.5) of a deals table, its mirrored deals; of an activities table, its customers are folded again without its rows.  The table itself is left as it was.  Requires owning the table, or prio''s admin role (grant_admin) with TRIGGER and SELECT on it.';
REVOKE ALL ON FUNCTION @extschema@.untrack(regclass) FROM PUBLIC;

CREATE FUNCTION @extschema@.unmapped_kinds_of_sources(OUT source regclass, OUT kind text, OUT rows bigint)
RETURNS SETOF record
LANGUAGE plpgsql
STABLE PARALLEL RESTRICTED
-- it reads the tracked tables as the caller, who sees the tables it may
-- read (SELECT) and of them the rows it may see (their row-level security):
-- counts of nothing else
SET search_path = pg_catalog, pg_temp
-- the compiled SQL parsed as track() wrote it (see prio.source_changed())
SET standard_conforming_strings = on
SET array_nulls = on
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
AS $$
DECLARE
    v_src record;
BEGIN
    FOR v_src IN SELECT s.relid, s.compiled OPERATOR(pg_catalog.->>) 'KINDS' AS sql FROM @extschema@.sources s
                  WHERE s.role OPERATOR(pg_catalog.=) 'activities'
                    AND s.signature OPERATOR(pg_catalog.=) @extschema@._track_signature(s.relid, s.compiled)
                    AND pg_catalog.has_table_privilege(s.relid, 'SELECT')
                  ORDER BY s.source_id LOOP
        source := v_src.relid;
        FOR kind, rows IN EXECUTE v_src.sql OPERATOR(pg_catalog.||) ' ORDER BY 1' LOOP
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.unmapped_kinds_of_sources() IS
'Internal (prio.unmapped_kinds): per tracked activities table the caller may read, the kinds prio.activity_kinds does not have and how many of the rows the caller may see have each (run as the caller: it needs SELECT on prio.sources, which prio.grant_admin() gives).';
REVOKE ALL ON FUNCTION @extschema@.unmapped_kinds_of_sources() FROM PUBLIC;

CREATE VIEW @extschema@.unmapped_kinds WITH (security_invoker = true) AS
SELECT u.source, u.kind, u.rows FROM @extschema@.unmapped_kinds_of_sources() u;
COMMENT ON VIEW @extschema@.unmapped_kinds IS
'Activity kinds of tracked activities tables that prio does not know: their rows are ignored for scoring (the application''s writes go through).  Map one with a row in prio.activity_kinds.';
COMMENT ON COLUMN @extschema@.unmapped_kinds.source IS 'The tracked activities table.';
COMMENT ON COLUMN @extschema@.unmapped_kinds.kind IS 'The kind as the mapping gives it (NULL: rows without a kind, which no row of prio.activity_kinds can map: give them one in the mapping, such as "coalesce(type, ''note'')").';
COMMENT ON COLUMN @extschema@.unmapped_kinds.rows IS 'How many rows of the table have it (events, when the mapping gives several per row).';

-- A kind added to prio.activity_kinds may be in a tracked activities
-- table already (prio.unmapped_kinds): its rows count from now on.
CREATE FUNCTION @extschema@.kinds_added()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    IF TG_RELID OPERATOR(pg_catalog.<>) '@extschema@.activity_kinds'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'prio.kinds_added() is a trigger of prio.activity_kinds only' USING ERRCODE = '39P01';
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.sources s WHERE s.role OPERATOR(pg_catalog.=) 'activities') THEN
        -- as prio.config_changed() does
        LOCK TABLE @extschema@.customer_state IN EXCLUSIVE MODE;
        PERFORM @extschema@.rebuild(NULL, 'activity_kinds changed', true);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.kinds_added() IS
'Statement trigger: kinds added to prio.activity_kinds re-tier everyone in the same transaction when an activities table is tracked (its rows of those kinds count from now on).';
REVOKE ALL ON FUNCTION @extschema@.kinds_added() FROM PUBLIC;
CREATE TRIGGER activity_kinds_added
    AFTER INSERT ON @extschema@.activity_kinds
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.kinds_added();

-- prio.explain() of a customer of a tracked table: its key there, and its
-- latest events read from the tracked activities tables (their compiled
-- EVENTS query: no copy), as the caller may read them.  prio.sources is
-- prio's own: what explain() needs of it comes through these two.
CREATE FUNCTION @extschema@._track_lookup(source regclass,
    OUT source_id integer, OUT key_map regclass, OUT key_type regtype, OUT eq text, OUT key_collate text)
RETURNS record
LANGUAGE plpgsql
STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_role text;
BEGIN
    SELECT s.source_id, s.key_map, s.key_type, s.role INTO source_id, key_map, key_type, v_role
      FROM @extschema@.sources s WHERE s.relid OPERATOR(pg_catalog.=) _track_lookup.source;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % is not tracked by prio', source
            USING ERRCODE = '42704', HINT = 'prio.explain(source, key) takes a table tracked as customers (prio.track(..., ''customers'', ...)).';
    END IF;
    IF v_role OPERATOR(pg_catalog.<>) 'customers' THEN
        RAISE EXCEPTION 'table % is tracked as %, not as customers', source, v_role
            USING ERRCODE = '42809', HINT = 'prio.explain(source, key) takes the tracked customers table and a key of it.';
    END IF;
    -- the key map's equality (its primary key's), as the triggers compare keys
    SELECT pg_catalog.format('OPERATOR(%I.%s)', o.oprnamespace::pg_catalog.regnamespace::text, o.oprname) INTO eq
      FROM pg_catalog.pg_index i
      JOIN pg_catalog.pg_opclass oc ON oc.oid OPERATOR(pg_catalog.=) i.indclass[0]
      JOIN pg_catalog.pg_amop ao ON ao.amopfamily OPERATOR(pg_catalog.=) oc.opcfamily
                                AND ao.amoplefttype OPERATOR(pg_catalog.=) oc.opcintype
                                AND ao.amoprighttype OPERATOR(pg_catalog.=) oc.opcintype
                                AND ao.amopstrategy OPERATOR(pg_catalog.=) 3
                                AND ao.amopmethod OPERATOR(pg_catalog.=) oc.opcmethod
      JOIN pg_catalog.pg_operator o ON o.oid OPERATOR(pg_catalog.=) ao.amopopr
     WHERE i.indrelid OPERATOR(pg_catalog.=) key_map AND i.indisprimary;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'key map % of % has no primary key', key_map, source USING ERRCODE = '55000';
    END IF;
    -- and its collation (a key given as text compares under it)
    SELECT pg_catalog.format(' COLLATE %I.%I', cn.nspname, co.collname) INTO key_collate
      FROM pg_catalog.pg_attribute a
      JOIN pg_catalog.pg_collation co ON co.oid OPERATOR(pg_catalog.=) a.attcollation
      JOIN pg_catalog.pg_namespace cn ON cn.oid OPERATOR(pg_catalog.=) co.collnamespace
     WHERE a.attrelid OPERATOR(pg_catalog.=) key_map AND a.attname OPERATOR(pg_catalog.=) 'key';
    key_collate := COALESCE(key_collate, '');
END
$$;
COMMENT ON FUNCTION @extschema@._track_lookup(regclass) IS
'Internal (prio.explain(source, key)): a tracked customers table''s source_id, key map, key type, the key map''s equality and collation (a COLLATE clause, or empty); 42704 when the table is not tracked, 42809 when it is tracked as activities.';

CREATE FUNCTION @extschema@._track_event_sources(customers regclass, OUT source regclass, OUT sql text, OUT current boolean)
RETURNS SETOF record
LANGUAGE sql
STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT a.relid, a.compiled OPERATOR(pg_catalog.->>) 'EVENTS',
           a.signature OPERATOR(pg_catalog.=) @extschema@._track_signature(a.relid, a.compiled)
      FROM @extschema@.sources a
      JOIN @extschema@.sources c ON c.relid OPERATOR(pg_catalog.=) customers
                                AND c.role OPERATOR(pg_catalog.=) 'customers'
     WHERE a.role OPERATOR(pg_catalog.=) 'activities'
       AND a.compiled OPERATOR(pg_catalog.->>) 'customers' OPERATOR(pg_catalog.=) c.source_id::text
       AND pg_catalog.has_table_privilege(pg_catalog.session_user(), a.relid, 'SELECT')
     ORDER BY a.source_id;
END;
COMMENT ON FUNCTION @extschema@._track_event_sources(regclass) IS
'Internal (prio.explain()): the tracked activities tables of a tracked customers table that the session''s user may read, each with its event query (prio.sources.compiled ->> ''EVENTS'') and whether its columns are still those prio.track() checked.';

CREATE FUNCTION @extschema@._track_events(customer_id bigint, customers regclass)
RETURNS jsonb
LANGUAGE plpgsql
STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
SET jit = off
-- the compiled SQL parsed as track() wrote it (see prio.source_changed())
SET standard_conforming_strings = on
SET array_nulls = on
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
AS $$
DECLARE
    v_src record;
    v_events jsonb;
    v jsonb := '[]';
BEGIN
    -- the tables the caller may read (the list is filtered by the session's
    -- user, who may differ under SET ROLE)
    FOR v_src IN SELECT * FROM @extschema@._track_event_sources(customers) s
                  WHERE pg_catalog.has_table_privilege(s.source, 'SELECT') LOOP
        IF NOT v_src.current THEN
            v := v OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                     'source', v_src.source, 'latest', NULL,
                     'note', 'not read: the name or the columns of the table changed since prio.track()'));
            CONTINUE;
        END IF;
        -- as the caller: its privileges and policies on the table hold
        BEGIN
            EXECUTE pg_catalog.format($q$SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                           'at', e.at, 'kind', e.kind, 'amount', e.amount) ORDER BY e.at DESC, e.tiebreak DESC), '[]')
  FROM (SELECT x.at, x.kind, x.amount, x.tiebreak FROM (%s) x
         WHERE x.customer_id OPERATOR(pg_catalog.=) $1
         ORDER BY x.at DESC, x.tiebreak DESC LIMIT 10) e$q$, v_src.sql)
                INTO v_events USING customer_id;
            v := v OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                     'source', v_src.source, 'latest', v_events));
        EXCEPTION WHEN insufficient_privilege THEN
            v := v OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                     'source', v_src.source, 'latest', NULL, 'note', 'not read: ' OPERATOR(pg_catalog.||) SQLERRM));
        END;
    END LOOP;
    RETURN v;
END
$$;
COMMENT ON FUNCTION @extschema@._track_events(bigint, regclass) IS
'Internal (prio.explain()): the latest 10 events prio folds of a customer of a tracked customers table, per tracked activities table of it the caller may read, newest first, read from the table as the caller.';

CREATE FUNCTION @extschema@._explain_key(source regclass, key anyelement)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_src record;
    v_id bigint;
    v_state text;
    v_msg text;
BEGIN
    IF source IS NULL OR key IS NULL THEN
        RAISE EXCEPTION 'prio.explain(): source and key must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT * INTO STRICT v_src FROM @extschema@._track_lookup(source);
    -- the key as the key map compares keys, in the key's own type (an
    -- untyped literal is text: cast); the key map shows the caller the
    -- customers it can see in prio.customers only
    BEGIN
        EXECUTE pg_catalog.format('SELECT m.customer_id FROM %s m WHERE m.key %s (CAST($1 AS %s)%s)',
                                  v_src.key_map, v_src.eq, pg_catalog.format_type(v_src.key_type, NULL), v_src.key_collate)
            INTO v_id USING key;
    EXCEPTION WHEN cannot_coerce OR undefined_function THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT;
        RAISE EXCEPTION 'prio.explain(): the key of % is of type %, not %', source, v_src.key_type, pg_catalog.pg_typeof(key)
            USING ERRCODE = '42804', DETAIL = v_msg,
                  HINT = pg_catalog.format('Pass the key as %s (or as text).', v_src.key_type);
    END;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'no customer of % has the key %', source, key
            USING ERRCODE = '23503',
                  HINT = 'prio knows the rows of the tracked table that have a key (and, under owner isolation, shows the customers you may see).';
    END IF;
    RETURN @extschema@.explain(v_id);
END
$$;
COMMENT ON FUNCTION @extschema@._explain_key(regclass, anyelement) IS
'Internal: prio.explain(source, key).';

CREATE FUNCTION @extschema@.explain(source regclass, key anyelement)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN @extschema@._explain_key(source, key);
END
$$;
COMMENT ON FUNCTION @extschema@.explain(regclass, anyelement) IS
'prio.explain() of a customer of a tracked customers table by its key there, in the key''s type (uuid, bigint, ...): the explanation includes the source, the key and the customer''s latest events read from the tracked activities tables.';

CREATE FUNCTION @extschema@.explain(source regclass, key text)
RETURNS jsonb
LANGUAGE sql
STABLE
RETURN @extschema@._explain_key(source, key);
COMMENT ON FUNCTION @extschema@.explain(regclass, text) IS
'prio.explain() of a customer of a tracked customers table by its key there, as text (an untyped literal: prio.explain(''crm.accounts'', ''...'')): cast to the key''s type.';
