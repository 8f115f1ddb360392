-- pgTAP: playbooks (issue 19 item 7).  One playbook per tier and per
-- key-customer type: cadence, channels, roles, automation, the typical action.
-- The playbook that applies with the shortest cadence sets next_due_at and is
-- stored in customer_state.playbook; followup shows next_action and playbook;
-- explain() shows those that applied and the winner.  Settings at their
-- defaults (cadences A 2 / B 5 / C 5 / D 14 days).  Times relative to now().
BEGIN;
SELECT plan(52);

\ir lib/rebuild_check.psql

UPDATE prio.settings
   SET r_breaks = '{7,30,90,180}', f_breaks = '{1,2,3,5}', m_breaks = '{100,500,1000,5000}',
       cadence_a = DEFAULT, cadence_b = DEFAULT, cadence_c = DEFAULT, cadence_d = DEFAULT,
       value_score = DEFAULT, bant_threshold = DEFAULT, intent_threshold = DEFAULT;

-- the shipped playbooks, as the source documents give them
SELECT is((SELECT ROW(cadence, channels, roles, automated, action)::text FROM prio.playbooks WHERE playbook = 'A'),
          '(,"{phone,visit,wechat}","{sales_manager,tech_support}",f,"tailored proposal and offers")',
          'high priority (A): phone + visit + WeChat, a sales manager with technical support, tailored proposal and offers, at the settings'' cadence');
SELECT is((SELECT array_agg(ROW(playbook, cadence, channels, roles, automated, action)::text ORDER BY playbook)
             FROM prio.playbooks WHERE playbook IN ('B', 'C')),
          '{"(B,,\"{phone,email,community}\",{rep},f,\"standard introduction\")","(C,,\"{phone,email,community}\",{rep},f,\"standard introduction\")"}',
          'medium priority (B, C): phone + email + community, a sales rep, the standard introduction');
SELECT is((SELECT ROW(cadence, channels, roles, automated, action)::text FROM prio.playbooks WHERE playbook = 'D'),
          '(,"{email,sms}",{automation},t,"content and wake-up pushes")',
          'low priority (D): email + SMS automation, content and wake-up pushes');
SELECT is((SELECT array_agg(playbook ORDER BY playbook) FROM prio.playbooks WHERE cadence IS NOT NULL),
          '{active,high_growth,industry_influence,key_relationship,strategic}',
          'one playbook per key-customer type, each with a cadence of its own');
SELECT is((SELECT action FROM prio.playbooks WHERE playbook = 'strategic'),
          'cross-department team, executive relationship, tailored solutions',
          'strategic key customers: cross-department team, executive relationship, tailored solutions');
SELECT ok((SELECT bool_and(cadence_a BETWEEN '1 day' AND '3 days') AND bool_and(cadence_b BETWEEN '3 days' AND '7 days')
                  AND bool_and(cadence_c BETWEEN '3 days' AND '7 days') AND bool_and(cadence_d >= '7 days')
             FROM prio.settings),
          'the tiers'' cadences in settings are the documents'': A every 1-3 days, B and C 3-7, D 7 or more');

-- customers of each tier
INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline) VALUES
    (7701, 'pb A', 'pb', true, true, true, NULL),
    (7702, 'pb B', 'pb', true, true, NULL, NULL),
    (7703, 'pb C', 'pb', NULL, NULL, NULL, NULL),
    (7704, 'pb D', 'pb', NULL, NULL, NULL, NULL);
INSERT INTO prio.activities (customer_id, kind, at) VALUES
    (7701, 'call', now() - interval '1 day'),
    (7702, 'call', now() - interval '1 day'),
    (7703, 'call', now() - interval '1 day'), (7703, 'demo_request', now() - interval '12 hours'),
    (7704, 'email', now() - interval '1 day');
SELECT is((SELECT array_agg(tier || '=' || playbook ORDER BY customer_id) FROM prio.customer_state
            WHERE customer_id BETWEEN 7701 AND 7704),
          '{A=A,B=B,C=C,D=D}', 'every customer follows its tier''s playbook (no key-customer type held)');
