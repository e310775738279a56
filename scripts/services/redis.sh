# shellcheck shell=bash
# redis.sh — Redis master + 2 replicas and 3 Sentinels (sourced by services.sh).
#
# Data ports 16379-16381 (16379 is the master of a fresh start), Sentinels
# 26379-26381 monitoring master name "hakit" with quorum 2,
# down-after-milliseconds 2000 and failover-timeout 3000. Each instance
# lives in $HAKIT_STATE/redis/<port> and runs as user redis. No persistence:
# a restarted instance comes back empty and resyncs from the master.
#
# After a failover any of the three may be the master: `up` asks the
# Sentinels which one it is, restarts dead instances as its replicas, and
# repoints live ones that replicate from elsewhere. down-after is short so
# that failover tests are quick, and not shorter: at 1000 a Sentinel on a
# loaded machine was seen to judge a just-promoted master down within a
# second of the switch and fail over again.

REDIS_DIR="$HAKIT_STATE/redis"
REDIS_PORTS=(16379 16380 16381)
SENTINEL_PORTS=(26379 26380 26381)
REDIS_MASTER_NAME=hakit


rcli() {
	local port=$1
	shift
	timeout 5 redis-cli -h 127.0.0.1 -p "$port" "$@" 2>/dev/null
}

redis_pid() { pid_alive "$REDIS_DIR/$1/redis.pid" "$1"; }
redis_ping() { [ "$(rcli "$1" PING)" = PONG ]; }

# redis_info PORT FIELD prints one field of INFO replication.
redis_info() { rcli "$1" INFO replication | tr -d '\r' | sed -n "s/^$2://p"; }

# sentinel_master PORT prints the master port Sentinel PORT reports.
sentinel_master() {
	local out
	out=$(rcli "$1" SENTINEL get-master-addr-by-name "$REDIS_MASTER_NAME") || return 1
	out=$(echo "$out" | sed -n 2p)
	[ -n "$out" ] && echo "$out"
}

redis_prepare_dir() {
	mkdir -p "$REDIS_DIR/$1"
	chown redis:redis "$REDIS_DIR/$1"
}

# redis_start PORT [MASTER_PORT] starts a data instance, as a replica of
# MASTER_PORT when given.
redis_start() {
	local port=$1 master=${2:-} d="$REDIS_DIR/$1"
	redis_prepare_dir "$port"
	port_free "$port" || die "redis: 127.0.0.1:$port is taken by another process"
	cat >"$d/redis.conf" <<CNF
# hakit Redis $port, written by scripts/services.sh
port $port
bind 127.0.0.1
protected-mode no
daemonize no
dir $d
logfile ""
save ""
appendonly no
repl-diskless-sync yes
repl-diskless-sync-delay 0
CNF
	[ -z "$master" ] || echo "replicaof 127.0.0.1 $master" >>"$d/redis.conf"
	chown redis:redis "$d/redis.conf"
	log "redis: starting $port${master:+ as replica of $master}"
	spawn "$d/redis.pid" "$d/redis.log" setpriv --reuid=redis --regid=redis --init-groups \
		redis-server "$d/redis.conf"
}

sentinel_start() {
	local port=$1 master=$2 d="$REDIS_DIR/$1"
	redis_prepare_dir "$port"
	port_free "$port" || die "redis: 127.0.0.1:$port is taken by another process"
	cat >"$d/sentinel.conf" <<CNF
# hakit Sentinel $port, written by scripts/services.sh (Sentinel rewrites it)
port $port
bind 127.0.0.1
protected-mode no
daemonize no
dir $d
logfile ""
sentinel resolve-hostnames no
sentinel monitor $REDIS_MASTER_NAME 127.0.0.1 $master 2
sentinel down-after-milliseconds $REDIS_MASTER_NAME 2000
sentinel failover-timeout $REDIS_MASTER_NAME 3000
sentinel parallel-syncs $REDIS_MASTER_NAME 1
CNF
	chown redis:redis "$d/sentinel.conf"
	log "redis: starting Sentinel $port (master $master)"
	spawn "$d/redis.pid" "$d/redis.log" setpriv --reuid=redis --regid=redis --init-groups \
		redis-sentinel "$d/sentinel.conf"
}

redis_fail() {
	local p logs=()
	for p in "${REDIS_PORTS[@]}" "${SENTINEL_PORTS[@]}"; do
		logs+=("$REDIS_DIR/$p/redis.log")
	done
	die_log "redis: $1" "${logs[@]}"
}

# redis_sentinel_view prints the master port most live Sentinels report.
redis_sentinel_view() {
	local p m
	for p in "${SENTINEL_PORTS[@]}"; do
		redis_pid "$p" >/dev/null || continue
		m=$(sentinel_master "$p") && echo "$m"
	done | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }'
}

redis_target_master() {
	local p m
	m=$(redis_sentinel_view)
	if [ -n "$m" ]; then
		echo "$m"
		return
	fi
	for p in "${REDIS_PORTS[@]}"; do
		if redis_pid "$p" >/dev/null && [ "$(redis_info "$p" role)" = master ]; then
			echo "$p"
			return
		fi
	done
	echo "${REDIS_PORTS[0]}"
}

# redis_ready_now: redis_ready for the master the Sentinels report now.
redis_ready_now() { redis_ready "$(redis_target_master)"; }

