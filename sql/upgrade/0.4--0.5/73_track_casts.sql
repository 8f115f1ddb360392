-- 0.4 -> 0.5: the events query of an activities table tracked under 0.4
-- left out the cast its mapping needed ("at" a timestamp or date column, a
-- varchar kind, an integer amount): 0.5 reads the query's columns as
-- timestamptz, text and numeric, so every live write of such a table was a
-- WARNING (42804) and missed prio.  Such a table's query is compiled again
-- from its stored mapping as 0.5's track() compiles it
-- (prio._track_events_sql(), over prio._track_mapping() of each event).  A
-- table whose query then gives prio's types takes it (and its signature
-- follows, when it held) and loses its last_error; any other is left as it
-- was (untrack() and track() it again).
DO $$
DECLARE
    s record;
    -- the types an events query gives (none of its rows read)
    v_probe text := $q$SELECT pg_catalog.concat_ws(',', pg_catalog.pg_typeof(x.customer_id), pg_catalog.pg_typeof(x.at),
                               pg_catalog.pg_typeof(x.tiebreak), pg_catalog.pg_typeof(x.kind), pg_catalog.pg_typeof(x.amount))
                        FROM (SELECT) d LEFT JOIN LATERAL (SELECT * FROM (%s) e LIMIT 0) x ON true$q$;
    v_types text;
    v_sql text;
    v_compiled jsonb;
BEGIN
    FOR s IN SELECT x.source_id, x.relid, x.mapping, x.compiled, x.signature, c.relid AS customers
               FROM @extschema@.sources x
               JOIN @extschema@.sources c
                 ON c.source_id OPERATOR(pg_catalog.=) (x.compiled OPERATOR(pg_catalog.->>) 'customers')::integer
              WHERE x.role OPERATOR(pg_catalog.=) 'activities' AND x.compiled OPERATOR(pg_catalog.?) 'EVENTS'
              ORDER BY x.source_id
    LOOP
        BEGIN
            EXECUTE pg_catalog.format(v_probe, s.compiled OPERATOR(pg_catalog.->>) 'EVENTS') INTO v_types;
            CONTINUE WHEN v_types OPERATOR(pg_catalog.=) 'bigint,timestamp with time zone,bigint,text,numeric';
            -- every event of the mapping ({..., "events": [...]}: each with
            -- the keys they share), checked and compiled as track() does
            v_sql := @extschema@._track_events_sql(s.relid,
                (SELECT pg_catalog.jsonb_agg(@extschema@._track_mapping(s.relid, 'activities',
                                                 (s.mapping OPERATOR(pg_catalog.-) 'events') OPERATOR(pg_catalog.||) e.v, NULL) ORDER BY e.n)
                   FROM pg_catalog.jsonb_array_elements(COALESCE(s.mapping OPERATOR(pg_catalog.->) 'events', '[{}]'))
                        WITH ORDINALITY e(v, n)),
                (s.compiled OPERATOR(pg_catalog.->>) 'customer_map')::pg_catalog.regclass,
                (SELECT l.eq FROM @extschema@._track_lookup(s.customers) l), false);
            EXECUTE pg_catalog.format(v_probe, v_sql) INTO v_types;
        EXCEPTION WHEN OTHERS THEN
            -- (a column dropped or changed since track(): its triggers say so)
            CONTINUE;
        END;
        IF v_types OPERATOR(pg_catalog.=) 'bigint,timestamp with time zone,bigint,text,numeric' THEN
            v_compiled := pg_catalog.jsonb_set(s.compiled, '{EVENTS}', pg_catalog.to_jsonb(v_sql));
            UPDATE @extschema@.sources x
               SET compiled = v_compiled,
                   signature = CASE WHEN s.signature OPERATOR(pg_catalog.=) @extschema@._track_signature(s.relid, s.compiled)
                                    THEN @extschema@._track_signature(s.relid, v_compiled) ELSE s.signature END,
                   -- (the writes it missed: the refold of everyone at the end takes them in)
                   last_error = NULL, last_error_at = NULL
             WHERE x.source_id OPERATOR(pg_catalog.=) s.source_id;
        END IF;
    END LOOP;
END
$$;
