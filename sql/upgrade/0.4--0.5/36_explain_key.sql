-- prio.explain(source, key) casts the key with its typmod unspecified (a
-- character(n) key compared whole); its three functions move to
-- sql/install/94_explain.sql, created again there, with their privileges
-- given back by 99_end.sql.
SELECT pg_catalog.set_config('prio.upgrade_acl_' OPERATOR(pg_catalog.||) f.k,
                             coalesce((SELECT p.proacl::text FROM pg_catalog.pg_proc p
                                        WHERE p.oid OPERATOR(pg_catalog.=) f.fn::pg_catalog.regprocedure), ''), true)
  FROM (VALUES ('explain_key', '@extschema@._explain_key(regclass, anyelement)'),
               ('explain_by_key', '@extschema@.explain(regclass, anyelement)'),
               ('explain_by_text_key', '@extschema@.explain(regclass, text)')) AS f(k, fn);
DROP FUNCTION @extschema@.explain(regclass, text);
DROP FUNCTION @extschema@.explain(regclass, anyelement);
DROP FUNCTION @extschema@._explain_key(regclass, anyelement);
