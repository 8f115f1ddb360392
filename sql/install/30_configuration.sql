------------------------------------------------------------------------
-- Engine: configuration (settings, activity kinds)
------------------------------------------------------------------------

CREATE FUNCTION @extschema@.check_breaks(breaks double precision[])
RETURNS boolean
AS 'MODULE_PATHNAME', 'prio_check_breaks'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.check_breaks(double precision[]) IS
'True for a valid breaks array (not empty, no NULL or NaN, ascending); raises 22023 naming the fault otherwise.';

CREATE TABLE @extschema@.settings (
    id               boolean PRIMARY KEY DEFAULT true CHECK (id),
    r_breaks         double precision[] CHECK (r_breaks IS NULL OR (pg_catalog.cardinality(r_breaks) = 4 AND @extschema@.check_breaks(r_breaks))),
    f_breaks         double precision[] CHECK (f_breaks IS NULL OR (pg_catalog.cardinality(f_breaks) = 4 AND @extschema@.check_breaks(f_breaks))),
    m_breaks         double precision[] CHECK (m_breaks IS NULL OR (pg_catalog.cardinality(m_breaks) = 4 AND @extschema@.check_breaks(m_breaks))),
    intent_half_life interval NOT NULL DEFAULT '14 days' CHECK (intent_half_life > interval '0' AND intent_half_life < interval '100 years'),
    silent_after     interval NOT NULL DEFAULT '30 days' CHECK (silent_after > interval '0' AND silent_after < interval '100 years'),
    dormant_after    interval NOT NULL DEFAULT '90 days' CHECK (dormant_after > interval '0' AND dormant_after < interval '100 years'),
    no_reply_after   interval NOT NULL DEFAULT '3 days'  CHECK (no_reply_after > interval '0' AND no_reply_after < interval '100 years'),
    cadence_a        interval NOT NULL DEFAULT '2 days'  CHECK (cadence_a > interval '0' AND cadence_a < interval '100 years'),
    cadence_b        interval NOT NULL DEFAULT '5 days'  CHECK (cadence_b > interval '0' AND cadence_b < interval '100 years'),
    cadence_c        interval NOT NULL DEFAULT '5 days'  CHECK (cadence_c > interval '0' AND cadence_c < interval '100 years'),
    cadence_d        interval NOT NULL DEFAULT '14 days' CHECK (cadence_d > interval '0' AND cadence_d < interval '100 years'),
    value_score      integer NOT NULL DEFAULT 4 CHECK (value_score BETWEEN 1 AND 5),
    bant_threshold   integer NOT NULL DEFAULT 3 CHECK (bant_threshold BETWEEN 1 AND 4),
    intent_threshold double precision NOT NULL DEFAULT 3
                     CHECK (intent_threshold > 0 AND intent_threshold < 'Infinity'),
    weight_tier      double precision NOT NULL DEFAULT 70 CHECK (weight_tier >= 0 AND weight_tier < 1e6),
    weight_rfm       double precision NOT NULL DEFAULT 12 CHECK (weight_rfm >= 0 AND weight_rfm < 1e6),
    weight_bant      double precision NOT NULL DEFAULT 6  CHECK (weight_bant >= 0 AND weight_bant < 1e6),
    weight_intent    double precision NOT NULL DEFAULT 8  CHECK (weight_intent >= 0 AND weight_intent < 1e6),
    weight_stage     double precision NOT NULL DEFAULT 4  CHECK (weight_stage >= 0 AND weight_stage < 1e6),
    builtin          boolean NOT NULL DEFAULT false,
    -- added in 0.2 (hence after builtin)
    clv_horizon      integer NOT NULL DEFAULT 12 CHECK (clv_horizon BETWEEN 1 AND 600),
    clv_discount_rate double precision NOT NULL DEFAULT 0.01 CHECK (clv_discount_rate >= 0 AND clv_discount_rate < 1),
    clv_refit_after  interval NOT NULL DEFAULT '1 day' CHECK (clv_refit_after > interval '0' AND clv_refit_after < interval '100 years'),
    clv_min_repeat_buyers integer NOT NULL DEFAULT 30 CHECK (clv_min_repeat_buyers BETWEEN 3 AND 1000000000),
    value_min_clv    double precision CHECK (value_min_clv IS NULL OR (value_min_clv > 0 AND value_min_clv < 'Infinity')),
    -- added in 0.5: reply speed, re-activation; the funnel's weight (deals)
    reply_weight     double precision NOT NULL DEFAULT 2 CHECK (reply_weight >= 0 AND reply_weight < 1e6),
    reply_half_life  interval NOT NULL DEFAULT '1 day' CHECK (reply_half_life > interval '0' AND reply_half_life < interval '100 years'),
    silent_cadence   interval NOT NULL DEFAULT '30 days' CHECK (silent_cadence > interval '0' AND silent_cadence < interval '100 years'),
    lost_cadence     interval NOT NULL DEFAULT '90 days' CHECK (lost_cadence > interval '0' AND lost_cadence < interval '100 years'),
    weight_funnel    double precision NOT NULL DEFAULT 150 CHECK (weight_funnel >= 0 AND weight_funnel < 1e6),
    CHECK (weight_tier + weight_rfm + weight_bant + weight_intent + weight_stage > 0)
);
COMMENT ON TABLE @extschema@.settings IS
'Every prio threshold, in one row; change it with UPDATE.  A change re-tiers every customer in the same transaction.';
COMMENT ON COLUMN @extschema@.settings.id IS 'Always true: the table has exactly one row.';
COMMENT ON COLUMN @extschema@.settings.r_breaks IS 'Four ascending recency cut points in days (lower is better); NULL: quintiles of the customers who bought, recomputed by prio.refresh().';
COMMENT ON COLUMN @extschema@.settings.f_breaks IS 'Four ascending cut points for the number of purchases; NULL: automatic quintiles.';
COMMENT ON COLUMN @extschema@.settings.m_breaks IS 'Four ascending cut points for the sum of purchase amounts; NULL: automatic quintiles.';
COMMENT ON COLUMN @extschema@.settings.intent_half_life IS 'Time after which an activity''s intent weight counts half.';
COMMENT ON COLUMN @extschema@.settings.silent_after IS 'An open deal with nothing inbound for this long is silent.';
COMMENT ON COLUMN @extschema@.settings.dormant_after IS 'A won customer with nothing inbound for this long is silent (dormant).';
COMMENT ON COLUMN @extschema@.settings.no_reply_after IS 'An outbound touch unanswered for this long drops intent to low.';
COMMENT ON COLUMN @extschema@.settings.cadence_a IS 'Follow-up cadence of tier A: next due = last outbound touch + this, through tier A''s playbook unless it sets a cadence of its own (prio.playbooks; a shorter key-customer type''s playbook wins).';
COMMENT ON COLUMN @extschema@.settings.cadence_b IS 'Follow-up cadence of tier B.';
COMMENT ON COLUMN @extschema@.settings.cadence_c IS 'Follow-up cadence of tier C.';
COMMENT ON COLUMN @extschema@.settings.cadence_d IS 'Follow-up cadence of tier D.';
COMMENT ON COLUMN @extschema@.settings.value_score IS 'Value is high when the monetary or frequency score reaches this (or budget and authority are both TRUE).';
COMMENT ON COLUMN @extschema@.settings.bant_threshold IS 'Intent is high when this many BANT answers are TRUE.';
COMMENT ON COLUMN @extschema@.settings.intent_threshold IS 'Intent is high when the decayed intent reaches this.';
COMMENT ON COLUMN @extschema@.settings.weight_tier IS 'Priority weight of the tier (A 1, B and C 0.5, D 0).  Keep it above twice the sum of the other weights so tiers never overlap.';
COMMENT ON COLUMN @extschema@.settings.weight_rfm IS 'Priority weight of the RFM scores ((r+f+m-3)/12).';
COMMENT ON COLUMN @extschema@.settings.weight_bant IS 'Priority weight of the BANT count (count/4).';
COMMENT ON COLUMN @extschema@.settings.weight_intent IS 'Priority weight of intent (intent/(intent+threshold)).';
COMMENT ON COLUMN @extschema@.settings.weight_stage IS 'Priority weight of the stage (closing 1, engaged and won 0.5, interested 0.25, silent 0.1, else 0).';
COMMENT ON COLUMN @extschema@.settings.builtin IS 'True while the row is as prio shipped it; set false by any change.';
COMMENT ON COLUMN @extschema@.settings.clv_horizon IS 'Months (periods of 4.345 weeks) the clv column of prio.followup looks ahead.';
COMMENT ON COLUMN @extschema@.settings.clv_discount_rate IS 'Discount rate per month for the clv column.';
COMMENT ON COLUMN @extschema@.settings.clv_refit_after IS 'prio.refresh() fits the CLV models again when the latest fit is older than this.';
COMMENT ON COLUMN @extschema@.settings.value_min_clv IS 'When set, value is also high when the customer''s CLV (latest model, clv_horizon months) reaches this amount; NULL: CLV plays no part in the tier.';
COMMENT ON COLUMN @extschema@.settings.weight_funnel IS 'Priority points added for an open deal: weight_funnel x the funnel points of its most advanced open deal''s stage (prio.deal_stages: the k-th of n open stages by position scores k/n), on top of the 0-100 of the other five weights.  The default, 150, lets a closing deal over the value threshold outrank every repeat buyer with no open deal, and keeps deal stages in funnel order within a tier.';
COMMENT ON COLUMN @extschema@.settings.clv_min_repeat_buyers IS 'prio.refresh() fits the CLV models only when at least this many customers bought on two or more days.';
COMMENT ON COLUMN @extschema@.settings.reply_weight IS 'Reply speed: an inbound activity answering an outbound touch (the last outbound after the last inbound) adds reply_weight * 2^(-(reply time - outbound time) / reply_half_life) to intent, beside its kind''s weight (kinds with a positive intent_weight only: a quick rejection earns nothing); 0: no reply term.';
COMMENT ON COLUMN @extschema@.settings.reply_half_life IS 'Reply speed: a reply this long after our touch adds half of reply_weight to intent.';
COMMENT ON COLUMN @extschema@.settings.silent_cadence IS 'Re-activation cadence of a silent customer, instead of its tier''s: next due = last outbound touch + this (prio.reactivation lists it once due).';
COMMENT ON COLUMN @extschema@.settings.lost_cadence IS 'Re-activation cadence of a lost customer, instead of tier D''s: next due = last outbound touch + this (prio.reactivation lists it once due).';

