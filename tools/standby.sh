#!/bin/bash
# tools/standby.sh -- a physical streaming standby replays prio's writes exactly.
#
# In a throwaway primary (tools/cluster.sh) with wal_level = replica: prio and
# some customers, then a standby made by pg_basebackup -R, streaming.  On the
# primary, while the standby replays: single-row and batch INSERTs of
# activities (appends and backfills), UPDATEs and DELETEs of activities, BANT
# updates, a settings change, refresh() and recompute().  Then, once the
# standby has replayed the primary's last WAL position, every table of the
# prio schema is compared row by row (an md5 of its rows in order) between
# the two, and the standby's indexes on customer_state are checked with
# amcheck.  Exits 1 on any difference.  About 20 s.  Needs prio installed.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/cluster.sh

started=$(date +%s)
cluster_init "wal_level = replica" "max_wal_senders = 4" "hot_standby = on" \
	"log_min_messages = warning"
cluster_start
SB_DATA=$CL_DIR/standby
SB_PORT=$((CL_PORT + 1))
cluster_cleanup_extra() {
	if [ -f "$SB_DATA/postmaster.pid" ]; then
		cl_as "$PGBIN/pg_ctl" -D "$SB_DATA" -m immediate -w stop >/dev/null 2>&1 || true
	fi
}
sb_psql() {
	PGHOST=$CL_SOCK PGPORT=$SB_PORT PGUSER=postgres PGOPTIONS= psql -X -q -v ON_ERROR_STOP=1 "$@"
}

db=prio_standby
cluster_psql -d postgres -c "CREATE DATABASE $db"
cluster_psql -d $db -f tools/replica_seed.sql -c "CREATE EXTENSION amcheck" >/dev/null

cl_as "$PGBIN/pg_basebackup" -h "$CL_SOCK" -p "$CL_PORT" -U postgres -D "$SB_DATA" -R -X stream -c fast \
	>"$CL_DIR/basebackup.log" 2>&1 || { cat "$CL_DIR/basebackup.log" >&2; exit 1; }
echo "port = $SB_PORT" | cl_as tee -a "$SB_DATA/postgresql.conf" >/dev/null
cl_as "$PGBIN/pg_ctl" -D "$SB_DATA" -l "$CL_DIR/standby.log" -w -t 120 start >/dev/null \
	|| { tail -20 "$CL_DIR/standby.log" >&2; echo "standby did not start" >&2; exit 1; }

# the primary's writes, while the standby streams
cluster_psql -d $db -c "INSERT INTO prio.activities (customer_id, kind, amount) VALUES (7, 'purchase', 120)" \
	-f tools/replica_writes.sql >/dev/null
cluster_psql -d $db >/dev/null <<'SQL'
UPDATE prio.settings SET intent_threshold = intent_threshold + 0.5;
SELECT prio.refresh();
SELECT prio.recompute();
INSERT INTO prio.activities (customer_id, kind) SELECT g, 'inquiry' FROM generate_series(1, 50) g;
SQL

# wait until the standby has replayed everything the primary wrote
target=$(cluster_psql -d postgres -At -c "SELECT pg_current_wal_lsn()")
for i in $(seq 1 300); do
	done_=$(sb_psql -d postgres -At -c "SELECT pg_last_wal_replay_lsn() >= '$target'::pg_lsn")
	[ "$done_" = t ] && break
	sleep 0.2
done
[ "$done_" = t ] || { echo "prio standby: the standby did not replay up to $target" >&2; exit 1; }

tables=$(cluster_psql -d $db -At -c "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                      WHERE n.nspname = 'prio' AND c.relkind = 'r' ORDER BY 1")
status=0
compared=0
for t in $tables; do
	q="SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, E'\n' ORDER BY x::text)), '-') FROM prio.$t x"
	p=$(cluster_psql -d $db -At -c "$q")
	s=$(sb_psql -d $db -At -c "$q")
	compared=$((compared + 1))
	if [ "$p" != "$s" ]; then
		echo "prio standby: prio.$t differs: primary $p, standby $s" >&2
		status=1
	fi
done
for idx in $(sb_psql -d $db -At -c "SELECT indexrelid::regclass FROM pg_index WHERE indrelid = 'prio.customer_state'::regclass"); do
	sb_psql -d $db -c "SELECT bt_index_check('$idx', true)" >/dev/null || { echo "prio standby: amcheck failed on $idx" >&2; status=1; }
done
rows=$(sb_psql -d $db -At -c "SELECT count(*) FROM prio.customer_state")
echo "prio standby: $compared tables compared, customer_state $rows rows on the standby," \
	"$([ $status -eq 0 ] && echo 'all equal to the primary' || echo 'DIFFERENCES'), $(( $(date +%s) - started )) s"
exit $status
