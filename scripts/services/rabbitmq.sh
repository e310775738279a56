# shellcheck shell=bash
# rabbitmq.sh — a 3-node RabbitMQ cluster (sourced by services.sh).
#
# Node i (1..3) is hakit<i>@localhost: AMQP 127.0.0.1:568<i>, Erlang
# distribution 2568<i>, state in $HAKIT_STATE/rabbitmq/hakit<i> (mnesia/,
# log/, rabbitmq.conf), running as user rabbitmq. The nodes share the
# cookie $HAKIT_STATE/rabbitmq/home/.erlang.cookie and an epmd of their own
# on 127.0.0.1:25680 (ERL_EPMD_PORT), so a system RabbitMQ and its epmd on
# 4369 are never involved. User hakit/hakit is an administrator with every
# permission on vhost /.

RABBIT_DIR="$HAKIT_STATE/rabbitmq"
RABBIT_HOME="$RABBIT_DIR/home"
RABBIT_NODES=(1 2 3)
RABBIT_EPMD_PORT=25680
RABBIT_LIB=/usr/lib/rabbitmq/bin


rabbit_node() { echo "hakit$1@localhost"; }
rabbit_node_dir() { echo "$RABBIT_DIR/hakit$1"; }

# RABBIT_AS is the command prefix that runs a program as user rabbitmq with
# the project's cookie and epmd.
RABBIT_AS=(setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups
	env HOME="$RABBIT_HOME" ERL_EPMD_PORT="$RABBIT_EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1
	LANG=C.UTF-8 LC_ALL=C.UTF-8)

# rabbit_ctl I ARGS... runs rabbitmqctl against node I.
rabbit_ctl() {
	local i=$1
	shift
	(cd "$RABBIT_HOME" && "${RABBIT_AS[@]}" timeout 120 "$RABBIT_LIB/rabbitmqctl" -n "$(rabbit_node "$i")" "$@")
}

# rabbit_pid I prints the pid of node I's Erlang VM if it runs. The node
# name is not on the VM's command line, only in its environment.
rabbit_pid() {
	local pid
	pid=$(pid_alive "$(rabbit_node_dir "$1")/launch.pid" beam) || return 1
	tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "RABBITMQ_NODENAME=hakit$1@localhost" || return 1
	echo "$pid"
}
rabbit_epmd_pid() { pid_alive "$RABBIT_DIR/epmd.pid" epmd; }

rabbit_fail() {
	local i logs=()
	for i in "${RABBIT_NODES[@]}"; do
		logs+=("$(rabbit_node_dir "$i")/log/$(rabbit_node "$i").log" "$(rabbit_node_dir "$i")/console.log")
	done
	die_log "rabbitmq: $1" "${logs[@]}" "$RABBIT_DIR/epmd.log"
}

rabbit_prepare() {
	mkdir -p "$RABBIT_HOME"
	chmod 755 "$RABBIT_DIR"
	if [ ! -s "$RABBIT_HOME/.erlang.cookie" ]; then
		head -c 30 /dev/urandom | od -An -tx1 | tr -dc 0-9a-f | tr a-f A-F >"$RABBIT_HOME/.erlang.cookie"
	fi
	chown -R rabbitmq:rabbitmq "$RABBIT_HOME"
	chmod 700 "$RABBIT_HOME"
	chmod 400 "$RABBIT_HOME/.erlang.cookie"
	local i d
	for i in "${RABBIT_NODES[@]}"; do
		d=$(rabbit_node_dir "$i")
		mkdir -p "$d/mnesia" "$d/log"
		cat >"$d/rabbitmq.conf" <<CNF
# hakit RabbitMQ node $(rabbit_node "$i"), written by scripts/services.sh
listeners.tcp.1 = 127.0.0.1:568$i
loopback_users = none
cluster_name = hakit
log.console = false
log.file.level = info
CNF
		echo '[].' >"$d/enabled_plugins"
		: >"$d/rabbitmq-env.conf"
		chown -R rabbitmq:rabbitmq "$d"
	done
}

rabbit_start_epmd() {
	rabbit_epmd_pid >/dev/null && return 0
	port_free "$RABBIT_EPMD_PORT" || die "rabbitmq: 127.0.0.1:$RABBIT_EPMD_PORT (epmd) is taken by another process"
	log "rabbitmq: starting epmd on $RABBIT_EPMD_PORT"
	spawn "$RABBIT_DIR/epmd.pid" "$RABBIT_DIR/epmd.log" \
		setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
		epmd -port "$RABBIT_EPMD_PORT" -address 127.0.0.1
	wait_until 30 port_open "$RABBIT_EPMD_PORT" || die_log "rabbitmq: epmd did not start" "$RABBIT_DIR/epmd.log"
}

