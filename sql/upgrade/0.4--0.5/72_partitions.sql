-- 0.4 -> 0.5: the partitions of the partitioned customers and activities
-- tables tracked under 0.4 get prio's triggers (the refold of everyone at
-- the end of the update takes in the rows written into them before).
SELECT @extschema@._track_triggers(s.relid, s.source_id)
  FROM @extschema@.sources s
  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) s.relid
 WHERE c.relkind OPERATOR(pg_catalog.=) 'p' AND s.role OPERATOR(pg_catalog.<>) 'deals'
 ORDER BY s.source_id;
