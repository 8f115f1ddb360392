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
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now() CHECK (pg_catalog.isfinite(created_at))
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
    owner            text
) WITH (fillfactor = 80);
-- the follow-up list of one rep; prio's own updates never touch owner, so
-- they stay HOT (an index on priority or next_due_at would make nearly every
-- update non-HOT: README, Performance)
CREATE INDEX customer_state_owner_idx ON @extschema@.customer_state (owner);
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

-- No primary key: restoring a dump replays customers and activities through
-- the triggers, which write history of their own before the dumped history
-- arrives; a key would make the dumped rows collide with those and be lost.
CREATE TABLE @extschema@.tier_history (
    history_id  bigint GENERATED ALWAYS AS IDENTITY,
    customer_id bigint NOT NULL REFERENCES @extschema@.customers ON DELETE CASCADE ON UPDATE CASCADE,
    changed_at  timestamptz NOT NULL,
    old_tier    text,
    new_tier    text,
    old_stage   @extschema@.stage,
    new_stage   @extschema@.stage,
    reason      text
);
CREATE INDEX tier_history_customer_idx ON @extschema@.tier_history (customer_id, changed_at);
CREATE INDEX tier_history_id_idx ON @extschema@.tier_history (history_id);
COMMENT ON TABLE @extschema@.tier_history IS
'One row per change of a customer''s tier or (effective) stage, written by prio; a new customer''s first row has NULL old values.';
COMMENT ON COLUMN @extschema@.tier_history.history_id IS 'Generated, increasing number (not a key: a restore may add rows of its own).';
COMMENT ON COLUMN @extschema@.tier_history.customer_id IS 'The customer.';
COMMENT ON COLUMN @extschema@.tier_history.changed_at IS 'When the change took effect (the as_of of the evaluation).';
COMMENT ON COLUMN @extschema@.tier_history.old_tier IS 'Tier before.';
COMMENT ON COLUMN @extschema@.tier_history.new_tier IS 'Tier after.';
COMMENT ON COLUMN @extschema@.tier_history.old_stage IS 'Effective stage before.';
COMMENT ON COLUMN @extschema@.tier_history.new_stage IS 'Effective stage after.';
COMMENT ON COLUMN @extschema@.tier_history.reason IS 'What triggered it (activity, customer, settings, refresh, recompute) and the rule.';
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
RETURNS internal AS 'MODULE_PATHNAME', 'prio_fold_accum'
LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval) IS
'Transition function of prio.fold.';
CREATE FUNCTION @extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean,
                                       @extschema@.stage, boolean, double precision, numeric, interval, bigint)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_fold_accum'
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
AS 'MODULE_PATHNAME', 'prio_evaluate_sql'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz) IS
'The tier rules: RFM scores, effective stage, value, intent, tier, priority, next due date and the rule that fired, as of as_of.';

