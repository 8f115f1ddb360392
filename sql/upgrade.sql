-- Upgrade path: the oldest version, updated step by step with ALTER EXTENSION
-- UPDATE, must equal a fresh install of the current one -- every object with
-- its definition, privileges, comments and dump configuration -- and keep the
-- data, custom configuration and grants it had.
\set VERBOSITY terse
SET client_min_messages = warning;
DROP EXTENSION prio CASCADE;
SET timezone = 'UTC';

-- Everything prio's objects are, as text without OIDs (a NULL ACL is the
-- owner's default one: a grant and its revoke leave it spelt out).
CREATE TEMP VIEW ext_catalog AS
WITH m AS (
    SELECT d.classid, d.objid
      FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
     WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'prio'
)
SELECT pg_describe_object(m.classid, m.objid, 0) AS object,
       CASE WHEN p.prokind = 'a' THEN
                concat_ws(' ', a.aggtransfn::regprocedure, a.aggfinalfn, a.aggcombinefn,
                          a.aggserialfn, a.aggdeserialfn, a.aggtranstype::regtype,
                          a.aggfinalmodify, p.proparallel,
                          coalesce(p.proacl, acldefault('f'::"char", p.proowner)))
            WHEN p.oid IS NOT NULL THEN
                pg_get_functiondef(p.oid) || coalesce(p.proacl, acldefault('f'::"char", p.proowner))::text
                || p.procost || ' ' || p.prorows
            WHEN t.oid IS NOT NULL THEN
                concat_ws(' ', t.typtype, coalesce(t.typacl, acldefault('T'::"char", t.typowner)),
                          (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder)
                             FROM pg_enum WHERE enumtypid = t.oid),
                          (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ','
                                             ORDER BY attnum)
                             FROM pg_attribute WHERE attrelid = t.typrelid AND NOT attisdropped))
            WHEN c.oid IS NOT NULL THEN
                concat_ws(E'\n', c.relkind::text || ' '
                                 || coalesce(c.relacl, acldefault(CASE c.relkind WHEN 'S' THEN 's'::"char" ELSE 'r'::"char" END, c.relowner))::text || ' '
                                 || coalesce(c.reloptions::text, '') || ' ' || c.relrowsecurity,
                          (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod)
                                             || CASE WHEN attnotnull THEN ' not null' ELSE '' END
                                             || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
                                             || coalesce(' ' || nullif(attidentity::text, ''), '')
                                             || coalesce(' -- ' || col_description(c.oid, attnum), ''),
                                             E'\n' ORDER BY attnum)
                             FROM pg_attribute
                             LEFT JOIN pg_attrdef ad ON ad.adrelid = attrelid AND ad.adnum = attnum
                            WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped),
                          (SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), E'\n' ORDER BY conname)
                             FROM pg_constraint WHERE conrelid = c.oid),
                          (SELECT string_agg(pg_get_indexdef(indexrelid), E'\n' ORDER BY pg_get_indexdef(indexrelid))
                             FROM pg_index WHERE indrelid = c.oid),
                          (SELECT string_agg(pg_get_triggerdef(oid), E'\n' ORDER BY tgname)
                             FROM pg_trigger WHERE tgrelid = c.oid AND NOT tgisinternal),
                          (SELECT string_agg(polname || ' ' || polcmd::text || ' ' || polroles::text || ' '
                                             || coalesce(pg_get_expr(polqual, polrelid), '') || ' '
                                             || coalesce(pg_get_expr(polwithcheck, polrelid), ''),
                                             E'\n' ORDER BY polname)
                             FROM pg_policy WHERE polrelid = c.oid),
                          CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END)
            ELSE '' END
       || coalesce(E'\n-- ' || obj_description(m.objid, m.classid::regclass::name), '') AS definition
  FROM m
  LEFT JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
  LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
  LEFT JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
  LEFT JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
UNION ALL
SELECT 'dump configuration', concat_ws(' ', x.rel, x.cond)
  FROM pg_extension e,
       LATERAL unnest(e.extconfig::regclass[], e.extcondition) AS x(rel, cond)
 WHERE e.extname = 'prio'
UNION ALL
SELECT 'schema', pg_get_userbyid(n.nspowner) || ' ' || coalesce(n.nspacl::text, '')
  FROM pg_namespace n WHERE n.nspname = 'prio';

