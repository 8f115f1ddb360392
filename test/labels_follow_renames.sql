-- pgTAP: labels follow a renamed key.  Labels name a deal stage, a
-- key-customer type, a channel or a playbook by its key: renamed (an UPDATE
-- of its key), it keeps its labels in every language, instead of showing
-- its new code to a team that reads Chinese.  A language the new key has a
-- label in already keeps that label; a renamed built-in label is
-- remembered in prio.removed_config, as any removed one.
BEGIN;
SELECT plan(12);
SET LOCAL prio.language = 'zh-CN';

UPDATE prio.deal_stages SET stage = 'negotiating' WHERE stage = 'negotiation';
SELECT is(prio.label('deal_stage', 'negotiating'), '谈判', 'a renamed deal stage keeps its Chinese label');
SET LOCAL prio.language = 'en';
SELECT is(prio.label('deal_stage', 'negotiating'), 'negotiation', '... and its English one');
SET LOCAL prio.language = 'zh-CN';
SELECT is((SELECT count(*) FROM prio.labels WHERE domain = 'deal_stage' AND code = 'negotiation'), 0::bigint,
          'no label is left under the old key');
SELECT is((SELECT count(*) FROM prio.removed_config
            WHERE table_name = 'labels' AND key::jsonb = '["deal_stage", "negotiation", "zh-CN"]'), 1::bigint,
          'the renamed built-in label is remembered as removed (it stays gone after a dump and restore)');

INSERT INTO prio.customer_types (type, condition) VALUES ('pilot', '{"attr": "pilot", "=": true}');
INSERT INTO prio.labels (domain, code, lang, label) VALUES ('customer_type', 'pilot', 'zh-CN', '试点客户');
UPDATE prio.customer_types SET type = 'trial' WHERE type = 'pilot';
SELECT is(prio.label('customer_type', 'trial'), '试点客户', 'a renamed key-customer type keeps its label');

INSERT INTO prio.customer_types (type, condition) VALUES ('early', '{"attr": "early", "=": true}');
INSERT INTO prio.labels (domain, code, lang, label) VALUES
    ('customer_type', 'early', 'zh-CN', '早期客户'), ('customer_type', 'early', 'en', 'early adopter'),
    ('customer_type', 'adopter', 'zh-CN', '采用者');
UPDATE prio.customer_types SET type = 'adopter' WHERE type = 'early';
SELECT is(prio.label('customer_type', 'adopter'), '采用者', 'a label the new key has already is kept');
SELECT is((SELECT label FROM prio.labels WHERE domain = 'customer_type' AND code = 'adopter' AND lang = 'en'),
          'early adopter', '... and the languages it has none in come along');
SELECT is((SELECT count(*) FROM prio.labels WHERE domain = 'customer_type' AND code = 'early'), 1::bigint,
          '... the one it has is left under the old key, not lost');

INSERT INTO prio.channels (channel) VALUES ('video');
INSERT INTO prio.labels (domain, code, lang, label) VALUES ('channel', 'video', 'zh-CN', '视频');
UPDATE prio.channels SET channel = 'video_call' WHERE channel = 'video';
SELECT is(prio.label('channel', 'video_call'), '视频', 'a renamed channel keeps its label');

-- (a playbook you added may be renamed to another type's)
INSERT INTO prio.customer_types (type, condition) VALUES
    ('care_a', '{"attr": "care_a", "=": true}'), ('care_b', '{"attr": "care_b", "=": true}');
INSERT INTO prio.playbooks (playbook, cadence, channels, roles, action)
VALUES ('care_a', '3 days', '{phone}', '{rep}', 'pilot check-in');
INSERT INTO prio.labels (domain, code, lang, label) VALUES ('playbook', 'care_a', 'zh-CN', '试点回访');
UPDATE prio.playbooks SET playbook = 'care_b' WHERE playbook = 'care_a';
SELECT is(prio.label('playbook', 'care_b'), '试点回访', 'a renamed playbook keeps its label');

UPDATE prio.deal_stages SET position = position WHERE stage = 'negotiating';
SELECT is(prio.label('deal_stage', 'negotiating'), '谈判', 'an UPDATE that keeps the key moves nothing');

CREATE TEMP TABLE other (channel text);
CREATE TRIGGER t AFTER UPDATE ON pg_temp.other FOR EACH ROW EXECUTE FUNCTION prio.config_labels_follow('channel', 'channel');
INSERT INTO pg_temp.other VALUES ('x');
SELECT throws_ok($$UPDATE pg_temp.other SET channel = 'y'$$, '39P01', NULL,
                 'prio.config_labels_follow() refuses to run on another table');

SELECT * FROM finish();
ROLLBACK;
