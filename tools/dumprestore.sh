#!/bin/bash
# tools/dumprestore.sh -- pg_dump / restore round trips of a prio database.
#
# In a throwaway cluster of its own (tools/cluster.sh):
#   1. database prio_src: CREATE EXTENSION prio; customised settings (UPDATE
#      prio.settings), a customised built-in activity kind, an added kind, a
#      customised built-in segment, an added one, a deleted built-in one and a
#      changed-then-deleted built-in one; (0.5) a deleted built-in deal stage,
#      channel and label and a changed-then-deleted label; a renamed built-in
#      deal stage, label and RFM segment; customers (one without activities)
#      and activities (incl. the added kind), a BANT update, customers' own
#      attributes (prio.customers.attributes), an activity UPDATE
#      and DELETE, a manager, prio.refresh() now and 40 days ahead.
#   2. five restores into new databases, each must report no error:
#        prio_dst     pg_dump -Fc, pg_restore (the dump does CREATE EXTENSION prio)
#        prio_plain   pg_dump (plain SQL), psql -f
#        prio_data    CREATE EXTENSION prio first, pg_dump -Fc --data-only, pg_restore
#        prio_dir     pg_dump -Fd, pg_restore --single-transaction
#        prio_inserts pg_dump --inserts (plain SQL), psql -f
#      (not pg_restore -j: it loads customers and activities in parallel,
#      and activities fail their key to customers, as with prio 0.3)
#   3. every table and sequence of the extension (found in pg_depend, so a new
#      one is compared too), in every restored database: the same row count and
#      the same contents -- every column of every row, as text, ordered -- as
#      the source.  tier_history exactly (no rows written by the restore),
#      customer_state with updated_at, the configuration without the deleted
#      built-in rows.
#   4. the restored state equals a rebuild: in ONE transaction prio.refresh(),
#      snapshot customer_state (without updated_at), prio.recompute() = 0,
#      snapshot = state.  And both databases, refreshed as of the same fixed
#      time, hold identical customer_state rows (facts and evaluation).
#   5. new rows in the restored database get fresh keys (sequences restored).
#   6. a database with a tracked application table (prio.track()), one of its
#      columns of a collation of its own, one dropped: pg_dump -Fc, pg_restore; the mirror,
#      prio.tracked and prio's triggers come back, and the restored table is live;
#      its typed follow-up view (prio.followup_accounts: not a member of the
#      extension, dumped as the application's objects are) comes back and joins;
#      with a tracked activities table of its customers, live too.
#      6b. (0.5) pg_dump --exclude-table of one of two tracked activities
#      tables: the restore warns and leaves its row of prio.sources out, the
#      others stay tracked and live.
#      6c. (0.5) a tracked table dropped without untrack(), another created
#      and tracked under its name: the restore leaves the dead row out.
#   7. a dump of prio 0.4 restored into 0.5 as it is: refused (55000, with the
#      way to do it); that way -- CREATE EXTENSION prio VERSION '0.4', the
#      restore, ALTER EXTENSION prio UPDATE -- gives a state equal to a rebuild.
#   8. a dump of prio 0.3 restored into 0.5 as it is: refused at its history
#      (55000, with the way to do it); that way gives a state equal to a rebuild.
# Exits 1 on any failure.  About 20 s.  Needs prio installed (make install);
# PRIO_PRIVATE=1 builds this tree's prio into a private copy of PostgreSQL
# instead (tools/private.sh) and runs there, leaving the system's prio alone.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
. tools/cluster.sh
cluster_init_prio "log_min_messages = warning"
cluster_start
src=prio_src
dst=prio_dst
cluster_psql -d postgres -c "CREATE DATABASE $src"
cluster_psql -d $src >/dev/null <<'SQL'
CREATE EXTENSION prio;
-- configuration: changed built-in rows and added rows
UPDATE prio.settings SET intent_threshold = 2.5, cadence_a = '3 days', r_breaks = '{7,30,90,180}',
                         weight_stage = 5;
