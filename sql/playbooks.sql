-- prio.playbooks and prio.channels (0.5): how each tier and each key-customer
-- type is followed up; the playbook that applies with the shortest cadence
-- sets the due date.  In one transaction, left as found.
BEGIN;
SET LOCAL timezone = 'UTC';
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;

SELECT * FROM prio.channels ORDER BY channel;
SELECT playbook, cadence, channels, roles, automated, action, enabled, builtin
  FROM prio.playbooks ORDER BY length(playbook), playbook;

-- a customer of tier D follows D's playbook: every 14 days (settings.cadence_d)
INSERT INTO prio.customers (customer_id, name, owner) VALUES (8801, 'Initech', 'pb');
INSERT INTO prio.activities (customer_id, kind, at) VALUES (8801, 'email', now() - interval '1 day');
SELECT tier, playbook, next_due_at - last_outbound_at AS cadence FROM prio.customer_state WHERE customer_id = 8801;
SELECT tier, playbook, next_action FROM prio.followup WHERE customer_id = 8801;

-- D's playbook every 7 days: re-dued in the same statement; no history row
-- (neither tier nor stage changed: the one row is the customer's first)
UPDATE prio.playbooks SET cadence = '7 days' WHERE playbook = 'D';
SELECT tier, playbook, next_due_at - last_outbound_at AS cadence FROM prio.customer_state WHERE customer_id = 8801;
SELECT count(*) AS history_rows FROM prio.tier_history WHERE customer_id = 8801;

-- the rule, with key-customer types held
SELECT * FROM prio.playbooks_for('D', '{strategic,active}');
SELECT * FROM prio.playbooks_for('A', '{strategic}');
SELECT * FROM prio.playbooks_for('B', '{}');

-- explain()'s playbook part
SELECT jsonb_pretty(prio.explain(8801) -> 'playbook');
SELECT prio.explain(8801) -> 'cadence' AS cadence;

-- the channel of each activity (0.5): explain()'s channel check, each
-- channel the latest activities used against the chosen playbook's; a
-- tier-A customer (phone, visit, WeChat) reached by phone, by SMS and by a
-- channel prio.channels does not have (taken: any label is)
INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need) VALUES (8802, 'Hooli', 'pb', true, true, true);
INSERT INTO prio.activities (customer_id, kind, at, channel) VALUES
    (8802, 'call', now() - interval '2 days', 'phone'),
    (8802, 'email', now() - interval '1 day', 'sms'),
    (8802, 'reply', now() - interval '12 hours', NULL),
    (8802, 'call', now() - interval '6 hours', 'carrier_pigeon');
SELECT tier, playbook FROM prio.customer_state WHERE customer_id = 8802;
SELECT c ->> 'channel' AS channel, c ->> 'label' AS label, c -> 'known' AS known, c -> 'in_playbook' AS in_playbook,
       c -> 'events' AS events, c ->> 'note' AS note
  FROM jsonb_array_elements(prio.explain(8802) -> 'playbook' -> 'channel_check') c;
SET LOCAL prio.language = 'zh-CN';
SELECT string_agg(c ->> 'label', ', ') AS labels
  FROM jsonb_array_elements(prio.explain(8802) -> 'playbook' -> 'channel_check') c;
RESET prio.language;

-- a playbook of a type of your own (and a type of yours without one)
INSERT INTO prio.customer_types (type, condition) VALUES ('pilot', '{"attr": "pilot", "=": true}'),
                                                         ('vip', '{"attr": "vip", "=": true}');
INSERT INTO prio.playbooks (playbook, cadence, channels, roles, action)
VALUES ('pilot', '1 day', '{phone}', '{rep}', 'daily pilot check-in');