rabbit_start() {
	local i=$1 d
	d=$(rabbit_node_dir "$i")
	port_free "568$i" || rabbit_fail "127.0.0.1:568$i is taken by another process"
	port_free "2568$i" || rabbit_fail "127.0.0.1:2568$i is taken by another process"
	log "rabbitmq: starting $(rabbit_node "$i")"
	# RUNNING_UNDER_SYSTEMD makes the start script exec the Erlang VM, so
	# the recorded pid is the node's own and SIGTERM stops it gracefully.
	(cd "$RABBIT_HOME" && spawn "$d/launch.pid" "$d/console.log" "${RABBIT_AS[@]}" \
		RUNNING_UNDER_SYSTEMD=true \
		RABBITMQ_NODENAME="$(rabbit_node "$i")" \
		RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
		RABBITMQ_NODE_PORT="568$i" \
		RABBITMQ_DIST_PORT="2568$i" \
		RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
		RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" \
		RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config" \
		RABBITMQ_CONF_ENV_FILE="$d/rabbitmq-env.conf" \
		RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" \
		RABBITMQ_MNESIA_BASE="$d/mnesia" \
		RABBITMQ_LOG_BASE="$d/log" \
		RABBITMQ_PID_FILE="$d/rabbit.pid" \
		"$RABBIT_LIB/rabbitmq-server")
}

# rabbit_wait_booted I waits until node I has booted, failing early if its
# VM exits. await_startup fails at once while the node is not reachable yet.
rabbit_wait_booted() {
	local i=$1 end=$((SECONDS + HAKIT_WAIT))
	while ! rabbit_ctl "$i" await_startup --timeout 20 >/dev/null 2>&1; do
		rabbit_pid "$i" >/dev/null || return 1
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 1
	done
}

# rabbit_running_nodes I prints the running cluster members node I reports.
rabbit_running_nodes() {
	rabbit_ctl "$1" cluster_status --formatter json 2>/dev/null |
		python3 -c 'import json, sys; print("\n".join(sorted(json.load(sys.stdin).get("running_nodes", []))))'
}

rabbit_disk_nodes() {
	rabbit_ctl "$1" cluster_status --formatter json 2>/dev/null |
		python3 -c 'import json, sys; print("\n".join(sorted(json.load(sys.stdin).get("disk_nodes", []))))'
}

rabbit_clustered() {
	local want got
	want=$(for i in "${RABBIT_NODES[@]}"; do rabbit_node "$i"; done | sort)
	got=$(rabbit_running_nodes 1) || return 1
	[ "$got" = "$want" ]
}

rabbit_amqp_ports() {
	local i
	for i in "${RABBIT_NODES[@]}"; do
		# A server answers the AMQP 0-9-1 header with a method frame
		# (type 1) carrying Connection.Start.
		[ "$(tcp_head "568$i" 'AMQP\x00\x00\x09\x01' 1 | od -An -tx1 | tr -d ' ')" = 01 ] || return 1
	done
}

rabbit_ensure_user() {
	local users
	users=$(rabbit_ctl 1 list_users -q 2>/dev/null) || rabbit_fail "list_users on $(rabbit_node 1) failed"
	if echo "$users" | grep -q '^hakit[[:space:]].*administrator'; then
		return 0
	fi
	if ! echo "$users" | awk '{ print $1 }' | grep -qx hakit; then
		rabbit_ctl 1 add_user hakit hakit >/dev/null || rabbit_fail "add_user hakit failed"
	fi
	rabbit_ctl 1 set_user_tags hakit administrator >/dev/null || rabbit_fail "set_user_tags hakit failed"
	rabbit_ctl 1 set_permissions -p / hakit '.*' '.*' '.*' >/dev/null || rabbit_fail "set_permissions hakit failed"
}

# rabbit_reset_watermarks sets every node's vm_memory_high_watermark back
# to RabbitMQ's default (0.4), clearing a memory alarm a test raised with a
# tiny watermark and could not restore because its binary died before its
# cleanups ran. A runtime watermark outlives every client, and while it is
# set every publishing connection of the cluster stays blocked.
rabbit_reset_watermarks() {
	local i
	for i in "${RABBIT_NODES[@]}"; do
		rabbit_ctl "$i" set_vm_memory_high_watermark 0.4 >>"$RABBIT_DIR/ctl.log" 2>&1 ||
			rabbit_fail "set_vm_memory_high_watermark 0.4 on $(rabbit_node "$i") failed"
	done
}

rabbitmq_up() {
	rabbit_prepare
	rabbit_start_epmd
	local i started=() all_alive=1
	for i in "${RABBIT_NODES[@]}"; do
		rabbit_pid "$i" >/dev/null || all_alive=
	done
	if [ -n "$all_alive" ] && rabbit_amqp_ports && rabbit_clustered; then
		rabbit_ensure_user
		rabbit_reset_watermarks
		return 0
	fi
	# Nodes that were clustered wait for their peers at boot, so every
	# missing node starts at once.
	for i in "${RABBIT_NODES[@]}"; do
		if ! rabbit_pid "$i" >/dev/null; then
			rabbit_start "$i"
			started+=("$i")
		fi
	done
	# A live VM whose AMQP port is closed may have had its application
	# stopped (rabbitmqctl stop_app): start it again.
	local skip j
	for i in "${RABBIT_NODES[@]}"; do
		skip=
		for j in "${started[@]}"; do [ "$j" = "$i" ] && skip=1; done
		[ -z "$skip" ] || continue
		if [ "$(tcp_head "568$i" 'AMQP\x00\x00\x09\x01' 1 | od -An -tx1 | tr -d ' ')" != 01 ]; then
			log "rabbitmq: $(rabbit_node "$i") runs but AMQP does not answer: start_app"
			rabbit_ctl "$i" start_app >>"$RABBIT_DIR/ctl.log" 2>&1 || true
		fi
	done
	for i in "${RABBIT_NODES[@]}"; do
		rabbit_wait_booted "$i" ||
			rabbit_fail "$(rabbit_node "$i") did not finish booting within ${HAKIT_WAIT}s"
	done
	# Join every node that is not a member of node 1's cluster.
	local members
	members=$(rabbit_disk_nodes 1) || rabbit_fail "cluster_status on $(rabbit_node 1) failed"
	for i in 2 3; do
		if ! echo "$members" | grep -qx "$(rabbit_node "$i")"; then
			log "rabbitmq: joining $(rabbit_node "$i") to $(rabbit_node 1)"
			rabbit_ctl "$i" stop_app >/dev/null || rabbit_fail "stop_app on $(rabbit_node "$i") failed"
			rabbit_ctl "$i" join_cluster "$(rabbit_node 1)" >>"$RABBIT_DIR/ctl.log" 2>&1 || {
				rabbit_ctl "$i" reset >>"$RABBIT_DIR/ctl.log" 2>&1
				rabbit_ctl "$i" join_cluster "$(rabbit_node 1)" >>"$RABBIT_DIR/ctl.log" 2>&1
			} || rabbit_fail "join_cluster $(rabbit_node "$i") -> $(rabbit_node 1) failed"
			rabbit_ctl "$i" start_app >/dev/null || rabbit_fail "start_app on $(rabbit_node "$i") failed"
		fi
	done
	wait_until "$HAKIT_WAIT" rabbit_clustered || rabbit_fail "the three nodes did not form one running cluster"
	wait_until "$HAKIT_WAIT" rabbit_amqp_ports || rabbit_fail "AMQP ports 5681-5683 do not answer"
	rabbit_ensure_user
	rabbit_reset_watermarks
}

rabbitmq_down() {
	local i d
	for i in 3 2 1; do
		d=$(rabbit_node_dir "$i")
		if rabbit_pid "$i" >/dev/null; then
			log "rabbitmq: stopping $(rabbit_node "$i")"
			stop_pidfile "$d/launch.pid" beam 120
		fi
	done
	if rabbit_epmd_pid >/dev/null; then
		log "rabbitmq: stopping epmd"
		stop_pidfile "$RABBIT_DIR/epmd.pid" epmd 10
	fi
}

rabbitmq_status() {
	local i out=() ok=up
	for i in "${RABBIT_NODES[@]}"; do
		if rabbit_pid "$i" >/dev/null; then
			out+=("$(rabbit_node "$i")=pid:$(rabbit_pid "$i")")
		else
			out+=("$(rabbit_node "$i")=down")
			ok=down
		fi
	done
	if [ "$ok" = up ] && ! { rabbit_amqp_ports && rabbit_clustered; }; then
		ok=degraded
	fi
	status_line rabbitmq "$ok" "${out[*]}"
	[ "$ok" = up ]
}