UPDATE prio.activity_kinds SET intent_weight = 5 WHERE kind = 'demo_request';
INSERT INTO prio.activity_kinds (kind, direction, stage, is_purchase, intent_weight)
VALUES ('webinar', 'inbound', 'engaged', false, 2.5);
UPDATE prio.rfm_segments SET segment = 'VIP' WHERE position = 10;
INSERT INTO prio.rfm_segments (position, segment, r_min, r_max, f_min, f_max, m_min, m_max)
VALUES (5, 'Whales', 5, 5, 5, 5, 5, 5);
DELETE FROM prio.rfm_segments WHERE position = 50;            -- a built-in row, removed
UPDATE prio.rfm_segments SET r_min = 3 WHERE position = 60;   -- changed, then removed
DELETE FROM prio.rfm_segments WHERE position = 60;
-- (0.5) playbooks: a built-in one changed, one turned off, a channel and a playbook added
INSERT INTO prio.channels (channel) VALUES ('video_call');
INSERT INTO prio.customer_types (type, condition) VALUES ('pilot_customer', '{"attr": "pilot", "=": true}');
UPDATE prio.playbooks SET cadence = '1 day', channels = '{video_call,phone}' WHERE playbook = 'A';
UPDATE prio.playbooks SET enabled = false WHERE playbook = 'active';
INSERT INTO prio.playbooks (playbook, cadence, channels, roles, action)
VALUES ('pilot_customer', '1 day', '{video_call,phone}', '{rep,tech_support}', 'daily pilot check-in');
-- (0.5) removed built-in rows of deal stages, channels and labels stay removed
-- (prio.removed_config), a built-in label changed then removed too
UPDATE prio.playbooks SET channels = '{email}' WHERE playbook = 'D';
DELETE FROM prio.channels WHERE channel = 'sms';
DELETE FROM prio.deal_stages WHERE stage = 'needs_clear';
DELETE FROM prio.labels WHERE domain = 'tier' AND code = 'D' AND lang = 'zh-CN';
UPDATE prio.labels SET label = 'C!' WHERE domain = 'tier' AND code = 'C' AND lang = 'en';
DELETE FROM prio.labels WHERE domain = 'tier' AND code = 'C' AND lang = 'en';
-- renamed built-in rows stay gone as deleted ones do (hostile9): a deal stage
-- renamed to Chinese came back beside its new name, an extra funnel stage
UPDATE prio.deal_stages SET stage = '谈判' WHERE stage = 'negotiation';
UPDATE prio.labels SET code = 'B!' WHERE domain = 'tier' AND code = 'B' AND lang = 'en';
UPDATE prio.rfm_segments SET position = 95 WHERE position = 90;
DO $$ BEGIN CREATE ROLE prio_dr_manager; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
SELECT prio.grant_manager('prio_dr_manager');
-- data
INSERT INTO prio.customers (customer_id, name, owner, backup_owner, budget, authority, need, timeline, created_at)
SELECT g, 'Customer ' || g, 'rep' || (g % 4), 'rep' || ((g + 1) % 4),
       CASE WHEN g % 3 = 0 THEN NULL ELSE g % 2 = 0 END, CASE WHEN g % 5 = 0 THEN NULL ELSE g % 3 = 0 END,
       g % 7 = 0, CASE WHEN g % 11 = 0 THEN true END, now() - (g % 90) * interval '1 day'
  FROM generate_series(1, 300) g;
INSERT INTO prio.activities (customer_id, kind, at, amount, note)
SELECT 1 + (i * 7919) % 299, k, now() - ((i * 104729) % 200000) * interval '1 minute',
       CASE WHEN k = 'purchase' THEN ((i * 31) % 5000) / 10.0 ELSE 0 END,
       CASE WHEN i % 10 = 0 THEN 'note ' || i || E' with\ttab, "quotes" and\nnewline' END
  FROM generate_series(1, 4000) i,
       LATERAL (SELECT (ARRAY['purchase','inquiry','reply','email_open','visit','trial_use','demo_request',
                              'rejected','call','email','meeting','proposal','quote','contract','webinar'])
                       [1 + (i * 13) % 15] AS k WHERE i > 0) kk;
UPDATE prio.customers SET budget = true, authority = true WHERE customer_id IN (10, 20, 30);
-- a customer's own attributes (issue 18, item 7): dumped with prio.customers
UPDATE prio.customers SET attributes = jsonb_build_object('industry', 'industry ' || customer_id % 5,
                                                          'employees', customer_id * 3, 'quote', E'a "q"\ttab')
 WHERE customer_id % 4 = 0;
