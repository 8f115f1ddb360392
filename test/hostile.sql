-- pgTAP: hostile inputs against every function, aggregate, table and setting of prio.
--
-- Each bad input is run through pg_temp.bad(sql, sqlstate, what), which asserts
--   1. throws_ok: the statement fails with exactly that SQLSTATE, and
--   2. nothing was written: a fingerprint (row count and md5 of the contents of
--      every prio table: customers, activities, customer_state, tier_history,
--      settings, activity_kinds, rfm_segments, auto_breaks) is unchanged.
-- The limits at the end (text sizes, far-future times, absurd settings) were
-- missing once and are now enforced; each is run in a subtransaction that is
-- always rolled back, so it cannot leave rows behind.
-- Finally the backend must have survived: pg_backend_pid() and
-- pg_postmaster_start_time() unchanged since the start.
-- Runs inside one transaction and rolls back; its customers are 77001..77003.
BEGIN;
SELECT plan(762);

CREATE TEMP TABLE t0 AS SELECT pg_backend_pid() AS pid, pg_postmaster_start_time() AS started;

-- Baseline data: three customers, activities, a custom kind, a custom segment,
-- customised settings.
UPDATE prio.settings SET r_breaks = '{7,30,90,180}', f_breaks = '{1,2,3,5}',
                         m_breaks = '{100,500,1000,5000}';
INSERT INTO prio.activity_kinds (kind, direction, stage, is_purchase, intent_weight)
VALUES ('hostile_kind', 'inbound', 'engaged', false, 1.5);
INSERT INTO prio.rfm_segments (position, segment, r_min, r_max, f_min, f_max, m_min, m_max)
VALUES (5, 'Hostile', 5, 5, 5, 5, 5, 5);
INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline) VALUES
    (77001, 'Evil Corp', 'mallory', true, true, NULL, NULL),
    (77002, 'Bobby Tables', 'mallory', NULL, false, true, NULL),
    (77003, 'No Activity', 'trudy', NULL, NULL, NULL, NULL);
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (77001, 'inquiry',  now() - interval '20 days', 0),
    (77001, 'purchase', now() - interval '10 days', 1200),
    (77001, 'call',     now() - interval '1 day', 0),
    (77002, 'purchase', now() - interval '100 days', 10),
    (77002, 'hostile_kind', now() - interval '2 days', 0);

