-- 0.4 -> 0.5, hostile4: prio.win_probability(customer_id) is NULL for a
-- customer decided with nothing in flight only -- won or lost by its
-- activities or by a won deal (the effective stage), with no open deal and
-- no implicit deal -- as prio.followup and prio.explain() say; created again
-- from sql/install/91_win_probability_customer.sql, its privileges given
-- back by 67_hostile4.sql.
SELECT pg_catalog.set_config('prio.upgrade_acl_win_probability_id', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.win_probability(bigint)'::pg_catalog.regprocedure;
DROP FUNCTION @extschema@.win_probability(bigint);

-- 0.4 -> 0.5, hostile4: prio.fit_clv() called by an admin re-tiers the
-- customers its model moves when the clv value signal is in force; the fit
-- itself moves to prio._fit_clv(), which prio.refresh() (created again from
-- its install part) calls before it evaluates everyone.  Both created from
-- sql/install/90_clv_fit.sql, fit_clv()'s privileges given back by
-- 67_hostile4.sql.
SELECT pg_catalog.set_config('prio.upgrade_acl_fit_clv', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.fit_clv()'::pg_catalog.regprocedure;
DROP FUNCTION @extschema@.fit_clv();

-- 0.4 -> 0.5, hostile4: customer_state.priority is no longer 0-100 (the
-- funnel term adds up to settings.weight_funnel); its comment says so.
COMMENT ON COLUMN @extschema@.customer_state.priority IS
'Priority, higher first: 0-100 from tier, RFM, BANT, intent and stage, plus settings.weight_funnel x the funnel points of the most advanced open deal (0-1), so up to 100 + weight_funnel (docs/sales.md, The priority formula; prio.explain() shows the terms).';
