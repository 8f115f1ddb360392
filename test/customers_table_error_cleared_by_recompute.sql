-- pgTAP: prio.tracked.last_error of a tracked customers table is cleared by
-- a prio.recompute() of everyone that mirrors the table again without
-- error (0.5).  An error kept a change of some rows from reaching prio (the
-- application's statement went through), and a later write of one row
-- proves nothing of the others, so recompute() writes every customer of a
-- customers table that noted an error again from its row, adds the keys
-- new to prio and removes those gone; if that fails too, the error stays
-- (noted again).  Before, only untrack() and track() cleared it, and the
-- rows the failed statement changed stayed stale in prio.customers.
BEGIN;
SELECT plan(8);
SET LOCAL client_min_messages = warning;

CREATE TABLE cerr_accounts (id integer PRIMARY KEY, name text, rep text, size text);
INSERT INTO cerr_accounts SELECT g, 'account ' || g, 'cerr_rep', '1' FROM generate_series(1, 4) g;
SELECT prio.track('cerr_accounts', 'customers',
                  '{"key": "id", "name": "name", "owner": "rep", "attributes": {"size": "size::integer"}}');
CREATE TABLE cerr_events (account integer, what text, at timestamptz);
INSERT INTO cerr_events SELECT 1 + g % 4, 'purchase', now() - g * interval '1 day' FROM generate_series(1, 8) g;
SELECT prio.track('cerr_events', 'activities', '{"customer": "account", "kind": "what", "at": "at"}');

-- one statement changes rows 2 and 3; row 3's size is no integer: neither
-- change reaches prio
UPDATE cerr_accounts SET name = 'renamed ' || id, size = CASE id WHEN 3 THEN 'x' ELSE '2' END WHERE id IN (2, 3);
SELECT matches((SELECT last_error FROM prio.tracked WHERE source = 'cerr_accounts'::regclass),
               'invalid input syntax for type integer',
               'a statement whose mirroring failed notes its error in prio.tracked.last_error');

-- a recompute() while row 3 still fails: the error stays, noted again
SELECT prio.recompute();
SELECT matches((SELECT last_error FROM prio.tracked WHERE source = 'cerr_accounts'::regclass),
               'invalid input syntax for type integer',
               'recompute() that cannot mirror the customers table again leaves its last_error');

-- row 3 fixed by a write of its own: row 2's change is still not in prio,
-- and the error stays (one row's write proves nothing of the others)
UPDATE cerr_accounts SET size = '3' WHERE id = 3;
SELECT is((SELECT name FROM prio.customers WHERE source = 'cerr_accounts'::regclass AND customer_key = '2'),
          'account 2', 'the row the failed statement changed is stale in prio.customers');
SELECT isnt((SELECT last_error FROM prio.tracked WHERE source = 'cerr_accounts'::regclass), NULL,
            'a later write of one row does not clear the customers table''s last_error');

-- rows added and removed while writes failed (the trigger's work undone)
ALTER TABLE cerr_accounts DISABLE TRIGGER USER;
INSERT INTO cerr_accounts VALUES (5, 'account 5', 'cerr_rep', '5');
DELETE FROM cerr_accounts WHERE id = 4;
ALTER TABLE cerr_accounts ENABLE TRIGGER USER;

SELECT prio.recompute();
SELECT is((SELECT last_error FROM prio.tracked WHERE source = 'cerr_accounts'::regclass), NULL,
          'recompute() that mirrors the customers table again without error clears its last_error');
SELECT is((SELECT array_agg(customer_key || ' ' || name || ' ' || (attributes ->> 'size') ORDER BY customer_key)
             FROM prio.customers WHERE source = 'cerr_accounts'::regclass),
          ARRAY['1 account 1 1', '2 renamed 2 2', '3 renamed 3 3', '5 account 5 5'],
          'recompute() writes every customer of the table again from its row, adds new keys and removes gone ones');
SELECT is((SELECT frequency FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
            WHERE c.source = 'cerr_accounts'::regclass AND c.customer_key = '1'),
          2::bigint, 'the customers'' tracked activities are folded');
SELECT is(prio.recompute(), 0, 'the state after it equals a rebuild');

SELECT * FROM finish();
ROLLBACK;
