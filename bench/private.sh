#!/bin/bash
# bench/private.sh -- bench/inside.sh against a private install of this tree
# (tools/private.sh: a copy of PostgreSQL 15 with this tree's prio built into
# it, a throwaway cluster of its own), for a helper's A/B runs without
# `make install` into the system's PostgreSQL.  Same server settings as
# bench/run.sh.  The raw figures and the table are left in bench/out/ of
# this tree (raw-private-<scale>.txt, results-private-<scale>.md);
# bench/results.md is not touched.
#
#   SCALE=small MEASURES="4 5" CL_PORT=5481 bench/private.sh
#
# KEEP_CLUSTER=1 keeps the copy and the cluster's data directory (stopped)
# for more runs by hand.  PRIV_CONF: more postgresql.conf lines, one a line
# (e.g. "synchronous_commit = off" on a machine whose disk others share: the
# figures are then CPU's, not the disk's).  PRIV_SO: a prio.so built from
# another commit of the same SQL, run in place of this tree's (an A/B of C
# changes).
set -euo pipefail
cd "$(dirname "$0")/.."
export SCALE=${SCALE:-small}
case "$SCALE" in small|medium|large) ;; *) echo "SCALE must be small, medium or large" >&2; exit 2;; esac
tree=$(pwd)
. tools/private.sh
private_init
if [ -n "${PRIV_SO:-}" ]; then
	cp "$PRIV_SO" "$PRIV_DIR/usr/lib/postgresql/15/lib/prio.so"
fi
conf=()
while IFS= read -r line; do [ -n "$line" ] && conf+=("$line"); done <<< "${PRIV_CONF:-}"
private_cluster "shared_buffers = 2GB" "maintenance_work_mem = 2GB" "max_wal_size = 8GB" \
	"checkpoint_timeout = 30min" "max_parallel_workers_per_gather = 2" ${conf[@]+"${conf[@]}"}
cluster_start
mkdir -p "$PRIV_SRC/bench/out" "$tree/bench/out"
chmod 777 "$PRIV_SRC/bench/out"	# the cluster (user postgres) writes the COPY file there
status=0
private_env env PGHOST="$CL_SOCK" SCALE="$SCALE" MEASURES="${MEASURES:-1 2 3 4 5 6 7 8 9 10}" \
	"$PRIV_SRC/bench/inside.sh" | tee "$tree/bench/out/results-private-$SCALE.md" || status=$?
cp "$PRIV_SRC/bench/out/raw-$SCALE.txt" "$tree/bench/out/raw-private-$SCALE.txt" || true
exit $status
