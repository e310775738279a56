# shellcheck shell=bash
# galera.sh — three MariaDB Galera nodes on loopback (sourced by services.sh).
#
# Node i (1..3): SQL 1330i, gcomm 1450i, IST 1460i, SST (rsync) 1470i, state
# in $HAKIT_STATE/galera/node<i> (my.cnf, data/, mariadbd.pid, mysqld.sock,
# error.log). mariadbd runs as user mysql, the datadir owned by mysql, or
# rsync SST fails with "Permission denied". The TCP account hakit/hakit has
# every privilege from 127.0.0.1 and localhost.

GALERA_DIR="$HAKIT_STATE/galera"
GALERA_NODES=(1 2 3)


galera_node_dir() { echo "$GALERA_DIR/node$1"; }

galera_write_config() {
	local i=$1 d
	d=$(galera_node_dir "$i")
	mkdir -p "$d/data"
	chown mysql:mysql "$d" "$d/data"
	chmod 750 "$d/data"
	cat >"$d/my.cnf.new" <<CNF
# hakit Galera node $i, written by scripts/services.sh
[mysqld]
user = mysql
datadir = $d/data
socket = $d/mysqld.sock
pid-file = $d/mariadbd.pid
log-error = $d/error.log
port = 1330$i
bind-address = 127.0.0.1
skip-name-resolve
performance_schema = OFF
max_connections = 300
binlog_format = ROW
default_storage_engine = InnoDB
innodb_autoinc_lock_mode = 2
innodb_buffer_pool_size = 64M
innodb_log_file_size = 32M
innodb_flush_log_at_trx_commit = 2
wsrep_on = ON
wsrep_provider = /usr/lib/galera/libgalera_smm.so
wsrep_cluster_name = hakit
wsrep_cluster_address = gcomm://127.0.0.1:14501,127.0.0.1:14502,127.0.0.1:14503
wsrep_node_name = node$i
wsrep_node_address = 127.0.0.1:1450$i
wsrep_node_incoming_address = 127.0.0.1:1330$i
wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:1450$i;ist.recv_addr=127.0.0.1:1460$i;gcache.size=64M"
wsrep_sst_method = rsync
wsrep_sst_receive_address = 127.0.0.1:1470$i
wsrep_slave_threads = 2

[client]
socket = $d/mysqld.sock
CNF
	mv "$d/my.cnf.new" "$d/my.cnf"
}

# galera_pid I prints the pid of node I's mariadbd if it runs. mariadbd
# writes mariadbd.pid only once it serves SQL; launch.pid records it from
# the start (a joiner spends its state transfer without mariadbd.pid).
galera_pid() {
	local d
	d=$(galera_node_dir "$1")
	pid_alive "$d/mariadbd.pid" mariadbd || pid_alive "$d/launch.pid" mariadbd
}

# galera_wait_synced I waits until node I is Synced, failing early if its
# mariadbd exits.
galera_wait_synced() {
	local i=$1 end=$((SECONDS + HAKIT_WAIT))
	while ! galera_synced "$i"; do
		if ! galera_pid "$i" >/dev/null; then
			sleep 1
			galera_pid "$i" >/dev/null || return 1
		fi
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.5
	done
}

# galera_sql I SQL runs SQL on node I as root over its unix socket.
galera_sql() {
	local d
	d=$(galera_node_dir "$1")
	timeout 30 mariadb --no-defaults --protocol=socket --socket="$d/mysqld.sock" \
		--connect-timeout=5 -uroot -N -B -e "$2"
}

# galera_var I NAME prints the global status variable NAME of node I.
galera_var() { galera_sql "$1" "SHOW GLOBAL STATUS LIKE '$2'" | cut -f2; }

galera_answers() { galera_sql "$1" 'SELECT 1' >/dev/null 2>&1; }

galera_synced() {
	[ "$(galera_var "$1" wsrep_local_state_comment 2>/dev/null)" = Synced ] &&
		[ "$(galera_var "$1" wsrep_ready 2>/dev/null)" = ON ]
}

galera_primary() { [ "$(galera_var "$1" wsrep_cluster_status 2>/dev/null)" = Primary ]; }

galera_size_is() { [ "$(galera_var "$1" wsrep_cluster_size 2>/dev/null)" = "$2" ]; }

galera_initialized() { [ -d "$(galera_node_dir "$1")/data/mysql" ]; }

