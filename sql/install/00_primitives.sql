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

