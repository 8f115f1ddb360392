------------------------------------------------------------------------
-- Labels (0.5): what prio shows -- stages, deal stages, tiers, key-customer
-- types, RFM segments, channels, roles, playbooks, the reason line -- in
-- the language of the setting prio.language (en, zh-CN, ...; English by
-- default), from the editable table prio.labels.
------------------------------------------------------------------------

CREATE TABLE @extschema@.labels (
    domain  text    NOT NULL CHECK (domain ~ '^[a-z][a-z0-9_]*$' AND pg_catalog.length(domain) <= 63),
    code    text    NOT NULL CHECK (pg_catalog.length(code) BETWEEN 1 AND 200),
    -- a language tag in its canonical case, the grammar prio.language's
    -- check takes (src/rules/language.c): en, zh-CN, zh-Hans-CN, de-CH-1996
    lang    text    NOT NULL CHECK (lang ~ '^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*$'
                                    AND pg_catalog.length(lang) <= 35),
    label   text    NOT NULL CHECK (pg_catalog.length(label) BETWEEN 1 AND 1000 AND label !~ '[[:cntrl:]]'),
    builtin boolean NOT NULL DEFAULT false,
    PRIMARY KEY (domain, code, lang)
);
COMMENT ON TABLE @extschema@.labels IS
'The labels prio shows, per language: prio.label(domain, code) returns the label in the session''s prio.language (a tag: en, zh-CN, ...), else in the tag''s shorter forms (zh-Hans-CN, zh-Hans, zh), (a script implied by the region for Chinese: zh-TW reads zh-Hant-TW next), else in its script alone and the tags of that script the table has (zh-TW and zh-HK read zh-Hant, else zh-TW or zh-HK rows, before zh-CN), else in the other tags of the same language the table has (zh and zh-TW read zh-CN), each list in name order, the first tag with a row for the code, else in English (en), else the code itself.  Edit with INSERT/UPDATE/DELETE; add a language by adding its rows.';
COMMENT ON COLUMN @extschema@.labels.domain IS 'What the code names: stage, deal_stage, tier, customer_type, rfm_segment, channel, role, playbook, reason (the parts of the reason line), or a domain of your own (lower-case letters, digits, _).';
COMMENT ON COLUMN @extschema@.labels.code IS 'The code as prio stores it: a stage (closing), a tier (A), a segment name (Champions), a channel (wechat), ...';
COMMENT ON COLUMN @extschema@.labels.lang IS 'Language tag in canonical case: language (2-3 letters, lower case), then optionally a script (Hans), a region (CN, 419) and variants: en, zh-CN, zh-Hans-CN.';
COMMENT ON COLUMN @extschema@.labels.label IS 'The text shown.  The reason domain''s labels are templates: {tier}, {bant}, {segment}, {r}, {f}, {m}, {n}, {date}, {amount}, {clv}, {channel} and {action} are replaced by their values, once (a value''s own text, such as a segment''s or channel''s label, is shown as written).  A renamed deal stage, key-customer type, channel or playbook takes its labels along.';
COMMENT ON COLUMN @extschema@.labels.builtin IS 'True while the row is as prio shipped it; set false by any change.';

