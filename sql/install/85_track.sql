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

-- (0.5) The tracked table: relid, which every reader uses, generated from
-- its OID (reloid), and its name (relname), which a restore finds it by
-- (85_track_names.sql); last, in the order the update from 0.4 adds them.
CREATE TABLE @extschema@.sources (
    source_id     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    role          text NOT NULL CHECK (role IN ('customers', 'activities', 'deals')),
    mapping       jsonb NOT NULL CHECK (pg_catalog.jsonb_typeof(mapping) OPERATOR(pg_catalog.=) 'object'),
    key_type      regtype NOT NULL,
    key_map       regclass,
    compiled      jsonb NOT NULL DEFAULT '{}',
    signature     text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    last_error    text,
    last_error_at timestamptz,
    reloid        oid NOT NULL,
    relname       text NOT NULL,
    relid         regclass GENERATED ALWAYS AS (reloid::pg_catalog.regclass) STORED NOT NULL UNIQUE
);
COMMENT ON TABLE @extschema@.sources IS
'One row per application table prio tracks (prio.track()); written by prio.track() and prio.untrack() only.';
COMMENT ON COLUMN @extschema@.sources.source_id IS 'Generated; names the key map (prio.keys_<source_id>) and the triggers (prio_<source_id>_...).';
COMMENT ON COLUMN @extschema@.sources.role IS 'What its rows are: customers, activities or (0.5) deals.';
COMMENT ON COLUMN @extschema@.sources.mapping IS 'The mapping given to prio.track(): prio''s names to the table''s columns or SQL expressions over its row.';
COMMENT ON COLUMN @extschema@.sources.key_type IS 'Type of the table''s key (a domain''s base type).';
COMMENT ON COLUMN @extschema@.sources.key_map IS 'The key map: the table''s key to prio''s internal customer id.';
COMMENT ON COLUMN @extschema@.sources.compiled IS 'SQL the triggers run, per operation (INSERT, UPDATE, DELETE, TRUNCATE; LOAD: the first load of the table), compiled by prio.track() from the checked mapping; of an activities table also EVENTS (its event source: customer_id, at, tiebreak, kind, amount), KINDS (its unmapped kinds), ON_CUSTOMERS (run by the customers table''s triggers), customers and customer_map (the customers table''s source_id and key map), and (0.5) EXPLAIN_EVENTS (EVENTS with each event''s channel, which prio.explain() reads).';
COMMENT ON COLUMN @extschema@.sources.signature IS 'The table''s name and the columns the compiled SQL names (name, type, typmod, collation) when prio.track() checked the mapping: while they differ, prio''s triggers do nothing but warn.';
COMMENT ON COLUMN @extschema@.sources.created_at IS 'When prio.track() ran.';
COMMENT ON COLUMN @extschema@.sources.last_error IS 'The last error that kept a change of the table from reaching prio (the application''s write went through; NULL: none).  (0.5) Cleared by a prio.recompute() of everyone that read the table again without error (a customers table that noted one: mirrored again as a whole).';
COMMENT ON COLUMN @extschema@.sources.last_error_at IS 'When last_error happened.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sources', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sources_source_id_seq', '');
COMMENT ON SEQUENCE @extschema@.sources_source_id_seq IS 'Generates prio.sources.source_id.';

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
-- (0.5) Only the search path: the C sets what the compiled SQL needs
-- before it runs any of it (no policy of the application's table, run as
-- prio's owner; string and array constants read as track() wrote them;
-- one time zone and output style: track.c, PrioTrackedParseBegin()).  A
-- single-row INSERT of an activities table mapped by plain columns runs
-- none, and sets none.
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.source_changed() IS
'Statement trigger of every tracked table (argument: its source_id): runs the SQL prio.track() compiled for the operation over the transition tables, keeping prio''s mirror of the table live.  Never fails the application''s write for prio''s sake: an error is recorded (prio.tracked.last_error) and raised as a WARNING.';
REVOKE ALL ON FUNCTION @extschema@.source_changed() FROM PUBLIC;

-- (prio._track_triggers(): sql/install/85_track_triggers.sql)

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

CREATE FUNCTION @extschema@.unmapped_kinds_of_sources(OUT source regclass, OUT kind text, OUT rows bigint)
RETURNS SETOF record
LANGUAGE plpgsql
STABLE PARALLEL RESTRICTED
-- it reads the tracked tables as the caller, who sees the tables it may
-- read (SELECT) and of them the rows it may see (their row-level security):
-- counts of nothing else
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

-- (its latest events: prio._track_events(), sql/install/92_channel.sql)

-- (prio.explain(source, key): sql/install/94_explain.sql)
