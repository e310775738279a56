# shellcheck shell=bash
# memcached.sh — four memcached instances (sourced by services.sh).
#
# Ports 11311-11314 on 127.0.0.1, 64 MB each, UDP off, running as user
# memcache; state in $HAKIT_STATE/memcached/<port>.

MEMCACHED_DIR="$HAKIT_STATE/memcached"
MEMCACHED_PORTS=(11311 11312 11313 11314)


memcached_pid() { pid_alive "$MEMCACHED_DIR/$1/memcached.pid" "$1"; }

memcached_answers() { tcp_exchange "$1" 'version\r\nquit\r\n' | grep -q '^VERSION'; }

memcached_up() {
	local p d
	for p in "${MEMCACHED_PORTS[@]}"; do
		d="$MEMCACHED_DIR/$p"
		mkdir -p "$d"
		memcached_pid "$p" >/dev/null && continue
		port_free "$p" || die "memcached: 127.0.0.1:$p is taken by another process"
		log "memcached: starting $p"
		spawn "$d/memcached.pid" "$d/memcached.log" \
			memcached -l 127.0.0.1 -p "$p" -U 0 -m 64 -c 1024 -u memcache
	done
	for p in "${MEMCACHED_PORTS[@]}"; do
		wait_until "$HAKIT_WAIT" memcached_answers "$p" ||
			die_log "memcached: $p does not answer" "$MEMCACHED_DIR/$p/memcached.log"
	done
}

memcached_down() {
	local p
	for p in "${MEMCACHED_PORTS[@]}"; do
		if memcached_pid "$p" >/dev/null; then
			log "memcached: stopping $p"
			stop_pidfile "$MEMCACHED_DIR/$p/memcached.pid" "$p" 20
		fi
	done
}

memcached_status() {
	local p out=() ok=up
	for p in "${MEMCACHED_PORTS[@]}"; do
		if memcached_pid "$p" >/dev/null && memcached_answers "$p"; then
			out+=("$p=up")
		else
			out+=("$p=down")
			ok=down
		fi
	done
	status_line memcached "$ok" "${out[*]}"
	[ "$ok" = up ]
}
