# shellcheck shell=bash
# ferretdb.sh — the MongoDB wire protocol on 127.0.0.1:27117 (sourced by
# services.sh).
#
# Debian has no MongoDB server: scripts/ferretdb is a small program of ours
# (a nested Go module, so the library's go.mod stays clean) embedding
# FerretDB 1.24 with its SQLite backend. Its binary is cached outside the
# repository as $HAKIT_CACHE/ferretdb-<hash of its sources and the Go
# version> and rebuilt only when those change; a cold build takes minutes on
# two cores. Data lives in $HAKIT_STATE/ferretdb/data.

FERRETDB_DIR="$HAKIT_STATE/ferretdb"
FERRETDB_ADDR=127.0.0.1:27117
FERRETDB_TAGS=ferretdb_no_postgresql


ferretdb_src() { echo "$HAKIT_SCRIPTS/ferretdb"; }

# ferretdb_binary prints the cache path of the binary for the current sources.
ferretdb_binary() {
	command -v go >/dev/null || die "ferretdb: the Go toolchain (go) is needed to build scripts/ferretdb"
	local src hash
	src=$(ferretdb_src)
	hash=$(
		cd "$src" && {
			go version
			echo "tags=$FERRETDB_TAGS"
			cat go.mod go.sum
			for f in *.go; do
				echo "== $f"
				cat "$f"
			done
		} | sha256sum | cut -c1-16
	)
	echo "$HAKIT_CACHE/ferretdb-$hash"
}

ferretdb_build() {
	local bin=$1 src tmp t0
	src=$(ferretdb_src)
	mkdir -p "$HAKIT_CACHE" "$FERRETDB_DIR"
	tmp="$bin.tmp.$$"
	log "ferretdb: building $bin (a cold build takes minutes)"
	t0=$SECONDS
	if ! (cd "$src" && go build -tags "$FERRETDB_TAGS" -trimpath -o "$tmp" .) >"$FERRETDB_DIR/build.log" 2>&1; then
		rm -f "$tmp"
		die_log "ferretdb: go build in scripts/ferretdb failed" "$FERRETDB_DIR/build.log"
	fi
	mv "$tmp" "$bin"
	log "ferretdb: built in $((SECONDS - t0))s"
	# Older builds are of no use any more.
	local old
	for old in "$HAKIT_CACHE"/ferretdb-*; do
		[ "$old" = "$bin" ] || [ ! -f "$old" ] || rm -f "$old"
	done
}

ferretdb_pid() { pid_alive "$FERRETDB_DIR/ferretdb.pid" "$HAKIT_CACHE/ferretdb-"; }

ferretdb_up() {
	local bin d=$FERRETDB_DIR
	bin=$(ferretdb_binary)
	[ -x "$bin" ] || ferretdb_build "$bin"
	mkdir -p "$d/data"
	if ferretdb_pid >/dev/null; then
		if pid_alive "$d/ferretdb.pid" "$bin" >/dev/null && "$bin" -ping "$FERRETDB_ADDR" 2>/dev/null; then
			return 0
		fi
		log "ferretdb: restarting (binary changed or not answering)"
		stop_pidfile "$d/ferretdb.pid" "$HAKIT_CACHE/ferretdb-" 20
	fi
	port_free "${FERRETDB_ADDR##*:}" || die "ferretdb: $FERRETDB_ADDR is taken by another process"
	log "ferretdb: starting on $FERRETDB_ADDR"
	spawn "$d/ferretdb.pid" "$d/ferretdb.log" "$bin" -listen "$FERRETDB_ADDR" -dir "$d/data"
	wait_until "$HAKIT_WAIT" "$bin" -ping "$FERRETDB_ADDR" ||
		die_log "ferretdb: does not answer ping on $FERRETDB_ADDR" "$d/ferretdb.log"
}

ferretdb_down() {
	if ferretdb_pid >/dev/null; then
		log "ferretdb: stopping"
		stop_pidfile "$FERRETDB_DIR/ferretdb.pid" "$HAKIT_CACHE/ferretdb-" 20
	fi
}

ferretdb_status() {
	local pid
	if pid=$(ferretdb_pid); then
		status_line ferretdb up "$FERRETDB_ADDR pid:$pid $(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -d' ' -f1)"
	else
		status_line ferretdb down ""
		return 1
	fi
}