UPDATE prio.activities SET amount = amount + 1 WHERE activity_id % 97 = 0 AND kind = 'purchase';
DELETE FROM prio.activities WHERE activity_id % 101 = 0;
SELECT prio.refresh();
SELECT prio.refresh(now() + interval '40 days');
SQL

dump=$CL_DIR/src.dump
fail=0
restored() {  # label db log: pg_restore/psql's exit status and output
	if [ "$2" -ne 0 ]; then
		echo "FAIL: the $1 restore reported errors:"; head -30 "$3"; fail=1
	elif [ -s "$3" ]; then
		echo "the $1 restore said:"; head -10 "$3"
	fi
}
cluster_run pg_dump -Fc -d $src -f "$dump"
cluster_psql -d postgres -c "CREATE DATABASE $dst"
rc=0; cluster_run pg_restore -d $dst "$dump" >"$CL_DIR/restore.log" 2>&1 || rc=$?
restored "pg_restore" $rc "$CL_DIR/restore.log"

plain=prio_plain
cluster_run pg_dump -d $src -f "$CL_DIR/src.sql"
cluster_psql -d postgres -c "CREATE DATABASE $plain"
rc=0; cluster_psql -d $plain -f "$CL_DIR/src.sql" >/dev/null 2>"$CL_DIR/plain.log" || rc=$?
restored "plain SQL (psql)" $rc "$CL_DIR/plain.log"

dataonly=prio_data
cluster_run pg_dump -Fc --data-only -d $src -f "$CL_DIR/data.dump"
cluster_psql -d postgres -c "CREATE DATABASE $dataonly"
cluster_psql -d $dataonly -c "CREATE EXTENSION prio"
rc=0; cluster_run pg_restore -d $dataonly "$CL_DIR/data.dump" >"$CL_DIR/data.log" 2>&1 || rc=$?
restored "--data-only" $rc "$CL_DIR/data.log"

dir=prio_dir
cluster_run pg_dump -Fd -d $src -f "$CL_DIR/src.dir"
cluster_psql -d postgres -c "CREATE DATABASE $dir"
rc=0; cluster_run pg_restore --single-transaction -d $dir "$CL_DIR/src.dir" >"$CL_DIR/dir.log" 2>&1 || rc=$?
restored "-Fd --single-transaction" $rc "$CL_DIR/dir.log"

inserts=prio_inserts
cluster_run pg_dump --inserts -d $src -f "$CL_DIR/inserts.sql"
cluster_psql -d postgres -c "CREATE DATABASE $inserts"
rc=0; cluster_psql -d $inserts -f "$CL_DIR/inserts.sql" >/dev/null 2>"$CL_DIR/inserts.log" || rc=$?
restored "plain SQL --inserts (psql)" $rc "$CL_DIR/inserts.log"

dumpq() {  # db query -> rows
	cluster_psql -d "$1" -c "COPY ($2) TO STDOUT"
}
compare() {  # label query [db]
	local a b db=${3:-$dst}
	a=$(dumpq $src "$2" | md5sum); b=$(dumpq $db "$2" | md5sum)
	local n; n=$(dumpq $src "$2" | wc -l)
	if [ "$a" = "$b" ]; then
		echo "same: $1 ($n rows)"
	else
		echo "FAIL: $1 differs after restore${3:+ ($3)}"
		diff <(dumpq $src "$2") <(dumpq $db "$2") | head -10 || true
		fail=1
	fi
}

