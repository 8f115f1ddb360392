-- CREATE / DROP / CREATE again, and the catalogue of what prio installs.
SELECT extname, extversion, extrelocatable, n.nspname
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE extname = 'prio';

DROP EXTENSION prio;
-- PostgreSQL keeps a schema named in a control file (other extensions may share it); it is left empty.
SELECT count(*) AS objects_left_in_prio
FROM (SELECT oid FROM pg_class WHERE relnamespace = 'prio'::regnamespace
      UNION ALL SELECT oid FROM pg_proc WHERE pronamespace = 'prio'::regnamespace
      UNION ALL SELECT oid FROM pg_type WHERE typnamespace = 'prio'::regnamespace) o;
CREATE EXTENSION prio;
SELECT prio.bant_count(true, true, NULL, NULL) AS works_again;

-- Every member object carries a COMMENT, and so does every column of its tables and views.
SELECT pg_describe_object(classid, objid, 0) AS uncommented
FROM pg_depend d
WHERE d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'prio')
  AND d.deptype = 'e'
  AND obj_description(objid, classid::regclass::name) IS NULL
  AND NOT (classid = 'pg_type'::regclass AND objid IN (SELECT typarray FROM pg_type))
ORDER BY 1;
SELECT c.relname || '.' || a.attname AS uncommented_column
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.relnamespace = 'prio'::regnamespace AND c.relkind IN ('r', 'v')
  AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL
ORDER BY 1;

-- Volatility and parallel-safety markings of the functions.
SELECT p.oid::regprocedure AS function, p.provolatile, p.proparallel, p.proisstrict
FROM pg_proc p WHERE p.pronamespace = 'prio'::regnamespace ORDER BY p.oid::regprocedure::text;

-- Configuration tables whose rows pg_dump keeps.
SELECT unnest(extconfig)::regclass AS config_table, unnest(extcondition) AS filter
FROM pg_extension WHERE extname = 'prio' ORDER BY 1;

-- No function that reads or writes tables resolves names through the caller's
-- search_path (pure row expressions stay unpinned so they can be inlined).
SELECT p.oid::regprocedure AS sql_function_without_pinned_search_path
FROM pg_proc p
WHERE p.pronamespace = 'prio'::regnamespace
  AND p.prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('sql', 'plpgsql'))
  AND (p.prosrc ~* '\mfrom\M' OR p.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'sql'))
  AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false);

-- Every SECURITY DEFINER function, whatever its language, pins search_path
-- (a C trigger without it let an insert-only role become superuser).
SELECT p.oid::regprocedure AS definer_without_pinned_search_path
FROM pg_proc p
WHERE p.pronamespace = 'prio'::regnamespace AND p.prosecdef
  AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false);
