-- pgTAP: prio as a Chinese-first sales team in Shenzhen tries it (hostile
-- round 12): Chinese schema, table, column and kind names, keys under an ICU
-- collation, emoji, reps in Taipei and Hong Kong.  The rules, each asserted
-- below:
--   Z1  a session whose tag implies Traditional characters (zh-TW, zh-HK)
--       reads the table's Traditional rows (zh-Hant, or another region's
--       that writes them: zh-TW for zh-HK) before the Simplified zh-CN
--       ones, and zh-Hant reads zh-TW's; Simplified sessions (zh, zh-CN,
--       zh-SG) are unchanged, and with the built-in rows only zh-TW still
--       reads zh-CN.  Before, zh-TW, zh-HK and zh-Hant read zh-CN whatever
--       Traditional rows the table had (4 of 9 fail before).
--   Z2  the reason line of prio.reactivation writes a sum as a person does:
--       amounts mapped as fen / 100.0 summed to 123.4500000000000000, and
--       the line read "购买 1 次，共 123.4500000000000000" (2 of 2 fail before).
--   Z3  the rest held: a tracked customers table with Chinese names and a
--       key COLLATE "zh-x-icu", names with emoji kept whole, kinds mapped
--       from Chinese by CASE, explain() by a Chinese key, a full-width
--       amount a WARNING (the write goes through), translate() maps it.
-- (The tier-change payload of a key that JSON escapes: specs/zh_notify.spec.)
-- Then a labelled block of bad input: each refused with its own SQLSTATE.
-- Schema 销售; rolled back.
BEGIN;
SELECT plan(26);

CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'ok'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END$$;

------------------------------------------------------------------------
-- Z1. Traditional characters for reps in Taipei and Hong Kong
------------------------------------------------------------------------
SET LOCAL prio.language = 'zh-TW';
SELECT is(prio.label('tier', 'A'), '高价值高意向',
          'Z1: with the built-in rows only, zh-TW reads zh-CN (Chinese before English)');
INSERT INTO prio.labels (domain, code, lang, label) VALUES
    ('tier', 'A', 'zh-Hant', '高價值高意向'),
    ('stage', 'interested', 'zh-TW', '有意願');
SELECT is(prio.label('tier', 'A'), '高價值高意向', 'Z1: zh-TW reads the zh-Hant row (its script), not zh-CN');
SET LOCAL prio.language = 'zh-HK';
SELECT is(prio.label('tier', 'A'), '高價值高意向', 'Z1: zh-HK reads the zh-Hant row, not zh-CN');
DELETE FROM prio.labels WHERE lang = 'zh-Hant';
SELECT is(prio.label('stage', 'interested'), '有意願',
          'Z1: zh-HK with no zh-Hant rows reads zh-TW''s (Traditional too), not zh-CN');
SET LOCAL prio.language = 'zh-Hant';
SELECT is(prio.label('stage', 'interested'), '有意願', 'Z1: zh-Hant reads zh-TW''s row, not zh-CN');
SELECT is(prio.label('stage', 'won'), '已成交',
          'Z1: a code the Traditional tag has no row for reads zh-CN (then English)');
SET LOCAL prio.language = 'zh';
SELECT is(prio.label('stage', 'interested'), '有意向', 'Z1: zh (Simplified) reads zh-CN, not zh-TW');
SET LOCAL prio.language = 'zh-SG';
SELECT is(prio.label('stage', 'interested'), '有意向', 'Z1: zh-SG (Simplified) reads zh-CN, not zh-TW');
SET LOCAL prio.language = 'zh-CN';
SELECT is(prio.label('stage', 'interested'), '有意向', 'Z1: zh-CN reads its own rows');

------------------------------------------------------------------------
-- Z3. a CRM written in Chinese, tracked
------------------------------------------------------------------------
CREATE SCHEMA 销售;
CREATE TABLE 销售.客户 (编号 text COLLATE "zh-x-icu" PRIMARY KEY, 名称 text, 业务员 text);
CREATE TABLE 销售.活动 (id serial PRIMARY KEY, 编号 text COLLATE "zh-x-icu", 类型 text, 时间 timestamptz, 金额 text);
CREATE TABLE 销售.微信支付 (id serial PRIMARY KEY, 编号 text COLLATE "zh-x-icu", 时间 timestamptz, 金额分 bigint);
CREATE INDEX ON 销售.活动 (编号);
CREATE INDEX ON 销售.微信支付 (编号);
INSERT INTO 销售.客户 VALUES ('深圳001', '深圳华强电子有限公司', '张伟'),
                             ('广州002', '广州🐉科技' || repeat('长', 300), '李娜'),
                             ('北京003', '北京', '王芳');
SELECT is(pg_temp.sqlstate_of($$SELECT prio.track('销售.客户', 'customers', '{"key": "编号", "name": "名称", "owner": "业务员"}')$$),
          'ok', 'Z3: track() a customers table, schema and columns named in Chinese, its key COLLATE "zh-x-icu"');
