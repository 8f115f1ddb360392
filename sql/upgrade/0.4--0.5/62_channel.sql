-- 0.4 -> 0.5, channel: the privileges prio._track_events() and
-- prio._track_event_sources() had, given back (dropped in 32_channel.sql,
-- created by sql/install/92_channel.sql).
SELECT @extschema@.upgrade_regrant(pg_catalog.format('FUNCTION @extschema@.%s(%s)', f.name, f.args),
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_' OPERATOR(pg_catalog.||) f.name), '')::pg_catalog.aclitem[])
  FROM (VALUES ('_track_events', 'bigint, regclass'), ('_track_event_sources', 'regclass')) AS f(name, args);
