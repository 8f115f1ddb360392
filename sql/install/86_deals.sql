------------------------------------------------------------------------
-- Deals (0.5): deal stages, value signals, prio.deals and the deal facts
-- prio keeps per customer in customer_state (open_deals .. deal_outcome)
------------------------------------------------------------------------

CREATE TABLE @extschema@.deal_stages (
    stage     text PRIMARY KEY CHECK (pg_catalog.length(stage) BETWEEN 1 AND 100),
    position  integer NOT NULL CHECK (position BETWEEN 1 AND 1000000),
    lifecycle @extschema@.stage,
    outcome   text CHECK (outcome IN ('won', 'lost')),
    builtin   boolean NOT NULL DEFAULT false,
    CONSTRAINT deal_stages_lifecycle_check
        CHECK (CASE WHEN outcome IS NULL
                    THEN lifecycle IS NOT NULL
                         AND lifecycle OPERATOR(pg_catalog.<>) ALL ('{won,silent,lost}'::@extschema@.stage[])
                    ELSE lifecycle IS NULL END)
);
COMMENT ON TABLE @extschema@.deal_stages IS
'The deal stages (the sales funnel): open stages in funnel order by position, each standing for a customer lifecycle stage, and the closed stages with their outcome.  Add your own stages with INSERT; a change re-tiers everyone.  The stage quote, at which implicit deals stand, stays open under its name.';
COMMENT ON COLUMN @extschema@.deal_stages.stage IS 'Name used in prio.deals.stage.';
COMMENT ON COLUMN @extschema@.deal_stages.position IS 'Funnel order: a higher position is a more advanced stage (ties: by name).';
COMMENT ON COLUMN @extschema@.deal_stages.lifecycle IS 'An open stage: the customer lifecycle stage (prospect .. closing) a customer whose most advanced open deal is here is in; NULL for a closed stage.';
COMMENT ON COLUMN @extschema@.deal_stages.outcome IS 'A closed stage: won or lost; NULL for an open (funnel) stage.';
COMMENT ON COLUMN @extschema@.deal_stages.builtin IS 'True while the row is as prio shipped it; set false by any change.';

INSERT INTO @extschema@.deal_stages (stage, position, lifecycle, outcome, builtin) VALUES
    ('first_contact', 10, 'interested', NULL,   true),
    ('needs_clear',   20, 'engaged',    NULL,   true),
    ('quote',         30, 'engaged',    NULL,   true),
    ('negotiation',   40, 'closing',    NULL,   true),
    ('signing',       50, 'closing',    NULL,   true),
    ('won',           60, NULL,         'won',  true),
    ('lost',          70, NULL,         'lost', true);

CREATE TRIGGER deal_stages_guard
    BEFORE INSERT OR UPDATE ON @extschema@.deal_stages
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_guard('stage');

-- The implicit deal (a quote or proposal activity with an amount, while the
-- customer has no deals: src/rules/deals.c, prio.followup, prio.explain())
-- stands at the stage named quote: it stays, open, under that name.
CREATE FUNCTION @extschema@._deal_stages_keep_quote()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
        RAISE EXCEPTION 'prio.deal_stages must keep the stage quote' USING ERRCODE = '23514',
            HINT = 'Implicit deals (a quote or proposal with an amount, from a customer without deals) stand at it; remove the stages you added with DELETE.';
    END IF;
    IF OLD.stage OPERATOR(pg_catalog.<>) 'quote' THEN
        RETURN CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' OR NEW.stage IS DISTINCT FROM OLD.stage THEN
        RAISE EXCEPTION 'deal stage quote cannot be %', CASE TG_OP WHEN 'DELETE' THEN 'removed' ELSE 'renamed' END
            USING ERRCODE = '23514',
                  HINT = 'Implicit deals (a quote or proposal with an amount, from a customer without deals) stand at it; change its position or lifecycle with UPDATE.';
    END IF;
    IF NEW.outcome IS NOT NULL THEN
        RAISE EXCEPTION 'deal stage quote must stay an open stage (outcome NULL)' USING ERRCODE = '23514',
            HINT = 'Implicit deals (a quote or proposal with an amount, from a customer without deals) stand at it.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@._deal_stages_keep_quote() IS
'Trigger on prio.deal_stages: the stage quote, at which implicit deals stand, is not removed, renamed or closed (23514), nor the table emptied.';
CREATE TRIGGER deal_stages_keep_quote
    BEFORE UPDATE OR DELETE ON @extschema@.deal_stages
    FOR EACH ROW EXECUTE FUNCTION @extschema@._deal_stages_keep_quote();
