-- prio install script: the one editable source of prio--<version>.sql.
-- Every name is qualified; functions that run SQL pin search_path.
\echo Use "CREATE EXTENSION prio" to load this file. \quit

------------------------------------------------------------------------
-- Scoring primitives
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.bant_count(budget boolean, authority boolean,
                                       need boolean, timeline boolean)
RETURNS integer
AS 'MODULE_PATHNAME', 'prio_bant_count'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bant_count(boolean, boolean, boolean, boolean) IS
'How many of budget, authority, need and timeline are TRUE (0-4); NULL means not known and counts as not met. Never NULL.';

CREATE FUNCTION @extschema@.rfm_score(value double precision, breaks double precision[],
                                      higher_is_better boolean DEFAULT true)
RETURNS integer
AS 'MODULE_PATHNAME', 'prio_rfm_score_sql'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_score(double precision, double precision[], boolean) IS
'Score 1..n+1 of value against n ascending breaks; k = breaks strictly below value; 1+k when higher is better, n+1-k when lower is better (recency). NULL value gives NULL.';

CREATE TYPE @extschema@.rfm_summary AS (
    first_at  timestamptz,
    last_at   timestamptz,
    frequency bigint,
    monetary  numeric
);
COMMENT ON TYPE @extschema@.rfm_summary IS
'Raw RFM facts of one customer: first and last purchase, number of purchases, exact sum of amounts.';

CREATE FUNCTION @extschema@.rfm_accum(internal, timestamptz, numeric)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_rfm_accum'
LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_accum(internal, timestamptz, numeric) IS
'Transition function of prio.rfm.';

CREATE FUNCTION @extschema@.rfm_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_rfm_combine'
LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_combine(internal, internal) IS
'Combine function of prio.rfm (partial aggregation).';

CREATE FUNCTION @extschema@.rfm_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'prio_rfm_serialize'
LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_serialize(internal) IS
'Serial function of prio.rfm (parallel aggregation).';

CREATE FUNCTION @extschema@.rfm_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_rfm_deserialize'
LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_deserialize(bytea, internal) IS
'Deserial function of prio.rfm (parallel aggregation).';

CREATE FUNCTION @extschema@.rfm_final(internal)
RETURNS @extschema@.rfm_summary AS 'MODULE_PATHNAME', 'prio_rfm_final'
LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_final(internal) IS
'Final function of prio.rfm.';

CREATE AGGREGATE @extschema@.rfm(at timestamptz, amount numeric) (
    SFUNC = @extschema@.rfm_accum,
    STYPE = internal,
    SSPACE = 48,
    FINALFUNC = @extschema@.rfm_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = @extschema@.rfm_combine,
    SERIALFUNC = @extschema@.rfm_serialize,
    DESERIALFUNC = @extschema@.rfm_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.rfm(timestamptz, numeric) IS
'Raw RFM facts (first_at, last_at, frequency, monetary) over the rows it sees; NULL at is skipped, NULL amount counts as 0; no rows gives (NULL, NULL, 0, 0).';

CREATE FUNCTION @extschema@.intent_accum(double precision, timestamptz, double precision,
                                         interval, timestamptz)
RETURNS double precision AS 'MODULE_PATHNAME', 'prio_intent_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.intent_accum(double precision, timestamptz, double precision, interval, timestamptz) IS
'Transition function of prio.intent: state + weight * 2^(-(as_of - at) / half_life).';

CREATE AGGREGATE @extschema@.intent(at timestamptz, weight double precision,
                                    half_life interval, as_of timestamptz) (
    SFUNC = @extschema@.intent_accum,
    STYPE = double precision,
    INITCOND = '0',
    COMBINEFUNC = pg_catalog.float8pl,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.intent(timestamptz, double precision, interval, timestamptz) IS
'Decayed buying intent: sum of weight * 2^(-age / half_life), age = as_of - at; events after as_of count in full; rows with NULL at or weight are skipped.';

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
'Statement trigger on prio configuration tables: tells every backend to drop its cached copy.';

CREATE FUNCTION @extschema@.config_row_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- TG_ARGV[0] is the key column.
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
        EXECUTE pg_catalog.format(
            'DELETE FROM %s t WHERE t.builtin AND t.%I OPERATOR(pg_catalog.=) ($1).%I',
            TG_RELID::pg_catalog.regclass, TG_ARGV[0], TG_ARGV[0])
        USING NEW;
    END IF;
    NEW.builtin := false;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.config_row_guard() IS
'Row trigger on prio configuration tables: a changed or added row is no longer built-in (so pg_dump keeps it), and an inserted row replaces an unchanged built-in row with the same key.';

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