------------------------------------------------------------------------
-- Engine: writing state.  Callers lock the customers' state rows in
-- customer_id order first (so concurrent writers never deadlock) and read
-- activities in a later statement (so they see what committed meanwhile).
-- These functions pin jit = off: JIT code is compiled anew on every
-- execution, which costs a trigger hundreds of milliseconds.  They also plan
-- for their actual arguments (force_custom_plan): they run on one customer
-- or on all of them, and a generic plan fits neither.
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.apply_facts(facts @extschema@.facts[], as_of timestamptz, why text,
                                        force boolean,
                                        OUT changed integer, OUT facts_fixed integer)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    WITH n AS MATERIALIZED (
        SELECT f.customer_id, f.first_at, f.last_at, f.last_inbound_at, f.last_outbound_at,
               f.last_purchase_at, f.frequency, f.monetary, f.intent, f.intent_at, f.stage,
               f.first_purchase_at, coalesce(f.purchase_days, 0) AS purchase_days,
               coalesce(f.first_day_amount, 0) AS first_day_amount,
               @extschema@.evaluate(f, c, r.cfg, r.r_breaks, r.f_breaks, r.m_breaks, as_of,
                                    r.bgnbd, r.gammagamma) AS e
          FROM pg_catalog.unnest(facts) AS f
          JOIN @extschema@.customers c ON c.customer_id OPERATOR(pg_catalog.=) f.customer_id
         CROSS JOIN @extschema@.rule_config r
    ), o AS (
        SELECT s.customer_id, s.tier, s.effective_stage,
               ROW(s.first_at, s.last_at, s.last_inbound_at, s.last_outbound_at, s.last_purchase_at,
                   s.frequency, s.monetary, s.intent, s.intent_at, s.stage,
                   s.first_purchase_at, s.purchase_days, s.first_day_amount)
               IS DISTINCT FROM
               ROW(n.first_at, n.last_at, n.last_inbound_at, n.last_outbound_at, n.last_purchase_at,
                   n.frequency, n.monetary, n.intent, n.intent_at, n.stage,
                   n.first_purchase_at, n.purchase_days, n.first_day_amount) AS facts_differ
          FROM @extschema@.customer_state s
          JOIN n ON n.customer_id OPERATOR(pg_catalog.=) s.customer_id
    ), upd AS (
        UPDATE @extschema@.customer_state s
           SET first_at = n.first_at, last_at = n.last_at, last_inbound_at = n.last_inbound_at,
               last_outbound_at = n.last_outbound_at, last_purchase_at = n.last_purchase_at,
               frequency = n.frequency, monetary = n.monetary, intent = n.intent,
               intent_at = n.intent_at, stage = n.stage,
               effective_stage = (n.e).effective_stage, r_score = (n.e).r_score,
               f_score = (n.e).f_score, m_score = (n.e).m_score, bant = (n.e).bant,
               no_reply = (n.e).no_reply, value_high = (n.e).value_high,
               intent_high = (n.e).intent_high, tier = (n.e).tier, priority = (n.e).priority,
               next_due_at = (n.e).next_due_at, rule = (n.e).rule,
               first_purchase_at = n.first_purchase_at, purchase_days = n.purchase_days,
               first_day_amount = n.first_day_amount,
               updated_at = pg_catalog.now()
          FROM n
         WHERE s.customer_id OPERATOR(pg_catalog.=) n.customer_id
           AND (force OR ROW(s.first_at, s.last_at, s.last_inbound_at, s.last_outbound_at, s.last_purchase_at,
                   s.frequency, s.monetary, s.intent, s.intent_at, s.stage, s.effective_stage,
                   s.r_score, s.f_score, s.m_score, s.bant, s.no_reply, s.value_high,
                   s.intent_high, s.tier, s.priority, s.next_due_at, s.rule,
                   s.first_purchase_at, s.purchase_days, s.first_day_amount)
               IS DISTINCT FROM
               ROW(n.first_at, n.last_at, n.last_inbound_at, n.last_outbound_at, n.last_purchase_at,
                   n.frequency, n.monetary, n.intent, n.intent_at, n.stage, (n.e).effective_stage,
                   (n.e).r_score, (n.e).f_score, (n.e).m_score, (n.e).bant, (n.e).no_reply,
                   (n.e).value_high, (n.e).intent_high, (n.e).tier, (n.e).priority,
                   (n.e).next_due_at, (n.e).rule,
                   n.first_purchase_at, n.purchase_days, n.first_day_amount))
        RETURNING s.customer_id, s.tier, s.effective_stage, s.rule
    ), hist AS (
        INSERT INTO @extschema@.tier_history
               (customer_id, changed_at, old_tier, new_tier, old_stage, new_stage, reason)
        SELECT u.customer_id, as_of, o.tier, u.tier, o.effective_stage, u.effective_stage,
               why OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||) u.rule
          FROM upd u JOIN o ON o.customer_id OPERATOR(pg_catalog.=) u.customer_id
         WHERE o.tier IS DISTINCT FROM u.tier OR o.effective_stage IS DISTINCT FROM u.effective_stage
        RETURNING history_id, customer_id, old_tier, new_tier, old_stage, new_stage
    )
    -- anyone may LISTEN: with owner isolation on, name only the history row
    SELECT (SELECT pg_catalog.count(pg_catalog.pg_notify('prio_tier_change',
                       CASE WHEN i.isolated
                            THEN pg_catalog.json_build_object('history_id', h.history_id)
                            ELSE pg_catalog.json_build_object('customer_id', h.customer_id,
                                     'old_tier', h.old_tier, 'new_tier', h.new_tier,
                                     'old_stage', h.old_stage, 'new_stage', h.new_stage) END::text)::text)
              FROM hist h,
                   (SELECT c.relrowsecurity AS isolated FROM pg_catalog.pg_class c
                     WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.customers'::pg_catalog.regclass) i),
           (SELECT pg_catalog.count(*) FROM o WHERE o.facts_differ)
      INTO changed, facts_fixed;
END
$$;
COMMENT ON FUNCTION @extschema@.apply_facts(@extschema@.facts[], timestamptz, text, boolean) IS
'Internal: evaluate the given facts as of as_of and write the state rows that differ (all of them when force); one tier_history row and one NOTIFY prio_tier_change per change of tier or stage (changed counts them; with owner isolation on, the payload names only the history row); facts_fixed counts stored facts that differed.  Callers must hold the state rows'' locks.';

-- Everyone at once (C, src/sweep.c): one pass over each table.  They read
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
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_facts @extschema@.facts[];
BEGIN
    IF ids IS NULL THEN
        RETURN @extschema@.sweep_rebuild(why, force);
    END IF;
    -- a customer whose state row went missing gets one back
    INSERT INTO @extschema@.customer_state (customer_id, owner)
    SELECT c.customer_id, c.owner FROM @extschema@.customers c
     WHERE (ids IS NULL OR c.customer_id OPERATOR(pg_catalog.=) ANY (ids))
       AND NOT EXISTS (SELECT 1 FROM @extschema@.customer_state s
                        WHERE s.customer_id OPERATOR(pg_catalog.=) c.customer_id)
     ORDER BY c.customer_id;
    PERFORM 1 FROM @extschema@.customer_state s
     WHERE ids IS NULL OR s.customer_id OPERATOR(pg_catalog.=) ANY (ids)
     ORDER BY s.customer_id FOR UPDATE;
    UPDATE @extschema@.customer_state s SET owner = c.owner
      FROM @extschema@.customers c
     WHERE c.customer_id OPERATOR(pg_catalog.=) s.customer_id
       AND (ids IS NULL OR s.customer_id OPERATOR(pg_catalog.=) ANY (ids))
       AND s.owner IS DISTINCT FROM c.owner;
    SELECT pg_catalog.array_agg(x.f) INTO v_facts
      FROM (SELECT @extschema@.fold(NULL, s.customer_id, a.at,
                                    k.direction OPERATOR(pg_catalog.=) 'inbound', k.stage,
                                    k.is_purchase, k.intent_weight, a.amount, cfg.intent_half_life,
                                    a.activity_id) AS f
              FROM @extschema@.customer_state s
              LEFT JOIN @extschema@.activities a ON a.customer_id OPERATOR(pg_catalog.=) s.customer_id
              LEFT JOIN @extschema@.activity_kinds k ON k.kind OPERATOR(pg_catalog.=) a.kind
             CROSS JOIN @extschema@.settings cfg
             WHERE ids IS NULL OR s.customer_id OPERATOR(pg_catalog.=) ANY (ids)
             GROUP BY s.customer_id, cfg.intent_half_life) x;
    RETURN (SELECT a.facts_fixed
              FROM @extschema@.apply_facts(v_facts, pg_catalog.now(), why, force) a);
END
$$;
COMMENT ON FUNCTION @extschema@.rebuild(bigint[], text, boolean) IS
'Internal: lock, refold from all their activities and re-evaluate now the given customers (NULL: everyone, by prio.sweep_rebuild), writing every row when force; returns how many had stored facts that differed from the refold.';

CREATE FUNCTION @extschema@.reevaluate(ids bigint[], as_of timestamptz, why text)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_facts @extschema@.facts[];
BEGIN
    PERFORM 1 FROM @extschema@.customer_state s
     WHERE s.customer_id OPERATOR(pg_catalog.=) ANY (ids)
     ORDER BY s.customer_id FOR UPDATE;
    SELECT pg_catalog.array_agg(@extschema@.stored_facts(s)) INTO v_facts
      FROM @extschema@.customer_state s
     WHERE s.customer_id OPERATOR(pg_catalog.=) ANY (ids);
    RETURN (SELECT a.changed FROM @extschema@.apply_facts(v_facts, as_of, why, false) a);
END
$$;
COMMENT ON FUNCTION @extschema@.reevaluate(bigint[], timestamptz, text) IS
'Internal: lock and re-evaluate the given customers from their stored facts as of as_of; returns how many changed tier or stage.';

------------------------------------------------------------------------
-- Engine: triggers
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.activities_inserted()
RETURNS trigger
AS 'MODULE_PATHNAME', 'prio_activities_inserted'
LANGUAGE C SECURITY DEFINER
-- It runs SQL as prio's owner: no name it uses may come from the caller's
-- search_path or temporary schema (the C also qualifies every name).
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.activities_inserted() IS
'Statement trigger (C): folds the inserted activities into their customers'' state, in chunks locked in customer_id order, and re-tiers them; history and NOTIFY for every change.';

CREATE FUNCTION @extschema@.activities_changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_ids bigint[];
BEGIN
    IF TG_RELID OPERATOR(pg_catalog.<>) '@extschema@.activities'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'prio.activities_changed() is a trigger of prio.activities only' USING ERRCODE = '39P01';
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
        PERFORM @extschema@.rebuild(NULL, 'activities truncated', true);
        RETURN NULL;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN
        IF EXISTS (SELECT 1 FROM new_rows n
                    WHERE n.at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.+) interval '1 day')) THEN
            RAISE EXCEPTION 'activity dated more than a day in the future'
                USING ERRCODE = '22008', HINT = 'Record activities when they happen.';
        END IF;
        SELECT pg_catalog.array_agg(DISTINCT x.customer_id) INTO v_ids
          FROM (SELECT customer_id FROM old_rows UNION SELECT customer_id FROM new_rows) x;
    ELSE
        SELECT pg_catalog.array_agg(DISTINCT o.customer_id) INTO v_ids FROM old_rows o;
    END IF;
    IF v_ids IS NOT NULL THEN
        -- force: the state row is written even when nothing in it changes, so a
        -- REPEATABLE READ transaction that still sees the old activities gets a
        -- serialization failure when it locks the row, not a stale refold
        PERFORM @extschema@.rebuild(v_ids, 'activity ' OPERATOR(pg_catalog.||) pg_catalog.lower(TG_OP), true);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.activities_changed() IS
