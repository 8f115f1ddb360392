------------------------------------------------------------------------
-- explain(): every factor behind a customer's tier and priority
-- (its own part: the update to a new version drops it first and creates it
-- once from here, whatever the version adds to it)
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.explain(customer_id bigint)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v jsonb;
    pb jsonb;
    v_labels jsonb;
    st @extschema@.customer_state;      -- the state row, read once
    got record;                         -- the jsonb and the state row
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
                   'bant', (x.e).p_bant, 'intent', (x.e).p_intent, 'stage', (x.e).p_stage,
                   'funnel', (x.e).p_funnel),
        'priority_weights', pg_catalog.jsonb_build_object('tier', (x.cfg).weight_tier,
                   'rfm', (x.cfg).weight_rfm, 'bant', (x.cfg).weight_bant,
                   'intent', (x.cfg).weight_intent, 'stage', (x.cfg).weight_stage,
                   'funnel', (x.cfg).weight_funnel),
        -- (0.5) the formula's terms, each with its points and weight
        'priority_terms', pg_catalog.jsonb_build_array(
                   pg_catalog.jsonb_build_object('term', 'tier', 'points', (x.e).p_tier, 'weight', (x.cfg).weight_tier),
                   pg_catalog.jsonb_build_object('term', 'rfm', 'points', (x.e).p_rfm, 'weight', (x.cfg).weight_rfm),
                   pg_catalog.jsonb_build_object('term', 'bant', 'points', (x.e).p_bant, 'weight', (x.cfg).weight_bant),
                   pg_catalog.jsonb_build_object('term', 'intent', 'points', (x.e).p_intent, 'weight', (x.cfg).weight_intent),
                   pg_catalog.jsonb_build_object('term', 'stage', 'points', (x.e).p_stage, 'weight', (x.cfg).weight_stage),
                   pg_catalog.jsonb_build_object('term', 'funnel', 'points', (x.e).p_funnel, 'weight', (x.cfg).weight_funnel)),
        'priority_formula', '100 * (tier*weight_tier + rfm*weight_rfm + bant*weight_bant + intent*weight_intent + stage*weight_stage) / (their weights'' sum) + funnel*weight_funnel, rounded to 0.1',
        -- (0.5) the deal facts, and the value signals: which fired
        'deals', pg_catalog.jsonb_build_object('open_deals', s.open_deals, 'funnel_stage', s.funnel_stage,
                   'pipeline', s.pipeline, 'last_deal_at', s.last_deal_at,
                   'deal_closed_at', s.deal_closed_at, 'deal_outcome', s.deal_outcome,
                   'implicit_deal', CASE WHEN s.open_deals OPERATOR(pg_catalog.=) 0 AND s.last_deal_at IS NULL
                                              AND s.quote_at IS NOT NULL
                                         THEN pg_catalog.jsonb_build_object('stage', 'quote', 'amount', s.quote_amount,
                                                                            'at', s.quote_at) END),
        'value_signals', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                     'signal', v.signal, 'enabled', v.enabled, 'threshold', v.threshold,
                                     'fired', v.signal OPERATOR(pg_catalog.=) ANY ((x.e).value_signals))
                                     ORDER BY v.signal)
                            FROM @extschema@.value_signals v),
        'value_signals_fired', pg_catalog.to_jsonb((x.e).value_signals),
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
        -- decided (by its activities or its deals, with no deal in flight):
        -- the rule of the win outcomes, as prio.followup
        'win', CASE WHEN @extschema@.win_outcome(s) IS NOT NULL
                    THEN pg_catalog.jsonb_build_object('closed', @extschema@.win_outcome(s))
                    ELSE pg_catalog.jsonb_build_object(
                        'probability', @extschema@.win_probability(x.wf, x.wm),
                        'raises', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(f) ORDER BY f.weight DESC), '[]')
                                     FROM (SELECT * FROM @extschema@.win_factors(x.wf, x.wm) w
                                            WHERE w.weight OPERATOR(pg_catalog.>) 0
                                            ORDER BY w.weight DESC, w.variable LIMIT 3) f),
                        'lowers', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(f) ORDER BY f.weight), '[]')
                                     FROM (SELECT * FROM @extschema@.win_factors(x.wf, x.wm) w
                                            WHERE w.weight OPERATOR(pg_catalog.<) 0
                                            ORDER BY w.weight, w.variable LIMIT 3) f)) END) AS v,
           s AS st
      INTO got
      FROM @extschema@.customers c
      JOIN @extschema@.customer_state s ON s.customer_id OPERATOR(pg_catalog.=) c.customer_id
     CROSS JOIN LATERAL (
        SELECT r.cfg, r.r_breaks AS rb, r.f_breaks AS fb, r.m_breaks AS mb, r.breaks_computed_at,
               -- (0.5) the state row as the engine evaluates it: deal facts, value signals
               @extschema@.evaluate(s, c, pg_catalog.now()) AS e,
               @extschema@.win_features(s) AS wf, @extschema@.win_model() AS wm,
               m.bgnbd AS m_bgnbd, m.gammagamma AS m_gammagamma, m.fitted_at AS m_fitted_at
          FROM @extschema@.rule_config r
          LEFT JOIN (SELECT cm.bgnbd, cm.gammagamma, cm.fitted_at FROM @extschema@.clv_models cm
                      ORDER BY cm.fitted_at DESC LIMIT 1) m ON true
        OFFSET 0                        -- evaluate once, not once per field read
     ) x
     WHERE c.customer_id OPERATOR(pg_catalog.=) explain.customer_id;
    v := got.v;
    st := got.st;
    IF v IS NULL THEN
        RAISE EXCEPTION 'customer % does not exist', explain.customer_id
            USING ERRCODE = '23503', HINT = 'Customers are rows of prio.customers.';
    END IF;
    -- (0.5) its key-customer types: the facts, each type's condition and tag
    -- (NULL for a caller who may not read the type tables)
    v := v OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('types',
             CASE WHEN pg_catalog.has_table_privilege('@extschema@.customer_types', 'SELECT')
                       AND pg_catalog.has_table_privilege('@extschema@.customer_type_tags', 'SELECT')
                  THEN @extschema@.type_facts(explain.customer_id, pg_catalog.now()) END);
    -- a customer of a tracked table: its latest events, read from the
    -- tracked activities tables as the caller may read them
    IF v OPERATOR(pg_catalog.->>) 'source' IS NOT NULL THEN
        v := v OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('events',
                 @extschema@._track_events(explain.customer_id, (v OPERATOR(pg_catalog.->>) 'source')::pg_catalog.regclass));
    END IF;
    -- (0.5) the labels of the tier, stage and segment above, and followup's
    -- reason line, in the session's prio.language
    SELECT pg_catalog.jsonb_build_object(
               'language', pg_catalog.current_setting('prio.language'),
               'tier', @extschema@.label('tier', v OPERATOR(pg_catalog.->>) 'tier'),
               'stage', @extschema@.label('stage', v OPERATOR(pg_catalog.->) 'stage' OPERATOR(pg_catalog.->>) 'effective'),
               'segment', @extschema@.label('rfm_segment', v OPERATOR(pg_catalog.->) 'rfm' OPERATOR(pg_catalog.->>) 'segment'),
               'reason', @extschema@.reason(st))
      INTO v_labels;
    v := v OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('labels', v_labels);
    -- (0.5) the playbooks that apply, the one that sets the due date (its
    -- cadence is the cadence), and the channels of the latest events (of
    -- prio.activities and of the tracked activities tables) against it
    pb := @extschema@._explain_playbook(st, v OPERATOR(pg_catalog.->>) 'tier');
    pb := pb OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('channel_check',
              @extschema@._explain_channels(pb OPERATOR(pg_catalog.->>) 'chosen',
                  @extschema@._activity_events(explain.customer_id)
                  OPERATOR(pg_catalog.||) COALESCE(v OPERATOR(pg_catalog.->) 'events', '[]'::jsonb)));
    -- (a silent or lost customer keeps its re-activation cadence, above)
    v := v OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('playbook', pb,
             'cadence', CASE WHEN v OPERATOR(pg_catalog.->) 'stage' OPERATOR(pg_catalog.->>) 'effective'
                                  OPERATOR(pg_catalog.=) ANY (ARRAY['silent', 'lost'])
                             THEN v OPERATOR(pg_catalog.->) 'cadence'
                             ELSE COALESCE((SELECT a OPERATOR(pg_catalog.->) 'cadence'
                                              FROM pg_catalog.jsonb_array_elements(pb OPERATOR(pg_catalog.->) 'applied') a
                                             WHERE (a OPERATOR(pg_catalog.->>) 'chosen')::boolean),
                                           v OPERATOR(pg_catalog.->) 'cadence') END);
    RETURN v;
