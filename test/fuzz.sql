-- pgTAP: deterministic fuzz of every C-backed function and aggregate of prio:
--   bant_count, rfm_score (2 and 3 arguments), rfm (aggregate), intent
--   (aggregate), rfm_segment, next_stage, effective_stage, decayed,
--   recency_days, check_breaks, fold (aggregate), evaluate; and the CLV ones:
--   clv_summary (aggregate, 3 and 4 arguments), bgnbd_fit and gammagamma_fit
--   (aggregates), p_alive, expected_purchases (2 and 5 arguments),
--   expected_spend, clv (8 and 9 arguments).
-- Arguments are random (setseed, so every run makes the same calls): NULLs;
-- doubles incl. NaN, +-Infinity, +-1e308, DBL_MAX, denormals, -0; timestamps
-- incl. +-infinity and the range limits; arrays empty, 2-D, 3-D, with NULL or
-- NaN elements, unsorted, with a lower bound other than 1, or 100,000 long;
-- intervals zero, negative, one microsecond, summing to zero, and the interval
-- range limits (months, days, microseconds); numerics incl. NaN, +-Infinity and
-- 1e131071; scores and ids at the integer limits; hand-made prio.facts,
-- prio.customers and prio.settings rows (composite values skip the tables'
-- CHECKs, so the C code sees what no table would hold); prio.bgnbd and
-- prio.gammagamma parameters ordinary (e^-3 .. e^3), anywhere in e^-20 .. e^20,
-- denormal, DBL_MAX, zero, negative, NaN, infinite or NULL; customers
-- (x, t_x, T) consistent, or with x fractional or 1e12 .. 1e308, t_x > T,
-- and times in model units from denormal to DBL_MAX; purchase amounts whose
-- sums overflow; cut-offs and units that differ between a customer's rows.
-- Every call runs in its own subtransaction (plpgsql BEGIN ... EXCEPTION) and
-- its SQLSTATE ('00000' for success) is recorded.  Fails on any XX000 (internal
-- error) or any SQLSTATE class outside 22 (data), 23 (integrity), 2F (routine),
-- 0A (not supported), 42 (syntax/access), 54 (limits), and if the backend or
-- postmaster restarted.  The SQLSTATE histogram per function is printed with
-- diag() (pg_prove -v, or psql -f test/fuzz.sql; tools/fuzz.sh prints it).
-- Results outside their documented range fail too (fuzz_bad): for CLV, p_alive
-- outside 0..1, expected purchases or spend negative, infinite or NaN, clv
-- infinite or NaN, fitted parameters not positive, summaries with t_x > T or
-- an infinite mean value.
-- Rounds (12 calls each) default to 8500: 102,000 calls, about 25 s; then
-- rounds / 4 CLV rounds (10 calls each): 21,250 calls, about 3 s more.  Set
-- the custom GUC prio.fuzz_rounds (e.g. PGOPTIONS='-c prio.fuzz_rounds=20000') for more.
BEGIN;
SELECT plan(50);

CREATE TEMP TABLE t0 AS SELECT pg_backend_pid() AS pid, pg_postmaster_start_time() AS started;
CREATE TEMP TABLE fuzz_log (fn text, state text);
CREATE TEMP TABLE fuzz_bad (fn text, what text);  -- results outside their documented range
CREATE TEMP TABLE clv_fns AS SELECT ARRAY['clv_summary', 'clv_summary3', 'bgnbd_fit', 'gammagamma_fit', 'p_alive',
    'expected_purchases', 'expected_purchases_new', 'expected_spend', 'clv'] AS clv_fns;
SELECT setseed(0.314159);

------------------------------------------------------------------------
-- Generators
------------------------------------------------------------------------
CREATE FUNCTION pg_temp.pick(n integer) RETURNS integer LANGUAGE sql AS
$$ SELECT floor(random() * n)::integer $$;

CREATE FUNCTION pg_temp.rbool() RETURNS boolean LANGUAGE sql AS
$$ SELECT CASE pg_temp.pick(5) WHEN 0 THEN NULL WHEN 1 THEN false WHEN 2 THEN false ELSE true END $$;

CREATE FUNCTION pg_temp.rf8() RETURNS double precision LANGUAGE sql AS $$
SELECT CASE pg_temp.pick(24)
    WHEN 0 THEN NULL WHEN 1 THEN 'NaN' WHEN 2 THEN 'Infinity' WHEN 3 THEN '-Infinity'
    WHEN 4 THEN 1e308 WHEN 5 THEN -1e308 WHEN 6 THEN 1.7976931348623157e308
    WHEN 7 THEN 4.9406564584124654e-324 WHEN 8 THEN -4.9406564584124654e-324
    WHEN 9 THEN 2.2250738585072014e-308 WHEN 10 THEN 0 WHEN 11 THEN '-0'
    WHEN 12 THEN 1 WHEN 13 THEN -1
    ELSE (random() - 0.3) * 10 ^ (pg_temp.pick(9) - 2) END $$;

-- mostly ordinary times around a fixed moment, sometimes the extremes
CREATE FUNCTION pg_temp.rts() RETURNS timestamptz LANGUAGE sql AS $$
SELECT CASE pg_temp.pick(20)
    WHEN 0 THEN NULL WHEN 1 THEN 'infinity' WHEN 2 THEN '-infinity'
    WHEN 3 THEN '4714-11-24 00:00:00+00 BC' WHEN 4 THEN '294276-12-31 23:59:59.999999+00'
    WHEN 5 THEN '2024-06-01 00:00:00+00' WHEN 6 THEN '1970-01-01 00:00:00+00'
    WHEN 7 THEN '2000-01-01 00:00:00+00'
    WHEN 8 THEN '2024-06-01 00:00:00+00'::timestamptz + (random() - 0.5) * interval '8000 years'
    WHEN 9 THEN '2024-06-01 00:00:00+00'::timestamptz + random() * interval '290000 years'
    ELSE '2024-06-01 00:00:00+00'::timestamptz + (random() - 0.7) * interval '400 days' END $$;

