-- pgTAP: labels in Chinese and English (issue 19 item 8).  The source
-- documents are in Chinese and name the funnel stages, tiers, key-customer
-- types and channels in Chinese; a team that works in Chinese reads prio's
-- list in Chinese, a team that works in English reads it as before.
BEGIN;
SELECT plan(25);
SET LOCAL client_encoding = 'UTF8';
SET LOCAL timezone = 'UTC';

INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline) VALUES
    (89001, 'label buyer', 'labels', true, true, true, true),
    (89002, 'label prospect', 'labels', NULL, NULL, NULL, NULL);
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (89001, 'purchase', now() - interval '30 days', 500),
    (89001, 'meeting', now() - interval '2 days', 0),
    (89002, 'inquiry', now() - interval '1 day', 0);

-- English by default
SELECT is(current_setting('prio.language'), 'en', 'English is the default language');
SELECT is((SELECT stage_label FROM prio.followup WHERE customer_id = 89002),
          (SELECT stage::text FROM prio.followup WHERE customer_id = 89002),
          'in English a stage reads as its code, as in 0.4');
SELECT matches((SELECT reason FROM prio.followup WHERE customer_id = 89002),
               '^[ABCD]: BANT 0/4, no purchases, interested, ',
               'in English the reason line reads as in 0.4');

-- Chinese
SET LOCAL prio.language = 'zh-CN';
SELECT is(prio.label('deal_stage', 'first_contact') || '、' || prio.label('deal_stage', 'needs_clear') || '、' ||
          prio.label('deal_stage', 'quote') || '、' || prio.label('deal_stage', 'negotiation') || '、' ||
          prio.label('deal_stage', 'signing'),
          '初次接触、需求明确、报价、谈判、签约',
          'the funnel stages read in Chinese as the source document names them: 初次接触、需求明确、报价、谈判、签约');
SELECT is(ARRAY[prio.label('tier', 'A'), prio.label('tier', 'B'), prio.label('tier', 'C'), prio.label('tier', 'D')],
          ARRAY['高价值高意向', '高价值低意向', '低价值高意向', '低价值低意向'],
          'ABCD means value potential x intent: A 高价值高意向, B 高价值低意向, C 低价值高意向, D 低价值低意向');
SELECT is(ARRAY[prio.label('customer_type', 'strategic'), prio.label('customer_type', 'high_growth'),
                prio.label('customer_type', 'industry_influence'), prio.label('customer_type', 'active'),
                prio.label('customer_type', 'key_relationship')],
          ARRAY['战略型大客户', '高增长潜力客户', '行业影响力客户', '合作活跃客户', '关键关系客户'],
          'the five key-customer types read as the second source document names them');
SELECT is(ARRAY[prio.label('channel', 'phone'), prio.label('channel', 'visit'), prio.label('channel', 'wechat'),
                prio.label('channel', 'email'), prio.label('channel', 'sms'), prio.label('channel', 'community')],
          ARRAY['电话', '拜访', '微信', '邮件', '短信', '社群'],
          'the channels read in Chinese: 电话 拜访 微信 邮件 短信 社群');
SELECT is((SELECT stage_label FROM prio.followup WHERE customer_id = 89002), '有意向',
          'a Chinese user sees followup''s stage in Chinese');
SELECT is((SELECT tier_label FROM prio.followup WHERE customer_id = 89001),
          (SELECT label FROM prio.labels WHERE domain = 'tier' AND lang = 'zh-CN'
              AND code = (SELECT tier FROM prio.customer_state WHERE customer_id = 89001)),
          'a Chinese user sees what the tier means in Chinese');
SELECT matches((SELECT reason FROM prio.followup WHERE customer_id = 89002),
               '^[ABCD]级：BANT 0/4，尚无购买，有意向，',
               'a Chinese user reads the reason line in Chinese');
SELECT is(prio.explain(89001) -> 'labels' ->> 'reason', (SELECT reason FROM prio.followup WHERE customer_id = 89001),
          'explain() gives followup''s reason line, in the session''s language');
