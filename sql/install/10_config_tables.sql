------------------------------------------------------------------------
-- Configuration tables: shipped rows are marked builtin until changed.
-- pg_dump keeps only changed and added rows (pg_extension_config_dump
-- filter), and on restore a dumped row replaces the built-in row with the
-- same key that CREATE EXTENSION has just seeded.
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.invalidate_cache()
RETURNS trigger AS 'MODULE_PATHNAME', 'prio_invalidate_cache'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.invalidate_cache() IS
'Statement trigger on prio''s configuration tables (rfm_segments, settings, activity_kinds, auto_breaks, clv_models): tells every backend to drop its cached copy.';

-- A removed row must stay removed across a dump and restore, but CREATE
-- EXTENSION seeds the built-in rows again before the dumped rows arrive: the
-- key of every removed row is kept (and dumped) here, and loading it back
-- removes the seeded built-in row.
CREATE TABLE @extschema@.removed_config (
    table_name text NOT NULL CHECK (table_name IN ('rfm_segments', 'activity_kinds', 'deal_stages',
                                                    'channels', 'labels')),
    key        text NOT NULL,
    removed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (table_name, key)
);
COMMENT ON TABLE @extschema@.removed_config IS
'Keys of rows removed from prio.rfm_segments, prio.activity_kinds and (0.5) prio.deal_stages, prio.channels and prio.labels (kept by prio, dumped): a restore removes the built-in row CREATE EXTENSION seeded again under such a key, so a removed built-in row stays removed.';
COMMENT ON COLUMN @extschema@.removed_config.table_name IS 'rfm_segments, activity_kinds, deal_stages, channels or labels.';
COMMENT ON COLUMN @extschema@.removed_config.key IS 'The removed row''s key (position, kind, stage or channel) as text; of a label, its domain, code and lang as a JSON array (["stage", "closing", "en"]).';
COMMENT ON COLUMN @extschema@.removed_config.removed_at IS 'When it was first removed.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.removed_config', '');

CREATE TRIGGER removed_config_load
    AFTER INSERT ON @extschema@.removed_config
    FOR EACH ROW EXECUTE FUNCTION @extschema@.removed_config_load();

CREATE TABLE @extschema@.rfm_segments (
    position integer PRIMARY KEY,
    segment  text    NOT NULL CHECK (pg_catalog.length(segment) BETWEEN 1 AND 100),
    r_min    integer NOT NULL DEFAULT 1 CHECK (r_min BETWEEN 1 AND 5),
    r_max    integer NOT NULL DEFAULT 5 CHECK (r_max BETWEEN 1 AND 5),
    f_min    integer NOT NULL DEFAULT 1 CHECK (f_min BETWEEN 1 AND 5),
    f_max    integer NOT NULL DEFAULT 5 CHECK (f_max BETWEEN 1 AND 5),
    m_min    integer NOT NULL DEFAULT 1 CHECK (m_min BETWEEN 1 AND 5),
    m_max    integer NOT NULL DEFAULT 5 CHECK (m_max BETWEEN 1 AND 5),
    builtin  boolean NOT NULL DEFAULT false,
    CHECK (r_min <= r_max AND f_min <= f_max AND m_min <= m_max)
);
COMMENT ON TABLE @extschema@.rfm_segments IS
'Named RFM segments: ordered rules over R, F and M score ranges; the first matching rule (lowest position) names the segment, no match gives ''Other''. Edit with INSERT/UPDATE/DELETE.';
COMMENT ON COLUMN @extschema@.rfm_segments.position IS 'Rule order: lower positions are tried first.';
COMMENT ON COLUMN @extschema@.rfm_segments.segment IS 'Segment name returned by prio.rfm_segment().';
COMMENT ON COLUMN @extschema@.rfm_segments.r_min IS 'Lowest recency score (1-5) the rule matches.';
COMMENT ON COLUMN @extschema@.rfm_segments.r_max IS 'Highest recency score (1-5) the rule matches.';
COMMENT ON COLUMN @extschema@.rfm_segments.f_min IS 'Lowest frequency score (1-5) the rule matches.';
COMMENT ON COLUMN @extschema@.rfm_segments.f_max IS 'Highest frequency score (1-5) the rule matches.';
COMMENT ON COLUMN @extschema@.rfm_segments.m_min IS 'Lowest monetary score (1-5) the rule matches.';
COMMENT ON COLUMN @extschema@.rfm_segments.m_max IS 'Highest monetary score (1-5) the rule matches.';
COMMENT ON COLUMN @extschema@.rfm_segments.builtin IS 'True while the row is as prio shipped it; set false by any change.';

INSERT INTO @extschema@.rfm_segments
    (position, segment, r_min, r_max, f_min, f_max, m_min, m_max, builtin) VALUES
    ( 10, 'Champions',          4, 5, 4, 5, 4, 5, true),
    ( 20, 'Can''t Lose Them',   1, 1, 4, 5, 4, 5, true),
    ( 30, 'Loyal',              3, 5, 3, 5, 1, 5, true),
    ( 40, 'At Risk',            1, 2, 3, 5, 1, 5, true),
    ( 50, 'New',                5, 5, 1, 1, 1, 5, true),
    ( 60, 'Promising',          4, 4, 1, 1, 1, 5, true),
    ( 70, 'Potential Loyalist', 4, 5, 2, 2, 1, 5, true),
    ( 80, 'Need Attention',     3, 3, 1, 2, 1, 5, true),
    ( 90, 'About To Sleep',     2, 2, 1, 2, 1, 5, true),
    (100, 'Lost',               1, 1, 1, 2, 1, 5, true);

CREATE TRIGGER rfm_segments_guard
    BEFORE INSERT OR UPDATE ON @extschema@.rfm_segments
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_guard('position');
CREATE TRIGGER rfm_segments_removed
    AFTER DELETE ON @extschema@.rfm_segments
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_removed('position');
-- (a renamed one too: its old key is gone as a deleted row's)
CREATE TRIGGER rfm_segments_renamed
    AFTER UPDATE ON @extschema@.rfm_segments
    FOR EACH ROW WHEN (OLD.position OPERATOR(pg_catalog.<>) NEW.position)
    EXECUTE FUNCTION @extschema@.config_row_removed('position');
CREATE TRIGGER rfm_segments_truncated
    BEFORE TRUNCATE ON @extschema@.rfm_segments
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_row_removed('position');
CREATE TRIGGER rfm_segments_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.rfm_segments
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.invalidate_cache();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.rfm_segments', 'WHERE NOT builtin');

CREATE FUNCTION @extschema@.rfm_segment(r integer, f integer, m integer)
RETURNS text
AS 'MODULE_PATHNAME', 'prio_rfm_segment_sql'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_segment(integer, integer, integer) IS
'Named RFM segment of scores r, f, m (each 1-5) from prio.rfm_segments; ''Other'' when no rule matches. STABLE: reads the table, cached per backend until it changes.';