SELECT is((SELECT array_agg(next_due_at - last_outbound_at ORDER BY customer_id) FROM prio.customer_state
            WHERE customer_id BETWEEN 7701 AND 7704),
          '{"2 days","5 days","5 days","14 days"}',
          'a tier''s playbook without a cadence of its own follows the tier''s cadence in prio.settings (one source of truth)');
SELECT is((SELECT array_agg(next_action ORDER BY customer_id) FROM prio.followup WHERE owner = 'pb'),
          '{"phone: tailored proposal and offers","phone: standard introduction","phone: standard introduction","email: content and wake-up pushes"}',
          'followup''s next_action: the playbook''s first channel and its typical action');
SELECT is((SELECT array_agg(playbook ORDER BY customer_id) FROM prio.followup WHERE owner = 'pb'),
          '{A,B,C,D}', 'followup names the playbook');

-- one source of truth: the settings' cadence moves the tier's playbook
UPDATE prio.settings SET cadence_a = '3 days';
SELECT is((SELECT next_due_at - last_outbound_at FROM prio.customer_state WHERE customer_id = 7701),
          '3 days'::interval, 'a change of settings.cadence_a re-dues the customers of playbook A');
UPDATE prio.settings SET cadence_a = DEFAULT;

-- a cadence on the tier's playbook overrides the settings, in the same transaction
UPDATE prio.playbooks SET cadence = '1 day' WHERE playbook = 'A';
SELECT is((SELECT next_due_at - last_outbound_at FROM prio.customer_state WHERE customer_id = 7701),
          '1 day'::interval, 'a cadence set on a tier''s playbook overrides the settings'' at once');
SELECT is((SELECT builtin FROM prio.playbooks WHERE playbook = 'A'), false,
          'a changed playbook is no longer built-in (pg_dump keeps it)');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'after a playbook change, live state equals a full rebuild');
UPDATE prio.playbooks SET cadence = NULL WHERE playbook = 'A';
SELECT is((SELECT next_due_at - last_outbound_at FROM prio.customer_state WHERE customer_id = 7701),
          '2 days'::interval, 'back to NULL: the settings'' cadence again');

-- the channels: a new one, first in a playbook, is the next action's
INSERT INTO prio.channels (channel) VALUES ('video_call');
UPDATE prio.playbooks SET channels = '{video_call,phone,visit,wechat}' WHERE playbook = 'A';
SELECT is((SELECT next_action FROM prio.followup WHERE customer_id = 7701),
          'video_call: tailored proposal and offers', 'a channel added to prio.channels may lead a playbook');

-- the rule (src/rules/playbook.c) with types held: prio.playbooks_for()
SELECT is((SELECT array_agg(playbook || ':' || chosen) FROM prio.playbooks_for('D', '{strategic}')),
          '{strategic:true,D:false}',
          'a strategic key customer in tier D is followed at the strategic playbook''s 3 days, not D''s 7+ days: the most demanding cadence wins');
SELECT is((SELECT array_agg(playbook || ':' || chosen) FROM prio.playbooks_for('A', '{strategic}')),
          '{A:true,strategic:false}',
          'a tier-A strategic customer keeps A''s 1-3 days: a type''s playbook never slows a customer down');
SELECT is((SELECT array_agg(playbook || ':' || chosen) FROM prio.playbooks_for('D', '{active,strategic,industry_influence}')),
          '{strategic:true,D:false,active:false,industry_influence:false}',
          'several types held: every one applies, the shortest cadence wins (strategic 3 days over active and industry influence 7)');
SELECT is((SELECT array_agg(playbook || ':' || chosen) FROM prio.playbooks_for('B', '{key_relationship}')),
          '{key_relationship:true,B:false}',
          'equal cadences (B 5 days, key relationship 5 days): the type''s playbook wins, it says more of the customer');