INSERT INTO @extschema@.labels (domain, code, lang, label, builtin)
SELECT v.domain, v.code, l.lang, CASE l.lang WHEN 'en' THEN v.en ELSE v.zh END, true
  FROM (VALUES
    -- lifecycle stages (prio.stage)
    ('stage', 'prospect',   'prospect',   '潜在客户'),
    ('stage', 'interested', 'interested', '有意向'),
    ('stage', 'engaged',    'engaged',    '深入沟通'),
    ('stage', 'closing',    'closing',    '即将成交'),
    ('stage', 'won',        'won',        '已成交'),
    ('stage', 'silent',     'silent',     '沉默'),
    ('stage', 'lost',       'lost',       '已流失'),
    -- deal stages: the funnel in order, then closed
    ('deal_stage', 'first_contact', 'first contact', '初次接触'),
    ('deal_stage', 'needs_clear',   'needs clear',   '需求明确'),
    ('deal_stage', 'quote',         'quote',         '报价'),
    ('deal_stage', 'negotiation',   'negotiation',   '谈判'),
    ('deal_stage', 'signing',       'signing',       '签约'),
    ('deal_stage', 'won',           'won',           '赢单'),
    ('deal_stage', 'lost',          'lost',          '丢单'),
    -- tiers: value potential x intent
    ('tier', 'A', 'high value, high intent', '高价值高意向'),
    ('tier', 'B', 'high value, low intent',  '高价值低意向'),
    ('tier', 'C', 'low value, high intent',  '低价值高意向'),
    ('tier', 'D', 'low value, low intent',   '低价值低意向'),
    -- key-customer types
    ('customer_type', 'strategic',          'strategic key account',  '战略型大客户'),
    ('customer_type', 'high_growth',        'high-growth potential',  '高增长潜力客户'),
    ('customer_type', 'industry_influence', 'industry influence',     '行业影响力客户'),
    ('customer_type', 'active',             'active cooperation',     '合作活跃客户'),
    ('customer_type', 'key_relationship',   'key relationship',       '关键关系客户'),
    -- RFM segments: the names of prio.rfm_segments' rows, and Other
    ('rfm_segment', 'Champions',          'Champions',          '重要价值客户'),
    ('rfm_segment', 'Can''t Lose Them',   'Can''t Lose Them',   '不能流失的客户'),
    ('rfm_segment', 'Loyal',              'Loyal',              '忠诚客户'),
    ('rfm_segment', 'At Risk',            'At Risk',            '有流失风险'),
    ('rfm_segment', 'New',                'New',                '新客户'),
    ('rfm_segment', 'Promising',          'Promising',          '有潜力的新客户'),
    ('rfm_segment', 'Potential Loyalist', 'Potential Loyalist', '潜在忠诚客户'),
    ('rfm_segment', 'Need Attention',     'Need Attention',     '需要关注'),
    ('rfm_segment', 'About To Sleep',     'About To Sleep',     '即将沉睡'),
    ('rfm_segment', 'Lost',               'Lost',               '已流失客户'),
    ('rfm_segment', 'Other',              'Other',              '其他'),
    -- channels
    ('channel', 'phone',     'phone',     '电话'),
    ('channel', 'visit',     'visit',     '拜访'),
    ('channel', 'wechat',    'WeChat',    '微信'),
    ('channel', 'email',     'email',     '邮件'),
    ('channel', 'sms',       'SMS',       '短信'),
    ('channel', 'community', 'community', '社群'),
    -- roles
    ('role', 'sales_manager', 'sales manager',     '销售经理'),
    ('role', 'tech_support',  'technical support', '技术支持'),
    ('role', 'rep',           'sales rep',         '销售代表'),
    ('role', 'automation',    'automation',        '自动化'),
    -- playbooks (one per tier and per key-customer type): the typical action
    ('playbook', 'A', 'tailored proposal and offers', '定制方案与专属优惠'),
    ('playbook', 'B', 'standard introduction',        '标准产品介绍'),
    ('playbook', 'C', 'standard introduction',        '标准产品介绍'),
    ('playbook', 'D', 'content and wake-up pushes',   '内容推送与唤醒'),
    ('playbook', 'strategic',          'cross-department team, executive relationship, tailored solutions',
                                       '跨部门团队、高层关系、定制化解决方案'),
    ('playbook', 'high_growth',        'fast response, incubation resources, grow together',
                                       '快速响应、孵化资源、共同成长'),
    ('playbook', 'industry_influence', 'benchmark delivery, case promotion',
                                       '标杆交付、案例推广'),
    ('playbook', 'active',             'repurchase reminders, experience feedback, loyalty incentives',
                                       '复购提醒、体验反馈、忠诚度激励'),
    ('playbook', 'key_relationship',   'executive trust, resource exchange, joint projects',
                                       '高层信任、资源互换、联合项目'),
    -- the reason line (prio.reason()): its parts, templates with {...}
    ('reason', 'separator',      ', ',                      '，'),
    ('reason', 'tier_bant',      '{tier}: BANT {bant}/4',   '{tier}级：BANT {bant}/4'),
    ('reason', 'segment',        '{segment} {r}-{f}-{m}',   '{segment} {r}-{f}-{m}'),
    ('reason', 'no_purchases',   'no purchases',            '尚无购买'),
    ('reason', 'rfm_not_scored', 'RFM not scored yet',      'RFM 尚未评分'),
    ('reason', 'no_reply',       'no reply to last touch',  '上次联系未获回复'),
    ('reason', 'overdue_1',      '1 day overdue',           '逾期 1 天'),
    ('reason', 'overdue',        '{n} days overdue',        '逾期 {n} 天'),
    ('reason', 'due_today',      'due today',               '今日到期'),
    ('reason', 'due',            'due {date}',              '{date} 到期'),
    -- for re-activation (prio.reactivation) and the next action (playbooks)
    ('reason', 'last_inbound',   '{n} days since the last reply', '距上次回复 {n} 天'),
    ('reason', 'next_action',    '{channel}: {action}',     '{channel}：{action}'),
    -- the rest of prio.reactivation's reason line (prio.reactivation_reason())
    ('reason', 'last_inbound_1', '1 day since the last reply', '距上次回复 1 天'),
    ('reason', 'no_inbound',     'never replied',           '从未回复'),
    ('reason', 'bought_1',       '1 purchase, {amount} in total', '购买 1 次，共 {amount}'),
    ('reason', 'bought',         '{n} purchases, {amount} in total', '购买 {n} 次，共 {amount}'),
    ('reason', 'clv',            'CLV {clv}',               '预期价值 {clv}')
  ) v(domain, code, en, zh)
 CROSS JOIN (VALUES ('en'), ('zh-CN')) l(lang);