'Statement trigger: UPDATE, DELETE or TRUNCATE of activities refolds the customers they touched.';

CREATE TRIGGER activities_inserted
    AFTER INSERT ON @extschema@.activities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.activities_inserted();
CREATE TRIGGER activities_updated
    AFTER UPDATE ON @extschema@.activities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.activities_changed();
CREATE TRIGGER activities_deleted
    AFTER DELETE ON @extschema@.activities
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.activities_changed();
CREATE TRIGGER activities_truncated
    AFTER TRUNCATE ON @extschema@.activities
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.activities_changed();

CREATE FUNCTION @extschema@.customers_changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_ids bigint[];
BEGIN
    IF TG_RELID OPERATOR(pg_catalog.<>) '@extschema@.customers'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'prio.customers_changed() is a trigger of prio.customers only' USING ERRCODE = '39P01';
    END IF;
    IF EXISTS (SELECT 1 FROM new_rows n
                WHERE n.created_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.+) interval '1 day')) THEN
        RAISE EXCEPTION 'customer created_at is more than a day in the future'
            USING ERRCODE = '22008', HINT = 'created_at defaults to now().';
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
        INSERT INTO @extschema@.customer_state (customer_id, owner)
        SELECT n.customer_id, n.owner FROM new_rows n ORDER BY n.customer_id;
    ELSE
        -- lock in customer_id order first, as every writer does (no deadlock)
        PERFORM 1 FROM @extschema@.customer_state s
         WHERE s.customer_id OPERATOR(pg_catalog.=) ANY (SELECT n.customer_id FROM new_rows n)
         ORDER BY s.customer_id FOR UPDATE;
        UPDATE @extschema@.customer_state s SET owner = n.owner
          FROM new_rows n
         WHERE s.customer_id OPERATOR(pg_catalog.=) n.customer_id
           AND s.owner IS DISTINCT FROM n.owner;
    END IF;
    -- BANT or creation time changed: re-evaluate (state rows change only if the result does)
    SELECT pg_catalog.array_agg(n.customer_id) INTO v_ids FROM new_rows n;
    IF v_ids IS NOT NULL THEN
        PERFORM @extschema@.reevaluate(v_ids, pg_catalog.now(),
                                       CASE TG_OP WHEN 'INSERT' THEN 'new customer' ELSE 'customer' END);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.customers_changed() IS
