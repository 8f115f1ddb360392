-- 0.4 -> 0.5 (after 70_config_renamed.sql): a built-in segment or activity
-- kind renamed under 0.4, which kept the keys of deleted rows only, stays
-- gone across a dump and restore too.  A key that CREATE EXTENSION seeds,
-- that the table no longer has and that prio.removed_config does not hold
-- went with an UPDATE of the key: kept now, as 0.5 keeps a rename's.
INSERT INTO @extschema@.removed_config (table_name, key)
SELECT 'rfm_segments', s.key
  FROM pg_catalog.unnest('{10,20,30,40,50,60,70,80,90,100}'::pg_catalog.text[]) s(key)
 WHERE NOT EXISTS (SELECT FROM @extschema@.rfm_segments t
                    WHERE t.position::pg_catalog.text OPERATOR(pg_catalog.=) s.key)
ON CONFLICT DO NOTHING;
INSERT INTO @extschema@.removed_config (table_name, key)
SELECT 'activity_kinds', s.key
  FROM pg_catalog.unnest('{call,contract,demo_request,email,email_open,inquiry,meeting,proposal,purchase,quote,rejected,reply,trial_use,visit}'::pg_catalog.text[]) s(key)
 WHERE NOT EXISTS (SELECT FROM @extschema@.activity_kinds t WHERE t.kind OPERATOR(pg_catalog.=) s.key)
ON CONFLICT DO NOTHING;
