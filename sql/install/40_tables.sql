------------------------------------------------------------------------
-- Engine: customers, activities, state, history
------------------------------------------------------------------------

CREATE TABLE @extschema@.customers (
    customer_id  bigint PRIMARY KEY,
    name         text CHECK (pg_catalog.length(name) <= 1000),
    owner        text CHECK (pg_catalog.length(owner) <= 200),
    backup_owner text CHECK (pg_catalog.length(backup_owner) <= 200),
    budget       boolean,
    authority    boolean,
    need         boolean,
    timeline     boolean,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now() CHECK (pg_catalog.isfinite(created_at)),
    -- added in 0.4 (hence last)
    attributes   jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (pg_catalog.jsonb_typeof(attributes) OPERATOR(pg_catalog.=) 'object'),
    -- added in 0.4: a customer mirrored from a tracked table (prio.track())
    -- and its key there, as text; both NULL for prio's own customers
    source       regclass,
    customer_key text,
    CONSTRAINT customers_source_key_check CHECK ((source IS NULL) OPERATOR(pg_catalog.=) (customer_key IS NULL))
);
CREATE INDEX customers_owner_idx ON @extschema@.customers (owner);
COMMENT ON TABLE @extschema@.customers IS 'Customers and what the sales team knows of them; written by applications.';
COMMENT ON COLUMN @extschema@.customers.customer_id IS 'Your customer key.';
COMMENT ON COLUMN @extschema@.customers.name IS 'Display name.';
COMMENT ON COLUMN @extschema@.customers.owner IS 'Rep who owns the customer (a role name when owner isolation is on).';
COMMENT ON COLUMN @extschema@.customers.backup_owner IS 'Rep who covers for the owner.';
COMMENT ON COLUMN @extschema@.customers.budget IS 'BANT: has budget (NULL: not known).';
COMMENT ON COLUMN @extschema@.customers.authority IS 'BANT: we talk to someone with authority (NULL: not known).';
COMMENT ON COLUMN @extschema@.customers.need IS 'BANT: has the need (NULL: not known).';
COMMENT ON COLUMN @extschema@.customers.timeline IS 'BANT: has a timeline (NULL: not known).';
COMMENT ON COLUMN @extschema@.customers.created_at IS 'When the customer was created; the quiet clock starts here until the first activity.';
COMMENT ON COLUMN @extschema@.customers.source IS 'The tracked table this customer is mirrored from (prio.track()); NULL for a customer of prio.customers itself.';
COMMENT ON COLUMN @extschema@.customers.customer_key IS 'The customer''s key in the tracked table (source), as text; NULL for a customer of prio.customers itself, whose key is customer_id.  Written by prio.';
COMMENT ON COLUMN @extschema@.customers.attributes IS 'Your own attributes of the customer, as a JSON object (dumped and restored with prio.customers); for a customer of a tracked table, the mapping''s "attributes".';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.customers', '');

