-- 0.4 -> 0.5, hostile8: prio.conversion_by_tier counts, of the customers who
-- entered a tier, those who reached won at or after first entering it -- a
-- repeat buyer too, whose first win came before (0.4 compared the first win
-- only).  The view is dropped here and created again from
-- sql/install/96_views_conversion.sql, its privileges given back by
-- 69_hostile8.sql.
SELECT pg_catalog.set_config('prio.upgrade_acl_conversion_by_tier', coalesce(c.relacl::text, ''), true)
  FROM pg_catalog.pg_class c
 WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.conversion_by_tier'::pg_catalog.regclass;
DROP VIEW @extschema@.conversion_by_tier;
