#!/bin/bash
# make demo: packages, build, install, then the demo in a throwaway cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
make -s
make -s install >/dev/null
exec pg_virtualenv -v 15 psql -X -q -v ON_ERROR_STOP=1 -f tools/demo.sql
