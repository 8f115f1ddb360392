-- prio install script, part 00 of sql/install/: the header, then the scoring
-- primitives.  make concatenates the parts in name order into prio--<version>.sql.
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
-- Restore: pg_dump keeps every table of prio (the derived ones too) and a
-- restore loads them as they were.  The first data of a dump of prio is the
-- row of prio._restore (its name sorts first); loading it puts the session
-- in restore mode, in which prio's triggers leave the loaded tables alone
-- (their WHEN clause asks prio.restoring()).
------------------------------------------------------------------------

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

CREATE FUNCTION @extschema@.config_row_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_cols text;
    v_n bigint;
BEGIN
    -- TG_ARGV[0] is the key column.  An inserted row with the key of an
    -- unchanged built-in row takes its place in an UPDATE (as a restore does;
    -- rows in use, such as referenced activity kinds, stay where they are).
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
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

------------------------------------------------------------------------
-- Engine: lifecycle stages
------------------------------------------------------------------------

CREATE TYPE @extschema@.stage AS ENUM
    ('prospect', 'interested', 'engaged', 'closing', 'won', 'silent', 'lost');
COMMENT ON TYPE @extschema@.stage IS
'Lifecycle stage: prospect -> interested -> engaged -> closing -> won, plus silent (nothing inbound for a while) and lost.';

CREATE FUNCTION @extschema@.next_stage(stage @extschema@.stage, kind_stage @extschema@.stage, inbound boolean)
RETURNS @extschema@.stage
AS 'MODULE_PATHNAME', 'prio_next_stage'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.next_stage(@extschema@.stage, @extschema@.stage, boolean) IS
'Base stage after one activity whose kind carries kind_stage (NULL: none): lost/won kinds decide; lost is revived only by inbound; won moves only to lost; otherwise forward only, inbound makes a prospect at least interested.';

CREATE FUNCTION @extschema@.effective_stage(base_stage @extschema@.stage, since timestamptz, as_of timestamptz,
                                            silent_after interval, dormant_after interval)
RETURNS @extschema@.stage
AS 'MODULE_PATHNAME', 'prio_effective_stage_sql'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.effective_stage(@extschema@.stage, timestamptz, timestamptz, interval, interval) IS
'Stage at as_of: silent when base is prospect..closing and nothing inbound since "since" for silent_after, or base is won and nothing inbound for dormant_after; else the base stage.';

CREATE FUNCTION @extschema@.recency_days(last_purchase_at timestamptz, as_of timestamptz)
RETURNS double precision
AS 'MODULE_PATHNAME', 'prio_recency_days'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.recency_days(timestamptz, timestamptz) IS
'Days (fractional) from the last purchase to as_of: the R of RFM, counted exactly as the tier rules count it.';

CREATE FUNCTION @extschema@.decayed(value double precision, since timestamptz, half_life interval, as_of timestamptz)
RETURNS double precision
AS 'MODULE_PATHNAME', 'prio_decayed'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.decayed(double precision, timestamptz, interval, timestamptz) IS
'value * 2^(-(as_of - since) / half_life): an intent kept as of "since", seen at as_of (an earlier as_of takes the decay back).';

------------------------------------------------------------------------
-- Engine: configuration (settings, activity kinds)
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.check_breaks(breaks double precision[])
RETURNS boolean
AS 'MODULE_PATHNAME', 'prio_check_breaks'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.check_breaks(double precision[]) IS
'True for a valid breaks array (not empty, no NULL or NaN, ascending); raises 22023 naming the fault otherwise.';

CREATE TABLE @extschema@.settings (
    id               boolean PRIMARY KEY DEFAULT true CHECK (id),
    r_breaks         double precision[] CHECK (r_breaks IS NULL OR (pg_catalog.cardinality(r_breaks) = 4 AND @extschema@.check_breaks(r_breaks))),
    f_breaks         double precision[] CHECK (f_breaks IS NULL OR (pg_catalog.cardinality(f_breaks) = 4 AND @extschema@.check_breaks(f_breaks))),
    m_breaks         double precision[] CHECK (m_breaks IS NULL OR (pg_catalog.cardinality(m_breaks) = 4 AND @extschema@.check_breaks(m_breaks))),
    intent_half_life interval NOT NULL DEFAULT '14 days' CHECK (intent_half_life > interval '0' AND intent_half_life < interval '100 years'),
    silent_after     interval NOT NULL DEFAULT '30 days' CHECK (silent_after > interval '0' AND silent_after < interval '100 years'),
    dormant_after    interval NOT NULL DEFAULT '90 days' CHECK (dormant_after > interval '0' AND dormant_after < interval '100 years'),
    no_reply_after   interval NOT NULL DEFAULT '3 days'  CHECK (no_reply_after > interval '0' AND no_reply_after < interval '100 years'),
    cadence_a        interval NOT NULL DEFAULT '2 days'  CHECK (cadence_a > interval '0' AND cadence_a < interval '100 years'),
    cadence_b        interval NOT NULL DEFAULT '5 days'  CHECK (cadence_b > interval '0' AND cadence_b < interval '100 years'),
    cadence_c        interval NOT NULL DEFAULT '5 days'  CHECK (cadence_c > interval '0' AND cadence_c < interval '100 years'),
    cadence_d        interval NOT NULL DEFAULT '14 days' CHECK (cadence_d > interval '0' AND cadence_d < interval '100 years'),
    value_score      integer NOT NULL DEFAULT 4 CHECK (value_score BETWEEN 1 AND 5),
    bant_threshold   integer NOT NULL DEFAULT 3 CHECK (bant_threshold BETWEEN 1 AND 4),
    intent_threshold double precision NOT NULL DEFAULT 3
                     CHECK (intent_threshold > 0 AND intent_threshold < 'Infinity'),
    weight_tier      double precision NOT NULL DEFAULT 70 CHECK (weight_tier >= 0 AND weight_tier < 1e6),
    weight_rfm       double precision NOT NULL DEFAULT 12 CHECK (weight_rfm >= 0 AND weight_rfm < 1e6),
    weight_bant      double precision NOT NULL DEFAULT 6  CHECK (weight_bant >= 0 AND weight_bant < 1e6),
    weight_intent    double precision NOT NULL DEFAULT 8  CHECK (weight_intent >= 0 AND weight_intent < 1e6),
    weight_stage     double precision NOT NULL DEFAULT 4  CHECK (weight_stage >= 0 AND weight_stage < 1e6),
    builtin          boolean NOT NULL DEFAULT false,
    -- added in 0.2 (hence after builtin)
    clv_horizon      integer NOT NULL DEFAULT 12 CHECK (clv_horizon BETWEEN 1 AND 600),
    clv_discount_rate double precision NOT NULL DEFAULT 0.01 CHECK (clv_discount_rate >= 0 AND clv_discount_rate < 1),
    clv_refit_after  interval NOT NULL DEFAULT '1 day' CHECK (clv_refit_after > interval '0' AND clv_refit_after < interval '100 years'),
    clv_min_repeat_buyers integer NOT NULL DEFAULT 30 CHECK (clv_min_repeat_buyers BETWEEN 3 AND 1000000000),
    value_min_clv    double precision CHECK (value_min_clv IS NULL OR (value_min_clv > 0 AND value_min_clv < 'Infinity')),
    CHECK (weight_tier + weight_rfm + weight_bant + weight_intent + weight_stage > 0)
);
COMMENT ON TABLE @extschema@.settings IS
'Every prio threshold, in one row; change it with UPDATE.  A change re-tiers every customer in the same transaction.';
COMMENT ON COLUMN @extschema@.settings.id IS 'Always true: the table has exactly one row.';
COMMENT ON COLUMN @extschema@.settings.r_breaks IS 'Four ascending recency cut points in days (lower is better); NULL: quintiles of the customers who bought, recomputed by prio.refresh().';
COMMENT ON COLUMN @extschema@.settings.f_breaks IS 'Four ascending cut points for the number of purchases; NULL: automatic quintiles.';
COMMENT ON COLUMN @extschema@.settings.m_breaks IS 'Four ascending cut points for the sum of purchase amounts; NULL: automatic quintiles.';
COMMENT ON COLUMN @extschema@.settings.intent_half_life IS 'Time after which an activity''s intent weight counts half.';
COMMENT ON COLUMN @extschema@.settings.silent_after IS 'An open deal with nothing inbound for this long is silent.';
COMMENT ON COLUMN @extschema@.settings.dormant_after IS 'A won customer with nothing inbound for this long is silent (dormant).';
COMMENT ON COLUMN @extschema@.settings.no_reply_after IS 'An outbound touch unanswered for this long drops intent to low.';
COMMENT ON COLUMN @extschema@.settings.cadence_a IS 'Follow-up cadence of tier A: next due = last outbound touch + this.';
COMMENT ON COLUMN @extschema@.settings.cadence_b IS 'Follow-up cadence of tier B.';
COMMENT ON COLUMN @extschema@.settings.cadence_c IS 'Follow-up cadence of tier C.';
COMMENT ON COLUMN @extschema@.settings.cadence_d IS 'Follow-up cadence of tier D.';
COMMENT ON COLUMN @extschema@.settings.value_score IS 'Value is high when the monetary or frequency score reaches this (or budget and authority are both TRUE).';
COMMENT ON COLUMN @extschema@.settings.bant_threshold IS 'Intent is high when this many BANT answers are TRUE.';
COMMENT ON COLUMN @extschema@.settings.intent_threshold IS 'Intent is high when the decayed intent reaches this.';
COMMENT ON COLUMN @extschema@.settings.weight_tier IS 'Priority weight of the tier (A 1, B and C 0.5, D 0).  Keep it above twice the sum of the other weights so tiers never overlap.';
COMMENT ON COLUMN @extschema@.settings.weight_rfm IS 'Priority weight of the RFM scores ((r+f+m-3)/12).';
COMMENT ON COLUMN @extschema@.settings.weight_bant IS 'Priority weight of the BANT count (count/4).';
COMMENT ON COLUMN @extschema@.settings.weight_intent IS 'Priority weight of intent (intent/(intent+threshold)).';
COMMENT ON COLUMN @extschema@.settings.weight_stage IS 'Priority weight of the stage (closing 1, engaged and won 0.5, interested 0.25, silent 0.1, else 0).';
COMMENT ON COLUMN @extschema@.settings.builtin IS 'True while the row is as prio shipped it; set false by any change.';
COMMENT ON COLUMN @extschema@.settings.clv_horizon IS 'Months (periods of 4.345 weeks) the clv column of prio.followup looks ahead.';
COMMENT ON COLUMN @extschema@.settings.clv_discount_rate IS 'Discount rate per month for the clv column.';
COMMENT ON COLUMN @extschema@.settings.clv_refit_after IS 'prio.refresh() fits the CLV models again when the latest fit is older than this.';
COMMENT ON COLUMN @extschema@.settings.value_min_clv IS 'When set, value is also high when the customer''s CLV (latest model, clv_horizon months) reaches this amount; NULL: CLV plays no part in the tier.';
COMMENT ON COLUMN @extschema@.settings.clv_min_repeat_buyers IS 'prio.refresh() fits the CLV models only when at least this many customers bought on two or more days.';

INSERT INTO @extschema@.settings (builtin) VALUES (true);

CREATE FUNCTION @extschema@.settings_keep_row()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'prio.settings must keep its one row'
        USING ERRCODE = '23514', HINT = 'Change settings with UPDATE prio.settings SET ...';
END
$$;
COMMENT ON FUNCTION @extschema@.settings_keep_row() IS
'Trigger: refuses DELETE and TRUNCATE of prio.settings.';

CREATE TRIGGER settings_guard
    BEFORE INSERT OR UPDATE ON @extschema@.settings
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_guard('id');
CREATE TRIGGER settings_keep_row
    BEFORE DELETE OR TRUNCATE ON @extschema@.settings
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.settings_keep_row();
CREATE TRIGGER settings_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.settings
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.invalidate_cache();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.settings', 'WHERE NOT builtin');

