-- 0.4 -> 0.5: the events query of an activities table tracked under 0.4
-- left out the cast its mapping needed ("at" a timestamp or date column, a
-- varchar kind, an integer amount): 0.5 reads the query's columns as
-- timestamptz, text and numeric, so every live write of such a table was a
-- WARNING (42804) and missed prio.  Each such mapping value is compiled
-- again as 0.5's track() compiles it (old: without the type prio reads, as
-- 0.4 deparsed it; new: cast to it) and put in place of the old one, where
-- 0.4's query has it.  A table whose query then gives prio's types keeps
-- it (and its signature, when that held) and loses its last_error; any
-- other is left as it was (untrack() and track() it again).
DO $$
DECLARE
    s record;
    v_ev jsonb;
    v_k text;
    v_old jsonb;
    v_new jsonb;
    v_sql text;
    v_types text;
    v_compiled jsonb;
BEGIN
    FOR s IN SELECT x.source_id, x.relid, x.mapping, x.compiled, x.signature
               FROM @extschema@.sources x
              WHERE x.role OPERATOR(pg_catalog.=) 'activities' AND x.compiled OPERATOR(pg_catalog.?) 'EVENTS'
              ORDER BY x.source_id
    LOOP
        v_sql := s.compiled OPERATOR(pg_catalog.->>) 'EVENTS';
        BEGIN
            FOR v_ev IN
                SELECT CASE WHEN s.mapping OPERATOR(pg_catalog.?) 'events'
                            THEN (s.mapping OPERATOR(pg_catalog.-) 'events') OPERATOR(pg_catalog.||) e.v ELSE s.mapping END
                  FROM pg_catalog.jsonb_array_elements(CASE WHEN s.mapping OPERATOR(pg_catalog.?) 'events'
                                                            THEN s.mapping OPERATOR(pg_catalog.->) 'events'
                                                            ELSE '[null]' END) WITH ORDINALITY e(v, n)
                 ORDER BY e.n
            LOOP
                v_old := '{}';
                v_new := '{}';
                FOR v_k IN SELECT k FROM pg_catalog.unnest('{at,kind,amount}'::text[]) k
                            WHERE v_ev OPERATOR(pg_catalog.?) k LOOP
                    v_old := v_old OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(v_k,
                        (SELECT c.sql FROM @extschema@._track_compile(s.relid, v_k, v_ev OPERATOR(pg_catalog.->>) v_k, NULL) c));
                    v_new := v_new OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(v_k,
                        (SELECT c.sql FROM @extschema@._track_compile(s.relid, v_k, v_ev OPERATOR(pg_catalog.->>) v_k,
                                                                      CASE v_k WHEN 'at' THEN 'timestamptz'
                                                                               WHEN 'kind' THEN 'text'
                                                                               ELSE 'numeric' END::pg_catalog.regtype) c));
                END LOOP;
                IF s.mapping OPERATOR(pg_catalog.?) 'events' THEN
                    -- one event's row of the query's VALUES list
                    v_sql := pg_catalog.replace(v_sql,
                        pg_catalog.format('((%s), (%s), %s)', v_old OPERATOR(pg_catalog.->>) 'at', v_old OPERATOR(pg_catalog.->>) 'kind',
                                          COALESCE('(' OPERATOR(pg_catalog.||) (v_old OPERATOR(pg_catalog.->>) 'amount') OPERATOR(pg_catalog.||) ')', 'NULL::numeric')),
                        pg_catalog.format('((%s), (%s), %s)', v_new OPERATOR(pg_catalog.->>) 'at', v_new OPERATOR(pg_catalog.->>) 'kind',
                                          COALESCE('(' OPERATOR(pg_catalog.||) (v_new OPERATOR(pg_catalog.->>) 'amount') OPERATOR(pg_catalog.||) ')', 'NULL::numeric')));
                ELSE
                    v_sql := pg_catalog.replace(v_sql,
                        pg_catalog.format('(%s) AS at, (%s) AS kind,', v_old OPERATOR(pg_catalog.->>) 'at', v_old OPERATOR(pg_catalog.->>) 'kind'),
                        pg_catalog.format('(%s) AS at, (%s) AS kind,', v_new OPERATOR(pg_catalog.->>) 'at', v_new OPERATOR(pg_catalog.->>) 'kind'));
                    IF v_old OPERATOR(pg_catalog.?) 'amount' THEN
                        v_sql := pg_catalog.replace(pg_catalog.replace(v_sql,
                            pg_catalog.format('NOT (%s) OPERATOR', v_old OPERATOR(pg_catalog.->>) 'amount'),
                            pg_catalog.format('NOT (%s) OPERATOR', v_new OPERATOR(pg_catalog.->>) 'amount')),
                            pg_catalog.format('THEN (%s) END AS amount', v_old OPERATOR(pg_catalog.->>) 'amount'),
                            pg_catalog.format('THEN (%s) END AS amount', v_new OPERATOR(pg_catalog.->>) 'amount'));
                    END IF;
                END IF;
            END LOOP;
            -- the types the query gives now (none of its rows read)
            EXECUTE pg_catalog.format($q$SELECT pg_catalog.concat_ws(',', pg_catalog.pg_typeof(x.customer_id), pg_catalog.pg_typeof(x.at),
                                             pg_catalog.pg_typeof(x.tiebreak), pg_catalog.pg_typeof(x.kind), pg_catalog.pg_typeof(x.amount))
                                        FROM (SELECT) d LEFT JOIN LATERAL (SELECT * FROM (%s) e LIMIT 0) x ON true$q$, v_sql)
               INTO v_types;
        EXCEPTION WHEN OTHERS THEN
            -- (a column dropped or changed since track(): its triggers say so)
            CONTINUE;
        END;
        IF v_sql OPERATOR(pg_catalog.<>) (s.compiled OPERATOR(pg_catalog.->>) 'EVENTS')
           AND v_types OPERATOR(pg_catalog.=) 'bigint,timestamp with time zone,bigint,text,numeric' THEN
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