CREATE TEMP TABLE snap (phase text, object text, definition text);

-- the oldest version, with data, custom configuration and a grant; the
-- current library serves it until the update
CREATE EXTENSION prio VERSION '0.1';
SELECT extversion FROM pg_extension WHERE extname = 'prio';
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prio_upgrade_reader') THEN
        CREATE ROLE prio_upgrade_reader;
    END IF;
END $$;
SELECT prio.grant_reader('prio_upgrade_reader');
UPDATE prio.settings SET cadence_b = '4 days', intent_threshold = 2.5;
INSERT INTO prio.activity_kinds (kind, direction, stage, is_purchase, intent_weight)
VALUES ('webinar', 'inbound', 'interested', false, 1.5);
INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need)
SELECT g, 'Customer ' || g, 'rep' || g % 3, g % 2 = 0, g % 3 = 0, true
  FROM generate_series(1, 40) g;
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 1 + g % 40, (ARRAY['purchase', 'webinar', 'reply', 'email', 'meeting'])[1 + g % 5],
       now() - (g * 7 % 200) * interval '1 day', CASE WHEN g % 5 = 0 THEN g * 3 ELSE 0 END
  FROM generate_series(1, 400) g;
SELECT prio.refresh();
-- 0.1's configuration tables send no invalidations, so the library reads the
-- configuration anew for every chunk of the insert trigger; what a chunk
-- allocates after that read must go with the chunk (it once stayed in SPI's
-- context until the statement ended: 1.4 KB a customer).  A probe per chunk.
CREATE TEMP TABLE probe (n serial, kept bigint);
CREATE FUNCTION pg_temp.probe() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO probe (kept)
    SELECT sum(total_bytes) FILTER (WHERE name NOT IN ('TopTransactionContext', 'Pending Notifies'))
      FROM pg_catalog.pg_backend_memory_contexts;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_probe AFTER UPDATE ON prio.customer_state
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.probe();
INSERT INTO prio.customers (customer_id, name, owner)
SELECT g, 'Chunk ' || g, 'rep1' FROM generate_series(1001, 4000) g;
INSERT INTO prio.activities (customer_id, kind, at)
SELECT g, 'reply', now() - interval '1 hour' FROM generate_series(1001, 4000) g;
SELECT count(*) >= 6 AS a_probe_per_chunk,
       (SELECT kept FROM probe ORDER BY n DESC LIMIT 1)
       - (SELECT kept FROM probe ORDER BY n OFFSET 1 LIMIT 1) < 131072 AS memory_flat
  FROM probe;
DROP TRIGGER zz_probe ON prio.customer_state;
DELETE FROM prio.activities WHERE customer_id > 1000;
DELETE FROM prio.customers WHERE customer_id > 1000;
DELETE FROM prio.tier_history WHERE customer_id > 1000;
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM prio.activities) AS activities,
       (SELECT count(*) FROM prio.tier_history) AS history,
       (SELECT string_agg(customer_id || tier || effective_stage || priority, ',' ORDER BY customer_id)
          FROM prio.customer_state) AS state;

-- step by step to the current version
ALTER EXTENSION prio UPDATE TO '0.2';
SELECT extversion FROM pg_extension WHERE extname = 'prio';
ALTER EXTENSION prio UPDATE TO '0.3';
SELECT extversion FROM pg_extension WHERE extname = 'prio';
ALTER EXTENSION prio UPDATE TO '0.4';
SELECT extversion FROM pg_extension WHERE extname = 'prio';
ALTER EXTENSION prio UPDATE TO '0.5';
SELECT extversion FROM pg_extension WHERE extname = 'prio';

-- data, configuration and grants kept; the state still equals a rebuild
SELECT (SELECT count(*) FROM prio.activities) = b.activities AS activities_kept,
       (SELECT count(*) FROM prio.tier_history) = b.history AS history_kept,
       (SELECT string_agg(customer_id || tier || effective_stage || priority, ',' ORDER BY customer_id)
          FROM prio.customer_state) = b.state AS state_kept
  FROM before b;
