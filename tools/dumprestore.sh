#!/bin/bash
# tools/dumprestore.sh -- pg_dump -Fc / pg_restore round trip of a prio database.
#
# In a throwaway cluster of its own (tools/cluster.sh):
#   1. database prio_src: CREATE EXTENSION prio; customised settings (UPDATE
#      prio.settings), a customised built-in activity kind, an added kind, a
#      customised built-in segment and an added one; customers (one without
#      activities) and activities (incl. the added kind), a BANT update, an
#      activity UPDATE and DELETE, prio.refresh().
#   2. pg_dump -Fc prio_src; CREATE DATABASE prio_dst; pg_restore into it (the
#      dump does CREATE EXTENSION prio).  pg_restore must report no error.
#   3. compare, row by row: customers, activities, settings, activity_kinds,
#      rfm_segments (with their builtin flags) and the identity sequences' use.
#   4. tier_history: every dumped history row must be in the restored database;
#      the rows the restore's triggers add (README "known limitation") are
#      counted and shown by reason, not failed.
#   5. the restored state equals a rebuild: in ONE transaction prio.refresh(),
#      snapshot customer_state (without updated_at), prio.recompute() = 0,
#      snapshot = state.  And both databases, refreshed as of the same fixed
#      time, hold identical customer_state rows (facts and evaluation).
#   6. new rows in the restored database get fresh keys (sequences restored).
# Exits 1 on any failure.  About 10 s.  Needs prio installed (make install).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/cluster.sh

started=$(date +%s)
cluster_init "log_min_messages = warning"
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
UPDATE prio.activities SET amount = amount + 1 WHERE activity_id % 97 = 0 AND kind = 'purchase';
DELETE FROM prio.activities WHERE activity_id % 101 = 0;
SELECT prio.refresh();
SQL

dump=$CL_DIR/src.dump
cluster_run pg_dump -Fc -d $src -f "$dump"
cluster_psql -d postgres -c "CREATE DATABASE $dst"
fail=0
if ! cluster_run pg_restore -d $dst "$dump" >"$CL_DIR/restore.log" 2>&1; then
	echo "FAIL: pg_restore reported errors:"; head -30 "$CL_DIR/restore.log"; fail=1
elif [ -s "$CL_DIR/restore.log" ]; then
	echo "pg_restore said:"; head -10 "$CL_DIR/restore.log"
fi

# 3. table by table, row by row
dumpq() {  # db query -> file
	cluster_psql -d "$1" -c "COPY ($2) TO STDOUT"
}
compare() {  # label query
	local a b
	a=$(dumpq $src "$2" | md5sum); b=$(dumpq $dst "$2" | md5sum)
	local n; n=$(dumpq $src "$2" | wc -l)
	if [ "$a" = "$b" ]; then
		echo "same: $1 ($n rows)"
	else
		echo "FAIL: $1 differs after restore"
		diff <(dumpq $src "$2") <(dumpq $dst "$2") | head -10 || true
		fail=1
	fi
}
compare customers "SELECT * FROM prio.customers ORDER BY customer_id"
compare activities "SELECT * FROM prio.activities ORDER BY activity_id"
compare settings "SELECT * FROM prio.settings"
compare activity_kinds "SELECT * FROM prio.activity_kinds ORDER BY kind"
compare rfm_segments "SELECT * FROM prio.rfm_segments ORDER BY position"
compare "customer facts (first/last/inbound/outbound/purchase, frequency, monetary, intent, stage)" \
	"SELECT customer_id, first_at, last_at, last_inbound_at, last_outbound_at, last_purchase_at, frequency, monetary, intent, intent_at, stage FROM prio.customer_state ORDER BY customer_id"
compare "activity_id sequence is past every restored row" \
	"SELECT (SELECT last_value FROM prio.activities_activity_id_seq) >= (SELECT max(activity_id) FROM prio.activities)"

# 4. history: every dumped row restored; the restore's own rows counted
hist_missing=$(comm -23 <(dumpq $src "SELECT * FROM prio.tier_history ORDER BY 1" | sort) \
                        <(dumpq $dst "SELECT * FROM prio.tier_history ORDER BY 1" | sort) | wc -l)
src_hist=$(dumpq $src "SELECT count(*) FROM prio.tier_history")
dst_hist=$(dumpq $dst "SELECT count(*) FROM prio.tier_history")
if [ "$hist_missing" -ne 0 ]; then
	echo "FAIL: $hist_missing dumped tier_history rows are missing after the restore"; fail=1
else
	echo "same: every one of the $src_hist dumped tier_history rows is restored"
fi
echo "tier_history: $src_hist rows dumped, $dst_hist after restore: $(( dst_hist - src_hist )) written by the restore's triggers (README: known limitation), by reason:"
comm -13 <(dumpq $src "SELECT * FROM prio.tier_history ORDER BY 1" | sort) \
         <(dumpq $dst "SELECT * FROM prio.tier_history ORDER BY 1" | sort) \
	| awk -F'\t' '{ split($8, r, ":"); n[r[1]]++ } END { for (k in n) printf "  %6d  %s\n", n[k], k }'
# what the extra rows do to the history-based view (reported, not failed)
cv_src=$(dumpq $src "SELECT * FROM prio.conversion_by_tier ORDER BY tier")
cv_dst=$(dumpq $dst "SELECT * FROM prio.conversion_by_tier ORDER BY tier")
if [ "$cv_src" = "$cv_dst" ]; then
	echo "same: prio.conversion_by_tier"
else
	echo "NOTE: prio.conversion_by_tier changes with the restore's history rows (tier, entered, won, win_rate):"
	diff <(echo "$cv_src") <(echo "$cv_dst") | sed -n 's/^</  before:/p; s/^>/  after: /p' || true
fi
dup_ids=$(dumpq $dst "SELECT count(*) FROM (SELECT history_id FROM prio.tier_history GROUP BY 1 HAVING count(*) > 1) d")
echo "tier_history: $dup_ids history_id values occur twice in the restored database"

# 5. the restored state equals a rebuild
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
	"SELECT customer_id, first_at, last_at, last_inbound_at, last_outbound_at, last_purchase_at, frequency, monetary, intent, intent_at, stage, effective_stage, r_score, f_score, m_score, bant, no_reply, value_high, intent_high, tier, priority, next_due_at, rule FROM prio.customer_state ORDER BY customer_id"
compare "auto_breaks" "SELECT r_breaks, f_breaks, m_breaks, buyers FROM prio.auto_breaks"

# 6. new rows get fresh keys
newids=$(cluster_psql -d $dst -At <<'SQL'
INSERT INTO prio.activities (customer_id, kind) VALUES (1, 'call') RETURNING 'activity_id_fresh ' || (activity_id > (SELECT max(activity_id) FROM prio.activities WHERE activity_id <> currval('prio.activities_activity_id_seq')));
SELECT 'history_id_fresh ' || (max(history_id) = (SELECT last_value FROM prio.tier_history_history_id_seq)) FROM prio.tier_history;
SQL
)
echo "$newids" | sed 's/^/restored: /'
echo "$newids" | grep -q '^activity_id_fresh t' || { echo "FAIL: a new activity did not get a fresh activity_id"; fail=1; }

echo "dumprestore: $(( $(date +%s) - started ))s total"
if [ $fail -ne 0 ]; then echo "dumprestore: FAILED"; exit 1; fi
echo "dumprestore: OK"
