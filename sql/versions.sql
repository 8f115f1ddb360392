-- Versioned C entry points (issue 16 item 3).  The functions whose C code
-- depends on the schema or on their signature name one symbol per API
-- version (prio_evaluate_0_4, ...); an installed 0.1, 0.2 or 0.3 still
-- names the symbols of its frozen scripts, which this library keeps
-- (legacy.c), and must work on it before ALTER EXTENSION UPDATE exactly as
-- it did, and after the update exactly as a fresh install of 0.5.
\set VERBOSITY terse
SET client_min_messages = warning;
SET timezone = 'UTC';

-- What each install computed, by path; it outlives DROP EXTENSION.
CREATE TABLE versions_seen (install text, what text, fp text);

-- One transaction per install: now(), the insert trigger's as_of and every
-- evaluation share one time, so an install differs from another only by
-- what its functions compute.  :v names the install and step.
\set data 'INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need) SELECT g, ''Customer '' || g, ''rep'' || g % 3, g % 2 = 0, g % 3 = 0, g % 5 <> 0 FROM generate_series(1, 30) g; INSERT INTO prio.activities (customer_id, kind, at, amount) SELECT 1 + g % 30, (ARRAY[''purchase'', ''reply'', ''email'', ''meeting'', ''call''])[1 + g % 5], now() - (g * 7 % 200) * interval ''1 day'' - g * interval ''1 minute'', CASE WHEN g % 5 = 0 THEN g * 3 ELSE 0 END FROM generate_series(1, 300) g'

