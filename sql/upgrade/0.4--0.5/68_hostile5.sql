-- 0.4 -> 0.5, hostile5 (after the install part 98_owner_isolation_sees.sql,
-- see 48_hostile5.sql): the privileges sees_all_customers() and
-- win_counts_shared had.
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.sees_all_customers()',
           NULLIF(pg_catalog.current_setting('prio.upgrade_acl_sees_all'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_regrant('TABLE @extschema@.win_counts_shared',
           NULLIF(pg_catalog.current_setting('prio.upgrade_acl_win_counts_shared'), '')::pg_catalog.aclitem[]);
