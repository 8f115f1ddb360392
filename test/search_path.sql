-- pgTAP: prio must not be hijackable through search_path.
--
-- A schema "evil" shadows, with identical signatures, the functions,
-- aggregates and operators prio uses (now, count(*), min, max, sum, array_agg,
-- string_agg, unnest, cardinality, isfinite, format, concat_ws, lower, length,
-- quote_ident, hashtext, pg_notify, pg_try_advisory_xact_lock, to_char, floor,
-- date_part, round, float8pl, and =, <>, <, >, <=, >= for bigint, integer,
-- text, timestamptz, interval, numeric, double precision, boolean, plus ||,
-- + and - on timestamps, / on numbers), and domains named like the types
-- prio names (text, int8, int4, bool, float8, timestamptz, jsonb) whose CHECK
-- calls a logging function.  Every one of them logs its call into evil.calls
-- and returns a wrong answer.  Temp tables named new_rows and old_rows (the
-- triggers' transition-table names) hold bogus rows as well.
--
-- First, before anything else fires prio's triggers in this session (prio's C
-- trigger prepares its statements once per session): an application role
-- that may only INSERT activities creates a temporary domain pg_temp.text
-- whose CHECK calls a temporary function.  The temporary schema is searched
-- first for type names unless search_path lists it, so a SECURITY DEFINER
-- function whose SQL says ::text without pinning search_path would run that
-- function as prio's owner (a superuser).  The function must never run.
--
-- Two identical customer sets are then driven through the same operations:
-- set N (88001..88006) with a normal search_path, set E (89001..89006) with
-- search_path = evil, pg_catalog, public: INSERTs (multi-row, backfill),
-- a BANT UPDATE, UPDATE and DELETE of activities, then (evil path, global)
-- a new activity kind, a kind replacing a built-in one, a settings change, a
-- segment rename, prio.refresh(), prio.recompute(), prio.explain(), and the
-- followup / tier_summary / conversion_by_tier views.
-- Checks: nothing failed, evil.calls is empty, set E's state and history equal
-- set N's, and the views and explain() read with the evil path equal the same
-- read with a normal path.
-- Runs inside one transaction and rolls back.
BEGIN;
SELECT plan(17);

-- start from an empty engine (inside this transaction) so global counts are ours
DELETE FROM prio.activities;
DELETE FROM prio.customers;
DELETE FROM prio.tier_history;

------------------------------------------------------------------------
-- Phase 0: a temporary domain named text, planted by an application role
------------------------------------------------------------------------
INSERT INTO prio.customers (customer_id, name) VALUES (88999, 'Temp domain victim');
CREATE ROLE rel_sp_app NOLOGIN;
GRANT USAGE ON SCHEMA prio TO rel_sp_app;
GRANT INSERT, SELECT ON prio.activities TO rel_sp_app;
CREATE TEMP TABLE spy_log (who name, what text);
GRANT INSERT ON spy_log TO rel_sp_app;
SET ROLE rel_sp_app;
CREATE FUNCTION pg_temp.spy(v pg_catalog.text) RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO pg_temp.spy_log VALUES (current_user, v); RETURN true; END $$;
CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (pg_temp.spy(VALUE));
CREATE DOMAIN pg_temp.bool AS pg_catalog.bool CHECK (pg_temp.spy(VALUE::pg_catalog.text));
CREATE DOMAIN pg_temp.int8 AS pg_catalog.int8 CHECK (pg_temp.spy(VALUE::pg_catalog.text));
CREATE DOMAIN pg_temp.float8 AS pg_catalog.float8 CHECK (pg_temp.spy(VALUE::pg_catalog.text));
CREATE DOMAIN pg_temp.timestamptz AS pg_catalog.timestamptz CHECK (pg_temp.spy(VALUE::pg_catalog.text));
INSERT INTO prio.activities (customer_id, kind, at) VALUES (88999, 'call', pg_catalog.now() - interval '1 hour');
RESET ROLE;
DROP DOMAIN pg_temp.text, pg_temp.bool, pg_temp.int8, pg_temp.float8, pg_temp.timestamptz;
DROP FUNCTION pg_temp.spy(pg_catalog.text);
SELECT is((SELECT string_agg(DISTINCT who, ', ') FROM spy_log), NULL,
          'a temporary domain''s CHECK never runs inside prio (here it ran as the listed roles)');