SELECT is((SELECT array_agg(playbook || ':' || chosen) FROM prio.playbooks_for('D', '{industry_influence,active}')),
          '{active:true,D:false,industry_influence:false}',
          'equal cadences between types (7 days): the name first in byte order wins, whatever the order held');
INSERT INTO prio.customer_types (type, condition) VALUES ('no_playbook_type', '{"fact": "frequency", ">=": 1000000}');
SELECT is((SELECT array_agg(playbook || ':' || chosen) FROM prio.playbooks_for('C', '{no_playbook_type}')),
          '{C:true}', 'a type without a playbook changes nothing');
DELETE FROM prio.customer_types WHERE type = 'no_playbook_type';
SELECT throws_ok($$SELECT * FROM prio.playbooks_for('C', '{strategic,no_such_type}')$$, '22023',
                 '"no_such_type" is not a key-customer type',
                 'playbooks_for: a name that is not a key-customer type is refused, not taken for a type nobody holds');
SELECT throws_ok($$SELECT * FROM prio.playbooks_for('C', '{strategic,NULL}')$$, '22004',
                 'types must not contain NULL', 'playbooks_for: a NULL among the types is refused');
SELECT is((SELECT array_agg(playbook || ':' || chosen) FROM prio.playbooks_for('C')),
          '{C:true}', 'no types held: the tier''s playbook');
UPDATE prio.playbooks SET enabled = false WHERE playbook = 'strategic';
SELECT is((SELECT array_agg(playbook || ':' || chosen) FROM prio.playbooks_for('D', '{strategic}')),
          '{D:true}', 'a type''s playbook turned off applies to nobody');
UPDATE prio.playbooks SET enabled = true WHERE playbook = 'strategic';
UPDATE prio.playbooks SET cadence = '12 hours' WHERE playbook = 'D';
SELECT is((SELECT array_agg(playbook || ':' || chosen) FROM prio.playbooks_for('D', '{strategic}')),
          '{D:true,strategic:false}', 'a tier''s own cadence shorter than the type''s: the tier''s wins');
SELECT is((SELECT next_due_at - last_outbound_at FROM prio.customer_state WHERE customer_id = 7704),
          '12:00:00'::interval, '... and it sets the D customer''s due date');
UPDATE prio.playbooks SET cadence = NULL WHERE playbook = 'D';

-- a playbook of a type of your own
INSERT INTO prio.customer_types (type, condition) VALUES ('pilot_customer', '{"attr": "pilot", "=": true}');
INSERT INTO prio.playbooks (playbook, cadence, channels, roles, action)
VALUES ('pilot_customer', '1 day', '{phone}', '{rep,tech_support}', 'daily pilot check-in');
SELECT is((SELECT array_agg(playbook || ':' || chosen) FROM prio.playbooks_for('A', '{pilot_customer}')),
          '{pilot_customer:true,A:false}', 'a type''s playbook you add applies like the shipped ones');
SELECT throws_ok($$INSERT INTO prio.playbooks (playbook, cadence, channels, roles, action)
                   VALUES ('pilot_customers', '1 day', '{phone}', '{rep}', 'x')$$, '23503',
                 'playbook pilot_customers: there is no key-customer type pilot_customers',
                 'a playbook of a type that is not in prio.customer_types is refused, naming it');
SELECT throws_ok($$DELETE FROM prio.customer_types WHERE type = 'pilot_customer'$$, '23503',
                 'key-customer type pilot_customer has a playbook',
                 'a type with a playbook cannot be removed');
SELECT throws_ok($$UPDATE prio.customer_types SET type = 'pilot' WHERE type = 'pilot_customer'$$, '23503',
                 'key-customer type pilot_customer has a playbook',
                 '... nor renamed (its playbook would be for nobody)');
DELETE FROM prio.playbooks WHERE playbook = 'pilot_customer';
SELECT is((SELECT count(*) FROM prio.playbooks WHERE playbook = 'pilot_customer'), 0::bigint,
          'a playbook you added may be deleted');

