-- 0.4 -> 0.5, hostile4 (after the install parts 90_clv_fit.sql and
-- 91_win_probability_customer.sql, see 47_hostile4.sql): the privileges
-- win_probability(bigint) and fit_clv() had.
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.win_probability(bigint)',
           NULLIF(pg_catalog.current_setting('prio.upgrade_acl_win_probability_id'), '')::pg_catalog.aclitem[]);
SELECT @extschema@.upgrade_regrant('FUNCTION @extschema@.fit_clv()',
           NULLIF(pg_catalog.current_setting('prio.upgrade_acl_fit_clv'), '')::pg_catalog.aclitem[]);
