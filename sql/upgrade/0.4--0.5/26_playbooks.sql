-- Playbooks (0.5), before the new install parts (88_playbooks.sql reads the
-- column): the playbook each customer follows; evaluate() reads them.
ALTER TABLE @extschema@.customer_state ADD COLUMN playbook text;
COMMENT ON COLUMN @extschema@.customer_state.playbook IS 'The playbook that set next_due_at (prio.playbooks): the tier''s or a key-customer type''s, the shortest cadence of those that apply.';
COMMENT ON COLUMN @extschema@.customer_state.next_due_at IS 'Last outbound touch (else first activity, else creation) + the cadence of the customer''s playbook (column playbook); for a silent or lost customer, + settings.silent_cadence or lost_cadence.';

-- prio.evaluate() reads the playbooks in force: STABLE, no longer IMMUTABLE
ALTER FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings,
                                    double precision[], double precision[], double precision[], timestamptz) STABLE;
ALTER FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings,
                                    double precision[], double precision[], double precision[], timestamptz,
                                    @extschema@.bgnbd, @extschema@.gammagamma) STABLE;
COMMENT ON FUNCTION @extschema@.evaluate(@extschema@.facts, @extschema@.customers, @extschema@.settings, double precision[], double precision[], double precision[], timestamptz) IS
'The tier rules: RFM scores, effective stage, value, intent, tier, priority, next due date and the rule that fired, as of as_of.  The due date follows the playbooks in force (prio.playbooks, read from its table: hence STABLE).';
COMMENT ON COLUMN @extschema@.settings.cadence_a IS 'Follow-up cadence of tier A: next due = last outbound touch + this, through tier A''s playbook unless it sets a cadence of its own (prio.playbooks; a shorter key-customer type''s playbook wins).';
