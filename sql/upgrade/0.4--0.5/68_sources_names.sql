-- 0.4 -> 0.5, prio.tracked's privileges given back (the view was dropped
-- in 48_sources_names.sql and created again from
-- sql/install/85_track_names.sql)
SELECT @extschema@.upgrade_regrant('TABLE @extschema@.tracked',
                                   NULLIF(pg_catalog.current_setting('prio.upgrade_acl_tracked'), '')::pg_catalog.aclitem[]);