-- An inserted row with the key of an unchanged built-in row takes its place
-- (a restore loads the changed rows after CREATE EXTENSION seeded them);
-- a changed or added row is no longer built-in, so pg_dump keeps it.
CREATE FUNCTION @extschema@.labels_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
        UPDATE @extschema@.labels l SET label = NEW.label
         WHERE l.builtin AND l.domain OPERATOR(pg_catalog.=) NEW.domain
           AND l.code OPERATOR(pg_catalog.=) NEW.code AND l.lang OPERATOR(pg_catalog.=) NEW.lang;
        IF FOUND THEN
            RETURN NULL;
        END IF;
    END IF;
    NEW.builtin := false;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.labels_guard() IS
'Row trigger on prio.labels: a changed or added row is no longer built-in (so pg_dump keeps it), and an inserted row with the key of an unchanged built-in row updates that row instead.';
CREATE TRIGGER labels_guard
    BEFORE INSERT OR UPDATE ON @extschema@.labels
    FOR EACH ROW EXECUTE FUNCTION @extschema@.labels_guard();
CREATE TRIGGER labels_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.labels
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.invalidate_cache();
-- a removed label stays removed across a dump and restore (prio.removed_config)
CREATE TRIGGER labels_removed
    AFTER DELETE ON @extschema@.labels
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_removed('domain', 'code', 'lang');
-- (a renamed one too: its old key is gone as a deleted row's)
CREATE TRIGGER labels_renamed
    AFTER UPDATE ON @extschema@.labels
    FOR EACH ROW WHEN (OLD.domain OPERATOR(pg_catalog.<>) NEW.domain OR OLD.code OPERATOR(pg_catalog.<>) NEW.code
                       OR OLD.lang OPERATOR(pg_catalog.<>) NEW.lang)
    EXECUTE FUNCTION @extschema@.config_row_removed('domain', 'code', 'lang');
CREATE TRIGGER labels_truncated
    BEFORE TRUNCATE ON @extschema@.labels
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_row_removed('domain', 'code', 'lang');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.labels', 'WHERE NOT builtin');
-- labels are no secret, and whoever reads prio.followup reads them
GRANT SELECT ON @extschema@.labels TO PUBLIC;

-- A renamed deal stage, key-customer type, channel or playbook (an UPDATE of
-- its key) keeps its labels: they name it by its key, and left behind the
-- new key would show as its code (in every language).  Labels the new key
-- has already are kept; a renamed built-in label is remembered in
-- prio.removed_config as any renamed label is.
CREATE FUNCTION @extschema@.config_labels_follow()
RETURNS trigger
LANGUAGE plpgsql
-- it writes prio.labels for whoever may rename the row
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_old text;
    v_new text;
BEGIN
    -- TG_ARGV: the labels' domain, the key column
    IF TG_RELID OPERATOR(pg_catalog.<>) ALL (ARRAY['@extschema@.deal_stages'::pg_catalog.regclass,
                                                  '@extschema@.customer_types'::pg_catalog.regclass,
                                                  '@extschema@.channels'::pg_catalog.regclass,
                                                  '@extschema@.playbooks'::pg_catalog.regclass]) THEN
        RAISE EXCEPTION 'prio.config_labels_follow() is a trigger of prio.deal_stages, prio.customer_types, prio.channels and prio.playbooks only'
            USING ERRCODE = '39P01';
    END IF;
    v_old := pg_catalog.to_jsonb(OLD) OPERATOR(pg_catalog.->>) TG_ARGV[1];
    v_new := pg_catalog.to_jsonb(NEW) OPERATOR(pg_catalog.->>) TG_ARGV[1];
    UPDATE @extschema@.labels l SET code = v_new
     WHERE l.domain OPERATOR(pg_catalog.=) TG_ARGV[0] AND l.code OPERATOR(pg_catalog.=) v_old
       AND NOT EXISTS (SELECT FROM @extschema@.labels n
                        WHERE n.domain OPERATOR(pg_catalog.=) l.domain AND n.code OPERATOR(pg_catalog.=) v_new
                          AND n.lang OPERATOR(pg_catalog.=) l.lang);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.config_labels_follow() IS
'Trigger on prio.deal_stages, prio.customer_types, prio.channels and prio.playbooks (row after an UPDATE that changes the key; its arguments: the labels'' domain, the key column): the labels of the old key move to the new one, except in a language the new key has a label in already.';
REVOKE ALL ON FUNCTION @extschema@.config_labels_follow() FROM PUBLIC;
CREATE TRIGGER deal_stages_labels
    AFTER UPDATE ON @extschema@.deal_stages
    FOR EACH ROW WHEN (OLD.stage OPERATOR(pg_catalog.<>) NEW.stage)
    EXECUTE FUNCTION @extschema@.config_labels_follow('deal_stage', 'stage');
CREATE TRIGGER customer_types_labels
    AFTER UPDATE ON @extschema@.customer_types
    FOR EACH ROW WHEN (OLD.type OPERATOR(pg_catalog.<>) NEW.type)
    EXECUTE FUNCTION @extschema@.config_labels_follow('customer_type', 'type');
CREATE TRIGGER channels_labels
    AFTER UPDATE ON @extschema@.channels
    FOR EACH ROW WHEN (OLD.channel OPERATOR(pg_catalog.<>) NEW.channel)
    EXECUTE FUNCTION @extschema@.config_labels_follow('channel', 'channel');
CREATE TRIGGER playbooks_labels
    AFTER UPDATE ON @extschema@.playbooks
    FOR EACH ROW WHEN (OLD.playbook OPERATOR(pg_catalog.<>) NEW.playbook)
    EXECUTE FUNCTION @extschema@.config_labels_follow('playbook', 'playbook');

CREATE FUNCTION @extschema@.label(domain text, code text)
RETURNS text
AS 'MODULE_PATHNAME', 'prio_label_sql'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.label(text, text) IS
'The label of code in domain (prio.labels) in the language of the setting prio.language (SET, ALTER DATABASE/ROLE ... SET; default en), else in the tag''s shorter forms (zh-Hans-CN, zh-Hans, zh), (a script implied by the region for Chinese: zh-TW reads zh-Hant-TW next), else in its script alone and the tags of that script the table has (zh-TW and zh-HK read zh-Hant, else zh-TW or zh-HK rows, before zh-CN), else in the other tags of the same language the table has (zh and zh-TW read zh-CN), each list in name order, the first tag with a row for the code, else in English, else code itself.  STABLE: reads the table, cached per backend until it changes.';

-- An as_of of a SQL function checked as the C ones check theirs
-- (CheckTimeArg()): one call in its single expression, so it still inlines.
CREATE FUNCTION @extschema@._check_time(value timestamptz, name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'prio_check_time'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._check_time(timestamptz, text) IS
'Internal (prio.reason(), prio.reactivation_reason()): true for a finite time; NULL is refused with 22004 and +-infinity with 22023, naming the argument, as every as_of argument of prio is.';

-- The reason line of prio.followup: one place that builds it, from labels.
-- A single expression (no SET, no subquery), so the planner inlines it;
-- as_of is checked first, whatever parts the line has.
CREATE FUNCTION @extschema@.reason(st @extschema@.customer_state, as_of timestamptz DEFAULT pg_catalog.now())
RETURNS text
LANGUAGE sql
STABLE PARALLEL SAFE
-- no state row (a LEFT JOIN that found none): no reason, not a line of its NULLs
RETURN CASE WHEN @extschema@._check_time(as_of, 'as_of') AND st.customer_id IS NOT NULL
            THEN pg_catalog.concat_ws(@extschema@.label('reason', 'separator'),
    pg_catalog.replace(pg_catalog.replace(@extschema@.label('reason', 'tier_bant'),
                                          '{tier}', st.tier), '{bant}', st.bant::text),
    CASE WHEN st.frequency OPERATOR(pg_catalog.>) 0 AND st.r_score IS NOT NULL
              AND st.f_score IS NOT NULL AND st.m_score IS NOT NULL
         -- the segment's label last: a {r} in its text is the user's, not a placeholder
         THEN pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
                  @extschema@.label('reason', 'segment'),
                  '{r}', st.r_score::text), '{f}', st.f_score::text), '{m}', st.m_score::text),
                  '{segment}', @extschema@.label('rfm_segment', @extschema@.rfm_segment(st.r_score, st.f_score, st.m_score)))
         WHEN st.frequency OPERATOR(pg_catalog.=) 0 THEN @extschema@.label('reason', 'no_purchases')
         ELSE @extschema@.label('reason', 'rfm_not_scored') END,
    @extschema@.label('stage', st.effective_stage::text),
    CASE WHEN st.no_reply THEN @extschema@.label('reason', 'no_reply') END,
    CASE WHEN pg_catalog.floor(pg_catalog.date_part('epoch', as_of OPERATOR(pg_catalog.-) st.next_due_at)
                               OPERATOR(pg_catalog./) 86400) OPERATOR(pg_catalog.=) 1
         THEN @extschema@.label('reason', 'overdue_1')
         WHEN pg_catalog.floor(pg_catalog.date_part('epoch', as_of OPERATOR(pg_catalog.-) st.next_due_at)
                               OPERATOR(pg_catalog./) 86400) OPERATOR(pg_catalog.>) 1
         THEN pg_catalog.replace(@extschema@.label('reason', 'overdue'), '{n}',
                  pg_catalog.floor(pg_catalog.date_part('epoch', as_of OPERATOR(pg_catalog.-) st.next_due_at)
                                   OPERATOR(pg_catalog./) 86400)::integer::text)
         WHEN st.next_due_at OPERATOR(pg_catalog.<=) as_of THEN @extschema@.label('reason', 'due_today')
         ELSE pg_catalog.replace(@extschema@.label('reason', 'due'), '{date}',
                  pg_catalog.to_char(st.next_due_at, 'YYYY-MM-DD')) END) END;
COMMENT ON FUNCTION @extschema@.reason(@extschema@.customer_state, timestamptz) IS
'The reason line of a customer''s state at as_of (default now(); NULL: 22004, +-infinity: 22023; NULL for a NULL state row), in the session''s prio.language: tier and BANT, RFM segment and scores (or no purchases, or not scored yet), stage, no reply, and overdue or due; each part a prio.labels row of domain reason (a template), the separator too.  prio.followup''s reason.';