CREATE TABLE @extschema@.activity_kinds (
    kind          text PRIMARY KEY CHECK (pg_catalog.length(kind) BETWEEN 1 AND 100),
    direction     text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    stage         @extschema@.stage CHECK (stage IS DISTINCT FROM 'silent'),
    is_purchase   boolean NOT NULL DEFAULT false,
    intent_weight double precision NOT NULL DEFAULT 0
                  CHECK (intent_weight > -1e6 AND intent_weight < 1e6),
    builtin       boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.activity_kinds IS
'What each kind of activity means: direction, the stage it moves a customer to, whether it is a purchase, and its intent weight.  Add your own kinds with INSERT.';
COMMENT ON COLUMN @extschema@.activity_kinds.kind IS 'Name used in prio.activities.kind.';
COMMENT ON COLUMN @extschema@.activity_kinds.direction IS 'inbound (the customer acted) or outbound (we reached out).';
COMMENT ON COLUMN @extschema@.activity_kinds.stage IS 'Stage this kind moves a customer to (NULL: none); lost and won decide outright.';
COMMENT ON COLUMN @extschema@.activity_kinds.is_purchase IS 'Counts for RFM frequency and monetary.';
COMMENT ON COLUMN @extschema@.activity_kinds.intent_weight IS 'Intent added by one activity of this kind, halving every intent_half_life.';
COMMENT ON COLUMN @extschema@.activity_kinds.builtin IS 'True while the row is as prio shipped it; set false by any change.';

INSERT INTO @extschema@.activity_kinds (kind, direction, stage, is_purchase, intent_weight, builtin) VALUES
    ('purchase',     'inbound',  'won',        true,  3.0, true),
    ('inquiry',      'inbound',  'interested', false, 3.0, true),
    ('reply',        'inbound',  'interested', false, 2.0, true),
    ('email_open',   'inbound',  NULL,         false, 0.5, true),
    ('visit',        'inbound',  NULL,         false, 1.0, true),
    ('trial_use',    'inbound',  'engaged',    false, 2.0, true),
    ('demo_request', 'inbound',  'engaged',    false, 4.0, true),
    ('rejected',     'inbound',  'lost',       false, 0.0, true),
    ('call',         'outbound', NULL,         false, 0.0, true),
    ('email',        'outbound', NULL,         false, 0.0, true),
    ('meeting',      'outbound', 'engaged',    false, 0.0, true),
    ('proposal',     'outbound', 'engaged',    false, 0.0, true),
    ('quote',        'outbound', 'closing',    false, 0.0, true),
    ('contract',     'outbound', 'won',        false, 0.0, true);

CREATE TRIGGER activity_kinds_guard
    BEFORE INSERT OR UPDATE ON @extschema@.activity_kinds
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_guard('kind');
CREATE TRIGGER activity_kinds_removed
    AFTER DELETE ON @extschema@.activity_kinds
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_removed('kind');
CREATE TRIGGER activity_kinds_truncated
    BEFORE TRUNCATE ON @extschema@.activity_kinds
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_row_removed('kind');
CREATE TRIGGER activity_kinds_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.activity_kinds
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.invalidate_cache();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.activity_kinds', 'WHERE NOT builtin');

CREATE TABLE @extschema@.auto_breaks (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    r_breaks    double precision[],
    f_breaks    double precision[],
    m_breaks    double precision[],
    buyers      bigint NOT NULL DEFAULT 0,
    computed_at timestamptz
);
COMMENT ON TABLE @extschema@.auto_breaks IS
'Quintile breaks of the customers who bought, as prio.refresh() last computed them; used where settings leave breaks NULL.  Maintained by prio.';
COMMENT ON COLUMN @extschema@.auto_breaks.id IS 'Always true: one row.';
COMMENT ON COLUMN @extschema@.auto_breaks.r_breaks IS 'Recency quintile breaks in days (NULL before the first refresh or without buyers).';
COMMENT ON COLUMN @extschema@.auto_breaks.f_breaks IS 'Frequency quintile breaks.';
COMMENT ON COLUMN @extschema@.auto_breaks.m_breaks IS 'Monetary quintile breaks.';
COMMENT ON COLUMN @extschema@.auto_breaks.buyers IS 'How many customers with purchases the breaks were computed from.';
COMMENT ON COLUMN @extschema@.auto_breaks.computed_at IS 'The as_of of the refresh that computed them.';
INSERT INTO @extschema@.auto_breaks DEFAULT VALUES;
CREATE TRIGGER auto_breaks_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.auto_breaks
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.invalidate_cache();

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

------------------------------------------------------------------------
-- Engine: customers, activities, state, history
------------------------------------------------------------------------

CREATE TABLE @extschema@.customers (
    customer_id  bigint PRIMARY KEY,
    name         text CHECK (pg_catalog.length(name) <= 1000),
    owner        text CHECK (pg_catalog.length(owner) <= 200),
    backup_owner text CHECK (pg_catalog.length(backup_owner) <= 200),
    budget       boolean,
    authority    boolean,
    need         boolean,
    timeline     boolean,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now() CHECK (pg_catalog.isfinite(created_at)),
    -- added in 0.4 (hence last)
    attributes   jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (pg_catalog.jsonb_typeof(attributes) OPERATOR(pg_catalog.=) 'object'),
    -- added in 0.4: a customer mirrored from a tracked table (prio.track())
    -- and its key there, as text; both NULL for prio's own customers
    source       regclass,
    customer_key text,
    CONSTRAINT customers_source_key_check CHECK ((source IS NULL) OPERATOR(pg_catalog.=) (customer_key IS NULL))
);
CREATE INDEX customers_owner_idx ON @extschema@.customers (owner);
COMMENT ON TABLE @extschema@.customers IS 'Customers and what the sales team knows of them; written by applications.';
COMMENT ON COLUMN @extschema@.customers.customer_id IS 'Your customer key.';
COMMENT ON COLUMN @extschema@.customers.name IS 'Display name.';
COMMENT ON COLUMN @extschema@.customers.owner IS 'Rep who owns the customer (a role name when owner isolation is on).';
COMMENT ON COLUMN @extschema@.customers.backup_owner IS 'Rep who covers for the owner.';
COMMENT ON COLUMN @extschema@.customers.budget IS 'BANT: has budget (NULL: not known).';
COMMENT ON COLUMN @extschema@.customers.authority IS 'BANT: we talk to someone with authority (NULL: not known).';
COMMENT ON COLUMN @extschema@.customers.need IS 'BANT: has the need (NULL: not known).';
COMMENT ON COLUMN @extschema@.customers.timeline IS 'BANT: has a timeline (NULL: not known).';
COMMENT ON COLUMN @extschema@.customers.created_at IS 'When the customer was created; the quiet clock starts here until the first activity.';
COMMENT ON COLUMN @extschema@.customers.source IS 'The tracked table this customer is mirrored from (prio.track()); NULL for a customer of prio.customers itself.';
COMMENT ON COLUMN @extschema@.customers.customer_key IS 'The customer''s key in the tracked table (source), as text; NULL for a customer of prio.customers itself, whose key is customer_id.  Written by prio.';
COMMENT ON COLUMN @extschema@.customers.attributes IS 'Your own attributes of the customer, as a JSON object (dumped and restored with prio.customers); for a customer of a tracked table, the mapping''s "attributes".';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.customers', '');

CREATE TABLE @extschema@.activities (
    activity_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES @extschema@.customers,
    kind        text NOT NULL REFERENCES @extschema@.activity_kinds,
    at          timestamptz NOT NULL DEFAULT pg_catalog.now() CHECK (pg_catalog.isfinite(at)),
    amount      numeric NOT NULL DEFAULT 0 CHECK (amount >= 0 AND amount < 1e15),
    note        text CHECK (pg_catalog.length(note) <= 10000)
);
CREATE INDEX activities_customer_at_idx ON @extschema@.activities (customer_id, at);
COMMENT ON TABLE @extschema@.activities IS 'What happened with each customer; applications INSERT (or COPY) rows and prio re-tiers the customers at once.';
COMMENT ON COLUMN @extschema@.activities.activity_id IS 'Generated key; ties at the same time are folded in this order.';
COMMENT ON COLUMN @extschema@.activities.customer_id IS 'The customer (prio.customers).';
COMMENT ON COLUMN @extschema@.activities.kind IS 'The kind of activity (prio.activity_kinds).';
COMMENT ON COLUMN @extschema@.activities.at IS 'When it happened; finite, at most a day in the future.';
COMMENT ON COLUMN @extschema@.activities.amount IS 'Purchase amount (0 for anything else); 0 <= amount < 1e15.';
COMMENT ON COLUMN @extschema@.activities.note IS 'Free text.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.activities', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.activities_activity_id_seq', '');
COMMENT ON SEQUENCE @extschema@.activities_activity_id_seq IS 'Generates prio.activities.activity_id.';

CREATE TYPE @extschema@.facts AS (
    customer_id      bigint,
    first_at         timestamptz,
    last_at          timestamptz,
    last_inbound_at  timestamptz,
    last_outbound_at timestamptz,
    last_purchase_at timestamptz,
    frequency        bigint,
    monetary         numeric,
    intent           double precision,
    intent_at        timestamptz,
    stage            @extschema@.stage,
    first_purchase_at timestamptz,
    purchase_days    bigint,
    first_day_amount numeric
);
COMMENT ON TYPE @extschema@.facts IS
'What prio folds from one customer''s activities: first/last activity, last inbound/outbound/purchase, purchase count and sum, intent decayed as of intent_at, base stage, and the BTYD inputs (first purchase, UTC calendar days with purchases, the first such day''s amount).';

CREATE TABLE @extschema@.customer_state (
    customer_id      bigint PRIMARY KEY REFERENCES @extschema@.customers ON DELETE CASCADE ON UPDATE CASCADE,
    first_at         timestamptz,
    last_at          timestamptz,
    last_inbound_at  timestamptz,
    last_outbound_at timestamptz,
    last_purchase_at timestamptz,
    frequency        bigint NOT NULL DEFAULT 0,
    monetary         numeric NOT NULL DEFAULT 0,
    intent           double precision NOT NULL DEFAULT 0,
    intent_at        timestamptz,
    stage            @extschema@.stage NOT NULL DEFAULT 'prospect',
    effective_stage  @extschema@.stage,
    r_score          integer,
    f_score          integer,
    m_score          integer,
    bant             integer,
    no_reply         boolean,
    value_high       boolean,
    intent_high      boolean,
    tier             text CHECK (tier IN ('A', 'B', 'C', 'D')),
    priority         double precision,
    next_due_at      timestamptz,
    rule             text,
    updated_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- added in 0.2 (hence after updated_at)
    first_purchase_at timestamptz,
    purchase_days    bigint NOT NULL DEFAULT 0,
    first_day_amount numeric NOT NULL DEFAULT 0,
    owner            text,
    -- added in 0.4 (hence last)
    next_planned_at  timestamptz
) WITH (fillfactor = 80);
-- the follow-up list of one rep; prio's own updates never touch owner, so
-- they stay HOT (an index on priority or next_due_at would make nearly every
-- update non-HOT: README, Performance)
CREATE INDEX customer_state_owner_idx ON @extschema@.customer_state (owner);
-- refresh() folds the planned touches that came due; partial: a customer
-- without one (nearly all) is not in it, and their updates stay HOT
CREATE INDEX customer_state_planned_idx ON @extschema@.customer_state (next_planned_at)
    WHERE next_planned_at IS NOT NULL;
COMMENT ON TABLE @extschema@.customer_state IS
'One row per customer, maintained by prio only: the facts folded from its activities and the tier they give.  prio.recompute() rebuilds it; the live rows always equal what it produces.';
COMMENT ON COLUMN @extschema@.customer_state.customer_id IS 'The customer.';
COMMENT ON COLUMN @extschema@.customer_state.first_at IS 'First activity of any kind.';
COMMENT ON COLUMN @extschema@.customer_state.last_at IS 'Last activity of any kind.';
COMMENT ON COLUMN @extschema@.customer_state.last_inbound_at IS 'Last inbound activity (the customer acted).';
COMMENT ON COLUMN @extschema@.customer_state.last_outbound_at IS 'Last outbound activity (we reached out).';
COMMENT ON COLUMN @extschema@.customer_state.last_purchase_at IS 'Last purchase.';
COMMENT ON COLUMN @extschema@.customer_state.frequency IS 'Number of purchases.';
COMMENT ON COLUMN @extschema@.customer_state.monetary IS 'Sum of purchase amounts (exact).';
COMMENT ON COLUMN @extschema@.customer_state.intent IS 'Intent decayed as of intent_at.';
COMMENT ON COLUMN @extschema@.customer_state.intent_at IS 'The time intent is computed as of (the newest activity).';
COMMENT ON COLUMN @extschema@.customer_state.stage IS 'Base stage folded from the activities.';
COMMENT ON COLUMN @extschema@.customer_state.effective_stage IS 'Stage when last evaluated (silent when quiet too long).';
COMMENT ON COLUMN @extschema@.customer_state.r_score IS 'Recency score 1-5 when last evaluated (NULL without breaks).';
COMMENT ON COLUMN @extschema@.customer_state.f_score IS 'Frequency score 1-5.';
COMMENT ON COLUMN @extschema@.customer_state.m_score IS 'Monetary score 1-5.';
COMMENT ON COLUMN @extschema@.customer_state.bant IS 'Number of BANT answers that are TRUE.';
COMMENT ON COLUMN @extschema@.customer_state.no_reply IS 'The last outbound touch has been unanswered for longer than no_reply_after.';
COMMENT ON COLUMN @extschema@.customer_state.value_high IS 'Value side of the tier.';
COMMENT ON COLUMN @extschema@.customer_state.intent_high IS 'Intent side of the tier.';
COMMENT ON COLUMN @extschema@.customer_state.tier IS 'A (value and intent), B (value), C (intent), D (neither, or lost).';
COMMENT ON COLUMN @extschema@.customer_state.priority IS 'Priority 0-100 (see README for the formula).';
COMMENT ON COLUMN @extschema@.customer_state.next_due_at IS 'Last outbound touch (else first activity, else creation) + the tier''s cadence.';
COMMENT ON COLUMN @extschema@.customer_state.rule IS 'Which rules set the tier.';
COMMENT ON COLUMN @extschema@.customer_state.updated_at IS 'When prio last changed this row.';
COMMENT ON COLUMN @extschema@.customer_state.first_purchase_at IS 'First purchase.';
COMMENT ON COLUMN @extschema@.customer_state.purchase_days IS 'UTC calendar days with purchases: the BTYD transactions (x = purchase_days - 1).';
COMMENT ON COLUMN @extschema@.customer_state.owner IS 'prio.customers.owner, kept here so a rep''s follow-up list reads one table.';
COMMENT ON COLUMN @extschema@.customer_state.first_day_amount IS 'Amount bought on the first purchase day (the repeat transactions'' mean leaves it out).';
COMMENT ON COLUMN @extschema@.customer_state.next_planned_at IS 'The earliest planned touch: an activity dated after the customer was last folded, stored but not scored yet; prio.refresh() folds it once due (NULL: none).';
-- dumped as it is, so a restore gives back the state it had (prio._restore)
SELECT pg_catalog.pg_extension_config_dump('@extschema@.customer_state', '');

-- No primary key (0.3 and before: a restore replayed the activities through
-- the triggers, which wrote history of their own before the dumped history
-- arrived).  A restore now loads the dumped history as it is (prio._restore).
CREATE TABLE @extschema@.tier_history (
    history_id  bigint GENERATED ALWAYS AS IDENTITY,
    customer_id bigint NOT NULL REFERENCES @extschema@.customers ON DELETE CASCADE ON UPDATE CASCADE,
    changed_at  timestamptz NOT NULL,
    old_tier    text,
    new_tier    text,
    old_stage   @extschema@.stage,
    new_stage   @extschema@.stage,
    reason      text,
    -- added in 0.4 (hence last): the customer's tracked table and key there
    source       regclass,
    customer_key text
);
CREATE INDEX tier_history_customer_idx ON @extschema@.tier_history (customer_id, changed_at);
CREATE INDEX tier_history_id_idx ON @extschema@.tier_history (history_id);
COMMENT ON TABLE @extschema@.tier_history IS
'One row per change of a customer''s tier or (effective) stage, written by prio; a new customer''s first row has NULL old values.';
COMMENT ON COLUMN @extschema@.tier_history.history_id IS 'Generated, increasing number (not a key: a database restored with prio 0.3 or before may hold rows the restore wrote, under numbers the dumped rows also use).';
COMMENT ON COLUMN @extschema@.tier_history.customer_id IS 'The customer.';
COMMENT ON COLUMN @extschema@.tier_history.changed_at IS 'When the change took effect: the as_of of the evaluation; for a customer''s history replayed (its first events loaded or tracked with their past, reason "<why> then: ..."), the event''s own time.';
COMMENT ON COLUMN @extschema@.tier_history.old_tier IS 'Tier before.';
COMMENT ON COLUMN @extschema@.tier_history.new_tier IS 'Tier after.';
COMMENT ON COLUMN @extschema@.tier_history.old_stage IS 'Effective stage before.';
COMMENT ON COLUMN @extschema@.tier_history.new_stage IS 'Effective stage after.';
COMMENT ON COLUMN @extschema@.tier_history.reason IS 'What triggered it (activity, customer, settings, refresh, recompute) and the rule.';
COMMENT ON COLUMN @extschema@.tier_history.source IS 'The tracked table the customer is mirrored from (prio.customers.source when the row was written); NULL for a customer of prio.customers itself.';
COMMENT ON COLUMN @extschema@.tier_history.customer_key IS 'The customer''s key in that table, as text (follows a change of the key); NULL for a customer of prio.customers itself, whose key is customer_id.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.tier_history', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.tier_history_history_id_seq', '');
COMMENT ON SEQUENCE @extschema@.tier_history_history_id_seq IS 'Generates prio.tier_history.history_id.';

CREATE FUNCTION @extschema@.stored_facts(s @extschema@.customer_state)
RETURNS @extschema@.facts
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- A pure row expression with qualified names only, left without SET so the
-- planner can inline it.
RETURN ROW(s.customer_id, s.first_at, s.last_at, s.last_inbound_at, s.last_outbound_at,
           s.last_purchase_at, s.frequency, s.monetary, s.intent, s.intent_at,
           s.stage, s.first_purchase_at, s.purchase_days, s.first_day_amount)::@extschema@.facts;
COMMENT ON FUNCTION @extschema@.stored_facts(@extschema@.customer_state) IS
'The folded facts of a customer_state row, as prio.facts.';


------------------------------------------------------------------------
-- Engine: the rules (C) -- one fold, one evaluation, used by every path
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean,
                                       @extschema@.stage, boolean, double precision, numeric, interval)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_fold_accum_0_4'
LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval) IS
'Transition function of prio.fold.';
CREATE FUNCTION @extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean,
                                       @extschema@.stage, boolean, double precision, numeric, interval, bigint)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_fold_accum_by_id_0_4'
LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval, bigint) IS
'Transition function of prio.fold (with activity_id).';

CREATE FUNCTION @extschema@.fold_final(internal)
RETURNS @extschema@.facts AS 'MODULE_PATHNAME', 'prio_fold_final'
LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fold_final(internal) IS 'Final function of prio.fold: sorts the rows and folds them.';

CREATE AGGREGATE @extschema@.fold(start @extschema@.facts, customer_id bigint, at timestamptz,
                                  inbound boolean, kind_stage @extschema@.stage, is_purchase boolean,
                                  weight double precision, amount numeric, half_life interval) (
    SFUNC = @extschema@.fold_accum,
    STYPE = internal,
    FINALFUNC = @extschema@.fold_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.fold(@extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval) IS
'A customer''s facts folded from activities in time order (sorted inside; rows at the same time keep their arrival order).  start: stored facts to continue from, or NULL to fold from nothing.  Rows with NULL at only name the customer.';

CREATE AGGREGATE @extschema@.fold(start @extschema@.facts, customer_id bigint, at timestamptz,
                                  inbound boolean, kind_stage @extschema@.stage, is_purchase boolean,
                                  weight double precision, amount numeric, half_life interval,
                                  activity_id bigint) (
    SFUNC = @extschema@.fold_accum,
    STYPE = internal,
    FINALFUNC = @extschema@.fold_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.fold(@extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval, bigint) IS
'prio.fold in (at, activity_id) order, sorted inside: no ORDER BY needed (PostgreSQL 15 would sort each group separately).';

CREATE TYPE @extschema@.evaluation AS (
    effective_stage @extschema@.stage,
    recency_days    double precision,
    r_score         integer,
    f_score         integer,
    m_score         integer,
    bant            integer,
    intent          double precision,
    no_reply        boolean,
    value_high      boolean,
    intent_high     boolean,
    tier            text,
    priority        double precision,
    next_due_at     timestamptz,
    rule            text,
    p_tier          double precision,
    p_rfm           double precision,
    p_bant          double precision,
    p_intent        double precision,
    p_stage         double precision
);
COMMENT ON TYPE @extschema@.evaluation IS
'Everything prio.evaluate() derives for one customer at one time, with the five priority points (each 0..1).';

CREATE FUNCTION @extschema@.evaluate(facts @extschema@.facts, customer @extschema@.customers,
                                     cfg @extschema@.settings, r_breaks double precision[],
                                     f_breaks double precision[], m_breaks double precision[],
                                     as_of timestamptz)
RETURNS @extschema@.evaluation
AS 'MODULE_PATHNAME', 'prio_evaluate_0_4'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz) IS
'The tier rules: RFM scores, effective stage, value, intent, tier, priority, next due date and the rule that fired, as of as_of.';

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
------------------------------------------------------------------------
-- Engine: triggers
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.activities_inserted()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_activities_inserted_0_4'
LANGUAGE C SECURITY DEFINER
-- It runs SQL as prio's owner: no name it uses may come from the caller's
-- search_path or temporary schema (the C also qualifies every name).
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.activities_inserted() IS
'Statement trigger (C): folds the inserted activities into their customers'' state, in chunks locked in customer_id order, and re-tiers them; history and NOTIFY for every change.';

CREATE FUNCTION @extschema@.activities_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_activities_changed'
LANGUAGE C SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.activities_changed() IS
'Statement trigger (C): UPDATE, DELETE or TRUNCATE of activities refolds the customers they touched (prio.rebuild; TRUNCATE: everyone), writing their state rows even when unchanged.';

CREATE TRIGGER activities_inserted
    AFTER INSERT ON @extschema@.activities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_inserted();
CREATE TRIGGER activities_updated
    AFTER UPDATE ON @extschema@.activities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_changed();
CREATE TRIGGER activities_deleted
    AFTER DELETE ON @extschema@.activities
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_changed();
CREATE TRIGGER activities_truncated
    AFTER TRUNCATE ON @extschema@.activities
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.activities_changed();

CREATE FUNCTION @extschema@.customers_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_customers_changed'
LANGUAGE C SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.customers_changed() IS
'Statement trigger (C): a new customer gets its state row (unless an activity of it made one already); the state''s owner follows the customer''s; the customers are re-evaluated (prio.reevaluate), so a change of BANT answers re-tiers them.';

CREATE TRIGGER customers_inserted
    AFTER INSERT ON @extschema@.customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.customers_changed();
CREATE TRIGGER customers_updated
    AFTER UPDATE ON @extschema@.customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.customers_changed();

CREATE FUNCTION @extschema@.config_changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    IF TG_RELID OPERATOR(pg_catalog.<>) ALL (ARRAY['@extschema@.settings'::pg_catalog.regclass,
                                                  '@extschema@.activity_kinds'::pg_catalog.regclass]) THEN
        RAISE EXCEPTION 'prio.config_changed() is a trigger of prio.settings and prio.activity_kinds only'
            USING ERRCODE = '39P01';
    END IF;
    -- Wait for every transaction still writing or locking customer_state
    -- rows (it may have folded rows we cannot see yet with the old
    -- configuration) and hold off new ones until everyone is re-tiered under
    -- the new one.  EXCLUSIVE, the mode the rebuild takes, so it is no upgrade.
    LOCK TABLE @extschema@.customer_state IN EXCLUSIVE MODE;
    PERFORM @extschema@.rebuild(NULL, TG_TABLE_NAME OPERATOR(pg_catalog.||) ' changed', true);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.config_changed() IS
'Statement trigger: a change of settings or activity kinds re-tiers everyone in the same transaction.';

CREATE TRIGGER settings_changed
    AFTER INSERT OR UPDATE ON @extschema@.settings
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.config_changed();
CREATE TRIGGER activity_kinds_changed
    AFTER UPDATE OR DELETE ON @extschema@.activity_kinds
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.config_changed();

------------------------------------------------------------------------
-- Engine: refresh, recompute, explain
------------------------------------------------------------------------

-- Jobs that run one at a time hold their row here, locked FOR UPDATE until
-- their transaction ends.  Not an advisory lock: any role that can connect
-- can take those; locking these rows needs UPDATE privilege on the table,
-- which only prio's owner has.
CREATE TABLE @extschema@.job_locks (
    job text PRIMARY KEY
);
COMMENT ON TABLE @extschema@.job_locks IS
'One row per prio job that runs one at a time (refresh, win_counts: the compaction of prio.win_counts); the job holds its row locked until its transaction ends.  Only prio''s owner can lock these rows.  Maintained by prio.';
COMMENT ON COLUMN @extschema@.job_locks.job IS 'The job.';
INSERT INTO @extschema@.job_locks (job) VALUES ('refresh'), ('win_counts');

CREATE TABLE @extschema@.refresh_runs (
    run_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    as_of       timestamptz NOT NULL,
    skipped     boolean NOT NULL,
    changed     integer,
    breaks      text CHECK (breaks IN ('unchanged', 'updated', 'deferred')),
    finished_at timestamptz NOT NULL
);
COMMENT ON TABLE @extschema@.refresh_runs IS
'The run log of prio.refresh(): one row per call (the latest 1000), written in the caller''s transaction; a call skipped because another refresh was running says so here and returns NULL.';
COMMENT ON COLUMN @extschema@.refresh_runs.run_id IS 'Generated, increasing.';
COMMENT ON COLUMN @extschema@.refresh_runs.started_at IS 'When the call started (clock time).';
COMMENT ON COLUMN @extschema@.refresh_runs.as_of IS 'The time it evaluated customers as of.';
COMMENT ON COLUMN @extschema@.refresh_runs.skipped IS 'True when another refresh held the job and this one did nothing.';
COMMENT ON COLUMN @extschema@.refresh_runs.changed IS 'Customers that changed tier or stage (what refresh() returned); NULL when skipped.';
COMMENT ON COLUMN @extschema@.refresh_runs.breaks IS 'The automatic breaks and CLV models: unchanged (nothing new), updated, or deferred (new ones were due, but a transaction writing customer_state held it past lock_timeout: the old ones stay in force until a later refresh); NULL when skipped.';
COMMENT ON COLUMN @extschema@.refresh_runs.finished_at IS 'When the call finished (clock time).';
COMMENT ON SEQUENCE @extschema@.refresh_runs_run_id_seq IS 'Generates prio.refresh_runs.run_id.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.refresh_runs', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.refresh_runs_run_id_seq', '');

CREATE FUNCTION @extschema@.refresh(as_of timestamptz DEFAULT pg_catalog.now())
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_started timestamptz := pg_catalog.clock_timestamp();
    v_ids bigint[];
    v_changed integer := 0;
    v_r double precision[];
    v_f double precision[];
    v_m double precision[];
    v_n bigint;
    v_fit boolean;
    v_locked boolean := false;
    v_breaks text := 'unchanged';
    v_planned bigint[];
    v_hmax bigint;
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'as_of must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF NOT pg_catalog.isfinite(as_of) THEN
        RAISE EXCEPTION 'as_of must be a finite time, not %', as_of USING ERRCODE = '22023';
    END IF;
    IF as_of OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.+) interval '10 years') THEN
        RAISE EXCEPTION 'as_of is more than 10 years ahead' USING ERRCODE = '22023',
            HINT = 'refresh(as_of) evaluates customers at a time; history rows are dated then.';
    END IF;
    -- one refresh at a time (a second one has nothing to add): the job's row
    -- in prio.job_locks, which no other role can lock
    PERFORM 1 FROM @extschema@.job_locks j WHERE j.job OPERATOR(pg_catalog.=) 'refresh'
        FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT 1 FROM @extschema@.job_locks j WHERE j.job OPERATOR(pg_catalog.=) 'refresh') THEN
            RAISE EXCEPTION 'prio.job_locks has no row for the job refresh' USING ERRCODE = '55000',
                HINT = 'INSERT INTO prio.job_locks (job) VALUES (''refresh''), as prio''s owner.';
        END IF;
        RAISE NOTICE 'prio.refresh() is already running in another session; skipped';
        INSERT INTO @extschema@.refresh_runs (started_at, as_of, skipped, changed, finished_at)
        VALUES (v_started, as_of, true, NULL, pg_catalog.clock_timestamp());
        RETURN NULL;
    END IF;

    -- the CLV models are due when the latest fit is old and enough customers
    -- bought again (fitted before the evaluation: the value side may use them)
    v_fit := NOT EXISTS (SELECT 1 FROM @extschema@.clv_models m, @extschema@.settings cfg
                          WHERE m.fitted_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) cfg.clv_refit_after))
             AND (SELECT pg_catalog.count(*) FROM @extschema@.customer_state s
                   WHERE s.purchase_days OPERATOR(pg_catalog.>) 1)
                 OPERATOR(pg_catalog.>=) (SELECT cfg.clv_min_repeat_buyers FROM @extschema@.settings cfg);
    -- New breaks or models change how customers are scored, and a writer
    -- still in flight has scored its customers under the old ones.  So, as a
    -- settings change does, wait for every transaction writing state and hold
    -- off new ones until this one ends; then compute the breaks again, from
    -- everything committed (a later statement sees it).
    LOOP
        SELECT pg_catalog.percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP
               (ORDER BY @extschema@.recency_days(s.last_purchase_at, as_of)),
               pg_catalog.percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP
               (ORDER BY s.frequency::double precision),
               pg_catalog.percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP
               (ORDER BY s.monetary::double precision),
               pg_catalog.count(*)
          INTO v_r, v_f, v_m, v_n
          FROM @extschema@.customer_state s
         WHERE s.frequency OPERATOR(pg_catalog.>) 0;
        EXIT WHEN v_locked;
        EXIT WHEN NOT v_fit
              AND NOT EXISTS (SELECT 1 FROM @extschema@.auto_breaks b
                               WHERE ROW(b.r_breaks, b.f_breaks, b.m_breaks, b.buyers)
                                     IS DISTINCT FROM ROW(v_r, v_f, v_m, v_n)
                                  OR b.computed_at IS NULL);
        -- EXCLUSIVE, the mode a settings change and the rebuild take.  While
        -- it waits, new writers queue behind it: with lock_timeout set, a
        -- refresh that cannot have it in time keeps the old breaks and models
        -- (the writers scored under them) and does the rest.
        BEGIN
            LOCK TABLE @extschema@.customer_state IN EXCLUSIVE MODE;
            v_locked := true;
        EXCEPTION WHEN lock_not_available THEN
            RAISE WARNING 'prio.refresh(): new automatic breaks and CLV models deferred: a transaction writing prio.customer_state held it past lock_timeout (%)',
                          pg_catalog.current_setting('lock_timeout');
            v_breaks := 'deferred';
            EXIT;
        END;
    END LOOP;

    IF v_locked THEN
        v_breaks := 'updated';
        UPDATE @extschema@.auto_breaks b
           SET r_breaks = v_r, f_breaks = v_f, m_breaks = v_m, buyers = v_n, computed_at = as_of
         WHERE ROW(b.r_breaks, b.f_breaks, b.m_breaks, b.buyers) IS DISTINCT FROM ROW(v_r, v_f, v_m, v_n)
            OR b.computed_at IS NULL;
        IF v_fit THEN
            BEGIN
                PERFORM @extschema@.fit_clv();
            EXCEPTION WHEN invalid_parameter_value THEN
                RAISE WARNING 'prio.refresh(): the CLV models were not fitted: %', SQLERRM;
            END;
        END IF;
    END IF;
    -- planned touches that came due (customer_state.next_planned_at, an
    -- activity dated after its customer was last folded): those customers
    -- folded again, as of now, their changes counted
    v_planned := ARRAY(SELECT s.customer_id FROM @extschema@.customer_state s
                        WHERE s.next_planned_at OPERATOR(pg_catalog.<=) pg_catalog.now()
                        ORDER BY s.customer_id);
    IF pg_catalog.cardinality(v_planned) OPERATOR(pg_catalog.>) 0 THEN
        SELECT pg_catalog.max(h.history_id) INTO v_hmax FROM @extschema@.tier_history h;
        PERFORM @extschema@.rebuild(v_planned, 'refresh', false);
        SELECT pg_catalog.count(DISTINCT h.customer_id) INTO v_changed FROM @extschema@.tier_history h
         WHERE h.history_id OPERATOR(pg_catalog.>) coalesce(v_hmax, 0);
    END IF;
    -- who would change: evaluate everyone without locks, then lock and apply only those
    v_ids := @extschema@.sweep_due(as_of);
    IF v_ids IS NOT NULL THEN
        v_changed := v_changed OPERATOR(pg_catalog.+) @extschema@.reevaluate(v_ids, as_of, 'refresh');
    END IF;

    -- sum up the win-count deltas
    IF EXISTS (SELECT 1 FROM @extschema@.win_counts w GROUP BY w.variable, w.value
                HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1) THEN
        PERFORM @extschema@.compact_win_counts();
    END IF;

    INSERT INTO @extschema@.refresh_runs (started_at, as_of, skipped, changed, breaks, finished_at)
    VALUES (v_started, as_of, false, v_changed, v_breaks, pg_catalog.clock_timestamp());
    DELETE FROM @extschema@.refresh_runs r
     WHERE r.run_id OPERATOR(pg_catalog.<=)
           (SELECT pg_catalog.max(l.run_id) OPERATOR(pg_catalog.-) 1000 FROM @extschema@.refresh_runs l);
    RETURN v_changed;
