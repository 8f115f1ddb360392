#!/bin/bash
# tools/crash.sh -- crash safety of prio's live maintenance.
#
# In a throwaway cluster of its own (tools/cluster.sh), RUNS times (default 3):
# start several concurrent loaders --
#   - pgbench, 4 clients: single-row INSERTs and 2-10-row batches of activities;
#   - pgbench, 1 client: a new customer and its first activities in one
#     transaction (the customer trigger and the activity trigger together);
#   - pgbench, 1 client: SELECT prio.refresh() in a loop;
#   - 2 COPY loops: COPY prio.activities FROM STDIN batches of 100, 2,000 and
#     20,000 rows (the big ones are usually in flight at the crash);
# -- then, after a few seconds, kill the server with pg_ctl stop -m immediate,
# restart it (crash recovery) and check:
#   - in ONE transaction: prio.refresh(); snapshot customer_state (without
#     updated_at); prio.recompute() returns 0; the snapshot equals the state;
#   - every customer has exactly one customer_state row, and every state row a
#     customer; frequency/monetary/last_at equal plain SQL over the activities;
#   - every tier_history customer exists in customers (no orphans);
#   - the server log has no ERROR or PANIC line, and FATAL lines only of class
#     57 (shutdown / starting up) or 08 (connection), as the crash causes.
# Prints the number of crash runs and the rows loaded; exits 1 on any failure.
# About 10 s per run.  Needs prio installed (make install), psql and pgbench.
#
#   tools/crash.sh            RUNS=5 CUSTOMERS=500 tools/crash.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/cluster.sh

RUNS=${RUNS:-3}
CUSTOMERS=${CUSTOMERS:-1000}
HOT=10
started=$(date +%s)

cluster_init "max_connections = 50" "log_min_messages = warning"
cluster_start
db=prio_crash
cluster_psql -d postgres -c "CREATE DATABASE $db"
cluster_psql -d $db >/dev/null <<SQL
CREATE EXTENSION prio;
CREATE SEQUENCE public.new_customer_seq START 1000001;
INSERT INTO prio.customers (customer_id, name, owner, budget, authority)
SELECT g, 'Customer ' || g, 'rep' || (g % 5),
       CASE WHEN random() < 0.3 THEN NULL ELSE random() < 0.5 END,
       CASE WHEN random() < 0.3 THEN NULL ELSE random() < 0.5 END
  FROM generate_series(1, $CUSTOMERS) g;
SELECT prio.refresh();
SQL

w=$CL_DIR/load
mkdir -p "$w"
kinds="ARRAY['purchase','purchase','inquiry','reply','email_open','visit','trial_use','demo_request','rejected','call','email','meeting','proposal','quote','contract']"
cat > "$w/single.sql" <<SQL
\set r random(1, 100)
\set hot random(1, $HOT)
\set any random(1, $CUSTOMERS)
\set cust CASE WHEN :r <= 20 THEN :hot ELSE :any END
\set k random(1, 15)
\set back random(-3600, 2592000)
INSERT INTO prio.activities (customer_id, kind, at, amount)
VALUES (:cust, ($kinds)[:k], now() - :back * interval '1 second', CASE WHEN :k <= 2 THEN :r * 10 ELSE 0 END);
SQL
cat > "$w/batch.sql" <<SQL
\set n random(2, 10)
INSERT INTO prio.activities (customer_id, kind, at, amount)
SELECT CASE WHEN random() < 0.2 THEN 1 + floor(random() * $HOT)::int ELSE 1 + floor(random() * $CUSTOMERS)::int END,
       k, now() - (random() * 2592000 - 3600) * interval '1 second',
       CASE WHEN k = 'purchase' THEN round((random() * 5000)::numeric, 2) ELSE 0 END
  FROM generate_series(1, :n) g, LATERAL (SELECT ($kinds)[1 + floor(random() * 15)::int] AS k WHERE g > 0) kk;
SQL
cat > "$w/newcust.sql" <<SQL
BEGIN;
INSERT INTO prio.customers (customer_id, name, owner, need) VALUES (nextval('public.new_customer_seq'), 'new', 'rep9', true);
INSERT INTO prio.activities (customer_id, kind, at)
SELECT currval('public.new_customer_seq'), k, now() - g * interval '1 hour'
  FROM generate_series(1, 3) g, LATERAL (SELECT ($kinds)[3 + floor(random() * 13)::int] AS k WHERE g > 0) kk;
