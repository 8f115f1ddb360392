------------------------------------------------------------------------
-- Channels of activities (0.5): the channel each activity went through
-- (prio.activities.channel; a tracked activities table's "channel"
-- mapping) and prio.explain()'s check of the channels a customer's latest
-- events used against its playbook's channels.  Channels do not change
-- scoring: the fold, the tiers and the priority never read them.
------------------------------------------------------------------------

-- The tracked activities tables of a tracked customers table, each with
-- the query explain() reads its events with: EXPLAIN_EVENTS (0.5: the
-- event source with each event's channel); a table tracked before 0.5 has
-- none, its EVENTS is read with no channel (NULL) instead.
CREATE FUNCTION @extschema@._track_event_sources(customers regclass, OUT source regclass, OUT sql text, OUT current boolean)
RETURNS SETOF record
LANGUAGE sql
STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT a.relid,
           COALESCE(a.compiled OPERATOR(pg_catalog.->>) 'EXPLAIN_EVENTS',
                    'SELECT x.*, NULL::text AS channel FROM (' OPERATOR(pg_catalog.||)
                    (a.compiled OPERATOR(pg_catalog.->>) 'EVENTS') OPERATOR(pg_catalog.||) ') x'),
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
'Internal (prio.explain()): the tracked activities tables of a tracked customers table that the session''s user may read, each with its event query with channels (prio.sources.compiled ->> ''EXPLAIN_EVENTS''; for a table tracked before 0.5, ''EVENTS'' with a NULL channel) and whether its columns are still those prio.track() checked.';

CREATE FUNCTION @extschema@._track_events(customer_id bigint, customers regclass)
RETURNS jsonb
LANGUAGE plpgsql
STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
SET jit = off
-- the compiled SQL parsed as track() wrote it (track.c, PrioTrackedParseBegin())
SET standard_conforming_strings = on
SET array_nulls = on
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET bytea_output = 'hex'
SET lc_monetary = 'C'
SET lc_numeric = 'C'
SET lc_time = 'C'
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
            -- (an empty or blank channel, which the application's table may
            -- hold, is no channel: unknown, NULL)
            EXECUTE pg_catalog.format($q$SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                           'at', e.at, 'kind', e.kind, 'amount', e.amount,
                           'channel', CASE WHEN pg_catalog.btrim(e.channel) OPERATOR(pg_catalog.<>) '' THEN e.channel END)
                           ORDER BY e.at DESC, e.tiebreak DESC), '[]')
  FROM (SELECT x.at, x.kind, x.amount, x.channel, x.tiebreak FROM (%s) x
         WHERE x.customer_id OPERATOR(pg_catalog.=) $1
         ORDER BY x.at DESC, x.tiebreak DESC LIMIT 10) e$q$, v_src.sql)
                INTO v_events USING customer_id;
            v := v OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                     'source', v_src.source, 'latest', v_events));
        EXCEPTION
            WHEN transaction_rollback OR insufficient_resources OR program_limit_exceeded
                 OR operator_intervention OR system_error OR lock_not_available OR query_canceled THEN
                RAISE;
            -- no privilege, or a row the mapping cannot convert (the
            -- channel's expression runs only here, never on a write)
            WHEN OTHERS THEN
                v := v OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                         'source', v_src.source, 'latest', NULL, 'note', 'not read: ' OPERATOR(pg_catalog.||) SQLERRM));
        END;
    END LOOP;
    RETURN v;
END
$$;
COMMENT ON FUNCTION @extschema@._track_events(bigint, regclass) IS
'Internal (prio.explain()): the latest 10 events prio folds of a customer of a tracked customers table (at, kind, amount, channel: NULL when the mapping has none or gives an empty or blank one), per tracked activities table of it the caller may read, newest first, read from the table as the caller.';

