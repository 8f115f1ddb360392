------------------------------------------------------------------------
-- The entry points over the event sources: recompute() (rebuild from the
-- sources), track() and untrack() (attach and detach an application's
-- table), and where a tracked table's errors are noted.  Their own part:
-- the update to a new version drops them first and creates them once from
-- here, whatever the version adds to them.
------------------------------------------------------------------------

-- prio.sources.last_error is bookkeeping: writers of a tracked table must
-- never wait for each other on it, nor fail on it.  A row another writer is
-- noting an error in is skipped (SKIP LOCKED); one changed since this
-- transaction's snapshot (REPEATABLE READ) is left as it is; in a
-- SERIALIZABLE transaction nothing is written (two writers both noting an
-- error would be a read/write cycle, failing one of them at COMMIT).  The
-- WARNING is raised in every case.
CREATE FUNCTION @extschema@._track_note_error(source_id integer, message text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_noted text := coalesce(pg_catalog.current_setting('prio.track_errors_noted', true), ',');
BEGIN
    -- (0.5) the sources that noted an error in this transaction, for
    -- prio.recompute(): it clears the last error of a table it read again
    -- without noting one (each source once)
    IF pg_catalog.strpos(v_noted, ',' OPERATOR(pg_catalog.||) _track_note_error.source_id::text
                                      OPERATOR(pg_catalog.||) ',') OPERATOR(pg_catalog.=) 0 THEN
        PERFORM pg_catalog.set_config('prio.track_errors_noted',
                    v_noted OPERATOR(pg_catalog.||) _track_note_error.source_id::text OPERATOR(pg_catalog.||) ',', true);
    END IF;
    IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.=) 'serializable' THEN
        RETURN;
    END IF;
    BEGIN
        UPDATE @extschema@.sources s SET last_error = message, last_error_at = pg_catalog.now()
         WHERE s.source_id OPERATOR(pg_catalog.=) (SELECT l.source_id FROM @extschema@.sources l
                                                   WHERE l.source_id OPERATOR(pg_catalog.=) _track_note_error.source_id
                                                   FOR UPDATE SKIP LOCKED);
    EXCEPTION WHEN serialization_failure THEN
        NULL;
    END;
END
$$;
COMMENT ON FUNCTION @extschema@._track_note_error(integer, text) IS
'Internal: notes the error that kept a change of a tracked table from reaching prio in prio.sources.last_error, unless that would make the writer wait or fail (another writer noting one, a newer version than its snapshot, a SERIALIZABLE transaction); (0.5) and, for prio.recompute(), that the source noted one in this transaction (the setting prio.track_errors_noted).';
REVOKE ALL ON FUNCTION @extschema@._track_note_error(integer, text) FROM PUBLIC;

-- (0.5) recompute()'s rebuild of everyone: counts each customer once
CREATE FUNCTION @extschema@.sweep_rebuild(why text, force boolean, counted bigint[])
RETURNS integer
AS 'MODULE_PATHNAME', 'prio_sweep_rebuild_counted'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.sweep_rebuild(text, boolean, bigint[]) IS
'Internal (C, src/engine/sweep.c): prio.sweep_rebuild(why, force), whose count of customers with stored facts that differed from the refold leaves out the customers counted (prio.recompute() counted them already: their deal facts were fixed).';
REVOKE ALL ON FUNCTION @extschema@.sweep_rebuild(text, boolean, bigint[]) FROM PUBLIC;

-- (0.5) recompute()'s mirroring of a customers table that noted an error
CREATE FUNCTION @extschema@._track_keys_again(source_id integer)
RETURNS void
AS 'MODULE_PATHNAME', 'prio_track_keys_again'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@._track_keys_again(integer) IS
'Internal (C, src/engine/source_tracked.c): writes every mirrored customer of a tracked customers table again from its row (its compiled INSERT over every key of its key map), for prio.recompute() of a table that noted an error.';
REVOKE ALL ON FUNCTION @extschema@._track_keys_again(integer) FROM PUBLIC;