'Statement trigger: a new customer gets its state row; a change of BANT answers re-tiers the customer.';

CREATE TRIGGER customers_inserted
    AFTER INSERT ON @extschema@.customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.customers_changed();
CREATE TRIGGER customers_updated
    AFTER UPDATE ON @extschema@.customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.customers_changed();

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
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();
CREATE TRIGGER activity_kinds_changed
    AFTER UPDATE OR DELETE ON @extschema@.activity_kinds
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_changed();

------------------------------------------------------------------------
-- Engine: refresh, recompute, explain
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.refresh(as_of timestamptz DEFAULT pg_catalog.now())
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_ids bigint[];
    v_changed integer := 0;
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
    -- one refresh at a time; a second one has nothing to add
    IF NOT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('prio.refresh')::bigint) THEN
        RAISE NOTICE 'prio.refresh() is already running in another session; skipped';
        RETURN 0;
    END IF;

    UPDATE @extschema@.auto_breaks b
       SET r_breaks = q.r, f_breaks = q.f, m_breaks = q.m, buyers = q.n, computed_at = as_of
      FROM (SELECT pg_catalog.percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP
                   (ORDER BY @extschema@.recency_days(s.last_purchase_at, as_of)) AS r,
                   pg_catalog.percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP
                   (ORDER BY s.frequency::double precision) AS f,
                   pg_catalog.percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP
                   (ORDER BY s.monetary::double precision) AS m,
                   pg_catalog.count(*) AS n
              FROM @extschema@.customer_state s
             WHERE s.frequency OPERATOR(pg_catalog.>) 0) q
     WHERE ROW(b.r_breaks, b.f_breaks, b.m_breaks, b.buyers) IS DISTINCT FROM ROW(q.r, q.f, q.m, q.n)
        OR b.computed_at IS NULL;

    -- the CLV models, when the latest fit is old and enough customers bought
    -- again (before the evaluation: the value side may use them)
    IF NOT EXISTS (SELECT 1 FROM @extschema@.clv_models m, @extschema@.settings cfg
                    WHERE m.fitted_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) cfg.clv_refit_after))
       AND (SELECT pg_catalog.count(*) FROM @extschema@.customer_state s
             WHERE s.purchase_days OPERATOR(pg_catalog.>) 1)
           OPERATOR(pg_catalog.>=) (SELECT cfg.clv_min_repeat_buyers FROM @extschema@.settings cfg) THEN
        BEGIN
            PERFORM @extschema@.fit_clv();
        EXCEPTION WHEN invalid_parameter_value THEN
            RAISE WARNING 'prio.refresh(): the CLV models were not fitted: %', SQLERRM;
        END;
    END IF;
    -- who would change: evaluate everyone without locks, then lock and apply only those
    v_ids := @extschema@.sweep_due(as_of);
    IF v_ids IS NOT NULL THEN
        v_changed := @extschema@.reevaluate(v_ids, as_of, 'refresh');
    END IF;

    -- sum up the win-count deltas
    IF EXISTS (SELECT 1 FROM @extschema@.win_counts w GROUP BY w.variable, w.value
                HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1) THEN
        PERFORM @extschema@.compact_win_counts();
    END IF;

    RETURN v_changed;