SELECT cadence_b, intent_threshold, builtin FROM prio.settings;
SELECT kind, stage, intent_weight FROM prio.activity_kinds WHERE kind = 'webinar';
SELECT has_table_privilege('prio_upgrade_reader', 'prio.customer_state', 'SELECT') AS reader_kept;
-- the reader still reads the follow-up list (replaced, with its new columns)
SET ROLE prio_upgrade_reader;
SELECT count(*) AS followup_rows, count(p_alive) AS without_a_fit, count(win_probability) AS open_deals
  FROM prio.followup;
RESET ROLE;
SELECT has_function_privilege('prio_upgrade_reader', 'prio.refresh(timestamptz)', 'EXECUTE') AS reader_cannot_refresh;
SELECT prio.recompute() AS facts_differing;
-- customers already won or lost before the update have outcomes
SELECT (SELECT count(*) FROM prio.win_outcomes) AS outcomes,
       (SELECT count(*) FROM prio.customer_state WHERE stage IN ('won', 'lost')) AS closed;
-- the update's refold fills stage_at (when the activities decided won or lost)
SELECT count(*) AS decided_without_stage_at FROM prio.customer_state
 WHERE stage IN ('won', 'lost') AND stage_at IS NULL;
-- live maintenance works after the update
INSERT INTO prio.activities (customer_id, kind, at) VALUES (7, 'webinar', now());
SELECT prio.recompute(7) AS facts_differing;

-- the updated catalog, without this test's own grants
DROP OWNED BY prio_upgrade_reader;
DROP ROLE prio_upgrade_reader;
INSERT INTO snap SELECT 'updated', * FROM ext_catalog;

-- a fresh install of the current version
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio;
INSERT INTO snap SELECT 'fresh', * FROM ext_catalog;

SELECT count(*) > 80 AS objects_compared FROM snap WHERE phase = 'fresh';
-- differences either way (expected: none)
(SELECT 'only after update' AS side, object, definition FROM snap WHERE phase = 'updated'
 EXCEPT SELECT 'only after update', object, definition FROM snap WHERE phase = 'fresh')
UNION ALL
(SELECT 'only in fresh install', object, definition FROM snap WHERE phase = 'fresh'
 EXCEPT SELECT 'only in fresh install', object, definition FROM snap WHERE phase = 'updated')
ORDER BY 2, 1;

-- a function the update drops and creates again keeps the privileges it
-- had: EXECUTE revoked from PUBLIC on 0.3's win_features() stays revoked;
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio VERSION '0.3';
CREATE ROLE prio_upgrade_features;
REVOKE EXECUTE ON FUNCTION prio.win_features(prio.customer_state) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION prio.win_features(prio.customer_state) TO prio_upgrade_features;
-- (so does EXECUTE revoked on explain(bigint), and a grant of some of
-- followup's columns is kept for the columns 0.4's followup still has)
REVOKE EXECUTE ON FUNCTION prio.explain(bigint) FROM PUBLIC;
GRANT SELECT (customer_id, tier) ON prio.followup TO prio_upgrade_features;
-- and triggers the update drops and creates again keep how a DBA enabled
-- them (a logical replication subscriber fires only ALWAYS or REPLICA ones)
ALTER TABLE prio.activities ENABLE ALWAYS TRIGGER activities_inserted;
ALTER TABLE prio.activities ENABLE ALWAYS TRIGGER activities_deleted;
ALTER TABLE prio.customers ENABLE REPLICA TRIGGER customers_updated;
-- (0.5 makes win_outcomes_changed() C: its triggers and privileges too)
ALTER TABLE prio.win_outcomes DISABLE TRIGGER win_outcomes_deleted;
GRANT EXECUTE ON FUNCTION prio.win_outcomes_changed() TO prio_upgrade_features;
ALTER EXTENSION prio UPDATE;
SELECT has_function_privilege('public', 'prio.win_features(prio.customer_state)', 'EXECUTE')
           AS public_can_call,
       has_function_privilege('prio_upgrade_features', 'prio.win_features(prio.customer_state)', 'EXECUTE')
           AS grantee_can_call;
SELECT has_function_privilege('public', 'prio.win_outcomes_changed()', 'EXECUTE') AS public_counts,
       has_function_privilege('prio_upgrade_features', 'prio.win_outcomes_changed()', 'EXECUTE') AS grantee_counts;
SELECT has_function_privilege('public', 'prio.explain(bigint)', 'EXECUTE') AS public_can_explain,
       has_column_privilege('prio_upgrade_features', 'prio.followup', 'tier', 'SELECT') AS tier_granted,
       has_column_privilege('prio_upgrade_features', 'prio.followup', 'customer_key', 'SELECT') AS key_granted;