redis_master_alive_elsewhere() {
	local m
	m=$(redis_sentinel_view)
	[ -n "$m" ] && redis_pid "$m" >/dev/null
}

# redis_ready MASTER: everything answers and agrees that MASTER is the master.
redis_ready() {
	local m=$1 p flags
	[ "$(redis_info "$m" role)" = master ] || return 1
	[ "$(redis_info "$m" connected_slaves)" = 2 ] || return 1
	for p in "${REDIS_PORTS[@]}"; do
		[ "$p" = "$m" ] && continue
		[ "$(redis_info "$p" role)" = slave ] || return 1
		[ "$(redis_info "$p" master_port)" = "$m" ] || return 1
		[ "$(redis_info "$p" master_link_status)" = up ] || return 1
	done
	for p in "${SENTINEL_PORTS[@]}"; do
		[ "$(sentinel_master "$p")" = "$m" ] || return 1
		rcli "$p" SENTINEL ckquorum "$REDIS_MASTER_NAME" | grep -q '^OK' || return 1
		flags=$(rcli "$p" SENTINEL master "$REDIS_MASTER_NAME" | awk 'prev == "flags" { print } { prev = $0 }')
		[ "$flags" = master ] || return 1
		# Both replicas known and reachable (no s_down/disconnected flags).
		rcli "$p" SENTINEL replicas "$REDIS_MASTER_NAME" |
			awk -v m="$m" -v ports="${REDIS_PORTS[*]}" '
				prev == "port" { port = $0 }
				prev == "flags" { flags[port] = $0 }
				{ prev = $0 }
				END {
					n = split(ports, ps, " ")
					for (i = 1; i <= n; i++) {
						if (ps[i] == m) continue
						if (flags[ps[i]] != "slave") exit 1
					}
				}' || return 1
	done
}

redis_up() {
	mkdir -p "$REDIS_DIR"
	chmod 755 "$REDIS_DIR"
	local p any_alive="" m
	for p in "${REDIS_PORTS[@]}" "${SENTINEL_PORTS[@]}"; do
		redis_pid "$p" >/dev/null && any_alive=1
	done
	if [ -n "$any_alive" ]; then
		m=$(redis_target_master)
		if redis_ready "$m"; then
			return 0
		fi
		# The reported master is dead but replicas live: let the Sentinels
		# finish their failover before deciding.
		if ! redis_pid "$m" >/dev/null && [ -n "$(redis_sentinel_view)" ]; then
			local p2 live=
			for p2 in "${REDIS_PORTS[@]}"; do
				redis_pid "$p2" >/dev/null && live=1
			done
			if [ -n "$live" ]; then
				log "redis: master $m is down; waiting for the Sentinels' failover"
				wait_until 30 redis_master_alive_elsewhere || true
				m=$(redis_target_master)
			fi
		fi
	else
		m=${REDIS_PORTS[0]}
	fi

	# The master first, then replicas of it.
	if ! redis_pid "$m" >/dev/null; then
		redis_start "$m"
	fi
	wait_until "$HAKIT_WAIT" redis_ping "$m" || redis_fail "master $m does not answer PING"
	[ "$(redis_info "$m" role)" = master ] || rcli "$m" REPLICAOF NO ONE >/dev/null
	for p in "${REDIS_PORTS[@]}"; do
		[ "$p" = "$m" ] && continue
		if ! redis_pid "$p" >/dev/null; then
			redis_start "$p" "$m"
		fi
	done
	for p in "${REDIS_PORTS[@]}"; do
		wait_until "$HAKIT_WAIT" redis_ping "$p" || redis_fail "$p does not answer PING"
		[ "$p" = "$m" ] && continue
		if [ "$(redis_info "$p" role)" != slave ] || [ "$(redis_info "$p" master_port)" != "$m" ]; then
			log "redis: pointing $p at master $m"
			rcli "$p" REPLICAOF 127.0.0.1 "$m" >/dev/null
		fi
	done
	for p in "${SENTINEL_PORTS[@]}"; do
		if ! redis_pid "$p" >/dev/null; then
			sentinel_start "$p" "$m"
		fi
	done
	# The Sentinels may fail over again meanwhile: wait for agreement on
	# whichever master they settle on.
	wait_until "$HAKIT_WAIT" redis_ready_now ||
		redis_fail "master $(redis_target_master), replicas and Sentinels did not agree within ${HAKIT_WAIT}s"
}

redis_down() {
	local p
	for p in "${SENTINEL_PORTS[@]}" "${REDIS_PORTS[@]}"; do
		if redis_pid "$p" >/dev/null; then
			log "redis: stopping $p"
			stop_pidfile "$REDIS_DIR/$p/redis.pid" "$p" 30
		fi
	done
}

redis_status() {
	local p out=() ok=up m role
	m=$(redis_sentinel_view)
	for p in "${REDIS_PORTS[@]}" "${SENTINEL_PORTS[@]}"; do
		if redis_pid "$p" >/dev/null; then
			role=$(redis_info "$p" role)
			out+=("$p=${role:-sentinel}")
		else
			out+=("$p=down")
			ok=down
		fi
	done
	if [ "$ok" = up ] && ! redis_ready "${m:-none}"; then
		ok=degraded
	fi
	status_line redis "$ok" "master=${m:-?} ${out[*]}"
	[ "$ok" = up ]
}