CREATE FUNCTION pg_temp.rinterval() RETURNS interval LANGUAGE sql AS $$
SELECT CASE pg_temp.pick(24)
    WHEN 0 THEN NULL WHEN 1 THEN '0' WHEN 2 THEN '-1 day' WHEN 3 THEN '1 microsecond'
    WHEN 4 THEN '-1 microsecond' WHEN 5 THEN '1 month -30 days' WHEN 6 THEN '1 month -29 days'
    WHEN 7 THEN '178000000 years' WHEN 8 THEN '-178000000 years'
    WHEN 9 THEN '178956970 years 7 mons 2147483647 days 2562047788:00:54.775807'
    WHEN 10 THEN '-178956970 years -8 mons -2147483648 days -2562047787:00:00'
    WHEN 11 THEN '2147483647 days' WHEN 12 THEN '-2147483648 days -1 month'
    WHEN 13 THEN '2562047788:00:54.775807'
    ELSE pg_temp.pick(60) * interval '1 day' + pg_temp.pick(24) * interval '1 hour' + interval '1 hour' END $$;

CREATE FUNCTION pg_temp.rnum() RETURNS numeric LANGUAGE sql AS $$
SELECT CASE pg_temp.pick(16)
    WHEN 0 THEN NULL WHEN 1 THEN 'NaN' WHEN 2 THEN 'Infinity' WHEN 3 THEN '-Infinity'
    WHEN 4 THEN 0 WHEN 5 THEN -1 WHEN 6 THEN 1e15 WHEN 7 THEN '1e131071' WHEN 8 THEN '-1e131071'
    WHEN 9 THEN '1e-16383'
    ELSE round((random() * 10000)::numeric, 2) END $$;

CREATE FUNCTION pg_temp.rint() RETURNS integer LANGUAGE sql AS $$
SELECT CASE pg_temp.pick(14)
    WHEN 0 THEN NULL WHEN 1 THEN 0 WHEN 2 THEN -1 WHEN 3 THEN 6
    WHEN 4 THEN -2147483648 WHEN 5 THEN 2147483647
    ELSE 1 + pg_temp.pick(5) END $$;

CREATE FUNCTION pg_temp.rbigint() RETURNS bigint LANGUAGE sql AS $$
SELECT CASE pg_temp.pick(8)
    WHEN 0 THEN NULL WHEN 1 THEN -9223372036854775808 WHEN 2 THEN 9223372036854775807 WHEN 3 THEN 0
    ELSE pg_temp.pick(1000000) END $$;

CREATE FUNCTION pg_temp.rstage() RETURNS prio.stage LANGUAGE sql AS $$
SELECT (enum_range(NULL::prio.stage))[1 + pg_temp.pick(8)] $$;  -- index 8: NULL

-- arrays: the hostile shapes, and (most often) ascending ones of 1..8 elements
CREATE TEMP TABLE huge_breaks AS SELECT array_agg(g::float8 ORDER BY g) AS b FROM generate_series(1, 100000) g;
CREATE FUNCTION pg_temp.rbreaks() RETURNS double precision[] LANGUAGE sql AS $$
SELECT CASE pg_temp.pick(30)
    WHEN 0 THEN NULL WHEN 1 THEN '{}' WHEN 2 THEN '{{1,2},{3,4}}' WHEN 3 THEN '{{{1}}}'
    WHEN 4 THEN '{1,NULL,3}' WHEN 5 THEN '{NaN}' WHEN 6 THEN '{3,2,1}' WHEN 7 THEN '[0:1]={1,2}'
    WHEN 8 THEN '{-Infinity,Infinity}' WHEN 9 THEN '{Infinity,Infinity,Infinity,Infinity}'
    WHEN 10 THEN '{4.9406564584124654e-324,1e308}' WHEN 11 THEN '{NULL}'
    WHEN 12 THEN ARRAY[pg_temp.rf8(), pg_temp.rf8(), pg_temp.rf8(), pg_temp.rf8()]
    WHEN 13 THEN (SELECT b FROM huge_breaks WHERE pg_temp.pick(20) = 0)  -- rarely huge, else NULL
    ELSE (SELECT array_agg(x ORDER BY x) FROM (SELECT (random() * 1000)::float8 AS x
                                                 FROM generate_series(1, 1 + pg_temp.pick(8))) s) END $$;

-- prio.facts / prio.customers / prio.settings rows: ordinary fields mostly, hostile sometimes
CREATE FUNCTION pg_temp.ok_or(p integer, ordinary anyelement, hostile anyelement) RETURNS anyelement LANGUAGE sql AS
$$ SELECT CASE WHEN pg_temp.pick(p) = 0 THEN hostile ELSE ordinary END $$;

