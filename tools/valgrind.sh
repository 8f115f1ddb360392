#!/bin/bash
# tools/valgrind.sh -- the pg_regress suite (make installcheck: the sql/ tests and
# the isolation specs; with TAP=1 the pgTAP files too) against a PostgreSQL server
# running under valgrind memcheck, then the valgrind errors with a frame in prio's
# code, each with its stack and the tests whose backends hit it.  Not part of CI.
#
# Like tools/asserts.sh it never touches the system's prio: tools/private.sh builds
# prio (production flags, -g) into a private copy of PostgreSQL 15, and the server
# is started from that copy, as postgres, under
#   valgrind --trace-children=yes --leak-check=no --error-exitcode=128
#            --suppressions=tools/valgrind.supp
# one log per process.  A backend that had an error exits 128, which the postmaster
# treats as a crash (all sessions reset): so each test runs in a pg_regress of its
# own, after the server is ready again.  Errors outside prio (PostgreSQL false
# positives tools/valgrind.supp misses) are counted and summarised by their top frames.
# Limit: Debian's server is not built with USE_VALGRIND, so memcheck sees malloc'd
# blocks, not palloc chunks: it catches uninitialised reads of fresh memory (a new
# block, a chunk over 8 kB) and accesses outside a block, but not a read of a
# recycled chunk's stale bytes or an overrun into the next chunk of the same block.
# Exits 1 when an error has a frame in prio or a test failed.
# Takes about 7.5 minutes, 4.5 without ../shared's CDNOW data (TAP=1: about 23 minutes
# more, 20 of them test/fuzz.sql;
# measured on 2 cores).  Installs valgrind if missing
# (tools/deps.sh).  VG_KEEP=DIR copies the per-process logs there; VG_TESTS="a b"
# runs only the tests (sql, spec or pgTAP file names) listed; VG_OPTS adds valgrind
# options (VG_OPTS=-s lists the suppressions used in each process's log).
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
tools/deps.sh valgrind
CL_PORT=${CL_PORT:-5532}
. tools/private.sh

private_init ""
private_cluster "log_line_prefix = '%m [%p] %e %a '" "log_connections = on" "jit = off"
vg=$CL_DIR/valgrind
mkdir "$vg"
[ "$(id -u)" = 0 ] && chown postgres: "$vg"
supp=$PRIV_SRC/tools/valgrind.supp

# The postmaster under valgrind (pg_ctl would put a shell between them).
cl_as valgrind --trace-children=yes --leak-check=no --error-exitcode=128 \
	--suppressions="$supp" --num-callers=40 --fullpath-after= \
	--error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END \
	--log-file="$vg/%p.log" ${VG_OPTS:-} \
	"$PGBIN/postgres" -D "$CL_DATA" >>"$CL_LOG" 2>&1 &
vg_pid=$!
stop_server() {  # fast, else immediate; a postmaster still there after 60 s is killed
	local i pm
	cluster_stop fast || cluster_crash || true
	for i in $(seq 60); do kill -0 $vg_pid 2>/dev/null || break; sleep 1; done
	if kill -0 $vg_pid 2>/dev/null; then
		pm=$(head -1 "$CL_DATA/postmaster.pid" 2>/dev/null || true)
		[ -n "$pm" ] && kill -KILL "$pm" 2>/dev/null
	fi
	wait $vg_pid || true
}

# Ready again: after a backend's valgrind error (exit 128) the postmaster resets
# everything and recovers, which takes a while under valgrind.
ready() {
	local i
	for i in $(seq 600); do
		"$PGBIN/pg_isready" -q -h "$CL_SOCK" -p "$CL_PORT" && return 0
		kill -0 $vg_pid 2>/dev/null || { tail -20 "$CL_LOG" >&2; echo "prio valgrind: the server is gone" >&2; return 1; }
		sleep 1
	done
	echo "prio valgrind: server not ready after 600 s" >&2
	return 1
}
ready
echo "prio valgrind: server up under valgrind after $(( $(date +%s) - started )) s"

# One test per pg_regress run, waiting for the server between them, so that one
# test's valgrind error (which resets the server as its backend exits) does not
# fail the tests after it.  The lists are the Makefile's.
status=0
failed=()
lists=$(cd "$PRIV_SRC" && make -s --no-print-directory PG_CONFIG="$PRIV_BIN/pg_config" \
	--eval='print-lists: ; @echo "$(REGRESS)"; echo "$(ISOLATION)"' print-lists)
regress=$(sed -n 1p <<<"$lists")
isolation=$(sed -n 2p <<<"$lists")
selected() { [ -z "${VG_TESTS:-}" ] || [[ " $VG_TESTS " == *" $1 "* ]]; }
run_one() {  # kind test make-args...
	local kind=$1 t=$2 out t0
	shift 2
	selected "$t" || return 0
	sleep 2; ready
	t0=$(date +%s)
	out=$(cd "$PRIV_SRC" && private_env make -s installcheck "$@" 2>&1) && {
		printf '%-10s %-22s ok      %4d s\n' "$kind" "$t" $(( $(date +%s) - t0 ))
		return 0
	}
	printf '%-10s %-22s FAILED  %4d s\n' "$kind" "$t" $(( $(date +%s) - t0 ))
	[ -f "$PRIV_SRC/regression.diffs" ] && cp "$PRIV_SRC/regression.diffs" "$CL_DIR/$kind-$t.diffs"
	sed -n '/^test \|^ok \|^not ok /p; /psql: error\|command failed/p' <<<"$out" | head -5
	failed+=("$kind/$t")
	status=1
}
t0=$(date +%s)
for t in $regress; do run_one regress "$t" "REGRESS=$t" "ISOLATION="; done
for t in $isolation; do run_one isolation "$t" "REGRESS=" "ISOLATION=$t"; done
echo "prio valgrind: pg_regress took $(( $(date +%s) - t0 )) s"

