-- Playbooks (0.5), after the new install parts: every customer follows its
-- tier's playbook (the shipped tier playbooks keep the settings' cadences, and
-- no customer holds a key-customer type yet, so no due date moves).
-- prio.explain() is created again once, with the playbooks' part too, in
-- 68_labels.sql (from sql/install/80_refresh.sql as it is).
UPDATE @extschema@.customer_state s SET playbook = s.tier
 WHERE s.tier IS NOT NULL AND s.playbook IS DISTINCT FROM s.tier;
