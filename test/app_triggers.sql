-- pgTAP: an application's own triggers on prio.customers never make its write
-- fail, whatever order they fire in beside prio's (issue 17, defect 3).
-- A trigger's name decides the order of AFTER triggers of one kind; every row
-- trigger fires before every statement trigger.  A "welcome e-mail" trigger
-- that inserts an activity for the new customer may thus run before prio's
-- customers_inserted has given the customer its state row: the state row
-- appears when it is first needed (the activity's trigger creates it), and
-- prio's own trigger then finds it there.  The app's trigger may also change
-- or delete the new customer first.  Each case ends with the live state equal
-- to a rebuild (pg_temp.rebuild_check) and the state's owner equal to the
-- customer's.  An activity of a customer with no row in prio.customers is
-- still refused with 23503.
BEGIN;
SELECT plan(32);

UPDATE prio.settings
   SET r_breaks = '{7,30,90,180}', f_breaks = '{1,2,3,5}', m_breaks = '{100,500,1000,5000}';
\ir lib/rebuild_check.psql

-- the welcome e-mail, and a first purchase, for each new customer
CREATE FUNCTION pg_temp.welcome_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO prio.activities (customer_id, kind, note) VALUES (NEW.customer_id, 'email', 'welcome');
    INSERT INTO prio.activities (customer_id, kind, amount, note)
    VALUES (NEW.customer_id, 'purchase', 120, 'first order');
    RETURN NULL;
END $$;
CREATE FUNCTION pg_temp.welcome_stmt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO prio.activities (customer_id, kind, note)
    SELECT n.customer_id, 'email', 'welcome' FROM new_rows n;
    INSERT INTO prio.activities (customer_id, kind, amount, note)
    SELECT n.customer_id, 'purchase', 120, 'first order' FROM new_rows n;
    RETURN NULL;
END $$;
-- the app assigns a rep to every new customer
CREATE FUNCTION pg_temp.assign_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE prio.customers SET owner = 'assigned', budget = true WHERE customer_id = NEW.customer_id;
    RETURN NULL;
END $$;
-- the app turns away customers named 'spam'
CREATE FUNCTION pg_temp.reject_stmt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM prio.customers c USING new_rows n
     WHERE c.customer_id = n.customer_id AND n.name = 'spam';
    RETURN NULL;
END $$;

-- one customer, then three in one statement (ids from base), with the trigger in place
CREATE FUNCTION pg_temp.add_customers(base bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO prio.customers (customer_id, name, owner) VALUES (base, 'one', 'rep');
    INSERT INTO prio.customers (customer_id, name, owner)
    VALUES (base + 3, 'three', 'rep'), (base + 1, 'one of three', 'rep'), (base + 2, 'two of three', 'rep');
$$;
-- 'facts/tier/owner as customers' of the customers base .. base+3
CREATE FUNCTION pg_temp.welcomed(base bigint) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM prio.customer_state s JOIN prio.customers c USING (customer_id)
     WHERE s.customer_id BETWEEN base AND base + 3
       AND s.frequency = 1 AND s.monetary = 120 AND s.stage = 'won' AND s.last_outbound_at = now()
       AND s.owner IS NOT DISTINCT FROM c.owner
$$;

------------------------------------------------------------------------
-- a row trigger inserting activities: always fires before prio's
------------------------------------------------------------------------
CREATE TRIGGER a_welcome AFTER INSERT ON prio.customers
    FOR EACH ROW EXECUTE FUNCTION pg_temp.welcome_row();
SELECT lives_ok($$SELECT pg_temp.add_customers(1000)$$,
                'a row trigger named before prio''s that inserts activities: the INSERT of customers goes through');
SELECT is(pg_temp.welcomed(1000), 4::bigint,
          'a row trigger named before prio''s: each new customer has its activities folded in');
SELECT is((SELECT count(*) FROM prio.customer_state WHERE customer_id BETWEEN 1000 AND 1003), 4::bigint,
          'a row trigger named before prio''s: one state row per customer');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'a row trigger named before prio''s: live state equals a rebuild');
DROP TRIGGER a_welcome ON prio.customers;

CREATE TRIGGER z_welcome AFTER INSERT ON prio.customers
    FOR EACH ROW EXECUTE FUNCTION pg_temp.welcome_row();
SELECT lives_ok($$SELECT pg_temp.add_customers(1010)$$,
                'a row trigger named after prio''s that inserts activities: the INSERT of customers goes through');
SELECT is(pg_temp.welcomed(1010), 4::bigint,
          'a row trigger named after prio''s: each new customer has its activities folded in');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'a row trigger named after prio''s: live state equals a rebuild');
DROP TRIGGER z_welcome ON prio.customers;

------------------------------------------------------------------------
-- a statement trigger inserting activities, named before and after prio's
------------------------------------------------------------------------
CREATE TRIGGER a_welcome AFTER INSERT ON prio.customers REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.welcome_stmt();
SELECT lives_ok($$SELECT pg_temp.add_customers(1020)$$,
                'a statement trigger named before prio''s that inserts activities: the INSERT of customers goes through');
SELECT is(pg_temp.welcomed(1020), 4::bigint,
          'a statement trigger named before prio''s: each new customer has its activities folded in');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'a statement trigger named before prio''s: live state equals a rebuild');
DROP TRIGGER a_welcome ON prio.customers;

CREATE TRIGGER z_welcome AFTER INSERT ON prio.customers REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.welcome_stmt();
SELECT lives_ok($$SELECT pg_temp.add_customers(1030)$$,
                'a statement trigger named after prio''s that inserts activities: the INSERT of customers goes through');
SELECT is(pg_temp.welcomed(1030), 4::bigint,
          'a statement trigger named after prio''s: each new customer has its activities folded in');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'a statement trigger named after prio''s: live state equals a rebuild');
