-- Labels in zh-CN and en (0.5): prio.labels, prio.label(), the setting
-- prio.language (session, database, role), followup's stage_label,
-- tier_label and reason line, explain()'s labels.  Client encoding UTF8.
SET client_encoding = 'UTF8';
-- the library is loaded (prio.language is defined) by the first prio call
SELECT prio.label('stage', 'won') AS loaded;
BEGIN;
SET LOCAL timezone = 'UTC';  -- whole days, whatever the DST calendar
-- fixed RFM breaks: the scores do not depend on other tests' customers
UPDATE prio.settings SET r_breaks = '{7,30,90,180}', f_breaks = '{1,2,3,5}', m_breaks = '{100,500,1000,5000}';
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END$$;
INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline) VALUES
    (31, 'Wayne', 'dave', true, true, true, true),
    (32, 'Stark', 'dave', true, NULL, NULL, NULL),
    (33, 'Wonka', 'dave', NULL, NULL, NULL, NULL),
    (34, 'Tyrell', 'erin', NULL, NULL, true, NULL),
    (35, 'Duff', 'erin', NULL, NULL, NULL, NULL);
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT c, k, now() - d * interval '1 day', a FROM (VALUES
    (31, 'purchase', 100, 900), (31, 'purchase', 50, 1200), (31, 'purchase', 12, 700), (31, 'meeting', 8, 0),
    (32, 'purchase', 200, 80), (32, 'email', 40, 0),
    (33, 'inquiry', 45, 0), (33, 'call', 44, 0),
    (34, 'demo_request', 2, 0), (34, 'proposal', 1, 0),
    (35, 'rejected', 3, 0)) v(c, k, d, a);
SELECT prio.refresh() IS NOT NULL AS refreshed;

-- English by default: the reason line as 0.4 wrote it
SHOW prio.language;
SELECT customer_id, tier, stage, stage_label, tier_label,
       regexp_replace(reason, 'due \d{4}-\d\d-\d\d', 'due <date>') AS reason
  FROM prio.followup WHERE customer_id BETWEEN 31 AND 35;

-- zh-CN: stages, tiers and the reason line in Chinese
SET LOCAL prio.language = 'zh-CN';
SELECT customer_id, tier, stage, stage_label, tier_label,
       regexp_replace(reason, '\d{4}-\d\d-\d\d 到期', '<date> 到期') AS reason
  FROM prio.followup WHERE customer_id BETWEEN 31 AND 35;
SELECT (prio.explain(31) -> 'labels') - 'reason'::text AS explain_labels,
       prio.explain(31) -> 'labels' ->> 'reason' = (SELECT reason FROM prio.followup WHERE customer_id = 31)
       AS explain_reason_is_followups;

-- every built-in code in both languages, by domain
SELECT domain, count(*) FILTER (WHERE lang = 'en') AS en, count(*) FILTER (WHERE lang = 'zh-CN') AS zh_cn,
       count(*) FILTER (WHERE NOT builtin) AS changed
  FROM prio.labels GROUP BY domain ORDER BY domain;
SELECT l.domain, string_agg(l.code || '=' || prio.label(l.domain, l.code), ', ' ORDER BY l.code) AS zh_cn
  FROM prio.labels l WHERE l.lang = 'zh-CN' AND l.domain <> 'reason'
 GROUP BY l.domain ORDER BY l.domain;
SET LOCAL prio.language = 'en';
SELECT l.domain, string_agg(l.code || '=' || prio.label(l.domain, l.code), ', ' ORDER BY l.code) AS en
  FROM prio.labels l WHERE l.lang = 'en' AND l.domain IN ('deal_stage', 'tier', 'customer_type', 'channel', 'role')
 GROUP BY l.domain ORDER BY l.domain;
-- every RFM segment prio.rfm_segments names has its labels
SELECT s.segment, prio.label('rfm_segment', s.segment) AS en,
       (SELECT l.label FROM prio.labels l WHERE l.domain = 'rfm_segment' AND l.code = s.segment AND l.lang = 'zh-CN') AS zh_cn
  FROM prio.rfm_segments s ORDER BY s.position;

