-- pgTAP: a label's text is shown as written.  The reason templates
-- (prio.labels, domain reason) are filled once: a value put in -- an RFM
-- segment's label, a channel's label, a playbook's action -- is not read
-- again for placeholders, so a {r} or {action} a user wrote in it stays
-- (before, a segment labelled 'Seg {r}' read 'Seg 5', and a channel
-- labelled 'ring {action}' got the action twice).  A % in a template is
-- text too.
BEGIN;
SELECT plan(6);
SET LOCAL timezone = 'UTC';
SET LOCAL prio.language = 'en';

INSERT INTO prio.customers (customer_id, name, owner, budget, authority, need, timeline) VALUES
    (89101, 'written buyer', 'as_written', true, true, true, true);
INSERT INTO prio.activities (customer_id, kind, at, amount) VALUES
    (89101, 'purchase', now() - interval '30 days', 500),
    (89101, 'meeting', now() - interval '2 days', 0);
SELECT prio.refresh() IS NOT NULL AS refreshed;

SELECT matches((SELECT reason FROM prio.followup WHERE customer_id = 89101),
               '^A: BANT 4/4, [^,]+ [1-5]-[1-5]-[1-5], ',
               'the buyer''s reason line names its segment and scores');
UPDATE prio.labels SET label = 'Seg {r}{f}{m}{segment}' WHERE domain = 'rfm_segment' AND lang = 'en';
SELECT matches((SELECT reason FROM prio.followup WHERE customer_id = 89101),
               '^A: BANT 4/4, Seg \{r\}\{f\}\{m\}\{segment\} [1-5]-[1-5]-[1-5], ',
               'a segment label with {r}, {f}, {m} and {segment} in its text is shown as written in the reason line');

SELECT is((SELECT next_action FROM prio.followup WHERE customer_id = 89101),
          'phone: ' || prio.label('playbook', 'A'), 'the buyer''s next action: tier A''s first channel and action');
UPDATE prio.labels SET label = 'ring {action}' WHERE domain = 'channel' AND code = 'phone' AND lang = 'en';
SELECT is((SELECT next_action FROM prio.followup WHERE customer_id = 89101),
          'ring {action}: ' || prio.label('playbook', 'A'),
          'a channel label with {action} in its text is shown as written in the next action');
UPDATE prio.playbooks SET action = 'call via {channel} at 100%' WHERE playbook = 'A';
SELECT is((SELECT next_action FROM prio.followup WHERE customer_id = 89101),
          'ring {action}: call via {channel} at 100%',
          'an action with {channel} and % in its text is shown as written');
UPDATE prio.labels SET label = '100% {channel} %s %1$s -> {action}' WHERE domain = 'reason' AND code = 'next_action' AND lang = 'en';
SELECT is((SELECT next_action FROM prio.followup WHERE customer_id = 89101),
          '100% ring {action} %s %1$s -> call via {channel} at 100%',
          'a % in the template is text: each placeholder is filled once, the rest stays');

SELECT * FROM finish();
ROLLBACK;
