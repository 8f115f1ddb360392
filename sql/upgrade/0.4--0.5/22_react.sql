-- 0.4 -> 0.5, react (issue 19 items 4 and 5): reply speed and re-activation.
-- The settings of the reply term and the re-activation cadences; which
-- kinds revive a lost customer; prio.fold with both.  prio.reactivation is
-- sql/install/94_reactivation.sql (NEW_IN_0_5); explain() and grant_reader()
-- come as 0.5 installs them, 99_end.sql grants the view to 0.4's readers
-- and folds everyone again under the new rules.

ALTER TABLE @extschema@.settings
    ADD COLUMN reply_weight     double precision NOT NULL DEFAULT 2 CHECK (reply_weight >= 0 AND reply_weight < 1e6),
    ADD COLUMN reply_half_life  interval NOT NULL DEFAULT '1 day' CHECK (reply_half_life > interval '0' AND reply_half_life < interval '100 years'),
    ADD COLUMN silent_cadence   interval NOT NULL DEFAULT '30 days' CHECK (silent_cadence > interval '0' AND silent_cadence < interval '100 years'),
    ADD COLUMN lost_cadence     interval NOT NULL DEFAULT '90 days' CHECK (lost_cadence > interval '0' AND lost_cadence < interval '100 years');
COMMENT ON COLUMN @extschema@.settings.reply_weight IS 'Reply speed: an inbound activity answering an outbound touch (the last outbound after the last inbound) adds reply_weight * 2^(-(reply time - outbound time) / reply_half_life) to intent, beside its kind''s weight (kinds with a positive intent_weight only: a quick rejection earns nothing); 0: no reply term.';
COMMENT ON COLUMN @extschema@.settings.reply_half_life IS 'Reply speed: a reply this long after our touch adds half of reply_weight to intent.';
COMMENT ON COLUMN @extschema@.settings.silent_cadence IS 'Re-activation cadence of a silent customer, instead of its tier''s: next due = last outbound touch + this (prio.reactivation lists it once due).';
COMMENT ON COLUMN @extschema@.settings.lost_cadence IS 'Re-activation cadence of a lost customer, instead of tier D''s: next due = last outbound touch + this (prio.reactivation lists it once due).';

ALTER TABLE @extschema@.activity_kinds ADD COLUMN revives boolean NOT NULL DEFAULT true;
COMMENT ON COLUMN @extschema@.activity_kinds.revives IS 'Whether an activity of this kind can bring a lost customer back (true by default; false for the automated email_open).  For a lost customer, an inbound activity of a kind that does not revive is a contact and nothing more: the customer stays lost, it adds no intent, and it neither counts as inbound (last_inbound_at, the silent clock) nor answers our last touch.';

-- email_open does not revive, as a fresh install has it: the row stays
-- built-in (its guard off for this one update, then as the DBA had it) and
-- nobody is re-tiered here (its change trigger too: 62_react.sql does it
-- once, when everything is in place)
DO $$
DECLARE
    v_names name[];
    v_states "char"[];
BEGIN
    SELECT pg_catalog.array_agg(t.tgname ORDER BY t.tgname), pg_catalog.array_agg(t.tgenabled ORDER BY t.tgname)
      INTO v_names, v_states
      FROM pg_catalog.pg_trigger t
     WHERE t.tgrelid OPERATOR(pg_catalog.=) '@extschema@.activity_kinds'::pg_catalog.regclass
       AND t.tgname OPERATOR(pg_catalog.=) ANY (ARRAY['activity_kinds_guard', 'activity_kinds_changed']::name[]);
    FOR i IN 1 .. coalesce(pg_catalog.cardinality(v_names), 0) LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.activity_kinds DISABLE TRIGGER %I', v_names[i]);
    END LOOP;
    UPDATE @extschema@.activity_kinds k SET revives = false WHERE k.kind OPERATOR(pg_catalog.=) 'email_open';
    FOR i IN 1 .. coalesce(pg_catalog.cardinality(v_names), 0) LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.activity_kinds %s TRIGGER %I',
                                  CASE v_states[i] WHEN 'A' THEN 'ENABLE ALWAYS' WHEN 'R' THEN 'ENABLE REPLICA'
                                                   WHEN 'D' THEN 'DISABLE' ELSE 'ENABLE' END, v_names[i]);
    END LOOP;
END
$$;

-- prio.fold: 0.4's two stay (as 0.4 folded); 0.5's has revives and the reply term
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
