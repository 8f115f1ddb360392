-- 0.4 -> 0.5, gaps: removed built-in rows of prio.deal_stages, prio.channels
-- and prio.labels stay removed across a dump and restore, as removed
-- segments and kinds do.  prio.removed_config takes their keys;
-- config_row_removed() (the trigger that keeps them) and
-- removed_config_load() (the one that applies them on restore) are dropped
-- with their triggers and created as 0.5 installs them, privileges and the
-- triggers' enabled state given back.  The new tables' triggers come with
-- their install parts (86_deals, 88_playbooks, 89_labels).

ALTER TABLE @extschema@.removed_config DROP CONSTRAINT removed_config_table_name_check;
ALTER TABLE @extschema@.removed_config ADD CONSTRAINT removed_config_table_name_check
    CHECK (table_name IN ('rfm_segments', 'activity_kinds', 'deal_stages', 'channels', 'labels'));
COMMENT ON TABLE @extschema@.removed_config IS
'Keys of rows removed from prio.rfm_segments, prio.activity_kinds and (0.5) prio.deal_stages, prio.channels and prio.labels (kept by prio, dumped): a restore removes the built-in row CREATE EXTENSION seeded again under such a key, so a removed built-in row stays removed.';
COMMENT ON COLUMN @extschema@.removed_config.table_name IS 'rfm_segments, activity_kinds, deal_stages, channels or labels.';
COMMENT ON COLUMN @extschema@.removed_config.key IS 'The removed row''s key (position, kind, stage or channel) as text; of a label, its domain, code and lang as a JSON array (["stage", "closing", "en"]).';

-- the functions' privileges and their triggers' enabled state, kept
SELECT pg_catalog.set_config('prio.upgrade_acl_config_row_removed', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.config_row_removed()'::pg_catalog.regprocedure;
SELECT pg_catalog.set_config('prio.upgrade_acl_removed_config_load', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.removed_config_load()'::pg_catalog.regprocedure;
SELECT pg_catalog.set_config('prio.upgrade_removed_triggers',
           coalesce(pg_catalog.jsonb_object_agg(t.tgname, pg_catalog.jsonb_build_array(c.relname, t.tgenabled::text))::text, '{}'), true)
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.tgrelid
 WHERE t.tgfoid OPERATOR(pg_catalog.=) ANY (ARRAY['@extschema@.config_row_removed()'::pg_catalog.regprocedure,
                                                  '@extschema@.removed_config_load()'::pg_catalog.regprocedure]::pg_catalog.oid[])
   AND t.tgenabled OPERATOR(pg_catalog.<>) 'O';
DROP TRIGGER rfm_segments_removed ON @extschema@.rfm_segments;
DROP TRIGGER rfm_segments_truncated ON @extschema@.rfm_segments;
DROP TRIGGER activity_kinds_removed ON @extschema@.activity_kinds;
DROP TRIGGER activity_kinds_truncated ON @extschema@.activity_kinds;
DROP TRIGGER removed_config_load ON @extschema@.removed_config;
DROP FUNCTION @extschema@.config_row_removed();
DROP FUNCTION @extschema@.removed_config_load();

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
'Trigger on prio.rfm_segments, prio.activity_kinds, prio.deal_stages, prio.channels and prio.labels (row after DELETE, statement before TRUNCATE; its arguments: the key column or columns): keeps the removed keys in prio.removed_config.';

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
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.config_row_removed()',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_config_row_removed'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.removed_config_load()',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_removed_config_load'), '')::pg_catalog.aclitem[]);
-- a trigger the DBA had disabled (or set to fire on replicas) stays so
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT e.value OPERATOR(pg_catalog.->>) 0 AS rel, e.key AS tg, e.value OPERATOR(pg_catalog.->>) 1 AS state
               FROM pg_catalog.jsonb_each(pg_catalog.current_setting('prio.upgrade_removed_triggers')::jsonb) e
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I %s TRIGGER %I', r.rel,
                                  CASE r.state WHEN 'D' THEN 'DISABLE' WHEN 'R' THEN 'ENABLE REPLICA'
                                               ELSE 'ENABLE ALWAYS' END, r.tg);
    END LOOP;
END
$$;
