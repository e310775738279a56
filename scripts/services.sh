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
# Programs tests run themselves (interop with haproxy and keepalived, network
# namespaces), installed by `deps` but started by no service.
EXTRA_PKGS=(haproxy keepalived iproute2)
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

main() {
	[ $# -ge 1 ] || usage
	local cmd=$1
	shift
	case "$cmd" in
	up | down | status) ;;
	deps)
		[ $# -eq 0 ] || usage
		local all=("${EXTRA_PKGS[@]}") s
		for s in "${ALL_SERVICES[@]}"; do
			mapfile -t -O "${#all[@]}" all < <("${s}_pkgs")
		done
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
		local pkgs=()
		for s in "${names[@]}"; do
			mapfile -t -O "${#pkgs[@]}" pkgs < <("${s}_pkgs")
		done
		ensure_pkgs "${pkgs[@]}"
		ensure_state_dir
		local t0 t1 total0
		total0=$(date +%s.%N)
		for s in "${names[@]}"; do
			t0=$(date +%s.%N)
			with_service_lock "$s" "${s}_up"
			t1=$(date +%s.%N)
			log "$s: up ($(elapsed "$t0" "$t1")s)"
		done
		[ "${#names[@]}" -eq 1 ] || log "all: up ($(elapsed "$total0" "$(date +%s.%N)")s)"
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