INSERT INTO @extschema@.settings (builtin) VALUES (true);

CREATE FUNCTION @extschema@.settings_keep_row()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'prio.settings must keep its one row'
        USING ERRCODE = '23514', HINT = 'Change settings with UPDATE prio.settings SET ...';
END
$$;
COMMENT ON FUNCTION @extschema@.settings_keep_row() IS
'Trigger: refuses DELETE and TRUNCATE of prio.settings.';

CREATE TRIGGER settings_guard
    BEFORE INSERT OR UPDATE ON @extschema@.settings
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_guard('id');
CREATE TRIGGER settings_keep_row
    BEFORE DELETE OR TRUNCATE ON @extschema@.settings
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.settings_keep_row();
CREATE TRIGGER settings_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.settings
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.invalidate_cache();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.settings', 'WHERE NOT builtin');

CREATE TABLE @extschema@.activity_kinds (
    kind          text PRIMARY KEY CHECK (pg_catalog.length(kind) BETWEEN 1 AND 100),
    direction     text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    stage         @extschema@.stage CHECK (stage IS DISTINCT FROM 'silent'),
    is_purchase   boolean NOT NULL DEFAULT false,
    intent_weight double precision NOT NULL DEFAULT 0
                  CHECK (intent_weight > -1e6 AND intent_weight < 1e6),
    builtin       boolean NOT NULL DEFAULT false,
    -- added in 0.5 (hence after builtin)
    revives       boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE @extschema@.activity_kinds IS
'What each kind of activity means: direction, the stage it moves a customer to, whether it is a purchase, and its intent weight.  Add your own kinds with INSERT.';
COMMENT ON COLUMN @extschema@.activity_kinds.kind IS 'Name used in prio.activities.kind.';
COMMENT ON COLUMN @extschema@.activity_kinds.direction IS 'inbound (the customer acted) or outbound (we reached out).';
COMMENT ON COLUMN @extschema@.activity_kinds.stage IS 'Stage this kind moves a customer to (NULL: none); lost and won decide outright.';
COMMENT ON COLUMN @extschema@.activity_kinds.is_purchase IS 'Counts for RFM frequency and monetary.';
COMMENT ON COLUMN @extschema@.activity_kinds.intent_weight IS 'Intent added by one activity of this kind, halving every intent_half_life.';
COMMENT ON COLUMN @extschema@.activity_kinds.builtin IS 'True while the row is as prio shipped it; set false by any change.';
COMMENT ON COLUMN @extschema@.activity_kinds.revives IS 'Whether an activity of this kind can bring a lost customer back (true by default; false for the automated email_open).  For a lost customer, an inbound activity of a kind that does not revive is a contact and nothing more: the customer stays lost, it adds no intent, and it neither counts as inbound (last_inbound_at, the silent clock) nor answers our last touch.';

INSERT INTO @extschema@.activity_kinds (kind, direction, stage, is_purchase, intent_weight, builtin, revives) VALUES
    ('purchase',     'inbound',  'won',        true,  3.0, true, true),
    ('inquiry',      'inbound',  'interested', false, 3.0, true, true),
    ('reply',        'inbound',  'interested', false, 2.0, true, true),
    ('email_open',   'inbound',  NULL,         false, 0.5, true, false),
    ('visit',        'inbound',  NULL,         false, 1.0, true, true),
    ('trial_use',    'inbound',  'engaged',    false, 2.0, true, true),
    ('demo_request', 'inbound',  'engaged',    false, 4.0, true, true),
    ('rejected',     'inbound',  'lost',       false, 0.0, true, true),
    ('call',         'outbound', NULL,         false, 0.0, true, true),
    ('email',        'outbound', NULL,         false, 0.0, true, true),
    ('meeting',      'outbound', 'engaged',    false, 0.0, true, true),
    ('proposal',     'outbound', 'engaged',    false, 0.0, true, true),
    ('quote',        'outbound', 'closing',    false, 0.0, true, true),
    ('contract',     'outbound', 'won',        false, 0.0, true, true);

CREATE TRIGGER activity_kinds_guard
    BEFORE INSERT OR UPDATE ON @extschema@.activity_kinds
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_guard('kind');
CREATE TRIGGER activity_kinds_removed
    AFTER DELETE ON @extschema@.activity_kinds
    FOR EACH ROW EXECUTE FUNCTION @extschema@.config_row_removed('kind');
-- (a renamed one too: its old key is gone as a deleted row's)
CREATE TRIGGER activity_kinds_renamed
    AFTER UPDATE ON @extschema@.activity_kinds
    FOR EACH ROW WHEN (OLD.kind OPERATOR(pg_catalog.<>) NEW.kind)
    EXECUTE FUNCTION @extschema@.config_row_removed('kind');
CREATE TRIGGER activity_kinds_truncated
    BEFORE TRUNCATE ON @extschema@.activity_kinds
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.config_row_removed('kind');
CREATE TRIGGER activity_kinds_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.activity_kinds
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.invalidate_cache();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.activity_kinds', 'WHERE NOT builtin');

CREATE TABLE @extschema@.auto_breaks (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    r_breaks    double precision[],
    f_breaks    double precision[],
    m_breaks    double precision[],
    buyers      bigint NOT NULL DEFAULT 0,
    computed_at timestamptz
);
COMMENT ON TABLE @extschema@.auto_breaks IS
'Quintile breaks of the customers who bought, as prio.refresh() last computed them; used where settings leave breaks NULL.  Maintained by prio.';
COMMENT ON COLUMN @extschema@.auto_breaks.id IS 'Always true: one row.';
COMMENT ON COLUMN @extschema@.auto_breaks.r_breaks IS 'Recency quintile breaks in days (NULL before the first refresh or without buyers).';
COMMENT ON COLUMN @extschema@.auto_breaks.f_breaks IS 'Frequency quintile breaks.';
COMMENT ON COLUMN @extschema@.auto_breaks.m_breaks IS 'Monetary quintile breaks.';
COMMENT ON COLUMN @extschema@.auto_breaks.buyers IS 'How many customers with purchases the breaks were computed from.';
COMMENT ON COLUMN @extschema@.auto_breaks.computed_at IS 'The as_of of the refresh that computed them.';
INSERT INTO @extschema@.auto_breaks DEFAULT VALUES;
CREATE TRIGGER auto_breaks_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.auto_breaks
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.invalidate_cache();

CREATE FUNCTION @extschema@.auto_breaks_load()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- prio only ever updates its row: a restore loading the dumped row puts
    -- it in the place of the one CREATE EXTENSION seeded
    UPDATE @extschema@.auto_breaks b
       SET r_breaks = NEW.r_breaks, f_breaks = NEW.f_breaks, m_breaks = NEW.m_breaks,
           buyers = NEW.buyers, computed_at = NEW.computed_at
     WHERE b.id OPERATOR(pg_catalog.=) NEW.id;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.auto_breaks_load() IS
'Row trigger on prio.auto_breaks, in a restoring session only: the loaded row replaces the one CREATE EXTENSION seeded.';
CREATE TRIGGER auto_breaks_load
    BEFORE INSERT ON @extschema@.auto_breaks
    FOR EACH ROW WHEN (@extschema@.restoring()) EXECUTE FUNCTION @extschema@.auto_breaks_load();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.auto_breaks', '');