-- Every path, as a fingerprint each (times relative to now()):
-- state: what the insert trigger wrote
-- refold: prio.fold without and with activity_id equals the stored facts
-- evaluate: prio.evaluate (seven arguments) of the refolded facts
-- summary: prio.clv_summary in weeks and in days
\set paths 'INSERT INTO versions_seen SELECT :''v'', ''state'', string_agg(concat_ws(''/'', customer_id, tier, effective_stage, priority, r_score, f_score, m_score, bant, no_reply, value_high, intent_high, next_due_at - now(), round(intent::numeric, 9), frequency, monetary, rule), '','' ORDER BY customer_id) FROM prio.customer_state; INSERT INTO versions_seen SELECT :''v'', ''refold'', bool_and(x.f1::text = prio.stored_facts(s)::text AND x.f2::text = prio.stored_facts(s)::text)::text FROM (SELECT a.customer_id, prio.fold(NULL, a.customer_id, a.at, k.direction = ''inbound'', k.stage, k.is_purchase, k.intent_weight, a.amount, cfg.intent_half_life) AS f1, prio.fold(NULL, a.customer_id, a.at, k.direction = ''inbound'', k.stage, k.is_purchase, k.intent_weight, a.amount, cfg.intent_half_life, a.activity_id) AS f2 FROM prio.activities a JOIN prio.activity_kinds k USING (kind) CROSS JOIN prio.settings cfg GROUP BY a.customer_id, cfg.intent_half_life) x JOIN prio.customer_state s USING (customer_id); INSERT INTO versions_seen SELECT :''v'', ''evaluate'', string_agg(concat_ws(''/'', s.customer_id, (e).tier, (e).effective_stage, (e).priority, (e).rule, (e).next_due_at - now()), '','' ORDER BY s.customer_id) FROM (SELECT s.customer_id, prio.evaluate(prio.stored_facts(s), c, r.cfg, r.r_breaks, r.f_breaks, r.m_breaks, now()) AS e FROM prio.customer_state s JOIN prio.customers c USING (customer_id) CROSS JOIN prio.rule_config r) s; INSERT INTO versions_seen SELECT :''v'', ''summary'', string_agg(concat_ws(''/'', customer_id, w, d), '','' ORDER BY customer_id) FROM (SELECT a.customer_id, prio.clv_summary(a.at, a.amount, now()) AS w, prio.clv_summary(a.at, a.amount, now(), interval ''1 day'') AS d FROM prio.activities a JOIN prio.activity_kinds k USING (kind) WHERE k.is_purchase GROUP BY a.customer_id) x'
-- paths05: the same on 0.5 (an updated install too), whose prio.fold has
-- the kinds' revives and the reply term (issue 19 item 4)
\set paths05 'INSERT INTO versions_seen SELECT :''v'', ''state'', string_agg(concat_ws(''/'', customer_id, tier, effective_stage, priority, r_score, f_score, m_score, bant, no_reply, value_high, intent_high, next_due_at - now(), round(intent::numeric, 9), frequency, monetary, rule), '','' ORDER BY customer_id) FROM prio.customer_state; INSERT INTO versions_seen SELECT :''v'', ''refold'', bool_and(x.f1::text = prio.stored_facts(s)::text AND x.f2::text = prio.stored_facts(s)::text)::text FROM (SELECT a.customer_id, prio.fold(NULL, a.customer_id, a.at, k.direction = ''inbound'', k.stage, k.is_purchase, k.intent_weight, a.amount, cfg.intent_half_life, NULL, k.revives, cfg.reply_weight, cfg.reply_half_life) AS f1, prio.fold(NULL, a.customer_id, a.at, k.direction = ''inbound'', k.stage, k.is_purchase, k.intent_weight, a.amount, cfg.intent_half_life, a.activity_id, k.revives, cfg.reply_weight, cfg.reply_half_life) AS f2 FROM prio.activities a JOIN prio.activity_kinds k USING (kind) CROSS JOIN prio.settings cfg GROUP BY a.customer_id) x JOIN prio.customer_state s USING (customer_id); INSERT INTO versions_seen SELECT :''v'', ''evaluate'', string_agg(concat_ws(''/'', s.customer_id, (e).tier, (e).effective_stage, (e).priority, (e).rule, (e).next_due_at - now()), '','' ORDER BY s.customer_id) FROM (SELECT s.customer_id, prio.evaluate(prio.stored_facts(s), c, r.cfg, r.r_breaks, r.f_breaks, r.m_breaks, now()) AS e FROM prio.customer_state s JOIN prio.customers c USING (customer_id) CROSS JOIN prio.rule_config r) s; INSERT INTO versions_seen SELECT :''v'', ''summary'', string_agg(concat_ws(''/'', customer_id, w, d), '','' ORDER BY customer_id) FROM (SELECT a.customer_id, prio.clv_summary(a.at, a.amount, now()) AS w, prio.clv_summary(a.at, a.amount, now(), interval ''1 day'') AS d FROM prio.activities a JOIN prio.activity_kinds k USING (kind) WHERE k.is_purchase GROUP BY a.customer_id) x'

-- 0.1, 0.2 and 0.3 on this library: before the update their functions
-- name the old symbols; after it (in the same transaction, so at the same
-- now()) more activities go through the versioned ones
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio VERSION '0.1';
SELECT count(*) AS old_symbols FROM pg_proc
 WHERE pronamespace = 'prio'::regnamespace
   AND prosrc IN ('prio_activities_inserted', 'prio_evaluate_sql', 'prio_fold_accum', 'prio_clv_summary_accum');
-- bad input, on the old symbols: a NULL cut_off, a NULL or negative unit
SELECT prio.clv_summary(a, 1, NULL) FROM (VALUES (now())) v(a);
SELECT prio.clv_summary(a, 1, now(), NULL) FROM (VALUES (now())) v(a);
SELECT prio.clv_summary(a, 1, now(), interval '-1 day') FROM (VALUES (now())) v(a);
BEGIN;
\set v '0.1'
:data;
:paths;
ALTER EXTENSION prio UPDATE TO '0.5';
\set v '0.1 updated'
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 1 + g % 30, (ARRAY['purchase', 'meeting', 'reply', 'email'])[1 + g % 4], now() - g * interval '1 hour', 10
  FROM generate_series(1, 40) g;