CREATE FUNCTION pg_temp.rfacts() RETURNS prio.facts LANGUAGE sql AS $$
SELECT CASE WHEN pg_temp.pick(12) = 0 THEN NULL ELSE
       ROW(pg_temp.ok_or(6, 1::bigint, pg_temp.rbigint()),
           pg_temp.ok_or(4, '2024-05-01 00:00:00+00'::timestamptz, pg_temp.rts()),
           pg_temp.ok_or(4, '2024-05-20 00:00:00+00'::timestamptz, pg_temp.rts()),
           pg_temp.ok_or(4, '2024-05-19 00:00:00+00'::timestamptz, pg_temp.rts()),
           pg_temp.ok_or(4, '2024-05-20 00:00:00+00'::timestamptz, pg_temp.rts()),
           pg_temp.ok_or(4, '2024-05-10 00:00:00+00'::timestamptz, pg_temp.rts()),
           pg_temp.ok_or(4, 3::bigint, pg_temp.rbigint()),
           pg_temp.ok_or(4, 250.5::numeric, pg_temp.rnum()),
           pg_temp.ok_or(4, 4.2::float8, pg_temp.rf8()),
           pg_temp.ok_or(4, '2024-05-20 00:00:00+00'::timestamptz, pg_temp.rts()),
           pg_temp.ok_or(3, 'engaged'::prio.stage, pg_temp.rstage()),
           pg_temp.ok_or(4, '2024-05-02 00:00:00+00'::timestamptz, pg_temp.rts()),
           pg_temp.ok_or(4, 2::bigint, pg_temp.rbigint()),
           pg_temp.ok_or(4, 100.25::numeric, pg_temp.rnum()))::prio.facts END $$;

CREATE FUNCTION pg_temp.rcustomer() RETURNS prio.customers LANGUAGE sql AS $$
SELECT CASE WHEN pg_temp.pick(15) = 0 THEN NULL ELSE
       ROW(pg_temp.rbigint(), 'n', 'o', NULL, pg_temp.rbool(), pg_temp.rbool(), pg_temp.rbool(), pg_temp.rbool(),
           pg_temp.ok_or(5, '2024-01-01 00:00:00+00'::timestamptz, pg_temp.rts()), '{}'::jsonb, NULL, NULL)::prio.customers END $$;

CREATE FUNCTION pg_temp.rsettings() RETURNS prio.settings LANGUAGE sql AS $$
SELECT CASE WHEN pg_temp.pick(15) = 0 THEN NULL ELSE
       ROW(true,
           pg_temp.ok_or(4, '{7,30,90,180}'::float8[], pg_temp.rbreaks()),
           pg_temp.ok_or(4, '{1,2,3,5}'::float8[], pg_temp.rbreaks()),
           pg_temp.ok_or(4, '{100,500,1000,5000}'::float8[], pg_temp.rbreaks()),
           pg_temp.ok_or(8, '14 days'::interval, pg_temp.rinterval()),
           pg_temp.ok_or(8, '30 days'::interval, pg_temp.rinterval()),
           pg_temp.ok_or(8, '90 days'::interval, pg_temp.rinterval()),
           pg_temp.ok_or(8, '3 days'::interval, pg_temp.rinterval()),
           pg_temp.ok_or(8, '2 days'::interval, pg_temp.rinterval()),
           pg_temp.ok_or(8, '5 days'::interval, pg_temp.rinterval()),
           pg_temp.ok_or(8, '5 days'::interval, pg_temp.rinterval()),
           pg_temp.ok_or(8, '14 days'::interval, pg_temp.rinterval()),
           pg_temp.ok_or(8, 4, pg_temp.rint()),
           pg_temp.ok_or(8, 3, pg_temp.rint()),
           pg_temp.ok_or(8, 3::float8, pg_temp.rf8()),
           pg_temp.ok_or(10, 70::float8, pg_temp.rf8()),
           pg_temp.ok_or(10, 12::float8, pg_temp.rf8()),
           pg_temp.ok_or(10, 6::float8, pg_temp.rf8()),
           pg_temp.ok_or(10, 8::float8, pg_temp.rf8()),
           pg_temp.ok_or(10, 4::float8, pg_temp.rf8()),
           false, 12, 0.01::float8, '1 day'::interval, 30,
           pg_temp.ok_or(2, NULL::float8, pg_temp.ok_or(3, 500::float8, pg_temp.rf8())),
           -- 0.5: reply term, re-activation cadences, the funnel weight
           pg_temp.ok_or(8, 2::float8, pg_temp.rf8()),
           pg_temp.ok_or(8, '1 day'::interval, pg_temp.rinterval()),
           pg_temp.ok_or(8, '30 days'::interval, pg_temp.rinterval()),
           pg_temp.ok_or(8, '90 days'::interval, pg_temp.rinterval()),
           pg_temp.ok_or(10, 150::float8, pg_temp.rf8()))::prio.settings END $$;

-- CLV inputs.  Positive extremes (denormal to DBL_MAX) for the model parameters
-- and the times, whole numbers too large to count for x.
CREATE FUNCTION pg_temp.rposx() RETURNS double precision LANGUAGE sql AS $$
SELECT CASE pg_temp.pick(10)
    WHEN 0 THEN 4.9406564584124654e-324 WHEN 1 THEN 2.2250738585072014e-308 WHEN 2 THEN 1e-100
    WHEN 3 THEN 1e-8 WHEN 4 THEN 1e8 WHEN 5 THEN 1e15 WHEN 6 THEN 1e100 WHEN 7 THEN 1e308
    WHEN 8 THEN 1.7976931348623157e308 ELSE 1 + 1e-12 END $$;

