-- pgTAP: prio configured with SQL rows only, as a sales-operations manager
-- and a DBA do it (hostile9).  The rules, each asserted below:
--   K1  A shipped playbook is not renamed, as it is not deleted (23514):
--       renaming tier A's playbook to a type's name left tier A without a
--       playbook (customers of tier A with playbook NULL, no next_action),
--       and a restore seeded it again beside the new name.  A playbook you
--       added may be renamed.
--   K2  A built-in key-customer type is not renamed, as it is not deleted
--       (23514; a restore would seed it again beside the new name).
--   K3  A renamed built-in configuration row stays gone across a dump and
--       restore, as a deleted one does: its old key is kept in
--       prio.removed_config (deal stage, channel, activity kind, label, RFM
--       segment).  A deal stage renamed (e.g. to Chinese) came back after a
--       restore as an extra funnel stage, and every open deal's funnel points
--       (and priority) changed at the next re-evaluation.
--   K4  TRUNCATE prio.customer_type_tags re-evaluates the customers whose
--       types a tag decided (it had no trigger: they kept the tagged types
--       and their tiers, and the live state differed from a rebuild).
--   K5  prio.auto_breaks keeps its one row, as prio.settings does (23514):
--       emptied (DELETE or TRUNCATE by prio's owner), every activity insert
--       failed with 55000 "prio.settings must have exactly one row".
-- After each change the live state equals a rebuild (pg_temp.rebuild_check).
-- Customers 99001.. (owner 'hostile9'); times relative to now(); rolled back.
BEGIN;
SELECT plan(30);

\ir lib/rebuild_check.psql

INSERT INTO prio.customers (customer_id, name, owner, budget, authority) VALUES
    (99001, '华东制造', 'hostile9', true, true),
    (99002, 'Acme 上海', 'hostile9', true, NULL),
    (99003, '深圳科技', 'hostile9', NULL, NULL);
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (99001, 'purchase', now() - interval '20 days', 5000),
    (99001, 'demo_request', now() - interval '2 days', 0),
    (99002, 'purchase', now() - interval '40 days', 800),
    (99003, 'inquiry', now() - interval '3 days', 0);
INSERT INTO prio.deals (customer_id, stage, amount) VALUES
    (99001, 'negotiation', 90000),
    (99002, 'first_contact', 1000);
INSERT INTO prio.customer_types (type, condition, description) VALUES
    ('cfg_vip', '{"attr": "行业排名", "<=": 3}', '行业前三'),
    ('cfg_vip2', '{"attr": "行业排名", "<=": 1}', '行业第一');
INSERT INTO prio.playbooks (playbook, cadence, channels, roles, action)
VALUES ('cfg_vip', '1 day', '{wechat,phone}', '{rep}', '每天问候');

------------------------------------------------------------------------
-- K1. shipped playbooks are not renamed
------------------------------------------------------------------------
SELECT throws_ok($$UPDATE prio.playbooks SET playbook = 'cfg_vip2', cadence = '1 day' WHERE playbook = 'A'$$,
                 '23514', NULL,
                 'K1: tier A''s playbook cannot be renamed (to a type''s name) any more than deleted');
SELECT throws_ok($$UPDATE prio.playbooks SET playbook = 'cfg_vip2' WHERE playbook = 'strategic'$$,
                 '23514', NULL,
                 'K1: a shipped type''s playbook cannot be renamed any more than deleted');
SELECT is((SELECT array_agg(playbook ORDER BY playbook) FROM prio.playbooks
            WHERE builtin OR playbook IN ('A', 'B', 'C', 'D', 'strategic')),
          '{A,B,C,D,active,high_growth,industry_influence,key_relationship,strategic}',
          'K1: every shipped playbook is still there under its name');
SELECT is((SELECT count(*) FROM prio.followup WHERE owner = 'hostile9' AND (playbook IS NULL OR next_action IS NULL)),
          0::bigint,
          'K1: every customer has a playbook and a next action');
SELECT lives_ok($$UPDATE prio.playbooks SET playbook = 'cfg_vip2' WHERE playbook = 'cfg_vip'$$,
                'K1: a playbook you added may be renamed (to another type''s)');
SELECT lives_ok($$UPDATE prio.playbooks SET cadence = '2 days', action = '定制方案' WHERE playbook = 'A'$$,
                'K1: a shipped playbook''s other columns still change with UPDATE');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'K1: after the playbook changes the live state equals a rebuild');

------------------------------------------------------------------------
-- K2. built-in key-customer types are not renamed
------------------------------------------------------------------------
SELECT throws_ok($$UPDATE prio.customer_types SET type = 'strategic_account' WHERE type = 'strategic'$$,
                 '23514', 'built-in customer type "strategic" cannot be renamed',
                 'K2: a built-in customer type cannot be renamed any more than deleted');
SELECT lives_ok($$UPDATE prio.customer_types SET type = 'cfg_vip3' WHERE type = 'cfg_vip'$$,
                'K2: a type you added (without a playbook) may be renamed');
SELECT lives_ok($$UPDATE prio.customer_types SET enabled = false, description = '停用' WHERE type = 'active'$$,
                'K2: a built-in type''s other columns still change with UPDATE');

------------------------------------------------------------------------
-- K3. a renamed built-in row's old key is kept, as a deleted one's
------------------------------------------------------------------------
UPDATE prio.deal_stages SET stage = '谈判' WHERE stage = 'negotiation';
SELECT is((SELECT array_agg(key) FROM prio.removed_config WHERE table_name = 'deal_stages' AND key = 'negotiation'),
          '{negotiation}',
          'K3: a built-in deal stage renamed (to Chinese) keeps its old key in removed_config');