-- explain(): the playbooks that applied, the winner, the stored one, its cadence
SELECT is((SELECT prio.explain(7702) -> 'playbook' ->> 'chosen'), 'B', 'explain() names the playbook that wins now');
SELECT is((SELECT prio.explain(7702) -> 'playbook' ->> 'stored'), 'B', '... and the one stored');
SELECT is((SELECT jsonb_array_length(prio.explain(7702) -> 'playbook' -> 'applied')), 1,
          '... and every one that applied (the tier''s alone: no type held)');
SELECT is((SELECT prio.explain(7702) -> 'playbook' -> 'applied' -> 0 ->> 'cadence_from'), 'settings',
          '... with where its cadence comes from');
SELECT is((SELECT prio.explain(7702) ->> 'cadence'), '5 days', 'explain()''s cadence is the winning playbook''s');
SET LOCAL prio.language = 'zh-CN';
SELECT is((SELECT array_agg(next_action ORDER BY customer_id) FROM prio.followup WHERE owner = 'pb'),
          '{video_call：定制方案与专属优惠,电话：标准产品介绍,电话：标准产品介绍,邮件：内容推送与唤醒}',
          'followup''s next_action reads in the session''s language (zh-CN): the channel''s label and the playbook''s action');
UPDATE prio.playbooks SET action = 'send the pilot report' WHERE playbook = 'B';
SELECT is((SELECT next_action FROM prio.followup WHERE customer_id = 7702), '电话：send the pilot report',
          '... and an action you rewrote reads as you wrote it');
RESET prio.language;

-- explain()'s channel check (0.5, with the channel of activities): each
-- channel the latest events used against the chosen playbook's channels
SELECT is(prio._explain_channels('D',
              '[{"source": "app.events", "latest": [{"kind": "call", "channel": "email", "at": "2026-01-03T00:00:00+00:00"},
                                                   {"kind": "call", "channel": "visit", "at": "2026-01-02T00:00:00+00:00"},
                                                   {"kind": "call", "at": "2026-01-01T00:00:00+00:00"},
                                                   {"kind": "call", "channel": "email", "at": "2026-01-01T00:00:00+00:00"}]}]'::jsonb),
          '[{"channel": "email", "label": "email", "known": true, "in_playbook": true, "events": 2, "last_at": "2026-01-03T00:00:00+00:00"},
            {"channel": "visit", "label": "visit", "known": true, "in_playbook": false, "events": 1, "last_at": "2026-01-02T00:00:00+00:00"}]'::jsonb,
          'explain() says whether an activity''s channel is one of its playbook''s: a visit does not match D''s email + SMS automation');
SELECT is((SELECT prio.explain(7704) -> 'playbook' -> 'channel_check'), '[]'::jsonb,
          'explain(): no channel check for activities without a channel (NULL: unknown)');
-- a tier-A customer of prio.customers, reached by phone and by SMS
INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need) VALUES (7705, 'pb A ch', 'pb_ch', true, true, true);
INSERT INTO prio.activities (customer_id, kind, at, channel) VALUES
    (7705, 'call', now() - interval '2 days', 'phone'),
    (7705, 'email', now() - interval '1 day', 'sms'),
    (7705, 'reply', now() - interval '12 hours', NULL);
SELECT is((SELECT s.tier || ' ' || (prio.explain(7705) -> 'playbook' ->> 'chosen') FROM prio.customer_state s WHERE s.customer_id = 7705),
          'A A', 'a customer with budget, authority and need who replied is tier A and follows A''s playbook');
SELECT is((SELECT jsonb_agg(jsonb_build_object('channel', c ->> 'channel', 'in_playbook', c -> 'in_playbook') ORDER BY c ->> 'channel')
             FROM jsonb_array_elements(prio.explain(7705) -> 'playbook' -> 'channel_check') c),
          '[{"channel": "phone", "in_playbook": true}, {"channel": "sms", "in_playbook": false}]'::jsonb,
          'a high-priority (A) customer is followed by phone, visit and WeChat: explain() shows its phone call in its playbook, its SMS not');
