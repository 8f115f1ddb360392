-- 0.4 -> 0.5, gaps.
-- Removed built-in rows of prio.deal_stages, prio.channels and prio.labels
-- stay removed across a dump and restore, as removed segments and kinds do.
-- prio.removed_config takes their keys; config_row_removed() (the trigger
-- that keeps them) and removed_config_load() (the one that applies them on
-- restore) are dropped with their triggers and created as 0.5 installs
-- them, privileges and the triggers' enabled state given back.  The new
-- tables' triggers come with their install parts (86_deals, 88_playbooks,
-- 89_labels).
-- Deals dated ahead: the quiet clock counts a deal from its date
-- (prio._deal_facts(), 86_deals), and refresh() counts the deals whose date
-- came due: dropped and created as 0.5 installs it, privileges given back.
-- prio.tracked.last_error is cleared by a recompute() that read the table
-- again without error (mirrored a customers table again):
-- _track_note_error() tells it which noted one (dropped and created as 0.5
-- installs it).

ALTER TABLE @extschema@.removed_config DROP CONSTRAINT removed_config_table_name_check;
ALTER TABLE @extschema@.removed_config ADD CONSTRAINT removed_config_table_name_check
    CHECK (table_name IN ('rfm_segments', 'activity_kinds', 'deal_stages', 'channels', 'labels'));
COMMENT ON TABLE @extschema@.removed_config IS
'Keys of rows removed from prio.rfm_segments, prio.activity_kinds and (0.5) prio.deal_stages, prio.channels and prio.labels (kept by prio, dumped): a restore removes the built-in row CREATE EXTENSION seeded again under such a key, so a removed built-in row stays removed.';
COMMENT ON COLUMN @extschema@.removed_config.table_name IS 'rfm_segments, activity_kinds, deal_stages, channels or labels.';
COMMENT ON COLUMN @extschema@.removed_config.key IS 'The removed row''s key (position, kind, stage or channel) as text; of a label, its domain, code and lang as a JSON array (["stage", "closing", "en"]).';

-- the functions' privileges and their triggers' enabled state, kept
SELECT pg_catalog.set_config('prio.upgrade_acl_config_row_removed', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.config_row_removed()'::pg_catalog.regprocedure;
SELECT pg_catalog.set_config('prio.upgrade_acl_removed_config_load', coalesce(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc p
 WHERE p.oid OPERATOR(pg_catalog.=) '@extschema@.removed_config_load()'::pg_catalog.regprocedure;
SELECT pg_catalog.set_config('prio.upgrade_removed_triggers',
           coalesce(pg_catalog.jsonb_object_agg(t.tgname, pg_catalog.jsonb_build_array(c.relname, t.tgenabled::text))::text, '{}'), true)
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.tgrelid
 WHERE t.tgfoid OPERATOR(pg_catalog.=) ANY (ARRAY['@extschema@.config_row_removed()'::pg_catalog.regprocedure,
                                                  '@extschema@.removed_config_load()'::pg_catalog.regprocedure]::pg_catalog.oid[])
   AND t.tgenabled OPERATOR(pg_catalog.<>) 'O';
DROP TRIGGER rfm_segments_removed ON @extschema@.rfm_segments;
DROP TRIGGER rfm_segments_truncated ON @extschema@.rfm_segments;
DROP TRIGGER activity_kinds_removed ON @extschema@.activity_kinds;
DROP TRIGGER activity_kinds_truncated ON @extschema@.activity_kinds;
DROP TRIGGER removed_config_load ON @extschema@.removed_config;
DROP FUNCTION @extschema@.config_row_removed();
DROP FUNCTION @extschema@.removed_config_load();
-- (created as 0.5 installs them, 08_config_removed.sql; their triggers and
-- privileges given back by 63_gaps.sql)

-- refresh(), which counts the deals whose date came due, and
-- _track_note_error(), which tells recompute() which sources failed: dropped
-- in 10_begin.sql and created as 0.5 installs them
COMMENT ON COLUMN @extschema@.customer_state.last_deal_at IS 'The latest created_at or closed_at of the customer''s deals that is not in the future: a deal counts as the customer acting for the quiet clock (silent_after, dormant_after) from its date (a date ahead counts once prio.refresh() finds it came due).';
COMMENT ON COLUMN @extschema@.sources.last_error IS 'The last error that kept a change of the table from reaching prio (the application''s write went through; NULL: none).  (0.5) Cleared by a prio.recompute() of everyone that read the table again without error (a customers table that noted one: mirrored again as a whole).';
COMMENT ON COLUMN @extschema@.tracked.last_error IS 'The last error that kept a change from reaching prio (NULL: none; cleared by a prio.recompute() that read the table again without error, a customers table mirrored again as a whole).';