galera_grastate() {
	local f
	f="$(galera_node_dir "$1")/data/grastate.dat"
	[ -f "$f" ] || return 1
	sed -n "s/^$2:[[:space:]]*//p" "$f"
}

galera_fail() {
	local i logs=()
	for i in "${GALERA_NODES[@]}"; do
		logs+=("$(galera_node_dir "$i")/error.log" "$(galera_node_dir "$i")/console.log")
	done
	die_log "galera: $1" "${logs[@]}"
}

# galera_start I [--wsrep-new-cluster] starts mariadbd of node I.
galera_start() {
	local i=$1 d
	shift
	d=$(galera_node_dir "$i")
	port_free "1330$i" || galera_fail "node $i: 127.0.0.1:1330$i is taken by another process"
	rm -f "$d/mysqld.sock" "$d/mariadbd.pid"
	log "galera: starting node $i $*"
	spawn "$d/launch.pid" "$d/console.log" /usr/sbin/mariadbd --defaults-file="$d/my.cnf" "$@"
}

# galera_bootstrap_choice picks the node to start a new cluster from: one
# that Galera marked safe_to_bootstrap, else the initialized node with the
# highest seqno, else node 1.
galera_bootstrap_choice() {
	local i best="" bestseq=-2 seq
	for i in "${GALERA_NODES[@]}"; do
		galera_initialized "$i" || continue
		if [ "$(galera_grastate "$i" safe_to_bootstrap)" = 1 ]; then
			echo "$i"
			return
		fi
		seq=$(galera_grastate "$i" seqno || echo -1)
		[[ "$seq" =~ ^-?[0-9]+$ ]] || seq=-1
		if [ "$seq" -gt "$bestseq" ]; then
			best=$i
			bestseq=$seq
		fi
	done
	echo "${best:-1}"
}

galera_bootstrap() {
	local i=$1 d
	d=$(galera_node_dir "$i")
	if ! galera_initialized "$i"; then
		log "galera: initializing node $i datadir"
		mariadb-install-db --defaults-file="$d/my.cnf" --user=mysql \
			--auth-root-authentication-method=socket --skip-test-db \
			>"$d/install.log" 2>&1 || die_log "galera: mariadb-install-db failed" "$d/install.log"
	fi
	if [ -f "$d/data/grastate.dat" ]; then
		sed -i 's/^safe_to_bootstrap:.*/safe_to_bootstrap: 1/' "$d/data/grastate.dat"
	fi
	galera_start "$i" --wsrep-new-cluster
	galera_wait_synced "$i" ||
		galera_fail "node $i did not bootstrap a new cluster within ${HAKIT_WAIT}s"
}

galera_ensure_user() {
	local i=$1
	# Granting is DDL that every node applies in total order: skip it when
	# both accounts exist.
	[ "$(galera_sql "$i" "SELECT COUNT(*) FROM mysql.global_priv WHERE User = 'hakit' AND Host IN ('127.0.0.1', 'localhost')" 2>/dev/null)" = 2 ] && return 0
	galera_sql "$i" "
		CREATE USER IF NOT EXISTS 'hakit'@'127.0.0.1' IDENTIFIED BY 'hakit';
		CREATE USER IF NOT EXISTS 'hakit'@'localhost' IDENTIFIED BY 'hakit';
		GRANT ALL PRIVILEGES ON *.* TO 'hakit'@'127.0.0.1' WITH GRANT OPTION;
		GRANT ALL PRIVILEGES ON *.* TO 'hakit'@'localhost' WITH GRANT OPTION;" ||
		galera_fail "could not create user hakit on node $i"
}

galera_all_synced() {
	local i
	for i in "${GALERA_NODES[@]}"; do
		galera_synced "$i" && galera_size_is "$i" 3 || return 1
	done
}

# galera_restart_stragglers restarts running nodes that are not members of
# the largest Primary component (such as a lone node a test isolated and
# bootstrapped with pc.bootstrap while the others went on), so they rejoin
# it with a state transfer.
galera_restart_stragglers() {
	local i best="" bestsize=0 size
	for i in "${GALERA_NODES[@]}"; do
		if ! galera_pid "$i" >/dev/null || ! galera_primary "$i"; then continue; fi
		size=$(galera_var "$i" wsrep_cluster_size 2>/dev/null || echo 0)
		if [ "${size:-0}" -gt "$bestsize" ]; then
			best=$i
			bestsize=$size
		fi
	done
	[ -n "$best" ] || return 0
	# wsrep_incoming_addresses lists the SQL addresses of the members of a
	# node's component.
	in_best_component() {
		galera_pid "$1" >/dev/null && galera_primary "$1" &&
			galera_var "$best" wsrep_incoming_addresses | tr ',' '\n' | grep -qx "127.0.0.1:1330$1"
	}
	for i in "${GALERA_NODES[@]}"; do
		[ "$i" = "$best" ] && continue
		galera_pid "$i" >/dev/null || continue
		wait_until 30 in_best_component "$i" && continue
		log "galera: node $i is not in the Primary component of node $best: restarting it"
		local d
		d=$(galera_node_dir "$i")
		galera_pid "$i" >"$d/launch.pid"
		stop_pidfile "$d/launch.pid" mariadbd 120
		missing+=("$i")
	done
}

