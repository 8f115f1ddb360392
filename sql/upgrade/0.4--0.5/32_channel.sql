-- 0.4 -> 0.5, channel (issue 18's "channel" key, issue 19 item 7): the
-- channel of each activity.  prio.activities gets its column; the tracked
-- activities tables' events are read with theirs (prio._track_events(), in
-- sql/install/92_channel.sql, NEW_IN_0_5: dropped here, created there, its
-- privileges given back in 62_channel.sql).  Channels do not change scoring:
-- nobody is folded again for them.
-- (a DBA may have added a column of that name: it is kept, whatever its
-- type, and read as the channel -- a WARNING says so)
DO $$
DECLARE
    v_type text;
BEGIN
    SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) INTO v_type
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) '@extschema@.activities'::pg_catalog.regclass
       AND a.attname OPERATOR(pg_catalog.=) 'channel' AND NOT a.attisdropped;
    IF FOUND THEN
        RAISE WARNING 'prio: prio.activities has a column channel (%) already: prio 0.5 reads it as the channel of each activity', v_type;
    END IF;
END
$$;
ALTER TABLE @extschema@.activities ADD COLUMN IF NOT EXISTS channel text;
COMMENT ON COLUMN @extschema@.activities.channel IS 'The channel it went through: phone, visit, wechat, email, sms, community (prio.channels) or any label of yours; NULL: unknown.  Not checked against prio.channels: prio.explain() shows a channel it does not know as such, and whether the customer''s playbook names it.  Channels do not change scoring.';
COMMENT ON COLUMN @extschema@.sources.compiled IS 'SQL the triggers run, per operation (INSERT, UPDATE, DELETE, TRUNCATE; LOAD: the first load of the table), compiled by prio.track() from the checked mapping; of an activities table also EVENTS (its event source: customer_id, at, tiebreak, kind, amount), KINDS (its unmapped kinds), ON_CUSTOMERS (run by the customers table''s triggers), customers and customer_map (the customers table''s source_id and key map), and (0.5) EXPLAIN_EVENTS (EVENTS with each event''s channel, which prio.explain() reads).';

SELECT pg_catalog.set_config('prio.upgrade_acl_' OPERATOR(pg_catalog.||) p.proname,
                             coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) ANY (ARRAY['@extschema@._track_events(bigint, regclass)'::pg_catalog.regprocedure,
                                                '@extschema@._track_event_sources(regclass)'::pg_catalog.regprocedure]);
DROP FUNCTION @extschema@._track_events(bigint, regclass);
DROP FUNCTION @extschema@._track_event_sources(regclass);

-- A table tracked by 0.4 has no EXPLAIN_EVENTS: explain() shows its events
-- without a channel, even where its mapping names one (0.4 checked the key
-- and left it unused), until it is tracked again.  A WARNING (an extension
-- script shows no NOTICE) names each such table.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT s.relid FROM @extschema@.sources s
              WHERE s.role OPERATOR(pg_catalog.=) 'activities'
                AND (s.mapping OPERATOR(pg_catalog.?) 'channel'
                     OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(
                                    CASE WHEN pg_catalog.jsonb_typeof(s.mapping OPERATOR(pg_catalog.->) 'events') OPERATOR(pg_catalog.=) 'array'
                                         THEN s.mapping OPERATOR(pg_catalog.->) 'events' ELSE '[]'::jsonb END) e
                                 WHERE e OPERATOR(pg_catalog.?) 'channel'))
              ORDER BY s.source_id
    LOOP
        RAISE WARNING 'prio: the "channel" of tracked table % is shown by prio.explain() once it is tracked again', r.relid
            USING HINT = pg_catalog.format('SELECT prio.untrack(%L); then prio.track() it with its mapping (prio.tracked).', r.relid::text);
    END LOOP;
END
$$;