CREATE FUNCTION @extschema@.recompute(customer_id bigint DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_fixed integer;
    v_errors jsonb;
    v_ids bigint[];
    v_facts text[];
    v_dealt bigint[] := '{}';
    v_rebuilt integer;
    v_src record;
    v_again integer[] := '{}';
    v_state text;
    v_msg text;
BEGIN
    IF recompute.customer_id IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM @extschema@.customers c
            WHERE c.customer_id OPERATOR(pg_catalog.=) recompute.customer_id) THEN
        RAISE EXCEPTION 'customer % does not exist', recompute.customer_id
            USING ERRCODE = '23503', HINT = 'Customers are rows of prio.customers.';
    END IF;
    -- (0.5) the deal facts from prio.deals first (everyone: the tracked
    -- deals tables' rows mirrored again), the refold evaluates them
    IF recompute.customer_id IS NULL THEN
        -- (0.5) the errors noted so far of the tracked tables, which this
        -- call reads again (cleared at the end)
        SELECT pg_catalog.jsonb_object_agg(s.source_id, s.last_error_at) INTO v_errors
          FROM @extschema@.sources s
         WHERE s.last_error IS NOT NULL;
        PERFORM pg_catalog.set_config('prio.track_errors_noted', ',', true);
        -- (0.5) a customers table that noted one (a change of some row did
        -- not reach prio) is mirrored again as a whole: every customer
        -- written again from its row, keys new to prio added, those gone
        -- removed, its activities folded.  Only those: it reads and may
        -- write every customer of the table.  Its error is noted again if
        -- it fails again; the other tables go on.  Each is locked in SHARE
        -- mode first, all before anything is written (no deadlock with a
        -- writer waiting on what an earlier one wrote): a writer's change
        -- in flight is committed before the table is read, else its row
        -- read as it was would be written over the writer's mirror.
        FOR v_src IN SELECT s.source_id, s.relid FROM @extschema@.sources s
                      WHERE s.role OPERATOR(pg_catalog.=) 'customers'
                        AND v_errors OPERATOR(pg_catalog.?) s.source_id::text
                        AND s.signature OPERATOR(pg_catalog.=) @extschema@._track_signature(s.relid, s.compiled)
                      ORDER BY s.source_id LOOP
            BEGIN
                EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE MODE', v_src.relid);
                v_again := v_again OPERATOR(pg_catalog.||) v_src.source_id;
            EXCEPTION WHEN insufficient_privilege THEN
                -- (prio's owner may read the table, not lock it): not read
                GET STACKED DIAGNOSTICS v_msg = MESSAGE_TEXT;
                PERFORM @extschema@._track_note_error(v_src.source_id, v_msg);
                RAISE WARNING 'prio: tracked table % could not be mirrored again: %', v_src.relid, v_msg
                    USING DETAIL = 'SQLSTATE 42501; its last error stays (prio.tracked.last_error).',
                          HINT = 'Grant prio''s owner UPDATE on the table, then run SELECT prio.recompute() again.';
            END;
        END LOOP;
        FOR v_src IN SELECT s.source_id, s.relid FROM @extschema@.sources s
                      WHERE s.source_id OPERATOR(pg_catalog.=) ANY (v_again)
                      ORDER BY s.source_id LOOP
            BEGIN
                PERFORM @extschema@._track_keys_again(v_src.source_id);
                PERFORM @extschema@._track_refold_source(v_src.source_id);
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT;
                IF pg_catalog.left(v_state, 2) OPERATOR(pg_catalog.=) ANY ('{40,53,57}'::text[])
                   OR v_state OPERATOR(pg_catalog.=) '55P03' THEN
                    RAISE;
                END IF;
                PERFORM @extschema@._track_note_error(v_src.source_id, v_msg);
                RAISE WARNING 'prio: tracked table % could not be mirrored again: %', v_src.relid, v_msg
                    USING DETAIL = pg_catalog.format('SQLSTATE %s; its last error stays (prio.tracked.last_error).', v_state),
                          HINT = 'Fix the row or the mapping, then run SELECT prio.recompute() again.';
            END;
        END LOOP;
        -- the deal facts of the customers that have any, before the deals
        -- are mirrored again: a customer whose facts changed there (its
        -- mirrors had missed a change) was fixed, and is counted -- the
        -- deals trigger wrote its facts, so _deal_facts() below finds
        -- nothing to fix for it.  (A concurrent writer's change in between
        -- is counted too: the state is not locked before the mirroring,
        -- whose deals trigger locks the customers rows first.)
        IF EXISTS (SELECT 1 FROM @extschema@.sources s WHERE s.role OPERATOR(pg_catalog.=) 'deals') THEN
            SELECT pg_catalog.array_agg(s.customer_id), pg_catalog.array_agg(f.facts) INTO v_ids, v_facts
              FROM @extschema@.customer_state s,
                   LATERAL (SELECT ROW(s.open_deals, s.funnel_stage, s.pipeline, s.last_deal_at, s.deal_closed_at,
                                       s.deal_outcome)::pg_catalog.text AS facts) f
             WHERE s.open_deals OPERATOR(pg_catalog.<>) 0 OR s.funnel_stage IS NOT NULL
                OR s.pipeline OPERATOR(pg_catalog.<>) 0 OR s.last_deal_at IS NOT NULL
                OR s.deal_closed_at IS NOT NULL OR s.deal_outcome IS NOT NULL;
            PERFORM @extschema@._track_deals_load();
            SELECT coalesce(pg_catalog.array_agg(coalesce(a.customer_id, b.customer_id)), '{}') INTO v_dealt
              FROM (SELECT s.customer_id, ROW(s.open_deals, s.funnel_stage, s.pipeline, s.last_deal_at, s.deal_closed_at,
                                              s.deal_outcome)::pg_catalog.text AS facts
                      FROM @extschema@.customer_state s
                     WHERE s.open_deals OPERATOR(pg_catalog.<>) 0 OR s.funnel_stage IS NOT NULL
                        OR s.pipeline OPERATOR(pg_catalog.<>) 0 OR s.last_deal_at IS NOT NULL
                        OR s.deal_closed_at IS NOT NULL OR s.deal_outcome IS NOT NULL) a
              FULL JOIN ROWS FROM (pg_catalog.unnest(v_ids), pg_catalog.unnest(v_facts)) b(customer_id, facts)
                ON b.customer_id OPERATOR(pg_catalog.=) a.customer_id
             WHERE a.facts IS DISTINCT FROM b.facts;
        END IF;
    END IF;
    v_dealt := v_dealt OPERATOR(pg_catalog.||)
               @extschema@._deal_facts(CASE WHEN recompute.customer_id IS NULL THEN NULL
                                            ELSE ARRAY[recompute.customer_id] END);
    -- customers fixed, once each: one whose deal facts and whose folded
    -- facts were both wrong is one customer (the rebuild of everyone
    -- leaves those counted here out of its count)
    v_dealt := ARRAY(SELECT DISTINCT d.id FROM pg_catalog.unnest(v_dealt) d(id) ORDER BY 1);
    IF recompute.customer_id IS NULL THEN
        v_fixed := pg_catalog.cardinality(v_dealt) OPERATOR(pg_catalog.+)
                   @extschema@.sweep_rebuild('recompute', false, v_dealt);
    ELSE
        v_rebuilt := @extschema@.rebuild(ARRAY[recompute.customer_id], 'recompute', false);
        v_fixed := CASE WHEN pg_catalog.cardinality(v_dealt) OPERATOR(pg_catalog.>) 0
                          OR v_rebuilt OPERATOR(pg_catalog.>) 0 THEN 1 ELSE 0 END;
    END IF;
    IF recompute.customer_id IS NULL THEN
        PERFORM @extschema@.rebuild_win_counts();
        -- (0.5) a tracked table read (mirrored) again without an error:
        -- its last error is past.  Not one that noted an
        -- error in this call (prio._track_note_error), nor one whose columns
        -- changed since track() (not read), nor one whose error another
        -- writer noted meanwhile (a newer last_error_at; a row it is noting
        -- one in is skipped, one changed since a REPEATABLE READ snapshot
        -- left); nothing in a SERIALIZABLE transaction, where errors are not
        -- noted either.  Bookkeeping, as noting an error is.
        IF v_errors IS NOT NULL
           AND pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.<>) 'serializable' THEN
            BEGIN
                UPDATE @extschema@.sources s SET last_error = NULL, last_error_at = NULL
                 WHERE s.source_id OPERATOR(pg_catalog.=) ANY (ARRAY(
                           SELECT l.source_id FROM @extschema@.sources l
                            WHERE l.last_error_at OPERATOR(pg_catalog.=)
                                  (v_errors OPERATOR(pg_catalog.->>) l.source_id::pg_catalog.text)::pg_catalog.timestamptz
                              AND pg_catalog.strpos(pg_catalog.current_setting('prio.track_errors_noted'),
                                                    ',' OPERATOR(pg_catalog.||) l.source_id::pg_catalog.text OPERATOR(pg_catalog.||) ',')
                                  OPERATOR(pg_catalog.=) 0
                              AND l.signature OPERATOR(pg_catalog.=) @extschema@._track_signature(l.relid, l.compiled)
                            ORDER BY l.source_id
                            FOR UPDATE SKIP LOCKED));
            EXCEPTION WHEN serialization_failure THEN
                NULL;
            END;
        END IF;
    END IF;
    RETURN v_fixed;
END
$$;
COMMENT ON FUNCTION @extschema@.recompute(bigint) IS
'Rebuilds state from the activities (and, 0.5, the deal facts from prio.deals) for one customer or everyone (NULL) and re-evaluates it now; for everyone it also rebuilds the win-probability counts from the outcomes, (0.5) mirrors again the tracked customers tables that noted an error (each locked in SHARE mode to the end of the transaction), and clears prio.tracked.last_error of the tracked tables it read again without error; returns how many customers'' stored facts differed from the rebuild, (0.5) counting a customer whose deal facts changed when the tracked deals tables were mirrored again, and each customer once however many of its parts differed (0 when live maintenance was right).';
REVOKE ALL ON FUNCTION @extschema@.recompute(bigint) FROM PUBLIC;

CREATE FUNCTION @extschema@.track(source regclass, role text, mapping jsonb)
RETURNS void
LANGUAGE plpgsql
-- It creates the key map in prio's schema, triggers on the table, and
-- writes prio.customers: as prio's owner, once the caller is known to own
-- the table (prio._track_check_owner).
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET row_security = off
-- constants written into the compiled SQL as source_changed() reads them
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
    v_cls record;
    v_k text;
    v_v jsonb;
    v_a text;
    v_c record;
    v_coll record;
    v_events jsonb := '[]';
    v_evexprs jsonb := '[]';
    v_m jsonb;
    v_custs text[];
    v_kvals text;
    v_xsel text;
    v_has text;
    v_exprs jsonb := '{}';
    v_attrs text := '';
    v_key record;
    v_id integer;
    v_map text;
    v_app text;
    v_eq text;
    v_sel text;
    v_set text := '';
    v_rename text;
    v_upd_cmp text;
    v_op text;
    v_ks text;
    v_lock_all text;
    v_stmts text[];
    v_compiled jsonb := '{}';
    v_sql text;
    v_n bigint;
    v_cs record;
    v_view text;
    v_state text;
    v_msg text;
BEGIN
    IF source IS NULL OR role IS NULL OR mapping IS NULL THEN
        RAISE EXCEPTION 'prio.track(): source, role and mapping must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- track() loads the table's rows once its triggers are on it (their lock
    -- waits for every writer): a REPEATABLE READ or SERIALIZABLE snapshot,
    -- taken before, would miss rows committed in between, forever
    IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.<>) 'read committed' THEN
        RAISE EXCEPTION 'prio.track() must run in a READ COMMITTED transaction, not %',
                        pg_catalog.upper(pg_catalog.current_setting('transaction_isolation'))
            USING ERRCODE = '25001',
                  DETAIL = 'Its snapshot would miss rows the application commits before track() locks the table.',
                  HINT = 'Call prio.track() outside a REPEATABLE READ or SERIALIZABLE transaction.';
    END IF;
    IF role OPERATOR(pg_catalog.<>) ALL ('{customers,activities,deals}'::text[]) THEN
        RAISE EXCEPTION 'prio.track(): role must be customers, activities or deals, not "%"', role
            USING ERRCODE = '22023';
    END IF;

    SELECT c.relkind, c.relispartition, c.relpersistence, n.nspname, c.relname,
           (SELECT pc.oid::regclass FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid OPERATOR(pg_catalog.=) i.inhparent
             WHERE i.inhrelid OPERATOR(pg_catalog.=) c.oid LIMIT 1) AS parent
      INTO v_cls
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
     WHERE c.oid OPERATOR(pg_catalog.=) source;
    IF v_cls.relkind OPERATOR(pg_catalog.<>) ALL ('{r,p}'::"char"[]) THEN
        RAISE EXCEPTION '% is %, not a table', source,
              CASE v_cls.relkind WHEN 'v' THEN 'a view' WHEN 'm' THEN 'a materialized view'
                                 WHEN 'f' THEN 'a foreign table' WHEN 'S' THEN 'a sequence'
                                 WHEN 'c' THEN 'a composite type' WHEN 'i' THEN 'an index'
                                 WHEN 'I' THEN 'an index' ELSE 'no table' END
            USING ERRCODE = '42809',
                  HINT = 'prio tracks the table whose rows the application writes (its triggers see every change).';
    END IF;
    IF v_cls.relispartition THEN
        RAISE EXCEPTION '% is a partition of %', source, v_cls.parent
            USING ERRCODE = '42809', HINT = 'Track the partitioned table: prio follows the rows of each of its partitions too.';
    END IF;
    IF v_cls.relpersistence OPERATOR(pg_catalog.=) 't' THEN
        RAISE EXCEPTION '% is a temporary table', source
            USING ERRCODE = '42809', HINT = 'prio tracks permanent (or unlogged) tables.';
    END IF;
    IF v_cls.nspname OPERATOR(pg_catalog.=) '@extschema@' THEN
        RAISE EXCEPTION '% is prio''s own table', source
            USING ERRCODE = '42809', HINT = 'prio.customers and prio.activities are prio''s own tables already; track the application''s tables.';
    END IF;
    PERFORM @extschema@._track_check_owner(source, 'track');
    -- prio's triggers and recompute() read every row of the table as
    -- prio's owner (CURRENT_USER here): it must be allowed to, and no
    -- row-level security policy may hide rows from it (a fold of some of a
    -- customer's activities would be a wrong score, not a smaller one)
    IF NOT (pg_catalog.has_schema_privilege(v_cls.nspname, 'USAGE') AND pg_catalog.has_table_privilege(source, 'SELECT')
            AND pg_catalog.has_table_privilege(source, 'TRIGGER')) THEN
        RAISE EXCEPTION 'prio.track(): prio''s owner % may not read % or create triggers on it', CURRENT_USER, source
            USING ERRCODE = '42501',
                  HINT = pg_catalog.format('GRANT USAGE ON SCHEMA %I TO %I; GRANT SELECT, TRIGGER ON %s TO %I; prio reads the table and keeps its state live with triggers, as its owner.',
                                           v_cls.nspname, CURRENT_USER, source, CURRENT_USER);
    END IF;
    IF pg_catalog.row_security_active(source) THEN
        RAISE EXCEPTION 'prio.track(): row-level security of % applies to prio''s owner %', source, CURRENT_USER
            USING ERRCODE = '42501',
                  DETAIL = 'prio scores a customer from all of its rows; a policy would hide some of them from prio.',
                  HINT = pg_catalog.format('ALTER ROLE %I BYPASSRLS (prio shows rows to its readers through its own owner isolation), or disable row-level security on %s.', CURRENT_USER, source);
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.sources s WHERE s.relid OPERATOR(pg_catalog.=) source) THEN
        RAISE EXCEPTION 'table % is tracked already', source
            USING ERRCODE = '42710', HINT = 'prio.untrack() it first to change its mapping (see prio.tracked).';
    END IF;
    -- (0.5) an opportunities table: its rows mirrored into prio.deals
    IF role OPERATOR(pg_catalog.=) 'deals' THEN
        PERFORM @extschema@._track_deals(source, mapping);
        RETURN;
    END IF;

    -- the mapping, checked and compiled.  An activities mapping may give
    -- several events per row: an array of mappings, or "events" holding one
    -- (the mapping's other keys shared by every event, such as the
    -- customer); it is stored as {..., "events": [...]}.
    IF role OPERATOR(pg_catalog.=) 'activities' AND pg_catalog.jsonb_typeof(mapping) OPERATOR(pg_catalog.=) 'array' THEN
        mapping := pg_catalog.jsonb_build_object('events', mapping);
    END IF;
    IF role OPERATOR(pg_catalog.=) 'activities' AND pg_catalog.jsonb_typeof(mapping) OPERATOR(pg_catalog.=) 'object'
       AND mapping OPERATOR(pg_catalog.?) 'events' THEN
        IF pg_catalog.jsonb_typeof(mapping OPERATOR(pg_catalog.->) 'events') OPERATOR(pg_catalog.<>) 'array'
           OR pg_catalog.jsonb_array_length(mapping OPERATOR(pg_catalog.->) 'events') OPERATOR(pg_catalog.=) 0 THEN
            RAISE EXCEPTION 'prio.track(): mapping key "events" must be a non-empty JSON array of event mappings, not %', mapping OPERATOR(pg_catalog.->) 'events'
                USING ERRCODE = '22023',
                      HINT = 'Such as "events": [{"kind": "''engagement''", "at": "engaged_on"}, {"kind": "outcome", "at": "closed_on", "amount": "value"}].';
        END IF;
        FOR v_n, v_v IN SELECT e.n, e.v FROM pg_catalog.jsonb_array_elements(mapping OPERATOR(pg_catalog.->) 'events') WITH ORDINALITY e(v, n) ORDER BY e.n LOOP
            IF pg_catalog.jsonb_typeof(v_v) OPERATOR(pg_catalog.<>) 'object' THEN
                RAISE EXCEPTION 'prio.track(): event % of the mapping must be a JSON object, not %', v_n, v_v
                    USING ERRCODE = '22023', HINT = 'Each event is a mapping such as {"kind": "type", "at": "happened_at"}.';
            END IF;
            v_v := (mapping OPERATOR(pg_catalog.-) 'events') OPERATOR(pg_catalog.||) v_v;
            v_events := v_events OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(v_v);
            v_evexprs := v_evexprs OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(
                @extschema@._track_mapping(source, role, v_v, pg_catalog.format('event %s', v_n)));
        END LOOP;
        -- one customers table for all of them
        IF (SELECT pg_catalog.count(DISTINCT COALESCE(e OPERATOR(pg_catalog.->>) 'customers', ''))
              FROM pg_catalog.jsonb_array_elements(v_events) e) OPERATOR(pg_catalog.>) 1 THEN
            RAISE EXCEPTION 'prio.track(): the events of the mapping name different customers tables'
                USING ERRCODE = '22023', HINT = 'Give "customers" once, beside "events".';
        END IF;
    ELSE
        v_events := pg_catalog.jsonb_build_array(mapping);
        v_evexprs := pg_catalog.jsonb_build_array(@extschema@._track_mapping(source, role, mapping, NULL));
    END IF;
    -- the first event's keys stand for all where they must agree (the
    -- customer's type, the customers table)
    v_m := v_events OPERATOR(pg_catalog.->) 0;
    v_exprs := v_evexprs OPERATOR(pg_catalog.->) 0;

    IF role OPERATOR(pg_catalog.=) 'activities' THEN
        -- (several events per row: every one's customer is of one type)
        FOR v_n, v_v IN SELECT e.n, e.x FROM pg_catalog.jsonb_array_elements(v_evexprs) WITH ORDINALITY e(x, n)
                         WHERE e.n OPERATOR(pg_catalog.>) 1 ORDER BY e.n LOOP
            IF (v_v OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type') OPERATOR(pg_catalog.<>)
               (v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type') THEN
                RAISE EXCEPTION 'prio.track(): event %: the customer % is of type %, but event 1''s (%) is of type %', v_n,
                      v_events OPERATOR(pg_catalog.->) (v_n::integer OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog.->>) 'customer',
                      v_v OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type',
                      v_m OPERATOR(pg_catalog.->>) 'customer', v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type'
                    USING ERRCODE = '42804', HINT = 'Every event''s customer is a key of the same customers table: cast it to that type.';
            END IF;
        END LOOP;
        -- Its customer is the key of a tracked customers table: the one
        -- named by "customers", else the one whose key is of the same type.
        IF v_m OPERATOR(pg_catalog.?) 'customers' THEN
            SELECT s.source_id, s.relid, s.mapping, s.key_map, s.key_type INTO v_cs FROM @extschema@.sources s
             WHERE s.role OPERATOR(pg_catalog.=) 'customers'
               AND s.relid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(v_m OPERATOR(pg_catalog.->>) 'customers');
            IF NOT FOUND THEN
                RAISE EXCEPTION 'prio.track(): mapping key "customers" (%) is not a table tracked as customers', v_m OPERATOR(pg_catalog.->>) 'customers'
                    USING ERRCODE = '42704', HINT = 'prio.tracked lists the tracked tables; track the customers table first.';
            END IF;
            IF v_cs.key_type OPERATOR(pg_catalog.<>) (v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type')::pg_catalog.regtype THEN
                RAISE EXCEPTION 'prio.track(): the activities'' customer % is of type %, but the key of % is of type %',
                      v_m OPERATOR(pg_catalog.->>) 'customer', v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type',
                      v_m OPERATOR(pg_catalog.->>) 'customers', v_cs.key_type
                    USING ERRCODE = '42804', HINT = 'Cast the customer in the mapping to the key''s type.';
            END IF;
        ELSE
            SELECT pg_catalog.count(*) INTO v_n FROM @extschema@.sources s
             WHERE s.role OPERATOR(pg_catalog.=) 'customers'
               AND s.key_type OPERATOR(pg_catalog.=) (v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type')::pg_catalog.regtype;
            IF v_n OPERATOR(pg_catalog.<>) 1 THEN
                RAISE EXCEPTION 'prio.track(): the activities'' customer % is of type %, and % tracked customers table has a key of that type',
                      v_m OPERATOR(pg_catalog.->>) 'customer', v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type',
                      CASE WHEN v_n OPERATOR(pg_catalog.=) 0 THEN 'no' ELSE 'more than one' END
                    USING ERRCODE = CASE WHEN v_n OPERATOR(pg_catalog.=) 0 THEN '42704' ELSE '22023' END,
                          HINT = CASE WHEN v_n OPERATOR(pg_catalog.=) 0
                                      THEN 'Track the customers table first (prio.track(''...'', ''customers'', ...)); the activities'' customer refers to its key.'
                                      ELSE 'Name it in the mapping: "customers": "schema.table".' END;
            END IF;
            SELECT s.source_id, s.relid, s.mapping, s.key_map, s.key_type INTO v_cs FROM @extschema@.sources s
             WHERE s.role OPERATOR(pg_catalog.=) 'customers'
               AND s.key_type OPERATOR(pg_catalog.=) (v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type')::pg_catalog.regtype;
        END IF;
        -- the activities change those customers' state: the caller must
        -- own the customers table too (not only the activities table)
        PERFORM @extschema@._track_check_owner(v_cs.relid, 'attach activities to');
        -- (prio's triggers lock the customers' rows of the customers table as
        -- prio's owner: _track_lock_sql(), below, refuses with 42501 if it may not)
        -- the key map's equality, as the customers table's was found
        SELECT o.oprnamespace::regnamespace::text, o.oprname INTO v_c
          FROM pg_catalog.pg_index i
          JOIN pg_catalog.pg_opclass oc ON oc.oid OPERATOR(pg_catalog.=) i.indclass[0]
          JOIN pg_catalog.pg_amop ao ON ao.amopfamily OPERATOR(pg_catalog.=) oc.opcfamily
                                    AND ao.amoplefttype OPERATOR(pg_catalog.=) oc.opcintype
                                    AND ao.amoprighttype OPERATOR(pg_catalog.=) oc.opcintype
                                    AND ao.amopstrategy OPERATOR(pg_catalog.=) 3
                                    AND ao.amopmethod OPERATOR(pg_catalog.=) oc.opcmethod
          JOIN pg_catalog.pg_operator o ON o.oid OPERATOR(pg_catalog.=) ao.amopopr
         WHERE i.indrelid OPERATOR(pg_catalog.=) v_cs.key_map AND i.indisprimary;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'key map % has no primary key', v_cs.key_map USING ERRCODE = '55000';
        END IF;
        v_eq := pg_catalog.format('OPERATOR(%I.%s)', v_c.oprnamespace, v_c.oprname);
        -- the customer is compared with that operator by name, as the
        -- customers key is (see below): a customer column of a domain would
        -- pick it among operators anyone may add to its schema
        FOR v_n, v_v IN SELECT e.n, e.x FROM pg_catalog.jsonb_array_elements(v_evexprs) WITH ORDINALITY e(x, n) ORDER BY e.n LOOP
            IF v_c.oprnamespace OPERATOR(pg_catalog.<>) 'pg_catalog'
               AND (SELECT t.typtype FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
                     WHERE a.attrelid OPERATOR(pg_catalog.=) source
                       AND a.attnum OPERATOR(pg_catalog.=) (v_v OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'attnum')::smallint) OPERATOR(pg_catalog.=) 'd' THEN
                RAISE EXCEPTION 'prio.track(): the activities'' customer % is of a domain over %, whose equality is not a built-in operator',
                      v_events OPERATOR(pg_catalog.->) (v_n::integer OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog.->>) 'customer', v_cs.key_type
                    USING ERRCODE = '42804',
                          HINT = pg_catalog.format('Make the customer column of type %s itself.', v_cs.key_type);
            END IF;
            -- ... and under the key's collation: another one decides which
            -- customers a row is (a case-insensitive customer matched 'ACME'
            -- and 'acme', two customers, to one row), or two collations
            -- other than the database's cannot be compared and every write
            -- of the table would fail on prio's side.  (Under the database's
            -- collation the key's applies; under a deterministic one, against
            -- the database's, keys are equal as they are anyway.)
            SELECT (v_v OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'collation')::oid AS cust,
                   a.attcollation AS key, co.collisdeterministic AS det,
                   pg_catalog.format('%I.%I', cn.nspname, kc.collname) AS key_name
              INTO v_coll
              FROM pg_catalog.pg_attribute a
              JOIN pg_catalog.pg_collation kc ON kc.oid OPERATOR(pg_catalog.=) a.attcollation
              JOIN pg_catalog.pg_namespace cn ON cn.oid OPERATOR(pg_catalog.=) kc.collnamespace
              LEFT JOIN pg_catalog.pg_collation co
                ON co.oid OPERATOR(pg_catalog.=) (v_v OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'collation')::oid
             WHERE a.attrelid OPERATOR(pg_catalog.=) v_cs.key_map AND a.attname OPERATOR(pg_catalog.=) 'key';
            IF FOUND AND v_coll.cust OPERATOR(pg_catalog.<>) v_coll.key
               AND v_coll.cust OPERATOR(pg_catalog.<>) 'pg_catalog.default'::pg_catalog.regcollation
               AND (v_coll.key OPERATOR(pg_catalog.<>) 'pg_catalog.default'::pg_catalog.regcollation OR NOT v_coll.det) THEN
                RAISE EXCEPTION 'prio.track(): %the activities'' customer % is of collation %, but the key of % is of collation %',
                      CASE WHEN pg_catalog.jsonb_array_length(v_evexprs) OPERATOR(pg_catalog.>) 1 THEN pg_catalog.format('event %s: ', v_n) ELSE '' END,
                      v_events OPERATOR(pg_catalog.->) (v_n::integer OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog.->>) 'customer',
                      v_coll.cust::pg_catalog.regcollation, v_cs.relid, v_coll.key::pg_catalog.regcollation
                    USING ERRCODE = '42P21',
                          HINT = 'Compare it as the key is: "customer": ' OPERATOR(pg_catalog.||)
                                 pg_catalog.to_jsonb(pg_catalog.format('(%s) COLLATE %s',
                                     v_events OPERATOR(pg_catalog.->) (v_n::integer OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog.->>) 'customer',
                                     v_coll.key_name))::pg_catalog.text OPERATOR(pg_catalog.||) '.';
            END IF;
        END LOOP;
        -- the customer expressions of the events, each once, in event order
        SELECT pg_catalog.array_agg(c.sql ORDER BY c.n) INTO v_custs
          FROM (SELECT x OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'sql' AS sql, pg_catalog.min(n) AS n
                  FROM pg_catalog.jsonb_array_elements(v_evexprs) WITH ORDINALITY e(x, n) GROUP BY 1) c;
        v_app := pg_catalog.format('%s%I.%I', CASE WHEN v_cls.relkind OPERATOR(pg_catalog.=) 'r' THEN 'ONLY ' ELSE '' END,
                                   v_cls.nspname, v_cls.relname);

        -- The event source (EVENTS) and the same with each event's channel
        -- (EXPLAIN_EVENTS, which explain() reads): prio._track_events_sql()
        v_sel := @extschema@._track_events_sql(source, v_evexprs, v_cs.key_map, v_eq, false);
        v_xsel := @extschema@._track_events_sql(source, v_evexprs, v_cs.key_map, v_eq, true);
        -- the kinds prio does not know, and how many rows (events) each has
        IF pg_catalog.jsonb_array_length(v_evexprs) OPERATOR(pg_catalog.=) 1 THEN
            v_rename := pg_catalog.format($q$SELECT e.kind, pg_catalog.count(*) AS n
  FROM (SELECT (%1$s) AS kind FROM %2$s) e
 WHERE NOT EXISTS (SELECT 1 FROM @extschema@.activity_kinds ak WHERE ak.kind OPERATOR(pg_catalog.=) e.kind)
 GROUP BY e.kind$q$, v_exprs OPERATOR(pg_catalog.->) 'kind' OPERATOR(pg_catalog.->>) 'sql', v_app);
        ELSE
            SELECT pg_catalog.string_agg(pg_catalog.format('((%s))', x OPERATOR(pg_catalog.->) 'kind' OPERATOR(pg_catalog.->>) 'sql'), ', ' ORDER BY n)
              INTO v_kvals
              FROM pg_catalog.jsonb_array_elements(v_evexprs) WITH ORDINALITY e(x, n);
            v_rename := pg_catalog.format($q$SELECT e.kind, pg_catalog.count(*) AS n
  FROM (SELECT v.kind FROM %1$s CROSS JOIN LATERAL (VALUES %2$s) v(kind)) e
 WHERE NOT EXISTS (SELECT 1 FROM @extschema@.activity_kinds ak WHERE ak.kind OPERATOR(pg_catalog.=) e.kind)
 GROUP BY e.kind$q$, v_app, v_kvals);
        END IF;
        -- A change refolds the customers it touched from the table (the
        -- rows before and after it); TRUNCATE, every customer of the
        -- customers table.  First it locks those customers' rows of the
        -- customers table, in key order, as the application's UPDATE of one
        -- does (FOR NO KEY UPDATE): prio's own locks (rebuild: prio.customers
        -- rows, then state rows) come after the application's in every
        -- writer, so a transaction writing an activity and then its customer
        -- row does not deadlock with one writing them the other way round.
        FOREACH v_op IN ARRAY '{INSERT,UPDATE,DELETE}'::text[] LOOP
            SELECT pg_catalog.string_agg(
                       CASE v_op WHEN 'INSERT' THEN pg_catalog.format('SELECT (%s) AS k FROM new_rows', c.sql)
                                 WHEN 'DELETE' THEN pg_catalog.format('SELECT (%s) AS k FROM old_rows', c.sql)
                                 ELSE pg_catalog.format('SELECT (%1$s) AS k FROM old_rows UNION SELECT (%1$s) FROM new_rows', c.sql) END,
                       ' UNION ' ORDER BY c.n)
              INTO v_ks FROM pg_catalog.unnest(v_custs) WITH ORDINALITY c(sql, n);
            v_compiled := v_compiled OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(v_op, ARRAY[
                @extschema@._track_lock_sql(v_cs.relid, v_cs.mapping OPERATOR(pg_catalog.->>) 'key', v_eq, v_ks, 'activities'),
                pg_catalog.format(
                $q$SELECT @extschema@.rebuild(ARRAY(SELECT DISTINCT m.customer_id FROM (%1$s) s JOIN %2$s m ON m.key %3$s s.k ORDER BY 1), %4$L, true)$q$,
                v_ks, v_cs.key_map, v_eq,
                CASE v_op WHEN 'INSERT' THEN 'activity' WHEN 'UPDATE' THEN 'activity update' ELSE 'activity delete' END)]);
            IF v_op OPERATOR(pg_catalog.=) 'INSERT' THEN
                -- (the lock alone, for the INSERT path that continues the fold)
                v_compiled := v_compiled OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('INSERT_LOCK',
                    pg_catalog.jsonb_build_array(v_compiled OPERATOR(pg_catalog.->) 'INSERT' OPERATOR(pg_catalog.->) 0));
            END IF;
        END LOOP;
        -- run by the customers table's trigger (INSERT, UPDATE): customers
        -- new whose activities are in the table already, and under a new key
        SELECT c.sql INTO v_k FROM @extschema@._track_compile(v_cs.relid, 'key', v_cs.mapping OPERATOR(pg_catalog.->>) 'key', NULL) c;
        SELECT pg_catalog.string_agg(pg_catalog.format('EXISTS (SELECT 1 FROM %s t WHERE (%s) %s m.key)', v_app, c.sql, v_eq), ' OR ' ORDER BY c.n)
          INTO v_has FROM pg_catalog.unnest(v_custs) WITH ORDINALITY c(sql, n);
        v_compiled := v_compiled OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('ON_CUSTOMERS', pg_catalog.jsonb_build_object(
            'INSERT', ARRAY[pg_catalog.format(
                $q$SELECT @extschema@.rebuild(ARRAY(SELECT m.customer_id FROM (SELECT (%1$s) AS k FROM new_rows) s JOIN %2$s m ON m.key %3$s s.k WHERE %4$s ORDER BY 1), 'customer', true)$q$,
                v_k, v_cs.key_map, v_eq, v_has)],
            -- (under a new key every customer: the rows of its old key are
            -- its no more, whether or not rows have the new one; each row's
            -- old and new key compared, as the key map's rename step pairs
            -- them, so keys shifted or swapped in one statement count too)
            'UPDATE', ARRAY[pg_catalog.format(
                $q$SELECT @extschema@.rebuild(ARRAY(SELECT DISTINCT m.customer_id FROM
  (SELECT nw.k FROM (SELECT (%1$s) AS k, pg_catalog.row_number() OVER () AS n FROM new_rows) nw
     JOIN (SELECT (%1$s) AS k, pg_catalog.row_number() OVER () AS n FROM old_rows) o ON o.n OPERATOR(pg_catalog.=) nw.n
    WHERE nw.k IS NOT NULL AND (o.k IS NULL OR NOT (o.k %3$s nw.k))) s
  JOIN %2$s m ON m.key %3$s s.k ORDER BY 1), 'customer', true)$q$,
                v_k, v_cs.key_map, v_eq)]));
        -- TRUNCATE (and untrack(): LOCK_ALL) refolds every customer of the
        -- customers table: all their rows of it locked first
        v_lock_all := @extschema@._track_lock_sql(v_cs.relid, v_cs.mapping OPERATOR(pg_catalog.->>) 'key', v_eq,
                                                  pg_catalog.format('SELECT m.key AS k FROM %s m', v_cs.key_map), 'activities');
        v_compiled := v_compiled OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(
            'TRUNCATE', ARRAY[v_lock_all, pg_catalog.format($q$SELECT @extschema@.rebuild(ARRAY(SELECT m.customer_id FROM %s m ORDER BY 1), 'activities truncated', true)$q$, v_cs.key_map)],
            'LOCK_ALL', ARRAY[v_lock_all],
            'LOAD', ARRAY[pg_catalog.format($q$SELECT @extschema@.rebuild(ARRAY(SELECT m.customer_id FROM %s m ORDER BY 1), 'track', true)$q$, v_cs.key_map)],
            'EVENTS', v_sel, 'KINDS', v_rename, 'customers', v_cs.source_id, 'customer_map', v_cs.key_map::text,
            'EXPLAIN_EVENTS', v_xsel);
        INSERT INTO @extschema@.sources (reloid, role, mapping, key_type, compiled, signature)
        VALUES (source, role, mapping, v_cs.key_type, v_compiled, @extschema@._track_signature(source, v_compiled))
        RETURNING source_id INTO v_id;
        PERFORM @extschema@._track_triggers(source, v_id);
        FOR v_k IN SELECT c.customer FROM (SELECT e OPERATOR(pg_catalog.->>) 'customer' AS customer, pg_catalog.min(n) AS n
                                             FROM pg_catalog.jsonb_array_elements(v_events) WITH ORDINALITY x(e, n)
                                            WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                                                               WHERE i.indrelid OPERATOR(pg_catalog.=) source AND i.indisvalid AND i.indpred IS NULL
                                                                 AND i.indkey[0] OPERATOR(pg_catalog.=) (v_evexprs OPERATOR(pg_catalog.->) (n::integer OPERATOR(pg_catalog.-) 1)
                                                                                                         OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'attnum')::smallint
                                                                 AND i.indkey[0] OPERATOR(pg_catalog.<>) 0)
                                            GROUP BY 1) c ORDER BY c.n LOOP
            RAISE NOTICE 'prio: % has no index on its customer column %: every change of it reads the table through', source, v_k
                USING HINT = pg_catalog.format('CREATE INDEX ON %s (%s);', source, v_k);
        END LOOP;
        -- the table's rows now, read whole first (every column of every
        -- event, x.*): a row the mapping fails on fails track().  (The refold
        -- below leaves a customer as it was, with a WARNING, when a table
        -- tracked before cannot be read for it, as recompute() does: this
        -- one would be tracked half-done.)
        BEGIN
            EXECUTE pg_catalog.format('SELECT pg_catalog.count(x.*) FROM (%s) x', v_sel) INTO v_n;
        EXCEPTION WHEN data_exception THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT;
            RAISE EXCEPTION 'prio.track(): the mapping fails on a row of %: %', source, v_msg
                USING ERRCODE = v_state,
                      HINT = 'Fix the row, or map it by an expression that does not fail on it (such as CASE WHEN ... THEN ... END): prio tracks a table once it can read all of its rows.';
        END;
        -- its customers folded again with them (their rows of the customers
        -- table locked first)
        EXECUTE v_lock_all;
        FOR v_sql IN SELECT pg_catalog.jsonb_array_elements_text(v_compiled OPERATOR(pg_catalog.->) 'LOAD') LOOP
            EXECUTE v_sql;
        END LOOP;
        RAISE NOTICE 'prio: tracking % as activities: % activities of the customers of %', source, v_n,
              (SELECT s.relid FROM @extschema@.sources s WHERE s.source_id OPERATOR(pg_catalog.=) v_cs.source_id);
        RETURN;
    END IF;

    -- customers: the key is a column with a unique index, so one row of the
    -- table is one customer
    SELECT (v_exprs OPERATOR(pg_catalog.->) 'key' OPERATOR(pg_catalog.->>) 'attnum')::smallint AS attnum,
           (v_exprs OPERATOR(pg_catalog.->) 'key' OPERATOR(pg_catalog.->>) 'type')::pg_catalog.regtype AS type,
           (v_exprs OPERATOR(pg_catalog.->) 'key' OPERATOR(pg_catalog.->>) 'collation')::oid AS collation,
           v_exprs OPERATOR(pg_catalog.->) 'key' OPERATOR(pg_catalog.->>) 'sql' AS sql
      INTO v_key;
    IF v_key.attnum OPERATOR(pg_catalog.<=) 0 THEN
        RAISE EXCEPTION 'prio.track(): the customers key must be a column of %, not an expression (%)', source, mapping OPERATOR(pg_catalog.->>) 'key'
            USING ERRCODE = '22023', HINT = 'Map "key" to the column that identifies a customer (with a unique index).';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                    WHERE i.indrelid OPERATOR(pg_catalog.=) source AND i.indisunique AND i.indimmediate
                      AND i.indisvalid AND i.indnkeyatts OPERATOR(pg_catalog.=) 1
                      AND i.indkey[0] OPERATOR(pg_catalog.=) v_key.attnum
                      AND i.indpred IS NULL AND i.indexprs IS NULL) THEN
        RAISE EXCEPTION 'prio.track(): the customers key % of % has no unique index', v_key.sql, source
            USING ERRCODE = '42P10',
                  HINT = pg_catalog.format('One row per customer: CREATE UNIQUE INDEX ON %s (%s) (or a primary key, not deferrable).', source, v_key.sql);
    END IF;
    -- prio compares keys (the key map, the triggers' SQL) with the equality
    -- of the table's unique index, under the column's collation: the index
    -- is what makes one row one customer.  (A unique index COLLATE "C" on a
    -- case-insensitive column lets "a" and "A" both in: prio, comparing them
    -- as the column does, would take them for one customer.)
    SELECT o.oprnamespace::regnamespace::text AS oprnamespace, o.oprname INTO v_c
      FROM pg_catalog.pg_index i
      JOIN pg_catalog.pg_opclass ic ON ic.oid OPERATOR(pg_catalog.=) i.indclass[0]
      JOIN pg_catalog.pg_am am ON am.oid OPERATOR(pg_catalog.=) ic.opcmethod AND am.amname OPERATOR(pg_catalog.=) 'btree'
      JOIN pg_catalog.pg_amop ao ON ao.amopfamily OPERATOR(pg_catalog.=) ic.opcfamily
                                AND ao.amoplefttype OPERATOR(pg_catalog.=) ic.opcintype
                                AND ao.amoprighttype OPERATOR(pg_catalog.=) ic.opcintype
                                AND ao.amopstrategy OPERATOR(pg_catalog.=) 3
                                AND ao.amopmethod OPERATOR(pg_catalog.=) ic.opcmethod
      JOIN pg_catalog.pg_operator o ON o.oid OPERATOR(pg_catalog.=) ao.amopopr
     WHERE i.indrelid OPERATOR(pg_catalog.=) source AND i.indisunique AND i.indimmediate
       AND i.indisvalid AND i.indnkeyatts OPERATOR(pg_catalog.=) 1
       AND i.indkey[0] OPERATOR(pg_catalog.=) v_key.attnum
       AND i.indpred IS NULL AND i.indexprs IS NULL
       AND i.indcollation[0] OPERATOR(pg_catalog.=) v_key.collation
     ORDER BY ic.opcdefault DESC, i.indisprimary DESC, i.indexrelid
     LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'prio.track(): the unique index on the customers key % of % compares keys under another collation than the column''s', v_key.sql, source
            USING ERRCODE = '42P10',
                  HINT = pg_catalog.format('prio compares keys as the column does (collation %s): CREATE UNIQUE INDEX ON %s (%s).',
                                           COALESCE((SELECT pg_catalog.quote_ident(co.collname) FROM pg_catalog.pg_collation co
                                                      WHERE co.oid OPERATOR(pg_catalog.=) v_key.collation), 'none'),
                                           source, v_key.sql);
    END IF;
    v_eq := pg_catalog.format('OPERATOR(%I.%s)', v_c.oprnamespace, v_c.oprname);
    -- The triggers compare keys with that operator by name, and a domain's
    -- values pick it among the operators of its schema by their types: one
    -- outside pg_catalog could be shadowed by an operator on the domain that
    -- whoever may create in that schema adds, and run as prio's owner.
    IF v_c.oprnamespace OPERATOR(pg_catalog.<>) 'pg_catalog'
       AND (SELECT t.typtype FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
             WHERE a.attrelid OPERATOR(pg_catalog.=) source AND a.attnum OPERATOR(pg_catalog.=) v_key.attnum) OPERATOR(pg_catalog.=) 'd' THEN
        RAISE EXCEPTION 'prio.track(): the customers key % is of a domain over %, whose equality is not a built-in operator', v_key.sql, v_key.type
            USING ERRCODE = '42804',
                  HINT = pg_catalog.format('Make the key column of type %s itself.', v_key.type);
    END IF;

    -- the typed follow-up view's name (prio.followup_<table> unless the
    -- mapping names it, or says false: none), free in prio's schema
    v_view := CASE WHEN NOT mapping OPERATOR(pg_catalog.?) 'view' THEN 'followup_' OPERATOR(pg_catalog.||) v_cls.relname
                   WHEN mapping OPERATOR(pg_catalog.->) 'view' OPERATOR(pg_catalog.<>) 'false'::jsonb
                   THEN mapping OPERATOR(pg_catalog.->>) 'view' END;
    IF pg_catalog.octet_length(v_view) OPERATOR(pg_catalog.>=) 64 THEN
        RAISE EXCEPTION 'prio.track(): the typed follow-up view''s name % is longer than 63 bytes', v_view
            USING ERRCODE = '42622', HINT = 'Name it in the mapping: "view": "followup_..." (or "view": false for none).';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
                  AND c.relname OPERATOR(pg_catalog.=) v_view)
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_type t
                   WHERE t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
                     AND t.typname OPERATOR(pg_catalog.=) v_view) THEN
        RAISE EXCEPTION 'prio.track(): prio.% exists already: it cannot be the typed follow-up view of %', pg_catalog.quote_ident(v_view), source
            USING ERRCODE = '42P07', HINT = 'Name another in the mapping: "view": "followup_..." (or "view": false for none).';
    END IF;

    INSERT INTO @extschema@.sources (reloid, role, mapping, key_type)
    VALUES (source, role, mapping, v_key.type)
    RETURNING source_id INTO v_id;
    v_map := pg_catalog.format('@extschema@.%I', 'keys_' OPERATOR(pg_catalog.||) v_id);
    IF pg_catalog.to_regclass(v_map) IS NOT NULL THEN
        -- key maps are the application's data, not members of the extension:
        -- DROP EXTENSION leaves them
        RAISE EXCEPTION 'prio.track(): % is there already, left by an earlier installation of prio', v_map
            USING ERRCODE = '42P07', HINT = pg_catalog.format('Drop it (DROP TABLE %s) if you do not need it.', v_map);
    END IF;
    v_app := pg_catalog.format('%s%I.%I', CASE WHEN v_cls.relkind OPERATOR(pg_catalog.=) 'r' THEN 'ONLY ' ELSE '' END,
                               v_cls.nspname, v_cls.relname);
    EXECUTE pg_catalog.format(
        'CREATE TABLE %s (key %s%s PRIMARY KEY DEFERRABLE, customer_id bigint NOT NULL UNIQUE REFERENCES @extschema@.customers ON DELETE CASCADE)',
        v_map, pg_catalog.format_type(v_key.type, -1),
        (SELECT pg_catalog.format(' COLLATE %I.%I', cn.nspname, co.collname)
           FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid OPERATOR(pg_catalog.=) co.collnamespace
          WHERE co.oid OPERATOR(pg_catalog.=) v_key.collation));
    EXECUTE pg_catalog.format('COMMENT ON TABLE %s IS %L', v_map,
        pg_catalog.format('prio''s key map of tracked table %s: its key %s to prio''s customer_id (written by prio only).',
                          source, v_key.sql));
    -- Readable by anyone for the customers they can see in prio.customers
    -- (its policy, when owner isolation is on): the typed follow-up view and
    -- prio.explain(source, key) read it as the caller.  prio's own
    -- functions read it as its owner, whom the policy does not restrict.
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', v_map);
    EXECUTE pg_catalog.format($q$CREATE POLICY customers_visible ON %s
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) %s.customer_id))$q$,
        v_map, pg_catalog.quote_ident('keys_' OPERATOR(pg_catalog.||) v_id));
    EXECUTE pg_catalog.format('COMMENT ON POLICY customers_visible ON %s IS %L', v_map,
        'Keys of the customers the user can see (prio.customers'' policy).');
    EXECUTE pg_catalog.format('GRANT SELECT ON %s TO PUBLIC', v_map);

    -- one mapped customer per row, as prio.customers wants it: texts cut
    -- to prio's limits, created_at no later than now (NULL: now when new,
    -- unchanged when not), attributes a JSON object
    v_sel := pg_catalog.format('t.%s AS k', v_key.sql);
    FOR v_k, v_a IN SELECT * FROM (VALUES ('name', 'text'), ('owner', 'text'), ('backup_owner', 'text'),
                                          ('budget', 'boolean'), ('authority', 'boolean'), ('need', 'boolean'),
                                          ('timeline', 'boolean'), ('created_at', 'timestamptz')) x(k, t) LOOP
        v_sel := v_sel OPERATOR(pg_catalog.||) ', ' OPERATOR(pg_catalog.||)
                 CASE WHEN NOT v_exprs OPERATOR(pg_catalog.?) v_k THEN pg_catalog.format('NULL::%s', v_a)
                      WHEN v_k OPERATOR(pg_catalog.=) 'name' THEN pg_catalog.format('pg_catalog.left((%s), 1000)', v_exprs OPERATOR(pg_catalog.->) v_k OPERATOR(pg_catalog.->>) 'sql')
                      WHEN v_a OPERATOR(pg_catalog.=) 'text' THEN pg_catalog.format('pg_catalog.left((%s), 200)', v_exprs OPERATOR(pg_catalog.->) v_k OPERATOR(pg_catalog.->>) 'sql')
                      WHEN v_k OPERATOR(pg_catalog.=) 'created_at' THEN
                          pg_catalog.format('CASE WHEN pg_catalog.isfinite((%1$s)) THEN LEAST((%1$s), pg_catalog.now()) END',
                                            v_exprs OPERATOR(pg_catalog.->) v_k OPERATOR(pg_catalog.->>) 'sql')
                      ELSE pg_catalog.format('(%s)', v_exprs OPERATOR(pg_catalog.->) v_k OPERATOR(pg_catalog.->>) 'sql') END
                 OPERATOR(pg_catalog.||) ' AS ' OPERATOR(pg_catalog.||) v_k;
        IF v_exprs OPERATOR(pg_catalog.?) v_k THEN
            v_set := v_set OPERATOR(pg_catalog.||) CASE WHEN v_set OPERATOR(pg_catalog.=) '' THEN '' ELSE ', ' END
                     OPERATOR(pg_catalog.||)
                     CASE WHEN v_k OPERATOR(pg_catalog.=) 'created_at'
                          THEN 'created_at = COALESCE(a.created_at, c.created_at)'
                          ELSE pg_catalog.format('%1$s = a.%1$s', v_k) END;
        END IF;
    END LOOP;
    SELECT pg_catalog.string_agg(pg_catalog.format('%L, (%s)', pg_catalog.substr(e.key, 12),
                                                   e.value OPERATOR(pg_catalog.->>) 'sql'), ', ' ORDER BY e.key)
      INTO v_attrs
      FROM pg_catalog.jsonb_each(v_exprs) e WHERE e.key OPERATOR(pg_catalog.~~) 'attributes.%';
    v_sel := v_sel OPERATOR(pg_catalog.||) ', ' OPERATOR(pg_catalog.||)
             CASE WHEN v_attrs IS NULL THEN '''{}''::jsonb'
                  ELSE pg_catalog.format('pg_catalog.jsonb_build_object(%s)', v_attrs) END
             OPERATOR(pg_catalog.||) ' AS attributes';
    IF mapping OPERATOR(pg_catalog.?) 'attributes' THEN
        v_set := v_set OPERATOR(pg_catalog.||) CASE WHEN v_set OPERATOR(pg_catalog.=) '' THEN '' ELSE ', ' END
                 OPERATOR(pg_catalog.||) 'attributes = a.attributes';
    END IF;

    -- An UPDATE that changes a row's key keeps its customer (state,
    -- history; the key as text in prio.customers and prio.tier_history
    -- follows).  Row n of old_rows is the old version of row n of new_rows.
    -- Every pair moves at once, so a chain in one statement (b to c, a to
    -- b) keeps each customer with its row: the key map's primary key is
    -- checked at the end of the statement (DEFERRABLE).  A new key mapped
    -- already to a customer that is not moving away (prio missed a change)
    -- is not taken.  A key may change to one equal to it but spelt
    -- otherwise ('ACME' to 'acme' under a case-insensitive collation, 2.00
    -- to 2.0 of a numeric): the same customer, whose key as text (and in
    -- the key map, the typed view) follows too, as a fresh track() has it.
    -- (Not needed where equal keys are identical: a deterministic
    -- collation and a type whose equality is identity.)
    v_rename := pg_catalog.format($q$
WITH o AS (SELECT %1$s AS k, pg_catalog.row_number() OVER () AS n FROM old_rows),
     nw AS (SELECT %1$s AS k, pg_catalog.row_number() OVER () AS n FROM new_rows),
     p AS (SELECT o.k AS old_k, nw.k AS new_k FROM o JOIN nw ON o.n OPERATOR(pg_catalog.=) nw.n
            WHERE o.k IS NOT NULL AND nw.k IS NOT NULL AND (NOT (o.k %2$s nw.k)%4$s)),
     r AS (UPDATE %3$s m SET key = p.new_k FROM p
            WHERE m.key %2$s p.old_k
              AND NOT EXISTS (SELECT 1 FROM %3$s m2 WHERE m2.key %2$s p.new_k
                                 AND NOT EXISTS (SELECT 1 FROM p p2 WHERE p2.old_k %2$s m2.key))
           RETURNING m.customer_id, m.key),
     h AS (UPDATE @extschema@.tier_history h SET customer_key = r.key::pg_catalog.text FROM r
            WHERE h.customer_id OPERATOR(pg_catalog.=) r.customer_id)
UPDATE @extschema@.customers c SET customer_key = r.key::pg_catalog.text FROM r
 WHERE c.customer_id OPERATOR(pg_catalog.=) r.customer_id$q$, v_key.sql, v_eq, v_map,
        CASE WHEN v_key.type OPERATOR(pg_catalog.=) ANY ('{int2,int4,int8,oid,bool,uuid,date,timestamp,timestamptz,text,varchar,bpchar}'::pg_catalog.regtype[])
                  AND (v_key.collation OPERATOR(pg_catalog.=) 0
                       OR (SELECT co.collisdeterministic FROM pg_catalog.pg_collation co
                            WHERE co.oid OPERATOR(pg_catalog.=) v_key.collation))
             THEN ''
             ELSE ' OR (o.k::pg_catalog.text COLLATE pg_catalog."C") OPERATOR(pg_catalog.<>) (nw.k::pg_catalog.text COLLATE pg_catalog."C")' END);
    v_upd_cmp := (SELECT pg_catalog.string_agg(
                    CASE WHEN x.k OPERATOR(pg_catalog.=) 'attributes' AND NOT mapping OPERATOR(pg_catalog.?) 'attributes' THEN 'c.attributes'
                         WHEN x.k OPERATOR(pg_catalog.=) 'attributes' THEN 'a.attributes'
                         WHEN NOT v_exprs OPERATOR(pg_catalog.?) x.k THEN 'c.' OPERATOR(pg_catalog.||) x.k
                         WHEN x.k OPERATOR(pg_catalog.=) 'created_at' THEN 'COALESCE(a.created_at, c.created_at)'
                         ELSE 'a.' OPERATOR(pg_catalog.||) x.k END, ', ' ORDER BY x.n)
                    FROM pg_catalog.unnest('{name,owner,backup_owner,budget,authority,need,timeline,created_at,attributes}'::text[])
                         WITH ORDINALITY x(k, n));
    -- Then each key the statement touched, as the table has it now: gone
    -- (the customer goes, with its state and history), changed, or new.
    -- Every piece of the mapping is formatted in once (never re-scanned).
    FOREACH v_op IN ARRAY '{INSERT,UPDATE,DELETE,LOAD}'::text[] LOOP
        v_ks := CASE v_op
            WHEN 'INSERT' THEN pg_catalog.format('SELECT %s AS k FROM new_rows', v_key.sql)
            WHEN 'DELETE' THEN pg_catalog.format('SELECT %s AS k FROM old_rows', v_key.sql)
            WHEN 'UPDATE' THEN pg_catalog.format('SELECT %1$s AS k FROM old_rows UNION SELECT %1$s FROM new_rows', v_key.sql)
            ELSE pg_catalog.format('SELECT t.%s AS k FROM %s t', v_key.sql, v_app) END;
        v_stmts := '{}';
        IF v_op OPERATOR(pg_catalog.=) 'UPDATE' THEN
            v_stmts := v_stmts OPERATOR(pg_catalog.||) v_rename;
        END IF;
        -- (after an INSERT every key it touched is in the table: nothing goes)
        IF v_op OPERATOR(pg_catalog.=) ANY ('{UPDATE,DELETE}'::text[]) THEN
            v_stmts := v_stmts OPERATOR(pg_catalog.||) pg_catalog.format($q$
WITH s AS (%5$s)
DELETE FROM @extschema@.activities x USING %1$s m
 WHERE x.customer_id OPERATOR(pg_catalog.=) m.customer_id
   AND EXISTS (SELECT 1 FROM s WHERE s.k %2$s m.key)
   AND NOT EXISTS (SELECT 1 FROM %3$s t WHERE t.%4$s %2$s m.key)$q$, v_map, v_eq, v_app, v_key.sql, v_ks);
            v_stmts := v_stmts OPERATOR(pg_catalog.||) pg_catalog.format($q$
WITH s AS (%5$s)
DELETE FROM @extschema@.customers c USING %1$s m
 WHERE c.customer_id OPERATOR(pg_catalog.=) m.customer_id
   AND EXISTS (SELECT 1 FROM s WHERE s.k %2$s m.key)
   AND NOT EXISTS (SELECT 1 FROM %3$s t WHERE t.%4$s %2$s m.key)$q$, v_map, v_eq, v_app, v_key.sql, v_ks);
        END IF;
        IF v_op OPERATOR(pg_catalog.=) ANY ('{INSERT,UPDATE}'::text[]) AND v_set OPERATOR(pg_catalog.<>) '' THEN
            v_stmts := v_stmts OPERATOR(pg_catalog.||) pg_catalog.format($q$
WITH s AS (%8$s),
     a AS (SELECT %1$s FROM %2$s t WHERE EXISTS (SELECT 1 FROM s WHERE s.k %3$s t.%4$s))
UPDATE @extschema@.customers c SET %5$s
  FROM a JOIN %6$s m ON m.key %3$s a.k
 WHERE c.customer_id OPERATOR(pg_catalog.=) m.customer_id
   AND (c.name, c.owner, c.backup_owner, c.budget, c.authority, c.need, c.timeline, c.created_at, c.attributes)
       IS DISTINCT FROM (%7$s)$q$, v_sel, v_app, v_eq, v_key.sql, v_set, v_map, v_upd_cmp, v_ks);
        END IF;
        IF v_op OPERATOR(pg_catalog.<>) 'DELETE' THEN
            v_stmts := v_stmts OPERATOR(pg_catalog.||) pg_catalog.format($q$
WITH s AS (%6$s),
     a AS (SELECT %1$s FROM %2$s t WHERE EXISTS (SELECT 1 FROM s WHERE s.k %3$s t.%4$s)),
     n AS (SELECT a.*, @extschema@._new_customer_id() AS id FROM a
            WHERE NOT EXISTS (SELECT 1 FROM %5$s m WHERE m.key %3$s a.k)),
     c AS (INSERT INTO @extschema@.customers (customer_id, name, owner, backup_owner, budget, authority, need,
                                              timeline, created_at, attributes, source, customer_key)
           SELECT n.id, n.name, n.owner, n.backup_owner, n.budget, n.authority, n.need, n.timeline,
                  COALESCE(n.created_at, pg_catalog.now()), n.attributes, %7$L::pg_catalog.regclass,
                  n.k::pg_catalog.text
             FROM n)
INSERT INTO %5$s (key, customer_id) SELECT n.k, n.id FROM n$q$, v_sel, v_app, v_eq, v_key.sql, v_map, v_ks,
                pg_catalog.format('%I.%I', v_cls.nspname, v_cls.relname));
        END IF;
        v_compiled := v_compiled OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(v_op, v_stmts);
    END LOOP;
    v_compiled := v_compiled OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('TRUNCATE', ARRAY[
        pg_catalog.format('DELETE FROM @extschema@.activities x USING %s m WHERE x.customer_id OPERATOR(pg_catalog.=) m.customer_id', v_map),
        pg_catalog.format('DELETE FROM @extschema@.customers c USING %s m WHERE c.customer_id OPERATOR(pg_catalog.=) m.customer_id', v_map)]);
    IF v_view IS NOT NULL THEN
        v_compiled := v_compiled OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('view', v_view);
    END IF;
    UPDATE @extschema@.sources s SET key_map = v_map::pg_catalog.regclass, compiled = v_compiled,
                                     signature = @extschema@._track_signature(source, v_compiled)
     WHERE s.source_id OPERATOR(pg_catalog.=) v_id;
    PERFORM @extschema@._track_view(v_id);

    PERFORM @extschema@._track_triggers(source, v_id);

    -- the table's rows now, in one pass (a row whose key is NULL is no
    -- customer until it has one); a row the mapping fails on fails track(),
    -- saying so, as for activities
    BEGIN
        FOR v_sql IN SELECT pg_catalog.jsonb_array_elements_text(v_compiled OPERATOR(pg_catalog.->) 'LOAD') LOOP
            EXECUTE v_sql;
        END LOOP;
    EXCEPTION WHEN data_exception THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT;
        RAISE EXCEPTION 'prio.track(): the mapping fails on a row of %: %', source, v_msg
            USING ERRCODE = v_state,
                  HINT = 'Fix the row, or map it by an expression that does not fail on it (such as CASE WHEN ... THEN ... END): prio tracks a table once it can read all of its rows.';
    END;
    EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s', v_map) INTO v_n;
    RAISE NOTICE 'prio: tracking % as customers: % customers', source, v_n;
END
$$;
COMMENT ON FUNCTION @extschema@.track(regclass, text, jsonb) IS
'Attaches prio to an application''s table: role customers (mapping keys key, name, owner, backup_owner, budget, authority, need, timeline, created_at, attributes: {...}, view: the name of its typed follow-up view, default followup_<table>, or false) mirrors its rows into prio.customers and keeps them live; activities (customer, kind, at, amount, note, actor, channel: 0.5, shown with each event by prio.explain() and checked against the customer''s playbook, never scored; external_key, customers: the tracked customers table whose key the customer is, needed when several have a key of its type) folds its rows into those customers'' state without copying them, and keeps it live; several events per row: an array of such mappings, or "events": [...] beside the keys they share; (0.5) deals (key, customer, stage: required; customers, owner, amount, expected_close, created_at, closed_at) mirrors its rows into prio.deals and keeps them live.  Each mapping value is a column name or an SQL expression over the row.  Requires owning the table, or prio''s admin role (grant_admin) with TRIGGER and SELECT on it and no policy of it applying; everything or nothing.';
REVOKE ALL ON FUNCTION @extschema@.track(regclass, text, jsonb) FROM PUBLIC;

CREATE FUNCTION @extschema@.untrack(source regclass)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_src record;
    v_sql text;
    v_trigger name;
    v_rel regclass;
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'prio.untrack(): source must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM @extschema@._track_check_owner(source, 'untrack');
    SELECT s.source_id, s.role, s.key_map, s.compiled, s.signature INTO v_src
      FROM @extschema@.sources s WHERE s.relid OPERATOR(pg_catalog.=) source FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % is not tracked by prio', source
            USING ERRCODE = '42704', HINT = 'prio.tracked lists the tracked tables.';
    END IF;
    FOR v_trigger IN SELECT t.tgname FROM pg_catalog.pg_trigger t
                      WHERE t.tgrelid OPERATOR(pg_catalog.=) source
                        AND t.tgfoid OPERATOR(pg_catalog.=) '@extschema@.source_changed()'::pg_catalog.regprocedure
                      ORDER BY t.tgname LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', v_trigger, source);
    END LOOP;
    -- (0.5) and those prio.track() put on its partitions (also on one
    -- detached since: its triggers name this source_id)
    FOR v_rel IN SELECT DISTINCT t.tgrelid::pg_catalog.regclass FROM pg_catalog.pg_trigger t
                  WHERE t.tgrelid OPERATOR(pg_catalog.<>) source
                    AND t.tgfoid OPERATOR(pg_catalog.=) '@extschema@.source_changed()'::pg_catalog.regprocedure
                    AND t.tgname OPERATOR(pg_catalog.~) ('^prio_' OPERATOR(pg_catalog.||) v_src.source_id::text
                                                         OPERATOR(pg_catalog.||) '_(inserted|updated|deleted|truncated)$')
                  ORDER BY 1 LOOP
        PERFORM @extschema@._track_untrigger(v_rel, v_src.source_id);
    END LOOP;
    IF v_src.role OPERATOR(pg_catalog.=) 'activities' THEN
        -- the table's activities leave its customers' state: refolded without
        -- them, their rows of the customers table locked first (0.5: LOCK_ALL)
        -- while that table is as track() checked it: renamed, moved to
        -- another schema or dropped, the locking SQL names what is gone, and
        -- untrack() must still work, or neither table could be untracked.
        -- (After another change of it, a mapped column renamed, writers of
        -- this table may still be folding: its rows are not locked then,
        -- and prio's state rows are still taken in customer_id order.)
        DELETE FROM @extschema@.sources s WHERE s.source_id OPERATOR(pg_catalog.=) v_src.source_id;
        IF EXISTS (SELECT 1 FROM @extschema@.sources c
                    WHERE c.source_id OPERATOR(pg_catalog.=) (v_src.compiled OPERATOR(pg_catalog.->>) 'customers')::integer
                      AND c.signature OPERATOR(pg_catalog.=) @extschema@._track_signature(c.relid, c.compiled)) THEN
            FOR v_sql IN SELECT pg_catalog.jsonb_array_elements_text(v_src.compiled OPERATOR(pg_catalog.->) 'LOCK_ALL') LOOP
                EXECUTE v_sql;
            END LOOP;
        END IF;
        EXECUTE pg_catalog.format('SELECT @extschema@.rebuild(ARRAY(SELECT m.customer_id FROM %s m ORDER BY 1), %L, true)',
                                  v_src.compiled OPERATOR(pg_catalog.->>) 'customer_map', 'untrack');
        RETURN;
    END IF;
    IF v_src.role OPERATOR(pg_catalog.=) 'deals' THEN
        -- (0.5) its mirrored deals go (prio.deals' trigger refolds their
        -- customers), their customers' rows of the customers table locked
        -- first (the compiled TRUNCATE) while both tables are as track()
        -- checked them: that SQL names them, so with the deals table
        -- renamed, moved or dropped it failed (42P01) and neither table
        -- could be untracked; the deals are found by the table's OID.
        IF v_src.signature OPERATOR(pg_catalog.=) @extschema@._track_signature(source, v_src.compiled)
           AND NOT EXISTS (SELECT 1 FROM @extschema@.sources c
                            WHERE c.source_id OPERATOR(pg_catalog.=) (v_src.compiled OPERATOR(pg_catalog.->>) 'deal_customers')::integer
                              AND c.signature IS DISTINCT FROM @extschema@._track_signature(c.relid, c.compiled)) THEN
            FOR v_sql IN SELECT pg_catalog.jsonb_array_elements_text(v_src.compiled OPERATOR(pg_catalog.->) 'TRUNCATE') LOOP
                EXECUTE v_sql;
            END LOOP;
        END IF;
        DELETE FROM @extschema@.deals d WHERE d.source OPERATOR(pg_catalog.=) untrack.source;
        DELETE FROM @extschema@.sources s WHERE s.source_id OPERATOR(pg_catalog.=) v_src.source_id;
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.sources s
                WHERE s.role OPERATOR(pg_catalog.=) 'activities'
                  AND s.compiled OPERATOR(pg_catalog.->>) 'customers' OPERATOR(pg_catalog.=) v_src.source_id::text) THEN
        RAISE EXCEPTION 'activities of the customers of % are tracked', source
            USING ERRCODE = '2BP01',
                  DETAIL = (SELECT pg_catalog.string_agg(s.relid::text, ', ' ORDER BY s.source_id) FROM @extschema@.sources s
                             WHERE s.role OPERATOR(pg_catalog.=) 'activities'
                               AND s.compiled OPERATOR(pg_catalog.->>) 'customers' OPERATOR(pg_catalog.=) v_src.source_id::text),
                  HINT = 'prio.untrack() the activities table first.';
    END IF;
    -- (0.5) nor while deals tracked against its keys are
    IF EXISTS (SELECT 1 FROM @extschema@.sources s
                WHERE s.role OPERATOR(pg_catalog.=) 'deals'
                  AND s.compiled OPERATOR(pg_catalog.->>) 'deal_customers' OPERATOR(pg_catalog.=) v_src.source_id::text) THEN
        RAISE EXCEPTION 'deals of the customers of % are tracked', source
            USING ERRCODE = '2BP01',
                  DETAIL = (SELECT pg_catalog.string_agg(s.relid::text, ', ' ORDER BY s.source_id) FROM @extschema@.sources s
                             WHERE s.role OPERATOR(pg_catalog.=) 'deals'
                               AND s.compiled OPERATOR(pg_catalog.->>) 'deal_customers' OPERATOR(pg_catalog.=) v_src.source_id::text),
                  HINT = 'prio.untrack() the deals table first.';
    END IF;
    -- its customers go, with their state and history
    FOR v_sql IN SELECT pg_catalog.jsonb_array_elements_text(v_src.compiled OPERATOR(pg_catalog.->) 'TRUNCATE') LOOP
        EXECUTE v_sql;
    END LOOP;
    -- its typed follow-up view, then its key map
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
                  AND c.relname OPERATOR(pg_catalog.=) (v_src.compiled OPERATOR(pg_catalog.->>) 'view')
                  AND c.relkind OPERATOR(pg_catalog.=) 'v') THEN
        EXECUTE pg_catalog.format('DROP VIEW @extschema@.%I', v_src.compiled OPERATOR(pg_catalog.->>) 'view');
    END IF;
    IF v_src.key_map IS NOT NULL THEN
        EXECUTE pg_catalog.format('DROP TABLE %s', v_src.key_map);
    END IF;
    DELETE FROM @extschema@.sources s WHERE s.source_id OPERATOR(pg_catalog.=) v_src.source_id;
END
$$;
COMMENT ON FUNCTION @extschema@.untrack(regclass) IS
'Detaches prio from a tracked table: drops prio''s triggers on it; of a customers table, its typed follow-up view, its key map and its customers (with their state and history; refused while their activities or (0.5) deals are tracked); (0.5) of a deals table, its mirrored deals; of an activities table, its customers are folded again without its rows.  The table itself is left as it was.  Requires owning the table, or prio''s admin role (grant_admin) with TRIGGER and SELECT on it.';
REVOKE ALL ON FUNCTION @extschema@.untrack(regclass) FROM PUBLIC;