:paths05;
-- the nine-argument evaluate, with the CLV models (none fitted)
SELECT count(*) = 30 AS evaluated_with_models
  FROM prio.customer_state s JOIN prio.customers c USING (customer_id) CROSS JOIN prio.rule_config r
 WHERE (prio.evaluate(prio.stored_facts(s), c, r.cfg, r.r_breaks, r.f_breaks, r.m_breaks, now(),
                      r.bgnbd, r.gammagamma)).tier = s.tier;
COMMIT;

DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio VERSION '0.2';
BEGIN;
\set v '0.2'
:data;
:paths;
-- customer_summary (0.2 on) equals clv_summary over the purchases
SELECT bool_and(prio.customer_summary(s, now(), interval '1 week')::text = x.w::text) AS summary_equal
  FROM (SELECT a.customer_id, prio.clv_summary(a.at, a.amount, now()) AS w
          FROM prio.activities a JOIN prio.activity_kinds k USING (kind)
         WHERE k.is_purchase GROUP BY a.customer_id) x
  JOIN prio.customer_state s USING (customer_id);
SELECT count(*) = 30 AS evaluated_with_models
  FROM prio.customer_state s JOIN prio.customers c USING (customer_id) CROSS JOIN prio.rule_config r
 WHERE (prio.evaluate(prio.stored_facts(s), c, r.cfg, r.r_breaks, r.f_breaks, r.m_breaks, now(),
                      r.bgnbd, r.gammagamma)).tier = s.tier;
ALTER EXTENSION prio UPDATE TO '0.5';
\set v '0.2 updated'
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 1 + g % 30, (ARRAY['purchase', 'meeting', 'reply', 'email'])[1 + g % 4], now() - g * interval '1 hour', 10
  FROM generate_series(1, 40) g;
:paths05;
SELECT bool_and(prio.customer_summary(s, now(), interval '1 week')::text = x.w::text) AS summary_equal
  FROM (SELECT a.customer_id, prio.clv_summary(a.at, a.amount, now()) AS w
          FROM prio.activities a JOIN prio.activity_kinds k USING (kind)
         WHERE k.is_purchase GROUP BY a.customer_id) x
  JOIN prio.customer_state s USING (customer_id);
COMMIT;

DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio VERSION '0.3';
-- a DBA's privileges on the functions the update creates again are kept
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prio_versions_user') THEN
        CREATE ROLE prio_versions_user;
    END IF;