-- An application's tables for prio.track(): one tracked already (no rows), a
-- view, a partition, a table another role owns.
SET LOCAL client_min_messages = warning;
CREATE SCHEMA hostile_app;
CREATE TABLE hostile_app.accounts (id uuid PRIMARY KEY, name text, n integer, doc json, email text);
SELECT prio.track('hostile_app.accounts', 'customers', '{"key": "id"}');
CREATE TABLE hostile_app.events (account uuid, kind text, at timestamptz);
SELECT prio.track('hostile_app.events', 'activities', '{"customer": "account", "kind": "kind", "at": "at"}');
CREATE TABLE hostile_app.leads (id bigint PRIMARY KEY, name text, n integer, doc json, email text, at timestamptz);
CREATE UNIQUE INDEX ON hostile_app.leads ((doc::text));
INSERT INTO hostile_app.leads (id, n) VALUES (1, 0);
CREATE VIEW hostile_app.leads_v AS SELECT * FROM hostile_app.leads;
CREATE TABLE hostile_app.parted (id bigint PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE hostile_app.parted_1 PARTITION OF hostile_app.parted FOR VALUES FROM (0) TO (100);
CREATE ROLE prio_hostile_stranger;
GRANT USAGE ON SCHEMA prio, hostile_app TO prio_hostile_stranger;
GRANT EXECUTE ON FUNCTION prio.track(regclass, text, jsonb), prio.untrack(regclass) TO prio_hostile_stranger;
RESET client_min_messages;

-- Fingerprint of everything prio stores.
CREATE FUNCTION pg_temp.fp() RETURNS text LANGUAGE sql AS $$
SELECT string_agg(t || '=' || n || ':' || h, ' ' ORDER BY t) FROM (
    SELECT 'customers' AS t, count(*) AS n, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM prio.customers x
    UNION ALL SELECT 'activities', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM prio.activities x
    UNION ALL SELECT 'customer_state', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM prio.customer_state x
    UNION ALL SELECT 'tier_history', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM prio.tier_history x
    UNION ALL SELECT 'settings', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM prio.settings x
    UNION ALL SELECT 'activity_kinds', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM prio.activity_kinds x
    UNION ALL SELECT 'rfm_segments', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM prio.rfm_segments x
    UNION ALL SELECT 'auto_breaks', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM prio.auto_breaks x
    UNION ALL SELECT 'sources', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM prio.sources x
    UNION ALL SELECT 'source_triggers', count(*), '' FROM pg_trigger WHERE tgfoid = 'prio.source_changed()'::regprocedure
    UNION ALL SELECT 'key_maps', count(*), '' FROM pg_class WHERE relnamespace = 'prio'::regnamespace AND relname ~ '^keys_' AND relkind = 'r'
    UNION ALL SELECT 'typed_views', count(*), '' FROM pg_class WHERE relnamespace = 'prio'::regnamespace AND relname ~ '^followup_' AND relkind = 'v'
) s $$;
CREATE TEMP TABLE base AS SELECT pg_temp.fp() AS fp;

-- throws_ok with the SQLSTATE, then "nothing written"
CREATE FUNCTION pg_temp.bad(q text, code text, what text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEXT throws_ok(q, code::char(5), NULL, what || ' -> ' || code);
    RETURN NEXT is(pg_temp.fp(), (SELECT fp FROM base), what || ': nothing written');
END $$;

-- The SQLSTATE a statement raises ('00000' for none); its effects are always rolled back.
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        EXECUTE q;
        RAISE EXCEPTION 'no error' USING ERRCODE = 'PX000';
    EXCEPTION WHEN OTHERS THEN
        RETURN CASE WHEN SQLSTATE = 'PX000' THEN '00000' ELSE SQLSTATE END;
    END;
END $$;

-- evaluate() argument templates: the stored facts, customer and settings of 77001
CREATE TEMP VIEW ev AS
SELECT prio.stored_facts(st) AS f, c, s
  FROM prio.customer_state st JOIN prio.customers c USING (customer_id) CROSS JOIN prio.settings s
 WHERE st.customer_id = 77001;

------------------------------------------------------------------------
-- Primitives
------------------------------------------------------------------------
-- bant_count: every boolean combination is legal; only type errors remain
SELECT * FROM pg_temp.bad($$SELECT prio.bant_count(1, 2, 3, 4)$$, '42883', 'bant_count: integers');
SELECT * FROM pg_temp.bad($$SELECT prio.bant_count('perhaps', NULL, NULL, NULL)$$, '22P02', 'bant_count: not a boolean');

-- rfm_score
SELECT * FROM pg_temp.bad($$SELECT prio.rfm_score(1, NULL)$$, '22023', 'rfm_score: NULL breaks');
SELECT * FROM pg_temp.bad($$SELECT prio.rfm_score(1, '{}')$$, '22023', 'rfm_score: empty breaks');
SELECT * FROM pg_temp.bad($$SELECT prio.rfm_score(1, '{{1,2},{3,4}}')$$, '22023', 'rfm_score: 2-D breaks');
SELECT * FROM pg_temp.bad($$SELECT prio.rfm_score(1, '{1,NULL,3}')$$, '22023', 'rfm_score: NULL element');
SELECT * FROM pg_temp.bad($$SELECT prio.rfm_score(1, '{1,NaN}')$$, '22023', 'rfm_score: NaN element');
SELECT * FROM pg_temp.bad($$SELECT prio.rfm_score(1, '{3,2,1}')$$, '22023', 'rfm_score: unsorted breaks');
SELECT * FROM pg_temp.bad($$SELECT prio.rfm_score(1, '{Infinity,-Infinity}')$$, '22023', 'rfm_score: infinities out of order');
SELECT * FROM pg_temp.bad($$SELECT prio.rfm_score('NaN', '{1,2}')$$, '22023', 'rfm_score: NaN value');
SELECT * FROM pg_temp.bad($$SELECT prio.rfm_score(1, '{1,2}', NULL)$$, '22004', 'rfm_score: NULL higher_is_better');
SELECT * FROM pg_temp.bad($$SELECT prio.rfm_score(1, '{a,b}')$$, '22P02', 'rfm_score: text breaks');
SELECT * FROM pg_temp.bad($$SELECT prio.rfm_score(1, array_fill(1::float8, ARRAY[3]) || 'NaN'::float8)$$, '22023', 'rfm_score: NaN after ties');

-- rfm aggregate: nothing is an error (NULL at skipped, NULL amount 0); only type errors
SELECT * FROM pg_temp.bad($$SELECT prio.rfm(at, amount::numeric) FROM (VALUES (now(), 'lots'::text)) v(at, amount)$$, '22P02', 'rfm: amount not a number');
SELECT * FROM pg_temp.bad($$SELECT prio.rfm(at::timestamptz, 1) FROM (VALUES ('yesterday-ish'::text)) v(at)$$, '22007', 'rfm: at not a timestamp');
SELECT * FROM pg_temp.bad($$SELECT prio.rfm(at, 1) FROM (VALUES (now()::text)) v(at)$$, '42883', 'rfm: at given as text');

-- intent aggregate
SELECT * FROM pg_temp.bad($$SELECT prio.intent(now(), 1, '0', now())$$, '22023', 'intent: zero half-life');
SELECT * FROM pg_temp.bad($$SELECT prio.intent(now(), 1, '-1 day', now())$$, '22023', 'intent: negative half-life');
SELECT * FROM pg_temp.bad($$SELECT prio.intent(now(), 1, '1 month -30 days', now())$$, '22023', 'intent: half-life summing to zero');
SELECT * FROM pg_temp.bad($$SELECT prio.intent(now(), 1, '-178000000 years', now())$$, '22023', 'intent: hugely negative half-life');
SELECT * FROM pg_temp.bad($$SELECT prio.intent(now(), 1, NULL, now())$$, '22004', 'intent: NULL half-life');
SELECT * FROM pg_temp.bad($$SELECT prio.intent(now(), 1, '1 day', NULL)$$, '22004', 'intent: NULL as_of');
SELECT * FROM pg_temp.bad($$SELECT prio.intent(NULL, NULL, NULL, now())$$, '22004', 'intent: NULL half-life on a skipped row');
SELECT * FROM pg_temp.bad($$SELECT prio.intent(now(), 'NaN', '1 day', now())$$, '22023', 'intent: NaN weight');
SELECT * FROM pg_temp.bad($$SELECT prio.intent(now(), 'Infinity', '1 day', now())$$, '22023', 'intent: +Infinity weight');
SELECT * FROM pg_temp.bad($$SELECT prio.intent(now(), '-Infinity', '1 day', now())$$, '22023', 'intent: -Infinity weight');
SELECT * FROM pg_temp.bad($$SELECT prio.intent(now(), w, '1 day', now()) FROM (VALUES (1e308::float8), (1e308)) v(w)$$, '22003', 'intent: overflow');
SELECT * FROM pg_temp.bad($$SELECT prio.intent(now(), w, '1 day', now()) FROM (VALUES (-1e308::float8), (-1e308)) v(w)$$, '22003', 'intent: negative overflow');

-- rfm_segment
SELECT * FROM pg_temp.bad($$SELECT prio.rfm_segment(0, 1, 1)$$, '22023', 'rfm_segment: r 0');
SELECT * FROM pg_temp.bad($$SELECT prio.rfm_segment(1, 6, 1)$$, '22023', 'rfm_segment: f 6');
SELECT * FROM pg_temp.bad($$SELECT prio.rfm_segment(1, 1, -1)$$, '22023', 'rfm_segment: m -1');
SELECT * FROM pg_temp.bad($$SELECT prio.rfm_segment(2147483647, 1, 1)$$, '22023', 'rfm_segment: INT_MAX');
SELECT * FROM pg_temp.bad($$SELECT prio.rfm_segment(-2147483648, -2147483648, -2147483648)$$, '22023', 'rfm_segment: INT_MIN');

-- next_stage
SELECT * FROM pg_temp.bad($$SELECT prio.next_stage(NULL, 'won', true)$$, '22004', 'next_stage: NULL stage');
SELECT * FROM pg_temp.bad($$SELECT prio.next_stage('silent', NULL, true)$$, '22023', 'next_stage: silent as base stage');
SELECT * FROM pg_temp.bad($$SELECT prio.next_stage('prospect', 'won', NULL)$$, '22004', 'next_stage: NULL inbound');
SELECT * FROM pg_temp.bad($$SELECT prio.next_stage('bogus', 'won', true)$$, '22P02', 'next_stage: unknown stage');

-- effective_stage
SELECT * FROM pg_temp.bad($$SELECT prio.effective_stage(NULL, now(), now(), '1 day', '1 day')$$, '22004', 'effective_stage: NULL base');
SELECT * FROM pg_temp.bad($$SELECT prio.effective_stage('won', now(), NULL, '1 day', '1 day')$$, '22004', 'effective_stage: NULL as_of');
SELECT * FROM pg_temp.bad($$SELECT prio.effective_stage('won', now(), now(), NULL, '1 day')$$, '22004', 'effective_stage: NULL silent_after');
SELECT * FROM pg_temp.bad($$SELECT prio.effective_stage('won', now(), now(), '1 day', NULL)$$, '22004', 'effective_stage: NULL dormant_after');
SELECT * FROM pg_temp.bad($$SELECT prio.effective_stage('won', now(), now(), '0', '1 day')$$, '22023', 'effective_stage: zero silent_after');
SELECT * FROM pg_temp.bad($$SELECT prio.effective_stage('won', now(), now(), '1 day', '-1 day')$$, '22023', 'effective_stage: negative dormant_after');
SELECT * FROM pg_temp.bad($$SELECT prio.effective_stage('prospect', 'infinity', '-infinity', '-1 microsecond', '1 day')$$, '22023', 'effective_stage: infinite times do not skip the interval check');

-- decayed
SELECT * FROM pg_temp.bad($$SELECT prio.decayed(1, now(), NULL, now())$$, '22004', 'decayed: NULL half-life');
SELECT * FROM pg_temp.bad($$SELECT prio.decayed(1, now(), '0', now())$$, '22023', 'decayed: zero half-life');
SELECT * FROM pg_temp.bad($$SELECT prio.decayed(1, now(), '-1 day', now())$$, '22023', 'decayed: negative half-life');
SELECT * FROM pg_temp.bad($$SELECT prio.decayed(1, now(), '1 day', NULL)$$, '22004', 'decayed: NULL as_of');
SELECT * FROM pg_temp.bad($$SELECT prio.decayed(NULL, NULL, '0', NULL)$$, '22004', 'decayed: NULL value does not skip the checks');

-- recency_days (STRICT, no errors): only type errors
SELECT * FROM pg_temp.bad($$SELECT prio.recency_days(now(), 'soon')$$, '22007', 'recency_days: not a timestamp');

-- check_breaks
SELECT * FROM pg_temp.bad($$SELECT prio.check_breaks('{}')$$, '22023', 'check_breaks: empty');
SELECT * FROM pg_temp.bad($$SELECT prio.check_breaks('{2,1}')$$, '22023', 'check_breaks: unsorted');
SELECT * FROM pg_temp.bad($$SELECT prio.check_breaks('{NULL}')$$, '22023', 'check_breaks: NULL element');
SELECT * FROM pg_temp.bad($$SELECT prio.check_breaks('{NaN}')$$, '22023', 'check_breaks: NaN');
SELECT * FROM pg_temp.bad($$SELECT prio.check_breaks('{{1},{2}}')$$, '22023', 'check_breaks: 2-D');

-- fold aggregate (the engine's own)
SELECT * FROM pg_temp.bad($$SELECT prio.fold(NULL, 1, now(), true, NULL, false, 1, 0, NULL)$$, '22004', 'fold: NULL half-life');
SELECT * FROM pg_temp.bad($$SELECT prio.fold(NULL, 1, now(), true, NULL, false, 1, 0, '0')$$, '22023', 'fold: zero half-life');
SELECT * FROM pg_temp.bad($$SELECT prio.fold(NULL, NULL, now(), true, NULL, false, 1, 0, '1 day')$$, '22004', 'fold: no customer');
SELECT * FROM pg_temp.bad($$SELECT prio.fold(NULL, 1, now(), NULL, NULL, false, 1, 0, '1 day')$$, '22004', 'fold: NULL inbound');
SELECT * FROM pg_temp.bad($$SELECT prio.fold(NULL, 1, now(), true, NULL, false, 'NaN', 0, '1 day')$$, '22023', 'fold: NaN weight');
SELECT * FROM pg_temp.bad($$SELECT prio.fold(NULL, 1, now(), true, NULL, false, '-Infinity', 0, '1 day')$$, '22023', 'fold: infinite weight');
SELECT * FROM pg_temp.bad($$SELECT prio.fold(NULL, 1, now(), true, 'bogus', false, 1, 0, '1 day')$$, '22P02', 'fold: unknown stage');

-- evaluate (the engine's own)
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(NULL, c, s, NULL, NULL, NULL, now()) FROM ev$$, '22004', 'evaluate: NULL facts');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, NULL, s, NULL, NULL, NULL, now()) FROM ev$$, '22004', 'evaluate: NULL customer');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, NULL, NULL, NULL, NULL, now()) FROM ev$$, '22004', 'evaluate: NULL settings');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, s, NULL, NULL, NULL, NULL) FROM ev$$, '22004', 'evaluate: NULL as_of');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, s, NULL, NULL, NULL, 'infinity') FROM ev$$, '22023', 'evaluate: as_of +infinity is no time to evaluate at');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, s, NULL, NULL, NULL, '-infinity') FROM ev$$, '22023', 'evaluate: as_of -infinity is no time to evaluate at');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, s, NULL, NULL, NULL, 'infinity', NULL, NULL) FROM ev$$, '22023', 'evaluate (with models): as_of +infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(st, c, 'infinity') FROM prio.customer_state st JOIN prio.customers c USING (customer_id) WHERE customer_id = 77001$$, '22023', 'evaluate(state, customer): as_of +infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(st, c, '-infinity') FROM prio.customer_state st JOIN prio.customers c USING (customer_id) WHERE customer_id = 77001$$, '22023', 'evaluate(state, customer): as_of -infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.sweep_due('infinity')$$, '22023', 'sweep_due: as_of +infinity is refused');
SELECT * FROM pg_temp.bad($$SELECT prio.sweep_due('-infinity')$$, '22023', 'sweep_due: as_of -infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, s, '{}', NULL, NULL, now()) FROM ev$$, '22023', 'evaluate: empty r_breaks');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, s, NULL, '{{1,2},{3,4}}', NULL, now()) FROM ev$$, '22023', 'evaluate: 2-D f_breaks');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, s, NULL, NULL, '{5,4,3,2}', now()) FROM ev$$, '22023', 'evaluate: unsorted m_breaks');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, jsonb_populate_record(c, '{"created_at": null}'), s, NULL, NULL, NULL, now()) FROM ev$$, '22004', 'evaluate: customer without created_at');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, jsonb_populate_record(s, '{"intent_half_life": "0"}'), NULL, NULL, NULL, now()) FROM ev$$, '22023', 'evaluate: settings with zero half-life');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, jsonb_populate_record(s, '{"cadence_b": null}'), NULL, NULL, NULL, now()) FROM ev$$, '22004', 'evaluate: settings with NULL cadence');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, jsonb_populate_record(s, '{"silent_after": "-1 day"}'), NULL, NULL, NULL, now()) FROM ev$$, '22023', 'evaluate: settings with negative silent_after');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, jsonb_populate_record(s, '{"value_score": 9}'), NULL, NULL, NULL, now()) FROM ev$$, '22023', 'evaluate: settings with value_score 9');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, jsonb_populate_record(s, '{"bant_threshold": 0}'), NULL, NULL, NULL, now()) FROM ev$$, '22023', 'evaluate: settings with bant_threshold 0');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, jsonb_populate_record(s, '{"intent_threshold": "NaN"}'), NULL, NULL, NULL, now()) FROM ev$$, '22023', 'evaluate: settings with NaN intent_threshold');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, jsonb_populate_record(s, '{"intent_threshold": -1}'), NULL, NULL, NULL, now()) FROM ev$$, '22023', 'evaluate: settings with negative intent_threshold');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, jsonb_populate_record(s, '{"weight_rfm": -1}'), NULL, NULL, NULL, now()) FROM ev$$, '22023', 'evaluate: settings with a negative weight');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, jsonb_populate_record(s, '{"weight_tier": "Infinity"}'), NULL, NULL, NULL, now()) FROM ev$$, '22023', 'evaluate: settings with an infinite weight');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(f, c, jsonb_populate_record(s, '{"cadence_a": "1000000 years", "cadence_b": "1000000 years", "cadence_c": "1000000 years", "cadence_d": "1000000 years"}'), NULL, NULL, NULL, now()) FROM ev$$, '22008', 'evaluate: due date beyond the timestamp range');

------------------------------------------------------------------------
-- Customer lifetime value: clv_summary, the fits, the scoring functions
------------------------------------------------------------------------
-- clv_summary (aggregate): cut_off and unit checked on every row
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(now(), 1, NULL)$$, '22004', 'clv_summary: NULL cut_off');
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(now(), 1, 'infinity')$$, '22023', 'clv_summary: cut_off +infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(now(), 1, '-infinity')$$, '22023', 'clv_summary: cut_off -infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(now(), 1, now(), NULL)$$, '22004', 'clv_summary: NULL unit');
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(now(), 1, now(), '0')$$, '22023', 'clv_summary: zero unit');
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(now(), 1, now(), '-1 day')$$, '22023', 'clv_summary: negative unit');
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(now(), 1, now(), '1 month -30 days')$$, '22023', 'clv_summary: unit summing to zero');
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary('infinity', 1, now())$$, '22023', 'clv_summary: purchase at +infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary('-infinity', 1, now(), '1 day')$$, '22023', 'clv_summary: purchase at -infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(now(), 'NaN', now())$$, '22023', 'clv_summary: NaN amount');
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(now(), '-Infinity', now())$$, '22023', 'clv_summary: -Infinity amount');
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(now(), 1, 'soon')$$, '22007', 'clv_summary: cut_off not a timestamp');
-- once accepted: an amount beyond double precision said "must be finite, not Infinity"
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(now(), 1e400, now())$$, '22003', 'clv_summary: amount beyond double precision');
-- once accepted: repeat purchases adding up to Infinity gave mean_value Infinity, or NaN
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(at, a, '2024-06-01') FROM (VALUES ('2024-01-01'::timestamptz, 1::numeric), ('2024-02-01', 1e308), ('2024-02-01', 1e308)) v(at, a)$$,
                          '22003', 'clv_summary: repeat purchases summing to Infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(at, a, '2024-06-01') FROM (VALUES ('2024-01-01'::timestamptz, 1::numeric), ('2024-02-01', 1e308), ('2024-02-01', 1e308), ('2024-03-01', -1e308), ('2024-03-01', -1e308)) v(at, a)$$,
                          '22003', 'clv_summary: repeat purchases summing to Infinity - Infinity');