DELETE FROM prio.activities WHERE customer_id = 88999;
DELETE FROM prio.customers WHERE customer_id = 88999;
DELETE FROM prio.tier_history WHERE customer_id = 88999;

------------------------------------------------------------------------
-- The evil schema
------------------------------------------------------------------------
CREATE SCHEMA evil;
CREATE TABLE evil.calls (fn text, at timestamptz DEFAULT pg_catalog.clock_timestamp());
-- same-named relations, in case anything unqualified looks for them
CREATE TABLE evil.customers (customer_id bigint);
CREATE TABLE evil.activities (customer_id bigint);
CREATE TABLE evil.settings (id boolean);

DO $do$
DECLARE
    -- name, argument types, result type, wrong answer (an expression of a, b)
    f record;
BEGIN
    FOR f IN SELECT * FROM (VALUES
        ('now', '', 'timestamptz', $$'2000-01-01 00:00:00+00'::timestamptz$$),
        ('lower', 'a text', 'text', $$'EVIL'$$),
        ('length', 'a text', 'integer', $$-1$$),
        ('quote_ident', 'a text', 'text', $$'evil'$$),
        ('hashtext', 'a text', 'integer', $$42$$),
        ('pg_notify', 'a text, b text', 'void', ''),
        ('pg_try_advisory_xact_lock', 'a bigint', 'boolean', $$false$$),
        ('isfinite', 'a timestamptz', 'boolean', $$false$$),
        ('cardinality', 'a anyarray', 'integer', $$4$$),
        ('format', 'a text', 'text', $$'EVIL'$$),
        ('format', 'a text, VARIADIC b anyarray', 'text', $$'EVIL'$$),
        ('concat_ws', 'a text, VARIADIC b anyarray', 'text', $$'EVIL'$$),
        ('to_char', 'a timestamptz, b text', 'text', $$'EVIL'$$),
        ('floor', 'a double precision', 'double precision', $$-1$$),
        ('date_part', 'a text, b timestamptz', 'double precision', $$-1$$),
        ('round', 'a numeric, b integer', 'numeric', $$-1$$),
        ('float8pl', 'a double precision, b double precision', 'double precision', $$-1$$),
        ('jsonb_build_object', 'VARIADIC a text[]', 'jsonb', $$'{"evil": true}'::jsonb$$),
        ('json_build_object', 'VARIADIC a text[]', 'json', $$'{"evil": true}'::json$$)
    ) v(name, args, ret, wrong)
    LOOP
        EXECUTE format($f$CREATE FUNCTION evil.%I(%s) RETURNS %s LANGUAGE plpgsql
                         SET search_path = pg_catalog AS $b$
                         BEGIN INSERT INTO evil.calls (fn) VALUES (%L); RETURN %s; END $b$$f$,
                       f.name, f.args, f.ret, f.name || '(' || f.args || ')', f.wrong);
    END LOOP;
END
$do$;