# 3. every table and sequence of the extension, in every restored database:
#    row count and an md5 of all rows' text (all columns), ordered
members=$(dumpq $src "SELECT c.relkind::text || ' ' || c.relname FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
                       JOIN pg_extension e ON e.oid = d.refobjid
                      WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e' AND e.extname = 'prio'
                        AND c.relkind IN ('r', 'S') ORDER BY c.relname")
table_sig() {  # db relkind relname -> "rows md5"
	if [ "$2" = S ]; then
		dumpq "$1" "SELECT 1, last_value || ' ' || is_called FROM prio.$3"
	else
		dumpq "$1" "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM prio.$3 t"
	fi
}
ntables=0
for db in $dst $plain $dataonly $dir $inserts; do
	ndiff=0
	while read -r kind rel; do
		[ "$db" = $dst ] && ntables=$((ntables + 1))
		a=$(table_sig $src "$kind" "$rel"); b=$(table_sig $db "$kind" "$rel")
		if [ "$a" != "$b" ]; then
			echo "FAIL: $db: prio.$rel differs from the source (rows md5: source $a, restored $b)"
			ndiff=$((ndiff + 1)); fail=1
		fi
	done <<<"$members"
	echo "$db: $ntables tables and sequences of prio compared with the source, $ndiff differ"
done
# the differences, for a reader (first restore)
compare "tier_history" "SELECT * FROM prio.tier_history ORDER BY history_id, customer_id"
compare "rfm_segments (deleted built-in rows stay deleted)" "SELECT * FROM prio.rfm_segments ORDER BY position"
compare "deal_stages (a deleted built-in row stays deleted)" "SELECT * FROM prio.deal_stages ORDER BY position"
compare "channels (a deleted built-in row stays deleted)" "SELECT * FROM prio.channels ORDER BY channel"
compare "labels (deleted built-in rows stay deleted)" "SELECT * FROM prio.labels ORDER BY domain, code, lang"
compare "customer_state as dumped (all columns, updated_at too)" "SELECT * FROM prio.customer_state ORDER BY customer_id"
compare "activity_id sequence is past every restored row" \
	"SELECT (SELECT last_value FROM prio.activities_activity_id_seq) >= (SELECT max(activity_id) FROM prio.activities)"
compare "prio.conversion_by_tier" "SELECT * FROM prio.conversion_by_tier ORDER BY tier"
compare "prio.win_model()" "SELECT prio.win_model()"

# 4. the restored state equals a rebuild
check=$(cluster_psql -d $dst -At -f "$(dirname "$0")/state_check.sql")
echo "$check" | sed 's/^/restored: /'
[ "$(echo "$check" | sed -n 's/^recompute //p')" = 0 ] || { echo "FAIL: prio.recompute() in the restored database is not 0"; fail=1; }
[ "$(echo "$check" | sed -n 's/^differ //p')" = 0 ] || { echo "FAIL: restored customer_state differs from a rebuild"; fail=1; }
n_c=$(dumpq $dst "SELECT count(*) FROM prio.customers"); n_s=$(dumpq $dst "SELECT count(*) FROM prio.customer_state")
[ "$n_c" = "$n_s" ] || { echo "FAIL: $n_s state rows for $n_c customers"; fail=1; }

# both databases evaluated as of the same fixed time: identical state
asof=$(dumpq $src "SELECT pg_catalog.to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00'")
for d in $src $dst; do cluster_psql -d $d -At -c "SELECT prio.refresh('$asof')" >/dev/null; done
compare "customer_state evaluated as of the same time (all columns but updated_at)" \
	"SELECT customer_id, first_at, last_at, last_inbound_at, last_outbound_at, last_purchase_at, frequency, monetary, intent, intent_at, stage, effective_stage, r_score, f_score, m_score, bant, no_reply, value_high, intent_high, tier, priority, next_due_at, rule, playbook FROM prio.customer_state ORDER BY customer_id"
compare "auto_breaks" "SELECT r_breaks, f_breaks, m_breaks, buyers FROM prio.auto_breaks"

# 5. new rows get fresh keys
newids=$(cluster_psql -d $dst -At <<'SQL'
INSERT INTO prio.activities (customer_id, kind) VALUES (1, 'call') RETURNING 'activity_id_fresh ' || (activity_id > (SELECT max(activity_id) FROM prio.activities WHERE activity_id <> currval('prio.activities_activity_id_seq')));
SELECT 'history_id_fresh ' || (max(history_id) = (SELECT last_value FROM prio.tier_history_history_id_seq)) FROM prio.tier_history;
SQL
)
echo "$newids" | sed 's/^/restored: /'
echo "$newids" | grep -q '^activity_id_fresh t' || { echo "FAIL: a new activity did not get a fresh activity_id"; fail=1; }

# 6. a tracked application table (prio.track(), issue 18): pg_dump -Fc and
#    pg_restore give back its key map, prio.sources and prio's triggers on it,
#    and the restored table is live (a new row reaches prio, with a fresh id)
cluster_psql -d postgres -c "CREATE DATABASE prio_trk_src" -c "CREATE DATABASE prio_trk_dst"
cluster_psql -d prio_trk_src >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION prio;
CREATE SCHEMA app;
-- a collation of the application's own: restored under another OID
CREATE COLLATION app.exact FROM "C";
CREATE TABLE app.accounts (id uuid PRIMARY KEY, legacy integer, name text, rep text COLLATE app.exact, industry text);
-- a dropped column: the restored table numbers its columns afresh
ALTER TABLE app.accounts DROP COLUMN legacy;
INSERT INTO app.accounts
SELECT ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'account ' || g, 'rep' || g % 3, 'industry ' || g % 4
  FROM generate_series(1, 40) g;
SELECT prio.track('app.accounts', 'customers', '{"key": "id", "name": "name", "owner": "rep", "attributes": {"industry": "industry"}}');
-- a tracked activities table of those accounts (its kind of that collation,
-- a dropped column)
CREATE TABLE app.events (account uuid, legacy integer, what text COLLATE app.exact, at timestamptz, amount numeric);
ALTER TABLE app.events DROP COLUMN legacy;
CREATE INDEX ON app.events (account);
INSERT INTO app.events
SELECT ('00000000-0000-0000-0000-' || lpad((1 + g % 40)::text, 12, '0'))::uuid,
       (ARRAY['purchase', 'inquiry', 'visit', 'call'])[1 + g % 4], now() - (g || ' hours')::interval, g % 50
  FROM generate_series(1, 200) g;
SELECT prio.track('app.events', 'activities', '{"customer": "account", "kind": "what", "at": "at", "amount": "amount"}');
SQL
cluster_run pg_dump -Fc -d prio_trk_src -f "$CL_DIR/trk.dump"
rc=0; cluster_run pg_restore -d prio_trk_dst "$CL_DIR/trk.dump" >"$CL_DIR/trk.log" 2>&1 || rc=$?
restored "tracked table (pg_restore)" $rc "$CL_DIR/trk.log"
trk_mirror="SELECT m.key, c.* FROM prio.keys_1 m JOIN prio.customers c USING (customer_id) ORDER BY m.key"
src=prio_trk_src compare "tracked table: its customers through the key map" "$trk_mirror" prio_trk_dst
src=prio_trk_src compare "tracked table: prio.tracked" "SELECT source, role, mapping, key_type, key_map FROM prio.tracked" prio_trk_dst
src=prio_trk_src compare "tracked table: prio's triggers on it" \
	"SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid IN ('app.accounts'::regclass, 'app.events'::regclass) ORDER BY tgname" prio_trk_dst
src=prio_trk_src compare "tracked table: its typed follow-up view, joined to the table by plain equality" \
	"SELECT a.id, f.customer_id, f.tier, f.source, f.customer_key FROM app.accounts a JOIN prio.followup_accounts f ON f.id = a.id ORDER BY a.id" prio_trk_dst
src=prio_trk_src compare "tracked table: the typed view's options, privileges and comment; the key map's policy and privileges" \
	"SELECT c.relname, c.reloptions, c.relacl, c.relrowsecurity, obj_description(c.oid, 'pg_class'),
	        (SELECT string_agg(p.polname || ' ' || pg_get_expr(p.polqual, p.polrelid), ', ') FROM pg_policy p WHERE p.polrelid = c.oid)
	   FROM pg_class c WHERE c.oid IN ('prio.followup_accounts'::regclass, 'prio.keys_1'::regclass) ORDER BY 1" prio_trk_dst
src=prio_trk_src compare "tracked table: tier_history with the source and the key" \
	"SELECT customer_id, changed_at, new_tier, new_stage, source, customer_key FROM prio.tier_history ORDER BY history_id" prio_trk_dst
src=prio_trk_src compare "tracked activities: their customers' state" \
	"SELECT m.key, s.frequency, s.monetary, s.first_at, s.last_at, s.stage, s.tier FROM prio.keys_1 m JOIN prio.customer_state s USING (customer_id) ORDER BY m.key" prio_trk_dst
live=$(cluster_psql -d prio_trk_dst -At <<'SQL'
INSERT INTO app.accounts VALUES ('10000000-0000-0000-0000-000000000001', 'after restore', 'rep1', 'x');
SELECT 'tracked_live ' || (c.customer_id < (SELECT min(customer_id) FROM prio.keys_1 WHERE customer_id <> c.customer_id))
  FROM prio.keys_1 m JOIN prio.customers c USING (customer_id) WHERE c.name = 'after restore';
SELECT 'typed_view_live ' || count(*) FROM app.accounts a JOIN prio.followup_accounts f ON f.id = a.id
 WHERE a.name = 'after restore' AND f.customer_key = a.id::text;
SQL
)
echo "$live" | sed 's/^/restored: /'
echo "$live" | grep -q '^tracked_live t' || { echo "FAIL: a row inserted into the restored tracked table did not reach prio with a fresh id"; fail=1; }
echo "$live" | grep -q '^typed_view_live 1' || { echo "FAIL: a row inserted into the restored tracked table is not in its typed follow-up view"; fail=1; }
live=$(cluster_psql -d prio_trk_dst -At <<'SQL'
SET client_min_messages = warning;
INSERT INTO app.events VALUES ('10000000-0000-0000-0000-000000000001', 'purchase', now() - interval '1 hour', 12);
SELECT 'tracked_activities_live ' || (s.frequency = 1 AND s.monetary = 12)
  FROM prio.keys_1 m JOIN prio.customer_state s USING (customer_id)
 WHERE m.key = '10000000-0000-0000-0000-000000000001';
SELECT 'tracked_activities_recompute ' || prio.recompute();
SELECT 'tracked_activities_errors ' || count(last_error) FROM prio.tracked;
SQL
)
echo "$live" | sed 's/^/restored: /'
echo "$live" | grep -q '^tracked_activities_live t' || { echo "FAIL: a row inserted into the restored tracked activities table did not reach prio"; fail=1; }
echo "$live" | grep -q '^tracked_activities_recompute 0' || { echo "FAIL: after restore the live state of tracked activities differs from recompute()"; fail=1; }
echo "$live" | grep -q '^tracked_activities_errors 0' || { echo "FAIL: a restored tracked table noted an error"; fail=1; }

# 6b. pg_dump --exclude-table of one tracked activities table (a DBA leaves a
#     huge event table out): the restore loads prio.sources without that
#     table's row, with a WARNING, instead of failing the COPY of every row
#     (0.5: prio.sources.relid was a regclass, so no table stayed tracked).
#     The other tables stay tracked and live, and recompute() then folds the
#     customers without the excluded table's events.
cluster_psql -d postgres -c "CREATE DATABASE prio_exc_src" -c "CREATE DATABASE prio_exc_dst"
cluster_psql -d prio_exc_src >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION prio;
CREATE SCHEMA app;
CREATE TABLE app.accounts (id integer PRIMARY KEY, name text, rep text);
INSERT INTO app.accounts SELECT g, 'account ' || g, 'rep' || g % 3 FROM generate_series(1, 20) g;
SELECT prio.track('app.accounts', 'customers', '{"key": "id", "name": "name", "owner": "rep"}');
CREATE TABLE app.events (account integer, what text, at timestamptz, amount numeric);
INSERT INTO app.events SELECT 1 + g % 20, 'purchase', now() - g * interval '1 day', 10 FROM generate_series(1, 60) g;
SELECT prio.track('app.events', 'activities', '{"customer": "account", "kind": "what", "at": "at", "amount": "amount"}');
CREATE TABLE app.clicks (account integer, what text, at timestamptz);
INSERT INTO app.clicks SELECT 1 + g % 20, 'visit', now() - g * interval '1 minute' FROM generate_series(1, 200) g;
SELECT prio.track('app.clicks', 'activities', '{"customer": "account", "kind": "what", "at": "at"}');
SQL
cluster_run pg_dump -Fc -d prio_exc_src --exclude-table app.clicks -f "$CL_DIR/exc.dump"
rc=0; cluster_run pg_restore -d prio_exc_dst "$CL_DIR/exc.dump" >"$CL_DIR/exc.log" 2>&1 || rc=$?
restored "pg_dump --exclude-table of a tracked activities table" $rc "$CL_DIR/exc.log"
if grep -q 'WARNING:  prio: tracked table app.clicks is not in this database' "$CL_LOG"; then
	echo "same: the restore warned that app.clicks, left out of the dump, is not tracked any more"
else
	echo "FAIL: the restore of a dump without a tracked table did not warn of it"; fail=1
fi
exc=$(cluster_psql -d prio_exc_dst -At <<'SQL'
SET client_min_messages = warning;
SELECT 'exc_tracked ' || string_agg(source::text || ' ' || role, ', ' ORDER BY source::text) FROM prio.tracked;
INSERT INTO app.accounts VALUES (21, 'after restore', 'rep1');
INSERT INTO app.events VALUES (21, 'purchase', now() - interval '1 hour', 7), (1, 'purchase', now() - interval '1 hour', 5);
SELECT 'exc_live ' || (s.frequency = 1 AND s.monetary = 7) FROM prio.keys_1 m JOIN prio.customer_state s USING (customer_id) WHERE m.key = 21;
SELECT 'exc_recompute ' || (prio.recompute() > 0);
SELECT 'exc_recompute_again ' || prio.recompute();
SELECT 'exc_no_clicks ' || (count(*) = 0) FROM prio.customer_state WHERE last_at > now() - interval '30 minutes';
SELECT 'exc_errors ' || count(last_error) FROM prio.tracked;
SQL
)
echo "$exc" | sed 's/^/restored without app.clicks: /'
[ "$(echo "$exc" | tr '\n' ' ')" = 'exc_tracked app.accounts customers, app.events activities exc_live true exc_recompute true exc_recompute_again 0 exc_no_clicks true exc_errors 0 ' ] \
	|| { echo "FAIL: after a restore without one tracked table, the others are not tracked and live"; fail=1; }

# 6c. (0.5) a tracked table dropped without untrack() and a table created
#     under its name since, tracked too: the dead row is named by its OID
#     (prio_track_rename_drop), so the restore leaves it out with a WARNING
#     instead of resolving both rows to the new table, whose unique relid
#     failed the COPY of every row of prio.sources (no table tracked).
cluster_psql -d postgres -c "CREATE DATABASE prio_dead_src" -c "CREATE DATABASE prio_dead_dst"
cluster_psql -d prio_dead_src >/dev/null 2>&1 <<'SQL'
SET client_min_messages = error;
CREATE EXTENSION prio;
CREATE TABLE accounts (id integer PRIMARY KEY, name text);
INSERT INTO accounts VALUES (1, 'one');
SELECT prio.track('accounts', 'customers', '{"key": "id", "name": "name"}');
CREATE TABLE events (account integer, what text, at timestamptz);
SELECT prio.track('events', 'activities', '{"customer": "account", "kind": "what", "at": "at"}');
DROP TABLE events;
CREATE TABLE events (account integer, what text, at timestamptz);
INSERT INTO events VALUES (1, 'purchase', now() - interval '1 day');
SELECT prio.track('events', 'activities', '{"customer": "account", "kind": "what", "at": "at"}');
SQL
cluster_run pg_dump -Fc -d prio_dead_src -f "$CL_DIR/dead.dump"
rc=0; cluster_run pg_restore -d prio_dead_dst "$CL_DIR/dead.dump" >"$CL_DIR/dead.log" 2>&1 || rc=$?
restored "dump with a dropped tracked table" $rc "$CL_DIR/dead.log"
dead=$(cluster_psql -d prio_dead_dst -At -c "SELECT string_agg(source::text || ' ' || role, ', ' ORDER BY source::text) FROM prio.tracked")
if [ "$dead" = "accounts customers, events activities" ]; then
	echo "same: a dropped tracked table's row left out, the table created under its name since tracked as it was"
else
	echo "FAIL: after a restore with a dropped tracked table, tracked: $dead"; fail=1
fi

# A dump of an older prio (database prio_NN_src, prio VERSION v): restored
# into 0.5 as it is (prio_NN_dst), refused with msg; restored the documented
# way, into CREATE EXTENSION prio VERSION v (prio_NN_ok), without an error.
older_dump() {
	local v=$1 nn=$2 msg=$3 rc=0
	cluster_run pg_dump -Fc -d "prio_${nn}_src" -f "$CL_DIR/$nn.dump"
	cluster_run pg_restore -d "prio_${nn}_dst" "$CL_DIR/$nn.dump" >"$CL_DIR/$nn.log" 2>&1 || rc=$?
	if [ $rc -ne 0 ] && grep -q "$msg" "$CL_DIR/$nn.log"; then
		echo "same: a dump of prio $v restored into 0.5 as it is: refused"
	else
		echo "FAIL: a dump of prio $v restored into 0.5 as it is was not refused (exit $rc)"; head -5 "$CL_DIR/$nn.log"; fail=1
	fi
	cluster_psql -d "prio_${nn}_ok" -c "SET client_min_messages = warning" -c "CREATE EXTENSION prio VERSION '$v'"
	# (pg_restore says that schema prio exists: expected)
	cluster_run pg_restore -d "prio_${nn}_ok" "$CL_DIR/$nn.dump" >"$CL_DIR/${nn}ok.log" 2>&1 || true
	if grep -v -e 'schema "prio" already exists' -e 'CREATE SCHEMA prio' -e 'errors ignored on restore: 1$' "$CL_DIR/${nn}ok.log" | grep -q .; then
		echo "FAIL: the restore of a dump of prio $v into prio $v said:"; head -10 "$CL_DIR/${nn}ok.log"; fail=1
	fi
}

# 7. a dump of prio 0.4 (a tracked table, a reader): restored as it is into
#    0.5 it would skip the update to 0.5 (everyone evaluated again, typed
#    views, grants of 0.5's objects), so it is refused with the way to do it;
#    that way (CREATE EXTENSION prio VERSION '0.4', the restore, ALTER
#    EXTENSION prio UPDATE) gives back a state that equals a rebuild
cluster_psql -d postgres -c "CREATE DATABASE prio_04_src" -c "CREATE DATABASE prio_04_dst" -c "CREATE DATABASE prio_04_ok"
cluster_psql -d prio_04_src >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION prio VERSION '0.4';
DO $$ BEGIN CREATE ROLE prio_dr_reader; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
SELECT prio.grant_reader('prio_dr_reader');
CREATE SCHEMA app;
CREATE TABLE app.accounts (id integer PRIMARY KEY, name text, rep text);
INSERT INTO app.accounts SELECT g, 'account ' || g, 'rep' || g % 3 FROM generate_series(1, 20) g;
SELECT prio.track('app.accounts', 'customers', '{"key": "id", "name": "name", "owner": "rep"}');
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT m.customer_id, 'purchase', now() - g * interval '1 day', 10 FROM prio.keys_1 m, generate_series(1, 3) g;
SQL
older_dump 0.4 04 'this is a dump of prio 0.4'
up=$(cluster_psql -d prio_04_ok -At -c "SET client_min_messages = warning" -c "ALTER EXTENSION prio UPDATE" \
	-c "SELECT 'version ' || extversion FROM pg_extension WHERE extname = 'prio'" -c "SELECT 'recompute ' || prio.recompute()" \
	-c "SELECT 'typed_view ' || count(*) FROM prio.followup_accounts" \
	-c "SELECT 'reader_labels ' || has_table_privilege('prio_dr_reader', 'prio.labels', 'SELECT')")
echo "$up" | sed 's/^/0.4 dump, updated: /'
[ "$(echo "$up" | tr '\n' ' ')" = "version 0.5 recompute 0 typed_view 20 reader_labels true " ] \
	|| { echo "FAIL: a dump of prio 0.4 restored into 0.4 and updated is not as an update of 0.4 leaves it"; fail=1; }

# 8. a dump of prio 0.3 has no prio._restore row: refused at its last table,
#    tier_history, which outside a restore takes only prio's own rows
cluster_psql -d postgres -c "CREATE DATABASE prio_03_src" -c "CREATE DATABASE prio_03_dst" -c "CREATE DATABASE prio_03_ok"
cluster_psql -d prio_03_src >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION prio VERSION '0.3';
INSERT INTO prio.customers (customer_id, name) SELECT g, 'c' || g FROM generate_series(1, 5) g;
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT 1 + g % 5, 'purchase', now() - g * interval '1 day', 10 FROM generate_series(1, 20) g;
SQL
older_dump 0.3 03 'a dump of prio 0.3 or before cannot be loaded'
up=$(cluster_psql -d prio_03_ok -At -c "SET client_min_messages = warning" -c "ALTER EXTENSION prio UPDATE" \
	-c "SELECT 'version ' || extversion FROM pg_extension WHERE extname = 'prio'" -c "SELECT 'recompute ' || prio.recompute()")
echo "$up" | sed 's/^/0.3 dump, updated: /'
[ "$(echo "$up" | tr '\n' ' ')" = "version 0.5 recompute 0 " ] \
	|| { echo "FAIL: a dump of prio 0.3 restored into 0.3 and updated does not equal a rebuild"; fail=1; }

echo "dumprestore: $(( $(date +%s) - started ))s total"
if [ $fail -ne 0 ]; then echo "dumprestore: FAILED"; exit 1; fi
echo "dumprestore: OK"