-- once accepted: the first row's cut_off and unit won, silently (the result depended on the row order)
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(at, 1, c) FROM (VALUES ('2024-01-01'::timestamptz, '2024-06-01'::timestamptz), ('2024-02-01', '2024-07-01')) v(at, c)$$,
                          '22023', 'clv_summary: cut_off differs between rows');
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(at, 1, '2024-06-01', u) FROM (VALUES ('2024-01-01'::timestamptz, '1 day'::interval), ('2024-02-01', '1 week')) v(at, u)$$,
                          '22023', 'clv_summary: unit differs between rows');
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(at, 1, c, '1 day') FROM (VALUES (NULL::timestamptz, '2024-06-01'::timestamptz), ('2024-02-01', '2024-06-02')) v(at, c)$$,
                          '22023', 'clv_summary: cut_off differs from a skipped row''s');
SELECT * FROM pg_temp.bad($$SELECT prio.clv_summary(at, 1, c) FROM (VALUES ('2024-01-01'::timestamptz, '2024-06-01'::timestamptz), ('2024-02-01', 'infinity')) v(at, c)$$,
                          '22023', 'clv_summary: a later row''s cut_off +infinity');

-- bgnbd_fit (aggregate)
SELECT * FROM pg_temp.bad($$SELECT prio.bgnbd_fit(1.5, 1, 2)$$, '22023', 'bgnbd_fit: fractional x');
SELECT * FROM pg_temp.bad($$SELECT prio.bgnbd_fit(-1, 0, 2)$$, '22023', 'bgnbd_fit: negative x');
SELECT * FROM pg_temp.bad($$SELECT prio.bgnbd_fit(2, 3, 2)$$, '22023', 'bgnbd_fit: t_x > T');
SELECT * FROM pg_temp.bad($$SELECT prio.bgnbd_fit(2, 'NaN', 3)$$, '22023', 'bgnbd_fit: NaN t_x');
SELECT * FROM pg_temp.bad($$SELECT prio.bgnbd_fit(2, 1, 'Infinity')$$, '22023', 'bgnbd_fit: infinite T');
SELECT * FROM pg_temp.bad($$SELECT prio.bgnbd_fit(0, 1, 2)$$, '22023', 'bgnbd_fit: t_x without a repeat purchase');
SELECT * FROM pg_temp.bad($$SELECT prio.bgnbd_fit(0, 0, -1)$$, '22023', 'bgnbd_fit: negative T');
SELECT * FROM pg_temp.bad($$SELECT prio.bgnbd_fit(x, 1, 2) FROM (VALUES (1), (2), (3)) v(x)$$, '22023', 'bgnbd_fit: three customers');
SELECT * FROM pg_temp.bad($$SELECT prio.bgnbd_fit(0, 0, 5) FROM generate_series(1, 10)$$, '22023', 'bgnbd_fit: nobody bought again');
-- once "did not converge ... fit on more customers": no amount of data helps here (22023 as every failed fit)
SELECT * FROM pg_temp.bad($$SELECT prio.bgnbd_fit(x, t, tt) FROM (VALUES (1e308::float8, 1::float8, 2::float8), (0, 0, 2), (1, 1, 2), (0, 0, 3), (2, 1, 3)) v(x, t, tt)$$,
                          '22023', 'bgnbd_fit: x = 1e308');

-- gammagamma_fit (aggregate)
SELECT * FROM pg_temp.bad($$SELECT prio.gammagamma_fit(x, 10) FROM (VALUES (1), (2)) v(x)$$, '22023', 'gammagamma_fit: two repeat buyers');
SELECT * FROM pg_temp.bad($$SELECT prio.gammagamma_fit(1.5, 10)$$, '22023', 'gammagamma_fit: fractional x');
SELECT * FROM pg_temp.bad($$SELECT prio.gammagamma_fit(1, 'NaN')$$, '22023', 'gammagamma_fit: NaN mean_value');
SELECT * FROM pg_temp.bad($$SELECT prio.gammagamma_fit(x, m) FROM (VALUES (1e308::float8, 1e308::float8), (1, 1), (2, 3), (3, 4)) v(x, m)$$,
                          '22023', 'gammagamma_fit: x and mean_value 1e308');

-- p_alive
SELECT * FROM pg_temp.bad($$SELECT prio.p_alive(NULL, 1, 1, 2)$$, '22004', 'p_alive: NULL parameters');
SELECT * FROM pg_temp.bad($$SELECT prio.p_alive(ROW(0, 1, 1, 1, 0, 1)::prio.bgnbd, 1, 1, 2)$$, '22023', 'p_alive: r = 0');
SELECT * FROM pg_temp.bad($$SELECT prio.p_alive(ROW(1, 'NaN', 1, 1, 0, 1)::prio.bgnbd, 1, 1, 2)$$, '22023', 'p_alive: NaN alpha');
SELECT * FROM pg_temp.bad($$SELECT prio.p_alive(ROW(1, 1, 1, 'Infinity', 0, 1)::prio.bgnbd, 1, 1, 2)$$, '22023', 'p_alive: infinite b');
SELECT * FROM pg_temp.bad($$SELECT prio.p_alive(ROW(1, 1, NULL, 1, 0, 1)::prio.bgnbd, 1, 1, 2)$$, '22023', 'p_alive: NULL a');
SELECT * FROM pg_temp.bad($$SELECT prio.p_alive(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, NULL, 1, 2)$$, '22004', 'p_alive: NULL x');
SELECT * FROM pg_temp.bad($$SELECT prio.p_alive(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, 1, 3, 2)$$, '22023', 'p_alive: t_x > T');
SELECT * FROM pg_temp.bad($$SELECT prio.p_alive(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, 0, 0, -2)$$, '22023', 'p_alive: negative T');

