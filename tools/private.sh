# tools/private.sh -- sourced (not run) by tools/asserts.sh and tools/valgrind.sh:
# a private copy of the Debian PostgreSQL 15 installation with this tree's prio
# built into it, so a special build (assertions, valgrind) never touches the
# system's prio (/usr/lib/postgresql/15/lib/prio.so, .../extension/prio*).
#
#   private_init [CPPFLAGS]  copies /usr/lib/postgresql/15, /usr/share/postgresql/15
#                            and /usr/include/postgresql into a temp dir (PostgreSQL
#                            is relocatable: the copy's pg_config and postgres find
#                            the copy's lib, share and include dirs), copies this
#                            source tree beside them (git's files, not the .o files
#                            of this tree), builds prio there with PG_CPPFLAGS=CPPFLAGS
#                            and installs it into the copy.  About 10 s.
#   private_cluster [postgresql.conf lines...]
#                            tools/cluster.sh's cluster_init with the copy's binaries
#   private_env CMD ARGS...  CMD with the copy's bin first on PATH (pg_config, psql,
#                            pg_regress via PGXS) and PGHOST/PGPORT/PGUSER/PGDATABASE
#                            of the cluster, as tools/check.sh expects
#   PRIV_DIR  the temp dir; PRIV_BIN its PostgreSQL bindir; PRIV_SRC the built tree
#
# Everything (cluster, copy) is removed by an EXIT trap whatever happens, unless
# KEEP_CLUSTER is set.  The copy is readable by postgres, which runs the server.

PRIV_PG=/usr/lib/postgresql/15
PRIV_DIR=$(mktemp -d "${TMPDIR:-/tmp}/prio_priv.XXXXXX")
chmod 755 "$PRIV_DIR"
PRIV_BIN=$PRIV_DIR$PRIV_PG/bin
PRIV_SRC=$PRIV_DIR/prio
. tools/cluster.sh

private_cleanup() {
	cluster_cleanup
	if [ -n "${KEEP_CLUSTER:-}" ]; then
		echo "kept $PRIV_DIR (KEEP_CLUSTER set)" >&2
	else
		rm -rf "$PRIV_DIR"
	fi
}
trap private_cleanup EXIT
trap 'exit 130' INT TERM

private_init() {
	local cppflags=${1:-} tree d
	tree=$(pwd)
	[ -x "$PRIV_PG/bin/postgres" ] || { echo "prio: $PRIV_PG/bin/postgres is missing (postgresql-15)" >&2; return 1; }
	mkdir -p "$PRIV_DIR/usr/lib/postgresql" "$PRIV_DIR/usr/share/postgresql" "$PRIV_DIR/usr/include"
	cp -a "$PRIV_PG" "$PRIV_DIR/usr/lib/postgresql/"
	cp -a /usr/share/postgresql/15 "$PRIV_DIR/usr/share/postgresql/"
	cp -a /usr/include/postgresql "$PRIV_DIR/usr/include/"
	# the system's prio must not be what the copy loads
	rm -rf "$PRIV_DIR$PRIV_PG/lib/prio.so" "$PRIV_DIR$PRIV_PG/lib/bitcode/prio" \
		"$PRIV_DIR$PRIV_PG/lib/bitcode/prio.index.bc" "$PRIV_DIR"/usr/share/postgresql/15/extension/prio[.-]*
	for d in bindir pkglibdir sharedir includedir-server pgxs; do
		case $("$PRIV_BIN/pg_config" --$d) in
		"$PRIV_DIR"/*) ;;
		*) echo "prio: the copy's pg_config --$d is not inside $PRIV_DIR: PostgreSQL did not relocate" >&2
		   return 1 ;;
		esac
	done
	PGBIN=$PRIV_BIN   # tools/cluster.sh's binaries: the copy's, from now on

	# the working tree as git sees it (tracked and new files, edits included), or
	# everything but build products when this is not a git checkout
	mkdir "$PRIV_SRC"
	if git rev-parse --show-toplevel >/dev/null 2>&1; then
		git ls-files -z --cached --others --exclude-standard \
			| while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
			| tar --null -T - -cf - | tar -xf - -C "$PRIV_SRC"
	else
		tar --exclude='*.o' --exclude='*.so' --exclude='*.bc' --exclude=results \
			--exclude=output_iso --exclude=tmp_check -cf - . | tar -xf - -C "$PRIV_SRC"
	fi
	# the CDNOW tests read ../shared beside the tree
	[ -d "$tree/../shared" ] && ln -s "$(cd "$tree/../shared" && pwd)" "$PRIV_DIR/shared"

	make -s -C "$PRIV_SRC" PG_CONFIG="$PRIV_BIN/pg_config" PG_CPPFLAGS="$cppflags" >/dev/null
	make -s -C "$PRIV_SRC" PG_CONFIG="$PRIV_BIN/pg_config" PG_CPPFLAGS="$cppflags" install >/dev/null
	[ -f "$PRIV_DIR$PRIV_PG/lib/prio.so" ] || { echo "prio: not installed into the copy" >&2; return 1; }
}

private_cluster() {
	cluster_init "$@"
	trap private_cleanup EXIT   # cluster_init set its own; ours removes the copy too
}

private_env() {
	PATH=$PRIV_BIN:$PATH PG_CONFIG=$PRIV_BIN/pg_config \
		PGHOST=$CL_SOCK PGPORT=$CL_PORT PGUSER=postgres PGDATABASE=postgres PGOPTIONS= "$@"
}