CREATE TRIGGER deal_stages_keep_quote_truncate
    BEFORE TRUNCATE ON @extschema@.deal_stages
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._deal_stages_keep_quote();
-- a removed stage stays removed across a dump and restore (prio.removed_config)
CREATE TRIGGER deal_stages_removed
    AFTER DELETE ON @extschema@.deal_stages
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_removed('stage');
-- (a renamed one too: its old key is gone as a deleted row's)
CREATE TRIGGER deal_stages_renamed
    AFTER UPDATE ON @extschema@.deal_stages
    FOR EACH ROW WHEN (OLD.stage OPERATOR(pg_catalog.<>) NEW.stage)
    EXECUTE FUNCTION @extschema@.config_row_removed('stage');
CREATE TRIGGER deal_stages_truncated
    BEFORE TRUNCATE ON @extschema@.deal_stages
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_row_removed('stage');
CREATE TRIGGER deal_stages_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.deal_stages
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.invalidate_cache();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.deal_stages', 'WHERE NOT builtin');

CREATE TABLE @extschema@.value_signals (
    signal    text PRIMARY KEY
              CHECK (signal IN ('monetary_score', 'frequency_score', 'budget_authority', 'clv',
                                'pipeline', 'key_type')),
    enabled   boolean NOT NULL DEFAULT true,
    threshold double precision,
    builtin   boolean NOT NULL DEFAULT false,
    CONSTRAINT value_signals_threshold_check
        CHECK (CASE WHEN signal IN ('monetary_score', 'frequency_score')
                    THEN threshold IS NULL
                         OR (threshold BETWEEN 1 AND 5
                             AND threshold OPERATOR(pg_catalog.=) pg_catalog.trunc(threshold))
                    WHEN signal OPERATOR(pg_catalog.=) 'clv'
                    THEN threshold IS NULL OR (threshold > 0 AND threshold < 'Infinity')
                    WHEN signal OPERATOR(pg_catalog.=) 'pipeline'
                    THEN threshold IS NOT NULL AND threshold >= 0 AND threshold < 'Infinity'
                    ELSE threshold IS NULL END)
);
COMMENT ON TABLE @extschema@.value_signals IS
'What makes the value side of the tier high: a customer''s value is high when ANY enabled signal fires (prio.explain() lists every one that did).  One row per signal; change them with UPDATE (a change re-tiers everyone); rows cannot be added or removed.';
COMMENT ON COLUMN @extschema@.value_signals.signal IS 'monetary_score, frequency_score (RFM score >= threshold), budget_authority (BANT budget and authority both TRUE), clv (CLV under the latest model >= threshold), pipeline (open deals'' amounts >= threshold), key_type (a key-customer type whose row says it implies value).';
COMMENT ON COLUMN @extschema@.value_signals.enabled IS 'Whether the signal counts.';
COMMENT ON COLUMN @extschema@.value_signals.threshold IS 'monetary_score and frequency_score: a score 1-5, NULL: settings.value_score; clv: an amount > 0, NULL: settings.value_min_clv (and when that is NULL too, the signal never fires); pipeline: an amount >= 0 (required); budget_authority and key_type: none (NULL).';
COMMENT ON COLUMN @extschema@.value_signals.builtin IS 'True while the row is as prio shipped it; set false by any change.';

INSERT INTO @extschema@.value_signals (signal, enabled, threshold, builtin) VALUES
    ('monetary_score',   true, NULL,  true),
    ('frequency_score',  true, NULL,  true),
    ('budget_authority', true, NULL,  true),
    ('clv',              true, NULL,  true),
    ('pipeline',         true, 10000, true),
    ('key_type',         true, NULL,  true);

CREATE FUNCTION @extschema@.value_signals_keep_rows()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'prio.value_signals keeps one row per signal'
        USING ERRCODE = '23514', HINT = 'Turn a signal off with UPDATE prio.value_signals SET enabled = false WHERE signal = ...';
END
$$;
COMMENT ON FUNCTION @extschema@.value_signals_keep_rows() IS
'Trigger: refuses DELETE and TRUNCATE of prio.value_signals.';

CREATE TRIGGER value_signals_guard
    BEFORE INSERT OR UPDATE ON @extschema@.value_signals
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_guard('signal');
CREATE TRIGGER value_signals_keep_rows
    BEFORE DELETE OR TRUNCATE ON @extschema@.value_signals
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.value_signals_keep_rows();
CREATE TRIGGER value_signals_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.value_signals
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.invalidate_cache();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.value_signals', 'WHERE NOT builtin');

CREATE TABLE @extschema@.deals (
    deal_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id    bigint NOT NULL REFERENCES @extschema@.customers ON DELETE CASCADE ON UPDATE CASCADE,
    owner          text CHECK (pg_catalog.length(owner) <= 200),
    stage          text NOT NULL DEFAULT 'first_contact'
                   REFERENCES @extschema@.deal_stages ON UPDATE CASCADE,
    amount         numeric NOT NULL DEFAULT 0 CHECK (amount >= 0 AND amount < 1e15),
    expected_close date,
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now() CHECK (pg_catalog.isfinite(created_at)),
    closed_at      timestamptz CHECK (pg_catalog.isfinite(closed_at)),
    -- a deal mirrored from a tracked table (prio.track(..., 'deals', ...))
    -- and its key there, as text; both NULL for prio's own deals
    source         regclass,
    deal_key       text,
    CONSTRAINT deals_source_key_check CHECK ((source IS NULL) OPERATOR(pg_catalog.=) (deal_key IS NULL)),
    -- (prio._deals_row_check() refuses such a deal of prio.deals itself,
    -- naming it, and makes a tracked table's fit before they are checked)
    CONSTRAINT deals_expected_close_check CHECK (pg_catalog.isfinite(expected_close)),
    CONSTRAINT deals_created_before_closed_check CHECK (closed_at >= created_at)
);
CREATE INDEX deals_customer_idx ON @extschema@.deals (customer_id);
-- Owner isolation: the deals of the customers the user can see, always on
-- (with prio.customers' policy off, that is every customer): a rep reads and
-- writes only the deals of their own customers once prio.enable_owner_isolation()
-- has run.  prio's triggers write as its owner, whom it does not restrict.
ALTER TABLE @extschema@.deals ENABLE ROW LEVEL SECURITY;
CREATE POLICY owner_isolation ON @extschema@.deals
    USING (EXISTS (SELECT 1 FROM @extschema@.customers c
                    WHERE c.customer_id OPERATOR(pg_catalog.=) deals.customer_id));
-- A deal mirrored from a tracked table is the application's to change:
-- prio.track() keeps it equal to its row (as the table's owner, whom row
-- security does not restrict), nobody else changes or deletes it
CREATE POLICY mirrored_update ON @extschema@.deals AS RESTRICTIVE FOR UPDATE
    USING (true) WITH CHECK (source IS NULL);
CREATE POLICY mirrored_delete ON @extschema@.deals AS RESTRICTIVE FOR DELETE
    USING (source IS NULL);
COMMENT ON POLICY mirrored_update ON @extschema@.deals IS
'A deal mirrored from a tracked table (source set) is changed by prio.track() only: an UPDATE of one fails (42501).';
COMMENT ON POLICY mirrored_delete ON @extschema@.deals IS
'A deal mirrored from a tracked table (source set) is deleted by prio.track() only: a DELETE leaves it.';
CREATE INDEX deals_stage_idx ON @extschema@.deals (stage);
COMMENT ON TABLE @extschema@.deals IS 'Deals (opportunities) in flight and closed; applications INSERT, UPDATE and DELETE them and prio re-tiers their customers at once: a customer''s funnel stage is its most advanced open deal''s, its pipeline the sum of its open deals'' amounts.';
COMMENT ON POLICY owner_isolation ON @extschema@.deals IS
'Deals of the customers the user can see (prio.customers'' policy; every customer while owner isolation is off).';
COMMENT ON COLUMN @extschema@.deals.deal_id IS 'Generated key.';
COMMENT ON COLUMN @extschema@.deals.customer_id IS 'The customer (prio.customers); its deals go with it.';
COMMENT ON COLUMN @extschema@.deals.owner IS 'Rep who works the deal (the customer''s owner ranks the customer).';
COMMENT ON COLUMN @extschema@.deals.stage IS 'Deal stage (prio.deal_stages): an open (funnel) stage, or a closed one (won, lost).';
COMMENT ON COLUMN @extschema@.deals.amount IS 'Deal value; 0 <= amount < 1e15.';
COMMENT ON COLUMN @extschema@.deals.expected_close IS 'When the deal is expected to close; a finite date (22008; a tracked table''s infinite one is taken as NULL).';
COMMENT ON COLUMN @extschema@.deals.created_at IS 'When the deal was opened; at most a day ahead (22008), except for a tracked table''s deal.';
COMMENT ON COLUMN @extschema@.deals.closed_at IS 'When it closed (NULL while open; a closed deal without it counts as closed at created_at); at most a day ahead (22008), except for a tracked table''s deal; not before created_at (23514; a tracked table''s deal that closed before it was created counts as created when it closed).';
COMMENT ON COLUMN @extschema@.deals.source IS 'The tracked table this deal is mirrored from (prio.track()); NULL for a deal of prio.deals itself.';
COMMENT ON COLUMN @extschema@.deals.deal_key IS 'The deal''s key in the tracked table (source), as text; NULL for a deal of prio.deals itself.  Written by prio.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.deals', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.deals_deal_id_seq', '');

-- A deal's dates that cannot be: refused for a deal of prio.deals itself,
-- taken as what they can mean for a tracked table's (source set), which is
-- the application's and never fails its write.  The one place that
-- decides, for every path that writes a deal (the application's INSERT,
-- UPDATE and COPY; prio.track()'s load, its triggers and recompute()).
CREATE FUNCTION @extschema@._deals_row_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.source IS NULL THEN
        IF NOT pg_catalog.isfinite(NEW.expected_close) THEN
            RAISE EXCEPTION 'deal % of customer %: expected_close must be a finite date, not %',
                            NEW.deal_id, NEW.customer_id, NEW.expected_close
                USING ERRCODE = '22008', HINT = 'Leave expected_close NULL when nobody knows.';
        END IF;
        -- (an infinite time is the CHECK constraints' to refuse)
        IF pg_catalog.isfinite(NEW.closed_at) AND NEW.closed_at OPERATOR(pg_catalog.<) NEW.created_at THEN
            RAISE EXCEPTION 'deal % of customer %: closed_at is before created_at', NEW.deal_id, NEW.customer_id
                USING ERRCODE = '23514',
                      DETAIL = pg_catalog.format('closed_at = %s, created_at = %s', NEW.closed_at, NEW.created_at),
                      HINT = 'A deal closes after it opens: set created_at too (it defaults to now()).';
        END IF;
        RETURN NEW;
    END IF;
    -- a tracked table's deal: an infinite expected close is none, and a deal
    -- that closed before it was created was created at the latest when it
    -- closed (its creation time is often prio's own guess: the time
    -- prio.track() first mirrored it, without a "created_at" mapping)
    IF NOT pg_catalog.isfinite(NEW.expected_close) THEN
        NEW.expected_close := NULL;
    END IF;
    IF pg_catalog.isfinite(NEW.closed_at) AND NEW.closed_at OPERATOR(pg_catalog.<) NEW.created_at THEN
        NEW.created_at := NEW.closed_at;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@._deals_row_check() IS
'Row trigger on prio.deals: a deal of prio.deals itself with an infinite expected_close (22008) or closed before it was created (23514) is refused; a tracked table''s deal is taken as it can be meant -- an infinite expected_close as NULL, created_at after closed_at as closed_at.';
CREATE TRIGGER deals_row_check
    BEFORE INSERT OR UPDATE ON @extschema@.deals
    FOR EACH ROW EXECUTE FUNCTION @extschema@._deals_row_check();
COMMENT ON SEQUENCE @extschema@.deals_deal_id_seq IS 'Generates prio.deals.deal_id.';

CREATE FUNCTION @extschema@._deal_facts(ids bigint[])
RETURNS bigint[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_changed bigint[];
BEGIN
    IF ids IS NULL THEN
        -- everyone: as a rebuild of everyone, with the writers held off
        LOCK TABLE @extschema@.customer_state IN EXCLUSIVE MODE;
        -- of whom only those with deals, or with deal facts stored, can
        -- change (anyone else's facts are 0 and NULLs, and stay so): the
        -- statement below then looks up their deals only, not everyone's
        ids := ARRAY(SELECT d.customer_id FROM @extschema@.deals d
                     UNION
                     SELECT s.customer_id FROM @extschema@.customer_state s
                      WHERE s.open_deals IS DISTINCT FROM 0 OR s.funnel_stage IS NOT NULL
                         OR s.pipeline IS DISTINCT FROM 0 OR s.last_deal_at IS NOT NULL
                         OR s.deal_closed_at IS NOT NULL OR s.deal_outcome IS NOT NULL);
    ELSE
        -- the customers rows, then the state rows, in customer_id order: the engine's lock order
        PERFORM 1 FROM @extschema@.customers c
          WHERE c.customer_id OPERATOR(pg_catalog.=) ANY (ids)
          ORDER BY c.customer_id FOR NO KEY UPDATE OF c;
        PERFORM 1 FROM @extschema@.customer_state s
          WHERE s.customer_id OPERATOR(pg_catalog.=) ANY (ids)
          ORDER BY s.customer_id FOR NO KEY UPDATE OF s;
    END IF;
    WITH f AS (
        SELECT s.customer_id,
               coalesce(o.n, 0) AS open_deals, o.funnel_stage, coalesce(o.pipeline, 0) AS pipeline,
               a.last_deal_at, l.closed_at AS deal_closed_at, l.outcome AS deal_outcome
          FROM @extschema@.customer_state s
          LEFT JOIN LATERAL (
              SELECT pg_catalog.count(*)::integer AS n, pg_catalog.sum(d.amount) AS pipeline,
                     (pg_catalog.array_agg(d.stage ORDER BY ds.position DESC, d.stage DESC))[1] AS funnel_stage
                FROM @extschema@.deals d
                -- (d.stage || '': no index of it; prio.deals not yet
                -- analyzed, a customer's deals were found by ANDing the
                -- index of every deal of each stage with theirs: quadratic,
                -- 16,000 deals tracked: 5.3 s of track()'s 7.5)
                JOIN @extschema@.deal_stages ds ON ds.stage OPERATOR(pg_catalog.=) (d.stage OPERATOR(pg_catalog.||) '')
               WHERE d.customer_id OPERATOR(pg_catalog.=) s.customer_id AND ds.outcome IS NULL) o ON true
          -- (the quiet clock) the latest created_at or closed_at that is
          -- not in the future: a deal dated ahead (a tracked table's, or
          -- one of prio.deals up to a day ahead) counts from its date, when
          -- prio.refresh() computes its customer's deal facts again
          LEFT JOIN LATERAL (
              SELECT pg_catalog.max(GREATEST(
                         CASE WHEN d.created_at OPERATOR(pg_catalog.<=) pg_catalog.now() THEN d.created_at END,
                         CASE WHEN d.closed_at OPERATOR(pg_catalog.<=) pg_catalog.now() THEN d.closed_at END)) AS last_deal_at
                FROM @extschema@.deals d
               WHERE d.customer_id OPERATOR(pg_catalog.=) s.customer_id) a ON true
          LEFT JOIN LATERAL (
              SELECT coalesce(d.closed_at, d.created_at) AS closed_at, ds.outcome
                FROM @extschema@.deals d
                JOIN @extschema@.deal_stages ds ON ds.stage OPERATOR(pg_catalog.=) (d.stage OPERATOR(pg_catalog.||) '')
               WHERE d.customer_id OPERATOR(pg_catalog.=) s.customer_id AND ds.outcome IS NOT NULL
               ORDER BY coalesce(d.closed_at, d.created_at) DESC, d.deal_id DESC
               LIMIT 1) l ON true
         WHERE s.customer_id OPERATOR(pg_catalog.=) ANY (ids)),
    u AS (
    UPDATE @extschema@.customer_state s
       SET open_deals = f.open_deals, funnel_stage = f.funnel_stage, pipeline = f.pipeline,
           last_deal_at = f.last_deal_at, deal_closed_at = f.deal_closed_at,
           deal_outcome = f.deal_outcome, updated_at = pg_catalog.now()
      FROM f
     WHERE s.customer_id OPERATOR(pg_catalog.=) f.customer_id
       AND (s.open_deals, s.funnel_stage, s.pipeline, s.last_deal_at, s.deal_closed_at, s.deal_outcome)
           IS DISTINCT FROM
           (f.open_deals, f.funnel_stage, f.pipeline, f.last_deal_at, f.deal_closed_at, f.deal_outcome)
    RETURNING s.customer_id)
    -- which customers, not how many: recompute() counts each customer once
    SELECT pg_catalog.array_agg(u.customer_id ORDER BY u.customer_id) INTO v_changed FROM u;
    RETURN coalesce(v_changed, '{}');
END
$$;
COMMENT ON FUNCTION @extschema@._deal_facts(bigint[]) IS
'Internal: the deal facts of the customers ids (NULL: everyone) computed again from prio.deals into customer_state (open_deals, funnel_stage, pipeline, last_deal_at: of the dates up to now, deal_closed_at, deal_outcome), after locking their customers and state rows in customer_id order; returns the customers whose rows it changed (an empty array: none).  The caller re-evaluates them.';
REVOKE ALL ON FUNCTION @extschema@._deal_facts(bigint[]) FROM PUBLIC;

CREATE FUNCTION @extschema@.deals_changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    v_ids bigint[];
    v_bad record;
BEGIN
    IF TG_RELID OPERATOR(pg_catalog.<>) '@extschema@.deals'::pg_catalog.regclass
       OR TG_LEVEL OPERATOR(pg_catalog.<>) 'STATEMENT' THEN
        RAISE EXCEPTION 'prio.deals_changed() is a statement trigger of prio.deals only'
            USING ERRCODE = '39P01';
    END IF;
    -- a deal of prio.deals itself dated more than a day (24 hours, whatever
    -- the time zone) ahead is refused, as an activity is (a tracked table's
    -- deal is mirrored whatever its date: the application's write never fails
    -- because of prio; only prio writes source, grant_writer gives no more)
    IF TG_OP OPERATOR(pg_catalog.=) ANY ('{INSERT,UPDATE}'::text[]) THEN
        SELECT n.deal_id, n.customer_id, x.col, x.at INTO v_bad
          FROM new_rows n,
               LATERAL (VALUES (1, 'created_at', n.created_at), (2, 'closed_at', n.closed_at)) x(i, col, at)
         WHERE n.source IS NULL
           AND x.at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.+) '24 hours'::pg_catalog.interval)
         ORDER BY n.deal_id, x.i
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'deal % of customer %: % is more than a day in the future', v_bad.deal_id, v_bad.customer_id, v_bad.col
                USING ERRCODE = '22008', DETAIL = pg_catalog.format('%s = %s', v_bad.col, v_bad.at),
                      HINT = 'Record deals when they open and close; created_at defaults to now(), and expected_close holds when a deal should close.';
        END IF;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
        SELECT pg_catalog.array_agg(DISTINCT n.customer_id) INTO v_ids FROM new_rows n;
    ELSIF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN
        SELECT pg_catalog.array_agg(DISTINCT x.customer_id) INTO v_ids
          FROM (SELECT o.customer_id FROM old_rows o UNION SELECT n.customer_id FROM new_rows n) x;
    ELSIF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
        SELECT pg_catalog.array_agg(DISTINCT o.customer_id) INTO v_ids FROM old_rows o;
    ELSE
        -- TRUNCATE: every customer with deal facts
        SELECT pg_catalog.array_agg(s.customer_id ORDER BY s.customer_id) INTO v_ids
          FROM @extschema@.customer_state s
         WHERE s.open_deals OPERATOR(pg_catalog.<>) 0 OR s.last_deal_at IS NOT NULL
            OR s.deal_outcome IS NOT NULL OR s.funnel_stage IS NOT NULL
            OR s.pipeline OPERATOR(pg_catalog.<>) 0;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
        -- the deals of tracked tables are the tables' rows: mirrored again
        PERFORM @extschema@._track_deals_load();
    END IF;
    IF v_ids IS NOT NULL THEN
        PERFORM @extschema@._deal_facts(v_ids);
        PERFORM @extschema@.reevaluate(v_ids, pg_catalog.now(), 'deal');
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.deals_changed() IS
'Statement trigger: INSERT, UPDATE, DELETE or TRUNCATE of deals (COPY too) refuses a deal of prio.deals itself dated more than a day ahead (22008), computes the deal facts of the customers they touched again and re-tiers them, in the same transaction; history and NOTIFY for every change.  After a TRUNCATE the rows of the tracked deals tables are mirrored again.';

CREATE TRIGGER deals_inserted
    AFTER INSERT ON @extschema@.deals
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.deals_changed();
CREATE TRIGGER deals_updated
    AFTER UPDATE ON @extschema@.deals
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.deals_changed();
CREATE TRIGGER deals_deleted
    AFTER DELETE ON @extschema@.deals
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.deals_changed();
CREATE TRIGGER deals_truncated
    AFTER TRUNCATE ON @extschema@.deals
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.deals_changed();

CREATE FUNCTION @extschema@.deal_config_changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    IF TG_RELID OPERATOR(pg_catalog.<>) ALL (ARRAY['@extschema@.deal_stages'::pg_catalog.regclass,
                                                  '@extschema@.value_signals'::pg_catalog.regclass]) THEN
        RAISE EXCEPTION 'prio.deal_config_changed() is a trigger of prio.deal_stages and prio.value_signals only'
            USING ERRCODE = '39P01';
    END IF;
    -- as prio.config_changed(): the writers waited for and held off
    LOCK TABLE @extschema@.customer_state IN EXCLUSIVE MODE;
    IF TG_RELID OPERATOR(pg_catalog.=) '@extschema@.deal_stages'::pg_catalog.regclass THEN
        PERFORM @extschema@._deal_facts(NULL);
    END IF;
    PERFORM @extschema@.rebuild(NULL, TG_TABLE_NAME OPERATOR(pg_catalog.||) ' changed', true);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.deal_config_changed() IS
'Statement trigger: a change of deal stages (the deal facts computed again) or value signals re-tiers everyone in the same transaction.';

CREATE TRIGGER deal_stages_changed
    AFTER INSERT OR UPDATE OR DELETE ON @extschema@.deal_stages
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.deal_config_changed();
CREATE TRIGGER value_signals_changed
    AFTER INSERT OR UPDATE ON @extschema@.value_signals
    FOR EACH STATEMENT WHEN (NOT @extschema@.restoring()) EXECUTE FUNCTION @extschema@.deal_config_changed();

CREATE FUNCTION @extschema@.evaluate(state @extschema@.customer_state, customer @extschema@.customers,
                                     as_of timestamptz DEFAULT pg_catalog.now())
RETURNS @extschema@.evaluation
AS 'MODULE_PATHNAME', 'prio_evaluate_state_0_5'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.evaluate(@extschema@.customer_state, @extschema@.customers, timestamptz) IS
'The tier rules as prio applies them to a stored state row (its folded facts and deal facts), with the configuration in force (settings, breaks, CLV models, deal stages, value signals), as of as_of: what prio.explain() shows.';

-- prio.track(source, 'deals', mapping): an application's opportunities
-- table, mirrored into prio.deals (source, deal_key) by the compiled SQL its
-- triggers run through prio.source_changed() -- as a customers table is
-- mirrored into prio.customers: the application's write never fails because
-- of prio (a WARNING and prio.sources.last_error instead).
CREATE UNIQUE INDEX deals_source_key_idx ON @extschema@.deals (source, deal_key);

CREATE FUNCTION @extschema@._deal_key_busy(source regclass, deal_key text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'prio_deal_key_busy'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@._deal_key_busy(regclass, text) IS
'Internal (C, src/sql/_deal_key_busy.c): whether another transaction in progress is writing the mirror of this tracked deal in prio.deals (read with a dirty snapshot, never waits); the statements that make tracked deals follow their customers leave such a deal to that transaction.';
REVOKE ALL ON FUNCTION @extschema@._deal_key_busy(regclass, text) FROM PUBLIC;

-- (0.5) The lock every writer of a tracked activities or deals table takes
-- first: its customers' rows of the tracked customers table, in key order,
-- FOR NO KEY UPDATE, as the application's UPDATE of one locks it; prio's own
-- locks (prio.customers rows, then state rows) come after, so a transaction
-- that writes a customer row and that customer's activities or deals, in
-- either order, does not deadlock with one doing it the other way round.
CREATE FUNCTION @extschema@._track_lock_sql(customers regclass, key text, eq text, keys text, what text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_table text;
    v_key text;
BEGIN
    -- prio's triggers run it as prio's owner (the caller: track())
    IF NOT pg_catalog.has_any_column_privilege(customers, 'UPDATE') THEN
        RAISE EXCEPTION 'prio.track(): prio''s owner % may not lock the rows of %', CURRENT_USER, customers
            USING ERRCODE = '42501',
                  DETAIL = pg_catalog.format('A change of the %s locks its customers'' rows of the customers table (FOR NO KEY UPDATE) before prio''s own, so that writers never deadlock.', what),
                  HINT = pg_catalog.format('GRANT UPDATE (%s) ON %s TO %I.', key, customers, CURRENT_USER);
    END IF;
    SELECT pg_catalog.format('%s%I.%I', CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'r' THEN 'ONLY ' ELSE '' END,
                             n.nspname, c.relname),
           (SELECT k.sql FROM @extschema@._track_compile(customers, 'key', key, NULL) k)
      INTO v_table, v_key
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
     WHERE c.oid OPERATOR(pg_catalog.=) customers;
    RETURN pg_catalog.format($q$SELECT 1 FROM %1$s t WHERE EXISTS (SELECT 1 FROM (%2$s) s WHERE s.k %3$s t.%4$s) ORDER BY t.%4$s FOR NO KEY UPDATE OF t$q$,
                             v_table, keys, eq, v_key);
END
$$;
COMMENT ON FUNCTION @extschema@._track_lock_sql(regclass, text, text, text, text) IS
'Internal (prio.track()): the statement that locks the rows of the tracked customers table customers (key: its key mapping) whose key equals (eq: the key map''s equality operator) a k of the query keys, in key order, FOR NO KEY UPDATE: what a change of a tracked activities or deals table (what) runs before prio''s own locks.  Raises 42501 when the caller (prio''s owner) may not lock them.';
REVOKE ALL ON FUNCTION @extschema@._track_lock_sql(regclass, text, text, text, text) FROM PUBLIC;

CREATE FUNCTION @extschema@._track_deals(source regclass, mapping jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- constants written into the compiled SQL as source_changed() reads them
SET standard_conforming_strings = on
SET array_nulls = on
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET bytea_output = 'hex'
SET lc_monetary = 'C'
SET lc_numeric = 'C'
SET lc_time = 'C'
AS $$
DECLARE
    -- prio's names, and the type each must give (null: any type)
    v_want jsonb := '{"key": null, "customer": null, "customers": "regclass", "owner": "text", "stage": "text",
                      "amount": "numeric", "expected_close": "date", "created_at": "timestamp with time zone",
                      "closed_at": "timestamp with time zone"}';
    v_k text;
    v_v jsonb;
    v_c record;
    v_cs record;
    v_n bigint;
    v_exprs jsonb := '{}';
    v_state text;
    v_msg text;
    v_hint text;
    v_detail text;
    v_cust_coll oid;
    v_coll record;
    v_eq text;
    v_cust text;
    v_app text;
    v_name text;
    v_sel text;
    v_ok text;
    v_upsert text;
    v_lock jsonb := '{}';
    v_op text;
    v_compiled jsonb;
    v_key_type regtype;
    v_id integer;
    v_sql text;
    v_ck text;
    v_keys text;
    v_follow text;
    v_gate text;
BEGIN
    IF pg_catalog.jsonb_typeof(mapping) OPERATOR(pg_catalog.<>) 'object' THEN
        RAISE EXCEPTION 'prio.track(): mapping must be a JSON object, not %', pg_catalog.jsonb_typeof(mapping)
            USING ERRCODE = '22023', HINT = 'Such as {"key": "id", "customer": "account_id", "stage": "stage", "amount": "value"}.';
    END IF;
    FOR v_k IN SELECT k FROM pg_catalog.jsonb_object_keys(mapping) k ORDER BY k LOOP
        IF NOT v_want OPERATOR(pg_catalog.?) v_k THEN
            RAISE EXCEPTION 'prio.track(): mapping key "%" is not one prio knows for deals', v_k
                USING ERRCODE = '22023',
                      HINT = 'The keys are amount, closed_at, created_at, customer, customers, expected_close, key, owner, stage.';
        END IF;
    END LOOP;
    FOREACH v_k IN ARRAY '{key,customer,stage}'::text[] LOOP
        IF NOT mapping OPERATOR(pg_catalog.?) v_k THEN
            RAISE EXCEPTION 'prio.track(): the deals mapping needs the key "%"', v_k
                USING ERRCODE = '22023', HINT = 'Required: key, customer, stage.';
        END IF;
    END LOOP;
    FOR v_k, v_v IN SELECT e.key, e.value FROM pg_catalog.jsonb_each(mapping) e ORDER BY e.key LOOP
        IF pg_catalog.jsonb_typeof(v_v) OPERATOR(pg_catalog.<>) 'string'
           OR pg_catalog.btrim(v_v OPERATOR(pg_catalog.#>>) '{}') OPERATOR(pg_catalog.=) '' THEN
            RAISE EXCEPTION 'prio.track(): mapping key "%" must be a % (a non-empty JSON string), not %', v_k,
                  CASE WHEN v_k OPERATOR(pg_catalog.=) 'customers' THEN 'tracked customers table''s name'
                       ELSE 'column name or an SQL expression' END, v_v
                USING ERRCODE = '22023';
        END IF;
        CONTINUE WHEN v_k OPERATOR(pg_catalog.=) 'customers';
        -- parsed and checked over the table's row, as every mapping is
        BEGIN
            SELECT * INTO STRICT v_c
              FROM @extschema@._track_compile(source, v_k, v_v OPERATOR(pg_catalog.#>>) '{}',
                                              (v_want OPERATOR(pg_catalog.->>) v_k)::pg_catalog.regtype);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT, v_hint = PG_EXCEPTION_HINT;
            IF v_msg OPERATOR(pg_catalog.!~) '^mapping key ' THEN
                v_msg := pg_catalog.format('mapping key "%s" (%s): %s', v_k, v_v OPERATOR(pg_catalog.#>>) '{}', v_msg);
            END IF;
            IF v_hint IS NULL OR v_hint OPERATOR(pg_catalog.=) '' THEN
                RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = 'prio.track(): ' OPERATOR(pg_catalog.||) v_msg;
            END IF;
            RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = 'prio.track(): ' OPERATOR(pg_catalog.||) v_msg, HINT = v_hint;
        END;
        IF v_k OPERATOR(pg_catalog.=) ANY ('{key,customer}'::text[]) AND NOT v_c.btree THEN
            RAISE EXCEPTION 'prio.track(): mapping key "%" (%) is of type %, which has no btree equality', v_k, v_v OPERATOR(pg_catalog.#>>) '{}', v_c.type
                USING ERRCODE = '42883', HINT = 'prio needs keys it can compare for equality and index (bigint, integer, text, uuid, ...).';
        END IF;
        -- One row of the table is one deal, as for a customers table: the
        -- triggers mirror the rows a statement touched by their keys (a
        -- DELETE of one of two rows of a key removed the other's deal, an
        -- INSERT of a second row replaced it), so the key is a column with
        -- an immediate unique index (any collation: keys compare as text).
        IF v_k OPERATOR(pg_catalog.=) 'key' AND v_c.attnum OPERATOR(pg_catalog.<=) 0 THEN
            RAISE EXCEPTION 'prio.track(): the deals key must be a column of %, not an expression (%)', source, v_v OPERATOR(pg_catalog.#>>) '{}'
                USING ERRCODE = '22023', HINT = 'Map "key" to the column that identifies a deal (with a unique index).';
        END IF;
        IF v_k OPERATOR(pg_catalog.=) 'key'
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                            WHERE i.indrelid OPERATOR(pg_catalog.=) source AND i.indisunique AND i.indimmediate
                              AND i.indisvalid AND i.indnkeyatts OPERATOR(pg_catalog.=) 1
                              AND i.indkey[0] OPERATOR(pg_catalog.=) v_c.attnum
                              AND i.indpred IS NULL AND i.indexprs IS NULL) THEN
            RAISE EXCEPTION 'prio.track(): the deals key % of % has no unique index', v_c.sql, source
                USING ERRCODE = '42P10',
                      HINT = pg_catalog.format('One row per deal: CREATE UNIQUE INDEX ON %s (%s) (or a primary key, not deferrable).', source, v_c.sql);
        END IF;
        IF v_k OPERATOR(pg_catalog.=) 'customer' THEN
            v_cust_coll := v_c.collation;
        END IF;
        v_exprs := v_exprs OPERATOR(pg_catalog.||)
                   pg_catalog.jsonb_build_object(v_k, pg_catalog.jsonb_build_object('sql', v_c.sql, 'type', v_c.type::text));
    END LOOP;
    v_key_type := (v_exprs OPERATOR(pg_catalog.->) 'key' OPERATOR(pg_catalog.->>) 'type')::pg_catalog.regtype;

    -- The customer: the key of a tracked customers table (the one named by
    -- "customers", else the one whose key is of the customer's type), as an
    -- activities table's is; else, of an integer type, prio's customer_id.
    IF mapping OPERATOR(pg_catalog.?) 'customers' THEN
        SELECT s.source_id, s.relid, s.mapping, s.key_map, s.key_type INTO v_cs FROM @extschema@.sources s
         WHERE s.role OPERATOR(pg_catalog.=) 'customers'
           AND s.relid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(_track_deals.mapping OPERATOR(pg_catalog.->>) 'customers');
        IF NOT FOUND THEN
            RAISE EXCEPTION 'prio.track(): mapping key "customers" (%) is not a table tracked as customers', mapping OPERATOR(pg_catalog.->>) 'customers'
                USING ERRCODE = '42704', HINT = 'prio.tracked lists the tracked tables; track the customers table first.';
        END IF;
        IF v_cs.key_type OPERATOR(pg_catalog.<>) (v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type')::pg_catalog.regtype THEN
            RAISE EXCEPTION 'prio.track(): the deals'' customer % is of type %, but the key of % is of type %',
                  mapping OPERATOR(pg_catalog.->>) 'customer', v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type',
                  mapping OPERATOR(pg_catalog.->>) 'customers', v_cs.key_type
                USING ERRCODE = '42804', HINT = 'Cast the customer in the mapping to the key''s type.';
        END IF;
    ELSE
        SELECT pg_catalog.count(*) INTO v_n FROM @extschema@.sources s
         WHERE s.role OPERATOR(pg_catalog.=) 'customers'
           AND s.key_type OPERATOR(pg_catalog.=) (v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type')::pg_catalog.regtype;
        IF v_n OPERATOR(pg_catalog.>) 1 THEN
            RAISE EXCEPTION 'prio.track(): the deals'' customer % is of type %, and more than one tracked customers table has a key of that type',
                  mapping OPERATOR(pg_catalog.->>) 'customer', v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type'
                USING ERRCODE = '22023', HINT = 'Name it in the mapping: "customers": "schema.table".';
        END IF;
        SELECT s.source_id, s.relid, s.mapping, s.key_map, s.key_type INTO v_cs FROM @extschema@.sources s
         WHERE s.role OPERATOR(pg_catalog.=) 'customers'
           AND s.key_type OPERATOR(pg_catalog.=) (v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type')::pg_catalog.regtype;
        IF NOT FOUND AND (v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type')::pg_catalog.regtype
                         OPERATOR(pg_catalog.<>) ALL ('{bigint,integer,smallint}'::pg_catalog.regtype[]) THEN
            RAISE EXCEPTION 'prio.track(): the deals'' customer % is of type %: no tracked customers table has a key of that type, and it is no customer_id of prio.customers',
                  mapping OPERATOR(pg_catalog.->>) 'customer', v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'type'
                USING ERRCODE = '42704',
                      HINT = 'Track the customers table first (prio.track(''...'', ''customers'', ...)), or map the customer to prio.customers.customer_id (an integer).';
        END IF;
    END IF;
    SELECT pg_catalog.format('%s%I.%I', CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'r' THEN 'ONLY ' ELSE '' END, n.nspname, c.relname),
           pg_catalog.format('%I.%I', n.nspname, c.relname)
      INTO v_app, v_name
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
     WHERE c.oid OPERATOR(pg_catalog.=) source;

    IF v_cs.source_id IS NOT NULL THEN
        PERFORM @extschema@._track_check_owner(v_cs.relid, 'attach deals to');
        -- the customer under the key's collation, as an activities table's
        -- (hostile2 H6): another one decides which customers a row is of (a
        -- case-insensitive customer is two customers' deal), or cannot be
        -- compared with the key's, and every write of the table -- and of
        -- its customers table, whose new customers get their deals -- would
        -- fail on prio's side
        SELECT v_cust_coll AS cust, a.attcollation AS key, co.collisdeterministic AS det,
               pg_catalog.format('%I.%I', cn.nspname, kc.collname) AS key_name
          INTO v_coll
          FROM pg_catalog.pg_attribute a
          JOIN pg_catalog.pg_collation kc ON kc.oid OPERATOR(pg_catalog.=) a.attcollation
          JOIN pg_catalog.pg_namespace cn ON cn.oid OPERATOR(pg_catalog.=) kc.collnamespace
          LEFT JOIN pg_catalog.pg_collation co ON co.oid OPERATOR(pg_catalog.=) v_cust_coll
         WHERE a.attrelid OPERATOR(pg_catalog.=) v_cs.key_map AND a.attname OPERATOR(pg_catalog.=) 'key';
        IF FOUND AND v_coll.cust OPERATOR(pg_catalog.<>) v_coll.key
           AND v_coll.cust OPERATOR(pg_catalog.<>) 'pg_catalog.default'::pg_catalog.regcollation
           AND (v_coll.key OPERATOR(pg_catalog.<>) 'pg_catalog.default'::pg_catalog.regcollation OR NOT v_coll.det) THEN
            RAISE EXCEPTION 'prio.track(): the deals'' customer % is of collation %, but the key of % is of collation %',
                  mapping OPERATOR(pg_catalog.->>) 'customer', v_coll.cust::pg_catalog.regcollation, v_cs.relid,
                  v_coll.key::pg_catalog.regcollation
                USING ERRCODE = '42P21',
                      HINT = 'Compare it as the key is: "customer": ' OPERATOR(pg_catalog.||)
                             pg_catalog.to_jsonb(pg_catalog.format('(%s) COLLATE %s', mapping OPERATOR(pg_catalog.->>) 'customer',
                                                                   v_coll.key_name))::pg_catalog.text OPERATOR(pg_catalog.||) '.';
        END IF;
        -- the key map's equality, as an activities table's customer is compared
        SELECT o.oprnamespace::regnamespace::text AS nsp, o.oprname INTO v_c
          FROM pg_catalog.pg_index i
          JOIN pg_catalog.pg_opclass oc ON oc.oid OPERATOR(pg_catalog.=) i.indclass[0]
          JOIN pg_catalog.pg_amop ao ON ao.amopfamily OPERATOR(pg_catalog.=) oc.opcfamily
                                    AND ao.amoplefttype OPERATOR(pg_catalog.=) oc.opcintype
                                    AND ao.amoprighttype OPERATOR(pg_catalog.=) oc.opcintype
                                    AND ao.amopstrategy OPERATOR(pg_catalog.=) 3
                                    AND ao.amopmethod OPERATOR(pg_catalog.=) oc.opcmethod
          JOIN pg_catalog.pg_operator o ON o.oid OPERATOR(pg_catalog.=) ao.amopopr
         WHERE i.indrelid OPERATOR(pg_catalog.=) v_cs.key_map AND i.indisprimary;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'key map % has no primary key', v_cs.key_map USING ERRCODE = '55000';
        END IF;
        v_eq := pg_catalog.format('OPERATOR(%I.%s)', v_c.nsp, v_c.oprname);
        v_cust := pg_catalog.format('(SELECT m.customer_id FROM %s m WHERE m.key %s (%s))',
                                    v_cs.key_map, v_eq, v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'sql');
        -- A change first locks its customers' rows of the customers table,
        -- as a change of a tracked activities table does (the rows before and
        -- after it; TRUNCATE and untrack(): the customers of the table's
        -- mirrored deals), before prio.deals' trigger takes prio's own locks
        -- (prio._deal_facts): writers of a customer row and its deals, in
        -- either order, never deadlock.  An INSERT's lock is INSERT_LOCK,
        -- which prio.source_changed() takes without a statement when it can.
        -- (LOAD: recompute()'s re-mirroring, _track_deals_load(): the
        -- customers of the table's rows and of its mirrored deals)
        FOREACH v_op IN ARRAY '{INSERT,UPDATE,DELETE,TRUNCATE,LOAD}'::text[] LOOP
            v_lock := v_lock OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(v_op,
                @extschema@._track_lock_sql(v_cs.relid, v_cs.mapping OPERATOR(pg_catalog.->>) 'key', v_eq,
                    CASE v_op
                        WHEN 'INSERT' THEN pg_catalog.format('SELECT (%s) AS k FROM new_rows',
                                                             v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'sql')
                        WHEN 'UPDATE' THEN pg_catalog.format('SELECT (%1$s) AS k FROM old_rows UNION SELECT (%1$s) FROM new_rows',
                                                             v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'sql')
                        WHEN 'DELETE' THEN pg_catalog.format('SELECT (%s) AS k FROM old_rows',
                                                             v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'sql')
                        WHEN 'TRUNCATE' THEN pg_catalog.format($q$SELECT m.key AS k FROM %s m WHERE EXISTS (SELECT 1 FROM @extschema@.deals d WHERE d.source OPERATOR(pg_catalog.=) %L::pg_catalog.regclass AND d.customer_id OPERATOR(pg_catalog.=) m.customer_id)$q$,
                                               v_cs.key_map, v_name)
                        ELSE pg_catalog.format($q$SELECT (%1$s) AS k FROM %2$s UNION SELECT m.key FROM %3$s m WHERE EXISTS (SELECT 1 FROM @extschema@.deals d WHERE d.source OPERATOR(pg_catalog.=) %4$L::pg_catalog.regclass AND d.customer_id OPERATOR(pg_catalog.=) m.customer_id)$q$,
                                               v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'sql',
                                               v_app, v_cs.key_map, v_name) END,
                    'deals'));
        END LOOP;
    ELSE
        v_cust := pg_catalog.format('(SELECT c.customer_id FROM @extschema@.customers c WHERE c.customer_id OPERATOR(pg_catalog.=) (%s)::bigint)',
                                    v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'sql');
    END IF;

    -- One mirrored deal per row of a row source (@@rows@@: new_rows,
    -- old_rows or the table, put in with replace(): a mapping's SQL may hold %): its key as text, prio's customer (NULL: not mapped), the
    -- rest as prio.deals holds it.  A row without a key, a mapped customer
    -- or a stage is no deal (its mirror goes); a stage not in
    -- prio.deal_stages, a negative amount, ... fail the statement's sync
    -- (the application's write goes through: WARNING, last_error).
    v_sel := pg_catalog.format($q$SELECT ((%1$s)::pg_catalog.text COLLATE pg_catalog."default") AS k, %2$s AS customer_id,
       %3$s AS owner, (%4$s) AS stage, %5$s AS amount, %6$s AS expected_close,
       %7$s AS created_at, %8$s AS closed_at
  FROM @@rows@@ t$q$,
        v_exprs OPERATOR(pg_catalog.->) 'key' OPERATOR(pg_catalog.->>) 'sql', v_cust,
        CASE WHEN v_exprs OPERATOR(pg_catalog.?) 'owner'
             THEN pg_catalog.format('pg_catalog.left((%s), 200)', v_exprs OPERATOR(pg_catalog.->) 'owner' OPERATOR(pg_catalog.->>) 'sql')
             ELSE 'NULL::pg_catalog.text' END,
        v_exprs OPERATOR(pg_catalog.->) 'stage' OPERATOR(pg_catalog.->>) 'sql',
        CASE WHEN v_exprs OPERATOR(pg_catalog.?) 'amount'
             THEN pg_catalog.format('COALESCE((%s), 0)', v_exprs OPERATOR(pg_catalog.->) 'amount' OPERATOR(pg_catalog.->>) 'sql')
             ELSE '0::pg_catalog.numeric' END,
        CASE WHEN v_exprs OPERATOR(pg_catalog.?) 'expected_close'
             THEN pg_catalog.format('(%s)', v_exprs OPERATOR(pg_catalog.->) 'expected_close' OPERATOR(pg_catalog.->>) 'sql')
             ELSE 'NULL::pg_catalog.date' END,
        CASE WHEN v_exprs OPERATOR(pg_catalog.?) 'created_at'
             THEN pg_catalog.format('CASE WHEN pg_catalog.isfinite((%1$s)) THEN (%1$s) END',
                                    v_exprs OPERATOR(pg_catalog.->) 'created_at' OPERATOR(pg_catalog.->>) 'sql')
             ELSE 'NULL::pg_catalog.timestamptz' END,
        CASE WHEN v_exprs OPERATOR(pg_catalog.?) 'closed_at'
             THEN pg_catalog.format('CASE WHEN pg_catalog.isfinite((%1$s)) THEN (%1$s) END',
                                    v_exprs OPERATOR(pg_catalog.->) 'closed_at' OPERATOR(pg_catalog.->>) 'sql')
             ELSE 'NULL::pg_catalog.timestamptz' END);
    v_ok := 'a.k IS NOT NULL AND a.customer_id IS NOT NULL AND a.stage IS NOT NULL';
    -- the valid rows of a row source into prio.deals (one per key); created_at
    -- unmapped or NULL: now for a new deal, kept for one mirrored already
    v_upsert := pg_catalog.format($q$WITH a AS (%1$s),
     v AS (SELECT DISTINCT ON (a.k) a.* FROM a WHERE %2$s ORDER BY a.k)
INSERT INTO @extschema@.deals AS d (customer_id, owner, stage, amount, expected_close, created_at, closed_at, source, deal_key)
SELECT v.customer_id, v.owner, v.stage, v.amount, v.expected_close, COALESCE(v.created_at, pg_catalog.now()),
       v.closed_at, %3$L::pg_catalog.regclass, v.k
  FROM v
ON CONFLICT (source, deal_key) DO UPDATE
   SET customer_id = excluded.customer_id, owner = excluded.owner, stage = excluded.stage,
       amount = excluded.amount, expected_close = excluded.expected_close,
       created_at = %4$s, closed_at = excluded.closed_at
 WHERE (d.customer_id, d.owner, d.stage, d.amount, d.expected_close, d.created_at, d.closed_at)
       IS DISTINCT FROM (excluded.customer_id, excluded.owner, excluded.stage, excluded.amount,
                         excluded.expected_close, %4$s, excluded.closed_at)$q$,
        v_sel, v_ok, v_name,
        CASE WHEN v_exprs OPERATOR(pg_catalog.?) 'created_at'
             THEN 'COALESCE((SELECT v2.created_at FROM v v2 WHERE v2.k OPERATOR(pg_catalog.=) excluded.deal_key), d.created_at)'
             ELSE 'd.created_at' END);
    v_compiled := pg_catalog.jsonb_build_object(
        'INSERT', ARRAY[pg_catalog.replace(v_upsert, '@@rows@@', 'new_rows')],
        'UPDATE', ARRAY[
            -- mirrors of the keys the statement touched that are no deal now
            -- (set operations, then a join: "= ANY (ARRAY(...))" and "<> ALL
            -- (ARRAY(...))" compared each deal with every row, and an anti
            -- join is planned as a nested loop while prio.deals has no
            -- statistics: 16,000 rows updated, 22 s)
            pg_catalog.format($q$WITH g AS MATERIALIZED ((SELECT a.k FROM (%2$s) a UNION SELECT a.k FROM (%3$s) a)
                          EXCEPT SELECT a.k FROM (%3$s) a WHERE %4$s)
DELETE FROM @extschema@.deals d USING g
 WHERE d.source OPERATOR(pg_catalog.=) %1$L::pg_catalog.regclass
   AND d.deal_key OPERATOR(pg_catalog.=) g.k$q$,
                v_name, pg_catalog.replace(v_sel, '@@rows@@', 'old_rows'),
                pg_catalog.replace(v_sel, '@@rows@@', 'new_rows'), v_ok),
            pg_catalog.replace(v_upsert, '@@rows@@', 'new_rows')],
        -- (a join, not "= ANY (ARRAY(...))": each deal against every row)
        'DELETE', ARRAY[pg_catalog.format($q$WITH g AS MATERIALIZED (SELECT DISTINCT a.k FROM (%2$s) a)
DELETE FROM @extschema@.deals d USING g
 WHERE d.source OPERATOR(pg_catalog.=) %1$L::pg_catalog.regclass
   AND d.deal_key OPERATOR(pg_catalog.=) g.k$q$,
                v_name, pg_catalog.replace(v_sel, '@@rows@@', 'old_rows'))],
        'TRUNCATE', ARRAY[pg_catalog.format('DELETE FROM @extschema@.deals d WHERE d.source OPERATOR(pg_catalog.=) %L::pg_catalog.regclass', v_name)],
        -- the table's rows now (track(), and recompute(): missed changes
        -- resynchronised); the first alone when the second fails
        -- (_track_deals_load(): the deals of rows gone removed).  An anti
        -- join of the rows' keys, read once (MATERIALIZED: a nested loop,
        -- which the planner may take for a table just truncated, does not
        -- map every row again for each deal): "<> ALL (ARRAY(...))"
        -- compared each deal with every key (8,000 deals: 4 s; a
        -- partition's TRUNCATE, DETACH or DROP runs it too)
        'LOAD', ARRAY[
            pg_catalog.format($q$WITH a AS MATERIALIZED (SELECT a.k FROM (%2$s) a WHERE %3$s)
DELETE FROM @extschema@.deals d
 WHERE d.source OPERATOR(pg_catalog.=) %1$L::pg_catalog.regclass
   AND NOT EXISTS (SELECT 1 FROM a WHERE a.k OPERATOR(pg_catalog.=) d.deal_key)$q$,
                v_name, pg_catalog.replace(v_sel, '@@rows@@', v_app), v_ok),
            pg_catalog.replace(v_upsert, '@@rows@@', v_app)],
        'deal_customers', v_cs.source_id);
    IF v_lock OPERATOR(pg_catalog.<>) '{}' THEN
        v_compiled := v_compiled OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(
            'INSERT_LOCK', pg_catalog.jsonb_build_array(v_lock OPERATOR(pg_catalog.->) 'INSERT'),
            'UPDATE', pg_catalog.jsonb_build_array(v_lock OPERATOR(pg_catalog.->) 'UPDATE')
                      OPERATOR(pg_catalog.||) (v_compiled OPERATOR(pg_catalog.->) 'UPDATE'),
            'DELETE', pg_catalog.jsonb_build_array(v_lock OPERATOR(pg_catalog.->) 'DELETE')
                      OPERATOR(pg_catalog.||) (v_compiled OPERATOR(pg_catalog.->) 'DELETE'),
            'TRUNCATE', pg_catalog.jsonb_build_array(v_lock OPERATOR(pg_catalog.->) 'TRUNCATE')
                        OPERATOR(pg_catalog.||) (v_compiled OPERATOR(pg_catalog.->) 'TRUNCATE'),
            'LOAD_LOCK', pg_catalog.jsonb_build_array(v_lock OPERATOR(pg_catalog.->) 'LOAD'));
        -- (0.5) Run by the customers table's trigger (INSERT, UPDATE), after
        -- its own sync, in a subtransaction of its own (source_changed.c
        -- follow_deals()): its customers new (deleted and inserted again, an
        -- ETL reload: their deals went with them) or under a new key (ks: the
        -- old and the new key of each row whose key changed) get the deals
        -- of their key mirrored and lose any other.  Only the mirrors of the
        -- statement's own customers (c), whose rows of the customers table
        -- the statement holds, are written: a deal mirrored for another
        -- customer is read, never locked or written (its own trigger, or
        -- recompute(), moves it), so the lock order of writers stays the
        -- application's rows first; nor is one another transaction is
        -- writing waited for (_deal_key_busy(): ON CONFLICT would wait).  (EXISTS (ks): a one-time filter, the
        -- deals table is not read when no key is new.)
        SELECT c.sql INTO v_ck FROM @extschema@._track_compile(v_cs.relid, 'key', v_cs.mapping OPERATOR(pg_catalog.->>) 'key', NULL) c;
        v_follow := pg_catalog.format($q$WITH ks AS MATERIALIZED (@@keys@@),
     c AS MATERIALIZED (SELECT m.customer_id FROM %1$s m WHERE m.key %2$s ANY (ARRAY(SELECT ks.k FROM ks))),
     a AS (%3$s),
     v AS (SELECT DISTINCT ON (a.k) a.* FROM a WHERE %4$s ORDER BY a.k)@@do@@,
     x AS (DELETE FROM @extschema@.deals d
            WHERE d.source OPERATOR(pg_catalog.=) %5$L::pg_catalog.regclass
              AND d.customer_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT c.customer_id FROM c))
              AND NOT EXISTS (SELECT 1 FROM v WHERE v.k OPERATOR(pg_catalog.=) d.deal_key)),
     u AS (UPDATE @extschema@.deals d
              SET customer_id = v.customer_id, owner = v.owner, stage = v.stage, amount = v.amount,
                  expected_close = v.expected_close, created_at = COALESCE(v.created_at, d.created_at),
                  closed_at = v.closed_at
             FROM v
            WHERE d.source OPERATOR(pg_catalog.=) %5$L::pg_catalog.regclass
              AND d.deal_key OPERATOR(pg_catalog.=) v.k
              AND d.customer_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT c.customer_id FROM c))
              AND (d.customer_id, d.owner, d.stage, d.amount, d.expected_close, d.created_at, d.closed_at)
                  IS DISTINCT FROM (v.customer_id, v.owner, v.stage, v.amount, v.expected_close,
                                    COALESCE(v.created_at, d.created_at), v.closed_at))
INSERT INTO @extschema@.deals (customer_id, owner, stage, amount, expected_close, created_at, closed_at, source, deal_key)
SELECT v.customer_id, v.owner, v.stage, v.amount, v.expected_close, COALESCE(v.created_at, pg_catalog.now()),
       v.closed_at, %5$L::pg_catalog.regclass, v.k
  FROM v
 WHERE NOT EXISTS (SELECT 1 FROM @extschema@.deals d
                    WHERE d.source OPERATOR(pg_catalog.=) %5$L::pg_catalog.regclass
                      AND d.deal_key OPERATOR(pg_catalog.=) v.k)
   AND NOT @extschema@._deal_key_busy(%5$L::pg_catalog.regclass, v.k)
ON CONFLICT (source, deal_key) DO NOTHING$q$,
            v_cs.key_map, v_eq,
            pg_catalog.replace(v_sel, '@@rows@@',
                pg_catalog.format('(SELECT t.* FROM %s t WHERE EXISTS (SELECT 1 FROM ks) AND (%s) %s ANY (ARRAY(SELECT ks.k FROM ks)))',
                                  v_app, v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'sql', v_eq)),
            v_ok, v_name);
        -- (the same, a SELECT: whether the statement has anything to do --
        -- a deal of its keys, or a mirror of its customers -- run first, in
        -- the subtransaction: a customer inserted with no deal, the usual
        -- INSERT, costs no data-modifying statement, whose three statement
        -- triggers on prio.deals fire though it writes no row; and whether
        -- the table is still tracked: an untrack() that committed while the
        -- statement waited for the deals table, follow_try())
        v_gate := pg_catalog.split_part(v_follow, '@@do@@', 1) OPERATOR(pg_catalog.||)
            pg_catalog.format($q$
SELECT (EXISTS (SELECT 1 FROM v)
        OR EXISTS (SELECT 1 FROM @extschema@.deals d
                    WHERE d.source OPERATOR(pg_catalog.=) %1$L::pg_catalog.regclass
                      AND d.customer_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT c.customer_id FROM c))))
   AND EXISTS (SELECT 1 FROM @extschema@.sources s
                WHERE s.relid OPERATOR(pg_catalog.=) %1$L::pg_catalog.regclass
                  AND s.role OPERATOR(pg_catalog.=) 'deals')$q$, v_name);
        v_follow := pg_catalog.replace(v_follow, '@@do@@', '');
        -- (each row's old and new key compared, as the key map's rename
        -- step pairs them: keys shifted or swapped in one statement too)
        v_keys := pg_catalog.format(
                $q$SELECT x.k FROM (SELECT (%1$s) AS k, pg_catalog.row_number() OVER () AS n FROM new_rows) nw
  JOIN (SELECT (%1$s) AS k, pg_catalog.row_number() OVER () AS n FROM old_rows) o ON o.n OPERATOR(pg_catalog.=) nw.n
  CROSS JOIN LATERAL (VALUES (o.k), (nw.k)) x(k)
 WHERE nw.k IS NOT NULL AND (o.k IS NULL OR NOT (o.k %2$s nw.k)) AND x.k IS NOT NULL$q$, v_ck, v_eq);
        v_compiled := v_compiled OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('ON_CUSTOMERS', pg_catalog.jsonb_build_object(
            -- (the first statement of each: whether any key is new, read
            -- from the transition tables alone; the rest run only then)
            'INSERT', ARRAY[pg_catalog.format('SELECT EXISTS (SELECT 1 FROM new_rows WHERE (%s) IS NOT NULL)', v_ck),
                            pg_catalog.replace(v_gate, '@@keys@@',
                                               pg_catalog.format('SELECT (%s) AS k FROM new_rows', v_ck)),
                            pg_catalog.replace(v_follow, '@@keys@@',
                                               pg_catalog.format('SELECT (%s) AS k FROM new_rows', v_ck))],
            'UPDATE', ARRAY[pg_catalog.format($q$SELECT EXISTS (SELECT 1 FROM (%s) x)$q$, v_keys),
                            pg_catalog.replace(v_gate, '@@keys@@', v_keys),
                            pg_catalog.replace(v_follow, '@@keys@@', v_keys)]));
    END IF;

    INSERT INTO @extschema@.sources (reloid, role, mapping, key_type, compiled, signature)
    VALUES (source, 'deals', mapping, v_key_type, v_compiled, @extschema@._track_signature(source, v_compiled))
    RETURNING source_id INTO v_id;
    PERFORM @extschema@._track_triggers(source, v_id);
    -- the table's rows now, their customers' rows of the customers table
    -- locked first
    IF v_lock OPERATOR(pg_catalog.<>) '{}' THEN
        EXECUTE @extschema@._track_lock_sql(v_cs.relid, v_cs.mapping OPERATOR(pg_catalog.->>) 'key', v_eq,
                    pg_catalog.format('SELECT (%s) AS k FROM %s',
                                      v_exprs OPERATOR(pg_catalog.->) 'customer' OPERATOR(pg_catalog.->>) 'sql', v_app), 'deals');
    END IF;
    -- a row the mapping fails on, or that is no deal prio.deals can hold (a
    -- stage not in prio.deal_stages, an amount out of range), fails
    -- track(), saying so, as for customers and activities tables
    BEGIN
        FOR v_sql IN SELECT pg_catalog.jsonb_array_elements_text(v_compiled OPERATOR(pg_catalog.->) 'LOAD') LOOP
            EXECUTE v_sql;
        END LOOP;
    EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
        v_hint := 'Fix the row, or map it by an expression that does not fail on it and gives a stage of prio.deal_stages and an amount 0 <= amount < 1e15 (such as CASE WHEN ... THEN ... END): prio tracks a table once it can read all of its rows.';
        IF v_detail IS NULL OR v_detail OPERATOR(pg_catalog.=) '' THEN
            RAISE EXCEPTION 'prio.track(): the mapping fails on a row of %: %', source, v_msg
                USING ERRCODE = v_state, HINT = v_hint;
        END IF;
        RAISE EXCEPTION 'prio.track(): the mapping fails on a row of %: %', source, v_msg
            USING ERRCODE = v_state, DETAIL = v_detail, HINT = v_hint;
    END;
    SELECT pg_catalog.count(*) INTO v_n FROM @extschema@.deals d WHERE d.source OPERATOR(pg_catalog.=) _track_deals.source;
    RAISE NOTICE 'prio: tracking % as deals: % deals', source, v_n;
END
$$;
COMMENT ON FUNCTION @extschema@._track_deals(regclass, jsonb) IS
'Internal (prio.track(source, ''deals'', mapping)): checks the mapping (key, customer, stage required; customers, owner, amount, expected_close, created_at, closed_at), compiles the SQL its triggers run to mirror the table''s rows into prio.deals (source, deal_key), creates the triggers and loads the table''s rows.';
REVOKE ALL ON FUNCTION @extschema@._track_deals(regclass, jsonb) FROM PUBLIC;

-- (0.5) recompute(): the rows of the tracked deals tables mirrored again,
-- for the tables whose columns are still those track() checked; of one
-- (source_id), after a partition of it came, went or was truncated
-- (prio._track_refold_source())
CREATE FUNCTION @extschema@._track_deals_load(source_id integer DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- the compiled SQL parsed as track() wrote it (track.c, PrioTrackedParseBegin())
SET standard_conforming_strings = on
SET array_nulls = on
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET bytea_output = 'hex'
SET lc_monetary = 'C'
SET lc_numeric = 'C'
SET lc_time = 'C'
AS $$
DECLARE
    v_src record;
    v_sql text;
    v_state text;
    v_msg text;
BEGIN
    FOR v_src IN SELECT s.source_id, s.relid, s.compiled, s.signature FROM @extschema@.sources s
                  WHERE s.role OPERATOR(pg_catalog.=) 'deals'
                    AND (_track_deals_load.source_id IS NULL OR s.source_id OPERATOR(pg_catalog.=) _track_deals_load.source_id)
                  ORDER BY s.source_id LOOP
        IF @extschema@._track_signature(v_src.relid, v_src.compiled) OPERATOR(pg_catalog.<>) v_src.signature THEN
            RAISE WARNING 'prio: recompute() left the deals of % as they were: the name or the columns of % changed since prio.track()',
                          v_src.relid, v_src.relid
                USING HINT = 'prio.untrack() and prio.track() the table again to check the mapping against its columns now.';
            CONTINUE;
        END IF;
        -- a row of the table prio cannot mirror (a stage not in
        -- prio.deal_stages, a negative amount, ...) leaves that table's
        -- deals as they were, as a write of it would, but for those of rows
        -- gone: a WARNING and its last_error; recompute() goes on with
        -- everything else.  What the server raises for any statement is
        -- raised.
        -- (its customers' rows of the customers table locked first, as a
        -- writer of the table does: a customers writer that holds one, and
        -- then makes the deals follow it (a new key) or deletes it, and the
        -- mirrors locked here deadlocked (40P01), or the re-mirroring, its
        -- snapshot older than that writer's commit, put back a deal of the
        -- customer's old key)
        BEGIN
            FOR v_sql IN SELECT pg_catalog.jsonb_array_elements_text(v_src.compiled OPERATOR(pg_catalog.->) 'LOAD_LOCK') LOOP
                EXECUTE v_sql;
            END LOOP;
            FOR v_sql IN SELECT pg_catalog.jsonb_array_elements_text(v_src.compiled OPERATOR(pg_catalog.->) 'LOAD') LOOP
                EXECUTE v_sql;
            END LOOP;
        EXCEPTION
            WHEN transaction_rollback OR insufficient_resources OR program_limit_exceeded
                 OR operator_intervention OR system_error OR lock_not_available THEN
                RAISE;
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT;
                -- the deals of rows gone are removed all the same (LOAD's
                -- first statement, which writes no deal: a stage prio lacks
                -- fails the second only): a partition truncated, detached or
                -- dropped beside a row prio cannot mirror takes its deals
                BEGIN
                    FOR v_sql IN SELECT pg_catalog.jsonb_array_elements_text(v_src.compiled OPERATOR(pg_catalog.->) 'LOAD_LOCK') LOOP
                        EXECUTE v_sql;
                    END LOOP;
                    EXECUTE v_src.compiled OPERATOR(pg_catalog.->) 'LOAD' OPERATOR(pg_catalog.->>) 0;
                EXCEPTION
                    WHEN transaction_rollback OR insufficient_resources OR program_limit_exceeded
                         OR operator_intervention OR system_error OR lock_not_available THEN
                        RAISE;
                    WHEN OTHERS THEN
                        NULL;
                END;
                PERFORM @extschema@._track_note_error(v_src.source_id, v_msg);
                RAISE WARNING 'prio: the deals of % were left as they were (those of rows gone removed): %', v_src.relid, v_msg
                    USING DETAIL = pg_catalog.format('SQLSTATE %s', v_state),
                          HINT = 'See prio.tracked.last_error; fix the row or the mapping (prio.untrack() and prio.track()), then prio.recompute() resynchronises.';
        END;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@._track_deals_load(integer) IS
'Internal (prio.recompute(); of one table, source_id, prio._track_refold_source()): mirrors the rows of every tracked deals table (NULL), or of one, into prio.deals again (changes a failed sync missed), their customers'' rows of the customers table locked first (FOR NO KEY UPDATE, as a writer of the table locks them), skipping a table whose columns changed since prio.track(); a table with a row prio cannot mirror is left as it was but for the deals of rows gone, removed (a WARNING and prio.tracked.last_error).';
REVOKE ALL ON FUNCTION @extschema@._track_deals_load(integer) FROM PUBLIC;