-- expected_purchases (conditional and new customer)
SELECT * FROM pg_temp.bad($$SELECT prio.expected_purchases(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, -1, 1, 1, 2)$$, '22023', 'expected_purchases: negative t');
SELECT * FROM pg_temp.bad($$SELECT prio.expected_purchases(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, 'NaN')$$, '22023', 'expected_purchases: NaN t');
SELECT * FROM pg_temp.bad($$SELECT prio.expected_purchases(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, NULL, 1, 1, 2)$$, '22004', 'expected_purchases: NULL t');
SELECT * FROM pg_temp.bad($$SELECT prio.expected_purchases(NULL, 1)$$, '22004', 'expected_purchases: NULL parameters');
-- once 0: alpha + T + t overflowed, so t / (alpha + T + t) was 0
SELECT * FROM pg_temp.bad($$SELECT prio.expected_purchases(ROW(1, 1e308, 1, 1, 0, 1)::prio.bgnbd, 1e308)$$, '22003', 'expected_purchases: alpha + t beyond double precision');
SELECT * FROM pg_temp.bad($$SELECT prio.expected_purchases(ROW(1, 1e308, 1, 1, 0, 1)::prio.bgnbd, 1e308, 1, 1, 2)$$, '22003', 'expected_purchases: alpha + T + t beyond double precision');
-- once -1.2e85 and -0.04: their 2F1 terms cancel to noise
SELECT * FROM pg_temp.bad($$SELECT prio.expected_purchases(ROW(1e-100, 1.6308944895363173, 0.28988451088357425, 1e100, 0, 1)::prio.bgnbd, 50, 4, 0.7351748543765988, 9.065388532844805)$$,
                          '22023', 'expected_purchases: r = 1e-100, b = 1e100 (digits lost)');
SELECT * FROM pg_temp.bad($$SELECT prio.expected_purchases(ROW(1.6651024925952151, 1e15, 1e15, 0.09113548068357986, 0, 1)::prio.bgnbd, 50)$$,
                          '22023', 'expected_purchases: alpha = a = 1e15 (digits lost)');

-- expected_spend
SELECT * FROM pg_temp.bad($$SELECT prio.expected_spend(NULL, 1, 5)$$, '22004', 'expected_spend: NULL parameters');
SELECT * FROM pg_temp.bad($$SELECT prio.expected_spend(ROW(6, 4, 0, 0, 1)::prio.gammagamma, 1, 5)$$, '22023', 'expected_spend: v = 0');
SELECT * FROM pg_temp.bad($$SELECT prio.expected_spend(ROW(6, 4, 15, 0, 1)::prio.gammagamma, 2, -5)$$, '22023', 'expected_spend: negative mean_value');
SELECT * FROM pg_temp.bad($$SELECT prio.expected_spend(ROW(6, 4, 15, 0, 1)::prio.gammagamma, 1.5, 5)$$, '22023', 'expected_spend: fractional x');
SELECT * FROM pg_temp.bad($$SELECT prio.expected_spend(ROW(1, 0.5, 1, 0, 1)::prio.gammagamma, 0, 0)$$, '22023', 'expected_spend: p x + q <= 1 (infinite)');
-- once "invalid input"
SELECT * FROM pg_temp.bad($$SELECT prio.expected_spend(ROW(6, 4, 15, 0, 1)::prio.gammagamma, 2, 0)$$, '22023', 'expected_spend: repeat purchases worth 0');

-- clv
SELECT * FROM pg_temp.bad($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, NULL, 1, 1, 2, 10, 12, 0.01)$$, '22004', 'clv: NULL gammagamma');
SELECT * FROM pg_temp.bad($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, ROW(6, 4, 15, 0, 1)::prio.gammagamma, 1, 1, 2, 10, NULL, 0.01)$$, '22004', 'clv: NULL horizon');
SELECT * FROM pg_temp.bad($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, ROW(6, 4, 15, 0, 1)::prio.gammagamma, 1, 1, 2, 10, -1, 0.01)$$, '22023', 'clv: negative horizon');
SELECT * FROM pg_temp.bad($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, ROW(6, 4, 15, 0, 1)::prio.gammagamma, 1, 1, 2, 10, 10001, 0.01)$$, '22023', 'clv: horizon 10001');
SELECT * FROM pg_temp.bad($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, ROW(6, 4, 15, 0, 1)::prio.gammagamma, 1, 1, 2, 10, 12, -1)$$, '22023', 'clv: discount_rate -1');
SELECT * FROM pg_temp.bad($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, ROW(6, 4, 15, 0, 1)::prio.gammagamma, 1, 1, 2, 10, 12, 0.01, 0)$$, '22023', 'clv: zero period');
SELECT * FROM pg_temp.bad($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, ROW(6, 4, 15, 0, 1)::prio.gammagamma, 1, 1, 2, 10, 12, 0.01, 'NaN')$$, '22023', 'clv: NaN period');
SELECT * FROM pg_temp.bad($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, ROW(6, 4, 15, 0, 1)::prio.gammagamma, 1, 1, 2, -10, 12, 0.01)$$, '22023', 'clv: negative mean_value');
-- once "prio.clv: invalid input"
SELECT * FROM pg_temp.bad($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, ROW(6, 4, 15, 0, 1)::prio.gammagamma, 1, 1, 2, 0, 12, 0.01)$$, '22023', 'clv: repeat purchases worth 0');
SELECT * FROM pg_temp.bad($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, ROW(6, 4, 15, 0, 1)::prio.gammagamma, 1, 1, 2, 10, 3, 0.01, 1e308)$$, '22003', 'clv: horizon * period beyond double precision');
-- once Infinity
SELECT * FROM pg_temp.bad($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, ROW(6, 4, 15, 0, 1)::prio.gammagamma, 1, 1, 2, 10, 10000, -0.9)$$, '22003', 'clv: discount_rate -0.9 over 10000 periods');
SELECT * FROM pg_temp.bad($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, ROW(6, 4, 15, 0, 1)::prio.gammagamma, 2, 1, 2, 1.7e308, 120, 0)$$, '22003', 'clv: mean_value 1.7e308');
-- the messages name the cause (they once said "invalid input", "not a finite number, not Infinity", "did not converge")
SELECT throws_like($$SELECT prio.clv_summary(now(), 1e400, now())$$, '%amount is out of range for type double precision%', 'clv_summary: the message for an amount beyond double precision');
SELECT throws_like($$SELECT prio.bgnbd_fit(x, t, tt) FROM (VALUES (1e308::float8, 1::float8, 2::float8), (0, 0, 2), (1, 1, 2), (0, 0, 3), (2, 1, 3)) v(x, t, tt)$$,
                   '%log-likelihood of these data is out of range%', 'bgnbd_fit: the message for x = 1e308');
SELECT throws_like($$SELECT prio.expected_purchases(ROW(1.6651024925952151, 1e15, 1e15, 0.09113548068357986, 0, 1)::prio.bgnbd, 50)$$,
                   '%cannot be computed accurately%', 'expected_purchases: the message when digits are lost');
SELECT throws_like($$SELECT prio.expected_spend(ROW(6, 4, 15, 0, 1)::prio.gammagamma, 2, 0)$$, '%mean_value must be positive when x > 0%', 'expected_spend: the message for repeat purchases worth 0');
SELECT throws_like($$SELECT prio.expected_spend(ROW(1, 0.5, 1, 0, 1)::prio.gammagamma, 0, 0)$$, '%expected spend is infinite%', 'expected_spend: the message for p x + q <= 1');
SELECT throws_like($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, ROW(6, 4, 15, 0, 1)::prio.gammagamma, 1, 1, 2, 0, 12, 0.01)$$, '%mean_value must be positive when x > 0%', 'clv: the message for repeat purchases worth 0');
SELECT throws_like($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, ROW(6, 4, 15, 0, 1)::prio.gammagamma, 1, 1, 2, 10, 3, 0.01, 1e308)$$, '%horizon * period is out of range%', 'clv: the message for horizon * period beyond double precision');

------------------------------------------------------------------------
-- Engine functions
------------------------------------------------------------------------
SELECT * FROM pg_temp.bad($$SELECT prio.refresh(NULL)$$, '22004', 'refresh: NULL as_of');
SELECT * FROM pg_temp.bad($$SELECT prio.refresh('infinity')$$, '22023', 'refresh: +infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.refresh('-infinity')$$, '22023', 'refresh: -infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.refresh('tomorrow-ish')$$, '22007', 'refresh: not a timestamp');
SELECT * FROM pg_temp.bad($$SELECT prio.recompute(999999999)$$, '23503', 'recompute: unknown customer');
SELECT * FROM pg_temp.bad($$SELECT prio.recompute(-9223372036854775808)$$, '23503', 'recompute: INT8_MIN customer');
SELECT * FROM pg_temp.bad($$SELECT prio.recompute(9223372036854775808)$$, '42883', 'recompute: beyond bigint');
SELECT * FROM pg_temp.bad($$SELECT prio.explain(NULL)$$, '22004', 'explain: NULL customer');
SELECT * FROM pg_temp.bad($$SELECT prio.explain(999999999)$$, '23503', 'explain: unknown customer');
SELECT * FROM pg_temp.bad($$SELECT prio.invalidate_cache()$$, '39P01', 'invalidate_cache: called directly');