CREATE TABLE @extschema@.activities (
    activity_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES @extschema@.customers,
    kind        text NOT NULL REFERENCES @extschema@.activity_kinds,
    at          timestamptz NOT NULL DEFAULT pg_catalog.now() CHECK (pg_catalog.isfinite(at)),
    amount      numeric NOT NULL DEFAULT 0 CHECK (amount >= 0 AND amount < 1e15),
    note        text CHECK (pg_catalog.length(note) <= 10000),
    -- added in 0.5 (hence last)
    channel     text CHECK (pg_catalog.btrim(channel) <> '')
);
CREATE INDEX activities_customer_at_idx ON @extschema@.activities (customer_id, at);
COMMENT ON TABLE @extschema@.activities IS 'What happened with each customer; applications INSERT (or COPY) rows and prio re-tiers the customers at once.';
COMMENT ON COLUMN @extschema@.activities.activity_id IS 'Generated key; ties at the same time are folded in this order.';
COMMENT ON COLUMN @extschema@.activities.customer_id IS 'The customer (prio.customers).';
COMMENT ON COLUMN @extschema@.activities.kind IS 'The kind of activity (prio.activity_kinds).';
COMMENT ON COLUMN @extschema@.activities.at IS 'When it happened; finite, at most a day in the future.';
COMMENT ON COLUMN @extschema@.activities.amount IS 'Purchase amount; of a quote or proposal (0.5), the amount offered: with no deals, it stands for an open deal; 0 for anything else; 0 <= amount < 1e15.';
COMMENT ON COLUMN @extschema@.activities.note IS 'Free text.';
COMMENT ON COLUMN @extschema@.activities.channel IS 'The channel it went through: phone, visit, wechat, email, sms, community (prio.channels) or any label of yours, not empty (23514); NULL: unknown.  Not checked against prio.channels: prio.explain() shows a channel it does not know as such, and whether the customer''s playbook names it.  Channels do not change scoring.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.activities', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.activities_activity_id_seq', '');
COMMENT ON SEQUENCE @extschema@.activities_activity_id_seq IS 'Generates prio.activities.activity_id.';

CREATE TYPE @extschema@.facts AS (
    customer_id      bigint,
    first_at         timestamptz,
    last_at          timestamptz,
    last_inbound_at  timestamptz,
    last_outbound_at timestamptz,
    last_purchase_at timestamptz,
    frequency        bigint,
    monetary         numeric,
    intent           double precision,
    intent_at        timestamptz,
    stage            @extschema@.stage,
    first_purchase_at timestamptz,
    purchase_days    bigint,
    first_day_amount numeric
);
COMMENT ON TYPE @extschema@.facts IS
'What prio folds from one customer''s activities: first/last activity, last inbound/outbound/purchase, purchase count and sum, intent decayed as of intent_at, base stage, and the BTYD inputs (first purchase, UTC calendar days with purchases, the first such day''s amount).';

CREATE TABLE @extschema@.customer_state (
    customer_id      bigint PRIMARY KEY REFERENCES @extschema@.customers ON DELETE CASCADE ON UPDATE CASCADE,
    first_at         timestamptz,
    last_at          timestamptz,
    last_inbound_at  timestamptz,
    last_outbound_at timestamptz,
    last_purchase_at timestamptz,
    frequency        bigint NOT NULL DEFAULT 0,
    monetary         numeric NOT NULL DEFAULT 0,
    intent           double precision NOT NULL DEFAULT 0,
    intent_at        timestamptz,
    stage            @extschema@.stage NOT NULL DEFAULT 'prospect',
    effective_stage  @extschema@.stage,
    r_score          integer,
    f_score          integer,
    m_score          integer,
    bant             integer,
    no_reply         boolean,
    value_high       boolean,
    intent_high      boolean,
    tier             text CHECK (tier IN ('A', 'B', 'C', 'D')),
    priority         double precision,
    next_due_at      timestamptz,
    rule             text,
    updated_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- added in 0.2 (hence after updated_at)
    first_purchase_at timestamptz,
    purchase_days    bigint NOT NULL DEFAULT 0,
    first_day_amount numeric NOT NULL DEFAULT 0,
    owner            text,
    -- added in 0.4 (hence last)
    next_planned_at  timestamptz,
    -- added in 0.5 (hence last): the key-customer types (87_types.sql)
    month_purchases  double precision[],
    month_inbound    integer[],
    types            text[] NOT NULL DEFAULT '{}',
    -- and the playbook (88_playbooks.sql)
    playbook         text,
    -- added in 0.5 (after them): the deal facts (prio.deals), kept by prio._deal_facts()
    open_deals       integer NOT NULL DEFAULT 0,
    funnel_stage     text,
    pipeline         numeric NOT NULL DEFAULT 0,
    last_deal_at     timestamptz,
    deal_closed_at   timestamptz,
    deal_outcome     text CHECK (deal_outcome IN ('won', 'lost')),
    -- added in 0.5: the implicit deal, folded from the activities
    quote_amount     numeric,
    quote_at         timestamptz,
    -- added in 0.5: when the activities decided the stage won or lost, folded
    stage_at         timestamptz
) WITH (fillfactor = 80);
-- prio.followup in its two orders: one rep's list (WHERE owner = ...;
-- prio._followup_rank() reads it too) and the team's, so a LIMIT reads the
-- rows it returns, not every row (0.4: 145 ms for the team's LIMIT 50 at
-- 100,000 customers).  They hold priority and next_due_at, which most
-- activities change: such an update of the state row is not HOT (a new
-- entry in every index), the price of the row-4 figure (README, Performance).
CREATE INDEX customer_state_owner_idx ON @extschema@.customer_state
    (owner, priority DESC, next_due_at, customer_id);