SELECT c.relname, t.tgname, t.tgenabled
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'prio'::regnamespace AND NOT t.tgisinternal AND t.tgenabled <> 'O'
 ORDER BY 1, 2;
DROP OWNED BY prio_upgrade_features;
DROP ROLE prio_upgrade_features;

-- 0.4 -> 0.5 drops prio.followup and creates it again: the typed follow-up
-- view of a tracked customers table is created again, with its privileges,
-- and followup keeps its grants and its columns'
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio VERSION '0.4';
CREATE ROLE prio_upgrade_bi;
CREATE TABLE upgrade_accounts (id uuid PRIMARY KEY, legal_name text, rep text);
INSERT INTO upgrade_accounts VALUES ('00000000-0000-0000-0000-000000000001', 'Acme', 'alice'),
                                    ('00000000-0000-0000-0000-000000000002', 'Globex', 'bob');
SELECT prio.track('upgrade_accounts', 'customers', '{"key": "id", "name": "legal_name", "owner": "rep"}');
REVOKE SELECT ON prio.followup_upgrade_accounts FROM PUBLIC;
GRANT SELECT ON prio.followup_upgrade_accounts TO prio_upgrade_bi;
GRANT SELECT ON prio.followup TO prio_upgrade_bi;
GRANT SELECT (customer_id, tier) ON prio.followup TO PUBLIC;
-- (a writer of 0.4 keeps writing customers, but no longer their source and
-- customer_key, which only prio.track() sets)
SELECT prio.grant_writer('prio_upgrade_bi');
-- (and one whose name must be quoted: the update named it quoted twice)
CREATE ROLE "prio_upgrade-Writer";
SELECT prio.grant_writer('"prio_upgrade-Writer"');
ALTER EXTENSION prio UPDATE TO '0.5';
SELECT has_column_privilege('prio_upgrade-Writer', 'prio.customers', 'name', 'UPDATE') AS quoted_updates_name,
       has_column_privilege('prio_upgrade-Writer', 'prio.customers', 'source', 'INSERT') AS quoted_inserts_source;
SELECT has_column_privilege('prio_upgrade_bi', 'prio.customers', 'name', 'UPDATE') AS writer_updates_name,
       has_column_privilege('prio_upgrade_bi', 'prio.customers', 'owner', 'INSERT') AS writer_inserts_owner,
       has_column_privilege('prio_upgrade_bi', 'prio.customers', 'source', 'UPDATE') AS writer_updates_source,
       has_column_privilege('prio_upgrade_bi', 'prio.customers', 'customer_key', 'INSERT') AS writer_inserts_key;
SELECT a.id, f.name, f.owner
  FROM upgrade_accounts a JOIN prio.followup_upgrade_accounts f ON f.id = a.id ORDER BY 2;
SELECT has_table_privilege('public', 'prio.followup_upgrade_accounts', 'SELECT') AS public_reads_typed_view,
       has_table_privilege('prio_upgrade_bi', 'prio.followup_upgrade_accounts', 'SELECT') AS bi_reads_typed_view,
       has_table_privilege('prio_upgrade_bi', 'prio.followup', 'SELECT') AS bi_reads_followup,
       has_column_privilege('public', 'prio.followup', 'tier', 'SELECT') AS public_reads_tier,
       has_column_privilege('public', 'prio.followup', 'reason', 'SELECT') AS public_reads_reason;
SELECT prio.untrack('upgrade_accounts');
DROP TABLE upgrade_accounts;
DROP OWNED BY prio_upgrade_bi;
DROP ROLE prio_upgrade_bi;
DROP OWNED BY "prio_upgrade-Writer";
DROP ROLE "prio_upgrade-Writer";