------------------------------------------------------------------------
-- prio.customers
------------------------------------------------------------------------
SELECT * FROM pg_temp.bad($$INSERT INTO prio.customers (customer_id) VALUES (NULL)$$, '23502', 'customers: NULL id');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.customers (customer_id) VALUES (77001)$$, '23505', 'customers: duplicate id');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.customers (customer_id) VALUES (77010), (77011), (77001)$$, '23505', 'customers: duplicate in a multi-row insert');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.customers (customer_id, created_at) VALUES (77010, 'infinity')$$, '23514', 'customers: created_at +infinity');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.customers (customer_id, created_at) VALUES (77010, '-infinity')$$, '23514', 'customers: created_at -infinity');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.customers (customer_id, created_at) VALUES (77010, NULL)$$, '23502', 'customers: NULL created_at');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.customers (customer_id, created_at) VALUES (77010, '294276-12-30 00:00:00+00')$$, '22008', 'customers: created_at at the end of time');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.customers (customer_id, budget) VALUES (77010, 'perhaps')$$, '22P02', 'customers: BANT not a boolean');
SELECT * FROM pg_temp.bad($$UPDATE prio.customers SET created_at = 'infinity' WHERE customer_id = 77001$$, '23514', 'customers: UPDATE created_at to infinity');
SELECT * FROM pg_temp.bad($$UPDATE prio.customers SET customer_id = 77999 WHERE customer_id = 77001$$, '23503', 'customers: renumber a customer with activities');
SELECT * FROM pg_temp.bad($$DELETE FROM prio.customers WHERE customer_id = 77001$$, '23503', 'customers: delete a customer with activities');
SELECT * FROM pg_temp.bad($$TRUNCATE prio.customers$$, '0A000', 'customers: TRUNCATE');

------------------------------------------------------------------------
-- prio.activities
------------------------------------------------------------------------
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind) VALUES (NULL, 'call')$$, '23502', 'activities: NULL customer');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind) VALUES (999999999, 'call')$$, '23503', 'activities: unknown customer');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind) VALUES (77001, NULL)$$, '23502', 'activities: NULL kind');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind) VALUES (77001, 'telepathy')$$, '23503', 'activities: unknown kind');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind) VALUES (77001, 'Purchase')$$, '23503', 'activities: kind in the wrong case');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind, at) VALUES (77001, 'call', NULL)$$, '23502', 'activities: NULL at');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind, at) VALUES (77001, 'call', 'infinity')$$, '23514', 'activities: at +infinity');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind, at) VALUES (77001, 'call', '-infinity')$$, '23514', 'activities: at -infinity');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind, at) VALUES (77001, 'call', now() + interval '2 days')$$, '22008', 'activities: two days ahead');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind, at) VALUES (77001, 'call', now() + interval '1 day 1 second')$$, '22008', 'activities: just over a day ahead');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind, at) VALUES (77001, 'call', '294276-12-31 23:59:59+00')$$, '22008', 'activities: the last representable time');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind, amount) VALUES (77001, 'purchase', -0.01)$$, '23514', 'activities: negative amount');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind, amount) VALUES (77001, 'purchase', 1e15)$$, '23514', 'activities: amount 1e15');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind, amount) VALUES (77001, 'purchase', 1e300)$$, '23514', 'activities: absurd amount');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind, amount) VALUES (77001, 'purchase', 'NaN')$$, '23514', 'activities: NaN amount');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind, amount) VALUES (77001, 'purchase', 'Infinity')$$, '23514', 'activities: +Infinity amount');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind, amount) VALUES (77001, 'purchase', '-Infinity')$$, '23514', 'activities: -Infinity amount');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind, amount) VALUES (77001, 'purchase', NULL)$$, '23502', 'activities: NULL amount');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (activity_id, customer_id, kind) VALUES (1, 77001, 'call')$$, '428C9', 'activities: explicit activity_id');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind, at)
                             SELECT 77001, 'call', now() - g * interval '1 minute' FROM generate_series(1, 500) g
                             UNION ALL SELECT 77002, 'call', now() + interval '3 days'$$, '22008', 'activities: one future row among 500');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind) VALUES (77001, 'call'), (77002, 'visit'), (999999999, 'call')$$, '23503', 'activities: one unknown customer in a batch');
SELECT * FROM pg_temp.bad($$UPDATE prio.activities SET at = now() + interval '2 days' WHERE customer_id = 77001$$, '22008', 'activities: UPDATE into the future');
SELECT * FROM pg_temp.bad($$UPDATE prio.activities SET at = 'infinity' WHERE customer_id = 77001$$, '23514', 'activities: UPDATE at to infinity');
SELECT * FROM pg_temp.bad($$UPDATE prio.activities SET amount = -1 WHERE customer_id = 77001$$, '23514', 'activities: UPDATE to a negative amount');
SELECT * FROM pg_temp.bad($$UPDATE prio.activities SET customer_id = 999999999 WHERE customer_id = 77001$$, '23503', 'activities: UPDATE to an unknown customer');
SELECT * FROM pg_temp.bad($$UPDATE prio.activities SET kind = 'telepathy' WHERE customer_id = 77001$$, '23503', 'activities: UPDATE to an unknown kind');
SELECT * FROM pg_temp.bad($$UPDATE prio.activities SET activity_id = 1 WHERE customer_id = 77001$$, '428C9', 'activities: UPDATE activity_id');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activities (customer_id, kind, channel) VALUES (77001, 'call', '')$$, '23514', 'activities: an empty channel (NULL is the unknown one)');
SELECT * FROM pg_temp.bad($$UPDATE prio.activities SET channel = ' ' WHERE customer_id = 77001$$, '23514', 'activities: UPDATE to a blank channel');

------------------------------------------------------------------------
-- prio.settings
------------------------------------------------------------------------
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET intent_half_life = '0'$$, '23514', 'settings: zero half-life');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET intent_half_life = '-14 days'$$, '23514', 'settings: negative half-life');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET intent_half_life = '1 month -30 days'$$, '23514', 'settings: half-life summing to zero');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET intent_half_life = NULL$$, '23502', 'settings: NULL half-life');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET silent_after = '0'$$, '23514', 'settings: zero silent_after');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET dormant_after = '-1 second'$$, '23514', 'settings: negative dormant_after');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET no_reply_after = '0'$$, '23514', 'settings: zero no_reply_after');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET cadence_a = '0'$$, '23514', 'settings: zero cadence A');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET cadence_b = '-1 day'$$, '23514', 'settings: negative cadence B');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET cadence_c = NULL$$, '23502', 'settings: NULL cadence C');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET cadence_d = '-1 month 29 days'$$, '23514', 'settings: cadence D summing to -1 day');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET r_breaks = '{180,90,30,7}'$$, '22023', 'settings: breaks out of order');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET f_breaks = '{1,2,3}'$$, '23514', 'settings: three breaks');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET m_breaks = '{1,2,3,4,5}'$$, '23514', 'settings: five breaks');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET r_breaks = '{}'$$, '23514', 'settings: empty breaks');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET r_breaks = '{{1,2},{3,4}}'$$, '22023', 'settings: 2-D breaks');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET f_breaks = '{1,NULL,3,4}'$$, '22023', 'settings: NULL in breaks');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET m_breaks = '{1,NaN,3,4}'$$, '22023', 'settings: NaN in breaks');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET value_score = 0$$, '23514', 'settings: value_score 0');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET value_score = 6$$, '23514', 'settings: value_score 6');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET bant_threshold = 0$$, '23514', 'settings: bant_threshold 0');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET bant_threshold = 5$$, '23514', 'settings: bant_threshold 5');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET bant_threshold = NULL$$, '23502', 'settings: NULL bant_threshold');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET intent_threshold = 0$$, '23514', 'settings: intent_threshold 0');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET intent_threshold = -1$$, '23514', 'settings: negative intent_threshold');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET intent_threshold = 'NaN'$$, '23514', 'settings: NaN intent_threshold');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET intent_threshold = 'Infinity'$$, '23514', 'settings: infinite intent_threshold');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET weight_tier = -1$$, '23514', 'settings: negative weight');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET weight_rfm = 'NaN'$$, '23514', 'settings: NaN weight');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET weight_bant = 1e6$$, '23514', 'settings: weight 1e6');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET weight_intent = 'Infinity'$$, '23514', 'settings: infinite weight');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET weight_tier = 0, weight_rfm = 0, weight_bant = 0, weight_intent = 0, weight_stage = 0$$, '23514', 'settings: all weights zero');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET id = false$$, '23514', 'settings: id false');
SELECT * FROM pg_temp.bad($$DELETE FROM prio.settings$$, '23514', 'settings: DELETE');
SELECT * FROM pg_temp.bad($$TRUNCATE prio.settings$$, '23514', 'settings: TRUNCATE');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.settings (id) VALUES (false)$$, '23514', 'settings: a second row (id false)');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.settings (id) VALUES (true)$$, '23505', 'settings: a second row (id true) over a changed row');
SELECT * FROM pg_temp.bad($$UPDATE prio.settings SET cadence_d = '1000000 years'$$, '23514', 'settings: a cadence of a million years is refused (customers exist)');

