-- prio 0.3 -> 0.4.  Add-only: what 0.4 changes in the catalog, in the order
-- of the install script's parts (sql/install/).
\echo Use "ALTER EXTENSION prio UPDATE TO '0.4'" to load this file. \quit

-- Restore (issue 17, defect 9): a restore gives back exactly what was dumped.
-- prio._restore, dumped first, puts the restoring session in restore mode;
-- the derived tables are dumped too; removed configuration rows are kept in
-- prio.removed_config so a restore removes the built-in rows seeded again.

CREATE FUNCTION @extschema@.restore_begin()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_restore_begin'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.restore_begin() IS
'Row trigger (C) on prio._restore: a restore loading the dumped row puts its session in restore mode (prio''s triggers stand aside until the session ends) and skips the row, which CREATE EXTENSION has seeded.';

CREATE FUNCTION @extschema@.restoring()
RETURNS boolean
AS 'MODULE_PATHNAME', 'prio_restoring'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.restoring() IS
'True in a session that is loading a dump of prio (it loaded prio._restore): prio''s triggers then leave customers, activities, state, history and outcomes as loaded.';

CREATE TABLE @extschema@._restore (
    id boolean PRIMARY KEY DEFAULT true CHECK (id)
);
COMMENT ON TABLE @extschema@._restore IS
'One row, dumped first by pg_dump: loading it back tells prio that the session restores a dump, so the dumped state and history are loaded as they were instead of being derived again.  Never write it.';
COMMENT ON COLUMN @extschema@._restore.id IS 'Always true: one row.';
-- seeded before the trigger exists: CREATE EXTENSION is no restore
INSERT INTO @extschema@._restore DEFAULT VALUES;
CREATE TRIGGER restore_begin
    BEFORE INSERT ON @extschema@._restore
    FOR EACH ROW EXECUTE FUNCTION @extschema@.restore_begin();
SELECT pg_catalog.pg_extension_config_dump('@extschema@._restore', '');

-- A removed row must stay removed across a dump and restore, but CREATE
-- EXTENSION seeds the built-in rows again before the dumped rows arrive: the
-- key of every removed row is kept (and dumped) here, and loading it back
-- removes the seeded built-in row.
CREATE TABLE @extschema@.removed_config (
    table_name text NOT NULL CHECK (table_name IN ('rfm_segments', 'activity_kinds')),
    key        text NOT NULL,
    removed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (table_name, key)
);
COMMENT ON TABLE @extschema@.removed_config IS
'Keys of rows removed from prio.rfm_segments and prio.activity_kinds (kept by prio, dumped): a restore removes the built-in row CREATE EXTENSION seeded again under such a key, so a removed built-in row stays removed.';
COMMENT ON COLUMN @extschema@.removed_config.table_name IS 'rfm_segments or activity_kinds.';
COMMENT ON COLUMN @extschema@.removed_config.key IS 'The removed row''s key (position or kind), as text.';
COMMENT ON COLUMN @extschema@.removed_config.removed_at IS 'When it was first removed.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.removed_config', '');

CREATE FUNCTION @extschema@.config_row_removed()
RETURNS trigger
LANGUAGE plpgsql
-- it writes prio.removed_config, which only prio writes, for an admin who
-- may delete configuration rows
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- TG_ARGV[0] is the key column
    IF TG_RELID OPERATOR(pg_catalog.<>) ALL (ARRAY['@extschema@.rfm_segments'::pg_catalog.regclass,
                                                  '@extschema@.activity_kinds'::pg_catalog.regclass]) THEN
        RAISE EXCEPTION 'prio.config_row_removed() is a trigger of prio.rfm_segments and prio.activity_kinds only'
            USING ERRCODE = '39P01';
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
        EXECUTE pg_catalog.format(
            'INSERT INTO @extschema@.removed_config (table_name, key) SELECT $1, t.%I::text FROM %s t'
            ' ON CONFLICT DO NOTHING', TG_ARGV[0], TG_RELID::pg_catalog.regclass)
        USING TG_TABLE_NAME;
    ELSE
        INSERT INTO @extschema@.removed_config (table_name, key)
        VALUES (TG_TABLE_NAME, pg_catalog.to_jsonb(OLD) OPERATOR(pg_catalog.->>) TG_ARGV[0])
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.config_row_removed() IS
'Trigger on prio.rfm_segments and prio.activity_kinds (row after DELETE, statement before TRUNCATE): keeps the removed keys in prio.removed_config.';

CREATE FUNCTION @extschema@.removed_config_load()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_rel pg_catalog.regclass;
    v_col text;
    v_found boolean;
BEGIN
    IF NEW.table_name OPERATOR(pg_catalog.=) 'rfm_segments' THEN
        v_rel := '@extschema@.rfm_segments'::pg_catalog.regclass;
        v_col := 'position';
    ELSE
        v_rel := '@extschema@.activity_kinds'::pg_catalog.regclass;
        v_col := 'kind';
    END IF;
    -- only a built-in row (one that CREATE EXTENSION seeded); a dumped row
    -- with that key replaces it or is loaded, whichever table comes first.
    -- No DELETE when there is nothing to remove: its statement triggers
    -- would re-tier everyone.
    EXECUTE pg_catalog.format('SELECT EXISTS (SELECT 1 FROM %s t WHERE t.builtin AND t.%I::text OPERATOR(pg_catalog.=) $1)',
                              v_rel, v_col)
    INTO v_found USING NEW.key;
    IF v_found THEN
        EXECUTE pg_catalog.format('DELETE FROM %s t WHERE t.builtin AND t.%I::text OPERATOR(pg_catalog.=) $1',
                                  v_rel, v_col)
        USING NEW.key;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.removed_config_load() IS