-- 0.4 -> 0.5 with a tracked activities table whose mapping names a
-- "channel" (0.4 checked it and left it unused): the update says it is
-- shown once the table is tracked again; until then explain() reads its
-- events with no channel; prio.activities gets its channel column, NULL --
-- or keeps one of that name a DBA added (a WARNING), read as the channel
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio VERSION '0.4';
CREATE TABLE upgrade_people (id integer PRIMARY KEY, name text);
CREATE TABLE upgrade_touches (person integer, what text, at timestamptz, via text);
INSERT INTO upgrade_people VALUES (1, 'Ada');
INSERT INTO upgrade_touches VALUES (1, 'call', '2026-01-05 10:00+00', 'phone');
SELECT prio.track('upgrade_people', 'customers', '{"key": "id", "name": "name"}');
SELECT prio.track('upgrade_touches', 'activities', '{"customer": "person", "kind": "what", "at": "at", "channel": "via"}');
INSERT INTO prio.customers (customer_id, name) VALUES (1, 'Own'), (2, 'Own too');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (1, 'call', '2026-01-05 10:00+00');
ALTER TABLE prio.activities ADD COLUMN channel varchar(20);
INSERT INTO prio.activities (customer_id, kind, at, channel) VALUES (2, 'call', '2026-01-05 10:00+00', 'phone');
ALTER EXTENSION prio UPDATE TO '0.5';
-- a column "id" added after the update: 0.4's rule counted it as named (by
-- customer_id) and stopped the table; the signatures 0.4 stored hold by
-- 0.5's rule, which leaves it out
ALTER TABLE upgrade_touches ADD COLUMN id serial;
SELECT s.relid, s.signature = prio._track_signature(s.relid, s.compiled) AS as_tracked
  FROM prio.sources s ORDER BY s.source_id;
SELECT prio.explain('upgrade_people', 1) -> 'events' -> 0 -> 'latest' AS events_without_channel;
SELECT prio.untrack('upgrade_touches');
SELECT prio.track('upgrade_touches', 'activities', '{"customer": "person", "kind": "what", "at": "at", "channel": "via"}');
SELECT prio.explain('upgrade_people', 1) -> 'events' -> 0 -> 'latest' AS events_with_channel;
SELECT customer_id, kind, channel, pg_typeof(channel) FROM prio.activities ORDER BY 1;
SELECT c ->> 'channel' AS channel, c -> 'in_playbook' AS in_playbook
  FROM jsonb_array_elements(prio.explain(2) -> 'playbook' -> 'channel_check') c;
SELECT prio.untrack('upgrade_touches');
SELECT prio.untrack('upgrade_people');
DROP TABLE upgrade_touches, upgrade_people;

-- 0.4 -> 0.5 with tracked partitioned tables: 0.4 had prio's triggers on
-- the partitioned tables only, so a row written straight into a partition
-- was missed; the update puts them on every partition, and its refold of
-- everyone takes the missed row in
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio VERSION '0.4';
CREATE TABLE upgrade_pc (id integer PRIMARY KEY, name text) PARTITION BY RANGE (id);
CREATE TABLE upgrade_pc_1 PARTITION OF upgrade_pc FOR VALUES FROM (1) TO (100);
CREATE TABLE upgrade_pa (person integer, what text, at timestamptz) PARTITION BY LIST (what);
CREATE TABLE upgrade_pa_call PARTITION OF upgrade_pa FOR VALUES IN ('call');
CREATE TABLE upgrade_pa_rest PARTITION OF upgrade_pa DEFAULT;
INSERT INTO upgrade_pc VALUES (1, 'Ada'), (2, 'Bob');
SELECT prio.track('upgrade_pc', 'customers', '{"key": "id", "name": "name"}');
SELECT prio.track('upgrade_pa', 'activities', '{"customer": "person", "kind": "what", "at": "at"}');
INSERT INTO upgrade_pa_call VALUES (1, 'call', '2026-01-05 10:00+00');
ALTER EXTENSION prio UPDATE TO '0.5';
SELECT tgrelid::regclass::text AS partition, count(*) AS prio_triggers FROM pg_trigger
 WHERE tgfoid = 'prio.source_changed()'::regprocedure GROUP BY 1 ORDER BY 1;
SELECT c.customer_key, s.last_at FROM prio.customers c JOIN prio.customer_state s USING (customer_id) ORDER BY 1;
INSERT INTO upgrade_pa_rest VALUES (2, 'email', '2026-01-06 10:00+00');
SELECT prio.recompute() AS stale;
SELECT prio.untrack('upgrade_pa');
SELECT prio.untrack('upgrade_pc');
SELECT count(*) AS prio_triggers_left FROM pg_trigger WHERE tgfoid = 'prio.source_changed()'::regprocedure;
DROP TABLE upgrade_pa, upgrade_pc;

