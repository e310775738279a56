# shellcheck shell=bash
# nutcracker.sh — twemproxy in front of the four memcached (sourced by services.sh).
#
# Two nutcracker processes, one pool each, over 127.0.0.1:11311-11314 with
# weights 1, 2, 3, 4 (ketama distribution, auto_eject_hosts off):
#   md5:      listen 22121, stats 22131, hash md5
#   fnv1a_64: listen 22122, stats 22132, hash fnv1a_64
# Ports 22123-22124 and 22133-22134 stay free for tests that start their
# own nutcracker. State in $HAKIT_STATE/nutcracker/<pool>.

NUTCRACKER_DIR="$HAKIT_STATE/nutcracker"
NUTCRACKER_POOLS=(md5 fnv1a_64)


nutcracker_listen() { case $1 in md5) echo 22121 ;; fnv1a_64) echo 22122 ;; esac; }
nutcracker_stats() { case $1 in md5) echo 22131 ;; fnv1a_64) echo 22132 ;; esac; }

nutcracker_pid() { pid_alive "$NUTCRACKER_DIR/$1/nutcracker.pid" "$NUTCRACKER_DIR/$1/"; }

nutcracker_config() {
	local pool=$1
	cat <<CNF
# hakit nutcracker pool $pool, written by scripts/services.sh
$pool:
  listen: 127.0.0.1:$(nutcracker_listen "$pool")
  hash: $pool
  distribution: ketama
  timeout: 1000
  auto_eject_hosts: false
  servers:
   - 127.0.0.1:11311:1
   - 127.0.0.1:11312:2
   - 127.0.0.1:11313:3
   - 127.0.0.1:11314:4
CNF
}

# nutcracker_answers POOL stores and reads a key through the pool and reads
# the stats port.
nutcracker_answers() {
	local pool=$1 out
	out=$(tcp_exchange "$(nutcracker_listen "$pool")" 'set hakit:services:ready 0 60 2\r\nok\r\nget hakit:services:ready\r\nquit\r\n') || return 1
	echo "$out" | grep -q '^STORED' || return 1
	echo "$out" | grep -q '^VALUE hakit:services:ready' || return 1
	tcp_exchange "$(nutcracker_stats "$pool")" '' | grep -q '"service":"nutcracker"'
}

nutcracker_up() {
	with_service_lock memcached memcached_up
	local pool d
	for pool in "${NUTCRACKER_POOLS[@]}"; do
		d="$NUTCRACKER_DIR/$pool"
		mkdir -p "$d"
		nutcracker_config "$pool" >"$d/nutcracker.yml.new"
		if nutcracker_pid "$pool" >/dev/null; then
			if cmp -s "$d/nutcracker.yml.new" "$d/nutcracker.yml"; then
				rm -f "$d/nutcracker.yml.new"
				continue
			fi
			log "nutcracker: $pool: config changed, restarting"
			stop_pidfile "$d/nutcracker.pid" "$d/" 20
		fi
		mv "$d/nutcracker.yml.new" "$d/nutcracker.yml"
		nutcracker -t -c "$d/nutcracker.yml" >"$d/check.log" 2>&1 ||
			die_log "nutcracker: $pool: invalid config" "$d/check.log"
		port_free "$(nutcracker_listen "$pool")" || die "nutcracker: 127.0.0.1:$(nutcracker_listen "$pool") is taken by another process"
		port_free "$(nutcracker_stats "$pool")" || die "nutcracker: 127.0.0.1:$(nutcracker_stats "$pool") is taken by another process"
		log "nutcracker: starting pool $pool"
		spawn "$d/nutcracker.pid" "$d/nutcracker.log" \
			nutcracker -c "$d/nutcracker.yml" -a 127.0.0.1 -s "$(nutcracker_stats "$pool")" -v 5
	done
	for pool in "${NUTCRACKER_POOLS[@]}"; do
		wait_until "$HAKIT_WAIT" nutcracker_answers "$pool" ||
			die_log "nutcracker: pool $pool does not answer" "$NUTCRACKER_DIR/$pool/nutcracker.log"
	done
}

nutcracker_down() {
	local pool
	for pool in "${NUTCRACKER_POOLS[@]}"; do
		if nutcracker_pid "$pool" >/dev/null; then
			log "nutcracker: stopping $pool"
			stop_pidfile "$NUTCRACKER_DIR/$pool/nutcracker.pid" "$NUTCRACKER_DIR/$pool/" 20
		fi
	done
}

nutcracker_status() {
	local pool out=() ok=up
	for pool in "${NUTCRACKER_POOLS[@]}"; do
		if nutcracker_pid "$pool" >/dev/null && nutcracker_answers "$pool"; then
			out+=("$pool=$(nutcracker_listen "$pool")")
		else
			out+=("$pool=down")
			ok=down
		fi
	done
	status_line nutcracker "$ok" "${out[*]}"
	[ "$ok" = up ]
}
