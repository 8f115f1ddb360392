------------------------------------------------------------------------
-- The trigger functions of configuration rows.  Removed rows stay removed
-- across a dump and restore: the functions that keep the keys of removed
-- built-in rows in prio.removed_config (10_config_tables.sql) and apply them
-- on restore.  An added or changed row is no longer built-in: the guard.
-- Their own part, so the update to 0.5 creates them from here too.
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.config_row_removed()
RETURNS trigger
LANGUAGE plpgsql
-- it writes prio.removed_config, which only prio writes, for an admin who
-- may delete configuration rows
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_key text;
BEGIN
    -- TG_ARGV holds the key column(s): one (its value is the key, as text),
    -- or several (their values as a JSON array, as text: a label's)
    IF TG_RELID OPERATOR(pg_catalog.<>) ALL (ARRAY['@extschema@.rfm_segments'::pg_catalog.regclass,
                                                  '@extschema@.activity_kinds'::pg_catalog.regclass,
                                                  '@extschema@.deal_stages'::pg_catalog.regclass,
                                                  '@extschema@.channels'::pg_catalog.regclass,
                                                  '@extschema@.labels'::pg_catalog.regclass]) THEN
        RAISE EXCEPTION 'prio.config_row_removed() is a trigger of prio.rfm_segments, prio.activity_kinds, prio.deal_stages, prio.channels and prio.labels only'
            USING ERRCODE = '39P01';
    END IF;
    IF TG_NARGS OPERATOR(pg_catalog.=) 1 THEN
        v_key := pg_catalog.format('t.%I::text', TG_ARGV[0]);
    ELSE
        SELECT 'pg_catalog.jsonb_build_array(' OPERATOR(pg_catalog.||)
               pg_catalog.string_agg(pg_catalog.format('t.%I', a.col), ', ' ORDER BY a.n)
               OPERATOR(pg_catalog.||) ')::text'
          INTO v_key
          FROM pg_catalog.unnest(TG_ARGV) WITH ORDINALITY a(col, n);
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
        EXECUTE pg_catalog.format(
            'INSERT INTO @extschema@.removed_config (table_name, key) SELECT $1, %s FROM %s t'
            ' ON CONFLICT DO NOTHING', v_key, TG_RELID::pg_catalog.regclass)
        USING TG_TABLE_NAME;
    ELSE
        EXECUTE pg_catalog.format(
            'INSERT INTO @extschema@.removed_config (table_name, key) SELECT $1, %s FROM (SELECT ($2).*) t'
            ' ON CONFLICT DO NOTHING', v_key)
        USING TG_TABLE_NAME, OLD;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.config_row_removed() IS
'Trigger on prio.rfm_segments, prio.activity_kinds, prio.deal_stages, prio.channels and prio.labels (row after DELETE and after an UPDATE that changes the key, statement before TRUNCATE; its arguments: the key column or columns): keeps the removed (or renamed) keys in prio.removed_config.';

CREATE FUNCTION @extschema@.removed_config_load()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_rel pg_catalog.regclass;
    v_key text;
    v_found boolean;
BEGIN
    -- the table and its key, as prio.config_row_removed() wrote it
    CASE NEW.table_name
        WHEN 'rfm_segments' THEN
            v_rel := '@extschema@.rfm_segments'::pg_catalog.regclass;
            v_key := 't.position::text';
        WHEN 'activity_kinds' THEN
            v_rel := '@extschema@.activity_kinds'::pg_catalog.regclass;
            v_key := 't.kind::text';
        WHEN 'deal_stages' THEN
            v_rel := '@extschema@.deal_stages'::pg_catalog.regclass;
            v_key := 't.stage::text';
        WHEN 'channels' THEN
            v_rel := '@extschema@.channels'::pg_catalog.regclass;
            v_key := 't.channel::text';
        ELSE
            v_rel := '@extschema@.labels'::pg_catalog.regclass;
            v_key := 'pg_catalog.jsonb_build_array(t.domain, t.code, t.lang)::text';
    END CASE;
    -- only a built-in row (one that CREATE EXTENSION seeded); a dumped row
    -- with that key replaces it or is loaded, whichever table comes first.
    -- No DELETE when there is nothing to remove: its statement triggers
    -- would re-tier everyone.
    EXECUTE pg_catalog.format('SELECT EXISTS (SELECT 1 FROM %s t WHERE t.builtin AND %s OPERATOR(pg_catalog.=) $1)',
                              v_rel, v_key)
    INTO v_found USING NEW.key;
    IF v_found THEN
        EXECUTE pg_catalog.format('DELETE FROM %s t WHERE t.builtin AND %s OPERATOR(pg_catalog.=) $1',
                                  v_rel, v_key)
        USING NEW.key;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.removed_config_load() IS
'Row trigger on prio.removed_config: a loaded key (a restore) removes the built-in row with that key that CREATE EXTENSION seeded.';

CREATE FUNCTION @extschema@.config_row_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_cols text;
    v_n bigint;
    v_builtin boolean;
BEGIN
    -- TG_ARGV[0] is the key column.  An inserted row with the key of an
    -- unchanged built-in row takes its place in an UPDATE (as a restore does;
    -- rows in use, such as referenced activity kinds, stay where they are).
    -- Only then: an UPDATE that changes no row still fires the table's
    -- statement triggers, which re-tier everyone.
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
        EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM %s t WHERE t.builtin AND t.%I OPERATOR(pg_catalog.=) ($1).%I)',
                                  TG_RELID::pg_catalog.regclass, TG_ARGV[0], TG_ARGV[0])
        INTO v_builtin USING NEW;
    END IF;
    IF v_builtin THEN
        SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
          INTO v_cols
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) TG_RELID
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
        EXECUTE pg_catalog.format(
            'UPDATE %s t SET (%s) = ROW(($1).*) WHERE t.builtin AND t.%I OPERATOR(pg_catalog.=) ($1).%I',
            TG_RELID::pg_catalog.regclass, v_cols, TG_ARGV[0], TG_ARGV[0])
        USING NEW;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        IF v_n OPERATOR(pg_catalog.>) 0 THEN
            RETURN NULL;
        END IF;
    END IF;
    NEW.builtin := false;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.config_row_guard() IS
'Row trigger on prio configuration tables: a changed or added row is no longer built-in (so pg_dump keeps it), and an inserted row with the key of an unchanged built-in row updates that row instead.';