-- 0.4 -> 0.5 with tracked activities tables whose mapping needs a cast to
-- the types prio reads: a timestamp "at", a varchar kind, an integer amount
-- (one event a row), a date "at" and an integer amount (several).  0.4's
-- events query left the casts out: with 0.5's prio.so every live write was a
-- WARNING and missed prio.  The update compiles their events queries again
-- from the stored mappings; the time is read as UTC whatever the writer's
-- TimeZone.  One whose query gives prio's types already (upgrade_cn) keeps
-- it as it was
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio VERSION '0.4';
CREATE TABLE upgrade_cc (id integer PRIMARY KEY, name text);
CREATE TABLE upgrade_ca (person integer, what varchar(20), at timestamp, amount integer);
CREATE TABLE upgrade_cb (person integer, what text, on_day date, paid integer, follow_up date);
CREATE TABLE upgrade_cn (person integer, what text, at timestamptz, amount numeric);
INSERT INTO upgrade_cc VALUES (1, 'Ada'), (2, 'Bob');
SELECT prio.track('upgrade_cc', 'customers', '{"key": "id", "name": "name"}');
SELECT prio.track('upgrade_ca', 'activities', '{"customer": "person", "kind": "what", "at": "at", "amount": "amount"}');
SELECT prio.track('upgrade_cb', 'activities',
                  '{"customer": "person", "events": [{"kind": "what", "at": "on_day", "amount": "paid"}, {"kind": "''inquiry''", "at": "follow_up"}]}');
SELECT prio.track('upgrade_cn', 'activities', '{"customer": "person", "kind": "what", "at": "at", "amount": "amount"}');
-- their events queries as 0.4's prio.so compiled them: without the casts
UPDATE prio.sources
   SET compiled = jsonb_set(compiled, '{EVENTS}', to_jsonb(regexp_replace(compiled ->> 'EVENTS',
                            '\((\w+)\)::(timestamp with time zone|text|numeric)\M', '\1', 'g')))
 WHERE role = 'activities';
UPDATE prio.sources SET signature = prio._track_signature(relid, compiled);
CREATE TEMP TABLE upgrade_events_04 AS
SELECT s.relid, s.compiled ->> 'EVENTS' AS events FROM prio.sources s WHERE s.role = 'activities';
-- (its write missed prio: 42804, and the hint says what to do)
\set VERBOSITY default
INSERT INTO upgrade_ca VALUES (1, 'call', '2026-01-04 10:00', NULL);
\set VERBOSITY terse
ALTER EXTENSION prio UPDATE TO '0.5';
SELECT s.relid, s.signature = prio._track_signature(s.relid, s.compiled) AS as_tracked
  FROM prio.sources s ORDER BY s.source_id;
SELECT s.relid, s.compiled ->> 'EVENTS' = u.events AS events_as_in_0_4
  FROM prio.sources s JOIN upgrade_events_04 u USING (relid) ORDER BY s.source_id;
DROP TABLE upgrade_events_04;
SET TimeZone = 'Asia/Shanghai';
INSERT INTO upgrade_ca VALUES (1, 'purchase', '2026-01-05 10:00', 250);
INSERT INTO upgrade_cb VALUES (2, 'purchase', '2026-01-06', 40, '2026-01-07');
RESET TimeZone;
SELECT s.source, s.last_error FROM prio.tracked s ORDER BY 1;
SELECT c.customer_key, s.frequency, s.monetary, s.last_at, s.last_purchase_at
  FROM prio.customers c JOIN prio.customer_state s USING (customer_id) ORDER BY 1;
SELECT prio.recompute() AS stale;
-- ... compiled as track() compiles them (one function, _track_events_sql):
-- tracked again, each gets the same events query
CREATE TEMP TABLE upgrade_events AS
SELECT s.relid, s.mapping, s.compiled ->> 'EVENTS' AS events FROM prio.sources s WHERE s.role = 'activities';
SELECT prio.untrack(u.relid) FROM upgrade_events u ORDER BY u.relid::text;
SELECT prio.track(u.relid, 'activities', u.mapping) FROM upgrade_events u ORDER BY u.relid::text;
SELECT u.relid, s.compiled ->> 'EVENTS' = u.events AS as_track_compiles
  FROM upgrade_events u JOIN prio.sources s USING (relid) ORDER BY 1;
