# shellcheck shell=bash
# lib.sh — helpers shared by the service files of services.sh (sourced).

HAKIT_STATE="${HAKIT_STATE:-/var/tmp/hakit}"
HAKIT_CACHE="${HAKIT_CACHE:-/var/cache/hakit}"
HAKIT_WAIT="${HAKIT_WAIT:-300}"
export HAKIT_STATE HAKIT_CACHE HAKIT_WAIT

log() { printf 'services: %s\n' "$*" >&2; }
die() {
	printf 'services: FAIL: %s\n' "$*" >&2
	exit 1
}

# die_log MSG FILE... fails with the tail of each log file.
die_log() {
	local msg=$1 f
	shift
	{
		printf 'services: FAIL: %s\n' "$msg"
		for f in "$@"; do
			[ -f "$f" ] || continue
			printf -- '---- last lines of %s ----\n' "$f"
			tail -n "${HAKIT_LOG_LINES:-30}" "$f"
		done
	} >&2
	exit 1
}

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

ensure_state_dir() {
	mkdir -p "$HAKIT_STATE/locks"
	chmod 755 "$HAKIT_STATE"
	chmod 777 "$HAKIT_STATE/locks"
}

# with_service_lock NAME FUNC... runs FUNC holding the exclusive lock that
# serializes services.sh runs acting on NAME. It is not the lock that tests
# take (internal/testenv uses NAME.lock), so a test holding that one can run
# services.sh to repair its service. The lock file descriptor is 9; spawn
# closes it so no daemon inherits the lock.
with_service_lock() {
	local name=$1
	shift
	(
		flock -w 1800 9 || die "$name: another services.sh still holds $HAKIT_STATE/locks/$name.services.lock"
		"$@"
	) 9>"$HAKIT_STATE/locks/$name.services.lock"
}

APT_UPDATED=
# ensure_pkgs PKG... installs the Debian packages that are missing, without
# letting their maintainer scripts start the system's own daemons.
ensure_pkgs() {
	local missing=() p st
	for p in "$@"; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[ "$st" = installed ] || missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing Debian packages (${missing[*]}); run as root to install them"
	log "installing ${missing[*]}"
	local policy=/usr/sbin/policy-rc.d own_policy=
	if [ ! -e "$policy" ]; then
		# invoke-rc.d consults policy-rc.d: 101 = action forbidden, so the
		# packages' postinst scripts do not start system instances.
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		own_policy=1
	fi
	local rc=0
	{
		if [ -z "$APT_UPDATED" ]; then
			DEBIAN_FRONTEND=noninteractive apt-get update -q && APT_UPDATED=1
		fi &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
	} >&2 || rc=$?
	[ -z "$own_policy" ] || rm -f "$policy"
	[ "$rc" -eq 0 ] || die "apt-get install ${missing[*]} failed (exit $rc)"
}

# spawn PIDFILE LOGFILE CMD... starts CMD in its own session, detached from
# the caller's stdio and lock descriptor, and records its pid.
spawn() {
	local pidfile=$1 logfile=$2
	shift 2
	setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
	echo $! >"$pidfile"
}

# pid_alive PIDFILE [WORD] prints the pid recorded in PIDFILE and succeeds if
# that process runs (not a zombie) and, when WORD is given, its command line
# contains WORD (so a recycled pid is not mistaken for ours).
pid_alive() {
	local pidfile=$1 word=${2:-} pid st
	[ -s "$pidfile" ] || return 1
	pid=$(tr -dc 0-9 <"$pidfile")
	[ -n "$pid" ] || return 1
	[ -r "/proc/$pid/stat" ] || return 1
	st=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ "$st" != Z ] || return 1
	if [ -n "$word" ]; then
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$word" || return 1
	fi
	echo "$pid"
}

# stop_pidfile PIDFILE WORD [SECONDS] sends SIGTERM to the process of
# PIDFILE, waits for it to exit, then SIGKILLs it. Only that pid is signalled.
stop_pidfile() {
	local pidfile=$1 word=$2 secs=${3:-60} pid i
	pid=$(pid_alive "$pidfile" "$word") || {
		rm -f "$pidfile"
		return 0
	}
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < secs * 10; i++)); do
		pid_alive "$pidfile" "$word" >/dev/null || break
		sleep 0.1
	done
	if pid_alive "$pidfile" "$word" >/dev/null; then
		log "pid $pid ($word) ignored SIGTERM for ${secs}s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			pid_alive "$pidfile" "$word" >/dev/null || break
			sleep 0.1
		done
	fi
	rm -f "$pidfile"
}

# wait_until SECONDS CMD... retries CMD until it succeeds or SECONDS pass.
wait_until() {
	local secs=$1 end
	shift
	end=$((SECONDS + secs))
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.5
	done
}

# port_open PORT succeeds if something accepts TCP connections on 127.0.0.1:PORT.
port_open() { timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# port_free PORT succeeds if nothing listens on 127.0.0.1:PORT.
port_free() { ! port_open "$1"; }

# tcp_exchange PORT TEXT sends TEXT to 127.0.0.1:PORT and prints what comes
# back within 2 seconds.
tcp_exchange() {
	timeout 5 bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "%b" "$2" >&3
		timeout 2 cat <&3 || true
	' _ "$1" "$2" 2>/dev/null
}

# tcp_head PORT TEXT N sends TEXT to 127.0.0.1:PORT and prints the first N
# bytes of the answer (for servers that keep the connection open).
tcp_head() {
	timeout 5 bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "%b" "$2" >&3
		head -c "$3" <&3
	' _ "$1" "$2" "$3" 2>/dev/null
}

# status_line NAME STATE DETAIL prints one line of `services.sh status`.
status_line() { printf '%-11s %-5s %s\n' "$1" "$2" "$3"; }

# PACKAGE_TABLE is the one list of Debian packages the tests need, with the
# services each is for and the programs it provides; internal/testenv reads
# the same file.
PACKAGE_TABLE="$HAKIT_SCRIPTS/../internal/testenv/programs.txt"

# table_pkgs [SERVICE...] prints the packages of the table's rows whose
# services include one of SERVICE, or every package when none is given.
table_pkgs() {
	[ -r "$PACKAGE_TABLE" ] || die "missing $PACKAGE_TABLE"
	awk -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		/^[ \t]*(#|$)/ { next }
		{
			if (n == 0) { print $1; next }
			m = split($2, s, ",")
			for (i = 1; i <= m; i++) for (j = 1; j <= n; j++) if (s[i] == w[j]) { print $1; next }
		}' "$PACKAGE_TABLE"
}
