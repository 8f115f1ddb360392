-- Dump and restore give back exactly what was dumped (issue 17, defect 9).
-- pg_dump cannot run here (tools/dumprestore.sh, in make stress, does real
-- pg_dump/pg_restore and psql round trips); this file loads data the way a
-- restore does: into a fresh CREATE EXTENSION, the row of prio._restore first
-- (its name sorts first in a dump), then the tables.  It starts and ends with
-- a fresh extension.
SET client_min_messages = warning;
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio;
RESET client_min_messages;
SET timezone = 'UTC';
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;

-- Removed configuration rows are remembered (and dumped): built-in, changed
-- built-in and added ones, by DELETE.
DELETE FROM prio.rfm_segments WHERE position = 50;
UPDATE prio.rfm_segments SET r_min = 3 WHERE position = 60;
DELETE FROM prio.rfm_segments WHERE position = 60;
INSERT INTO prio.activity_kinds (kind, direction) VALUES ('fax', 'outbound');
DELETE FROM prio.activity_kinds WHERE kind IN ('fax', 'visit');
SELECT table_name, key FROM prio.removed_config ORDER BY 1, 2;
SELECT c.relname AS dumped_table, x.cond AS filter
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(rel, cond)
  JOIN pg_class c ON c.oid = x.rel
 WHERE e.extname = 'prio' AND c.relname IN ('_restore', 'removed_config', 'customer_state', 'win_outcomes',
                                            'win_counts', 'auto_breaks', 'tier_history')
 ORDER BY 1;

-- A day of data, and everything derived from it, as pg_dump would keep it.
INSERT INTO prio.customers (customer_id, name, owner, budget, authority, created_at)
SELECT g, 'Customer ' || g, 'rep' || g % 3, g % 2 = 0, g % 3 = 0, now() - interval '60 days'
  FROM generate_series(1, 30) g;
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 1 + g % 30, (ARRAY['purchase', 'reply', 'email', 'contract', 'rejected', 'demo_request'])[1 + g % 6],
       now() - (g % 50) * interval '1 day', CASE WHEN g % 6 = 0 THEN g ELSE 0 END
  FROM generate_series(1, 200) g;