END
$$;
COMMENT ON FUNCTION @extschema@.refresh(timestamptz) IS
'Time moves customers too: folds the planned touches that came due (activities dated after their customer was last folded), recomputes automatic breaks, re-evaluates everyone as of as_of (silent, dormant, overdue, decayed intent), writes only rows that change, logs changes; fits the CLV models again (prio.fit_clv) when the latest fit is older than settings.clv_refit_after and enough customers bought again; returns how many customers changed tier or stage.  When the breaks or the models change it first waits for the transactions writing state and holds off new ones until it ends, as a settings change does; with lock_timeout set, a refresh that cannot lock them out in time keeps the old breaks and models (a WARNING, breaks = deferred in the log).  One call at a time: a concurrent second call returns NULL at once, with a NOTICE; every call is logged in prio.refresh_runs.';

CREATE FUNCTION @extschema@.recompute(customer_id bigint DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_fixed integer;
BEGIN
    IF recompute.customer_id IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM @extschema@.customers c
            WHERE c.customer_id OPERATOR(pg_catalog.=) recompute.customer_id) THEN
        RAISE EXCEPTION 'customer % does not exist', recompute.customer_id
            USING ERRCODE = '23503', HINT = 'Customers are rows of prio.customers.';
    END IF;
    v_fixed := @extschema@.rebuild(CASE WHEN recompute.customer_id IS NULL THEN NULL
                                        ELSE ARRAY[recompute.customer_id] END, 'recompute', false);
    IF recompute.customer_id IS NULL THEN
        PERFORM @extschema@.rebuild_win_counts();
    END IF;
    RETURN v_fixed;
END
$$;
COMMENT ON FUNCTION @extschema@.recompute(bigint) IS
'Rebuilds state from the activities for one customer or everyone (NULL) and re-evaluates it now; for everyone it also rebuilds the win-probability counts from the outcomes; returns how many customers'' stored facts differed from the rebuild (0 when live maintenance was right).';

CREATE FUNCTION @extschema@.explain(customer_id bigint)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v jsonb;
BEGIN
    IF explain.customer_id IS NULL THEN
        RAISE EXCEPTION 'customer_id must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT pg_catalog.jsonb_build_object(
        'customer_id', c.customer_id, 'name', c.name, 'owner', c.owner,
        -- (0.4) where the customer comes from: a tracked table and its key
        -- there, else prio.customers and customer_id
        'source', c.source, 'key', COALESCE(c.customer_key, c.customer_id::text),
        'as_of', pg_catalog.now(),
        'tier', (x.e).tier, 'priority', (x.e).priority, 'rule', (x.e).rule,
        'stored', pg_catalog.jsonb_build_object('tier', s.tier, 'priority', s.priority,
                   'stage', s.effective_stage, 'updated_at', s.updated_at),
        'rfm', pg_catalog.jsonb_build_object(
            'recency_days', (x.e).recency_days, 'frequency', s.frequency, 'monetary', s.monetary,
            'r', (x.e).r_score, 'f', (x.e).f_score, 'm', (x.e).m_score,
            'segment', CASE WHEN (x.e).r_score IS NOT NULL AND (x.e).f_score IS NOT NULL
                             AND (x.e).m_score IS NOT NULL
                            THEN @extschema@.rfm_segment((x.e).r_score, (x.e).f_score, (x.e).m_score) END,
            'breaks', pg_catalog.jsonb_build_object('r', x.rb, 'f', x.fb, 'm', x.mb,
                        'source', CASE WHEN (x.cfg).r_breaks IS NULL THEN 'automatic quintiles, computed '
                                       OPERATOR(pg_catalog.||) coalesce(x.breaks_computed_at::text, 'never (run prio.refresh())')
                                       ELSE 'settings' END)),
        'bant', pg_catalog.jsonb_build_object('budget', c.budget, 'authority', c.authority,
                   'need', c.need, 'timeline', c.timeline, 'count', (x.e).bant,
                   'threshold', (x.cfg).bant_threshold),
        'stage', pg_catalog.jsonb_build_object('base', s.stage, 'effective', (x.e).effective_stage,
                   'first_at', s.first_at, 'last_at', s.last_at,
                   'last_inbound_at', s.last_inbound_at, 'last_outbound_at', s.last_outbound_at,
                   'silent_after', (x.cfg).silent_after, 'dormant_after', (x.cfg).dormant_after),
        'intent', pg_catalog.jsonb_build_object('value', (x.e).intent, 'threshold', (x.cfg).intent_threshold,
                   'half_life', (x.cfg).intent_half_life, 'no_reply', (x.e).no_reply,
                   'no_reply_after', (x.cfg).no_reply_after),
        'value_high', (x.e).value_high, 'intent_high', (x.e).intent_high,
        'priority_points', pg_catalog.jsonb_build_object('tier', (x.e).p_tier, 'rfm', (x.e).p_rfm,
                   'bant', (x.e).p_bant, 'intent', (x.e).p_intent, 'stage', (x.e).p_stage),
        'priority_weights', pg_catalog.jsonb_build_object('tier', (x.cfg).weight_tier,
                   'rfm', (x.cfg).weight_rfm, 'bant', (x.cfg).weight_bant,
                   'intent', (x.cfg).weight_intent, 'stage', (x.cfg).weight_stage),
        'next_due_at', (x.e).next_due_at,
        'cadence', CASE (x.e).tier WHEN 'A' THEN (x.cfg).cadence_a WHEN 'B' THEN (x.cfg).cadence_b
                                   WHEN 'C' THEN (x.cfg).cadence_c ELSE (x.cfg).cadence_d END,
        'clv', pg_catalog.jsonb_build_object(
                   'summary', pg_catalog.to_jsonb(@extschema@.customer_summary(s)),
                   'p_alive', @extschema@.p_alive(x.m_bgnbd, s),
                   'clv', @extschema@.clv(x.m_bgnbd, x.m_gammagamma, s, (x.cfg).clv_horizon, (x.cfg).clv_discount_rate),
                   'horizon_months', (x.cfg).clv_horizon,
                   'model_fitted_at', x.m_fitted_at),
        'win', CASE WHEN s.stage OPERATOR(pg_catalog.=) ANY ('{won,lost}'::@extschema@.stage[])
                    THEN pg_catalog.jsonb_build_object('closed', s.stage)
                    ELSE pg_catalog.jsonb_build_object(
                        'probability', @extschema@.win_probability(x.wf, x.wm),
                        'raises', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(f) ORDER BY f.weight DESC), '[]')
                                     FROM (SELECT * FROM @extschema@.win_factors(x.wf, x.wm) w
                                            WHERE w.weight OPERATOR(pg_catalog.>) 0
                                            ORDER BY w.weight DESC, w.variable LIMIT 3) f),
                        'lowers', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(f) ORDER BY f.weight), '[]')
                                     FROM (SELECT * FROM @extschema@.win_factors(x.wf, x.wm) w
                                            WHERE w.weight OPERATOR(pg_catalog.<) 0
                                            ORDER BY w.weight, w.variable LIMIT 3) f)) END)
      INTO v
      FROM @extschema@.customers c
      JOIN @extschema@.customer_state s ON s.customer_id OPERATOR(pg_catalog.=) c.customer_id
     CROSS JOIN LATERAL (
        SELECT r.cfg, r.r_breaks AS rb, r.f_breaks AS fb, r.m_breaks AS mb, r.breaks_computed_at,
               @extschema@.evaluate(@extschema@.stored_facts(s), c, r.cfg, r.r_breaks, r.f_breaks,
                                    r.m_breaks, pg_catalog.now(), r.bgnbd, r.gammagamma) AS e,
               @extschema@.win_features(s) AS wf, @extschema@.win_model() AS wm,
               m.bgnbd AS m_bgnbd, m.gammagamma AS m_gammagamma, m.fitted_at AS m_fitted_at
          FROM @extschema@.rule_config r
          LEFT JOIN (SELECT cm.bgnbd, cm.gammagamma, cm.fitted_at FROM @extschema@.clv_models cm
                      ORDER BY cm.fitted_at DESC LIMIT 1) m ON true
        OFFSET 0                        -- evaluate once, not once per field read
     ) x
     WHERE c.customer_id OPERATOR(pg_catalog.=) explain.customer_id;
    IF v IS NULL THEN
        RAISE EXCEPTION 'customer % does not exist', explain.customer_id
            USING ERRCODE = '23503', HINT = 'Customers are rows of prio.customers.';
    END IF;
    -- a customer of a tracked table: its latest events, read from the
    -- tracked activities tables as the caller may read them
    IF v OPERATOR(pg_catalog.->>) 'source' IS NOT NULL THEN
        v := v OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('events',
                 @extschema@._track_events(explain.customer_id, (v OPERATOR(pg_catalog.->>) 'source')::pg_catalog.regclass));
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION @extschema@.explain(bigint) IS
'Every factor behind a customer''s tier and priority, evaluated now: where the customer comes from (source: the tracked table, NULL for prio.customers; key: its key there, else customer_id; events: for a tracked customer, its latest events in each tracked activities table the caller may read), R/F/M values, scores and breaks, segment, BANT, stages, intent, the rule that fired, the priority points and weights, the stored state, the CLV inputs with P(alive) and CLV under the latest model, and the win probability with the three features that raise it most and the three that lower it most.';