DROP TRIGGER z_welcome ON prio.customers;

-- both at once, and a history that starts at the first change
CREATE TRIGGER a_welcome AFTER INSERT ON prio.customers
    FOR EACH ROW EXECUTE FUNCTION pg_temp.welcome_row();
CREATE TRIGGER a_welcome_stmt AFTER INSERT ON prio.customers REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.welcome_stmt();
SELECT lives_ok($$INSERT INTO prio.customers (customer_id, name) VALUES (1040, 'twice')$$,
                'row and statement triggers named before prio''s: the INSERT of customers goes through');
SELECT is((SELECT frequency || '/' || monetary || '/' || stage FROM prio.customer_state WHERE customer_id = 1040),
          '2/240/won', 'row and statement triggers: all four activities folded in, once each');
SELECT is((SELECT count(*) FROM prio.tier_history WHERE customer_id = 1040 AND old_tier IS NULL), 1::bigint,
          'row and statement triggers: one history row from no tier (the first change)');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'row and statement triggers: live state equals a rebuild');
DROP TRIGGER a_welcome ON prio.customers;
DROP TRIGGER a_welcome_stmt ON prio.customers;

------------------------------------------------------------------------
-- the app changes or deletes the new customer before prio's trigger runs
------------------------------------------------------------------------
CREATE TRIGGER a_assign AFTER INSERT ON prio.customers
    FOR EACH ROW EXECUTE FUNCTION pg_temp.assign_row();
SELECT lives_ok($$INSERT INTO prio.customers (customer_id, name, owner) VALUES (1050, 'assigned later', 'nobody')$$,
                'a row trigger that changes the new customer''s owner and BANT: the INSERT goes through');
SELECT is((SELECT s.owner || '/' || s.bant FROM prio.customer_state s WHERE s.customer_id = 1050),
          'assigned/1', 'a row trigger that changes the new customer: the state has the owner and BANT it set');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'a row trigger that changes the new customer: live state equals a rebuild');
-- (row triggers fire in name order: the activities first, then the change)
CREATE TRIGGER a_welcome AFTER INSERT ON prio.customers
    FOR EACH ROW EXECUTE FUNCTION pg_temp.welcome_row();
ALTER TRIGGER a_assign ON prio.customers RENAME TO b_assign;
SELECT lives_ok($$INSERT INTO prio.customers (customer_id, name, owner) VALUES (1051, 'welcomed, then assigned', 'nobody')$$,
                'row triggers that insert activities and then change the owner: the INSERT goes through');
SELECT is((SELECT s.owner || '/' || s.bant || '/' || s.frequency FROM prio.customer_state s WHERE s.customer_id = 1051),
          'assigned/1/1', 'row triggers that insert activities and change the owner: owner, BANT and activities in the state');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'row triggers that insert activities and change the owner: live state equals a rebuild');
DROP TRIGGER b_assign ON prio.customers;
DROP TRIGGER a_welcome ON prio.customers;

CREATE TRIGGER a_reject AFTER INSERT ON prio.customers REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.reject_stmt();
SELECT lives_ok($$INSERT INTO prio.customers (customer_id, name) VALUES (1060, 'spam'), (1061, 'welcome')$$,
                'a statement trigger that deletes one of the new customers: the INSERT goes through');
SELECT is((SELECT string_agg(customer_id::text, ',' ORDER BY customer_id) FROM prio.customer_state
            WHERE customer_id IN (1060, 1061)), '1061',
          'a statement trigger that deletes a new customer: only the one left has a state row');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'a statement trigger that deletes a new customer: live state equals a rebuild');
DROP TRIGGER a_reject ON prio.customers;

------------------------------------------------------------------------
-- a state row that went missing comes back with the next activity
------------------------------------------------------------------------
INSERT INTO prio.customers (customer_id, name, owner) VALUES (1070, 'lost state', 'rep');
INSERT INTO prio.activities (customer_id, kind, amount) VALUES (1070, 'purchase', 700);
DELETE FROM prio.customer_state WHERE customer_id = 1070;
SELECT lives_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (1070, 'reply')$$,
                'an activity of a customer whose state row was deleted goes through');
SELECT is((SELECT frequency || '/' || monetary || '/' || owner FROM prio.customer_state WHERE customer_id = 1070),
          '1/700/rep', 'a deleted state row comes back folded from all the customer''s activities, with its owner');
SELECT is(pg_temp.rebuild_check(), 'facts fixed 0, rows changed 0',
          'a deleted state row that came back: live state equals a rebuild');

------------------------------------------------------------------------
-- bad input: an activity of a customer that does not exist
------------------------------------------------------------------------
-- the foreign key refuses it first ...
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (1099, 'reply')$$, '23503',
                 NULL, 'bad input: an activity of a customer with no prio.customers row fails with 23503');
-- ... and prio's trigger too when the foreign key is not checked (replica role)
SET LOCAL session_replication_role = replica;
ALTER TABLE prio.activities ENABLE ALWAYS TRIGGER activities_inserted;
SELECT throws_ok($$INSERT INTO prio.activities (customer_id, kind) VALUES (1099, 'reply')$$, '23503',
                 'customer 1099 has no row in prio.customers',
                 'bad input: without the foreign key, prio''s trigger refuses a customer with no prio.customers row with 23503');
SELECT is((SELECT count(*) FROM prio.customer_state WHERE customer_id = 1099), 0::bigint,
          'bad input: no state row is made for a customer with no prio.customers row');
ALTER TABLE prio.activities ENABLE TRIGGER activities_inserted;
RESET session_replication_role;

SELECT * FROM finish();
ROLLBACK;