------------------------------------------------------------------------
-- prio.activity_kinds
------------------------------------------------------------------------
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activity_kinds (kind, direction) VALUES ('', 'inbound')$$, '23514', 'kinds: empty name');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activity_kinds (kind, direction) VALUES (repeat('k', 101), 'inbound')$$, '23514', 'kinds: 101-character name');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activity_kinds (kind, direction) VALUES (repeat('k', 10 * 1024 * 1024), 'inbound')$$, '23514', 'kinds: 10 MB name');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activity_kinds (kind, direction) VALUES (NULL, 'inbound')$$, '23502', 'kinds: NULL name');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activity_kinds (kind, direction) VALUES ('k', 'sideways')$$, '23514', 'kinds: unknown direction');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activity_kinds (kind, direction) VALUES ('k', NULL)$$, '23502', 'kinds: NULL direction');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activity_kinds (kind, direction, stage) VALUES ('k', 'inbound', 'silent')$$, '23514', 'kinds: stage silent');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activity_kinds (kind, direction, stage) VALUES ('k', 'inbound', 'bogus')$$, '22P02', 'kinds: unknown stage');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activity_kinds (kind, direction, intent_weight) VALUES ('k', 'inbound', 'NaN')$$, '23514', 'kinds: NaN weight');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activity_kinds (kind, direction, intent_weight) VALUES ('k', 'inbound', 'Infinity')$$, '23514', 'kinds: infinite weight');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activity_kinds (kind, direction, intent_weight) VALUES ('k', 'inbound', 1e6)$$, '23514', 'kinds: weight 1e6');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activity_kinds (kind, direction, intent_weight) VALUES ('k', 'inbound', -1e6)$$, '23514', 'kinds: weight -1e6');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activity_kinds (kind, direction, is_purchase) VALUES ('k', 'inbound', NULL)$$, '23502', 'kinds: NULL is_purchase');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.activity_kinds (kind, direction) VALUES ('hostile_kind', 'inbound')$$, '23505', 'kinds: duplicate of an added kind');
SELECT * FROM pg_temp.bad($$DELETE FROM prio.activity_kinds WHERE kind = 'purchase'$$, '23503', 'kinds: delete a kind in use');
SELECT * FROM pg_temp.bad($$UPDATE prio.activity_kinds SET kind = 'phone' WHERE kind = 'call'$$, '23503', 'kinds: rename a kind in use');
SELECT * FROM pg_temp.bad($$UPDATE prio.activity_kinds SET stage = 'silent' WHERE kind = 'call'$$, '23514', 'kinds: UPDATE stage to silent');
SELECT * FROM pg_temp.bad($$UPDATE prio.activity_kinds SET intent_weight = 'NaN' WHERE kind = 'visit'$$, '23514', 'kinds: UPDATE weight to NaN');
SELECT * FROM pg_temp.bad($$TRUNCATE prio.activity_kinds$$, '0A000', 'kinds: TRUNCATE');

------------------------------------------------------------------------
-- prio.rfm_segments
------------------------------------------------------------------------
SELECT * FROM pg_temp.bad($$INSERT INTO prio.rfm_segments (position, segment, r_min) VALUES (1, 's', 0)$$, '23514', 'segments: r_min 0');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.rfm_segments (position, segment, r_max) VALUES (1, 's', 6)$$, '23514', 'segments: r_max 6');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.rfm_segments (position, segment, f_min, f_max) VALUES (1, 's', 4, 2)$$, '23514', 'segments: f_min > f_max');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.rfm_segments (position, segment, m_max) VALUES (1, 's', -2147483648)$$, '23514', 'segments: m_max INT_MIN');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.rfm_segments (position, segment) VALUES (1, '')$$, '23514', 'segments: empty name');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.rfm_segments (position, segment) VALUES (1, repeat('s', 101))$$, '23514', 'segments: 101-character name');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.rfm_segments (position, segment) VALUES (1, NULL)$$, '23502', 'segments: NULL name');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.rfm_segments (position, segment) VALUES (NULL, 's')$$, '23502', 'segments: NULL position');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.rfm_segments (position, segment) VALUES (5, 'again')$$, '23505', 'segments: duplicate of an added position');
SELECT * FROM pg_temp.bad($$UPDATE prio.rfm_segments SET r_min = 9 WHERE position = 10$$, '23514', 'segments: UPDATE r_min 9');

------------------------------------------------------------------------
-- (0.5) playbooks, key-customer types, deal stages, deals
------------------------------------------------------------------------
SELECT * FROM pg_temp.bad($$SELECT * FROM prio.playbooks_for('A', '{strategic,stratgic}')$$, '22023', 'playbooks_for: a misspelt type');
SELECT * FROM pg_temp.bad($$SELECT * FROM prio.playbooks_for('A', ARRAY[NULL]::text[])$$, '22004', 'playbooks_for: a NULL type');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.playbooks (playbook, cadence, channels, roles, action) VALUES ('stratgic', '1 day', '{phone}', '{rep}', 'x')$$, '23503', 'playbooks: a playbook of a type that does not exist');
SELECT * FROM pg_temp.bad($$UPDATE prio.playbooks SET playbook = 'stratgic' WHERE playbook = 'strategic'$$, '23503', 'playbooks: renamed to a type that does not exist');
SELECT * FROM pg_temp.bad($$UPDATE prio.customer_types SET type = 'strategic_2' WHERE type = 'strategic'$$, '23514', 'customer_types: a built-in type renamed');
SELECT * FROM pg_temp.bad($$TRUNCATE prio.customer_types CASCADE$$, '23503', 'customer_types: TRUNCATE CASCADE');
SELECT * FROM pg_temp.bad($$DELETE FROM prio.deal_stages WHERE stage = 'quote'$$, '23514', 'deal_stages: the stage implicit deals stand at removed');
SELECT * FROM pg_temp.bad($$UPDATE prio.deal_stages SET stage = 'offer' WHERE stage = 'quote'$$, '23514', 'deal_stages: quote renamed');
SELECT * FROM pg_temp.bad($$UPDATE prio.deal_stages SET lifecycle = NULL, outcome = 'lost' WHERE stage = 'quote'$$, '23514', 'deal_stages: quote closed');
SELECT * FROM pg_temp.bad($$TRUNCATE prio.deal_stages CASCADE$$, '23514', 'deal_stages: TRUNCATE CASCADE');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.deals (customer_id, stage, expected_close) VALUES (77001, 'quote', 'infinity')$$, '22008', 'deals: expected_close +infinity');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.deals (customer_id, stage, expected_close) VALUES (77001, 'quote', '-infinity')$$, '22008', 'deals: expected_close -infinity');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.deals (customer_id, stage, closed_at) VALUES (77001, 'won', now() - interval '1 day')$$, '23514', 'deals: closed a day before created_at''s default, now()');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.deals (customer_id, stage, created_at, closed_at) VALUES (77001, 'won', '2026-01-02', '2026-01-01')$$, '23514', 'deals: closed before created');
-- every as_of argument is a finite time (CheckTimeArg()): NULL 22004, +-infinity 22023
-- naming it; reason() and reactivation_reason() once said 22008 "cannot subtract
-- infinite timestamps", or (no reply, no due date) took an infinite as_of silently
SELECT * FROM pg_temp.bad($$SELECT prio.reason(st, 'infinity') FROM prio.customer_state st WHERE customer_id = 77001$$, '22023', 'reason: as_of +infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.reason(st, '-infinity') FROM prio.customer_state st WHERE customer_id = 77001$$, '22023', 'reason: as_of -infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.reason(st, NULL) FROM prio.customer_state st WHERE customer_id = 77001$$, '22004', 'reason: NULL as_of');
SELECT * FROM pg_temp.bad($$SELECT prio.reactivation_reason('silent', now() - interval '3 days', 1, 10, NULL, now(), 'infinity')$$, '22023', 'reactivation_reason: as_of +infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.reactivation_reason('silent', now() - interval '3 days', 1, 10, NULL, now(), '-infinity')$$, '22023', 'reactivation_reason: as_of -infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.reactivation_reason('lost', NULL, 0, 0, NULL, NULL, 'infinity')$$, '22023', 'reactivation_reason: as_of +infinity with no reply and no due date');
SELECT * FROM pg_temp.bad($$SELECT prio.reactivation_reason('lost', NULL, 0, 0, NULL, NULL, NULL)$$, '22004', 'reactivation_reason: NULL as_of');
SELECT * FROM pg_temp.bad($$SELECT prio.type_facts(77001, 'infinity')$$, '22023', 'type_facts: as_of +infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.type_facts(77001, '-infinity')$$, '22023', 'type_facts: as_of -infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.customer_summary(st, 'infinity', '7 days') FROM prio.customer_state st WHERE customer_id = 77001$$, '22023', 'customer_summary: as_of +infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.customer_summary(st, '-infinity', '7 days') FROM prio.customer_state st WHERE customer_id = 77001$$, '22023', 'customer_summary: as_of -infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.p_alive(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, st, 'infinity') FROM prio.customer_state st WHERE customer_id = 77001$$, '22023', 'p_alive(state): as_of +infinity');
SELECT * FROM pg_temp.bad($$SELECT prio.clv(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, ROW(6, 4, 15, 0, 1)::prio.gammagamma, st, 12, 0.01, '-infinity') FROM prio.customer_state st WHERE customer_id = 77001$$, '22023', 'clv(state): as_of -infinity');
SELECT throws_like($$SELECT prio.reason(st, 'infinity') FROM prio.customer_state st WHERE customer_id = 77001$$, '%as_of must be a finite time, not infinity%', 'reason: the message names as_of and its value');
SELECT throws_like($$SELECT prio.reactivation_reason('lost', NULL, 0, 0, NULL, NULL, '-infinity')$$, '%as_of must be a finite time, not -infinity%', 'reactivation_reason: the message names as_of and its value');