CREATE INDEX customer_state_priority_idx ON @extschema@.customer_state
    (priority DESC, next_due_at, customer_id);
-- refresh() folds the planned touches that came due; partial: a customer
-- without one (nearly all) is not in it, and an update of theirs adds
-- nothing to it
CREATE INDEX customer_state_planned_idx ON @extschema@.customer_state (next_planned_at)
    WHERE next_planned_at IS NOT NULL;
COMMENT ON TABLE @extschema@.customer_state IS
'One row per customer, maintained by prio only: the facts folded from its activities and the tier they give.  prio.recompute() rebuilds it; the live rows always equal what it produces.';
COMMENT ON COLUMN @extschema@.customer_state.customer_id IS 'The customer.';
COMMENT ON COLUMN @extschema@.customer_state.first_at IS 'First activity of any kind.';
COMMENT ON COLUMN @extschema@.customer_state.last_at IS 'Last activity of any kind.';
COMMENT ON COLUMN @extschema@.customer_state.last_inbound_at IS 'Last inbound activity (the customer acted).';
COMMENT ON COLUMN @extschema@.customer_state.last_outbound_at IS 'Last outbound activity (we reached out).';
COMMENT ON COLUMN @extschema@.customer_state.last_purchase_at IS 'Last purchase.';
COMMENT ON COLUMN @extschema@.customer_state.frequency IS 'Number of purchases.';
COMMENT ON COLUMN @extschema@.customer_state.monetary IS 'Sum of purchase amounts (exact).';
COMMENT ON COLUMN @extschema@.customer_state.intent IS 'Intent decayed as of intent_at.';
COMMENT ON COLUMN @extschema@.customer_state.intent_at IS 'The time intent is computed as of (the newest activity).';
COMMENT ON COLUMN @extschema@.customer_state.stage IS 'Base stage folded from the activities.';
COMMENT ON COLUMN @extschema@.customer_state.effective_stage IS 'Stage when last evaluated (silent when quiet too long).';
COMMENT ON COLUMN @extschema@.customer_state.r_score IS 'Recency score 1-5 when last evaluated (NULL without breaks).';
COMMENT ON COLUMN @extschema@.customer_state.f_score IS 'Frequency score 1-5.';
COMMENT ON COLUMN @extschema@.customer_state.m_score IS 'Monetary score 1-5.';
COMMENT ON COLUMN @extschema@.customer_state.bant IS 'Number of BANT answers that are TRUE.';
COMMENT ON COLUMN @extschema@.customer_state.no_reply IS 'The last outbound touch has been unanswered for longer than no_reply_after.';
COMMENT ON COLUMN @extschema@.customer_state.value_high IS 'Value side of the tier.';
COMMENT ON COLUMN @extschema@.customer_state.intent_high IS 'Intent side of the tier.';
COMMENT ON COLUMN @extschema@.customer_state.tier IS 'A (value and intent), B (value), C (intent), D (neither, or lost).';
COMMENT ON COLUMN @extschema@.customer_state.priority IS
'Priority, higher first: 0-100 from tier, RFM, BANT, intent and stage, plus settings.weight_funnel x the funnel points of the most advanced open deal (0-1), so up to 100 + weight_funnel (docs/sales.md, The priority formula; prio.explain() shows the terms).';
COMMENT ON COLUMN @extschema@.customer_state.next_due_at IS 'Last outbound touch (else first activity, else creation) + the cadence of the customer''s playbook (column playbook); for a silent or lost customer, + settings.silent_cadence or lost_cadence.';
COMMENT ON COLUMN @extschema@.customer_state.rule IS 'Which rules set the tier.';
COMMENT ON COLUMN @extschema@.customer_state.updated_at IS 'When prio last changed this row.';
COMMENT ON COLUMN @extschema@.customer_state.first_purchase_at IS 'First purchase.';
COMMENT ON COLUMN @extschema@.customer_state.purchase_days IS 'UTC calendar days with purchases: the BTYD transactions (x = purchase_days - 1).';
COMMENT ON COLUMN @extschema@.customer_state.owner IS 'prio.customers.owner, kept here so a rep''s follow-up list reads one table.';
COMMENT ON COLUMN @extschema@.customer_state.first_day_amount IS 'Amount bought on the first purchase day (the repeat transactions'' mean leaves it out).';
COMMENT ON COLUMN @extschema@.customer_state.playbook IS 'The playbook that set next_due_at (prio.playbooks): the tier''s or a key-customer type''s, the shortest cadence of those that apply.';
COMMENT ON COLUMN @extschema@.customer_state.next_planned_at IS 'The earliest planned touch: an activity dated after the customer was last folded, stored but not scored yet; prio.refresh() folds it once due (NULL: none).';
COMMENT ON COLUMN @extschema@.customer_state.month_purchases IS 'Net purchases per UTC calendar month, the month of last_at first and the 35 before it (NULL: no activity); the key-customer types'' time-windowed facts are read from it.';
COMMENT ON COLUMN @extschema@.customer_state.month_inbound IS 'Inbound activities per UTC calendar month, as month_purchases.';
COMMENT ON COLUMN @extschema@.customer_state.types IS 'The key-customer types the customer holds (prio.customer_types, prio.customer_type_tags), by name.';
COMMENT ON COLUMN @extschema@.customer_state.open_deals IS 'Open deals (prio.deals whose stage has no outcome).';
COMMENT ON COLUMN @extschema@.customer_state.funnel_stage IS 'The deal stage of the most advanced open deal (highest prio.deal_stages.position); NULL without an open deal.';
COMMENT ON COLUMN @extschema@.customer_state.pipeline IS 'Sum of the open deals'' amounts (exact; 0 without).';
COMMENT ON COLUMN @extschema@.customer_state.last_deal_at IS 'The latest created_at or closed_at of the customer''s deals that is not in the future: a deal counts as the customer acting for the quiet clock (silent_after, dormant_after) from its date (a date ahead counts once prio.refresh() finds it came due).';
COMMENT ON COLUMN @extschema@.customer_state.deal_closed_at IS 'When the last closed deal closed (its closed_at, else created_at).';
COMMENT ON COLUMN @extschema@.customer_state.deal_outcome IS 'That deal''s outcome: won or lost (NULL: no closed deal).';
COMMENT ON COLUMN @extschema@.customer_state.quote_amount IS 'The implicit deal (folded from the activities): the amount of the latest quote or proposal activity with an amount above 0, unless a purchase, or a kind whose stage is won or lost, came after it (NULL: none).  While the customer has no deals at all it stands for an open deal at stage quote.';
COMMENT ON COLUMN @extschema@.customer_state.quote_at IS 'When that quote or proposal was (NULL: no implicit deal).';
COMMENT ON COLUMN @extschema@.customer_state.stage_at IS 'When the activities last decided the stage won or lost (folded): the time of the latest activity whose kind''s stage is won or lost, or of a purchase, that left the stage so (NULL: none).  With a closed deal, the stage won or lost counts only when this is after the deal closed: the base stage and prio.win_outcome() both read it.';
-- dumped as it is, so a restore gives back the state it had (prio._restore)
SELECT pg_catalog.pg_extension_config_dump('@extschema@.customer_state', '');