END $$;
REVOKE EXECUTE ON FUNCTION prio.evaluate(prio.facts, prio.customers, prio.settings, float8[], float8[], float8[], timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION prio.evaluate(prio.facts, prio.customers, prio.settings, float8[], float8[], float8[], timestamptz) TO prio_versions_user;
REVOKE EXECUTE ON FUNCTION prio.clv_summary(timestamptz, numeric, timestamptz) FROM PUBLIC;
BEGIN;
\set v '0.3'
:data;
:paths;
SELECT bool_and(prio.customer_summary(s, now(), interval '1 week')::text = x.w::text) AS summary_equal
  FROM (SELECT a.customer_id, prio.clv_summary(a.at, a.amount, now()) AS w
          FROM prio.activities a JOIN prio.activity_kinds k USING (kind)
         WHERE k.is_purchase GROUP BY a.customer_id) x
  JOIN prio.customer_state s USING (customer_id);
ALTER EXTENSION prio UPDATE TO '0.5';
\set v '0.3 updated'
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 1 + g % 30, (ARRAY['purchase', 'meeting', 'reply', 'email'])[1 + g % 4], now() - g * interval '1 hour', 10
  FROM generate_series(1, 40) g;
:paths05;
COMMIT;
-- (on the versioned symbol)
SELECT p.oid::regprocedure AS function, p.prosrc AS symbol,
       replace(p.proacl::text, pg_get_userbyid(p.proowner), 'owner') AS acl_kept
  FROM pg_proc p
 WHERE p.oid IN ('prio.evaluate(prio.facts, prio.customers, prio.settings, float8[], float8[], float8[], timestamptz)'::regprocedure,
                 'prio.clv_summary(timestamptz, numeric, timestamptz)'::regprocedure)
 ORDER BY 1::text;

DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio VERSION '0.4';
BEGIN;
\set v '0.4'
:data;
:paths;
ALTER EXTENSION prio UPDATE TO '0.5';
\set v '0.4 updated'
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 1 + g % 30, (ARRAY['purchase', 'meeting', 'reply', 'email'])[1 + g % 4], now() - g * interval '1 hour', 10
  FROM generate_series(1, 40) g;
:paths05;
COMMIT;

-- a fresh install of 0.5: the same data, then the same activities
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio;
BEGIN;
\set v '0.5'
:data;
:paths05;
\set v '0.5 more'
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 1 + g % 30, (ARRAY['purchase', 'meeting', 'reply', 'email'])[1 + g % 4], now() - g * interval '1 hour', 10
  FROM generate_series(1, 40) g;
:paths05;
SELECT bool_and(prio.customer_summary(s, now(), interval '1 week')::text = x.w::text) AS summary_equal
  FROM (SELECT a.customer_id, prio.clv_summary(a.at, a.amount, now()) AS w
          FROM prio.activities a JOIN prio.activity_kinds k USING (kind)
         WHERE k.is_purchase GROUP BY a.customer_id) x
  JOIN prio.customer_state s USING (customer_id);
SELECT count(*) = 30 AS evaluated_with_models
  FROM prio.customer_state s JOIN prio.customers c USING (customer_id) CROSS JOIN prio.rule_config r
 WHERE (prio.evaluate(prio.stored_facts(s), c, r.cfg, r.r_breaks, r.f_breaks, r.m_breaks, now(),
                      r.bgnbd, r.gammagamma)).tier = s.tier;
COMMIT;

-- 0.5's functions name the versioned symbols, the old ones no longer
SELECT p.oid::regprocedure AS function, p.prosrc AS symbol
  FROM pg_proc p
 WHERE p.pronamespace = 'prio'::regnamespace AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
   AND p.proname IN ('activities_inserted', 'evaluate', 'fold_accum', 'clv_summary_accum')
 ORDER BY 1::text;

-- Each path computed the same on every install: before the update as 0.4
-- did on the same data (0.5's rules differ: the reply term, re-activation
-- cadences, issue 19), after it as 0.5 does after more activities (one
-- distinct fingerprint each)
SELECT what, count(DISTINCT fp) AS fingerprints, count(*) AS installs
  FROM versions_seen
 WHERE install NOT LIKE '% updated' AND install NOT IN ('0.5', '0.5 more')
 GROUP BY what ORDER BY what;
SELECT what, count(DISTINCT fp) AS fingerprints, count(*) AS installs
  FROM versions_seen
 WHERE install LIKE '% updated' OR install = '0.5 more'
 GROUP BY what ORDER BY what;
-- and every time, the insert trigger wrote what prio.fold folds
SELECT bool_and(fp = 'true') AS trigger_equals_fold, count(*) AS checked
  FROM versions_seen WHERE what = 'refold';
-- what they computed (0.5's after more activities), so that a change in the
-- rules shows here too
SELECT tier, effective_stage, count(*), min(priority), max(priority)
  FROM prio.customer_state GROUP BY 1, 2 ORDER BY 1, 2;

-- bad input: the versioned symbols check their arguments as the old ones did
SELECT prio.clv_summary(a, 1, NULL) FROM (VALUES (now())) v(a);
SELECT prio.clv_summary(a, 1, now(), NULL) FROM (VALUES (now())) v(a);
SELECT prio.clv_summary(a, 1, now(), interval '-1 day') FROM (VALUES (now())) v(a);
SELECT prio.evaluate(NULL, c, r.cfg, NULL, NULL, NULL, now())
  FROM prio.customers c CROSS JOIN prio.rule_config r WHERE c.customer_id = 1;

DROP TABLE versions_seen;
DROP ROLE prio_versions_user;
