#!/bin/bash
# make bench [SCALE=small|medium|large]: set-up as make test, then bench/inside.sh
# in a throwaway cluster.  Prints one table and writes it to bench/results.md
# (medium) or bench/out/results-<scale>.md (other scales).
set -euo pipefail
cd "$(dirname "$0")/.."
export SCALE=${SCALE:-medium}
case "$SCALE" in small|medium|large) ;; *) echo "SCALE must be small, medium or large" >&2; exit 2;; esac
tools/deps.sh python3-pandas
make -s
make -s install >/dev/null
mkdir -p bench/out
chmod 777 bench/out          # the cluster (user postgres) writes the COPY file here
# Settings that keep checkpoints and a small buffer pool out of the figures;
# maintenance_work_mem is what a whole-table rebuild (recompute) keeps activities in.
exec pg_virtualenv -v 15 -o shared_buffers=2GB -o maintenance_work_mem=2GB -o max_wal_size=8GB -o checkpoint_timeout=30min \
	-o max_parallel_workers_per_gather=2 bench/inside.sh
