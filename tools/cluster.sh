# tools/cluster.sh -- sourced (not run) by tools/stress.sh, crash.sh and
# dumprestore.sh: a throwaway PostgreSQL 15 cluster of their own.
#
#   cluster_init [extra postgresql.conf lines...]   initdb in a fresh temp dir
#   cluster_init_prio [lines...]  the same, in a private copy when PRIO_PRIVATE is set
#   cluster_start / cluster_stop [mode] / cluster_crash   (crash = stop -m immediate)
#   cluster_psql ARGS...     psql -X as postgres over the cluster's unix socket
#   cluster_run CMD ARGS...  any client (pgbench, pg_dump, ...) with PGHOST/PGPORT/PGUSER set
#   CL_DIR, CL_DATA, CL_LOG, CL_SOCK, CL_PORT
#
# The cluster is owned by postgres when run as root (initdb refuses root), listens
# only on a unix socket inside its temp dir (no TCP, so no port clashes), and is
# stopped and removed by an EXIT trap whatever happens.  Needs the Debian
# postgresql-15 server binaries and prio installed in that server (make install).

PGBIN=${PGBIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
[ -x "$PGBIN/initdb" ] || PGBIN=/usr/lib/postgresql/15/bin
CL_PORT=${CL_PORT:-5433}

if [ "$(id -u)" = 0 ]; then
	cl_as() { runuser -u postgres -- "$@"; }
else
	cl_as() { "$@"; }
fi

cluster_cleanup() {
	# a script's own clean-up first (background clients), if it defines one
	if declare -F cluster_cleanup_extra >/dev/null; then cluster_cleanup_extra || true; fi
	if [ -n "${CL_DATA:-}" ] && [ -f "$CL_DATA/postmaster.pid" ]; then
		cl_as "$PGBIN/pg_ctl" -D "$CL_DATA" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [ -n "${CL_DIR:-}" ] && [ -d "$CL_DIR" ]; then
		if [ -n "${KEEP_CLUSTER:-}" ]; then
			echo "kept $CL_DIR (KEEP_CLUSTER set)" >&2
		else
			rm -rf "$CL_DIR"
		fi
	fi
}

cluster_init() {
	CL_DIR=$(mktemp -d "${TMPDIR:-/tmp}/prio_rel.XXXXXX")
	CL_DATA=$CL_DIR/data
	CL_LOG=$CL_DIR/server.log
	CL_SOCK=$CL_DIR
	chmod 755 "$CL_DIR"
	[ "$(id -u)" = 0 ] && chown postgres: "$CL_DIR"
	trap 'cluster_cleanup' EXIT
	trap 'exit 130' INT TERM
	cl_as "$PGBIN/initdb" -D "$CL_DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 -N >"$CL_DIR/initdb.log" 2>&1 \
		|| cl_as "$PGBIN/initdb" -D "$CL_DATA" -U postgres -A trust -E UTF8 --locale=C -N >"$CL_DIR/initdb.log" 2>&1 \
		|| { cat "$CL_DIR/initdb.log" >&2; echo "initdb failed" >&2; return 1; }
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$CL_SOCK'"
		echo "port = $CL_PORT"
		echo "logging_collector = off"
		echo "log_line_prefix = '%m [%p] %e '"
		for line in "$@"; do echo "$line"; done
	} | cl_as tee -a "$CL_DATA/postgresql.conf" >/dev/null
}

# cluster_init, or with PRIO_PRIVATE set, tools/private.sh's copy of PostgreSQL
# with this tree's prio built into it and a cluster of its binaries
cluster_init_prio() {
	if [ -n "${PRIO_PRIVATE:-}" ]; then
		. tools/private.sh
		private_init
		private_cluster "$@"
	else
		cluster_init "$@"
	fi
}

cluster_start() {
	cl_as "$PGBIN/pg_ctl" -D "$CL_DATA" -l "$CL_LOG" -w -t 120 start >/dev/null \
		|| { tail -20 "$CL_LOG" >&2; echo "server did not start" >&2; return 1; }
}

cluster_stop() {
	cl_as "$PGBIN/pg_ctl" -D "$CL_DATA" -m "${1:-fast}" -w -t 120 stop >/dev/null
}

cluster_crash() {
	cl_as "$PGBIN/pg_ctl" -D "$CL_DATA" -m immediate -w stop >/dev/null
}

cluster_psql() {
	PGHOST=$CL_SOCK PGPORT=$CL_PORT PGUSER=postgres PGOPTIONS= psql -X -q -v ON_ERROR_STOP=1 "$@"
}

cluster_run() {
	PGHOST=$CL_SOCK PGPORT=$CL_PORT PGUSER=postgres PGOPTIONS= "$@"
}