END
$$;
COMMENT ON FUNCTION @extschema@.explain(bigint) IS
'Every factor behind a customer''s tier and priority, evaluated now: where the customer comes from (source: the tracked table, NULL for prio.customers; key: its key there, else customer_id; events: for a tracked customer, its latest events in each tracked activities table the caller may read, with their channel), R/F/M values, scores and breaks, segment, BANT, stages, intent, the rule that fired, the priority points and weights (0.5: every term with its points and weight, the funnel term too), the deal facts and the value signals (each with whether it fired), the stored state, the CLV inputs with P(alive) and CLV under the latest model, the win probability with the three features that raise it most and the three that lower it most, and the key-customer types (types: prio.type_facts(), the facts and which type conditions held); labels: the tier, stage and segment labels and followup''s reason line in the session''s prio.language; playbook (0.5): the playbooks that apply, the one that sets the due date and its cadence, and channel_check: each channel the customer''s latest activities used (10 of prio.activities and of each tracked activities table the caller may read; their channel column or "channel" mapping), with its label, whether it is a known channel (prio.channels) and whether that playbook names it.  Channels do not change scoring.';

-- prio.explain() of a customer of a tracked customers table by its key
-- there (prio._track_lookup(), sql/install/85_track.sql, finds the key map).
-- The key is cast to the key's type with its typmod unspecified: a key of
-- character(n) is compared whole, not as character(1).
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
                                  v_src.key_map, v_src.eq, pg_catalog.format_type(v_src.key_type, -1), v_src.key_collate)
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