-- the tag is put in canonical case
SET LOCAL prio.language = 'ZH-cn';
SHOW prio.language;
SET LOCAL prio.language = 'zh-hans-cn';
SHOW prio.language;

-- Fallbacks: a language without labels is English; a label missing in the
-- language is English; missing in English too, the code itself; a longer tag
-- finds the labels of its shorter forms (zh-Hans-CN: zh-Hans, then zh), then
-- those of another tag of its language (zh-CN, whose lost label shows)
SET LOCAL prio.language = 'fr';
SELECT prio.label('stage', 'closing') AS fr_closing, prio.label('tier', 'A') AS fr_a;
SET LOCAL prio.language = 'zh-CN';
DELETE FROM prio.labels WHERE domain = 'stage' AND code = 'closing' AND lang = 'zh-CN';
SELECT prio.label('stage', 'closing') AS zh_closing_missing, prio.label('stage', 'won') AS zh_won;
DELETE FROM prio.labels WHERE domain = 'stage' AND code = 'closing';
SELECT prio.label('stage', 'closing') AS closing_missing_everywhere,
       prio.label('no_such_domain', 'x') AS unknown_domain, prio.label('stage', NULL) AS null_code;
INSERT INTO prio.labels (domain, code, lang, label) VALUES ('stage', 'won', 'zh', '赢了');
SET LOCAL prio.language = 'zh-Hans-CN';
SELECT prio.label('stage', 'won') AS zh_hans_cn_won, prio.label('stage', 'lost') AS zh_hans_cn_lost;

-- Editable: a new language is its rows; a change shows at once (the cache
-- is dropped); a changed built-in row is no longer built-in (pg_dump keeps
-- it); inserting a built-in row's key replaces the built-in row
INSERT INTO prio.labels (domain, code, lang, label) VALUES
    ('stage', 'won', 'fr', 'gagné'), ('tier', 'A', 'fr', 'valeur haute, intention haute');
SET LOCAL prio.language = 'fr';
SELECT prio.label('stage', 'won') AS fr_won, prio.label('tier', 'A') AS fr_a, prio.label('tier', 'B') AS fr_b;
UPDATE prio.labels SET label = 'GAGNÉ' WHERE domain = 'stage' AND code = 'won' AND lang = 'fr';
SELECT prio.label('stage', 'won') AS fr_won_changed;
SET LOCAL prio.language = 'zh-CN';
INSERT INTO prio.labels (domain, code, lang, label) VALUES ('tier', 'A', 'zh-CN', 'A类：高价值、高意向');
SELECT prio.label('tier', 'A') AS zh_a_replaced, builtin,
       (SELECT count(*) FROM prio.labels WHERE domain = 'tier' AND code = 'A' AND lang = 'zh-CN') AS rows
  FROM prio.labels WHERE domain = 'tier' AND code = 'A' AND lang = 'zh-CN';
UPDATE prio.labels SET label = '{date} 前联系' WHERE domain = 'reason' AND code = 'due' AND lang = 'zh-CN';
SELECT customer_id, regexp_replace(reason, '\d{4}-\d\d-\d\d', '<date>') AS reason
  FROM prio.followup WHERE customer_id = 34;
-- a template without its placeholder just leaves the value out
UPDATE prio.labels SET label = '逾期' WHERE domain = 'reason' AND code = 'overdue' AND lang = 'zh-CN';
SELECT customer_id, reason FROM prio.followup WHERE customer_id = 32;

-- the labels are no secret: anyone may read them, an admin edits them
SELECT has_table_privilege('public', 'prio.labels', 'SELECT') AS public_reads,
       has_table_privilege('public', 'prio.labels', 'UPDATE') AS public_writes;

-- the setting and the table take the same tags: every canonical form the
-- setting makes is a lang the table's CHECK accepts
SELECT t AS tag, c.canonical,
       pg_temp.err(format('INSERT INTO prio.labels (domain, code, lang, label) VALUES (%L, %L, %L, %L)',
                          'test', 'x', c.canonical, 'y')) AS label_row
  FROM unnest(ARRAY['EN', 'zh-hant-tw', 'ZH-HANS', 'de-ch-1996', 'es-419', 'sr-latn-rs', 'en-us-posix', 'yue-HK']) t
 CROSS JOIN LATERAL (SELECT set_config('prio.language', t, true) AS canonical) c;