if [ -n "${TAP:-}" ]; then
	t0=$(date +%s)
	ready
	private_env psql -X -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS prio_tap" -c "CREATE DATABASE prio_tap"
	private_env psql -X -q -v ON_ERROR_STOP=1 -d prio_tap -c 'CREATE EXTENSION prio' -c 'CREATE EXTENSION pgtap'
	for f in "$PRIV_SRC"/test/*.sql; do
		t=$(basename "$f" .sql)
		selected "$t" || continue
		sleep 2; ready
		# one pg_prove per file: the file's name is its backend's application_name
		t1=$(date +%s)
		if PGAPPNAME=pgtap/$t private_env pg_prove --ext .sql -d prio_tap "$f" >"$CL_DIR/tap-$t.out" 2>&1; then
			printf '%-10s %-22s ok      %4d s\n' pgtap "$t" $(( $(date +%s) - t1 ))
		else
			printf '%-10s %-22s FAILED  %4d s\n' pgtap "$t" $(( $(date +%s) - t1 ))
			grep -E '^not ok|Failed|Dubious|psql:' "$CL_DIR/tap-$t.out" | head -5
			failed+=("pgtap/$t")
			status=1
		fi
	done
	echo "prio valgrind: pgTAP took $(( $(date +%s) - t0 )) s"
fi

sleep 2
ready || true
stop_server
[ -n "${VG_KEEP:-}" ] && { mkdir -p "$VG_KEEP"; cp "$vg"/*.log "$CL_LOG" "$CL_DIR"/*.diffs "$VG_KEEP"/ 2>/dev/null || true; }
resets=$(grep -c 'exited with exit code 128' "$CL_LOG" || true)

# pid -> application_name (pg_regress/TEST, isolation/TEST/..., pgtap/FILE)
sed -n 's/.*\[\([0-9]*\)\].*connection authorized: .*application_name=\([^ ]*\).*/\1 \2/p' "$CL_LOG" >"$CL_DIR/apps"

report=$CL_DIR/report
awk -v src="$PRIV_SRC/" -v appsfile="$CL_DIR/apps" '
	BEGIN { while ((getline l < appsfile) > 0) { split(l, a, " "); app[a[1]] = a[2] } }
	FNR == 1 { pid = FILENAME; sub(/.*\//, "", pid); sub(/\.log$/, "", pid) }
	{ line = $0; sub(/^==[0-9]+== ?/, "", line) }
	line ~ /^Command: / { procs++ }
	line ~ /^ERROR SUMMARY: .*suppressed: / { x = line; sub(/.*suppressed: /, "", x); sub(/ .*/, "", x); suppressed += x }
	line == "VALGRINDERROR-BEGIN" { inblk = 1; blk = ""; sig = ""; inprio = 0; next }
	line == "VALGRINDERROR-END" {
		inblk = 0; total++
		who = (pid in app) ? app[pid] : "pid " pid
		if (!(sig in count)) { order[++n] = sig; text[sig] = blk; isprio[sig] = inprio }
		count[sig]++
		if (index(whos[sig], who " ") == 0 && length(whos[sig]) < 600) whos[sig] = whos[sig] who " "
		next
	}
	inblk {
		if (line == "") next
		blk = blk "    " line "\n"
		frame = line; sub(/0x[0-9A-Fa-f]+: /, "", frame)
		if (frame ~ /^(at|by) / || sig == "") sig = sig frame "|"
		if (index(line, src) || line ~ /\/prio\.so\)/) inprio = 1
	}
	END {
		for (i = 1; i <= n; i++) if (isprio[order[i]]) { np++; nprio += count[order[i]] }
		printf "valgrind: %d processes; errors: %d in all; %d in prio (%d distinct), %d elsewhere; %d suppressed\n", procs, total, nprio, np, total - nprio, suppressed
		for (i = 1; i <= n; i++) {
			s = order[i]; if (!isprio[s]) continue
			printf "\n=== prio error %d/%d, %d times, in: %s\n%s", ++k, np, count[s], whos[s], text[s]
		}
		m = 0
		for (i = 1; i <= n; i++) {
			s = order[i]; if (isprio[s]) continue
			if (!m++) printf "\n=== outside prio (false positives to suppress?):\n"
			split(text[s], ln, "\n")
			printf "  %d times (%s): %s / %s / %s / %s\n", count[s], whos[s], ln[1], ln[2], ln[3], ln[4]
		}
		exit (nprio > 0)
	}
' "$vg"/*.log >"$report" && prio_clean=1 || prio_clean=0
cat "$report"
[ $prio_clean = 1 ] || status=1
grep -q 'in prio (0 distinct)' "$report" || status=1
echo "prio valgrind: $resets backend(s) exited 128 (a valgrind error) and reset the server"
[ ${#failed[@]} -eq 0 ] || echo "prio valgrind: failed tests: ${failed[*]}"
echo "prio valgrind: $([ $status -eq 0 ] && echo clean || echo FAILED), $(( $(date +%s) - started )) s"
exit $status
