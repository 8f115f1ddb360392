-- pgTAP: deterministic randomized property test of deals (issue 19): live state
-- equals a rebuild with deals.  setseed() fixes the random stream.  30 customers
-- of prio.customers and 8 of a tracked customers table get, in 240 random
-- statements: deals of prio.deals inserted (1..4 a statement, COPY-like bulk
-- too), moved between stages (open and closed), re-amounted, moved to another
-- customer and deleted; rows of a tracked opportunities table inserted,
-- updated (stage, value, account, key) and deleted, some with a stage the
-- mapping gives no deal stage for or an account prio does not know; random
-- activities (purchases, inquiries, rejections, calls) in between, some just
-- after a customer's last closed deal (a contract after a lost one); now and
-- then a TRUNCATE of prio.deals, a value-signal threshold changed, a deal
-- stage added.  After every statement:
--   * prio.recompute() finds no stored facts to fix and changes no row
--     (customer_state with the deal facts, tier and priority);
--   * the deal facts equal plain SQL over prio.deals and prio.deal_stages;
--   * the mirrored deals equal plain SQL over the tracked table;
--   * the implicit deal (a quote or proposal with an amount, for customers
--     with no deals) equals plain SQL over the activities;
--   * a customer with an open deal is at its funnel stage's lifecycle stage
--     (or silent);
--   * the win outcomes are the decided customers, as plain SQL states
--     prio.win_outcome's rule (nothing in flight; the last closed deal unless
--     the activities decided after it -- their stage won or lost, and the
--     latest activity of a won or lost kind or a purchase after the deal
--     closed; else the activities' stage), and recompute() changes no
--     outcome and no count;
--   * with no deal in flight, a customer whose last closed deal was won is
--     won (or silent) unless the activities decided lost after it, one whose
--     last deal was lost at the activities' stage.
-- Every kind drawn here revives a lost customer, so each activity of a won or
-- lost kind, and each purchase, leaves the stage at won or lost as it says.
BEGIN;
SELECT plan(18);

UPDATE prio.settings
   SET r_breaks = '{7,30,90,180}', f_breaks = '{1,2,3,5}', m_breaks = '{100,500,1000,5000}',
       intent_half_life = DEFAULT, silent_after = DEFAULT, dormant_after = DEFAULT,
       no_reply_after = DEFAULT, cadence_a = DEFAULT, cadence_b = DEFAULT, cadence_c = DEFAULT,
       cadence_d = DEFAULT, value_score = DEFAULT, bant_threshold = DEFAULT,
       intent_threshold = DEFAULT, weight_tier = DEFAULT, weight_rfm = DEFAULT,
       weight_bant = DEFAULT, weight_intent = DEFAULT, weight_stage = DEFAULT, weight_funnel = DEFAULT;
-- k of prio's own deals picked at random, the same whatever the heap's order
-- (ORDER BY random() draws in scan order) and the deal_ids' values (the
-- sequence is not rolled back): by their rank in deal_id order
CREATE FUNCTION pg_temp.rd_pick(k int, pick float8) RETURNS SETOF bigint
LANGUAGE sql AS $$
    SELECT x.deal_id FROM (SELECT d.deal_id, row_number() OVER (ORDER BY d.deal_id) AS rn
                             FROM prio.deals d WHERE d.source IS NULL) x
     ORDER BY md5(x.rn || ':' || pick) LIMIT k $$;
DO $$ BEGIN PERFORM setseed(0.123); END $$;

INSERT INTO prio.customers (customer_id, name, owner, budget, authority, created_at)
SELECT 5000 + g, 'rd ' || g, 'rd' || (g % 3), random() < 0.4, random() < 0.4,
       now() - floor(random() * 120) * interval '1 day'
  FROM generate_series(1, 30) g;

CREATE SCHEMA rd_app;
CREATE TABLE rd_app.accounts (id text PRIMARY KEY, name text, rep text);
INSERT INTO rd_app.accounts SELECT 'acct' || g, 'Account ' || g, 'rd' || (g % 3) FROM generate_series(1, 8) g;
SELECT prio.track('rd_app.accounts', 'customers', '{"key": "id", "name": "name", "owner": "rep"}');
CREATE TABLE rd_app.opps (id integer PRIMARY KEY, account text, stage text, value numeric,
                          opened date, closed date);