END
$$;
COMMENT ON FUNCTION @extschema@.refresh(timestamptz) IS
'Time moves customers too: recomputes automatic breaks, re-evaluates everyone as of as_of (silent, dormant, overdue, decayed intent), writes only rows that change, logs changes; fits the CLV models again (prio.fit_clv) when the latest fit is older than settings.clv_refit_after and enough customers bought again; returns how many customers changed tier or stage.  A concurrent second call returns 0 at once.';

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
    RETURN v;
END
$$;
COMMENT ON FUNCTION @extschema@.explain(bigint) IS
'Every factor behind a customer''s tier and priority, evaluated now: R/F/M values, scores and breaks, segment, BANT, stages, intent, the rule that fired, the priority points and weights, the stored state, the CLV inputs with P(alive) and CLV under the latest model, and the win probability with the three features that raise it most and the three that lower it most.';

-- Internal functions are not for direct calls.
REVOKE ALL ON FUNCTION @extschema@.apply_facts(@extschema@.facts[], timestamptz, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.rebuild(bigint[], text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sweep_rebuild(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sweep_due(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.reevaluate(bigint[], timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.refresh(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.recompute(bigint) FROM PUBLIC;

------------------------------------------------------------------------
-- Predictive: customer lifetime value (BG/NBD + Gamma-Gamma, src/btyd.c)
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
RETURNS internal AS 'MODULE_PATHNAME', 'prio_clv_summary_accum' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz, interval) IS 'Transition function of prio.clv_summary.';
CREATE FUNCTION @extschema@.clv_summary_accum(internal, timestamptz, numeric, timestamptz)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_clv_summary_accum' LANGUAGE C PARALLEL SAFE;
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
AS 'MODULE_PATHNAME', 'prio_evaluate_sql'
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
CREATE FUNCTION @extschema@.win_features(state @extschema@.customer_state)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT pg_catalog.jsonb_build_object(
               'stage', state.stage::text,
               'owner', coalesce(c.owner, '(none)'),
               'budget', CASE c.budget WHEN true THEN 'yes' WHEN false THEN 'no' ELSE 'unknown' END,
               'authority', CASE c.authority WHEN true THEN 'yes' WHEN false THEN 'no' ELSE 'unknown' END,
               'need', CASE c.need WHEN true THEN 'yes' WHEN false THEN 'no' ELSE 'unknown' END,
               'timeline', CASE c.timeline WHEN true THEN 'yes' WHEN false THEN 'no' ELSE 'unknown' END,
               'rfm_segment', coalesce(CASE WHEN state.frequency OPERATOR(pg_catalog.>) 0
                                             THEN @extschema@.rfm_segment(state.r_score, state.f_score, state.m_score) END,
                                        'none'))
           OPERATOR(pg_catalog.||)
           coalesce((SELECT pg_catalog.jsonb_object_agg('kind:' OPERATOR(pg_catalog.||) k.kind,
                               CASE WHEN k.kind OPERATOR(pg_catalog.=) ANY (seen.kinds) THEN 'yes' ELSE 'no' END)
                       FROM @extschema@.activity_kinds k,
                            (SELECT pg_catalog.array_agg(DISTINCT a.kind) AS kinds
                               FROM @extschema@.activities a
                              WHERE a.customer_id OPERATOR(pg_catalog.=) state.customer_id
                                AND a.at OPERATOR(pg_catalog.<=) state.last_at) seen
                      WHERE NOT k.is_purchase
                        AND (k.stage IS NULL OR k.stage OPERATOR(pg_catalog.<>) ALL ('{won,lost}'::@extschema@.stage[]))),
                    '{}'::jsonb)
      FROM @extschema@.customers c
     WHERE c.customer_id OPERATOR(pg_catalog.=) state.customer_id;
END;
COMMENT ON FUNCTION @extschema@.win_features(@extschema@.customer_state) IS
'What win probability looks at, for a state row: base stage, owner, the four BANT answers (yes/no/unknown), RFM segment, and for every kind that does not close a deal whether the customer had one by state.last_at (kind:<name> yes/no).';

CREATE TABLE @extschema@.win_outcomes (
    customer_id bigint PRIMARY KEY REFERENCES @extschema@.customers ON DELETE CASCADE ON UPDATE CASCADE,
    won         boolean NOT NULL,
    features    jsonb NOT NULL,
    closed_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.win_outcomes IS
'One row per customer whose base stage is won or lost: the outcome and its features just before it closed; written by prio only (a customer that opens again loses its row).  Restores re-derive it from the activities.';
COMMENT ON COLUMN @extschema@.win_outcomes.customer_id IS 'The customer.';
COMMENT ON COLUMN @extschema@.win_outcomes.won IS 'Won (true) or lost.';
COMMENT ON COLUMN @extschema@.win_outcomes.features IS 'prio.win_features() of the state before the close.';
COMMENT ON COLUMN @extschema@.win_outcomes.closed_at IS 'When prio saw it close.';

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

CREATE FUNCTION @extschema@.compact_win_counts()
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    -- one at a time, and never waiting: a writer that cannot have the lock
    -- leaves its deltas to the next one; concurrent appends are not seen
    -- (one snapshot) and stay
    IF pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('prio.win_counts')::bigint) THEN
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
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.win_outcomes_changed();
CREATE TRIGGER win_outcomes_updated
    AFTER UPDATE ON @extschema@.win_outcomes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.win_outcomes_changed();
CREATE TRIGGER win_outcomes_deleted
    AFTER DELETE ON @extschema@.win_outcomes
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.win_outcomes_changed();

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

-- SECURITY DEFINER: readers get the summed model, not the delta rows (one
-- statement's rows are one closed customer's features)
CREATE FUNCTION @extschema@.win_model()
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH c AS (
        SELECT w.variable, w.value, pg_catalog.sum(w.won) AS won, pg_catalog.sum(w.lost) AS lost
          FROM @extschema@.win_counts w GROUP BY 1, 2
        HAVING pg_catalog.sum(w.won) OPERATOR(pg_catalog.>) 0 OR pg_catalog.sum(w.lost) OPERATOR(pg_catalog.>) 0
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
               'counts', coalesce((SELECT pg_catalog.jsonb_object_agg(v.variable, v.counts) FROM v), '{}'));
END;
COMMENT ON FUNCTION @extschema@.win_model() IS
'The naive-Bayes model as one value, read once per query: won/lost totals, per variable its won and lost outcomes and number of values, and the won/lost counts of each value (prio.win_counts summed).';

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
       AS win_probability
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
END
$$;
COMMENT ON FUNCTION @extschema@.grant_admin(regrole) IS
'Whoever runs prio: what grant_writer gives, plus settings, activity kinds, segments, refresh(), recompute() and fit_clv().';

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