-- No primary key (0.3 and before: a restore replayed the activities through
-- the triggers, which wrote history of their own before the dumped history
-- arrived).  A restore now loads the dumped history as it is (prio._restore).
CREATE TABLE @extschema@.tier_history (
    history_id  bigint GENERATED ALWAYS AS IDENTITY,
    customer_id bigint NOT NULL REFERENCES @extschema@.customers ON DELETE CASCADE ON UPDATE CASCADE,
    changed_at  timestamptz NOT NULL,
    old_tier    text,
    new_tier    text,
    old_stage   @extschema@.stage,
    new_stage   @extschema@.stage,
    reason      text,
    -- added in 0.4 (hence last): the customer's tracked table and key there
    source       regclass,
    customer_key text
);
CREATE INDEX tier_history_customer_idx ON @extschema@.tier_history (customer_id, changed_at);
CREATE INDEX tier_history_id_idx ON @extschema@.tier_history (history_id);
COMMENT ON TABLE @extschema@.tier_history IS
'One row per change of a customer''s tier or (effective) stage, written by prio; a new customer''s first row has NULL old values.';
COMMENT ON COLUMN @extschema@.tier_history.history_id IS 'Generated, increasing number (not a key: a database restored with prio 0.3 or before may hold rows the restore wrote, under numbers the dumped rows also use).';
COMMENT ON COLUMN @extschema@.tier_history.customer_id IS 'The customer.';
COMMENT ON COLUMN @extschema@.tier_history.changed_at IS 'When the change took effect: the as_of of the evaluation; for a customer''s history replayed (its first events loaded or tracked with their past, reason "<why> then: ..."), the event''s own time; (0.5) a customer''s rows from before its replay (its creation; BANT answered, gone silent) no later than its first replayed event, so a customer''s rows read by changed_at, then history_id, are one chain.';
COMMENT ON COLUMN @extschema@.tier_history.old_tier IS 'Tier before.';
COMMENT ON COLUMN @extschema@.tier_history.new_tier IS 'Tier after.';
COMMENT ON COLUMN @extschema@.tier_history.old_stage IS 'Effective stage before.';
COMMENT ON COLUMN @extschema@.tier_history.new_stage IS 'Effective stage after.';
COMMENT ON COLUMN @extschema@.tier_history.reason IS 'What triggered it (activity, customer, settings, refresh, recompute) and the rule.';
COMMENT ON COLUMN @extschema@.tier_history.source IS 'The tracked table the customer is mirrored from (prio.customers.source when the row was written); NULL for a customer of prio.customers itself.';
COMMENT ON COLUMN @extschema@.tier_history.customer_key IS 'The customer''s key in that table, as text (follows a change of the key); NULL for a customer of prio.customers itself, whose key is customer_id.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.tier_history', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.tier_history_history_id_seq', '');
COMMENT ON SEQUENCE @extschema@.tier_history_history_id_seq IS 'Generates prio.tier_history.history_id.';

CREATE FUNCTION @extschema@.stored_facts(s @extschema@.customer_state)
RETURNS @extschema@.facts
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- A pure row expression with qualified names only, left without SET so the
-- planner can inline it.
RETURN ROW(s.customer_id, s.first_at, s.last_at, s.last_inbound_at, s.last_outbound_at,
           s.last_purchase_at, s.frequency, s.monetary, s.intent, s.intent_at,
           s.stage, s.first_purchase_at, s.purchase_days, s.first_day_amount)::@extschema@.facts;
COMMENT ON FUNCTION @extschema@.stored_facts(@extschema@.customer_state) IS
'The folded facts of a customer_state row, as prio.facts.';