COMMIT;
SQL
cat > "$w/refresh.sql" <<'SQL'
SELECT prio.refresh();
\sleep 300 ms
SQL
# COPY input made by the server itself: customer, kind, at, amount
copy_src() {
	cat <<SQL
COPY (SELECT CASE WHEN random() < 0.2 THEN 1 + floor(random() * $HOT)::int ELSE 1 + floor(random() * $CUSTOMERS)::int END,
             k, now() - (random() * 2592000) * interval '1 second',
             CASE WHEN k = 'purchase' THEN round((random() * 5000)::numeric, 2) ELSE 0 END
        FROM generate_series(1, $1) g, LATERAL (SELECT ($kinds)[1 + floor(random() * 15)::int] AS k WHERE g > 0) kk)
  TO STDOUT
SQL
}
copy_loop() {  # runs until the server is gone
	local i=0 size
	while true; do
		case $(( i % 3 )) in 0) size=100 ;; 1) size=2000 ;; *) size=20000 ;; esac
		i=$(( i + 1 ))
		cluster_psql -d $db -c "$(copy_src $size)" 2>/dev/null \
			| cluster_psql -d $db -c "COPY prio.activities (customer_id, kind, at, amount) FROM STDIN" 2>/dev/null \
			|| return 0
	done
}

check() {  # prints "name value" lines; returns 1 on a failed check
	local out rc=0
	out=$(cluster_psql -d $db -At -f "$(dirname "$0")/state_check.sql") || { echo "check query failed"; return 1; }
	echo "$out"
	for k in recompute differ state_rows_mismatch facts_vs_sql history_orphans; do
		[ "$(echo "$out" | sed -n "s/^$k //p")" = 0 ] || { echo "FAIL: $k is not 0"; rc=1; }
	done
	return $rc
}
count_activities() { cluster_psql -d $db -At -c "SELECT count(*) FROM prio.activities"; }

fail=0
total_before=$(count_activities)
for run in $(seq 1 "$RUNS"); do
	before=$(count_activities)
	cluster_run pgbench -n -d $db -c 4 -j 4 -T 120 -f "$w/single.sql@5" -f "$w/batch.sql@5" >"$w/ins.$run" 2>&1 &
	p1=$!
	cluster_run pgbench -n -d $db -c 1 -T 120 -f "$w/newcust.sql" >"$w/new.$run" 2>&1 &
	p2=$!
	cluster_run pgbench -n -d $db -c 1 -T 120 -f "$w/refresh.sql" >"$w/ref.$run" 2>&1 &
	p3=$!
	copy_loop & p4=$!
	copy_loop & p5=$!
	cluster_cleanup_extra() { kill $p1 $p2 $p3 $p4 $p5 2>/dev/null; }
	sleep $(( 2 + run % 3 ))   # 3, 4, 2, 3, ... seconds of load
	cluster_crash
	for p in $p1 $p2 $p3 $p4 $p5; do wait "$p" 2>/dev/null || true; done
	unset -f cluster_cleanup_extra
	cluster_start
	after=$(count_activities)
	echo "crash run $run: killed mid-load (pg_ctl stop -m immediate), recovered; $(( after - before )) activity rows committed before the crash"
	if ! out=$(check); then fail=1; fi
	echo "$out" | sed 's/^/  /'
done

# The server log: only the errors a crash explains.
bad=$(grep -E ' (ERROR|PANIC|FATAL): ' "$CL_LOG" | grep -vE ' (57P0[123]|08[0-9A-Z]{3}) (FATAL): ' || true)
if [ -n "$bad" ]; then
	echo "FAIL: unexpected errors in the server log:"; echo "$bad" | head -20; fail=1
fi
echo "crash: $RUNS crash runs, $(( $(count_activities) - total_before )) activity rows loaded in total," \
	"$(grep -cE ' FATAL: ' "$CL_LOG" || true) expected FATAL lines, recoveries logged: $(grep -c 'automatic recovery in progress' "$CL_LOG" || true)"
echo "crash: $(( $(date +%s) - started ))s total"
if [ $fail -ne 0 ]; then echo "crash: FAILED"; exit 1; fi
echo "crash: OK"