-- Internal functions are not for direct calls.
REVOKE ALL ON FUNCTION @extschema@.rebuild(bigint[], text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sweep_rebuild(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sweep_due(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.reevaluate(bigint[], timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.refresh(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.recompute(bigint) FROM PUBLIC;

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
    role          text NOT NULL CHECK (role IN ('customers', 'activities')),
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
COMMENT ON COLUMN @extschema@.sources.role IS 'What its rows are: customers or activities.';
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
COMMENT ON COLUMN @extschema@.tracked.role IS 'What its rows are: customers or activities.';
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
    IF role OPERATOR(pg_catalog.=) 'deals' THEN
        RAISE EXCEPTION 'tracking deals is not available yet'
            USING ERRCODE = '0A000', HINT = 'Deals come with prio 0.5 (issue 19); track customers now.';
    END IF;
    IF role OPERATOR(pg_catalog.<>) ALL ('{customers,activities}'::text[]) THEN
        RAISE EXCEPTION 'prio.track(): role must be customers or activities, not "%"', role
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
'Attaches prio to an application''s table: role customers (mapping keys key, name, owner, backup_owner, budget, authority, need, timeline, created_at, attributes: {...}, view: the name of its typed follow-up view, default followup_<table>, or false) mirrors its rows into prio.customers and keeps them live; activities (customer, kind, at, amount, note, actor, channel, external_key, customers: the tracked customers table whose key the customer is, needed when several have a key of its type) folds its rows into those customers'' state without copying them, and keeps it live; several events per row: an array of such mappings, or "events": [...] beside the keys they share.  Each mapping value is a column name or an SQL expression over the row.  Requires owning the table, or prio''s admin role (grant_admin) with TRIGGER and SELECT on it and no policy of it applying; everything or nothing.';
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
'Detaches prio from a tracked table: drops prio''s triggers on it; of a customers table, its typed follow-up view, its key map and its customers (with their state and history; refused while their activities are tracked); of an activities table, its customers are folded again without its rows.  The table itself is left as it was.  Requires owning the table, or prio''s admin role (grant_admin) with TRIGGER and SELECT on it.';
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
------------------------------------------------------------------------
-- Predictive: customer lifetime value (BG/NBD + Gamma-Gamma, src/rules/btyd.c)
------------------------------------------------------------------------

CREATE TYPE @extschema@.btyd_summary AS (
    x          bigint,
    t_x        double precision,
    "T"        double precision,
    mean_value double precision
);
COMMENT ON TYPE @extschema@.btyd_summary IS
'One customer as the BTYD models see it: x repeat transactions, t_x = last - first transaction, T = cut-off - first transaction (both in the chosen unit), mean value of the repeat transactions.';

CREATE FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz, interval)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_clv_summary_accum_unit_0_4' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz, interval) IS 'Transition function of prio.clv_summary.';
CREATE FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_clv_summary_accum_0_4' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz) IS 'Transition function of prio.clv_summary (weeks).';
CREATE FUNCTION @extschema@.clv_summary_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_clv_summary_combine' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_summary_combine(internal, internal) IS 'Combine function of prio.clv_summary.';
CREATE FUNCTION @extschema@.clv_summary_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'prio_clv_summary_serialize' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_summary_serialize(internal) IS 'Serial function of prio.clv_summary.';
CREATE FUNCTION @extschema@.clv_summary_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_clv_summary_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_summary_deserialize(bytea, internal) IS 'Deserial function of prio.clv_summary.';
CREATE FUNCTION @extschema@.clv_summary_final(internal)
RETURNS @extschema@.btyd_summary AS 'MODULE_PATHNAME', 'prio_clv_summary_final' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_summary_final(internal) IS 'Final function of prio.clv_summary.';

CREATE AGGREGATE @extschema@.clv_summary(at timestamptz, amount numeric, cut_off timestamptz, unit interval) (
    SFUNC = @extschema@.clv_summary_accum, STYPE = internal,
    FINALFUNC = @extschema@.clv_summary_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = @extschema@.clv_summary_combine,
    SERIALFUNC = @extschema@.clv_summary_serialize, DESERIALFUNC = @extschema@.clv_summary_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.clv_summary(timestamptz, numeric, timestamptz, interval) IS
'A customer''s (x, t_x, T, mean_value) from its purchases: purchases on the same (UTC) calendar day are one transaction, purchases after the cut-off day are ignored, times in multiples of unit.  NULL when nothing was bought by cut_off.';
CREATE AGGREGATE @extschema@.clv_summary(at timestamptz, amount numeric, cut_off timestamptz) (
    SFUNC = @extschema@.clv_summary_accum, STYPE = internal,
    FINALFUNC = @extschema@.clv_summary_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = @extschema@.clv_summary_combine,
    SERIALFUNC = @extschema@.clv_summary_serialize, DESERIALFUNC = @extschema@.clv_summary_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.clv_summary(timestamptz, numeric, timestamptz) IS
'prio.clv_summary with unit = 1 week (aggregates cannot have defaults).';

CREATE TYPE @extschema@.bgnbd AS (
    r double precision, alpha double precision, a double precision, b double precision,
    log_likelihood double precision, n bigint
);
COMMENT ON TYPE @extschema@.bgnbd IS 'Fitted BG/NBD parameters (alpha in the summary''s time unit), the log-likelihood and the number of customers.';
CREATE TYPE @extschema@.gammagamma AS (
    p double precision, q double precision, v double precision,
    log_likelihood double precision, n bigint
);
COMMENT ON TYPE @extschema@.gammagamma IS 'Fitted Gamma-Gamma spend parameters, the log-likelihood and the number of repeat buyers used.';

CREATE FUNCTION @extschema@.bgnbd_accum(internal, double precision, double precision, double precision)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_bgnbd_accum' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_accum(internal, double precision, double precision, double precision) IS 'Transition function of prio.bgnbd_fit.';
CREATE FUNCTION @extschema@.gammagamma_accum(internal, double precision, double precision)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_gammagamma_accum' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.gammagamma_accum(internal, double precision, double precision) IS 'Transition function of prio.gammagamma_fit.';
CREATE FUNCTION @extschema@.fit_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_fit_combine' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fit_combine(internal, internal) IS 'Combine function of the model fits.';
CREATE FUNCTION @extschema@.fit_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'prio_fit_serialize' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fit_serialize(internal) IS 'Serial function of the model fits.';
CREATE FUNCTION @extschema@.fit_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_fit_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fit_deserialize(bytea, internal) IS 'Deserial function of the model fits.';
CREATE FUNCTION @extschema@.bgnbd_final(internal)
RETURNS @extschema@.bgnbd AS 'MODULE_PATHNAME', 'prio_bgnbd_final' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_final(internal) IS 'Final function of prio.bgnbd_fit: the maximum-likelihood fit.';
CREATE FUNCTION @extschema@.gammagamma_final(internal)
RETURNS @extschema@.gammagamma AS 'MODULE_PATHNAME', 'prio_gammagamma_final' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.gammagamma_final(internal) IS 'Final function of prio.gammagamma_fit: the maximum-likelihood fit.';

CREATE AGGREGATE @extschema@.bgnbd_fit(x double precision, t_x double precision, "T" double precision) (
    SFUNC = @extschema@.bgnbd_accum, STYPE = internal,
    FINALFUNC = @extschema@.bgnbd_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = @extschema@.fit_combine,
    SERIALFUNC = @extschema@.fit_serialize, DESERIALFUNC = @extschema@.fit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.bgnbd_fit(double precision, double precision, double precision) IS
'BG/NBD (Fader, Hardie & Lee 2005) maximum-likelihood fit over customers'' (x, t_x, T); deterministic; a clear error when there are too few customers, nobody bought again, or it cannot converge.';
CREATE AGGREGATE @extschema@.gammagamma_fit(x double precision, mean_value double precision) (
    SFUNC = @extschema@.gammagamma_accum, STYPE = internal,
    FINALFUNC = @extschema@.gammagamma_final, FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = @extschema@.fit_combine,
    SERIALFUNC = @extschema@.fit_serialize, DESERIALFUNC = @extschema@.fit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.gammagamma_fit(double precision, double precision) IS
'Gamma-Gamma spend model fit on the customers with x > 0 and a positive mean value.';

CREATE FUNCTION @extschema@.p_alive(params @extschema@.bgnbd, x double precision, t_x double precision, "T" double precision)
RETURNS double precision AS 'MODULE_PATHNAME', 'prio_p_alive' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.p_alive(@extschema@.bgnbd, double precision, double precision, double precision) IS
'Probability that the customer has not dropped out by T (BG/NBD).';
CREATE FUNCTION @extschema@.expected_purchases(params @extschema@.bgnbd, t double precision, x double precision, t_x double precision, "T" double precision)
RETURNS double precision AS 'MODULE_PATHNAME', 'prio_expected_purchases_conditional' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.bgnbd, double precision, double precision, double precision, double precision) IS
'Expected repeat purchases of this customer in the next t units (BG/NBD conditional expectation, with the Gaussian hypergeometric 2F1).';
CREATE FUNCTION @extschema@.expected_purchases(params @extschema@.bgnbd, t double precision)
RETURNS double precision AS 'MODULE_PATHNAME', 'prio_expected_purchases_new' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.bgnbd, double precision) IS
'Expected repeat purchases of a new customer in its first t units (BG/NBD, unconditional).';
CREATE FUNCTION @extschema@.expected_spend(params @extschema@.gammagamma, x double precision, mean_value double precision)
RETURNS double precision AS 'MODULE_PATHNAME', 'prio_expected_spend' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_spend(@extschema@.gammagamma, double precision, double precision) IS
'Expected value of the customer''s future transactions (Gamma-Gamma).';
CREATE FUNCTION @extschema@.clv(bgnbd @extschema@.bgnbd, gammagamma @extschema@.gammagamma,
                                x double precision, t_x double precision, "T" double precision,
                                mean_value double precision, horizon integer,
                                discount_rate double precision, period double precision DEFAULT 4.345)
RETURNS double precision AS 'MODULE_PATHNAME', 'prio_clv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv(@extschema@.bgnbd, @extschema@.gammagamma, double precision, double precision, double precision, double precision, integer, double precision, double precision) IS
'Customer lifetime value over horizon periods of length period (model units; 4.345 weeks = a month): the expected purchases in each period times the expected spend, discounted at discount_rate per period at its end.';

------------------------------------------------------------------------
-- CLV of prio's own customers: the BTYD inputs kept in customer_state,
-- the models fitted by prio.refresh(), and the followup columns
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.customer_summary(state @extschema@.customer_state,
                                             as_of timestamptz DEFAULT pg_catalog.now(),
                                             unit interval DEFAULT '1 week')
RETURNS @extschema@.btyd_summary AS 'MODULE_PATHNAME', 'prio_customer_summary'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.customer_summary(@extschema@.customer_state, timestamptz, interval) IS
'A customer''s (x, t_x, T, mean_value) from its state row, without reading its activities: equal to prio.clv_summary() over its purchases with cut_off as_of (T runs at least to the last purchase''s day); NULL without purchases.';

CREATE TABLE @extschema@.clv_models (
    fitted_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    customers     bigint NOT NULL,
    repeat_buyers bigint NOT NULL,
    bgnbd         @extschema@.bgnbd NOT NULL,
    gammagamma    @extschema@.gammagamma,
    fit_ms        double precision NOT NULL
);
CREATE INDEX clv_models_fitted_at_idx ON @extschema@.clv_models (fitted_at);
COMMENT ON TABLE @extschema@.clv_models IS
'Every fit of the CLV models on prio''s customers (prio.fit_clv(), run by prio.refresh() when due); prio.followup uses the latest.';
COMMENT ON COLUMN @extschema@.clv_models.fitted_at IS 'When the models were fitted; the customers'' T ran to this day.';
COMMENT ON COLUMN @extschema@.clv_models.customers IS 'Customers with purchases the fit used.';
COMMENT ON COLUMN @extschema@.clv_models.repeat_buyers IS 'Of those, customers who bought on two or more days.';
COMMENT ON COLUMN @extschema@.clv_models.bgnbd IS 'BG/NBD parameters (time unit: weeks).';
COMMENT ON COLUMN @extschema@.clv_models.gammagamma IS 'Gamma-Gamma parameters (NULL when that fit failed).';
COMMENT ON COLUMN @extschema@.clv_models.fit_ms IS 'Time the fit took, in milliseconds.';
CREATE TRIGGER clv_models_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.clv_models
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.invalidate_cache();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.clv_models', '');

CREATE FUNCTION @extschema@.evaluate(facts @extschema@.facts, customer @extschema@.customers,
                                     cfg @extschema@.settings, r_breaks double precision[],
                                     f_breaks double precision[], m_breaks double precision[],
                                     as_of timestamptz, bgnbd @extschema@.bgnbd,
                                     gammagamma @extschema@.gammagamma)
RETURNS @extschema@.evaluation
AS 'MODULE_PATHNAME', 'prio_evaluate_models_0_4'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz, @extschema@.bgnbd, @extschema@.gammagamma) IS
'prio.evaluate with the CLV models (prio.rule_config''s bgnbd and gammagamma): value is also high when settings.value_min_clv is set and the customer''s CLV reaches it.';

-- (defined here, after the models it reads)
CREATE VIEW @extschema@.rule_config WITH (security_invoker = true) AS
SELECT s AS cfg,
       coalesce(s.r_breaks, b.r_breaks) AS r_breaks,
       coalesce(s.f_breaks, b.f_breaks) AS f_breaks,
       coalesce(s.m_breaks, b.m_breaks) AS m_breaks,
       b.computed_at AS breaks_computed_at,
       m.bgnbd,
       m.gammagamma
  FROM @extschema@.settings s CROSS JOIN @extschema@.auto_breaks b
  LEFT JOIN (SELECT cm.bgnbd, cm.gammagamma FROM @extschema@.clv_models cm
              ORDER BY cm.fitted_at DESC LIMIT 1) m ON true;
COMMENT ON VIEW @extschema@.rule_config IS
'What prio.evaluate() takes besides a customer: the settings row, the breaks in force (settings, else the automatic quintiles) and the latest CLV models.';
COMMENT ON COLUMN @extschema@.rule_config.cfg IS 'The settings row.';
COMMENT ON COLUMN @extschema@.rule_config.r_breaks IS 'Recency breaks in force.';
COMMENT ON COLUMN @extschema@.rule_config.f_breaks IS 'Frequency breaks in force.';
COMMENT ON COLUMN @extschema@.rule_config.m_breaks IS 'Monetary breaks in force.';
COMMENT ON COLUMN @extschema@.rule_config.breaks_computed_at IS 'When prio.refresh() last computed the automatic breaks.';
COMMENT ON COLUMN @extschema@.rule_config.bgnbd IS 'BG/NBD parameters of the latest prio.clv_models fit (NULL: none).';
COMMENT ON COLUMN @extschema@.rule_config.gammagamma IS 'Gamma-Gamma parameters of the latest fit.';

CREATE FUNCTION @extschema@.fit_clv()
RETURNS @extschema@.clv_models
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_started timestamptz := pg_catalog.clock_timestamp();
    v_as_of timestamptz := pg_catalog.now();
    v_min integer;
    v_row @extschema@.clv_models;
BEGIN
    SELECT cfg.clv_min_repeat_buyers INTO v_min FROM @extschema@.settings cfg;
    SELECT pg_catalog.count(*),
           pg_catalog.count(*) FILTER (WHERE s.purchase_days OPERATOR(pg_catalog.>) 1)
      INTO v_row.customers, v_row.repeat_buyers
      FROM @extschema@.customer_state s
     WHERE s.first_purchase_at IS NOT NULL;
    IF v_row.repeat_buyers OPERATOR(pg_catalog.<) v_min THEN
        RAISE EXCEPTION 'only % customers bought on two or more days; the CLV models need at least %',
                        v_row.repeat_buyers, v_min
            USING ERRCODE = '22023',
                  HINT = 'settings.clv_min_repeat_buyers sets the minimum (at least 3).';
    END IF;
    -- (no temporary table: this runs as prio's owner)
    SELECT @extschema@.bgnbd_fit(y.x, y.t_x, y."T") INTO v_row.bgnbd
      FROM @extschema@.customer_state s, @extschema@.customer_summary(s, v_as_of) y
     WHERE s.first_purchase_at IS NOT NULL;
    BEGIN
        SELECT @extschema@.gammagamma_fit(y.x, y.mean_value) INTO v_row.gammagamma
          FROM @extschema@.customer_state s, @extschema@.customer_summary(s, v_as_of) y
         WHERE s.purchase_days OPERATOR(pg_catalog.>) 1;
    EXCEPTION WHEN invalid_parameter_value THEN
        RAISE WARNING 'prio.fit_clv(): Gamma-Gamma not fitted: %', SQLERRM;
    END;
    v_row.fitted_at := v_as_of;
    v_row.fit_ms := pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) v_started)
                    OPERATOR(pg_catalog.*) 1000;
    INSERT INTO @extschema@.clv_models SELECT v_row.*;
    RETURN v_row;
END
$$;
COMMENT ON FUNCTION @extschema@.fit_clv() IS
'Fits BG/NBD and Gamma-Gamma (weeks) on every customer with purchases, from customer_state as of now, stores them in prio.clv_models and returns the row.  22023 with fewer repeat buyers than settings.clv_min_repeat_buyers or when the fit fails.';

CREATE FUNCTION @extschema@.p_alive(params @extschema@.bgnbd, state @extschema@.customer_state,
                                    as_of timestamptz DEFAULT pg_catalog.now())
RETURNS double precision
AS 'MODULE_PATHNAME', 'prio_p_alive_state'
LANGUAGE C IMMUTABLE PARALLEL SAFE
COST 50;
COMMENT ON FUNCTION @extschema@.p_alive(@extschema@.bgnbd, @extschema@.customer_state, timestamptz) IS
'P(alive) of a prio customer from its state row (weeks); NULL without purchases or params.';

CREATE FUNCTION @extschema@.clv(bgnbd @extschema@.bgnbd, gammagamma @extschema@.gammagamma,
                                state @extschema@.customer_state, horizon integer,
                                discount_rate double precision,
                                as_of timestamptz DEFAULT pg_catalog.now())
RETURNS double precision
AS 'MODULE_PATHNAME', 'prio_clv_state'
LANGUAGE C IMMUTABLE PARALLEL SAFE
COST 500;
COMMENT ON FUNCTION @extschema@.clv(@extschema@.bgnbd, @extschema@.gammagamma, @extschema@.customer_state, integer, double precision, timestamptz) IS
'Lifetime value of a prio customer from its state row over horizon months, discounted per month (repeat purchases all worth 0 count as the population''s mean spend); NULL without purchases or models.';

REVOKE ALL ON FUNCTION @extschema@.fit_clv() FROM PUBLIC;

------------------------------------------------------------------------
-- Win probability: naive Bayes over the customers that closed.  When a
-- customer's base stage becomes won or lost, its features as they were just
-- before (the old state row) are kept in win_outcomes; the won/lost counts
-- per (variable, value) follow the outcomes through append-only delta rows,
-- so concurrent writers never wait on a count row; refresh() compacts them.
------------------------------------------------------------------------

-- SQL-standard bodies (BEGIN ATOMIC) are parsed when created, so no name in
-- them depends on the caller's search_path; without a SET clause they can be
-- inlined, which matters when they run once per row.
-- win_features is C (src/engine/outcomes.c): the features the closing writes keep
-- in win_outcomes, computed by the same code.
CREATE FUNCTION @extschema@.win_features(state @extschema@.customer_state)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'prio_win_features'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.win_features(@extschema@.customer_state) IS
'What win probability looks at, for a state row (C, the code that writes prio.win_outcomes): base stage, owner, the four BANT answers (yes/no/unknown), RFM segment, and for every kind that does not close a deal whether the customer had one by state.last_at (kind:<name> yes/no).  NULL when the customer does not exist or the caller cannot see it; needs SELECT on customers, activities and activity_kinds.';

CREATE TABLE @extschema@.win_outcomes (
    customer_id bigint PRIMARY KEY REFERENCES @extschema@.customers ON DELETE CASCADE ON UPDATE CASCADE,
    won         boolean NOT NULL,
    features    jsonb NOT NULL,
    closed_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.win_outcomes IS
'One row per customer whose base stage is won or lost: the outcome and its features just before it closed; written by prio only (a customer that opens again loses its row).  Dumped as it is, so a restore gives it back.';
COMMENT ON COLUMN @extschema@.win_outcomes.customer_id IS 'The customer.';
COMMENT ON COLUMN @extschema@.win_outcomes.won IS 'Won (true) or lost.';
COMMENT ON COLUMN @extschema@.win_outcomes.features IS 'prio.win_features() of the state before the close.';
COMMENT ON COLUMN @extschema@.win_outcomes.closed_at IS 'When prio saw it close.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.win_outcomes', '');

-- No key: each statement appends its deltas; refresh() and recompute() sum them up.
CREATE TABLE @extschema@.win_counts (
    variable text NOT NULL,
    value    text NOT NULL,
    won      bigint NOT NULL,
    lost     bigint NOT NULL
);
CREATE INDEX win_counts_variable_idx ON @extschema@.win_counts (variable, value);
COMMENT ON TABLE @extschema@.win_counts IS
'Won and lost outcomes per (variable, value), as rows to be summed (variable ''*'': all outcomes); maintained by prio from win_outcomes.';
COMMENT ON COLUMN @extschema@.win_counts.variable IS 'A feature name (prio.win_features), or * for the totals.';
COMMENT ON COLUMN @extschema@.win_counts.value IS 'Its value.';
COMMENT ON COLUMN @extschema@.win_counts.won IS 'Won outcomes to add.';
COMMENT ON COLUMN @extschema@.win_counts.lost IS 'Lost outcomes to add.';

CREATE SEQUENCE @extschema@.win_counts_appends;
COMMENT ON SEQUENCE @extschema@.win_counts_appends IS 'Counts statements that appended to prio.win_counts, to sum them up now and then.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.win_counts', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.win_counts_appends', '');

CREATE FUNCTION @extschema@.compact_win_counts()
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    -- one at a time, and never waiting: a writer that cannot have the job's
    -- row (prio.job_locks, which no other role can lock) leaves its deltas to
    -- the next one; concurrent appends are not seen (one snapshot) and stay
    PERFORM 1 FROM @extschema@.job_locks j WHERE j.job OPERATOR(pg_catalog.=) 'win_counts'
        FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        WITH d AS (DELETE FROM @extschema@.win_counts RETURNING variable, value, won, lost)
        INSERT INTO @extschema@.win_counts (variable, value, won, lost)
        SELECT d.variable, d.value, pg_catalog.sum(d.won), pg_catalog.sum(d.lost)
          FROM d GROUP BY 1, 2
        HAVING pg_catalog.sum(d.won) OPERATOR(pg_catalog.<>) 0 OR pg_catalog.sum(d.lost) OPERATOR(pg_catalog.<>) 0;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.compact_win_counts() IS
'Internal: sums up the delta rows of prio.win_counts (skipped while another session does it).';
REVOKE ALL ON FUNCTION @extschema@.compact_win_counts() FROM PUBLIC;

CREATE FUNCTION @extschema@.win_outcomes_changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    IF TG_RELID OPERATOR(pg_catalog.<>) '@extschema@.win_outcomes'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'prio.win_outcomes_changed() is a trigger of prio.win_outcomes only' USING ERRCODE = '39P01';
    END IF;
    -- one delta row per (variable, value) the statement touched
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
        INSERT INTO @extschema@.win_counts (variable, value, won, lost)
        SELECT f.key, f.value, pg_catalog.count(*) FILTER (WHERE d.won),
               pg_catalog.count(*) FILTER (WHERE NOT d.won)
          FROM new_rows d,
               LATERAL (SELECT e.key, e.value FROM pg_catalog.jsonb_each_text(d.features) e
                        UNION ALL SELECT '*', '*') f
         GROUP BY 1, 2;
    ELSIF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
        INSERT INTO @extschema@.win_counts (variable, value, won, lost)
        SELECT f.key, f.value, OPERATOR(pg_catalog.-) pg_catalog.count(*) FILTER (WHERE d.won),
               OPERATOR(pg_catalog.-) pg_catalog.count(*) FILTER (WHERE NOT d.won)
          FROM old_rows d,
               LATERAL (SELECT e.key, e.value FROM pg_catalog.jsonb_each_text(d.features) e
                        UNION ALL SELECT '*', '*') f
         GROUP BY 1, 2;
    ELSE
        INSERT INTO @extschema@.win_counts (variable, value, won, lost)
        SELECT f.key, f.value,
               pg_catalog.sum(CASE WHEN d.won THEN d.sign ELSE 0 END),
               pg_catalog.sum(CASE WHEN d.won THEN 0 ELSE d.sign END)
          FROM (SELECT n.features, n.won, 1 AS sign FROM new_rows n
                UNION ALL SELECT o.features, o.won, -1 FROM old_rows o) d,
               LATERAL (SELECT e.key, e.value FROM pg_catalog.jsonb_each_text(d.features) e
                        UNION ALL SELECT '*', '*') f
         GROUP BY 1, 2
        HAVING pg_catalog.sum(CASE WHEN d.won THEN d.sign ELSE 0 END) OPERATOR(pg_catalog.<>) 0
            OR pg_catalog.sum(CASE WHEN d.won THEN 0 ELSE d.sign END) OPERATOR(pg_catalog.<>) 0;
    END IF;
    -- keep the rows to sum few: every 100th appending statement sums them up
    IF pg_catalog.nextval('@extschema@.win_counts_appends'::pg_catalog.regclass) OPERATOR(pg_catalog.%) 100
       OPERATOR(pg_catalog.=) 0 THEN
        PERFORM @extschema@.compact_win_counts();
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.win_outcomes_changed() IS
'Statement trigger on prio.win_outcomes: appends the won/lost deltas of the statement to prio.win_counts.';

CREATE TRIGGER win_outcomes_inserted
    AFTER INSERT ON @extschema@.win_outcomes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.win_outcomes_changed();
CREATE TRIGGER win_outcomes_updated
    AFTER UPDATE ON @extschema@.win_outcomes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.win_outcomes_changed();
CREATE TRIGGER win_outcomes_deleted
    AFTER DELETE ON @extschema@.win_outcomes
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.win_outcomes_changed();

-- Only prio's own functions update customer_state, so these run as prio's
-- owner already; the flush pins search_path itself, when it writes.
CREATE FUNCTION @extschema@.state_closed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_state_closed'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.state_closed() IS
'Row trigger (C) on prio.customer_state, only when the base stage enters or leaves won/lost: remembers the old row for prio.state_closed_flush().';
CREATE FUNCTION @extschema@.state_closed_flush()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_state_closed_flush'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.state_closed_flush() IS
'Statement trigger (C) on prio.customer_state: writes the statement''s closed customers to prio.win_outcomes (their features just before) and removes those opened again, in one statement.';

CREATE TRIGGER state_closed
    AFTER UPDATE ON @extschema@.customer_state
    FOR EACH ROW
    WHEN (OLD.stage IS DISTINCT FROM NEW.stage
          AND (OLD.stage OPERATOR(pg_catalog.=) ANY ('{won,lost}'::@extschema@.stage[])
               OR NEW.stage OPERATOR(pg_catalog.=) ANY ('{won,lost}'::@extschema@.stage[])))
    EXECUTE FUNCTION @extschema@.state_closed();
CREATE TRIGGER state_closed_flush
    AFTER UPDATE ON @extschema@.customer_state
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.state_closed_flush();

CREATE FUNCTION @extschema@.rebuild_win_counts()
RETURNS void
AS 'MODULE_PATHNAME', 'prio_rebuild_win_counts'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.rebuild_win_counts() IS
'Internal (recompute; C): makes prio.win_outcomes follow the base stages (an open customer''s outcome goes; a closed customer without one gets its current features, stage unknown) and prio.win_counts equal the outcomes'' counts, rewriting them only when they differ or hold deltas; one scan of customer_state and one of win_outcomes, under the compaction lock.';

-- Not SECURITY DEFINER: under owner isolation the model a rep reads must be
-- built from the outcomes the rep may see, so it runs as the caller.  The
-- summed counts of everyone come through prio.win_counts_shared, which
-- gives rows only while isolation is off and to managers (the raw delta rows
-- stay unreadable: one statement's rows are one closed customer's features).
CREATE FUNCTION @extschema@.win_model()
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_counts @extschema@.win_counts[];
BEGIN
    IF NOT (SELECT c.relrowsecurity FROM pg_catalog.pg_class c
             WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.customers'::pg_catalog.regclass)
       OR @extschema@.sees_all_customers() THEN
        SELECT pg_catalog.array_agg(ROW(w.variable, w.value, w.won, w.lost)::@extschema@.win_counts)
          INTO v_counts FROM @extschema@.win_counts_shared w;
    ELSE
        -- a rep under owner isolation: the outcomes row-level security lets
        -- the caller see (their own and covered customers), nobody else's
        SELECT pg_catalog.array_agg(ROW(x.variable, x.value, x.won, x.lost)::@extschema@.win_counts)
          INTO v_counts
          FROM (SELECT f.key AS variable, f.value,
                       pg_catalog.count(*) FILTER (WHERE o.won) AS won,
                       pg_catalog.count(*) FILTER (WHERE NOT o.won) AS lost
                  FROM @extschema@.win_outcomes o,
                       LATERAL (SELECT e.key, e.value FROM pg_catalog.jsonb_each_text(o.features) e
                                UNION ALL SELECT '*', '*') f
                 GROUP BY 1, 2) x;
    END IF;
    RETURN (
        WITH c AS (
            SELECT u.variable, u.value, u.won, u.lost FROM pg_catalog.unnest(v_counts) u
             WHERE u.won OPERATOR(pg_catalog.>) 0 OR u.lost OPERATOR(pg_catalog.>) 0
        ), v AS (
            SELECT c.variable, pg_catalog.jsonb_build_array(pg_catalog.sum(c.won), pg_catalog.sum(c.lost),
                                                            GREATEST(pg_catalog.count(*), 2)) AS totals,
                   pg_catalog.jsonb_object_agg(c.value, pg_catalog.jsonb_build_array(c.won, c.lost)) AS counts
              FROM c WHERE c.variable OPERATOR(pg_catalog.<>) '*' GROUP BY 1
        )
        SELECT pg_catalog.jsonb_build_object(
                   'total', (SELECT pg_catalog.jsonb_build_array(coalesce(pg_catalog.sum(c.won), 0), coalesce(pg_catalog.sum(c.lost), 0))
                               FROM c WHERE c.variable OPERATOR(pg_catalog.=) '*'),
                   'variables', coalesce((SELECT pg_catalog.jsonb_object_agg(v.variable, v.totals) FROM v), '{}'),
                   'counts', coalesce((SELECT pg_catalog.jsonb_object_agg(v.variable, v.counts) FROM v), '{}')));
END
$$;
COMMENT ON FUNCTION @extschema@.win_model() IS
'The naive-Bayes model as one value, read once per query: won/lost totals, per variable its won and lost outcomes and number of values, and the won/lost counts of each value.  Built from every outcome (prio.win_counts summed) while owner isolation is off and for managers; for a rep under owner isolation only from the outcomes of the customers the rep can see (prio.win_outcomes through row-level security), so nothing in it comes from another rep''s customers: another rep closing a deal changes nothing in it, and it has no other owner''s counts.  Such a rep''s win probabilities learn from their own deals only; the rep needs SELECT on prio.win_outcomes (prio.grant_reader).';

CREATE FUNCTION @extschema@.win_factors(features jsonb, model jsonb DEFAULT @extschema@.win_model())
RETURNS TABLE (variable text, value text, won bigint, lost bigint, weight double precision)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    -- log P(value | won) - log P(value | lost), Laplace-smoothed over the values seen
    SELECT x.variable, x.value, x.won, x.lost,
           pg_catalog.ln((x.won OPERATOR(pg_catalog.+) 1)::double precision
                         OPERATOR(pg_catalog./) (x.var_won OPERATOR(pg_catalog.+) x.k)::double precision)
           OPERATOR(pg_catalog.-)
           pg_catalog.ln((x.lost OPERATOR(pg_catalog.+) 1)::double precision
                         OPERATOR(pg_catalog./) (x.var_lost OPERATOR(pg_catalog.+) x.k)::double precision)
      FROM (SELECT f.key AS variable, f.value,
                   coalesce(((model OPERATOR(pg_catalog.->) 'counts' OPERATOR(pg_catalog.->) f.key
                              OPERATOR(pg_catalog.->) f.value) OPERATOR(pg_catalog.->>) 0)::bigint, 0) AS won,
                   coalesce(((model OPERATOR(pg_catalog.->) 'counts' OPERATOR(pg_catalog.->) f.key
                              OPERATOR(pg_catalog.->) f.value) OPERATOR(pg_catalog.->>) 1)::bigint, 0) AS lost,
                   coalesce(((model OPERATOR(pg_catalog.->) 'variables' OPERATOR(pg_catalog.->) f.key)
                             OPERATOR(pg_catalog.->>) 0)::bigint, 0) AS var_won,
                   coalesce(((model OPERATOR(pg_catalog.->) 'variables' OPERATOR(pg_catalog.->) f.key)
                             OPERATOR(pg_catalog.->>) 1)::bigint, 0) AS var_lost,
                   coalesce(((model OPERATOR(pg_catalog.->) 'variables' OPERATOR(pg_catalog.->) f.key)
                             OPERATOR(pg_catalog.->>) 2)::bigint, 2) AS k
              FROM pg_catalog.jsonb_each_text(features) f) x
     ORDER BY 5 DESC, 1;
END;
COMMENT ON FUNCTION @extschema@.win_factors(jsonb, jsonb) IS
'Each feature''s weight in the naive-Bayes win probability: log P(value | won) - log P(value | lost) (Laplace smoothing over the values seen), with its won and lost counts; positive raises the probability.  model defaults to prio.win_model().';

CREATE FUNCTION @extschema@.win_probability(features jsonb, model jsonb DEFAULT @extschema@.win_model())
RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT GREATEST(1e-6::double precision, LEAST(1::double precision OPERATOR(pg_catalog.-) 1e-6,
               1 OPERATOR(pg_catalog./) (1 OPERATOR(pg_catalog.+) pg_catalog.exp(OPERATOR(pg_catalog.-) GREATEST(-700::double precision, LEAST(700::double precision,
                   pg_catalog.ln((coalesce(((model OPERATOR(pg_catalog.->) 'total') OPERATOR(pg_catalog.->>) 0)::bigint, 0)
                                  OPERATOR(pg_catalog.+) 1)::double precision
                                 OPERATOR(pg_catalog./)
                                 (coalesce(((model OPERATOR(pg_catalog.->) 'total') OPERATOR(pg_catalog.->>) 1)::bigint, 0)
                                  OPERATOR(pg_catalog.+) 1)::double precision)
                   OPERATOR(pg_catalog.+)
                   coalesce((SELECT pg_catalog.sum(x.weight) FROM @extschema@.win_factors(features, model) x), 0)))))));
END;
COMMENT ON FUNCTION @extschema@.win_probability(jsonb, jsonb) IS
'Naive-Bayes probability of winning a deal with these features (prio.win_features) under the model (default prio.win_model(): the won and lost customers so far); strictly between 0 and 1, 0.5 before any outcome.';

CREATE FUNCTION @extschema@.win_probability(customer_id bigint)
RETURNS double precision
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_state @extschema@.customer_state;
BEGIN
    IF win_probability.customer_id IS NULL THEN
        RAISE EXCEPTION 'customer_id must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT s.* INTO v_state FROM @extschema@.customer_state s
     WHERE s.customer_id OPERATOR(pg_catalog.=) win_probability.customer_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer % does not exist', win_probability.customer_id
            USING ERRCODE = '23503', HINT = 'Customers are rows of prio.customers.';
    END IF;
    IF v_state.stage OPERATOR(pg_catalog.=) ANY ('{won,lost}'::@extschema@.stage[]) THEN
        RETURN NULL;                    -- decided already
    END IF;
    RETURN @extschema@.win_probability(@extschema@.win_features(v_state));
END
$$;
COMMENT ON FUNCTION @extschema@.win_probability(bigint) IS
'Probability that this open customer''s deal is won (naive Bayes over the customers that closed, prio.win_factors); NULL once it is won or lost.  22004 for NULL, 23503 for an unknown customer.';

REVOKE ALL ON FUNCTION @extschema@.rebuild_win_counts() FROM PUBLIC;

------------------------------------------------------------------------
-- Views for BI tools and applications (security_invoker: row-level
-- security on the base tables holds through them)
------------------------------------------------------------------------

-- prio.track() creates a typed view over this one per tracked customers
-- table (prio.followup_<table>, prio._track_view): an update of prio that
-- drops prio.followup drops those first and creates them again after, with
-- prio._track_view(source_id) for each source whose compiled SQL names one.
--
-- The ranking is the inner query, over customer_state alone; everything
-- else is computed outside it, so a query with LIMIT computes it only for
-- the rows it returns.  WHERE owner = ... reaches the index on owner.
CREATE VIEW @extschema@.followup WITH (security_invoker = true) AS
SELECT r.rank,
       r.customer_id,
       (SELECT c.name FROM @extschema@.customers c
         WHERE c.customer_id OPERATOR(pg_catalog.=) r.customer_id) AS name,
       r.owner,
       st.tier,
       r.priority,
       st.effective_stage AS stage,
       st.r_score AS r,
       st.f_score AS f,
       st.m_score AS m,
       x.segment AS rfm_segment,
       st.bant,
       @extschema@.decayed(st.intent, st.intent_at,
                           (SELECT cfg.intent_half_life FROM @extschema@.settings cfg), pg_catalog.now()) AS intent,
       st.last_at AS last_activity_at,
       st.last_outbound_at AS last_contact_at,
       r.next_due_at,
       x.overdue_days,
       pg_catalog.concat_ws(', ',
           st.tier OPERATOR(pg_catalog.||) ': BANT ' OPERATOR(pg_catalog.||) st.bant OPERATOR(pg_catalog.||) '/4',
           CASE WHEN x.segment IS NULL AND st.frequency OPERATOR(pg_catalog.=) 0 THEN 'no purchases'
                WHEN x.segment IS NULL THEN 'RFM not scored yet'
                ELSE pg_catalog.format('%s %s-%s-%s', x.segment, st.r_score, st.f_score, st.m_score) END,
           st.effective_stage::text,
           CASE WHEN st.no_reply THEN 'no reply to last touch' END,
           CASE WHEN x.overdue_days OPERATOR(pg_catalog.=) 1 THEN '1 day overdue'
                WHEN x.overdue_days OPERATOR(pg_catalog.>) 1 THEN x.overdue_days OPERATOR(pg_catalog.||) ' days overdue'
                WHEN r.next_due_at OPERATOR(pg_catalog.<=) pg_catalog.now() THEN 'due today'
                ELSE 'due ' OPERATOR(pg_catalog.||) pg_catalog.to_char(r.next_due_at, 'YYYY-MM-DD') END) AS reason,
       @extschema@.p_alive((SELECT cm.bgnbd FROM @extschema@.clv_models cm
                             ORDER BY cm.fitted_at DESC LIMIT 1), st) AS p_alive,
       @extschema@.clv((SELECT cm.bgnbd FROM @extschema@.clv_models cm ORDER BY cm.fitted_at DESC LIMIT 1),
                       (SELECT cm.gammagamma FROM @extschema@.clv_models cm ORDER BY cm.fitted_at DESC LIMIT 1),
                       st,
                       (SELECT cfg.clv_horizon FROM @extschema@.settings cfg),
                       (SELECT cfg.clv_discount_rate FROM @extschema@.settings cfg)) AS clv,
       CASE WHEN st.stage OPERATOR(pg_catalog.<>) ALL ('{won,lost}'::@extschema@.stage[])
            THEN @extschema@.win_probability(@extschema@.win_features(st), (SELECT @extschema@.win_model())) END
       AS win_probability,
       -- added in 0.4 (hence last): the customer's key where it comes from
       (SELECT c.source FROM @extschema@.customers c
         WHERE c.customer_id OPERATOR(pg_catalog.=) r.customer_id) AS source,
       COALESCE((SELECT c.customer_key FROM @extschema@.customers c
                  WHERE c.customer_id OPERATOR(pg_catalog.=) r.customer_id),
                r.customer_id::text) AS customer_key,
       st.next_planned_at AS planned_at
  -- rank on the narrow columns; the rest of the row is read for the rows
  -- returned only (a LIMIT reads 50 rows, not an owner's thousands)
  FROM (
    SELECT pg_catalog.row_number() OVER (PARTITION BY s.owner
                                         ORDER BY s.priority DESC, s.next_due_at, s.customer_id) AS rank,
           s.customer_id, s.owner, s.priority, s.next_due_at
      FROM @extschema@.customer_state s
     ORDER BY s.priority DESC, s.next_due_at, s.customer_id
  ) r
  JOIN @extschema@.customer_state st ON st.customer_id OPERATOR(pg_catalog.=) r.customer_id
 CROSS JOIN LATERAL (
    SELECT CASE WHEN st.frequency OPERATOR(pg_catalog.>) 0 AND st.r_score IS NOT NULL
                     AND st.f_score IS NOT NULL AND st.m_score IS NOT NULL
                THEN @extschema@.rfm_segment(st.r_score, st.f_score, st.m_score) END AS segment,
           GREATEST(pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) r.next_due_at)
                                     OPERATOR(pg_catalog./) 86400)::integer, 0) AS overdue_days
 ) x
 ORDER BY r.priority DESC, r.next_due_at, r.customer_id;
COMMENT ON VIEW @extschema@.followup IS
'Whom each rep should contact next, when and why: one row per customer, highest priority first, with its rank in its owner''s list (rank 1 = first).  Filter with WHERE owner = ...';
COMMENT ON COLUMN @extschema@.followup.rank IS 'Position in the owner''s follow-up list (by priority, then due date).';
COMMENT ON COLUMN @extschema@.followup.customer_id IS 'The customer.';
COMMENT ON COLUMN @extschema@.followup.name IS 'Customer name.';
COMMENT ON COLUMN @extschema@.followup.owner IS 'Rep who owns the customer.';
COMMENT ON COLUMN @extschema@.followup.tier IS 'A (high value and intent), B (value), C (intent), D (neither).';
COMMENT ON COLUMN @extschema@.followup.priority IS 'Priority 0-100; higher first.';
COMMENT ON COLUMN @extschema@.followup.stage IS 'Effective lifecycle stage.';
COMMENT ON COLUMN @extschema@.followup.r IS 'Recency score 1-5.';
COMMENT ON COLUMN @extschema@.followup.f IS 'Frequency score 1-5.';
COMMENT ON COLUMN @extschema@.followup.m IS 'Monetary score 1-5.';
COMMENT ON COLUMN @extschema@.followup.rfm_segment IS 'Named RFM segment (prio.rfm_segments); NULL without purchases or before RFM breaks exist.';
COMMENT ON COLUMN @extschema@.followup.bant IS 'BANT answers that are TRUE (0-4).';
COMMENT ON COLUMN @extschema@.followup.intent IS 'Buying intent decayed to now.';
COMMENT ON COLUMN @extschema@.followup.last_activity_at IS 'Last activity of any kind.';
COMMENT ON COLUMN @extschema@.followup.last_contact_at IS 'Last outbound touch by the team.';
COMMENT ON COLUMN @extschema@.followup.next_due_at IS 'When the next follow-up is due (last touch + tier cadence).';
COMMENT ON COLUMN @extschema@.followup.overdue_days IS 'Whole days past next_due_at (0 when not overdue).';
COMMENT ON COLUMN @extschema@.followup.reason IS 'One readable line: tier, BANT, RFM segment and scores, stage, due.';
COMMENT ON COLUMN @extschema@.followup.p_alive IS 'Probability the customer is still buying (BG/NBD of the latest prio.clv_models fit); NULL without purchases or a fit.';
COMMENT ON COLUMN @extschema@.followup.win_probability IS 'Probability the open deal is won (prio.win_probability); NULL once won or lost.';
COMMENT ON COLUMN @extschema@.followup.source IS 'The tracked table the customer comes from (prio.track()); NULL for a customer of prio.customers itself.';
COMMENT ON COLUMN @extschema@.followup.customer_key IS 'The customer''s key as text: its key in the tracked table (source), else customer_id.  prio.followup_<table> has it in the key''s own type.';
COMMENT ON COLUMN @extschema@.followup.planned_at IS 'The next planned touch: the earliest activity dated after the customer was last scored (NULL: none); prio.refresh() scores it once due.';
COMMENT ON COLUMN @extschema@.followup.clv IS 'Expected value of the customer''s purchases over settings.clv_horizon months (BG/NBD x Gamma-Gamma, discounted); NULL without purchases or a fit.';

CREATE VIEW @extschema@.tier_summary WITH (security_invoker = true) AS
SELECT s.tier,
       s.effective_stage AS stage,
       pg_catalog.count(*) AS customers,
       pg_catalog.sum(s.monetary) AS monetary,
       pg_catalog.count(*) FILTER (WHERE s.next_due_at OPERATOR(pg_catalog.<) pg_catalog.now()) AS overdue
  FROM @extschema@.customer_state s
 GROUP BY s.tier, s.effective_stage
 ORDER BY s.tier, s.effective_stage;
COMMENT ON VIEW @extschema@.tier_summary IS 'Customers, revenue and overdue follow-ups per tier and stage.';
COMMENT ON COLUMN @extschema@.tier_summary.tier IS 'Tier.';
COMMENT ON COLUMN @extschema@.tier_summary.stage IS 'Effective stage.';
COMMENT ON COLUMN @extschema@.tier_summary.customers IS 'Number of customers.';
COMMENT ON COLUMN @extschema@.tier_summary.monetary IS 'Sum of their purchases.';
COMMENT ON COLUMN @extschema@.tier_summary.overdue IS 'How many are past their next due date.';

CREATE VIEW @extschema@.conversion_by_tier WITH (security_invoker = true) AS
WITH entered AS (
    SELECT h.new_tier AS tier, h.customer_id, pg_catalog.min(h.changed_at) AS entered_at
      FROM @extschema@.tier_history h
     WHERE h.new_tier IS NOT NULL
     GROUP BY h.new_tier, h.customer_id
), won AS (
    SELECT h.customer_id, pg_catalog.min(h.changed_at) AS won_at
      FROM @extschema@.tier_history h
     WHERE h.new_stage OPERATOR(pg_catalog.=) 'won'
     GROUP BY h.customer_id
)
SELECT e.tier,
       pg_catalog.count(*) AS entered,
       pg_catalog.count(w.customer_id) AS won,
       pg_catalog.round(pg_catalog.count(w.customer_id)::numeric OPERATOR(pg_catalog./)
                        pg_catalog.count(*), 4) AS win_rate
  FROM entered e
  LEFT JOIN won w ON w.customer_id OPERATOR(pg_catalog.=) e.customer_id
                 AND w.won_at OPERATOR(pg_catalog.>=) e.entered_at
 GROUP BY e.tier
 ORDER BY e.tier;
COMMENT ON VIEW @extschema@.conversion_by_tier IS
'Of the customers who ever entered each tier, how many reached won at or after entering it (from prio.tier_history).';
COMMENT ON COLUMN @extschema@.conversion_by_tier.tier IS 'Tier.';
COMMENT ON COLUMN @extschema@.conversion_by_tier.entered IS 'Customers who entered the tier.';
COMMENT ON COLUMN @extschema@.conversion_by_tier.won IS 'Of those, how many reached won afterwards.';
COMMENT ON COLUMN @extschema@.conversion_by_tier.win_rate IS 'won / entered.';

------------------------------------------------------------------------
-- Role model (prio creates no roles; these grant to roles you have)
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.grant_reader(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'role must not be NULL' USING ERRCODE = '22004';
    END IF;
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA @extschema@ TO %s', role);
    -- the views are security_invoker: readers need their base tables too
    EXECUTE pg_catalog.format(
        'GRANT SELECT ON @extschema@.followup, @extschema@.tier_summary, @extschema@.conversion_by_tier,'
        ' @extschema@.rule_config, @extschema@.customers, @extschema@.customer_state,'
        ' @extschema@.tier_history, @extschema@.settings, @extschema@.auto_breaks,'
        ' @extschema@.activity_kinds, @extschema@.rfm_segments, @extschema@.clv_models,'
        ' @extschema@.activities, @extschema@.win_outcomes TO %s', role);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.explain(bigint) TO %s', role);
END
$$;
COMMENT ON FUNCTION @extschema@.grant_reader(regrole) IS
'BI and reps: SELECT on the views (and the tables they read), prio.explain().  Run it as prio''s owner.';

CREATE FUNCTION @extschema@.grant_writer(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.grant_reader(role);
    EXECUTE pg_catalog.format('GRANT INSERT, UPDATE, DELETE ON @extschema@.customers TO %s', role);
    EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.activities TO %s', role);
END
$$;
COMMENT ON FUNCTION @extschema@.grant_writer(regrole) IS
'Applications: what grant_reader gives, plus maintaining customers and inserting (and correcting) activities; the triggers keep state and history, which nobody writes directly.';

CREATE FUNCTION @extschema@.grant_admin(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.grant_writer(role);
    EXECUTE pg_catalog.format('GRANT UPDATE ON @extschema@.settings TO %s', role);
    EXECUTE pg_catalog.format('GRANT INSERT, UPDATE, DELETE ON @extschema@.activity_kinds, @extschema@.rfm_segments TO %s', role);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.refresh(timestamptz), @extschema@.recompute(bigint),'
                              ' @extschema@.fit_clv() TO %s', role);
    EXECUTE pg_catalog.format('GRANT SELECT ON @extschema@.refresh_runs TO %s', role);
    -- tracked tables: attach and detach (of a table the role owns, or may
    -- create triggers on and read all of: prio._track_check_owner), see
    -- them with their mappings and last errors, and the kinds to map
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.track(regclass, text, jsonb), @extschema@.untrack(regclass),'
                              ' @extschema@.unmapped_kinds_of_sources() TO %s', role);
    EXECUTE pg_catalog.format('GRANT SELECT ON @extschema@.tracked, @extschema@.sources, @extschema@.unmapped_kinds TO %s', role);
END
$$;
COMMENT ON FUNCTION @extschema@.grant_admin(regrole) IS
'Whoever runs prio: what grant_writer gives, plus settings, activity kinds, segments, refresh(), recompute() and fit_clv(), the refresh run log (prio.refresh_runs), and tracked tables: prio.track() and prio.untrack() (of tables the role owns, or may create triggers on and read all of), prio.tracked and prio.unmapped_kinds.';

------------------------------------------------------------------------
-- Owner isolation: row-level security so each rep sees only the
-- customers they own or cover for.  The policies are always there; they
-- apply once prio.enable_owner_isolation() turns row-level security on.
-- prio's own triggers and functions run as the tables' owner, which the
-- policies do not restrict, so live maintenance sees every customer.
------------------------------------------------------------------------

CREATE TABLE @extschema@.managers (
    role_name name PRIMARY KEY CHECK (role_name OPERATOR(pg_catalog.<>) '')
);
COMMENT ON TABLE @extschema@.managers IS
'Roles that see every customer while owner isolation is on (members of these roles too); maintained by prio.grant_manager() and prio.revoke_manager().';
COMMENT ON COLUMN @extschema@.managers.role_name IS 'A role name (a row naming a dropped role grants nothing).';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.managers', '');
-- the policies read it as the querying user
GRANT SELECT ON @extschema@.managers TO PUBLIC;

CREATE FUNCTION @extschema@.sees_all_customers()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM @extschema@.managers m
                    WHERE pg_catalog.pg_has_role(CURRENT_USER,
                              pg_catalog.to_regrole(pg_catalog.quote_ident(m.role_name)), 'MEMBER'));
END;
COMMENT ON FUNCTION @extschema@.sees_all_customers() IS
'Whether the current user is (a member of) a role in prio.managers, who see every customer under owner isolation.';

-- The one view that is not security_invoker, on purpose: it is the gate to
-- the summed counts of every outcome, which prio.win_model() (run as the
-- caller) reads.  It reads prio.win_counts as its owner, while CURRENT_USER
-- in sees_all_customers() is still the caller: rows only while owner
-- isolation is off or for a manager.
CREATE VIEW @extschema@.win_counts_shared WITH (security_barrier = true) AS
SELECT w.variable, w.value, pg_catalog.sum(w.won)::bigint AS won, pg_catalog.sum(w.lost)::bigint AS lost
  FROM @extschema@.win_counts w
 WHERE NOT (SELECT c.relrowsecurity FROM pg_catalog.pg_class c
             WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.customers'::pg_catalog.regclass)
    OR (SELECT @extschema@.sees_all_customers())
 GROUP BY w.variable, w.value;
COMMENT ON VIEW @extschema@.win_counts_shared IS
'prio.win_counts summed per (variable, value), for prio.win_model(): every row while owner isolation is off and for managers, none for anyone else while it is on.';
COMMENT ON COLUMN @extschema@.win_counts_shared.variable IS 'A feature name (prio.win_features), or * for the totals.';
COMMENT ON COLUMN @extschema@.win_counts_shared.value IS 'Its value.';
COMMENT ON COLUMN @extschema@.win_counts_shared.won IS 'Won outcomes.';
COMMENT ON COLUMN @extschema@.win_counts_shared.lost IS 'Lost outcomes.';
GRANT SELECT ON @extschema@.win_counts_shared TO PUBLIC;

CREATE POLICY owner_isolation ON @extschema@.customers
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER::pg_catalog.text
           OR backup_owner OPERATOR(pg_catalog.=) CURRENT_USER::pg_catalog.text
           OR (SELECT @extschema@.sees_all_customers()));
COMMENT ON POLICY owner_isolation ON @extschema@.customers IS
'A rep (role named in owner or backup_owner) sees and writes their own customers; managers all.';
-- the other tables follow the customers a user can see
CREATE POLICY owner_isolation ON @extschema@.activities
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) activities.customer_id));
COMMENT ON POLICY owner_isolation ON @extschema@.activities IS
'Activities of the customers the user can see (prio.customers'' policy).';
CREATE POLICY owner_isolation ON @extschema@.customer_state
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) customer_state.customer_id));
COMMENT ON POLICY owner_isolation ON @extschema@.customer_state IS
'State of the customers the user can see (prio.customers'' policy).';
CREATE POLICY owner_isolation ON @extschema@.tier_history
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) tier_history.customer_id));
COMMENT ON POLICY owner_isolation ON @extschema@.tier_history IS
'History of the customers the user can see (prio.customers'' policy).';
CREATE POLICY owner_isolation ON @extschema@.win_outcomes
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) win_outcomes.customer_id));
COMMENT ON POLICY owner_isolation ON @extschema@.win_outcomes IS
'Outcomes of the customers the user can see (prio.customers'' policy).';