-- unnest: a set-returning function
CREATE FUNCTION evil.unnest(a anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql
SET search_path = pg_catalog AS $$
BEGIN INSERT INTO evil.calls (fn) VALUES ('unnest'); RETURN; END $$;

-- aggregates: count(*), min, max, sum, array_agg, string_agg
CREATE FUNCTION evil.agg_log(s bigint) RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog AS
$$ BEGIN INSERT INTO evil.calls (fn) VALUES ('count(*)'); RETURN 42; END $$;
CREATE AGGREGATE evil.count(*) (SFUNC = evil.agg_log, STYPE = bigint, INITCOND = '0');
CREATE FUNCTION evil.agg_ts(s timestamptz, v timestamptz) RETURNS timestamptz LANGUAGE plpgsql SET search_path = pg_catalog AS
$$ BEGIN INSERT INTO evil.calls (fn) VALUES ('min/max(timestamptz)'); RETURN '2000-01-01 00:00:00+00'; END $$;
CREATE AGGREGATE evil.min(timestamptz) (SFUNC = evil.agg_ts, STYPE = timestamptz);
CREATE AGGREGATE evil.max(timestamptz) (SFUNC = evil.agg_ts, STYPE = timestamptz);
CREATE FUNCTION evil.agg_num(s numeric, v numeric) RETURNS numeric LANGUAGE plpgsql SET search_path = pg_catalog AS
$$ BEGIN INSERT INTO evil.calls (fn) VALUES ('sum(numeric)'); RETURN -1; END $$;
CREATE AGGREGATE evil.sum(numeric) (SFUNC = evil.agg_num, STYPE = numeric);
CREATE FUNCTION evil.agg_arr(s anyarray, v anynonarray) RETURNS anyarray LANGUAGE plpgsql SET search_path = pg_catalog AS
$$ BEGIN INSERT INTO evil.calls (fn) VALUES ('array_agg'); RETURN s; END $$;
CREATE AGGREGATE evil.array_agg(anynonarray) (SFUNC = evil.agg_arr, STYPE = anyarray, INITCOND = '{}');
CREATE FUNCTION evil.agg_text(s text, v text, d text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
$$ BEGIN INSERT INTO evil.calls (fn) VALUES ('string_agg'); RETURN 'EVIL'; END $$;
CREATE AGGREGATE evil.string_agg(text, text) (SFUNC = evil.agg_text, STYPE = text);

-- operators
DO $do$
DECLARE
    t text;
    op text;
    n integer := 0;
BEGIN
    FOREACH t IN ARRAY ARRAY['bigint', 'integer', 'text', 'timestamp with time zone', 'interval',
                             'numeric', 'double precision', 'boolean']
    LOOP
        FOREACH op IN ARRAY ARRAY['=', '<>', '<', '>', '<=', '>=']
        LOOP
            n := n + 1;
            EXECUTE format($f$CREATE FUNCTION evil.op_%s(a %s, b %s) RETURNS boolean LANGUAGE plpgsql
                             SET search_path = pg_catalog AS $b$
                             BEGIN INSERT INTO evil.calls (fn) VALUES (%L);
                                   RETURN NOT (a OPERATOR(pg_catalog.%s) b); END $b$$f$,
                           n, t, t, t || ' ' || op || ' ' || t, op);
            EXECUTE format('CREATE OPERATOR evil.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = evil.op_%s)',
                           op, t, t, n);
        END LOOP;
    END LOOP;
END
$do$;
CREATE FUNCTION evil.cat(a text, b text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
$$ BEGIN INSERT INTO evil.calls (fn) VALUES ('text || text'); RETURN 'EVIL'; END $$;
CREATE OPERATOR evil.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.cat);
CREATE FUNCTION evil.ts_plus(a timestamptz, b interval) RETURNS timestamptz LANGUAGE plpgsql SET search_path = pg_catalog AS
$$ BEGIN INSERT INTO evil.calls (fn) VALUES ('timestamptz + interval'); RETURN a; END $$;
CREATE OPERATOR evil.+ (LEFTARG = timestamptz, RIGHTARG = interval, FUNCTION = evil.ts_plus);
CREATE FUNCTION evil.ts_minus(a timestamptz, b interval) RETURNS timestamptz LANGUAGE plpgsql SET search_path = pg_catalog AS
$$ BEGIN INSERT INTO evil.calls (fn) VALUES ('timestamptz - interval'); RETURN a; END $$;
CREATE OPERATOR evil.- (LEFTARG = timestamptz, RIGHTARG = interval, FUNCTION = evil.ts_minus);
CREATE FUNCTION evil.ts_diff(a timestamptz, b timestamptz) RETURNS interval LANGUAGE plpgsql SET search_path = pg_catalog AS
$$ BEGIN INSERT INTO evil.calls (fn) VALUES ('timestamptz - timestamptz'); RETURN interval '0'; END $$;
CREATE OPERATOR evil.- (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = evil.ts_diff);
CREATE FUNCTION evil.f8div(a double precision, b double precision) RETURNS double precision LANGUAGE plpgsql SET search_path = pg_catalog AS
$$ BEGIN INSERT INTO evil.calls (fn) VALUES ('float8 / float8'); RETURN 0; END $$;
CREATE OPERATOR evil./ (LEFTARG = double precision, RIGHTARG = double precision, FUNCTION = evil.f8div);
CREATE FUNCTION evil.numdiv(a numeric, b numeric) RETURNS numeric LANGUAGE plpgsql SET search_path = pg_catalog AS
$$ BEGIN INSERT INTO evil.calls (fn) VALUES ('numeric / numeric'); RETURN 0; END $$;
CREATE OPERATOR evil./ (LEFTARG = numeric, RIGHTARG = numeric, FUNCTION = evil.numdiv);

-- domains named like the types prio names in its SQL
CREATE FUNCTION evil.dom(v pg_catalog.text) RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog AS
$$ BEGIN INSERT INTO evil.calls (fn) VALUES ('domain check'); RETURN true; END $$;
CREATE DOMAIN evil.text AS pg_catalog.text CHECK (evil.dom(VALUE));
CREATE DOMAIN evil.int8 AS pg_catalog.int8 CHECK (evil.dom(VALUE::pg_catalog.text));
CREATE DOMAIN evil.int4 AS pg_catalog.int4 CHECK (evil.dom(VALUE::pg_catalog.text));
CREATE DOMAIN evil.bool AS pg_catalog.bool CHECK (evil.dom(VALUE::pg_catalog.text));
CREATE DOMAIN evil.float8 AS pg_catalog.float8 CHECK (evil.dom(VALUE::pg_catalog.text));
CREATE DOMAIN evil.timestamptz AS pg_catalog.timestamptz CHECK (evil.dom(VALUE::pg_catalog.text));
CREATE DOMAIN evil.jsonb AS pg_catalog.jsonb CHECK (evil.dom(VALUE::pg_catalog.text));

-- temp tables named like the triggers' transition tables, holding bogus rows
CREATE TEMP TABLE new_rows AS
SELECT 88001::bigint AS activity_id, 88001::bigint AS customer_id, 'purchase'::text AS kind,
       now() - interval '500 days' AS at, 999999::numeric AS amount, 'bogus'::text AS note;
CREATE TEMP TABLE old_rows AS SELECT * FROM new_rows;

------------------------------------------------------------------------
-- The script: computed with a normal search_path, replayed for N and E
------------------------------------------------------------------------
CREATE TEMP TABLE script_customers AS
SELECT id, name, owner, budget, authority, need, timeline FROM (VALUES
    (1, 'Alpha',   'a', true,  true,  NULL::boolean, NULL::boolean),
    (2, 'Beta',    'a', NULL,  NULL,  true,  true),
    (3, 'Gamma',   'b', true,  NULL,  NULL,  NULL),
    (4, 'Delta',   'b', NULL,  NULL,  NULL,  NULL),
    (5, 'Epsilon', 'a', false, false, false, false),
    (6, 'Zeta',    'b', NULL,  true,  true,  NULL)) v(id, name, owner, budget, authority, need, timeline);
CREATE TEMP TABLE script_activities AS
SELECT step, id, kind, now() - days * interval '1 day' AS at, amount, note FROM (VALUES
    (1, 1, 'inquiry', 40, 0, 'a'), (1, 1, 'purchase', 30, 900, 'b'), (1, 1, 'purchase', 3, 120, 'c'),
    (1, 2, 'demo_request', 5, 0, 'd'), (1, 2, 'proposal', 4, 0, 'e'), (1, 2, 'quote', 2, 0, 'f'),
    (1, 3, 'purchase', 200, 5000, 'g'), (1, 3, 'email', 10, 0, 'h'),
    (1, 4, 'visit', 60, 0, 'i'), (1, 4, 'email_open', 50, 0, 'j'),
    (1, 5, 'inquiry', 20, 0, 'k'), (1, 5, 'rejected', 10, 0, 'l'),
    (1, 6, 'trial_use', 1, 0, 'm'), (1, 6, 'call', 0.5, 0, 'n'),
    (2, 1, 'call', 35, 0, 'backfill'), (2, 4, 'purchase', 55, 75, 'backfill'),
    (3, 3, 'sp_kind', 1, 0, 'new kind'), (3, 4, 'visit', 0.25, 0, 'replaced kind')
) v(step, id, kind, days, amount, note);

-- step 0: customers; 1: activities (one multi-row INSERT); 2: backfill;
-- 4: BANT update, amount update, delete; (3: new kinds, after the global changes)
CREATE FUNCTION pg_temp.ops(base bigint, owner_prefix text) RETURNS text[] LANGUAGE sql AS $$
SELECT ARRAY[
  pg_catalog.format($q$INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline)
                      SELECT id OPERATOR(pg_catalog.+) %s, name, pg_catalog.concat(%L, owner), budget, authority, need, timeline
                        FROM pg_temp.script_customers$q$, base, owner_prefix),
  pg_catalog.format($q$INSERT INTO prio.activities (customer_id, kind, at, amount, note)
                      SELECT id OPERATOR(pg_catalog.+) %s, kind, at, amount, note FROM pg_temp.script_activities
                       WHERE step OPERATOR(pg_catalog.=) 1$q$, base),
  pg_catalog.format($q$INSERT INTO prio.activities (customer_id, kind, at, amount, note)
                      SELECT id OPERATOR(pg_catalog.+) %s, kind, at, amount, note FROM pg_temp.script_activities
                       WHERE step OPERATOR(pg_catalog.=) 2$q$, base),
  pg_catalog.format($q$UPDATE prio.customers SET need = true, timeline = true
                       WHERE customer_id OPERATOR(pg_catalog.=) ANY (ARRAY[%s, %s]::bigint[])$q$, base + 3, base + 4),
  pg_catalog.format($q$UPDATE prio.activities SET amount = 4321
                       WHERE customer_id OPERATOR(pg_catalog.=) %s AND note OPERATOR(pg_catalog.=) 'g'$q$, base + 3),
  pg_catalog.format($q$DELETE FROM prio.activities
                       WHERE customer_id OPERATOR(pg_catalog.=) %s AND note OPERATOR(pg_catalog.=) 'l'$q$, base + 5)
] $$;
CREATE FUNCTION pg_temp.ops3(base bigint) RETURNS text LANGUAGE sql AS $$
SELECT pg_catalog.format($q$INSERT INTO prio.activities (customer_id, kind, at, amount, note)
                           SELECT id OPERATOR(pg_catalog.+) %s, kind, at, amount, note FROM pg_temp.script_activities
                            WHERE step OPERATOR(pg_catalog.=) 3$q$, base) $$;

-- Run one statement with search_path = evil, pg_catalog, public; every operator
-- and function in this wrapper is qualified.  Logs 'ok' or the error in evil_log.
CREATE TEMP TABLE evil_log (n serial, q text, result text);
CREATE FUNCTION pg_temp.evil_run(q text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r text;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'evil, pg_catalog, public', true);
    BEGIN
        EXECUTE q;
        r := 'ok';
    EXCEPTION WHEN OTHERS THEN
        r := pg_catalog.concat(SQLSTATE, ': ', SQLERRM);
    END;
    PERFORM pg_catalog.set_config('search_path', 'public, pg_catalog', true);
    INSERT INTO pg_temp.evil_log (q, result) VALUES (q, r);
END $$;

-- Set N, normal path
DO $$ DECLARE q text; BEGIN FOREACH q IN ARRAY pg_temp.ops(88000, 'n_') LOOP EXECUTE q; END LOOP; END $$;
-- Set E, evil path
SELECT count(pg_temp.evil_run(q)) = 6 AS all_ran FROM unnest(pg_temp.ops(89000, 'e_')) q \gset

-- Global changes, evil path: a new kind, a kind replacing the built-in 'visit'
-- (config_row_guard turns the INSERT into an UPDATE), settings, a segment name
SELECT pg_temp.evil_run($$INSERT INTO prio.activity_kinds (kind, direction, stage, is_purchase, intent_weight)
                          VALUES ('sp_kind', 'inbound', 'engaged', false, 2.5)$$);
SELECT pg_temp.evil_run($$INSERT INTO prio.activity_kinds (kind, direction, stage, is_purchase, intent_weight)
                          VALUES ('visit', 'inbound', 'interested', false, 1.25)$$);
SELECT pg_temp.evil_run($$UPDATE prio.settings SET intent_threshold = 2.5, r_breaks = '{7,30,90,180}'$$);
SELECT pg_temp.evil_run($$UPDATE prio.rfm_segments SET segment = 'Champs' WHERE position OPERATOR(pg_catalog.=) 10$$);
-- step 3 for both sets
DO $$ BEGIN EXECUTE pg_temp.ops3(88000); END $$;
SELECT pg_temp.evil_run(pg_temp.ops3(89000));

-- Engine functions and views, evil path (results kept in temp tables)
CREATE TEMP TABLE results (what text, n integer);
CREATE TEMP TABLE explains (path text, customer_id bigint, e jsonb);
CREATE TEMP TABLE fu_evil AS SELECT * FROM prio.followup WHERE false;
CREATE TEMP TABLE ts_evil AS SELECT * FROM prio.tier_summary WHERE false;
CREATE TEMP TABLE cv_evil AS SELECT * FROM prio.conversion_by_tier WHERE false;
SELECT pg_temp.evil_run($$INSERT INTO pg_temp.results SELECT 'refresh', prio.refresh()$$);
SELECT pg_temp.evil_run($$INSERT INTO pg_temp.results SELECT 'refresh again', prio.refresh()$$);
SELECT pg_temp.evil_run($$INSERT INTO pg_temp.results SELECT 'recompute', prio.recompute()$$);
SELECT pg_temp.evil_run($$INSERT INTO pg_temp.results SELECT 'recompute one', prio.recompute(89001)$$);
SELECT pg_temp.evil_run($$INSERT INTO pg_temp.explains SELECT 'evil', 89001, prio.explain(89001)$$);
SELECT pg_temp.evil_run($$INSERT INTO pg_temp.explains SELECT 'evil', 88001, prio.explain(88001)$$);
SELECT pg_temp.evil_run($$INSERT INTO pg_temp.explains SELECT 'evil', 89002, prio.explain(89002)$$);
SELECT pg_temp.evil_run($$INSERT INTO pg_temp.fu_evil SELECT * FROM prio.followup$$);
SELECT pg_temp.evil_run($$INSERT INTO pg_temp.ts_evil SELECT * FROM prio.tier_summary$$);
SELECT pg_temp.evil_run($$INSERT INTO pg_temp.cv_evil SELECT * FROM prio.conversion_by_tier$$);
SELECT pg_temp.evil_run($$SELECT prio.rfm_segment(5, 5, 5), prio.bant_count(true, NULL, true, NULL),
                                 prio.rfm_score(3, '{1,2,3,4}'), prio.decayed(1, NULL, '1 day', '2020-01-01')$$);

------------------------------------------------------------------------
-- Checks, normal path
------------------------------------------------------------------------
SELECT is((SELECT string_agg(q || ' => ' || result, E'\n') FROM evil_log WHERE result <> 'ok'), NULL,
          'every operation with the evil search_path succeeded');
SELECT is((SELECT count(*) FROM evil_log), 22::bigint, 'all 22 operations ran with the evil search_path');
SELECT is((SELECT string_agg(DISTINCT fn, ', ') FROM evil.calls), NULL, 'no evil function or operator was called');
SELECT is((SELECT count(*) FROM prio.customer_state WHERE customer_id BETWEEN 89001 AND 89006), 6::bigint,
          'set E has its six state rows');

CREATE TEMP VIEW state_cmp AS
SELECT customer_id, first_at, last_at, last_inbound_at, last_outbound_at, last_purchase_at, frequency,
       monetary, intent, intent_at, stage, effective_stage, r_score, f_score, m_score, bant, no_reply,
       value_high, intent_high, tier, priority, next_due_at, rule
  FROM prio.customer_state;
SELECT set_eq($$SELECT customer_id - 89000, first_at, last_at, last_inbound_at, last_outbound_at, last_purchase_at,
                       frequency, monetary, intent, intent_at, stage, effective_stage, r_score, f_score, m_score,
                       bant, no_reply, value_high, intent_high, tier, priority, next_due_at, rule
                  FROM state_cmp WHERE customer_id BETWEEN 89001 AND 89006$$,
              $$SELECT customer_id - 88000, first_at, last_at, last_inbound_at, last_outbound_at, last_purchase_at,
                       frequency, monetary, intent, intent_at, stage, effective_stage, r_score, f_score, m_score,
                       bant, no_reply, value_high, intent_high, tier, priority, next_due_at, rule
                  FROM state_cmp WHERE customer_id BETWEEN 88001 AND 88006$$,
              'state of set E (evil path) equals state of set N (normal path)');
SELECT bag_eq($$SELECT customer_id - 89000, changed_at, old_tier, new_tier, old_stage, new_stage, reason
                  FROM prio.tier_history WHERE customer_id BETWEEN 89001 AND 89006$$,
              $$SELECT customer_id - 88000, changed_at, old_tier, new_tier, old_stage, new_stage, reason
                  FROM prio.tier_history WHERE customer_id BETWEEN 88001 AND 88006$$,
              'tier_history of set E equals that of set N');
SELECT ok((SELECT bool_and(frequency = (SELECT count(*) FROM prio.activities a JOIN prio.activity_kinds k USING (kind)
                                         WHERE a.customer_id = s.customer_id AND k.is_purchase))
             FROM prio.customer_state s WHERE customer_id BETWEEN 88001 AND 89006),
          'the bogus temp table new_rows was not read (frequencies match the activities)');
SELECT is((SELECT n FROM results WHERE what = 'recompute'), 0, 'recompute() with the evil path: live state was right');
SELECT is((SELECT n FROM results WHERE what = 'refresh again'), 0, 'a second refresh() with the evil path changes nothing');
SELECT set_eq($$SELECT * FROM fu_evil$$, $$SELECT * FROM prio.followup$$,
              'prio.followup read with the evil path equals the normal read');
SELECT set_eq($$SELECT * FROM ts_evil$$, $$SELECT * FROM prio.tier_summary$$,
              'prio.tier_summary read with the evil path equals the normal read');
SELECT set_eq($$SELECT * FROM cv_evil$$, $$SELECT * FROM prio.conversion_by_tier$$,
              'prio.conversion_by_tier read with the evil path equals the normal read');
SELECT is((SELECT count(*) FROM explains x WHERE x.e = prio.explain(x.customer_id)), 3::bigint,
          'prio.explain() with the evil path equals the normal call');
SELECT is((SELECT e - 'customer_id' - 'key' - 'name' - 'owner' - 'stored' FROM explains WHERE customer_id = 89001),
          (SELECT e - 'customer_id' - 'key' - 'name' - 'owner' - 'stored' FROM explains WHERE customer_id = 88001),
          'prio.explain() of an E customer equals that of its N twin');

-- Canary: the traps work -- the same calls written unqualified, with the evil
-- path, do reach evil (so the empty evil.calls above means something).
SELECT pg_temp.evil_run($$SELECT now(), 1::bigint = 2::bigint, 'a'::pg_catalog.text || 'b'::pg_catalog.text,
                                 lower('X'), count(*), pg_notify('x', 'y'), now() - interval '1 day', 'x'::text
                            FROM (VALUES (1)) v(x)$$);
SELECT is((SELECT count(*) FROM evil_log WHERE result <> 'ok'), 0::bigint, 'canary ran');
SELECT bag_eq($$SELECT DISTINCT fn FROM evil.calls$$,
              $$VALUES ('now()'), ('bigint = bigint'), ('text || text'), ('lower(a text)'), ('count(*)'),
                       ('pg_notify(a text, b text)'), ('timestamptz - interval'), ('domain check')$$,
              'canary: unqualified calls with the evil path do reach the evil objects');

SELECT * FROM finish();
ROLLBACK;