------------------------------------------------------------------------
-- prio.track() / prio.untrack() (issue 18): configuration mistakes fail at
-- track() time, with nothing half-done
------------------------------------------------------------------------
SELECT * FROM pg_temp.bad($$SELECT prio.track(NULL, 'customers', '{"key": "id"}')$$, '22004', 'track: NULL source');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'deals', '{"key": "id"}')$$, '22023', 'track: a deals mapping without customer and stage');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'activities', '{"customer": "id", "kind": "name", "at": "at"}')$$, '42704', 'track: activities whose customer type no tracked customers table has');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.events', 'activities', '{"customer": "account", "kind": "kind", "at": "at"}')$$, '42710', 'track: activities tracked twice');
SELECT * FROM pg_temp.bad($$SELECT prio.untrack('hostile_app.accounts')$$, '2BP01', 'untrack: customers whose activities are tracked');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'activities', '{"customer": "id", "kind": "name", "at": "at", "customers": "hostile_app.leads"}')$$, '42704', 'track: activities of a customers table not tracked');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'activities', '{"customer": "id", "kind": "name", "at": "at", "customers": "hostile_app.accounts"}')$$, '42804', 'track: activities whose customer is not of the key''s type');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'leads', '{"key": "id"}')$$, '22023', 'track: unknown role');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads_v', 'customers', '{"key": "id"}')$$, '42809', 'track: a view');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.parted_1', 'customers', '{"key": "id"}')$$, '42809', 'track: a partition');
SELECT * FROM pg_temp.bad($$SELECT prio.track('prio.activities', 'activities', '{"customer": "customer_id", "kind": "kind", "at": "at"}')$$, '42809', 'track: prio''s own table');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.accounts', 'customers', '{"key": "id"}')$$, '42710', 'track: tracked twice');
SELECT * FROM pg_temp.bad($$SELECT prio.untrack('hostile_app.leads')$$, '42704', 'untrack: not tracked');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'customers', '"id"')$$, '22023', 'track: mapping not an object');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'customers', '{"key": "id", "nmae": "name"}')$$, '22023', 'track: unknown mapping key');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'customers', '{"name": "name"}')$$, '22023', 'track: customers key missing');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'activities', '{"customer": "id", "at": "at"}')$$, '22023', 'track: activities kind missing');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'customers', '{"key": "id", "name": "nam"}')$$, '42703', 'track: missing column');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'customers', '{"key": "id", "name": "name ||| "}')$$, '42601', 'track: bad expression');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'customers', '{"key": "id", "name": "name FROM pg_authid"}')$$, '42601', 'track: a FROM clause smuggled in');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'customers', '{"key": "id", "name": "pg_read_file(email)"}')$$, '22023', 'track: a volatile function');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'customers', '{"key": "id", "name": "(SELECT passwd FROM pg_shadow LIMIT 1)"}')$$, '22023', 'track: a subquery');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'customers', '{"key": "id", "name": "n"}')$$, '42804', 'track: name of type integer');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'customers', '{"key": "doc"}')$$, '42883', 'track: key type without btree equality');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'customers', '{"key": "email"}')$$, '42P10', 'track: key without a unique index');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'customers', '{"key": "id", "budget": "1 / n > 0"}')$$, '22012', 'track: a row the mapping fails on, while loading');
-- (activities of several events a row: each event checked, all of one customer type and table)
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'activities', '{"customer": "id", "events": {"kind": "name", "at": "at"}}')$$, '22023', 'track: events not an array');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'activities', '[{"customer": "id", "kind": "name", "at": "at"}, {"customer": "id", "kind": "name", "at": "nope"}]')$$, '42703', 'track: an event''s missing column');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'activities', '[{"customer": "id", "kind": "name", "at": "at"}, {"customer": "name", "kind": "name", "at": "at"}]')$$, '42804', 'track: events whose customers are of different types');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'activities', '{"customer": "id", "events": [{"kind": "name", "at": "at", "customers": "hostile_app.accounts"}, {"kind": "name", "at": "at"}]}')$$, '22023', 'track: events naming different customers tables');
-- (0.5: an activity's channel, a column or expression of type text)
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'activities', '{"customer": "id", "kind": "name", "at": "at", "channel": "chanel"}')$$, '42703', 'track: channel of a missing column');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'activities', '{"customer": "id", "kind": "name", "at": "at", "channel": "n"}')$$, '42804', 'track: channel of type integer');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'activities', '{"customer": "id", "kind": "name", "at": "at", "channel": ["email"]}')$$, '22023', 'track: channel not a string');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'customers', '{"key": "id", "view": 1}')$$, '22023', 'track: typed view name not a string');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'customers', '{"key": "id", "view": "followup"}')$$, '42P07', 'track: typed view name taken');
SELECT * FROM pg_temp.bad($$SELECT prio.track('hostile_app.leads', 'customers', format('{"key": "id", "view": "%s"}', repeat('v', 64))::jsonb)$$, '42622', 'track: typed view name too long');
-- prio.explain(source, key): the key of a tracked customers table
SELECT * FROM pg_temp.bad($$SELECT prio.explain(NULL::regclass, 'x')$$, '22004', 'explain by key: NULL source');
SELECT * FROM pg_temp.bad($$SELECT prio.explain('hostile_app.accounts', NULL::uuid)$$, '22004', 'explain by key: NULL key');
SELECT * FROM pg_temp.bad($$SELECT prio.explain('hostile_app.leads', 1)$$, '42704', 'explain by key: table not tracked');
SELECT * FROM pg_temp.bad($$SELECT prio.explain('hostile_app.events', 'x')$$, '42809', 'explain by key: table tracked as activities');
SELECT * FROM pg_temp.bad($$SELECT prio.explain('hostile_app.accounts', '00000000-0000-0000-0000-000000000000'::uuid)$$, '23503', 'explain by key: no customer has the key');
SELECT * FROM pg_temp.bad($$SELECT prio.explain('hostile_app.accounts', 42)$$, '42804', 'explain by key: a key of another type');
SELECT * FROM pg_temp.bad($$SELECT prio.explain('hostile_app.accounts', 'not a uuid''); DROP TABLE prio.customers; --')$$, '22P02', 'explain by key: text that is not a key of its type');
-- (as that role pgTAP cannot keep its count: the outcomes are kept, then asserted)
SET ROLE prio_hostile_stranger;
SELECT set_config('hostile.track', pg_temp.sqlstate_of($$SELECT prio.track('hostile_app.leads', 'customers', '{"key": "id"}')$$), true),
       set_config('hostile.untrack', pg_temp.sqlstate_of($$SELECT prio.untrack('hostile_app.accounts')$$), true);
RESET ROLE;
SELECT is(current_setting('hostile.track'), '42501', 'track: a role that does not own the table -> 42501');
SELECT is(current_setting('hostile.untrack'), '42501', 'untrack: a role that does not own the table -> 42501');
SELECT is(pg_temp.fp(), (SELECT fp FROM base), 'track, untrack by a role that does not own the table: nothing written');
-- a role that does not own the table may track it with the TRIGGER and
-- SELECT privileges, unless a row-level security policy of it applies to
-- the role (prio would show its readers rows the role may not see)
GRANT TRIGGER ON hostile_app.leads TO prio_hostile_stranger;
ALTER TABLE hostile_app.leads ENABLE ROW LEVEL SECURITY;
CREATE POLICY hostile_leads ON hostile_app.leads USING (n > 0);
SET ROLE prio_hostile_stranger;
SELECT set_config('hostile.track_trigger_only', pg_temp.sqlstate_of($$SELECT prio.track('hostile_app.leads', 'customers', '{"key": "id"}')$$), true);
RESET ROLE;
GRANT SELECT ON hostile_app.leads TO prio_hostile_stranger;
SET ROLE prio_hostile_stranger;
SELECT set_config('hostile.track_under_policy', pg_temp.sqlstate_of($$SELECT prio.track('hostile_app.leads', 'customers', '{"key": "id"}')$$), true);
RESET ROLE;
REVOKE ALL ON hostile_app.leads FROM prio_hostile_stranger;
DROP POLICY hostile_leads ON hostile_app.leads;
ALTER TABLE hostile_app.leads DISABLE ROW LEVEL SECURITY;
SELECT is(current_setting('hostile.track_trigger_only'), '42501', 'track: a role with TRIGGER but not SELECT on the table -> 42501');
SELECT is(current_setting('hostile.track_under_policy'), '42501', 'track: a role with TRIGGER and SELECT under a policy of the table -> 42501');
SELECT is(pg_temp.fp(), (SELECT fp FROM base), 'track by a role that may not read all of the table: nothing written');
-- a row a tracked table's mapping fails on (qty 0 in "value / qty") is no
-- error of prio's: the write goes through, and recompute() and a change of
-- settings skip that table (warnings) instead of failing
SAVEPOINT hostile_bad_row;
SET LOCAL client_min_messages = error;
CREATE TABLE hostile_app.bad_events (account uuid, kind text, at timestamptz, value numeric, qty integer);
SELECT prio.track('hostile_app.bad_events', 'activities',
                  '{"customer": "account", "kind": "kind", "at": "at", "amount": "value / qty", "customers": "hostile_app.accounts"}');
INSERT INTO hostile_app.accounts (id, name) VALUES ('00000000-0000-0000-0000-0000000000b1', 'bad row');
SELECT lives_ok($$INSERT INTO hostile_app.bad_events VALUES ('00000000-0000-0000-0000-0000000000b1', 'purchase', now() - interval '1 day', 5, 0)$$,
                'tracked activities: a row the mapping fails on is written (a warning)');
SELECT lives_ok($$SELECT prio.recompute()$$, 'recompute: a tracked table with a row its mapping fails on is skipped, not an error');
SELECT lives_ok($$UPDATE prio.settings SET intent_threshold = intent_threshold + 1$$,
                'settings: changed while a tracked table has a row its mapping fails on');
RESET client_min_messages;
ROLLBACK TO SAVEPOINT hostile_bad_row;

------------------------------------------------------------------------
-- Tables prio alone writes (superuser can still try)
------------------------------------------------------------------------
SELECT * FROM pg_temp.bad($$INSERT INTO prio.customer_state (customer_id) VALUES (999999999)$$, '23503', 'customer_state: row for an unknown customer');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.customer_state (customer_id) VALUES (77001)$$, '23505', 'customer_state: a second row for a customer');
SELECT * FROM pg_temp.bad($$UPDATE prio.customer_state SET tier = 'E' WHERE customer_id = 77001$$, '23514', 'customer_state: tier E');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.tier_history (customer_id, changed_at) VALUES (NULL, now())$$, '23502', 'tier_history: NULL customer');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.tier_history (customer_id, changed_at) VALUES (77001, NULL)$$, '23502', 'tier_history: NULL changed_at');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.auto_breaks DEFAULT VALUES$$, '23505', 'auto_breaks: a second row');
SELECT * FROM pg_temp.bad($$INSERT INTO prio.auto_breaks (id) VALUES (false)$$, '23514', 'auto_breaks: id false');

