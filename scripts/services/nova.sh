# shellcheck shell=bash
# nova.sh — Debian's Nova scheduler code for interop tests (sourced by
# services.sh). Nothing runs: `up` checks that /usr/bin/python3 imports
# nova's filter and weigher modules.


nova_import() {
	/usr/bin/python3 -c 'import nova.scheduler.filters, nova.scheduler.weights' 2>&1
}

nova_up() {
	local out
	out=$(nova_import) || die "nova: /usr/bin/python3 cannot import nova.scheduler.filters: $out"
}

nova_down() { :; }

nova_status() {
	if nova_import >/dev/null; then
		status_line nova up "/usr/bin/python3 imports nova.scheduler.filters"
	else
		status_line nova down "python3-nova missing or broken"
		return 1
	fi
}