SET LOCAL prio.language = 'zh-CN';

-- Bad input: a bad tag is refused by the setting (22023) and by the table
-- (23514), as is a bad domain, code or label
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$SET prio.language = ''$$),
  ($$SET prio.language = 'chinese!'$$),
  ($$SET prio.language = 'zh_CN'$$),
  ($$SET prio.language = 'z'$$),
  ($$SET prio.language = 'zh-CN-'$$),
  ($$SET prio.language = 'zh--CN'$$),
  ($$SET prio.language = 'zh-CN-Hans'$$),
  ($$SET prio.language = 'en-US-x-private'$$),
  ($$SET prio.language = 'abcdefgh-abcdefgh-abcdefgh-abcdefgh'$$),
  ($$SELECT set_config('prio.language', 'zh CN', true)$$),
  ($$INSERT INTO prio.labels (domain, code, lang, label) VALUES ('stage', 'won', 'zh-cn', 'x')$$),
  ($$INSERT INTO prio.labels (domain, code, lang, label) VALUES ('stage', 'won', 'zh_CN', 'x')$$),
  ($$INSERT INTO prio.labels (domain, code, lang, label) VALUES ('stage', 'won', '', 'x')$$),
  ($$INSERT INTO prio.labels (domain, code, lang, label) VALUES ('Stage', 'won', 'en', 'x')$$),
  ($$INSERT INTO prio.labels (domain, code, lang, label) VALUES ('', 'won', 'en', 'x')$$),
  ($$INSERT INTO prio.labels (domain, code, lang, label) VALUES ('stage', '', 'en', 'x')$$),
  ($$INSERT INTO prio.labels (domain, code, lang, label) VALUES ('stage', 'won', 'de', '')$$),
  ($$INSERT INTO prio.labels (domain, code, lang, label) VALUES ('stage', 'won', 'de', E'a\nb')$$),
  ($$INSERT INTO prio.labels (domain, code, lang, label) VALUES ('stage', 'won', 'de', NULL)$$),
  ($$INSERT INTO prio.labels (domain, code, lang, label) VALUES ('stage', 'won', 'fr', 'dup')$$),
  ($$UPDATE prio.labels SET lang = 'ZH' WHERE lang = 'zh-CN'$$)
) AS t(q);
SHOW prio.language;
ROLLBACK;

-- A database-level setting: every new session of the database takes it; a
-- role's setting in the database overrides it; SET overrides both
DO $$BEGIN EXECUTE format('ALTER DATABASE %I SET prio.language = %L', current_database(), 'zh-CN'); END$$;
\c
SET client_encoding = 'UTF8';
SHOW prio.language;
SELECT prio.label('stage', 'won') AS db_zh_cn_won, prio.label('tier', 'D') AS db_zh_cn_d;
DO $$BEGIN EXECUTE format('ALTER ROLE %I IN DATABASE %I SET prio.language = %L', current_user, current_database(), 'en'); END$$;
\c
SET client_encoding = 'UTF8';
SELECT prio.label('stage', 'won') AS role_en_won;
SET prio.language = 'zh-CN';
SELECT prio.label('stage', 'won') AS set_zh_cn_won;
RESET prio.language;
SELECT prio.label('stage', 'won') AS reset_to_role_en;
-- a bad tag is refused in ALTER DATABASE too, once prio is loaded
DO $$BEGIN EXECUTE format('ALTER DATABASE %I SET prio.language = %L', current_database(), 'zh_CN');
EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%: %', SQLSTATE, SQLERRM; END$$;
DO $$BEGIN EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET prio.language', current_user, current_database()); END$$;
DO $$BEGIN EXECUTE format('ALTER DATABASE %I RESET prio.language', current_database()); END$$;
\c
SELECT prio.label('stage', 'won') AS default_en_won;
SHOW prio.language;