SELECT prio.track('rd_app.opps', 'deals', $${"key": "id", "customer": "account", "amount": "value",
    "stage": "CASE stage WHEN 'Prospecting' THEN 'first_contact' WHEN 'Qualified' THEN 'needs_clear' WHEN 'Proposal' THEN 'quote' WHEN 'Engaging' THEN 'negotiation' WHEN 'Contract' THEN 'signing' WHEN 'Won' THEN 'won' WHEN 'Lost' THEN 'lost' END",
    "created_at": "opened::timestamptz", "closed_at": "closed::timestamptz"}$$);

CREATE TEMP TABLE rd_fail (step int, what text, detail text);
CREATE TEMP TABLE rd_stats (what text, n int);
CREATE TEMP TABLE rd_before (customer_id bigint, facts text);
CREATE TEMP TABLE rd_win_before (what text);

-- the win outcomes and the summed counts, as one text each
CREATE FUNCTION pg_temp.rd_win() RETURNS TABLE (what text) LANGUAGE sql AS $$
SELECT 'o ' || customer_id || ' ' || won FROM prio.win_outcomes
UNION ALL
SELECT 'c ' || variable || ' ' || value || ' ' || sum(won) || ' ' || sum(lost) FROM prio.win_counts
 GROUP BY variable, value HAVING sum(won) <> 0 OR sum(lost) <> 0 $$;

CREATE FUNCTION pg_temp.rd_state() RETURNS TABLE (customer_id bigint, facts text) LANGUAGE sql AS $$
SELECT s.customer_id,
       concat_ws('|', s.first_at, s.last_at, s.frequency, s.monetary, s.stage, s.effective_stage, s.tier,
                 s.priority, s.rule, s.next_due_at, s.value_high, s.intent_high, s.open_deals, s.funnel_stage,
                 s.pipeline, s.last_deal_at, s.deal_closed_at, s.deal_outcome)
  FROM prio.customer_state s $$;

-- when the activities last decided won or lost, from the activities alone
CREATE FUNCTION pg_temp.rd_decided_at(c bigint) RETURNS timestamptz LANGUAGE sql AS $$
SELECT max(a.at) FROM prio.activities a JOIN prio.activity_kinds k USING (kind)
 WHERE a.customer_id = c AND a.at <= now()
   AND (k.stage IN ('won', 'lost') OR (k.is_purchase AND a.amount >= 0)) $$;

