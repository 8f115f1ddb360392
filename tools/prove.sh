#!/bin/bash
# pgTAP suite: a fresh database with prio and pgtap, then pg_prove over test/*.sql.
set -euo pipefail
cd "$(dirname "$0")/.."
# The tests count days with now() - interval 'N days' in the session's zone, prio
# with 24-hour days: in a zone with summer time (the machine's, by default) they
# disagreed for weeks after each change (Europe/Berlin, 2027-03-29: 22 failed in 8 files).
# pg_regress pins its zone too.
export PGTZ=UTC

db=prio_tap
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION prio' -c 'CREATE EXTENSION pgtap'
pg_prove --ext .sql -d "$db" test/