-- a model parameter: mostly ordinary (e^-3 .. e^3), sometimes extreme or hostile
CREATE FUNCTION pg_temp.rpar(scale double precision) RETURNS double precision LANGUAGE sql AS $$
SELECT CASE pg_temp.pick(10) WHEN 0 THEN pg_temp.rf8() WHEN 1 THEN pg_temp.rposx()
       ELSE scale * exp((random() - 0.5) * 6) END $$;

-- fitted parameters as the types hold them (only r, alpha, a, b / p, q, v are read)
CREATE FUNCTION pg_temp.rbgnbd() RETURNS prio.bgnbd LANGUAGE sql AS $$
SELECT CASE WHEN pg_temp.pick(20) = 0 THEN NULL ELSE
       ROW(pg_temp.rpar(1), pg_temp.rpar(5), pg_temp.rpar(1), pg_temp.rpar(1),
           pg_temp.rf8(), pg_temp.rbigint())::prio.bgnbd END $$;
CREATE FUNCTION pg_temp.rgg() RETURNS prio.gammagamma LANGUAGE sql AS $$
SELECT CASE WHEN pg_temp.pick(20) = 0 THEN NULL ELSE
       ROW(pg_temp.rpar(3), pg_temp.rpar(3), pg_temp.rpar(20),
           pg_temp.rf8(), pg_temp.rbigint())::prio.gammagamma END $$;

-- a time in model units that is not ordinary
CREATE FUNCTION pg_temp.rtime() RETURNS double precision LANGUAGE sql AS $$
SELECT CASE pg_temp.pick(3) WHEN 0 THEN pg_temp.rf8() WHEN 1 THEN pg_temp.rposx() ELSE 0 END $$;

-- a repeat-purchase count that is not ordinary
CREATE FUNCTION pg_temp.rx() RETURNS double precision LANGUAGE sql AS $$
SELECT CASE pg_temp.pick(9)
    WHEN 0 THEN 1e6 WHEN 1 THEN 1e12 WHEN 2 THEN 9007199254740992 WHEN 3 THEN 1e308
    WHEN 4 THEN 1.5 WHEN 5 THEN 255 WHEN 6 THEN 256
    ELSE pg_temp.rf8() END $$;

-- one customer (x, t_x, T): consistent, each part hostile with probability 1/h
CREATE FUNCTION pg_temp.rcust(h integer) RETURNS double precision[] LANGUAGE plpgsql AS $$
DECLARE
    x double precision := pg_temp.ok_or(h, floor(-ln(1 - random()) * 1.2), pg_temp.rx());  -- mostly 0, 1, 2
    tt double precision := pg_temp.ok_or(h, (random() * 52)::float8, pg_temp.rtime());
    tx double precision := CASE WHEN x = 0 THEN 0 WHEN NOT (abs(tt) BETWEEN 1e-300 AND 1e300) THEN tt
                                ELSE random() * tt END;  -- no float8 underflow error
BEGIN
    RETURN ARRAY[x, pg_temp.ok_or(h, tx, pg_temp.rtime()), tt];
END $$;

-- a purchase amount: ordinary, or hostile including ones whose sums overflow
CREATE FUNCTION pg_temp.ramount(h integer) RETURNS numeric LANGUAGE sql AS $$
SELECT CASE WHEN pg_temp.pick(h) <> 0 THEN round((random() * 500)::numeric, 2)
       ELSE CASE pg_temp.pick(4) WHEN 0 THEN 1e308 WHEN 1 THEN -1e308 WHEN 2 THEN 1.7976931348623157e308
            ELSE pg_temp.rnum() END END $$;