------------------------------------------------------------------------
-- Extreme but legal: no error, and the right answer
------------------------------------------------------------------------
SELECT is(prio.rfm_score('Infinity', '{-Infinity,0,Infinity}'), 3, 'rfm_score: +Infinity is not above a +Infinity break');
SELECT is(prio.rfm_score('-Infinity', '{-Infinity,0}', false), 3, 'rfm_score: -Infinity lower-is-better');
SELECT is(prio.rfm_score(5, (SELECT array_agg(g::float8) FROM generate_series(1, 100000) g)), 5, 'rfm_score: 100000 breaks');
SELECT is(prio.recency_days('-infinity', now()), 'Infinity'::float8, 'recency_days: from -infinity is infinite');
SELECT is(prio.recency_days(now(), '-infinity'), '-Infinity'::float8, 'recency_days: to -infinity is -infinite');
SELECT is(prio.intent(at, 2, '1 day', now()), 2::float8, 'intent: an event at +infinity counts in full')
  FROM (VALUES ('infinity'::timestamptz)) v(at);
SELECT is(prio.intent(at, 2, '1 day', now()), 0::float8, 'intent: an event at -infinity has decayed to nothing')
  FROM (VALUES ('-infinity'::timestamptz)) v(at);
SELECT is((SELECT (prio.rfm(at, amount)).frequency FROM (VALUES ('-infinity'::timestamptz, 1::numeric), ('infinity', 2)) v(at, amount)),
          2::bigint, 'rfm: infinite times are counted');
SELECT is(prio.effective_stage('won', '-infinity', now(), '1 day', '1 day'), 'silent'::prio.stage, 'effective_stage: quiet since -infinity is silent');

-- CLV at the ends of the double range: once NaN, 1 (for 0), NaN, Infinity, and a crash (stack overflow)
SELECT is(prio.p_alive(ROW(1e308, 1, 5e-324, 1e308, 0, 1)::prio.bgnbd, 1, 0, 1000), 0::float8, 'p_alive: r = b = 1e308, a denormal is 0, not NaN');
SELECT is(prio.p_alive(ROW(1e308, 1, 5e-324, 1e308, 0, 1)::prio.bgnbd, 1, 0, 5), 0::float8, 'p_alive: a / (b + x - 1) underflowing is 0, not 1');
SELECT is(round(prio.expected_spend(ROW(1e308, 2, 1, 0, 1)::prio.gammagamma, 10, 1)::numeric, 9), 1.1, 'expected_spend: p = 1e308 is (v + x m) / x, not NaN');
SELECT is(prio.expected_spend(ROW(1, 2, 1, 0, 1)::prio.gammagamma, 1e308, 1e308), 1e308::float8, 'expected_spend: x m beyond double precision is m, not Infinity');
SELECT is(prio.expected_purchases(ROW(1, 1, 1, 1, 0, 1)::prio.bgnbd, 1e6, 1e12, 1, 2), 0::float8, 'expected_purchases: x = 1e12 (long since gone) is 0, and the backend survives');
SELECT ok(abs(prio.expected_purchases(ROW(5.0389073324241408e-05, 22018.308842282768, 13078.333373963696, 0.0049159620061602054, 0, 1)::prio.bgnbd,
                                       0.20861376537801846, 0, 0, 48.192310724930323) / 4.76369341753958e-10 - 1) < 1e-6,
          'expected_purchases: a = 13078, t / (alpha + T + t) = 3e-6 keeps its digits (once 9e-4 off)');
SELECT is((prio.clv_summary(at, 1, c)).x, 1::bigint, 'clv_summary: cut_off at other times of the same day is the same cut-off')
  FROM (VALUES ('2024-01-01'::timestamptz, '2024-06-01 10:00:00+00'::timestamptz), ('2024-02-01', '2024-06-01 11:00:00+00')) v(at, c);

-- Contract violations in return values (ordinary tests: they fail while prio is wrong)
-- decayed(value, ...) is value * 2^(-age/half_life): an infinite value stays infinite
-- (or is refused with 22023 as intent() refuses infinite weights), it does not become 0.
SELECT ok(pg_temp.sqlstate_of($$SELECT prio.decayed('Infinity', now(), '1 day', now() + interval '1 day')$$) = '22023'
          OR prio.decayed('Infinity', now(), '1 day', now() + interval '1 day') = 'Infinity',
          'decayed: Infinity decayed one half-life is Infinity (or refused), not 0');
SELECT ok(pg_temp.sqlstate_of($$SELECT prio.decayed('NaN', now(), '1 day', now() + interval '1 day')$$) = '22023'
          OR prio.decayed('NaN', now(), '1 day', now() + interval '1 day') = 'NaN',
          'decayed: NaN decayed is NaN (or refused), not 0');
-- fold keeps intent exactly as intent() does, which refuses to overflow (22003);
-- fold lets it become Infinity (only reachable by calling fold directly: kind weights are < 1e6)
SELECT * FROM pg_temp.bad($$SELECT prio.fold(NULL, 1, now(), true, NULL, false, w, 0, '1 day' ORDER BY w) FROM (VALUES (1e308::float8), (1e308)) v(w)$$,
                          '22003', 'fold: intent overflow is refused like intent()''s');

-- Counts that would wrap around and amounts no rule can score (issue 17): a frequency of
-- 2^63 - 1 plus one purchase came back as -2^63; a NaN monetary scored m = 1.
SELECT * FROM pg_temp.bad($$SELECT prio.fold(jsonb_populate_record(f, '{"frequency": 9223372036854775807}'), 77001, now(), true, NULL, true, 1, 10, '1 day') FROM ev$$,
                          '22003', 'fold: a frequency past bigint is refused, not wrapped');
SELECT * FROM pg_temp.bad($$SELECT prio.fold(jsonb_populate_record(f, '{"purchase_days": 9223372036854775807}'), 77001, now(), true, NULL, true, 1, 10, '1 day') FROM ev$$,
                          '22003', 'fold: purchase_days past bigint is refused, not wrapped');
SELECT * FROM pg_temp.bad($$SELECT prio.fold(NULL, 1, now(), true, NULL, true, 1, 'NaN', '1 day')$$, '22023', 'fold: NaN amount');
SELECT * FROM pg_temp.bad($$SELECT prio.fold(NULL, 1, now(), true, NULL, true, 1, 'Infinity', '1 day')$$, '22023', 'fold: infinite amount');
SELECT * FROM pg_temp.bad($$SELECT prio.fold(jsonb_populate_record(f, '{"monetary": "NaN"}'), 77001, now(), true, NULL, true, 1, 10, '1 day') FROM ev$$,
                          '22023', 'fold: start facts with NaN monetary');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(jsonb_populate_record(f, '{"monetary": "NaN"}'), c, s, NULL, NULL, '{100,500,1000,5000}', now()) FROM ev$$,
                          '22023', 'evaluate: facts with NaN monetary are refused, not scored m = 1');
SELECT * FROM pg_temp.bad($$SELECT prio.evaluate(jsonb_populate_record(f, '{"first_day_amount": "-Infinity"}'), c, s, NULL, NULL, NULL, now()) FROM ev$$,
                          '22023', 'evaluate: facts with an infinite first_day_amount');
SELECT * FROM pg_temp.bad($$SELECT prio.customer_summary(jsonb_populate_record(st, '{"monetary": "NaN"}'), now(), '7 days') FROM prio.customer_state st WHERE customer_id = 77001$$,
                          '22023', 'customer_summary: a state row with NaN monetary');

------------------------------------------------------------------------
-- Limits: inputs prio once accepted and now refuses
------------------------------------------------------------------------
SELECT is(pg_temp.sqlstate_of($$INSERT INTO prio.activities (customer_id, kind, note) VALUES (77001, 'call', repeat('n', 10 * 1024 * 1024))$$),
          '23514', 'activities: a 10 MB note is refused');
SELECT is(pg_temp.sqlstate_of($$INSERT INTO prio.customers (customer_id, name) VALUES (77010, repeat('n', 10 * 1024 * 1024))$$),
          '23514', 'customers: a 10 MB name is refused');
SELECT is(pg_temp.sqlstate_of($$INSERT INTO prio.customers (customer_id, created_at) VALUES (77010, now() + interval '1000 years')$$),
          '22008', 'customers: created_at 1000 years ahead is refused');
SELECT is(pg_temp.sqlstate_of($$SELECT prio.refresh(now() + interval '1000 years')$$),
          '22023', 'refresh: as_of 1000 years ahead is refused');
SELECT is(pg_temp.sqlstate_of($$UPDATE prio.settings SET cadence_d = '1000000 years'$$),
          '23514', 'settings: a million-year cadence is refused with 23514');
SELECT is(pg_temp.sqlstate_of($$SELECT prio.evaluate(jsonb_populate_record(f, '{"intent": "Infinity"}'), c, s, NULL, NULL, NULL, now()) FROM ev$$),
          '22023', 'evaluate: facts with intent Infinity are refused');

-- With no customers, a settings value is accepted that then makes every new customer fail.
DELETE FROM prio.activities;
DELETE FROM prio.customers;
SELECT is(pg_temp.sqlstate_of($$UPDATE prio.settings SET cadence_d = '1000000 years'$$),
          '23514', 'settings: a million-year cadence is refused with no customers too');
SELECT is(pg_temp.sqlstate_of($$INSERT INTO prio.customers (customer_id) VALUES (77020)$$),
          '00000', 'settings: after the refused cadence a new customer can still be inserted');

------------------------------------------------------------------------
-- The backend survived all of it
------------------------------------------------------------------------
SELECT is(pg_backend_pid(), (SELECT pid FROM t0), 'same backend as at the start');
SELECT is(pg_postmaster_start_time(), (SELECT started FROM t0), 'postmaster not restarted');

SELECT * FROM finish();
ROLLBACK;