SELECT is(pg_temp.sqlstate_of($tr$SELECT prio.track('销售.活动', 'activities',
    $${"customer": "编号", "at": "时间",
       "kind": "CASE 类型 WHEN '电话' THEN 'call' WHEN '拜访' THEN 'meeting' WHEN '成交' THEN 'purchase' END",
       "amount": "replace(replace(金额, ',', ''), '¥', '')::numeric"}$$)$tr$),
          'ok', 'Z3: track() its activities, the kinds mapped from Chinese by CASE');
SELECT is(pg_temp.sqlstate_of($$SELECT prio.track('销售.微信支付', 'activities',
    '{"customer": "编号", "at": "时间", "kind": "''purchase''", "amount": "金额分 / 100.0"}')$$),
          'ok', 'Z3: track() a payments table whose amounts are fen (分), mapped as 金额分 / 100.0');
SELECT is((SELECT followup_view::text FROM prio.tracked WHERE source = '销售.客户'::regclass),
          'prio."followup_客户"', 'Z3: its typed follow-up view is named after the Chinese table');
SELECT is((SELECT name FROM prio.customers WHERE source = '销售.客户'::regclass AND customer_key = '广州002'),
          '广州🐉科技' || repeat('长', 300), 'Z3: a name of 306 characters with an emoji is kept whole');
INSERT INTO 销售.活动 (编号, 类型, 时间, 金额) VALUES
    ('深圳001', '电话', now() - interval '3 days', NULL),
    ('深圳001', '成交', now() - interval '2 days', '¥1,200');
SELECT is((SELECT (frequency, monetary) FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
            WHERE c.customer_key = '深圳001'), ROW(1::bigint, 1200::numeric),
          'Z3: a purchase typed as 成交 with ¥1,200 is one purchase of 1200');
SELECT is((SELECT prio.explain('销售.客户', '深圳001'::text) ->> 'name'), '深圳华强电子有限公司',
          'Z3: explain() by a Chinese key');
SELECT lives_ok($$INSERT INTO 销售.活动 (编号, 类型, 时间, 金额) VALUES ('北京003', '成交', now() - interval '1 day', '１２３')$$,
                'Z3: an amount typed in full-width digits is a WARNING for prio; the application''s write goes through');
SELECT is((SELECT count(*) FROM 销售.活动 WHERE 编号 = '北京003'), 1::bigint, 'Z3: ... the row is in the application''s table');
SELECT is(translate('１２３，４５６', '０１２３４５６７８９，', '0123456789')::numeric, 123456::numeric,
          'Z3: translate(), which a mapping may use, reads full-width digits and commas');

------------------------------------------------------------------------
-- Z2. the sum in the re-activation reason, as a person writes it
------------------------------------------------------------------------
INSERT INTO 销售.微信支付 (编号, 时间, 金额分) VALUES ('北京003', now() - interval '40 days', 12345);
SELECT is((SELECT prio.reactivation_reason('silent', NULL, s.frequency, s.monetary, NULL, NULL)
             FROM prio.customer_state s JOIN prio.customers c USING (customer_id) WHERE c.customer_key = '北京003'),
          '沉默，从未回复，购买 1 次，共 123.45',
          'Z2: the reason line gives a sum of fen / 100.0 as 123.45 (zh-CN)');
SET LOCAL prio.language = 'en';
SELECT is(prio.reactivation_reason('lost', NULL, 2, 2400.5000000000000000, NULL, NULL),
          'lost, never replied, 2 purchases, 2400.5 in total', 'Z2: ... and 2400.50000 as 2400.5 (en)');

------------------------------------------------------------------------
-- Bad input: refused with their own SQLSTATE, never XX000
------------------------------------------------------------------------
SELECT is(pg_temp.sqlstate_of($$SET LOCAL prio.language = 'zh_TW'$$), '22023', 'bad input: prio.language zh_TW is 22023');
SELECT is(pg_temp.sqlstate_of($$SET LOCAL prio.language = '中文'$$), '22023', 'bad input: prio.language 中文 is 22023');
SELECT is(pg_temp.sqlstate_of($$INSERT INTO prio.labels (domain, code, lang, label) VALUES ('tier', 'A', 'zh-hant', '高價值')$$),
          '23514', 'bad input: a label row of lang zh-hant (not canonical) is 23514');
CREATE TABLE 销售.深圳市华强北电子元器件批发有限公司客户 (k text PRIMARY KEY);
SELECT is(pg_temp.sqlstate_of($$SELECT prio.track('销售.深圳市华强北电子元器件批发有限公司客户', 'customers', '{"key": "k"}')$$),
          '42622', 'bad input: track() of a table whose followup_ view name would pass 63 bytes is 42622, not a name cut mid-character');
SELECT is(pg_temp.sqlstate_of($$SELECT prio.explain('销售.客户', '不存在'::text)$$), '23503',
          'bad input: explain() of a Chinese key no customer has is 23503');

SELECT * FROM finish();
ROLLBACK;