------------------------------------------------------------------------
-- The fuzz loop: every call in its own subtransaction
------------------------------------------------------------------------
CREATE FUNCTION pg_temp.fuzz(rounds integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    i integer;
    n integer;
    st text;
    vi integer;
    vf double precision;
    vt text;
    vb boolean;
    vs prio.stage;
    vr prio.rfm_summary;
    vfacts prio.facts;
    ve prio.evaluation;
    vset prio.settings;
    ts_a timestamptz[];
    f8_a double precision[];
    num_a numeric[];
    iv_a interval[];
    bool_a boolean[];
    stage_a prio.stage[];
    id_a bigint[];
BEGIN
    FOR i IN 1 .. rounds LOOP
        -- bant_count
        BEGIN
            vi := prio.bant_count(pg_temp.rbool(), pg_temp.rbool(), pg_temp.rbool(), pg_temp.rbool());
            st := '00000';
            IF vi IS NULL OR NOT vi BETWEEN 0 AND 4 THEN
                INSERT INTO fuzz_bad VALUES ('bant_count', format('%s', vi));
            END IF;
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('bant_count', st);

        -- rfm_score, 2 or 3 arguments
        BEGIN
            vf := pg_temp.rf8();
            f8_a := pg_temp.rbreaks();
            IF pg_temp.pick(2) = 0 THEN
                vi := prio.rfm_score(vf, f8_a);
            ELSE
                vi := prio.rfm_score(vf, f8_a, pg_temp.rbool());
            END IF;
            st := '00000';
            IF vf IS NOT NULL AND NOT vi BETWEEN 1 AND cardinality(f8_a) + 1 THEN
                INSERT INTO fuzz_bad VALUES ('rfm_score', format('%s for %s', vi, vf));
            END IF;
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('rfm_score', st);

        -- rfm aggregate over 0..5 random rows
        n := pg_temp.pick(6);
        ts_a := ARRAY(SELECT pg_temp.rts() FROM generate_series(1, n));
        num_a := ARRAY(SELECT pg_temp.rnum() FROM generate_series(1, n));
        BEGIN
            vr := (SELECT prio.rfm(t, a) FROM unnest(ts_a, num_a) u(t, a));
            st := '00000';
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('rfm', st);

        -- intent aggregate over 0..5 random rows (half-life and as_of may vary per row)
        n := pg_temp.pick(6);
        ts_a := ARRAY(SELECT pg_temp.rts() FROM generate_series(1, 2 * n));
        f8_a := ARRAY(SELECT pg_temp.rf8() FROM generate_series(1, n));
        iv_a := ARRAY(SELECT pg_temp.ok_or(3, '14 days'::interval, pg_temp.rinterval()) FROM generate_series(1, n));
        BEGIN
            SELECT prio.intent(t, w, h, a) INTO vf
              FROM unnest(ts_a[1:n], f8_a, iv_a, ts_a[n + 1:2 * n]) u(t, w, h, a);
            st := '00000';
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('intent', st);

        -- rfm_segment
        BEGIN
            vt := prio.rfm_segment(pg_temp.rint(), pg_temp.rint(), pg_temp.rint());
            st := '00000';
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('rfm_segment', st);

        -- next_stage
        BEGIN
            vs := prio.next_stage(pg_temp.rstage(), pg_temp.rstage(), pg_temp.rbool());
            st := '00000';
            IF vs IS NULL OR vs = 'silent' THEN
                INSERT INTO fuzz_bad VALUES ('next_stage', format('%s', vs));
            END IF;
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('next_stage', st);

        -- effective_stage
        BEGIN
            vs := prio.effective_stage(pg_temp.rstage(), pg_temp.rts(), pg_temp.rts(),
                                       pg_temp.rinterval(), pg_temp.rinterval());
            st := '00000';
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('effective_stage', st);

        -- decayed
        BEGIN
            vf := prio.decayed(pg_temp.rf8(), pg_temp.rts(), pg_temp.rinterval(), pg_temp.rts());
            st := '00000';
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('decayed', st);

        -- recency_days
        BEGIN
            vf := prio.recency_days(pg_temp.rts(), pg_temp.rts());
            st := '00000';
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('recency_days', st);

        -- check_breaks
        BEGIN
            vb := prio.check_breaks(pg_temp.rbreaks());
            st := '00000';
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('check_breaks', st);

        -- fold aggregate over 0..6 random activities, from a random start (or NULL)
        n := pg_temp.pick(7);
        ts_a := ARRAY(SELECT pg_temp.ok_or(4, '2024-05-01 00:00:00+00'::timestamptz + pg_temp.pick(40) * interval '1 day',
                                           pg_temp.rts()) FROM generate_series(1, n));
        bool_a := ARRAY(SELECT pg_temp.ok_or(6, random() < 0.5, pg_temp.rbool()) FROM generate_series(1, 2 * n));
        stage_a := ARRAY(SELECT pg_temp.rstage() FROM generate_series(1, n));
        f8_a := ARRAY(SELECT pg_temp.ok_or(4, (random() * 4)::float8, pg_temp.rf8()) FROM generate_series(1, n));
        num_a := ARRAY(SELECT pg_temp.ok_or(4, 100::numeric, pg_temp.rnum()) FROM generate_series(1, n));
        iv_a := ARRAY(SELECT pg_temp.ok_or(4, '14 days'::interval, pg_temp.rinterval()) FROM generate_series(1, n));
        id_a := ARRAY(SELECT pg_temp.ok_or(6, 7::bigint, pg_temp.rbigint()) FROM generate_series(1, n));
        vfacts := pg_temp.ok_or(2, NULL::prio.facts, pg_temp.rfacts());
        BEGIN
            vfacts := (SELECT prio.fold(vfacts, c, t, inb, ks, ip, w, a, h ORDER BY t)
                         FROM unnest(id_a, ts_a, bool_a[1:n], stage_a, bool_a[n + 1:2 * n], f8_a, num_a, iv_a)
                              u(c, t, inb, ks, ip, w, a, h));
            st := '00000';
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('fold', st);
        -- 0.5's fold: revives and the reply term's weight and half-life too
        BEGIN
            vfacts := (SELECT prio.fold(vfacts, c, t, inb, ks, ip, w, a, h, c, rv,
                                        pg_temp.ok_or(4, 2::float8, pg_temp.rf8()),
                                        pg_temp.ok_or(4, '1 day'::interval, pg_temp.rinterval()) ORDER BY t)
                         FROM unnest(id_a, ts_a, bool_a[1:n], stage_a, bool_a[n + 1:2 * n], f8_a, num_a, iv_a,
                                     ARRAY(SELECT pg_temp.ok_or(6, random() < 0.5, pg_temp.rbool()) FROM generate_series(1, n)))
                              u(c, t, inb, ks, ip, w, a, h, rv));
            st := '00000';
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('fold', st);

        -- evaluate
        BEGIN
            vfacts := pg_temp.rfacts();
            vset := pg_temp.rsettings();
            ve := prio.evaluate(vfacts, pg_temp.rcustomer(), vset,
                                pg_temp.ok_or(4, '{7,30,90,180}'::float8[], pg_temp.rbreaks()),
                                pg_temp.ok_or(4, '{1,2,3,5}'::float8[], pg_temp.rbreaks()),
                                pg_temp.ok_or(4, '{100,500,1000,5000}'::float8[], pg_temp.rbreaks()),
                                pg_temp.ok_or(4, '2024-06-01 00:00:00+00'::timestamptz, pg_temp.rts()),
                                -- the CLV models (value from CLV when the settings set value_min_clv)
                                pg_temp.ok_or(3, NULL::prio.bgnbd, pg_temp.rbgnbd()),
                                pg_temp.ok_or(3, NULL::prio.gammagamma, pg_temp.rgg()));
            st := '00000';
            -- documented ranges: tier A-D, priority 0-100, points 0-1, bant 0-4
            IF NOT (ve.tier IN ('A', 'B', 'C', 'D') AND ve.priority BETWEEN 0 AND 100
                    AND ve.bant BETWEEN 0 AND 4
                    AND ve.p_tier BETWEEN 0 AND 1 AND ve.p_rfm BETWEEN 0 AND 1 AND ve.p_bant BETWEEN 0 AND 1
                    AND ve.p_intent BETWEEN 0 AND 1 AND ve.p_stage BETWEEN 0 AND 1) THEN
                INSERT INTO fuzz_bad VALUES ('evaluate', format('priority %s, points %s/%s/%s/%s/%s; facts.intent %s, weights %s/%s/%s/%s/%s',
                    ve.priority, ve.p_tier, ve.p_rfm, ve.p_bant, ve.p_intent, ve.p_stage, vfacts.intent,
                    vset.weight_tier, vset.weight_rfm, vset.weight_bant, vset.weight_intent, vset.weight_stage));
            END IF;
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('evaluate', st);
    END LOOP;
END $$;

------------------------------------------------------------------------
-- The CLV fuzz loop (after the one above, so that its calls are unchanged)
------------------------------------------------------------------------
CREATE FUNCTION pg_temp.fuzz_clv(rounds integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    i integer;
    n integer;
    h integer;
    st text;
    vf double precision;
    vsum prio.btyd_summary;
    vbg prio.bgnbd;
    vgg prio.gammagamma;
    c double precision[];
    c_a double precision[];
    ts_a timestamptz[];
    num_a numeric[];
    iv_a interval[];
    f8_a double precision[];
    cut timestamptz;
    unit interval;
BEGIN
    FOR i IN 1 .. rounds LOOP
        -- clv_summary over 0..7 purchases: one cut-off and unit per customer
        -- mostly, sometimes another on a row; times around the cut-off mostly
        h := CASE WHEN pg_temp.pick(2) = 0 THEN 4 ELSE 1000000 END;
        n := pg_temp.pick(8);
        cut := pg_temp.ok_or(h, '2024-06-01 00:00:00+00'::timestamptz, pg_temp.rts());
        unit := pg_temp.ok_or(h, '1 day'::interval, pg_temp.rinterval());
        ts_a := ARRAY(SELECT pg_temp.ok_or(h, '2024-06-01 00:00:00+00'::timestamptz - random() * interval '400 days',
                                           pg_temp.rts()) FROM generate_series(1, n))
                || ARRAY(SELECT pg_temp.ok_or(2 * h, cut, pg_temp.rts()) FROM generate_series(1, 2 * n));
        num_a := ARRAY(SELECT pg_temp.ramount(h) FROM generate_series(1, n));
        iv_a := ARRAY(SELECT pg_temp.ok_or(2 * h, unit, pg_temp.rinterval()) FROM generate_series(1, n));
        BEGIN
            vsum := (SELECT prio.clv_summary(t, a, co, u)
                       FROM unnest(ts_a[1:n], num_a, ts_a[n + 1:2 * n], iv_a) u(t, a, co, u));
            st := '00000';
            IF vsum IS NOT NULL AND NOT (vsum.x >= 0 AND vsum.t_x >= 0 AND vsum.t_x <= vsum."T"
                                         AND vsum."T" < 'Infinity' AND vsum.mean_value > '-Infinity'
                                         AND vsum.mean_value < 'Infinity') THEN
                INSERT INTO fuzz_bad VALUES ('clv_summary', format('%s', vsum));
            END IF;
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('clv_summary', st);

        -- clv_summary, three arguments (weeks)
        BEGIN
            vsum := (SELECT prio.clv_summary(t, a, co)
                       FROM unnest(ts_a[1:n], num_a, ts_a[2 * n + 1:3 * n]) u(t, a, co));
            st := '00000';
            IF vsum IS NOT NULL AND NOT (vsum.x >= 0 AND vsum.t_x >= 0 AND vsum.t_x <= vsum."T"
                                         AND vsum."T" < 'Infinity' AND vsum.mean_value > '-Infinity'
                                         AND vsum.mean_value < 'Infinity') THEN
                INSERT INTO fuzz_bad VALUES ('clv_summary3', format('%s', vsum));
            END IF;
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('clv_summary3', st);

        -- bgnbd_fit over 0..24 customers, all ordinary half the time
        h := CASE WHEN pg_temp.pick(2) = 0 THEN 20 ELSE 1000000 END;
        n := CASE WHEN pg_temp.pick(4) = 0 THEN pg_temp.pick(5) ELSE 4 + pg_temp.pick(21) END;
        c_a := ARRAY(SELECT pg_temp.rcust(h) FROM generate_series(1, n));
        BEGIN
            vbg := (SELECT prio.bgnbd_fit(c_a[k][1], c_a[k][2], c_a[k][3]) FROM generate_subscripts(c_a, 1) k);
            st := '00000';
            IF NOT (vbg.r > 0 AND vbg.alpha > 0 AND vbg.a > 0 AND vbg.b > 0
                    AND vbg.r < 'Infinity' AND vbg.alpha < 'Infinity' AND vbg.a < 'Infinity' AND vbg.b < 'Infinity'
                    AND vbg.log_likelihood > '-Infinity' AND vbg.log_likelihood < 'Infinity' AND vbg.n >= 4) THEN
                INSERT INTO fuzz_bad VALUES ('bgnbd_fit', format('%s', vbg));
            END IF;
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('bgnbd_fit', st);

        -- gammagamma_fit over 0..24 (x, mean_value)
        f8_a := ARRAY(SELECT pg_temp.ok_or(h, (random() * 100)::float8,
                                           CASE WHEN random() < 0.5 THEN pg_temp.rf8() ELSE pg_temp.rposx() END)
                        FROM generate_series(1, n));
        BEGIN
            vgg := (SELECT prio.gammagamma_fit(c_a[k][1], f8_a[k]) FROM generate_subscripts(c_a, 1) k);
            st := '00000';
            IF NOT (vgg.p > 0 AND vgg.q > 0 AND vgg.v > 0
                    AND vgg.p < 'Infinity' AND vgg.q < 'Infinity' AND vgg.v < 'Infinity'
                    AND vgg.log_likelihood > '-Infinity' AND vgg.log_likelihood < 'Infinity' AND vgg.n >= 3) THEN
                INSERT INTO fuzz_bad VALUES ('gammagamma_fit', format('%s', vgg));
            END IF;
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('gammagamma_fit', st);

        -- p_alive
        c := pg_temp.rcust(6);
        BEGIN
            vbg := pg_temp.rbgnbd();
            vf := prio.p_alive(vbg, c[1], c[2], c[3]);
            st := '00000';
            IF NOT vf BETWEEN 0 AND 1 THEN
                INSERT INTO fuzz_bad VALUES ('p_alive', format('%s for %s, %s', vf, vbg, c));
            END IF;
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('p_alive', st);

        -- expected_purchases, conditional
        c := pg_temp.rcust(6);
        BEGIN
            vbg := pg_temp.rbgnbd();
            vf := pg_temp.ok_or(5, (random() * 100)::float8, pg_temp.rtime());
            vf := prio.expected_purchases(vbg, vf, c[1], c[2], c[3]);
            st := '00000';
            IF NOT (vf >= 0 AND vf < 'Infinity') THEN
                INSERT INTO fuzz_bad VALUES ('expected_purchases', format('%s for %s, %s', vf, vbg, c));
            END IF;
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('expected_purchases', st);

        -- expected_purchases, conditional, with each parameter anywhere in e^-20 .. e^20
        -- (the range a fit can return) or extreme: where its 2F1 loses digits
        c := pg_temp.rcust(1000000);
        BEGIN
            vbg := ROW(exp((random() - 0.5) * 40), exp((random() - 0.5) * 40),
                       pg_temp.ok_or(4, exp((random() - 0.5) * 40), pg_temp.rposx()),
                       pg_temp.ok_or(4, exp((random() - 0.5) * 40), pg_temp.rposx()), 0, 1)::prio.bgnbd;
            vf := prio.expected_purchases(vbg, (random() * 100)::float8, c[1], c[2], c[3]);
            st := '00000';
            IF NOT (vf >= 0 AND vf < 'Infinity') THEN
                INSERT INTO fuzz_bad VALUES ('expected_purchases', format('%s for %s, %s', vf, vbg, c));
            END IF;
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('expected_purchases', st);

        -- expected_purchases, new customer
        BEGIN
            vbg := pg_temp.rbgnbd();
            vf := prio.expected_purchases(vbg, pg_temp.ok_or(5, (random() * 100)::float8, pg_temp.rtime()));
            st := '00000';
            IF NOT (vf >= 0 AND vf < 'Infinity') THEN
                INSERT INTO fuzz_bad VALUES ('expected_purchases_new', format('%s for %s', vf, vbg));
            END IF;
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('expected_purchases_new', st);

        -- expected_spend
        c := pg_temp.rcust(6);
        vf := pg_temp.ok_or(6, (random() * 100)::float8, CASE WHEN random() < 0.5 THEN pg_temp.rf8() ELSE pg_temp.rposx() END);
        BEGIN
            vgg := pg_temp.rgg();
            vf := prio.expected_spend(vgg, c[1], vf);
            st := '00000';
            IF NOT (vf >= 0 AND vf < 'Infinity') THEN
                INSERT INTO fuzz_bad VALUES ('expected_spend', format('%s for %s, x %s', vf, vgg, c[1]));
            END IF;
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('expected_spend', st);

        -- clv, with and without period; horizons long only rarely (each period costs a 2F1)
        c := pg_temp.rcust(8);
        vf := pg_temp.ok_or(6, (random() * 100)::float8, CASE WHEN random() < 0.5 THEN pg_temp.rf8() ELSE pg_temp.rposx() END);
        n := pg_temp.ok_or(5, pg_temp.pick(25),
                           CASE pg_temp.pick(8) WHEN 0 THEN NULL WHEN 1 THEN -1 WHEN 2 THEN 10001
                                WHEN 3 THEN -2147483648 WHEN 4 THEN 2147483647
                                WHEN 5 THEN (CASE WHEN pg_temp.pick(10) = 0 THEN 10000 ELSE 500 END)
                                ELSE 0 END);
        BEGIN
            vbg := pg_temp.rbgnbd();
            vgg := pg_temp.rgg();
            IF pg_temp.pick(2) = 0 THEN
                vf := prio.clv(vbg, vgg, c[1], c[2], c[3], vf, n,
                               pg_temp.ok_or(5, 0.01::float8, CASE pg_temp.pick(3) WHEN 0 THEN -1 WHEN 1 THEN -0.999999 ELSE pg_temp.rf8() END));
            ELSE
                vf := prio.clv(vbg, vgg, c[1], c[2], c[3], vf, n,
                               pg_temp.ok_or(5, 0.01::float8, CASE pg_temp.pick(3) WHEN 0 THEN -1 WHEN 1 THEN -0.999999 ELSE pg_temp.rf8() END),
                               pg_temp.ok_or(4, 4.345::float8, pg_temp.rtime()));
            END IF;
            st := '00000';
            IF NOT (vf > '-Infinity' AND vf < 'Infinity') THEN
                INSERT INTO fuzz_bad VALUES ('clv', format('%s for %s, %s, %s, horizon %s', vf, vbg, vgg, c, n));
            END IF;
        EXCEPTION WHEN OTHERS THEN st := SQLSTATE; END;
        INSERT INTO fuzz_log VALUES ('clv', st);
    END LOOP;
END $$;

SELECT pg_temp.fuzz(coalesce(nullif(current_setting('prio.fuzz_rounds', true), '')::integer, 8500));
SELECT pg_temp.fuzz_clv(coalesce(nullif(current_setting('prio.fuzz_rounds', true), '')::integer, 8500) / 4);

------------------------------------------------------------------------
-- Verdicts
------------------------------------------------------------------------
SELECT diag(fn || ': ' || string_agg(state || ' x' || n, ', ' ORDER BY state))
  FROM (SELECT fn, state, count(*) AS n FROM fuzz_log GROUP BY fn, state) s
 GROUP BY fn ORDER BY fn;
SELECT diag('all: ' || string_agg(state || ' x' || n, ', ' ORDER BY state))
  FROM (SELECT state, count(*) AS n FROM fuzz_log GROUP BY state) s;

SELECT cmp_ok((SELECT count(*) FROM fuzz_log), '>=', 100000::bigint, 'at least 100,000 calls');
SELECT is((SELECT count(*) FROM fuzz_log WHERE state = 'XX000'), 0::bigint, 'no internal error (XX000)');
SELECT is((SELECT string_agg(DISTINCT state, ', ') FROM fuzz_log
            WHERE state <> '00000' AND left(state, 2) NOT IN ('22', '23', '2F', '0A', '42', '54')),
          NULL, 'every error is of class 22, 23, 2F, 0A, 42 or 54');
-- each function was exercised, succeeded often, and refused something (except the total ones)
SELECT cmp_ok((SELECT count(*) FROM fuzz_log WHERE fn = f AND state = '00000'), '>=', 1000::bigint,
              f || ': at least 1000 successful calls')
  FROM unnest(ARRAY['bant_count', 'rfm_score', 'rfm', 'intent', 'rfm_segment', 'next_stage', 'effective_stage',
                    'decayed', 'recency_days', 'check_breaks', 'fold', 'evaluate']) f;
SELECT cmp_ok((SELECT count(*) FROM fuzz_log WHERE fn = f AND state <> '00000'), '>=', 100::bigint,
              f || ': at least 100 refused calls')
  FROM unnest(ARRAY['rfm_score', 'intent', 'rfm_segment', 'next_stage', 'effective_stage',
                    'decayed', 'check_breaks', 'fold', 'evaluate']) f;
SELECT is((SELECT count(*) FROM fuzz_log WHERE fn IN ('bant_count', 'recency_days', 'rfm') AND state <> '00000'),
          0::bigint, 'bant_count, recency_days and rfm accept every input');
-- the CLV functions, the same way (their fits succeed less often: random customers rarely fit)
SELECT cmp_ok((SELECT count(*) FROM fuzz_log WHERE fn IN (SELECT unnest(clv_fns) FROM clv_fns)), '>=', 20000::bigint,
              'at least 20,000 calls of the CLV functions')
  FROM clv_fns;
SELECT cmp_ok((SELECT count(*) FROM fuzz_log WHERE fn = f AND state = '00000'), '>=', 250::bigint,
              f || ': at least 250 successful calls')
  FROM clv_fns, unnest(clv_fns) f;
SELECT cmp_ok((SELECT count(*) FROM fuzz_log WHERE fn = f AND state <> '00000'), '>=', 250::bigint,
              f || ': at least 250 refused calls')
  FROM clv_fns, unnest(clv_fns) f;
SELECT diag('out of range: ' || fn || ' x' || count(*) || ', e.g. ' || min(what)) FROM fuzz_bad GROUP BY fn ORDER BY fn;
SELECT is((SELECT count(*) FROM fuzz_bad WHERE fn IN ('bant_count', 'rfm_score', 'next_stage')), 0::bigint,
          'bant_count 0..4, rfm_score 1..n+1, next_stage never silent');
SELECT is((SELECT count(*) FROM fuzz_bad WHERE fn IN (SELECT unnest(clv_fns) FROM clv_fns)), 0::bigint,
          'CLV: p_alive 0..1, expected purchases and spend finite >= 0, clv finite, fits positive, summaries consistent');
SELECT is((SELECT count(*) FROM fuzz_bad WHERE fn = 'evaluate'), 0::bigint,
          'evaluate: tier A-D, priority 0..100, points 0..1 whenever it returns');
SELECT is(pg_backend_pid(), (SELECT pid FROM t0), 'same backend as at the start');
SELECT is(pg_postmaster_start_time(), (SELECT started FROM t0), 'postmaster not restarted');
SELECT ok((SELECT count(*) FROM prio.settings) = 1, 'prio still answers');

SELECT * FROM finish();
ROLLBACK;