SET LOCAL prio.language = 'zh-CN';
SELECT is((SELECT array_agg(c ->> 'label' ORDER BY c ->> 'channel')
             FROM jsonb_array_elements(prio.explain(7705) -> 'playbook' -> 'channel_check') c),
          '{电话,短信}', 'explain()''s channel check labels each channel in the session''s language');
RESET prio.language;
-- any label is taken (an application's write never fails on it)
INSERT INTO prio.activities (customer_id, kind, at, channel) VALUES (7705, 'call', now() - interval '6 hours', 'carrier_pigeon');
SELECT is((SELECT c - 'last_at' FROM jsonb_array_elements(prio.explain(7705) -> 'playbook' -> 'channel_check') c
            WHERE c ->> 'channel' = 'carrier_pigeon'),
          '{"channel": "carrier_pigeon", "label": "carrier_pigeon", "known": false, "in_playbook": false, "events": 1,
            "note": "not a known channel (prio.channels)"}'::jsonb,
          'prio.activities takes a channel prio.channels does not have; explain() shows it as not a known channel');
-- channels do not change scoring
CREATE TEMP TABLE ch_before ON COMMIT DROP AS
SELECT s.tier, s.priority, s.intent, s.stage, s.next_due_at, s.playbook FROM prio.customer_state s WHERE s.customer_id = 7705;
UPDATE prio.activities SET channel = NULL WHERE customer_id = 7705;
SELECT is((SELECT ROW(s.tier, s.priority, s.intent, s.stage, s.next_due_at, s.playbook)::text
             FROM prio.customer_state s WHERE s.customer_id = 7705),
          (SELECT ROW(b.tier, b.priority, b.intent, b.stage, b.next_due_at, b.playbook)::text FROM ch_before b),
          'channels do not change scoring: the same tier, priority, intent, stage and due date without them');
-- the types held come from customer_state.types where the table has it
SELECT is((SELECT prio._explain_playbook(s, s.tier) -> 'types' FROM prio.customer_state s
            WHERE s.customer_id = 7704), '[]'::jsonb, 'explain(): no types held without customer_state.types');

-- prio.evaluate() follows the playbooks as the engine does
UPDATE prio.playbooks SET cadence = '1 day' WHERE playbook = 'B';
SELECT is((SELECT (prio.evaluate(prio.stored_facts(s), c, r.cfg, r.r_breaks, r.f_breaks, r.m_breaks, now(),
                                 r.bgnbd, r.gammagamma)).next_due_at
             FROM prio.customer_state s JOIN prio.customers c USING (customer_id), prio.rule_config r
            WHERE s.customer_id = 7702),
          (SELECT next_due_at FROM prio.customer_state WHERE customer_id = 7702),
          'prio.evaluate() gives the due date the engine stored, under the playbooks in force');

-- prio.evaluate(state, customer) evaluates the row it is given, the types it holds too
SELECT is((SELECT (prio.evaluate(s, c)).next_due_at FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
            WHERE s.customer_id = 7702),
          (SELECT next_due_at FROM prio.customer_state WHERE customer_id = 7702),
          'prio.evaluate(state, customer) gives the due date the engine stored');
SELECT is((SELECT ARRAY['key_type'] <@ (prio.evaluate(jsonb_populate_record(s, '{"types": ["strategic"]}'), c)).value_signals
             FROM prio.customer_state s JOIN prio.customers c USING (customer_id) WHERE s.customer_id = 7702
              AND NOT 'strategic' = ANY (COALESCE(s.types, '{}'))),
          true, 'prio.evaluate(state, customer) reads the types held from the row given (a strategic one implies value)');

SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'live state (playbooks included) equals a full rebuild');

SELECT * FROM finish();
ROLLBACK;