DROP TABLE upgrade_events;
SELECT prio.untrack('upgrade_cn');
SELECT prio.untrack('upgrade_cb');
SELECT prio.untrack('upgrade_ca');
SELECT prio.untrack('upgrade_cc');
DROP TABLE upgrade_ca, upgrade_cb, upgrade_cc, upgrade_cn;

-- 0.5's labels: an admin of 0.4 (prio.grant_admin()) edits them, as
-- grant_admin() now gives; a reader of 0.4 reads them (PUBLIC)
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio VERSION '0.4';
CREATE ROLE prio_upgrade_admin;
CREATE ROLE prio_upgrade_labels_reader;
SELECT prio.grant_admin('prio_upgrade_admin');
SELECT prio.grant_reader('prio_upgrade_labels_reader');
ALTER EXTENSION prio UPDATE TO '0.5';
SELECT has_table_privilege('prio_upgrade_admin', 'prio.labels', 'UPDATE') AS admin_edits_labels,
       has_table_privilege('prio_upgrade_labels_reader', 'prio.labels', 'SELECT') AS reader_reads_labels,
       has_table_privilege('prio_upgrade_labels_reader', 'prio.labels', 'UPDATE') AS reader_edits_labels;
DROP OWNED BY prio_upgrade_admin;
DROP OWNED BY prio_upgrade_labels_reader;
DROP ROLE prio_upgrade_admin;
DROP ROLE prio_upgrade_labels_reader;
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio;

-- 0.4 -> 0.5 with tracked tables dropped before the update (DROP TABLE:
-- their sources stay, as in 0.5, until prio.untrack()): the update goes
-- through (it stopped on "could not open relation", XX000), says so, and
-- creates no typed view for a table that is gone; the live table keeps its
-- view; prio.untrack() forgets the dropped ones afterwards
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio VERSION '0.4';
CREATE TABLE upgrade_gone (id integer PRIMARY KEY, name text);
CREATE TABLE upgrade_gone_touches (person integer, what text, at timestamptz);
CREATE TABLE upgrade_kept (id text PRIMARY KEY, name text);
INSERT INTO upgrade_gone VALUES (1, 'Gone');
INSERT INTO upgrade_gone_touches VALUES (1, 'call', '2026-01-05 10:00+00');
INSERT INTO upgrade_kept VALUES ('k', 'Kept');
SELECT prio.track('upgrade_gone', 'customers', '{"key": "id", "name": "name"}');
SELECT prio.track('upgrade_gone_touches', 'activities', '{"customer": "person", "kind": "what", "at": "at"}');
SELECT prio.track('upgrade_kept', 'customers', '{"key": "id", "name": "name"}');
DROP TABLE upgrade_gone_touches;
DROP TABLE upgrade_gone;
-- (a WARNING for each, naming its OID)
SET client_min_messages = error;
ALTER EXTENSION prio UPDATE TO '0.5';
RESET client_min_messages;
SELECT extversion FROM pg_extension WHERE extname = 'prio';
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = 'prio'::regnamespace AND c.relname LIKE 'followup\_upgrade%' ORDER BY 1;
SELECT f.name FROM upgrade_kept k JOIN prio.followup_upgrade_kept f ON f.id = k.id;
SELECT prio.untrack(s.relid) FROM prio.sources s
 WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = s.relid) ORDER BY s.source_id DESC;
SELECT source, role FROM prio.tracked ORDER BY 1;
SELECT prio.untrack('upgrade_kept');
DROP TABLE upgrade_kept;
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio;

-- 0.4 -> 0.5 with roles of prio.grant_reader/writer/admin, a GRANT of the
-- DBA's and a typed follow-up view granted: an extension script's GRANTs are
-- recorded as initial privileges (pg_init_privs), which pg_dump leaves out,
-- so the grants the update gave back were in no later dump and a restore
-- lost them.  After the update prio's initial privileges name no role and
-- are a fresh install's; the grants themselves stay
CREATE TEMP VIEW ext_initprivs AS
SELECT pg_describe_object(i.classoid, i.objoid, i.objsubid) AS object, i.initprivs::text AS initprivs
  FROM pg_init_privs i
 WHERE (i.classoid = 'pg_class'::regclass AND i.objoid IN (SELECT oid FROM pg_class WHERE relnamespace = 'prio'::regnamespace))
    OR (i.classoid = 'pg_proc'::regclass AND i.objoid IN (SELECT oid FROM pg_proc WHERE pronamespace = 'prio'::regnamespace))
    OR (i.classoid = 'pg_type'::regclass AND i.objoid IN (SELECT oid FROM pg_type WHERE typnamespace = 'prio'::regnamespace))
    OR (i.classoid = 'pg_namespace'::regclass AND i.objoid = 'prio'::regnamespace);
