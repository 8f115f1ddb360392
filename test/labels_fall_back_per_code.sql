-- pgTAP: a label missing from one tag of the session's script is read from
-- the next tag of that script that has it, before the other script and
-- before English; and a tag whose script its region implies (zh-TW) reads
-- its full form (zh-Hant-TW) before another region's rows.  Review of the
-- zhteam change: the fallback took ONE tag per script (the first by name)
-- and went on to zh-CN when that tag had no row for the code, so a zh-HK
-- rep with zh-Hant rows for the tiers and zh-TW rows for the stages read
-- the stages in Simplified characters, and a zh-TW rep read zh-HK's rows
-- before zh-Hant-TW's (4 of 7 fail before).  Rolled back.
BEGIN;
SELECT plan(7);

INSERT INTO prio.labels (domain, code, lang, label) VALUES
    ('tier', 'A', 'zh-Hant', '高價值高意向'),
    ('stage', 'interested', 'zh-TW', '有意願'),
    ('stage', 'won', 'zh-HK', '已成交（港）'),
    ('stage', 'won', 'zh-Hant-TW', '已成交（台）');

SET LOCAL prio.language = 'zh-HK';
SELECT is(prio.label('stage', 'interested'), '有意願',
          'zh-HK: a stage the zh-Hant rows lack is read from zh-TW''s (Traditional), not zh-CN');
SELECT is(prio.label('tier', 'A'), '高價值高意向', 'zh-HK: the zh-Hant row still comes first');
SET LOCAL prio.language = 'zh-Hant';
SELECT is(prio.label('stage', 'interested'), '有意願',
          'zh-Hant: a stage its own rows lack is read from zh-TW''s, not zh-CN');
SET LOCAL prio.language = 'zh-TW';
SELECT is(prio.label('stage', 'won'), '已成交（台）',
          'zh-TW reads zh-Hant-TW (its full form) before zh-HK');
SET LOCAL prio.language = 'zh-TW';
SELECT is(prio.label('stage', 'lost'), '已流失',
          'zh-TW: a code no Traditional tag has reads zh-CN, not English');
SET LOCAL prio.language = 'zh';
SELECT is(prio.label('stage', 'interested'), '有意向', 'zh (Simplified) still reads zh-CN first');
DELETE FROM prio.labels WHERE domain = 'stage' AND code = 'interested' AND lang = 'zh-CN';
SELECT is(prio.label('stage', 'interested'), '有意願',
          'zh: a code no Simplified tag has reads a Traditional one (Chinese before English)');

SELECT * FROM finish();
ROLLBACK;
