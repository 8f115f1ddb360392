-- 0.4 -> 0.5, hostile8 (after the install part 96_views_conversion.sql, see
-- 49_hostile8.sql): the privileges conversion_by_tier had.
SELECT @extschema@.upgrade_regrant('TABLE @extschema@.conversion_by_tier',
           NULLIF(pg_catalog.current_setting('prio.upgrade_acl_conversion_by_tier'), '')::pg_catalog.aclitem[]);
