#!/bin/bash
# make test: packages, the C layout (make check-layout), build, install, then
# both suites in a throwaway cluster -- or against the server in PGHOST/PGDATABASE when the caller set one.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/deps.sh
# the C layout rules (CONTRIBUTING.md), checked against the tree first: cheap
tools/layout.sh
make -s
if ! make -s install >/dev/null; then
	echo "prio: 'make install' failed; it writes to $(pg_config --pkglibdir) (run as root)" >&2
	exit 1
fi

if [ -n "${PGHOST:-}${PGDATABASE:-}" ]; then
	exec tools/check.sh
fi
# pg_virtualenv creates a temporary cluster (owned by postgres when run as root)
# and removes it afterwards, whatever the outcome; specs/app_prepare.spec
# needs prepared transactions.
exec pg_virtualenv -v 15 -o max_prepared_transactions=4 tools/check.sh
