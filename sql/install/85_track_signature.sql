------------------------------------------------------------------------
-- A tracked table's signature: its name and the columns its compiled SQL
-- names, which prio's triggers compare before they run that SQL.  After
-- prio.sources (85_track.sql), which it reads; its own part, so the update
-- to 0.5 creates it from here too (sql/upgrade/0.4--0.5/44_signature.sql
-- drops 0.4's).
------------------------------------------------------------------------

CREATE FUNCTION @extschema@._track_signature(source regclass, compiled jsonb)
RETURNS text
LANGUAGE sql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||)
           pg_catalog.quote_ident(c.relname) OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||)
           (SELECT pg_catalog.string_agg(pg_catalog.concat_ws(' ', pg_catalog.quote_ident(a.attname),
                                                              a.atttypid::pg_catalog.regtype, a.atttypmod,
                                                              a.attcollation::pg_catalog.regcollation),
                                         ', ' ORDER BY a.attnum)
              FROM pg_catalog.pg_attribute a
             WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
               -- a column the compiled SQL may name (its name as the SQL
               -- writes it appears in one of its strings, at any depth: an
               -- activities table's EVENTS, ON_CUSTOMERS ...; more columns
               -- than it names is safe)
               AND EXISTS (SELECT 1 FROM pg_catalog.jsonb_path_query(_track_signature.compiled, 'strict $.** ? (@.type() == "string")') q
                            WHERE pg_catalog.strpos(q OPERATOR(pg_catalog.#>>) '{}', pg_catalog.quote_ident(a.attname)) OPERATOR(pg_catalog.>) 0)
               -- ... and, once prio.track() stored the table's signature, one
               -- it names (0.5): a column added since is none the SQL can name
               -- ("id", added to a table whose SQL says customer_id, stopped
               -- the table in 0.4)
               AND (st.signature IS NULL OR st.signature OPERATOR(pg_catalog.=) ''
                    OR pg_catalog.strpos(st.signature, ': ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(a.attname) OPERATOR(pg_catalog.||) ' ') OPERATOR(pg_catalog.>) 0
                    OR pg_catalog.strpos(st.signature, ', ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(a.attname) OPERATOR(pg_catalog.||) ' ') OPERATOR(pg_catalog.>) 0))
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
      LEFT JOIN @extschema@.sources st ON st.relid OPERATOR(pg_catalog.=) _track_signature.source
     WHERE c.oid OPERATOR(pg_catalog.=) _track_signature.source;
END;
COMMENT ON FUNCTION @extschema@._track_signature(regclass, jsonb) IS
'Internal: a table''s name and the columns its compiled SQL names (name, type, typmod, collation, in order) as text, by name only (the same after pg_dump and restore, which give collations new OIDs and drop dropped columns); prio''s triggers run a tracked table''s compiled SQL only while it equals what prio.track() checked.  Columns the SQL does not name may be added, dropped or changed; a column added after prio.track() stored the signature is none it names (0.5).';
