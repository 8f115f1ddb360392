-- 0.4 -> 0.5, react (issue 19 items 4 and 5): reply speed and re-activation.
-- The settings of the reply term and the re-activation cadences; which
-- kinds revive a lost customer; prio.fold with both; explain() showing
-- them; grant_reader() giving prio.reactivation (created by
-- sql/install/94_reactivation.sql; its grants and the re-evaluation of
-- everyone under the new rules: 62_react.sql).

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

COMMENT ON COLUMN @extschema@.customer_state.next_due_at IS 'Last outbound touch (else first activity, else creation) + the tier''s cadence; for a silent or lost customer, + settings.silent_cadence or lost_cadence.';

-- explain(): the reply term and the re-activation cadence
SELECT pg_catalog.set_config('prio.upgrade_acl_explain', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.explain(bigint)'::pg_catalog.regprocedure;
DROP FUNCTION @extschema@.explain(bigint);
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
                   'no_reply_after', (x.cfg).no_reply_after,
                   -- (0.5) reply speed: the settings, whether our last touch
                   -- awaits an answer, and how much of the intent now the
                   -- reply terms make (the fold with and without them)
                   'reply', pg_catalog.jsonb_build_object('weight', (x.cfg).reply_weight,
                       'half_life', (x.cfg).reply_half_life,
                       'awaiting_reply_since', CASE WHEN s.last_outbound_at OPERATOR(pg_catalog.>)
                                                         coalesce(s.last_inbound_at, '-infinity')
                                                    THEN s.last_outbound_at END,
                       'intent_from_replies', CASE WHEN c.source IS NULL THEN
                           (SELECT @extschema@.decayed(f.with_reply, f.at, (x.cfg).intent_half_life, pg_catalog.now())
                                   OPERATOR(pg_catalog.-)
                                   @extschema@.decayed(f.without, f.at, (x.cfg).intent_half_life, pg_catalog.now())
                              FROM (SELECT (g.w).intent AS with_reply, (g.wo).intent AS without, (g.w).intent_at AS at
                                      FROM (SELECT @extschema@.fold(NULL, a.customer_id, a.at, k.direction OPERATOR(pg_catalog.=) 'inbound',
                                                                    k.stage, k.is_purchase, k.intent_weight, a.amount,
                                                                    (x.cfg).intent_half_life, a.activity_id, k.revives,
                                                                    (x.cfg).reply_weight, (x.cfg).reply_half_life) AS w,
                                                   @extschema@.fold(NULL, a.customer_id, a.at, k.direction OPERATOR(pg_catalog.=) 'inbound',
                                                                    k.stage, k.is_purchase, k.intent_weight, a.amount,
                                                                    (x.cfg).intent_half_life, a.activity_id, k.revives,
                                                                    0, (x.cfg).reply_half_life) AS wo
                                              FROM @extschema@.activities a
                                              JOIN @extschema@.activity_kinds k ON k.kind OPERATOR(pg_catalog.=) a.kind
                                             WHERE a.customer_id OPERATOR(pg_catalog.=) c.customer_id
                                               AND a.at OPERATOR(pg_catalog.<=) pg_catalog.now()) g) f) END)),
        'value_high', (x.e).value_high, 'intent_high', (x.e).intent_high,
        'priority_points', pg_catalog.jsonb_build_object('tier', (x.e).p_tier, 'rfm', (x.e).p_rfm,
                   'bant', (x.e).p_bant, 'intent', (x.e).p_intent, 'stage', (x.e).p_stage),
        'priority_weights', pg_catalog.jsonb_build_object('tier', (x.cfg).weight_tier,
                   'rfm', (x.cfg).weight_rfm, 'bant', (x.cfg).weight_bant,
                   'intent', (x.cfg).weight_intent, 'stage', (x.cfg).weight_stage),
        'next_due_at', (x.e).next_due_at,
        -- (0.5) a silent or lost customer is woken up on its own cadence
        'cadence', CASE WHEN (x.e).effective_stage OPERATOR(pg_catalog.=) 'silent' THEN (x.cfg).silent_cadence
                        WHEN (x.e).effective_stage OPERATOR(pg_catalog.=) 'lost' THEN (x.cfg).lost_cadence
                        ELSE CASE (x.e).tier WHEN 'A' THEN (x.cfg).cadence_a WHEN 'B' THEN (x.cfg).cadence_b
                                             WHEN 'C' THEN (x.cfg).cadence_c ELSE (x.cfg).cadence_d END END,
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
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.explain(bigint)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_explain'), '')::pg_catalog.aclitem[]);

-- grant_reader(): prio.reactivation too
SELECT pg_catalog.set_config('prio.upgrade_acl_grant_reader', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.grant_reader(regrole)'::pg_catalog.regprocedure;
DROP FUNCTION @extschema@.grant_reader(regrole);
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
        ' @extschema@.activities, @extschema@.win_outcomes, @extschema@.reactivation TO %s', role);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.explain(bigint) TO %s', role);
END
$$;
COMMENT ON FUNCTION @extschema@.grant_reader(regrole) IS
'BI and reps: SELECT on the views (and the tables they read), prio.explain().  Run it as prio''s owner.';
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.grant_reader(regrole)',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_grant_reader'), '')::pg_catalog.aclitem[]);
