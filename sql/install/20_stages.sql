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

