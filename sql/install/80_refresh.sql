------------------------------------------------------------------------
-- Engine: refresh
------------------------------------------------------------------------

-- Jobs that run one at a time hold their row here, locked FOR UPDATE until
-- their transaction ends.  Not an advisory lock: any role that can connect
-- can take those; locking these rows needs UPDATE privilege on the table,
-- which only prio's owner has.
CREATE TABLE @extschema@.job_locks (
    job text PRIMARY KEY
);
COMMENT ON TABLE @extschema@.job_locks IS
'One row per prio job that runs one at a time (refresh, win_counts: the compaction of prio.win_counts); the job holds its row locked until its transaction ends.  Only prio''s owner can lock these rows.  Maintained by prio.';
COMMENT ON COLUMN @extschema@.job_locks.job IS 'The job.';
INSERT INTO @extschema@.job_locks (job) VALUES ('refresh'), ('win_counts');

CREATE TABLE @extschema@.refresh_runs (
    run_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    as_of       timestamptz NOT NULL,
    skipped     boolean NOT NULL,
    changed     integer,
    breaks      text CHECK (breaks IN ('unchanged', 'updated', 'deferred')),
    finished_at timestamptz NOT NULL
);
COMMENT ON TABLE @extschema@.refresh_runs IS
'The run log of prio.refresh(): one row per call (the latest 1000), written in the caller''s transaction; a call skipped because another refresh was running says so here and returns NULL.';
COMMENT ON COLUMN @extschema@.refresh_runs.run_id IS 'Generated, increasing.';
COMMENT ON COLUMN @extschema@.refresh_runs.started_at IS 'When the call started (clock time).';
COMMENT ON COLUMN @extschema@.refresh_runs.as_of IS 'The time it evaluated customers as of.';
COMMENT ON COLUMN @extschema@.refresh_runs.skipped IS 'True when another refresh held the job and this one did nothing.';
COMMENT ON COLUMN @extschema@.refresh_runs.changed IS 'Customers that changed tier or stage (what refresh() returned); NULL when skipped.';
COMMENT ON COLUMN @extschema@.refresh_runs.breaks IS 'The automatic breaks and CLV models: unchanged (nothing new), updated, or deferred (new ones were due, but a transaction writing customer_state held it past lock_timeout: the old ones stay in force until a later refresh); NULL when skipped.';
COMMENT ON COLUMN @extschema@.refresh_runs.finished_at IS 'When the call finished (clock time).';
COMMENT ON SEQUENCE @extschema@.refresh_runs_run_id_seq IS 'Generates prio.refresh_runs.run_id.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.refresh_runs', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.refresh_runs_run_id_seq', '');

-- Internal functions are not for direct calls.
REVOKE ALL ON FUNCTION @extschema@.rebuild(bigint[], text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sweep_rebuild(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sweep_due(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.reevaluate(bigint[], timestamptz, text) FROM PUBLIC;