CREATE FUNCTION @extschema@.enable_owner_isolation()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    ALTER TABLE @extschema@.customers ENABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.activities ENABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.customer_state ENABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.tier_history ENABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.win_outcomes ENABLE ROW LEVEL SECURITY;
END
$$;
COMMENT ON FUNCTION @extschema@.enable_owner_isolation() IS
'Turns on row-level security: each rep (role name = owner or backup_owner) sees only their customers, their activities, state, history and win outcomes, through the tables, the views and prio.explain(); managers (prio.grant_manager) see all; tier-change notifications carry only the history_id.  Run it as prio''s owner.';

CREATE FUNCTION @extschema@.disable_owner_isolation()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    ALTER TABLE @extschema@.customers DISABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.activities DISABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.customer_state DISABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.tier_history DISABLE ROW LEVEL SECURITY;
    ALTER TABLE @extschema@.win_outcomes DISABLE ROW LEVEL SECURITY;
END
$$;
COMMENT ON FUNCTION @extschema@.disable_owner_isolation() IS
'Turns owner isolation off again: everyone with SELECT sees every customer.  Run it as prio''s owner.';

CREATE FUNCTION @extschema@.grant_manager(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.grant_reader(role);
    INSERT INTO @extschema@.managers (role_name)
    SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) role
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION @extschema@.grant_manager(regrole) IS
'Sales managers (and applications that write for every rep): what grant_reader gives, and every customer visible while owner isolation is on.  Run it as prio''s owner.';

CREATE FUNCTION @extschema@.revoke_manager(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'role must not be NULL' USING ERRCODE = '22004';
    END IF;
    DELETE FROM @extschema@.managers m
     USING pg_catalog.pg_roles r
     WHERE r.oid OPERATOR(pg_catalog.=) role AND m.role_name OPERATOR(pg_catalog.=) r.rolname;
END
$$;
COMMENT ON FUNCTION @extschema@.revoke_manager(regrole) IS
'Takes a role out of prio.managers (its reader grants stay).  Run it as prio''s owner.';

REVOKE ALL ON FUNCTION @extschema@.enable_owner_isolation() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.disable_owner_isolation() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.grant_manager(regrole) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.revoke_manager(regrole) FROM PUBLIC;

-- Trigger functions are for prio's own triggers: PostgreSQL checks EXECUTE
-- when a trigger is created, so nobody else can attach them to a table of
-- theirs (several run as prio's owner).  They also check the table they fire on.
REVOKE ALL ON FUNCTION @extschema@.invalidate_cache() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.config_row_guard() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.settings_keep_row() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.activities_inserted() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.activities_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.customers_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.config_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.win_outcomes_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.state_closed() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.state_closed_flush() FROM PUBLIC;