'Row trigger on prio.removed_config: a loaded key (a restore) removes the built-in row with that key that CREATE EXTENSION seeded.';
CREATE TRIGGER removed_config_load
    AFTER INSERT ON @extschema@.removed_config
    FOR EACH ROW EXECUTE FUNCTION @extschema@.removed_config_load();

CREATE TRIGGER rfm_segments_removed
    AFTER DELETE ON @extschema@.rfm_segments
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_removed('position');
CREATE TRIGGER rfm_segments_truncated
    BEFORE TRUNCATE ON @extschema@.rfm_segments
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_row_removed('position');

CREATE TRIGGER activity_kinds_removed
    AFTER DELETE ON @extschema@.activity_kinds
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_removed('kind');
CREATE TRIGGER activity_kinds_truncated
    BEFORE TRUNCATE ON @extschema@.activity_kinds
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_row_removed('kind');

CREATE FUNCTION @extschema@.auto_breaks_load()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- prio only ever updates its row: a restore loading the dumped row puts
    -- it in the place of the one CREATE EXTENSION seeded
    UPDATE @extschema@.auto_breaks b
       SET r_breaks = NEW.r_breaks, f_breaks = NEW.f_breaks, m_breaks = NEW.m_breaks,
           buyers = NEW.buyers, computed_at = NEW.computed_at
     WHERE b.id OPERATOR(pg_catalog.=) NEW.id;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.auto_breaks_load() IS
'Row trigger on prio.auto_breaks, in a restoring session only: the loaded row replaces the one CREATE EXTENSION seeded.';
CREATE TRIGGER auto_breaks_load
    BEFORE INSERT ON @extschema@.auto_breaks
    FOR EACH ROW WHEN (@extschema@.restoring()) EXECUTE FUNCTION @extschema@.auto_breaks_load();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.auto_breaks', '');

-- dumped as it is, so a restore gives back the state it had (prio._restore)
SELECT pg_catalog.pg_extension_config_dump('@extschema@.customer_state', '');

COMMENT ON COLUMN @extschema@.tier_history.history_id IS 'Generated, increasing number (not a key: a database restored with prio 0.3 or before may hold rows the restore wrote, under numbers the dumped rows also use).';

-- prio's derived-data triggers stand aside in a restoring session
DROP TRIGGER activities_inserted ON @extschema@.activities;
CREATE TRIGGER activities_inserted
    AFTER INSERT ON @extschema@.activities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_inserted();
DROP TRIGGER activities_updated ON @extschema@.activities;
CREATE TRIGGER activities_updated
    AFTER UPDATE ON @extschema@.activities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_changed();
DROP TRIGGER activities_deleted ON @extschema@.activities;
CREATE TRIGGER activities_deleted
    AFTER DELETE ON @extschema@.activities
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_changed();
DROP TRIGGER activities_truncated ON @extschema@.activities;
CREATE TRIGGER activities_truncated
    AFTER TRUNCATE ON @extschema@.activities
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_changed();
DROP TRIGGER customers_inserted ON @extschema@.customers;
CREATE TRIGGER customers_inserted
    AFTER INSERT ON @extschema@.customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.customers_changed();
DROP TRIGGER customers_updated ON @extschema@.customers;
CREATE TRIGGER customers_updated
    AFTER UPDATE ON @extschema@.customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.customers_changed();
DROP TRIGGER settings_changed ON @extschema@.settings;
CREATE TRIGGER settings_changed
    AFTER INSERT OR UPDATE ON @extschema@.settings
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.config_changed();
DROP TRIGGER activity_kinds_changed ON @extschema@.activity_kinds;
CREATE TRIGGER activity_kinds_changed
    AFTER UPDATE OR DELETE ON @extschema@.activity_kinds
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.config_changed();
DROP TRIGGER win_outcomes_inserted ON @extschema@.win_outcomes;
CREATE TRIGGER win_outcomes_inserted
    AFTER INSERT ON @extschema@.win_outcomes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.win_outcomes_changed();
DROP TRIGGER win_outcomes_updated ON @extschema@.win_outcomes;
CREATE TRIGGER win_outcomes_updated
    AFTER UPDATE ON @extschema@.win_outcomes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.win_outcomes_changed();
DROP TRIGGER win_outcomes_deleted ON @extschema@.win_outcomes;
CREATE TRIGGER win_outcomes_deleted
    AFTER DELETE ON @extschema@.win_outcomes
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.win_outcomes_changed();

COMMENT ON TABLE @extschema@.win_outcomes IS
'One row per customer whose base stage is won or lost: the outcome and its features just before it closed; written by prio only (a customer that opens again loses its row).  Dumped as it is, so a restore gives it back.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.win_outcomes', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.win_counts', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.win_counts_appends', '');
