#!/usr/bin/env bash
# services.sh — installs and runs hakit's own instances of the real services
# its integration tests talk to. Every instance has its own config, data,
# pidfile and log under one state directory and listens on 127.0.0.1 on the
# ports of DESIGN.md; system instances are never touched.
#
#   scripts/services.sh up [NAME...]     start (or repair) services; all if no NAME
#   scripts/services.sh down [NAME...]   stop services by pid; all if no NAME
#   scripts/services.sh status [NAME...] one line per service
#   scripts/services.sh deps             install every Debian package the tests need
#
# `up` with no NAME installs every package of internal/testenv/programs.txt,
# the one list of what the tests need (services and the programs tests run
# themselves: haproxy, keepalived, wrk, ...); `up NAME` installs that
# service's rows. Independent services start in parallel.
#
# Services: galera redis memcached nutcracker nova rabbitmq ipmisim ferretdb
#
# Environment:
#   HAKIT_STATE   state directory (default /var/tmp/hakit)
#   HAKIT_CACHE   build cache for programs of ours (default /var/cache/hakit)
#   HAKIT_WAIT    seconds to wait for one step of a service to answer (default 300)
set -euo pipefail

HAKIT_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=services/lib.sh
. "$HAKIT_SCRIPTS/services/lib.sh"

ALL_SERVICES=(galera redis memcached nutcracker nova rabbitmq ipmisim ferretdb)
for s in "${ALL_SERVICES[@]}"; do
	# shellcheck source=/dev/null
	. "$HAKIT_SCRIPTS/services/$s.sh"
done

usage() {
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
	exit 2
}

# check_names NAME... fails on a name that is not a service.
check_names() {
	local n s ok
	for n in "$@"; do
		ok=
		for s in "${ALL_SERVICES[@]}"; do
			[ "$n" = "$s" ] && ok=1
		done
		[ -n "$ok" ] || die "unknown service '$n' (known: ${ALL_SERVICES[*]})"
	done
}

# up_one NAME starts NAME under its lock and prints its output in one piece
# when it ends. The output goes to a file of this run's own: another run
# repairing NAME at the same time (two tests) waits for the lock but must
# not truncate this one's file. The start runs in a subshell whose status is
# read after it ends, not through `||`: bash ignores `set -e` in anything run
# on the left of `||`, and a service's steps rely on it to stop at the
# first that fails.
up_one() {
	local s=$1 t0 rc out
	t0=$(date +%s.%N)
	out=$(mktemp "$HAKIT_STATE/up-$s.XXXXXX.log")
	set +e
	(
		set -e
		with_service_lock "$s" "${s}_up"
	) >"$out" 2>&1
	rc=$?
	set -e
	cat "$out" >&2
	rm -f "$out"
	if [ "$rc" -eq 0 ]; then
		log "$s: up ($(elapsed "$t0" "$(date +%s.%N)")s)"
	else
		log "$s: FAILED (exit $rc)"
	fi
	return "$rc"
}

# up_parallel NAME... starts the services at once (the FerretDB build beside
# the Galera and RabbitMQ boots), nutcracker after the memcached it fronts,
# and fails if any failed.
up_parallel() {
	local s total0 rc=0 late=() pids=() names=()
	total0=$(date +%s.%N)
	for s in "$@"; do
		if [ "$s" = nutcracker ]; then
			late+=("$s")
			continue
		fi
		up_one "$s" &
		pids+=($!)
		names+=("$s")
	done
	local i
	for i in "${!pids[@]}"; do
		if [ "${#late[@]}" -gt 0 ] && [ "${names[$i]}" = memcached ]; then
			wait "${pids[$i]}" || rc=1
			pids[i]=
		fi
	done
	for s in "${late[@]}"; do
		up_one "$s" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		[ -z "${pids[$i]}" ] || wait "${pids[$i]}" || rc=1
	done
	[ "$#" -eq 1 ] || log "all: up ($(elapsed "$total0" "$(date +%s.%N)")s)"
	[ "$rc" -eq 0 ] || die "some services did not start; their output is above"
}

main() {
	[ $# -ge 1 ] || usage
	local cmd=$1
	shift
	case "$cmd" in
	up | down | status) ;;
	deps)
		[ $# -eq 0 ] || usage
		local all
		mapfile -t all < <(table_pkgs)
		ensure_pkgs "${all[@]}"
		return
		;;
	-h | --help | help) usage ;;
	*) usage ;;
	esac
	check_names "$@"
	local names=("$@")
	[ $# -gt 0 ] || names=("${ALL_SERVICES[@]}")

	local s
	case "$cmd" in
	up)
		local pkgs
		# No NAME: every row, so the programs tests run themselves are there too.
		if [ $# -eq 0 ]; then mapfile -t pkgs < <(table_pkgs); else mapfile -t pkgs < <(table_pkgs "${names[@]}"); fi
		[ "${#pkgs[@]}" -eq 0 ] || ensure_pkgs "${pkgs[@]}"
		ensure_state_dir
		up_parallel "${names[@]}"
		;;
	down)
		ensure_state_dir
		# Stop in reverse order: nutcracker before the memcached it fronts.
		local i
		for ((i = ${#names[@]} - 1; i >= 0; i--)); do
			with_service_lock "${names[$i]}" "${names[$i]}_down"
		done
		;;
	status)
		local rc=0
		for s in "${names[@]}"; do
			"${s}_status" || rc=1
		done
		return $rc
		;;
	esac
}

main "$@"