SELECT is((SELECT stage FROM prio.deals WHERE customer_id = 99001), '谈判',
          'K3: the deals in the renamed stage follow it');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'K3: after the deal stage''s rename the live state equals a rebuild');
UPDATE prio.playbooks SET channels = '{email}' WHERE playbook = 'D';
UPDATE prio.channels SET channel = 'text_msg' WHERE channel = 'sms';
SELECT is((SELECT array_agg(key) FROM prio.removed_config WHERE table_name = 'channels' AND key = 'sms'),
          '{sms}',
          'K3: a built-in channel renamed keeps its old key in removed_config');
UPDATE prio.activity_kinds SET kind = 'site_visit' WHERE kind = 'visit';
SELECT is((SELECT array_agg(key) FROM prio.removed_config WHERE table_name = 'activity_kinds' AND key = 'visit'),
          '{visit}',
          'K3: a built-in activity kind renamed keeps its old key in removed_config');
UPDATE prio.labels SET code = 'site_visit' WHERE domain = 'channel' AND code = 'visit';
SELECT is((SELECT array_agg(key ORDER BY key) FROM prio.removed_config
             WHERE table_name = 'labels' AND key LIKE '["channel", "visit", %'),
          '{"[\"channel\", \"visit\", \"en\"]","[\"channel\", \"visit\", \"zh-CN\"]"}',
          'K3: built-in labels renamed keep their old keys in removed_config');
UPDATE prio.rfm_segments SET position = 105 WHERE position = 100;
SELECT is((SELECT array_agg(key) FROM prio.removed_config WHERE table_name = 'rfm_segments' AND key = '100'),
          '{100}',
          'K3: a built-in RFM segment moved to another position keeps its old key in removed_config');
-- an UPDATE that keeps the key removes nothing
UPDATE prio.deal_stages SET position = 45 WHERE stage = 'signing';
UPDATE prio.labels SET label = '电话联系' WHERE domain = 'channel' AND code = 'phone' AND lang = 'zh-CN';
SELECT is((SELECT count(*) FROM prio.removed_config WHERE key IN ('signing', '["channel", "phone", "zh-CN"]')),
          0::bigint,
          'K3: an UPDATE that keeps the key keeps nothing in removed_config');
-- loading the kept key, as a restore does after CREATE EXTENSION seeded the
-- built-in rows again, removes only a built-in row of that key: the row you
-- made under that key stays
INSERT INTO prio.deal_stages (stage, position, lifecycle) VALUES ('negotiation', 42, 'closing');
INSERT INTO prio.removed_config (table_name, key) VALUES ('deal_stages', 'negotiation') ON CONFLICT DO NOTHING;
SELECT is((SELECT (position, builtin)::text FROM prio.deal_stages WHERE stage = 'negotiation'), '(42,f)',
          'K3: a stage added under a renamed stage''s old name stays');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'K3: after the renames the live state equals a rebuild');

------------------------------------------------------------------------
-- K4. emptying the manual tags re-evaluates the customers they tagged
------------------------------------------------------------------------
INSERT INTO prio.customer_type_tags (customer_id, type, add, note) VALUES
    (99002, 'strategic', true, '集团总部指定'),
    (99003, 'industry_influence', true, NULL);
SELECT is((SELECT array_agg(customer_id ORDER BY customer_id) FROM prio.customer_state
            WHERE customer_id BETWEEN 99001 AND 99003 AND types && '{strategic,industry_influence}'),
          '{99002,99003}',
          'K4: the tagged customers hold their tagged types');
TRUNCATE prio.customer_type_tags;
SELECT is((SELECT count(*) FROM prio.customer_state
            WHERE customer_id BETWEEN 99001 AND 99003 AND types && '{strategic,industry_influence}'),
          0::bigint,
          'K4: after TRUNCATE prio.customer_type_tags no customer holds a type only its tag gave');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'K4: after TRUNCATE of the tags the live state equals a rebuild');

------------------------------------------------------------------------
-- K5. the automatic breaks keep their row
------------------------------------------------------------------------
SELECT throws_ok($$DELETE FROM prio.auto_breaks$$, '23514', NULL,
                 'K5: DELETE of prio.auto_breaks'' one row is refused');
SELECT throws_ok($$TRUNCATE prio.auto_breaks$$, '23514', NULL,
                 'K5: TRUNCATE prio.auto_breaks is refused');
SELECT lives_ok($$INSERT INTO prio.activities (customer_id, kind, at, amount)
                  VALUES (99003, 'purchase', now() - interval '1 day', 300)$$,
                'K5: an application''s activity insert still goes through');

------------------------------------------------------------------------
-- bad input
------------------------------------------------------------------------
SELECT throws_ok($$UPDATE prio.playbooks SET playbook = NULL WHERE playbook = 'cfg_vip2'$$,
                 '23502', NULL,
                 'bad input: a playbook renamed to NULL is refused with 23502');
SELECT throws_ok($$UPDATE prio.playbooks SET playbook = 'E' WHERE playbook = 'B'$$,
                 '23514', NULL,
                 'bad input: a tier''s playbook renamed to no tier is refused with 23514');
SELECT throws_ok($$UPDATE prio.customer_types SET type = '重要客户' WHERE type = 'cfg_vip3'$$,
                 '23514', NULL,
                 'bad input: a type renamed to a name that is not a code (Chinese) is refused with 23514');
SELECT throws_ok($$UPDATE prio.deal_stages SET stage = repeat('阶', 101) WHERE stage = '谈判'$$,
                 '23514', NULL,
                 'bad input: a deal stage renamed to more than 100 characters is refused with 23514');

SELECT * FROM finish();
ROLLBACK;
