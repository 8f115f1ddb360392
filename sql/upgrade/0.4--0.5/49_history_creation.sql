-- 0.4 -> 0.5, bi: a customer made before its backdated events are loaded
-- has its creation row dated at the first replayed event (C, state_write.c),
-- so its history read by changed_at is one chain; the column says so.  Rows
-- 0.4 wrote keep their dates.
COMMENT ON COLUMN @extschema@.tier_history.changed_at IS 'When the change took effect: the as_of of the evaluation; for a customer''s history replayed (its first events loaded or tracked with their past, reason "<why> then: ..."), the event''s own time; (0.5) a customer''s rows from before its replay (its creation; BANT answered, gone silent) no later than its first replayed event, so a customer''s rows read by changed_at, then history_id, are one chain.';
