-- pgTAP: behaviour and documented errors of the scoring primitives.
BEGIN;
SELECT plan(42);

-- bant_count
SELECT is(prio.bant_count(true, true, true, true), 4, 'bant_count: all four met');
SELECT is(prio.bant_count(true, NULL, false, true), 2, 'bant_count: NULL and FALSE are not met');
SELECT is(prio.bant_count(NULL, NULL, NULL, NULL), 0, 'bant_count: nothing known gives 0, not NULL');
SELECT volatility_is('prio', 'bant_count', ARRAY['boolean','boolean','boolean','boolean'], 'immutable', 'bant_count is IMMUTABLE');

-- rfm_score
SELECT is(prio.rfm_score(25, '{10,20,30,40}'), 3, 'rfm_score: two breaks below 25 -> 3');
SELECT is(prio.rfm_score(25, '{10,20,30,40}', false), 3, 'rfm_score lower-is-better: 5 - 2 = 3');
SELECT is(prio.rfm_score(3, '{10,20,30,40}', false), 5, 'rfm_score: 3 days since purchase is the best recency');
SELECT is(prio.rfm_score(10, '{10,20,30,40}'), 1, 'rfm_score: a value equal to a break is not above it');
SELECT is(prio.rfm_score(7, '{7,7,7}'), 1, 'rfm_score: tied breaks');
SELECT is(prio.rfm_score('Infinity', '{1,2}'), 3, 'rfm_score: +Infinity is above every finite break');
SELECT is(prio.rfm_score('-Infinity', '{1,2}', false), 3, 'rfm_score: -Infinity lower-is-better is best');
SELECT is(prio.rfm_score(NULL, '{1,2}'), NULL, 'rfm_score: NULL value gives NULL');
SELECT throws_ok($$SELECT prio.rfm_score(1, NULL)$$, '22023', 'breaks must not be NULL', 'rfm_score: NULL breaks');
SELECT throws_ok($$SELECT prio.rfm_score(1, '{}')$$, '22023', 'breaks must not be empty', 'rfm_score: empty breaks');
SELECT throws_ok($$SELECT prio.rfm_score(1, '{1,NULL}')$$, '22023', 'breaks must not contain NULL', 'rfm_score: NULL in breaks');
SELECT throws_ok($$SELECT prio.rfm_score(1, '{NaN}')$$, '22023', 'breaks must not contain NaN', 'rfm_score: NaN in breaks');
SELECT throws_ok($$SELECT prio.rfm_score(1, '{2,1}')$$, '22023', 'breaks must be in ascending order', 'rfm_score: unsorted breaks');
SELECT throws_ok($$SELECT prio.rfm_score('NaN', '{1}')$$, '22023', 'value must not be NaN', 'rfm_score: NaN value');
SELECT throws_ok($$SELECT prio.rfm_score(1, '{{1,2},{3,4}}')$$, '22023', 'breaks must be a one-dimensional array', 'rfm_score: 2-D breaks');
SELECT throws_ok($$SELECT prio.rfm_score(1, '{1,2}', NULL)$$, '22004', 'higher_is_better must not be NULL', 'rfm_score: NULL flag');

-- rfm aggregate
SELECT is((SELECT (prio.rfm(at, amount)).frequency
             FROM (VALUES (now(), 1::numeric), (NULL, 2), (now(), NULL)) v(at, amount)),
          2::bigint, 'rfm: NULL at is skipped');
SELECT is((SELECT (prio.rfm(at, amount)).monetary
             FROM (VALUES (now(), 0.1::numeric), (now(), 0.2), (now(), NULL)) v(at, amount)),
          0.3::numeric, 'rfm: exact numeric sum, NULL amount counts as 0');
SELECT is((SELECT prio.rfm(at, amount) FROM (VALUES (now(), 1::numeric)) v(at, amount) WHERE false),
          ROW(NULL, NULL, 0, 0)::prio.rfm_summary, 'rfm: no rows gives (NULL, NULL, 0, 0)');
SELECT is((SELECT aggcombinefn::text || '/' || aggserialfn::text || '/' || aggdeserialfn::text
             FROM pg_aggregate WHERE aggfnoid = 'prio.rfm(timestamptz, numeric)'::regprocedure),
          'prio.rfm_combine/prio.rfm_serialize/prio.rfm_deserialize', 'rfm: combinable and serializable');

-- intent aggregate
SELECT is((SELECT prio.intent(at, 4, '7 days', '2024-01-15') FROM (VALUES ('2024-01-01'::timestamptz)) v(at)),
          1::float8, 'intent: two half-lives leave a quarter');
SELECT is(prio.intent('2024-02-01', 4, '7 days', '2024-01-15'), 4::float8, 'intent: events after as_of count in full');
SELECT throws_ok($$SELECT prio.intent(now(), 1, '0 seconds', now())$$, '22023', NULL, 'intent: zero half_life');
SELECT throws_ok($$SELECT prio.intent(now(), 1, '-3 days', now())$$, '22023', NULL, 'intent: negative half_life');
SELECT throws_ok($$SELECT prio.intent(now(), 'NaN', '3 days', now())$$, '22023', NULL, 'intent: NaN weight');
SELECT throws_ok($$SELECT prio.intent(now(), 1, NULL, now())$$, '22004', NULL, 'intent: NULL half_life');
SELECT throws_ok($$SELECT prio.intent(now(), 1, '1 day', NULL)$$, '22004', NULL, 'intent: NULL as_of');
SELECT throws_ok($$SELECT prio.intent(now(), 'Infinity', '3 days', now())$$, '22023', NULL, 'intent: infinite weight');
SELECT throws_ok($$SELECT prio.intent(at, 1e308, '1 day', at) FROM (VALUES (now()), (now())) v(at)$$, '22003', NULL, 'intent: overflowing sum');
SELECT is((SELECT aggcombinefn::text FROM pg_aggregate
            WHERE aggfnoid = 'prio.intent(timestamptz, float8, interval, timestamptz)'::regprocedure),
          'float8pl', 'intent: combinable');

-- rfm_segment
SELECT is(prio.rfm_segment(5, 5, 5), 'Champions', 'rfm_segment: 5-5-5 is Champions');
SELECT is(prio.rfm_segment(1, 5, 5), 'Can''t Lose Them', 'rfm_segment: big spender gone quiet');
SELECT is(prio.rfm_segment(1, 1, 1), 'Lost', 'rfm_segment: 1-1-1 is Lost');
SELECT throws_ok($$SELECT prio.rfm_segment(0, 1, 1)$$, '22023', 'r score must be between 1 and 5, not 0', 'rfm_segment: r out of range');
SELECT throws_ok($$SELECT prio.rfm_segment(1, 1, 6)$$, '22023', 'm score must be between 1 and 5, not 6', 'rfm_segment: m out of range');
UPDATE prio.rfm_segments SET segment = 'Best' WHERE segment = 'Champions';
SELECT is(prio.rfm_segment(5, 5, 5), 'Best', 'rfm_segment: an UPDATE of the map shows at once');
SELECT throws_ok($$INSERT INTO prio.rfm_segments (position, segment, r_min, r_max) VALUES (1, 'x', 5, 1)$$,
                 '23514', NULL, 'rfm_segments: a rule with min > max is refused');
SELECT is((SELECT count(*) FROM prio.rfm_segments WHERE NOT builtin), 1::bigint,
          'rfm_segments: the changed row is no longer builtin (pg_dump keeps it)');

SELECT * FROM finish();
ROLLBACK;