SELECT is(prio.explain(89001) -> 'labels' ->> 'stage', prio.label('stage', (SELECT effective_stage::text FROM prio.customer_state
                                                                              WHERE customer_id = 89001)),
          'explain() labels the stage in the session''s language');
SELECT is((SELECT count(*) FROM prio.labels e
            WHERE e.lang = 'en' AND NOT EXISTS (SELECT 1 FROM prio.labels z
                                                 WHERE z.domain = e.domain AND z.code = e.code AND z.lang = 'zh-CN')),
          0::bigint, 'every built-in English label has its Chinese one');

-- fallbacks
INSERT INTO prio.labels (domain, code, lang, label) VALUES ('stage', 'my_stage', 'en', 'my stage');
SELECT is(prio.label('stage', 'my_stage'), 'my stage', 'a label missing in the session''s language falls back to English');
SELECT is(prio.label('stage', 'nobody_labelled_this'), 'nobody_labelled_this', '... and then to the code itself');
SET LOCAL prio.language = 'ja';
SELECT is(prio.label('stage', 'won'), 'won', 'a language without labels reads in English');
INSERT INTO prio.labels (domain, code, lang, label) VALUES ('stage', 'won', 'ja', '受注');
SELECT is(prio.label('stage', 'won'), '受注', 'users may add a language: its rows are used at once');

-- per session: a role reads in its own language; the setting refuses a bad tag
SELECT throws_ok($$SET prio.language = 'zh_CN'$$, '22023', NULL, 'a malformed language tag is refused (22023)');
SELECT throws_ok($$INSERT INTO prio.labels (domain, code, lang, label) VALUES ('stage', 'won', 'zh-cn', 'x')$$,
                 '23514', NULL, 'a label row''s language tag is in canonical case (23514)');
CREATE ROLE prio_t_label_reader;
SELECT prio.grant_reader('prio_t_label_reader');
UPDATE prio.labels SET label = label WHERE false;   -- drops the cache: the reader loads it
SET LOCAL ROLE prio_t_label_reader;
SET LOCAL prio.language = 'zh-CN';
SELECT is((SELECT stage_label FROM prio.followup WHERE customer_id = 89002), '有意向',
          'a reader (grant_reader) reads followup''s labels');
RESET ROLE;
CREATE ROLE prio_t_label_admin;
SELECT prio.grant_admin('prio_t_label_admin');
SET LOCAL ROLE prio_t_label_admin;
SELECT lives_ok($$UPDATE prio.labels SET label = '意向客户' WHERE domain = 'stage' AND code = 'interested' AND lang = 'zh-CN'$$,
                'an admin (grant_admin) edits the labels');
RESET ROLE;

-- A tag with no rows of its own reads its language's rows of another
-- region before English: 'zh' (what a Chinese user sets first) and 'zh-TW'
-- read the built-in zh-CN labels; they read English before.
SET LOCAL prio.language = 'zh';
SELECT is(prio.label('stage', 'interested'), '意向客户', 'prio.language zh reads the zh-CN labels (not English)');
SELECT is((SELECT stage_label FROM prio.followup WHERE customer_id = 89002), '意向客户', '... in followup too');
SET LOCAL prio.language = 'zh-Hant-TW';
SELECT is(prio.label('stage', 'interested'), '意向客户', 'prio.language zh-Hant-TW (no rows of its own, nor zh-Hant, nor zh) reads zh-CN');
INSERT INTO prio.labels (domain, code, lang, label) VALUES ('stage', 'interested', 'fr-CA', 'intéressé');
SET LOCAL prio.language = 'fr';
SELECT is(prio.label('stage', 'interested') || ' / ' || prio.label('stage', 'won'), 'intéressé / ' || (SELECT label FROM prio.labels WHERE domain = 'stage' AND code = 'won' AND lang = 'en'),
          'prio.language fr reads an added fr-CA label, and English where fr-CA has none');

SELECT * FROM finish();
ROLLBACK;