CREATE TEMP TABLE fresh_initprivs AS SELECT * FROM ext_initprivs;
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio VERSION '0.4';
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prio_upgrade_dump_reader') THEN
        CREATE ROLE prio_upgrade_dump_reader;
        CREATE ROLE prio_upgrade_dump_writer;
        CREATE ROLE prio_upgrade_dump_admin;
        CREATE ROLE prio_upgrade_dump_custom;
    END IF;
END $$;
SELECT prio.grant_reader('prio_upgrade_dump_reader');
SELECT prio.grant_writer('prio_upgrade_dump_writer');
SELECT prio.grant_admin('prio_upgrade_dump_admin');
GRANT SELECT ON prio.conversion_by_tier TO prio_upgrade_dump_custom WITH GRANT OPTION;
CREATE TABLE upgrade_dumped (id integer PRIMARY KEY, name text);
SELECT prio.track('upgrade_dumped', 'customers', '{"key": "id", "name": "name"}');
GRANT SELECT ON prio.followup_upgrade_dumped TO prio_upgrade_dump_custom;
ALTER EXTENSION prio UPDATE TO '0.5';
SELECT count(*) AS initial_privileges_naming_a_role
  FROM pg_init_privs WHERE initprivs::text LIKE '%prio\_upgrade\_dump%';
SELECT 'updated' AS only_in, * FROM (SELECT * FROM ext_initprivs EXCEPT SELECT * FROM fresh_initprivs) x
UNION ALL
SELECT 'fresh', * FROM (SELECT * FROM fresh_initprivs EXCEPT SELECT * FROM ext_initprivs) y
ORDER BY 1, 2;
SELECT has_table_privilege('prio_upgrade_dump_custom', 'prio.conversion_by_tier', 'SELECT WITH GRANT OPTION') AS custom_grant_kept,
       has_table_privilege('prio_upgrade_dump_custom', 'prio.followup_upgrade_dumped', 'SELECT') AS typed_view_grant_kept,
       has_table_privilege('prio_upgrade_dump_reader', 'prio.deals', 'SELECT') AS reader_reads_deals,
       has_table_privilege('prio_upgrade_dump_admin', 'prio.labels', 'UPDATE') AS admin_edits_labels;
SELECT prio.untrack('upgrade_dumped');
DROP TABLE upgrade_dumped;
DROP EXTENSION prio CASCADE;
DROP OWNED BY prio_upgrade_dump_reader, prio_upgrade_dump_writer, prio_upgrade_dump_admin, prio_upgrade_dump_custom;
DROP ROLE prio_upgrade_dump_reader, prio_upgrade_dump_writer, prio_upgrade_dump_admin, prio_upgrade_dump_custom;
CREATE EXTENSION prio;

-- 0.4 -> 0.5 with a built-in segment and activity kind renamed under 0.4,
-- which kept the keys of deleted rows only: the update keeps the old keys
-- too, so a restore does not seed those rows again beside the new ones (a
-- key that has a row again, a segment moved back, is not kept)
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio VERSION '0.4';
UPDATE prio.rfm_segments SET position = 95 WHERE position = 90;
UPDATE prio.activity_kinds SET kind = 'site_visit' WHERE kind = 'visit';
DELETE FROM prio.activity_kinds WHERE kind = 'email_open';
UPDATE prio.rfm_segments SET position = 15 WHERE position = 10;
UPDATE prio.rfm_segments SET position = 10 WHERE position = 15;
ALTER EXTENSION prio UPDATE TO '0.5';
SELECT table_name, key FROM prio.removed_config ORDER BY 1, 2;
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio;

-- bad input: no such version, no path down
ALTER EXTENSION prio UPDATE TO '9.9';
ALTER EXTENSION prio UPDATE TO '0.1';
