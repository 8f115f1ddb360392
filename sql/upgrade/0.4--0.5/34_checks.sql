-- 0.4 -> 0.5, checks (inputs once taken silently).
-- prio.activities.channel (added by 32_channel.sql) is not empty or blank:
-- such a channel is none (NULL is the unknown one), and explain()'s channel
-- check would list it as a channel.  A channel column a DBA added before
-- 0.5 (32_channel.sql keeps it, whatever its type) gets the check only
-- when it is of a string type and holds no empty value; otherwise a
-- WARNING says what to do, and the upgrade goes on.
DO $$
DECLARE
    v_type text;
    v_string boolean;
BEGIN
    SELECT pg_catalog.format_type(a.atttypid, a.atttypmod), t.typcategory OPERATOR(pg_catalog.=) 'S'
      INTO v_type, v_string
      FROM pg_catalog.pg_attribute a
      JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
     WHERE a.attrelid OPERATOR(pg_catalog.=) '@extschema@.activities'::pg_catalog.regclass
       AND a.attname OPERATOR(pg_catalog.=) 'channel' AND NOT a.attisdropped;
    IF NOT v_string THEN
        RAISE WARNING 'prio: prio.activities.channel is of type %, not text: it gets no check against empty channels', v_type;
    ELSIF EXISTS (SELECT 1 FROM @extschema@.activities a
                   WHERE pg_catalog.btrim(a.channel) OPERATOR(pg_catalog.=) '') THEN
        RAISE WARNING 'prio: prio.activities has activities with an empty channel: the check against them is not added'
            USING HINT = 'UPDATE prio.activities SET channel = NULL WHERE btrim(channel) = ''''; then ALTER TABLE prio.activities ADD CONSTRAINT activities_channel_check CHECK (pg_catalog.btrim(channel) <> '''').';
    ELSE
        ALTER TABLE @extschema@.activities ADD CONSTRAINT activities_channel_check
            CHECK (pg_catalog.btrim(channel) <> '');
    END IF;
END
$$;
COMMENT ON COLUMN @extschema@.activities.channel IS 'The channel it went through: phone, visit, wechat, email, sms, community (prio.channels) or any label of yours, not empty (23514); NULL: unknown.  Not checked against prio.channels: prio.explain() shows a channel it does not know as such, and whether the customer''s playbook names it.  Channels do not change scoring.';