-- Bad input: refused with 23514 (CHECK constraints and the row trigger; an
-- activity's empty channel), 23503
-- (a channel in use, a type that has no row, a type with a playbook),
-- 22023 (playbooks_for's tier, a type that is none), 22004 (a NULL among
-- its types); nothing changes.
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$UPDATE prio.playbooks SET cadence = '0' WHERE playbook = 'A'$$),
  ($$UPDATE prio.playbooks SET cadence = '-2 days' WHERE playbook = 'A'$$),
  ($$UPDATE prio.playbooks SET cadence = '100 years' WHERE playbook = 'A'$$),
  ($$UPDATE prio.playbooks SET cadence = NULL WHERE playbook = 'strategic'$$),
  ($$UPDATE prio.playbooks SET channels = '{}' WHERE playbook = 'A'$$),
  ($$UPDATE prio.playbooks SET channels = NULL WHERE playbook = 'A'$$),
  ($$UPDATE prio.playbooks SET channels = '{phone,NULL}' WHERE playbook = 'A'$$),
  ($$UPDATE prio.playbooks SET channels = '{{phone},{visit}}' WHERE playbook = 'A'$$),
  ($$UPDATE prio.playbooks SET channels = '{phone,fax}' WHERE playbook = 'A'$$),
  ($$UPDATE prio.playbooks SET channels = '{phone,phone}' WHERE playbook = 'A'$$),
  ($$UPDATE prio.playbooks SET roles = '{}' WHERE playbook = 'A'$$),
  ($$UPDATE prio.playbooks SET roles = '{ceo}' WHERE playbook = 'A'$$),
  ($$UPDATE prio.playbooks SET roles = '{rep,NULL}' WHERE playbook = 'A'$$),
  ($$UPDATE prio.playbooks SET roles = '{rep,rep}' WHERE playbook = 'A'$$),
  ($$UPDATE prio.playbooks SET action = '' WHERE playbook = 'A'$$),
  ($$UPDATE prio.playbooks SET action = repeat('x', 1001) WHERE playbook = 'A'$$),
  ($$UPDATE prio.playbooks SET automated = NULL WHERE playbook = 'A'$$),
  ($$UPDATE prio.playbooks SET enabled = false WHERE playbook = 'B'$$),
  ($$INSERT INTO prio.playbooks (playbook, cadence, channels, roles, action) VALUES ('E', '1 day', '{phone}', '{rep}', 'x')$$),
  ($$INSERT INTO prio.playbooks (playbook, cadence, channels, roles, action) VALUES ('Big Spenders', '1 day', '{phone}', '{rep}', 'x')$$),
  ($$INSERT INTO prio.playbooks (playbook, channels, roles, action) VALUES ('vip', '{phone}', '{rep}', 'x')$$),
  ($$INSERT INTO prio.playbooks (playbook, cadence, channels, roles, action) VALUES ('no_such_type', '1 day', '{phone}', '{rep}', 'x')$$),
  ($$UPDATE prio.playbooks SET playbook = 'pilots' WHERE playbook = 'pilot'$$),
  ($$DELETE FROM prio.customer_types WHERE type = 'pilot'$$),
  ($$UPDATE prio.customer_types SET type = 'pilots' WHERE type = 'pilot'$$),
  ($$TRUNCATE prio.customer_types CASCADE$$),
  ($$DELETE FROM prio.playbooks WHERE playbook = 'C'$$),
  ($$DELETE FROM prio.playbooks WHERE playbook = 'active'$$),
  ($$TRUNCATE prio.playbooks$$),
  ($$INSERT INTO prio.channels (channel) VALUES ('WeChat Work')$$),
  ($$INSERT INTO prio.channels (channel) VALUES ('')$$),
  ($$INSERT INTO prio.activities (customer_id, kind, channel) VALUES (8802, 'call', '')$$),
  ($$UPDATE prio.activities SET channel = '  ' WHERE customer_id = 8802$$),
  ($$DELETE FROM prio.channels WHERE channel = 'sms'$$),
  ($$UPDATE prio.channels SET channel = 'short_message' WHERE channel = 'sms'$$),
  ($$TRUNCATE prio.channels$$),
  ($$SELECT * FROM prio.playbooks_for('E')$$),
  ($$SELECT * FROM prio.playbooks_for(NULL)$$),
  ($$SELECT * FROM prio.playbooks_for('A', '{{a},{b}}')$$),
  ($$SELECT * FROM prio.playbooks_for('A', '{strategic,no_such_type}')$$),
  ($$SELECT * FROM prio.playbooks_for('A', '{strategic,NULL}')$$)
) AS t(q);
SELECT count(*) AS playbooks, count(*) FILTER (WHERE builtin) AS builtin FROM prio.playbooks;
SELECT count(*) AS channels FROM prio.channels;
SELECT count(*) AS types FROM prio.customer_types;

-- a type whose playbook was removed may go
DELETE FROM prio.playbooks WHERE playbook = 'pilot';
DELETE FROM prio.customer_types WHERE type = 'pilot';
SELECT count(*) AS types FROM prio.customer_types;

-- a channel no playbook names may go
INSERT INTO prio.channels (channel) VALUES ('fax');
DELETE FROM prio.channels WHERE channel = 'fax';
SELECT count(*) AS channels FROM prio.channels;
ROLLBACK;