galera_up() {
	local i running=() missing=()
	mkdir -p "$GALERA_DIR"
	for i in "${GALERA_NODES[@]}"; do
		galera_write_config "$i"
		if galera_pid "$i" >/dev/null; then
			running+=("$i")
		else
			missing+=("$i")
		fi
	done
	if [ "${#running[@]}" -eq 3 ] && galera_all_synced; then
		galera_ensure_user 1
		return 0
	fi

	if [ "${#running[@]}" -eq 0 ]; then
		local b
		b=$(galera_bootstrap_choice)
		galera_bootstrap "$b"
		running=("$b")
		missing=()
		for i in "${GALERA_NODES[@]}"; do
			[ "$i" = "$b" ] || missing+=("$i")
		done
	else
		for i in "${running[@]}"; do
			wait_until "$HAKIT_WAIT" galera_answers "$i" ||
				galera_fail "node $i runs (pid $(galera_pid "$i")) but does not answer SQL"
		done
		# A running node may be still joining, or left non-Primary by a
		# test that killed the others: give it time, then make the most
		# advanced node Primary again (pc.bootstrap, as Galera documents
		# for recovering a cluster that lost quorum).
		local any_primary=
		wait_primary() {
			local j
			for j in "${running[@]}"; do
				galera_primary "$j" && return 0
			done
			return 1
		}
		local settle=20
		[ "${#running[@]}" -gt 1 ] || settle=3
		wait_until "$settle" wait_primary && any_primary=1
		if [ -z "$any_primary" ]; then
			local best=${running[0]} bestseq=-2 seq
			for i in "${running[@]}"; do
				seq=$(galera_var "$i" wsrep_last_committed || echo -1)
				if [ "${seq:--1}" -gt "$bestseq" ]; then
					best=$i
					bestseq=$seq
				fi
			done
			log "galera: no running node is Primary: pc.bootstrap on node $best"
			galera_sql "$best" "SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'" ||
				galera_fail "pc.bootstrap on node $best failed"
			wait_until "$HAKIT_WAIT" galera_primary "$best" ||
				galera_fail "node $best did not become Primary after pc.bootstrap"
		fi
	fi

	galera_restart_stragglers

	# Joiners start one at a time: each takes a state transfer from a
	# Synced donor.
	for i in "${missing[@]}"; do
		galera_start "$i"
		galera_wait_synced "$i" ||
			galera_fail "node $i did not join and sync within ${HAKIT_WAIT}s"
	done
	wait_until "$HAKIT_WAIT" galera_all_synced ||
		galera_fail "cluster did not reach wsrep_cluster_size=3 with all nodes Synced within ${HAKIT_WAIT}s"
	galera_ensure_user 1
}

galera_down() {
	local i
	# Stopping 3, 2 then 1 leaves node 1 the last one, marked safe_to_bootstrap.
	for i in 3 2 1; do
		if galera_pid "$i" >/dev/null; then
			log "galera: stopping node $i"
			local d
			d=$(galera_node_dir "$i")
			galera_pid "$i" >"$d/launch.pid"
			stop_pidfile "$d/launch.pid" mariadbd 120
		fi
	done
}

galera_status() {
	local i out=() ok=up pid
	for i in "${GALERA_NODES[@]}"; do
		if pid=$(galera_pid "$i"); then
			out+=("node$i=pid:$pid,$(galera_var "$i" wsrep_local_state_comment 2>/dev/null || echo '?'),size:$(galera_var "$i" wsrep_cluster_size 2>/dev/null || echo '?')")
			galera_synced "$i" && galera_size_is "$i" 3 || ok=degraded
		else
			out+=("node$i=down")
			ok=down
		fi
	done
	status_line galera "$ok" "${out[*]}"
	[ "$ok" = up ]
}