-- every check, after step n
CREATE FUNCTION pg_temp.rd_check(n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    fixed int;
    d text;
BEGIN
    DELETE FROM rd_before;
    INSERT INTO rd_before SELECT * FROM pg_temp.rd_state();
    DELETE FROM rd_win_before;
    INSERT INTO rd_win_before SELECT * FROM pg_temp.rd_win();
    -- the outcomes, as plain SQL states the rule: the activities decided
    -- after the deal when their stage is won or lost and the latest activity
    -- that decides (a won or lost kind, a purchase) came after it closed
    SELECT string_agg(coalesce(s.customer_id, o.customer_id)::text, ',') INTO d
      FROM (SELECT s.customer_id,
                   CASE WHEN s.open_deals > 0 OR (s.last_deal_at IS NULL AND s.quote_at IS NOT NULL AND s.quote_amount IS NOT NULL) THEN NULL
                        WHEN s.deal_outcome IS NOT NULL THEN
                             CASE WHEN s.stage IN ('won', 'lost') AND pg_temp.rd_decided_at(s.customer_id) > s.deal_closed_at
                                  THEN s.stage = 'won'
                                  ELSE s.deal_outcome = 'won' END
                        WHEN s.stage IN ('won', 'lost') THEN s.stage = 'won' END AS won
              FROM prio.customer_state s) s
      FULL JOIN prio.win_outcomes o USING (customer_id)
     WHERE s.won IS DISTINCT FROM o.won;
    IF d IS NOT NULL THEN
        INSERT INTO rd_fail VALUES (n, 'win outcomes <> rule', d);
    END IF;
    INSERT INTO rd_stats
    SELECT 'won after a lost deal, no purchase after it', 1
      FROM prio.win_outcomes o JOIN prio.customer_state s USING (customer_id)
     WHERE o.won AND s.deal_outcome = 'lost'
       AND (s.last_purchase_at IS NULL OR s.last_purchase_at <= s.deal_closed_at) LIMIT 1;
    -- the lifecycle after a closed deal, nothing in flight (the same test)
    SELECT string_agg(s.customer_id::text, ',') INTO d
      FROM prio.customer_state s
     WHERE s.open_deals = 0 AND s.deal_outcome IS NOT NULL
       AND NOT (s.last_deal_at IS NULL AND s.quote_at IS NOT NULL AND s.quote_amount IS NOT NULL)
       AND s.effective_stage::text NOT IN ('silent',
               CASE WHEN s.deal_outcome = 'lost' THEN s.stage::text
                    WHEN s.stage = 'lost' AND pg_temp.rd_decided_at(s.customer_id) > s.deal_closed_at THEN 'lost'
                    ELSE 'won' END);
    IF d IS NOT NULL THEN
        INSERT INTO rd_fail VALUES (n, 'closed deal, other stage', d);
    END IF;
    INSERT INTO rd_stats
    SELECT 'decided by a deal', 1 FROM prio.win_outcomes o JOIN prio.customer_state s USING (customer_id)
     WHERE s.stage NOT IN ('won', 'lost') LIMIT 1;
    INSERT INTO rd_stats
    SELECT 'tracked deal dated ahead', 1 FROM prio.deals d
     WHERE d.source IS NOT NULL AND greatest(d.created_at, d.closed_at) > now() LIMIT 1;
    INSERT INTO rd_stats
    SELECT 'implicit deal', 1 FROM prio.customer_state s
     WHERE s.quote_amount IS NOT NULL AND s.last_deal_at IS NULL LIMIT 1;
    INSERT INTO rd_stats
    SELECT 'more than 5 with open deals', 1 FROM prio.customer_state s
    HAVING pg_catalog.count(*) FILTER (WHERE s.open_deals > 0) > 5;
    fixed := prio.recompute();
    SELECT string_agg(x.what, ', ') INTO d
      FROM ((SELECT * FROM rd_win_before EXCEPT SELECT * FROM pg_temp.rd_win())
            UNION ALL (SELECT * FROM pg_temp.rd_win() EXCEPT SELECT * FROM rd_win_before)) x;
    IF d IS NOT NULL THEN
        INSERT INTO rd_fail VALUES (n, 'win outcomes: live <> rebuild', d);
    END IF;
    IF fixed <> 0 THEN
        INSERT INTO rd_fail VALUES (n, 'recompute fixed facts', fixed::text);
    END IF;
    SELECT string_agg(x.customer_id::text, ',') INTO d
      FROM ((SELECT * FROM rd_before EXCEPT SELECT * FROM pg_temp.rd_state())
            UNION ALL (SELECT * FROM pg_temp.rd_state() EXCEPT SELECT * FROM rd_before)) x;
    IF d IS NOT NULL THEN
        INSERT INTO rd_fail VALUES (n, 'live <> rebuild', d);
    END IF;
    -- the deal facts, as plain SQL has them
    SELECT string_agg(s.customer_id::text, ',') INTO d
      FROM prio.customer_state s
      LEFT JOIN (SELECT dd.customer_id, count(*) AS n, sum(dd.amount) AS p,
                        (array_agg(dd.stage ORDER BY ds.position DESC, dd.stage DESC))[1] AS f
                   FROM prio.deals dd JOIN prio.deal_stages ds USING (stage)
                  WHERE ds.outcome IS NULL GROUP BY dd.customer_id) o USING (customer_id)
      LEFT JOIN (SELECT dd.customer_id, max(x.at) AS at
                   FROM prio.deals dd, LATERAL (VALUES (dd.created_at), (dd.closed_at)) x(at)
                  WHERE x.at <= now() GROUP BY dd.customer_id) l USING (customer_id)
     WHERE s.open_deals <> coalesce(o.n, 0) OR s.pipeline <> coalesce(o.p, 0)
        OR s.funnel_stage IS DISTINCT FROM o.f OR s.last_deal_at IS DISTINCT FROM l.at;
    IF d IS NOT NULL THEN
        INSERT INTO rd_fail VALUES (n, 'deal facts <> SQL', d);
    END IF;
    -- a deal closed before it was created: none in prio.deals (a tracked
    -- one is taken as created when it closed)
    SELECT string_agg(dd.deal_id::text, ',') INTO d FROM prio.deals dd WHERE dd.closed_at < dd.created_at;
    IF d IS NOT NULL THEN
        INSERT INTO rd_fail VALUES (n, 'closed before created', d);
    END IF;
    INSERT INTO rd_stats
    SELECT 'tracked deal closed before opened', 1
      FROM rd_app.opps o JOIN prio.deals dd ON dd.source = 'rd_app.opps'::regclass AND dd.deal_key = o.id::text
     WHERE o.closed < o.opened AND dd.created_at = o.closed::timestamptz
     LIMIT 1;
    -- the mirror of the tracked table
    SELECT string_agg(coalesce(a.id, b.id)::text, ',') INTO d
      FROM (SELECT o.id, m.customer_id, CASE o.stage WHEN 'Prospecting' THEN 'first_contact' WHEN 'Qualified' THEN 'needs_clear'
                        WHEN 'Proposal' THEN 'quote' WHEN 'Engaging' THEN 'negotiation' WHEN 'Contract' THEN 'signing'
                        WHEN 'Won' THEN 'won' WHEN 'Lost' THEN 'lost' END AS stage, coalesce(o.value, 0) AS amount
              FROM rd_app.opps o JOIN prio.customers m
                ON m.source = 'rd_app.accounts'::regclass AND m.customer_key = o.account) a
      FULL JOIN (SELECT dd.deal_key::int AS id, dd.customer_id, dd.stage, dd.amount FROM prio.deals dd
                  WHERE dd.source = 'rd_app.opps'::regclass) b
        ON a.id = b.id
     WHERE (a.stage IS NOT NULL OR b.id IS NOT NULL)
       AND (a.id IS NULL OR b.id IS NULL OR (a.customer_id, a.stage, a.amount) IS DISTINCT FROM (b.customer_id, b.stage, b.amount));
    IF d IS NOT NULL THEN
        INSERT INTO rd_fail VALUES (n, 'mirror <> tracked table', d);
    END IF;
    -- the implicit deal: the latest quote or proposal with an amount, not
    -- closed by a purchase, a won or a lost kind after it
    SELECT string_agg(s.customer_id::text, ',') INTO d
      FROM prio.customer_state s
      LEFT JOIN LATERAL (SELECT a.amount, a.at, a.activity_id FROM prio.activities a
                          WHERE a.customer_id = s.customer_id AND a.kind IN ('quote', 'proposal')
                            AND a.amount > 0 AND a.at <= now()
                          ORDER BY a.at DESC, a.activity_id DESC LIMIT 1) q ON true
     WHERE s.customer_id > 0
       AND (CASE WHEN q.at IS NOT NULL AND NOT EXISTS (
                          SELECT 1 FROM prio.activities b JOIN prio.activity_kinds k USING (kind)
                           WHERE b.customer_id = s.customer_id AND b.at <= now()
                             AND (k.is_purchase OR k.stage IN ('won', 'lost'))
                             AND (b.at, b.activity_id) > (q.at, q.activity_id))
                 THEN q.amount END) IS DISTINCT FROM s.quote_amount;
    IF d IS NOT NULL THEN
        INSERT INTO rd_fail VALUES (n, 'implicit deal <> SQL', d);
    END IF;
    -- an open deal sets the stage
    SELECT string_agg(s.customer_id::text, ',') INTO d
      FROM prio.customer_state s JOIN prio.deal_stages ds ON ds.stage = s.funnel_stage
     WHERE s.open_deals > 0 AND s.effective_stage NOT IN (ds.lifecycle, 'silent');
    IF d IS NOT NULL THEN
        INSERT INTO rd_fail VALUES (n, 'open deal, other stage', d);
    END IF;
END $$;

DO $$
DECLARE
    stages text[] := '{first_contact,needs_clear,quote,negotiation,signing,won,lost}';
    app_stages text[] := '{Prospecting,Qualified,Proposal,Engaging,Contract,Won,Lost,Stalled}';
    kinds text[] := '{purchase,inquiry,reply,rejected,call,meeting,quote,demo_request,proposal,contract}';
    next_opp int := 1;
    r float8;
    c bigint;
    k int;
    random_pick float8;
BEGIN
    FOR n IN 1 .. 240 LOOP
        r := random();
        c := 5001 + floor(random() * 30)::int;
        random_pick := random();
        IF r < 0.22 THEN
            -- (a deal of prio.deals closes after it opens: 23514 otherwise)
            INSERT INTO prio.deals (customer_id, stage, amount, created_at, closed_at)
            SELECT cust, st, amt, cr,
                   CASE WHEN st IN ('won', 'lost') AND random() < 0.7 THEN GREATEST(cr, now() - floor(random() * 20) * interval '1 day') END
              FROM (SELECT 5001 + floor(random() * 30)::int AS cust, stages[1 + floor(random() * 7)::int] AS st,
                           round((random() * 30000)::numeric, 2) AS amt, now() - floor(random() * 60) * interval '1 day' AS cr
                      FROM generate_series(1, 1 + floor(random() * 4)::int)) x;
            INSERT INTO rd_stats VALUES ('deals inserted', 1);
        ELSIF r < 0.37 THEN
            UPDATE prio.deals SET stage = stages[1 + floor(random() * 7)::int],
                                  closed_at = CASE WHEN random() < 0.5 THEN GREATEST(created_at, now() - floor(random() * 10) * interval '1 day') END
             WHERE deal_id IN (SELECT pg_temp.rd_pick(1 + floor(random() * 3)::int, random()));
            INSERT INTO rd_stats VALUES ('deals moved', 1);
        ELSIF r < 0.43 THEN
            UPDATE prio.deals SET amount = round((random() * 30000)::numeric, 2)
             WHERE deal_id = (SELECT pg_temp.rd_pick(1, random()));
        ELSIF r < 0.48 THEN
            UPDATE prio.deals SET customer_id = c
             WHERE deal_id = (SELECT pg_temp.rd_pick(1, random()));
            INSERT INTO rd_stats VALUES ('deal to another customer', 1);
        ELSIF r < 0.53 THEN
            DELETE FROM prio.deals
             WHERE deal_id IN (SELECT pg_temp.rd_pick(1 + floor(random() * 2)::int, random()));
            INSERT INTO rd_stats VALUES ('deals deleted', 1);
        ELSIF r < 0.64 THEN
            -- an activity after a customer's last closed deal (nothing open):
            -- a contract after a lost deal (one of those first), a call after
            -- a won one, ... (the first such customer from c on: the heap's
            -- order is not the seed's)
            INSERT INTO prio.activities (customer_id, kind, at, amount)
            SELECT s.customer_id, k.kd, s.deal_closed_at + (now() - s.deal_closed_at) * random(),
                   CASE WHEN k.kd = 'purchase' THEN round((random() * 3000)::numeric, 2) ELSE 0 END
              FROM (SELECT (ARRAY['contract', 'rejected', 'call', 'purchase', 'inquiry'])[1 + floor(random() * 5)::int] AS kd) k,
                   LATERAL (SELECT customer_id, deal_closed_at FROM prio.customer_state
                             WHERE customer_id BETWEEN 5001 AND 5030 AND open_deals = 0
                               AND deal_outcome IS NOT NULL AND deal_closed_at < now()
                             ORDER BY k.kd = 'contract' AND deal_outcome = 'lost' DESC,
                                      (customer_id - c + 30) % 30 LIMIT 1) s;
            INSERT INTO rd_stats VALUES ('activity after a closed deal', 1);
        ELSIF r < 0.70 THEN
            INSERT INTO prio.activities (customer_id, kind, at, amount)
            SELECT c, kd, now() - floor(random() * 1000) * interval '1 hour',
                   CASE WHEN kd = 'purchase' THEN round((random() * 3000)::numeric, 2)
                        WHEN kd IN ('quote', 'proposal') AND random() < 0.7 THEN round((random() * 20000)::numeric)
                        ELSE 0 END
              FROM (SELECT kinds[1 + floor(random() * 10)::int] AS kd FROM generate_series(1, 1 + floor(random() * 3)::int)) x;
        ELSIF r < 0.80 THEN
            k := 1 + floor(random() * 3)::int;
            INSERT INTO rd_app.opps (id, account, stage, value, opened, closed)
            SELECT next_opp + g, CASE WHEN random() < 0.1 THEN 'unknown' ELSE 'acct' || (1 + floor(random() * 8)::int) END,
                   app_stages[1 + floor(random() * 8)::int], CASE WHEN random() < 0.1 THEN NULL ELSE round((random() * 30000)::numeric) END,
                   -- (every 7th opened, every 5th closed 50 years ahead: dated
                   -- ahead, they count for the quiet clock from their date)
                   current_date - floor(random() * 60)::int + CASE WHEN (next_opp + g) % 7 = 0 THEN 18262 ELSE 0 END,
                   -- (every 7th closed: opened ahead, closed before it opened)
                   CASE WHEN random() < 0.3 OR (next_opp + g) % 7 = 0 THEN current_date - floor(random() * 5)::int END
                   + CASE WHEN (next_opp + g) % 5 = 0 THEN 18262 ELSE 0 END
              FROM generate_series(0, k - 1) g;
            next_opp := next_opp + k;
            INSERT INTO rd_stats VALUES ('tracked deals inserted', 1);
        ELSIF r < 0.88 THEN
            UPDATE rd_app.opps SET stage = app_stages[1 + floor(random() * 8)::int],
                                   value = CASE WHEN random() < 0.5 THEN value ELSE round((random() * 30000)::numeric) END,
                                   account = CASE WHEN random() < 0.2 THEN 'acct' || (1 + floor(random() * 8)::int) ELSE account END,
                                   id = CASE WHEN random() < 0.1 THEN id + 100000 ELSE id END
             WHERE id IN (SELECT o.id FROM rd_app.opps o ORDER BY md5(o.id || ':' || random_pick) LIMIT 1 + floor(random() * 3)::int);
            INSERT INTO rd_stats VALUES ('tracked deals updated', 1);
        ELSIF r < 0.93 THEN
            DELETE FROM rd_app.opps WHERE id IN (SELECT o.id FROM rd_app.opps o ORDER BY md5(o.id || ':' || random_pick) LIMIT 1);
            INSERT INTO rd_stats VALUES ('tracked deals deleted', 1);
        ELSIF r < 0.95 THEN
            UPDATE prio.value_signals SET threshold = (ARRAY[5000, 10000, 20000])[1 + floor(random() * 3)::int]
             WHERE signal = 'pipeline';
            INSERT INTO rd_stats VALUES ('value signal changed', 1);
        ELSIF r < 0.96 THEN
            UPDATE prio.customers SET budget = random() < 0.5, authority = random() < 0.5 WHERE customer_id = c;
        ELSIF r < 0.975 AND NOT EXISTS (SELECT 1 FROM prio.deal_stages WHERE stage = 'pilot') THEN
            INSERT INTO prio.deal_stages (stage, position, lifecycle) VALUES ('pilot', 25, 'engaged');
            stages := stages || '{pilot}'::text[];
            INSERT INTO rd_stats VALUES ('deal stage added', 1);
        ELSIF r < 0.985 THEN
            TRUNCATE prio.deals;
            INSERT INTO rd_stats VALUES ('prio.deals truncated', 1);
        ELSE
            TRUNCATE rd_app.opps;
            INSERT INTO rd_stats VALUES ('tracked deals truncated', 1);
        END IF;
        PERFORM pg_temp.rd_check(n);
    END LOOP;
END $$;

SELECT is((SELECT count(*)::int FROM rd_fail WHERE what IN ('recompute fixed facts', 'live <> rebuild')), 0,
    'live == rebuild with deals: after every random statement recompute() fixes nothing and changes no row');
SELECT is((SELECT count(*)::int FROM rd_fail WHERE what = 'win outcomes <> rule'), 0,
    'win outcomes: after every statement exactly the decided customers have one, won or lost as the rule in plain SQL says (deals and activities)');
SELECT is((SELECT count(*)::int FROM rd_fail WHERE what = 'win outcomes: live <> rebuild'), 0,
    'win outcomes: after every statement recompute() changes no outcome and no summed count');
SELECT cmp_ok((SELECT count(*)::int FROM rd_stats WHERE what = 'decided by a deal'), '>', 0,
    'the random data decided customers by their deals alone (the activities'' stage neither won nor lost)');
SELECT is((SELECT count(*)::int FROM rd_fail WHERE what = 'deal facts <> SQL'), 0,
    'deal facts: open deals, funnel stage (most advanced open deal), pipeline and last deal date (the latest date not in the future: a deal dated ahead does not stop the quiet clock) equal plain SQL over prio.deals');
SELECT is((SELECT count(*)::int FROM rd_fail WHERE what = 'mirror <> tracked table'), 0,
    'tracked deals: prio.deals mirrors every row of the tracked table that maps to a deal, and no other');
SELECT is((SELECT count(*)::int FROM rd_fail WHERE what = 'implicit deal <> SQL'), 0,
    'implicit deal: the latest quote or proposal with an amount, until a purchase, won or lost kind after it, as plain SQL has it');
SELECT cmp_ok((SELECT count(*)::int FROM rd_stats WHERE what = 'implicit deal'), '>', 0,
    'the random data had customers with no deals whose quote stands for an open deal');
SELECT is((SELECT count(*)::int FROM rd_fail WHERE what = 'closed deal, other stage'), 0,
    'lifecycle: with nothing in flight, a won last deal makes the customer won unless the activities decided lost after it; after a lost one the activities'' stage');
SELECT cmp_ok((SELECT count(*)::int FROM rd_stats WHERE what = 'won after a lost deal, no purchase after it'), '>', 0,
    'the random data decided customers won after a lost deal by a contract (a won kind, no purchase)');
SELECT is((SELECT count(*)::int FROM rd_fail WHERE what = 'open deal, other stage'), 0,
    'lifecycle: a customer with an open deal is at its most advanced open deal''s lifecycle stage (or silent)');
SELECT is((SELECT string_agg(DISTINCT what || ' @' || step || ': ' || detail, '; ') FROM (SELECT * FROM rd_fail ORDER BY step LIMIT 5) f), NULL,
    'no failure at all (the first ones, when there are)');
SELECT cmp_ok((SELECT count(*)::int FROM rd_stats WHERE what = 'more than 5 with open deals'), '>', 0,
    'the random data had more than 5 customers with open deals at once');
SELECT cmp_ok((SELECT count(DISTINCT what)::int FROM rd_stats), '>=', 12,
    'the random statements exercised every path (deal writes of both kinds, truncates, configuration)');
SELECT is((SELECT count(*)::int FROM rd_fail WHERE what = 'closed before created'), 0,
    'after every statement no deal in prio.deals is closed before it was created');
SELECT cmp_ok((SELECT count(*)::int FROM rd_stats WHERE what = 'tracked deal closed before opened'), '>', 0,
    'the random data had tracked deals closed before they were opened, mirrored as created when they closed');
SELECT cmp_ok((SELECT count(*)::int FROM rd_stats WHERE what = 'tracked deal dated ahead'), '>', 0,
    'the random data had tracked deals dated 50 years ahead');
SELECT is((SELECT last_error FROM prio.tracked WHERE source = 'rd_app.opps'::regclass), NULL,
    'tracked deals: no change of the tracked table failed to reach prio');

ROLLBACK;