SELECT prio.refresh(now() + interval '40 days') > 0 AS refreshed_ahead;
-- (kept as row text: DROP EXTENSION ... CASCADE would drop columns of prio's types)
CREATE TEMP TABLE d_removed AS SELECT t::text AS r FROM prio.removed_config t;
CREATE TEMP TABLE d_customers AS SELECT t::text AS r FROM prio.customers t;
CREATE TEMP TABLE d_activities AS SELECT t::text AS r FROM prio.activities t;
CREATE TEMP TABLE d_state AS SELECT t::text AS r FROM prio.customer_state t;
CREATE TEMP TABLE d_history AS SELECT t::text AS r FROM prio.tier_history t;
CREATE TEMP TABLE d_outcomes AS SELECT t::text AS r FROM prio.win_outcomes t;
CREATE TEMP TABLE d_counts AS SELECT t::text AS r FROM prio.win_counts t;
CREATE TEMP TABLE d_breaks AS SELECT t::text AS r FROM prio.auto_breaks t;
CREATE TEMP TABLE d_seq AS
SELECT (SELECT last_value FROM prio.activities_activity_id_seq) AS activity_id,
       (SELECT last_value FROM prio.tier_history_history_id_seq) AS history_id;
SELECT (SELECT count(*) FROM d_history) > 0 AS has_history, (SELECT count(*) FROM d_outcomes) > 0 AS has_outcomes,
       (SELECT (r::prio.auto_breaks).m_breaks IS NOT NULL FROM d_breaks) AS has_breaks;

-- The restore: CREATE EXTENSION seeds the built-in rows and the marker row.
SET client_min_messages = warning;
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio;
RESET client_min_messages;
SELECT prio.restoring() AS restoring_before_the_marker;
INSERT INTO prio._restore (id, dumped_by) VALUES (true, '0.5');  -- the dump's first data
SELECT prio.restoring() AS restoring, (SELECT count(*) FROM prio._restore) AS marker_rows;
INSERT INTO prio.removed_config SELECT (r::prio.removed_config).* FROM d_removed;
INSERT INTO prio.customers SELECT (r::prio.customers).* FROM d_customers;
INSERT INTO prio.activities OVERRIDING SYSTEM VALUE SELECT (r::prio.activities).* FROM d_activities;
-- the triggers stood aside: no state or history derived by the restore
SELECT (SELECT count(*) FROM prio.customer_state) AS state_rows, (SELECT count(*) FROM prio.tier_history) AS history_rows,
       (SELECT count(*) FROM prio.win_outcomes) AS outcomes;
INSERT INTO prio.customer_state SELECT (r::prio.customer_state).* FROM d_state;
INSERT INTO prio.tier_history OVERRIDING SYSTEM VALUE SELECT (r::prio.tier_history).* FROM d_history;
INSERT INTO prio.win_outcomes SELECT (r::prio.win_outcomes).* FROM d_outcomes;
INSERT INTO prio.win_counts SELECT (r::prio.win_counts).* FROM d_counts;
INSERT INTO prio.auto_breaks SELECT (r::prio.auto_breaks).* FROM d_breaks;  -- takes the seeded row's place
SELECT setval('prio.activities_activity_id_seq', activity_id) > 0 AS set, setval('prio.tier_history_history_id_seq', history_id) > 0 AS set
  FROM d_seq;
-- exactly what was dumped, in every table (rows either way)
SELECT 'customer_state' AS t, count(*) AS differ FROM ((SELECT t::text FROM prio.customer_state t EXCEPT ALL TABLE d_state)
                                   UNION ALL (TABLE d_state EXCEPT ALL SELECT t::text FROM prio.customer_state t)) x
UNION ALL
SELECT 'tier_history', count(*) FROM ((SELECT t::text FROM prio.tier_history t EXCEPT ALL TABLE d_history)
                                   UNION ALL (TABLE d_history EXCEPT ALL SELECT t::text FROM prio.tier_history t)) x
UNION ALL
SELECT 'win_outcomes', count(*) FROM ((SELECT t::text FROM prio.win_outcomes t EXCEPT ALL TABLE d_outcomes)
                                   UNION ALL (TABLE d_outcomes EXCEPT ALL SELECT t::text FROM prio.win_outcomes t)) x
UNION ALL
SELECT 'win_counts', count(*) FROM ((SELECT t::text FROM prio.win_counts t EXCEPT ALL TABLE d_counts)
                                   UNION ALL (TABLE d_counts EXCEPT ALL SELECT t::text FROM prio.win_counts t)) x
UNION ALL
SELECT 'auto_breaks', count(*) FROM ((SELECT t::text FROM prio.auto_breaks t EXCEPT ALL TABLE d_breaks)
                                   UNION ALL (TABLE d_breaks EXCEPT ALL SELECT t::text FROM prio.auto_breaks t)) x
UNION ALL
SELECT 'activities', count(*) FROM ((SELECT t::text FROM prio.activities t EXCEPT ALL TABLE d_activities)
                                   UNION ALL (TABLE d_activities EXCEPT ALL SELECT t::text FROM prio.activities t)) x;
-- removed rows stay removed
SELECT position, segment FROM prio.rfm_segments WHERE position BETWEEN 40 AND 70 ORDER BY 1;
SELECT count(*) AS visit_kind FROM prio.activity_kinds WHERE kind = 'visit';

-- Restore mode ends with the session.
\c
SET timezone = 'UTC';
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;
SELECT prio.restoring() AS restoring_in_a_new_session;
SELECT prio.recompute() AS facts_differing_after_restore;
-- live maintenance goes on from the restored state
SELECT frequency AS frequency_before FROM prio.customer_state WHERE customer_id = 7;
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES (7, 'purchase', now(), 10);
SELECT frequency AS frequency_after FROM prio.customer_state WHERE customer_id = 7;
SELECT prio.recompute() AS facts_differing;

-- A removed key loaded before or after a dumped row with that key: the dumped
-- row stays (only the seeded built-in row goes).
SET client_min_messages = warning;
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio;
RESET client_min_messages;
INSERT INTO prio.rfm_segments (position, segment, r_min, r_max) VALUES (50, 'Fresh', 5, 5);  -- replaces built-in 50
INSERT INTO prio.removed_config (table_name, key) VALUES ('rfm_segments', '50'), ('rfm_segments', '60');
INSERT INTO prio.rfm_segments (position, segment, r_min, r_max) VALUES (60, 'Later', 4, 4);
SELECT position, segment, builtin FROM prio.rfm_segments WHERE position BETWEEN 40 AND 70 ORDER BY 1;
-- TRUNCATE remembers every key it removes
TRUNCATE prio.rfm_segments;
SELECT count(*) AS removed_segment_keys FROM prio.removed_config WHERE table_name = 'rfm_segments';

-- (0.5) deal stages, channels and labels too: a removed built-in row's key
-- is kept (a label's as a JSON array of its domain, code and lang) ...
UPDATE prio.playbooks SET channels = '{email}' WHERE playbook = 'D';
DELETE FROM prio.channels WHERE channel = 'sms';
DELETE FROM prio.deal_stages WHERE stage = 'needs_clear';
DELETE FROM prio.labels WHERE domain = 'tier' AND code = 'D' AND lang = 'zh-CN';
SELECT table_name, key FROM prio.removed_config
 WHERE table_name IN ('deal_stages', 'channels', 'labels') ORDER BY 1, 2;
CREATE TEMP TABLE removed_05 AS
SELECT table_name, key FROM prio.removed_config WHERE table_name IN ('deal_stages', 'channels', 'labels');
-- ... and loading it, as a restore does after CREATE EXTENSION seeded the
-- built-in rows again, removes them (the dumped D playbook came first)
SET client_min_messages = warning;
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio;
RESET client_min_messages;
UPDATE prio.playbooks SET channels = '{email}' WHERE playbook = 'D';
INSERT INTO prio.removed_config (table_name, key) SELECT table_name, key FROM removed_05;
SELECT (SELECT count(*) FROM prio.channels WHERE channel = 'sms') AS sms_channels,
       (SELECT count(*) FROM prio.deal_stages WHERE stage = 'needs_clear') AS needs_clear_stages,
       (SELECT count(*) FROM prio.labels WHERE domain = 'tier' AND code = 'D') AS tier_d_labels;
-- TRUNCATE of the labels remembers every key it removes
SELECT count(*) AS labels_before FROM prio.labels \gset
TRUNCATE prio.labels;
SELECT count(*) = :labels_before + 1 AS every_label_key_kept FROM prio.removed_config WHERE table_name = 'labels';

-- Bad input
SELECT pg_temp.err($$INSERT INTO prio.removed_config (table_name, key) VALUES ('settings', 'true')$$) AS not_a_config_table;
SELECT pg_temp.err($$INSERT INTO prio.removed_config (table_name, key) VALUES ('rfm_segments', NULL)$$) AS null_key;
-- only prio's owner can put a session in restore mode
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prio_restore_app') THEN
        CREATE ROLE prio_restore_app;
    END IF;
END $$;
SELECT prio.grant_admin('prio_restore_app');
SET ROLE prio_restore_app;
SELECT pg_temp.err($$INSERT INTO prio._restore DEFAULT VALUES$$) AS app_marks_restore;
SELECT pg_temp.err($$INSERT INTO prio.removed_config (table_name, key) VALUES ('rfm_segments', '10')$$) AS app_writes_removed;
-- an admin deletes configuration rows; prio keeps the keys for them
SELECT pg_temp.err($$DELETE FROM prio.activity_kinds WHERE kind = 'email_open'$$) AS admin_deletes_a_kind;
RESET ROLE;
SELECT prio.restoring() AS still_not_restoring;
SELECT table_name, key FROM prio.removed_config WHERE table_name = 'activity_kinds';
-- the triggers on tables they do not belong to
CREATE TABLE pg_temp.other (id boolean, position integer);
CREATE TRIGGER t BEFORE INSERT ON pg_temp.other FOR EACH ROW EXECUTE FUNCTION prio.restore_begin();
SELECT pg_temp.err($$INSERT INTO pg_temp.other VALUES (true, 1)$$) AS restore_begin_elsewhere;
DROP TRIGGER t ON pg_temp.other;
CREATE TRIGGER t AFTER DELETE ON pg_temp.other FOR EACH ROW EXECUTE FUNCTION prio.config_row_removed('position');
INSERT INTO pg_temp.other VALUES (true, 1);
SELECT pg_temp.err($$DELETE FROM pg_temp.other$$) AS config_row_removed_elsewhere;
SELECT prio.restoring() AS still_not_restoring;

SET client_min_messages = warning;
DROP OWNED BY prio_restore_app;
DROP ROLE prio_restore_app;
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio;

-- a dump of prio 0.4 (its prio._restore has no dumped_by): loaded into 0.5 it
-- would skip what the update to 0.5 does (every customer evaluated again,
-- typed follow-up views, grants of 0.5's objects), so it is refused; and
-- as psql -f and pg_restore go on after an error, the rest of that dump is
-- refused too in that session (it loaded through the live triggers: state
-- folded again, history written twice), the configuration's triggers' too
\c
RESET client_min_messages;
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;
SELECT pg_temp.err($$INSERT INTO prio._restore (id) VALUES (true)$$) AS dump_of_prio_0_4;
SELECT dumped_by FROM prio._restore;
SELECT pg_temp.err($$INSERT INTO prio.customers (customer_id, name) VALUES (1, 'dumped')$$) AS rest_of_the_dump;
SELECT pg_temp.err($$UPDATE prio.settings SET intent_threshold = 2$$) AS its_settings;
SELECT count(*) AS customers, (SELECT count(*) FROM prio.tier_history) AS history FROM prio.customers;
-- a new session is not refused
\c
SELECT prio.restoring() AS new_session_not_restoring;

-- a dump of prio 0.3 or before has no prio._restore row: its customers and
-- activities load through the live triggers, and its history, the last
-- table it loads, is refused (55000, with the way to do it); prio's own
-- history rows go in as ever
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;
INSERT INTO prio.customers (customer_id, name) VALUES (1, 'dumped');
SELECT count(*) AS history_prio_wrote FROM prio.tier_history;
SELECT pg_temp.err($$INSERT INTO prio.tier_history (customer_id, changed_at, new_tier, reason)
                     VALUES (1, now(), 'D', 'new customer: D')$$) AS history_of_a_dump_of_prio_0_3;
SELECT count(*) AS history_rows FROM prio.tier_history;
SET client_min_messages = warning;
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio;

-- (0.5) prio.sources is loaded by name: a dumped row finds its table by
-- relname (its reloid was the dumped database's; relid, generated, is not
-- dumped), and the row of a table the dump does not have (pg_dump
-- --exclude-table) is left out with a WARNING, not the COPY of every row
-- failing (before, relid was a regclass: no table stayed tracked)
\c
RESET client_min_messages;
CREATE TABLE restore_kept (id integer PRIMARY KEY, name text);
SELECT c.relname AS not_dumped_column FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE a.attrelid = 'prio.sources'::regclass AND a.attname = 'relid' AND a.attgenerated = 's';
INSERT INTO prio._restore (id, dumped_by) VALUES (true, '0.5');  -- the dump's first data
INSERT INTO prio.sources (source_id, role, mapping, key_type, key_map, compiled, signature, created_at, reloid, relname)
OVERRIDING SYSTEM VALUE VALUES (7, 'customers', '{"key": "id", "name": "name"}', 'integer', NULL, '{}', '', now(), 1, 'public.restore_kept'),
       (8, 'activities', '{"customer": "id", "kind": "k", "at": "at"}', 'integer', NULL, '{}', '', now(), 2, 'public.restore_excluded');
-- a customers or deals table left out: prio.customers and tier_history
-- (prio.deals) name it as a regclass, so their COPY failed before
-- prio.sources' (if it mirrored any row): the WARNING says so, and how to
-- dump it instead
INSERT INTO prio.sources (source_id, role, mapping, key_type, key_map, compiled, signature, created_at, reloid, relname)
OVERRIDING SYSTEM VALUE VALUES (9, 'customers', '{"key": "id", "name": "name"}', 'integer', NULL, '{}', '', now(), 3, 'public.restore_gone_accounts'),
       (10, 'deals', '{"key": "id", "customer": "account", "stage": "stage"}', 'integer', NULL, '{}', '', now(), 4, 'public.restore_gone_deals');
SELECT source_id, relid, relname, reloid = 'restore_kept'::regclass AS found_by_name FROM prio.sources ORDER BY 1;
-- prio.removed_config keeps the key of every row removed, rows you added
-- too (a built-in row you changed is not marked built-in any more, so prio
-- cannot tell them apart): loading such a key removes only a built-in row
-- CREATE EXTENSION seeded, never one you added
INSERT INTO prio.activity_kinds (kind, direction) VALUES ('restore_fax', 'outbound');
INSERT INTO prio.removed_config (table_name, key) VALUES ('activity_kinds', 'restore_fax');
SELECT count(*) AS own_row_kept FROM prio.activity_kinds WHERE kind = 'restore_fax';
\c
SET client_min_messages = warning;
DROP TABLE restore_kept;
DROP EXTENSION prio CASCADE;
CREATE EXTENSION prio;
