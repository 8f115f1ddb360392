------------------------------------------------------------------------
-- A tracked activities table's events query, compiled from its checked
-- mapping: what prio.track() stores as EVENTS and EXPLAIN_EVENTS, and what
-- the update to 0.5 compiles again for a table tracked under 0.4
-- (sql/upgrade/0.4--0.5/73_track_casts.sql), so both compile it one way.
-- Its own part, so the update creates it from here too.
------------------------------------------------------------------------

-- The event source: one row per row of the table that prio folds,
-- (customer_id, at, tiebreak, kind, amount).  Ignored: a row whose
-- customer, at or kind is NULL (or at infinite; an amount NaN or infinite
-- is no amount), whose customer is not mapped, whose kind is not in
-- prio.activity_kinds (prio.unmapped_kinds counts them).  One dated after
-- now is a planned touch: the fold keeps it aside
-- (customer_state.next_planned_at) until refresh() folds it.  Events at the
-- same instant are folded in the order of tiebreak, a hash of the kind and
-- the amount: the same order on every path.  A mapping of several events
-- per row gives each row's events through a LATERAL VALUES list (one row of
-- it per event), the same output columns; the table is named once per
-- customer expression (once when the events share the customer).
-- (0.5) With channel, the same query with each event's channel (the
-- mapping's "channel", else NULL) as a sixth column: EXPLAIN_EVENTS, which
-- explain() reads.  Channels do not change scoring: the fold reads EVENTS,
-- without it.
CREATE FUNCTION @extschema@._track_events_sql(source regclass, events jsonb, key_map regclass, eq text,
                                              channel boolean)
RETURNS text
LANGUAGE plpgsql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_exprs jsonb := events OPERATOR(pg_catalog.->) 0;
    v_app text;
BEGIN
    SELECT pg_catalog.format('%s%I.%I', CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'r' THEN 'ONLY ' ELSE '' END,
                             n.nspname, c.relname)
      INTO v_app
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
     WHERE c.oid OPERATOR(pg_catalog.=) source;
    IF pg_catalog.jsonb_array_length(events) OPERATOR(pg_catalog.=) 1 THEN
        RETURN pg_catalog.format($q$SELECT m.customer_id, e.at,
       pg_catalog.hashtextextended(pg_catalog.concat_ws(' ', e.kind, e.amount), 0) AS tiebreak, e.kind, e.amount%9$s
  FROM (SELECT (%1$s) AS k, (%2$s) AS at, (%3$s) AS kind,
               CASE WHEN NOT %4$s OPERATOR(pg_catalog.=) ANY ('{NaN,Infinity,-Infinity}'::numeric[]) THEN %4$s END AS amount%8$s
          FROM %5$s) e
  JOIN %6$s m ON m.key %7$s e.k
 WHERE e.kind IS NOT NULL AND pg_catalog.isfinite(e.at)
   AND EXISTS (SELECT 1 FROM @extschema@.activity_kinds ak WHERE ak.kind OPERATOR(pg_catalog.=) e.kind)$q$,
            v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'sql',
            v_exprs OPERATOR(pg_catalog.->) 'at' OPERATOR(pg_catalog.->>) 'sql',
            v_exprs OPERATOR(pg_catalog.->) 'kind' OPERATOR(pg_catalog.->>) 'sql',
            CASE WHEN v_exprs OPERATOR(pg_catalog.?) 'amount'
                 THEN '(' OPERATOR(pg_catalog.||) (v_exprs OPERATOR(pg_catalog.->) 'amount' OPERATOR(pg_catalog.->>) 'sql') OPERATOR(pg_catalog.||) ')'
                 ELSE 'NULL::numeric' END,
            v_app, key_map, eq,
            CASE WHEN NOT channel THEN ''
                 ELSE pg_catalog.format(', (%s) AS channel',
                                        COALESCE(v_exprs OPERATOR(pg_catalog.->) 'channel' OPERATOR(pg_catalog.->>) 'sql', 'NULL::text')) END,
            CASE WHEN NOT channel THEN '' ELSE ', e.channel' END);
    END IF;
    -- one SELECT per customer expression (one for most mappings), joined on
    -- it as the single mapping is: a refold of a few customers reaches the
    -- table through its index on the column
    RETURN (SELECT pg_catalog.string_agg(pg_catalog.format($q$SELECT m.customer_id, e.at,
       pg_catalog.hashtextextended(pg_catalog.concat_ws(' ', e.kind, e.amount), 0) AS tiebreak, e.kind, e.amount%8$s
  FROM (SELECT (%1$s) AS k, v.at, v.kind,
               CASE WHEN NOT v.amount OPERATOR(pg_catalog.=) ANY ('{NaN,Infinity,-Infinity}'::numeric[]) THEN v.amount END AS amount%6$s
          FROM %2$s CROSS JOIN LATERAL (VALUES %3$s) v(at, kind, amount%7$s)) e
  JOIN %4$s m ON m.key %5$s e.k
 WHERE e.kind IS NOT NULL AND pg_catalog.isfinite(e.at)
   AND EXISTS (SELECT 1 FROM @extschema@.activity_kinds ak WHERE ak.kind OPERATOR(pg_catalog.=) e.kind)$q$,
                       g.customer, v_app, g.vals, key_map, eq,
                       CASE WHEN NOT channel THEN '' ELSE ', v.channel' END,
                       CASE WHEN NOT channel THEN '' ELSE ', channel' END,
                       CASE WHEN NOT channel THEN '' ELSE ', e.channel' END), E'\nUNION ALL\n' ORDER BY g.n)
              FROM (SELECT x OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'sql' AS customer, pg_catalog.min(n) AS n,
                           pg_catalog.string_agg(pg_catalog.format('((%s), (%s), %s%s)',
                                                                   x OPERATOR(pg_catalog.->) 'at' OPERATOR(pg_catalog.->>) 'sql',
                                                                   x OPERATOR(pg_catalog.->) 'kind' OPERATOR(pg_catalog.->>) 'sql',
                                                                   CASE WHEN x OPERATOR(pg_catalog.?) 'amount'
                                                                        THEN '(' OPERATOR(pg_catalog.||) (x OPERATOR(pg_catalog.->) 'amount' OPERATOR(pg_catalog.->>) 'sql') OPERATOR(pg_catalog.||) ')'
                                                                        ELSE 'NULL::numeric' END,
                                                                   CASE WHEN NOT channel THEN ''
                                                                        ELSE pg_catalog.format(', (%s)',
                                                                                 COALESCE(x OPERATOR(pg_catalog.->) 'channel' OPERATOR(pg_catalog.->>) 'sql', 'NULL::text')) END),
                                                 ', ' ORDER BY n) AS vals
                      FROM pg_catalog.jsonb_array_elements(events) WITH ORDINALITY e(x, n)
                     GROUP BY 1) g);
END
$$;
COMMENT ON FUNCTION @extschema@._track_events_sql(regclass, jsonb, regclass, text, boolean) IS
'Internal (prio.track(), the update to 0.5): the events query of a tracked activities table (EVENTS; with channel, EXPLAIN_EVENTS), compiled from its events'' checked mapping expressions (prio._track_mapping() of each event), its key map and the key map''s equality operator.';
REVOKE ALL ON FUNCTION @extschema@._track_events_sql(regclass, jsonb, regclass, text, boolean) FROM PUBLIC;