-- A customer of prio.customers: its latest activities, in the shape of
-- prio._track_events(), for explain()'s channel check
-- (a string body, not BEGIN ATOMIC: no dependency on the columns of
-- prio.activities, which a DBA may alter, test/ddl.sql)
CREATE FUNCTION @extschema@._activity_events(customer_id bigint)
RETURNS jsonb
LANGUAGE sql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
               'source', '@extschema@.activities'::pg_catalog.regclass,
               'latest', COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                      'at', e.at, 'kind', e.kind, 'amount', e.amount, 'channel', e.channel)
                                      ORDER BY e.at DESC, e.activity_id DESC), '[]'::jsonb)))
      FROM (SELECT a.at, a.kind, a.amount, a.channel, a.activity_id
              FROM @extschema@.activities a
             WHERE a.customer_id OPERATOR(pg_catalog.=) _activity_events.customer_id
             ORDER BY a.at DESC, a.activity_id DESC LIMIT 10) e
$$;
COMMENT ON FUNCTION @extschema@._activity_events(bigint) IS
'Internal (prio.explain()): the latest 10 activities of a customer of prio.customers (at, kind, amount, channel), newest first, as the caller may read them, in the shape of prio._track_events().';

-- explain()'s channel check: each channel the events used, against the
-- playbook's channels
CREATE FUNCTION @extschema@._explain_channels(playbook text, events jsonb)
RETURNS jsonb
LANGUAGE sql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
WITH ev AS (
    -- the events that have a channel: prio.explain()'s events (per source, "latest")
    SELECT x.value OPERATOR(pg_catalog.->>) 'channel' AS channel,
           (x.value OPERATOR(pg_catalog.->>) 'at')::timestamptz AS at
      FROM pg_catalog.jsonb_array_elements(CASE WHEN pg_catalog.jsonb_typeof(events) OPERATOR(pg_catalog.=) 'array'
                                                THEN events ELSE '[]'::jsonb END) src(value)
     CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(
                CASE WHEN pg_catalog.jsonb_typeof(src.value OPERATOR(pg_catalog.->) 'latest') OPERATOR(pg_catalog.=) 'array'
                     THEN src.value OPERATOR(pg_catalog.->) 'latest' ELSE '[]'::jsonb END) x(value)
     WHERE pg_catalog.jsonb_typeof(x.value) OPERATOR(pg_catalog.=) 'object'
       -- (an empty or blank channel is none: unknown, as NULL)
       AND pg_catalog.btrim(x.value OPERATOR(pg_catalog.->>) 'channel') OPERATOR(pg_catalog.<>) ''
), used AS (
    SELECT ev.channel, pg_catalog.count(*) AS n, pg_catalog.max(ev.at) AS last_at,
           EXISTS (SELECT 1 FROM @extschema@.channels k WHERE k.channel OPERATOR(pg_catalog.=) ev.channel) AS known
      FROM ev
     GROUP BY ev.channel
)
SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
           'channel', u.channel, 'label', @extschema@.label('channel', u.channel), 'known', u.known,
           'in_playbook', u.channel OPERATOR(pg_catalog.=) ANY (p.channels),
           'events', u.n, 'last_at', u.last_at)
           OPERATOR(pg_catalog.||) CASE WHEN u.known THEN '{}'::jsonb
                                        ELSE '{"note": "not a known channel (prio.channels)"}'::jsonb END
           ORDER BY u.last_at DESC NULLS LAST, u.channel), '[]'::jsonb)
  FROM used u
  LEFT JOIN @extschema@.playbooks p ON p.playbook OPERATOR(pg_catalog.=) _explain_channels.playbook;
END;
COMMENT ON FUNCTION @extschema@._explain_channels(text, jsonb) IS
'Internal (prio.explain()): for the events given (prio.explain()''s events: per source, its "latest"), each channel they used -- its label in the session''s prio.language, whether prio.channels has it (known; an unknown one is noted), whether the playbook names it (in_playbook), how many of the events used it and the latest one''s time -- the latest first.  Channels do not change scoring.';
