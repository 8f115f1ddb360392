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
'prio.fold in (at, activity_id) order, sorted inside: no ORDER BY needed (PostgreSQL 15 would sort each group separately).  As 0.4 folded: every kind revives and no reply term; the 13-argument prio.fold folds as prio does now.';

-- 0.5: with the kind's revives and the reply term's settings
CREATE FUNCTION @extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean,
                                       @extschema@.stage, boolean, double precision, numeric, interval, bigint,
                                       boolean, double precision, interval)
RETURNS internal AS 'MODULE_PATHNAME', 'prio_fold_accum_0_5'
LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fold_accum(internal, @extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval, bigint, boolean, double precision, interval) IS
'Transition function of prio.fold (with activity_id, revives and the reply term).';

CREATE AGGREGATE @extschema@.fold(start @extschema@.facts, customer_id bigint, at timestamptz,
                                  inbound boolean, kind_stage @extschema@.stage, is_purchase boolean,
                                  weight double precision, amount numeric, half_life interval,
                                  activity_id bigint, revives boolean, reply_weight double precision,
                                  reply_half_life interval) (
    SFUNC = @extschema@.fold_accum,
    STYPE = internal,
    FINALFUNC = @extschema@.fold_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.fold(@extschema@.facts, bigint, timestamptz, boolean, @extschema@.stage, boolean, double precision, numeric, interval, bigint, boolean, double precision, interval) IS
'A customer''s facts folded from activities as prio folds them (0.5), in (at, activity_id) order, sorted inside: revives is the kind''s activity_kinds.revives, reply_weight and reply_half_life the settings''; an inbound activity answering an outbound touch adds reply_weight * 2^(-delay / reply_half_life) to intent.  activity_id may be NULL (ties keep their arrival order).';

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
    p_stage         double precision,
    -- added in 0.5 (hence last)
    p_funnel        double precision,
    value_signals   text[]
);
COMMENT ON TYPE @extschema@.evaluation IS
'Everything prio.evaluate() derives for one customer at one time, with the priority points (each 0..1: tier, rfm, bant, intent, stage; 0.5: funnel) and (0.5) the value signals that fired (prio.value_signals).';

CREATE FUNCTION @extschema@.evaluate(facts @extschema@.facts, customer @extschema@.customers,
                                     cfg @extschema@.settings, r_breaks double precision[],
                                     f_breaks double precision[], m_breaks double precision[],
                                     as_of timestamptz)
RETURNS @extschema@.evaluation
AS 'MODULE_PATHNAME', 'prio_evaluate_0_5'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz) IS
'The tier rules: RFM scores, effective stage, value, intent, tier, priority, next due date and the rule that fired, as of as_of.  The due date follows the playbooks in force (prio.playbooks, read from its table: hence STABLE).';

