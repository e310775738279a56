# shellcheck shell=bash
# ipmisim.sh — OpenIPMI's ipmi_sim as a BMC on 127.0.0.1:9623 (sourced by
# services.sh).
#
# IPMI 1.5 and 2.0 (lanplus) on UDP 127.0.0.1:9623, user admin / password
# with admin privilege, one BMC (IPMB 0x20) with chassis device support.
# Chassis Control and Chassis Status go to ipmisim-chassis.sh, which keeps
# the simulated power state in $HAKIT_STATE/ipmisim/power, so `chassis
# power off` really turns `chassis power status` off. A fresh simulator is
# powered on.
#
# ipmi_sim does not answer Get Channel Cipher Suites: ipmitool -I lanplus
# without -C spends 10 s probing before it falls back to cipher suite 3, so
# clients pass `-C 3` (fence_ipmilan: --cipher 3).

IPMISIM_DIR="$HAKIT_STATE/ipmisim"
IPMISIM_PORT=9623


ipmisim_pid() { pid_alive "$IPMISIM_DIR/ipmi_sim.pid" "$IPMISIM_DIR/lan.conf"; }

ipmisim_answers() {
	timeout 20 ipmitool -I lanplus -C 3 -H 127.0.0.1 -p "$IPMISIM_PORT" -U admin -P password \
		chassis power status 2>/dev/null | grep -q '^Chassis Power is'
}

ipmisim_write_config() {
	local d=$IPMISIM_DIR
	mkdir -p "$d/state"
	install -m 755 "$HAKIT_SCRIPTS/services/ipmisim-chassis.sh" "$d/chassis.sh.new"
	cat >"$d/lan.conf.new" <<CNF
# hakit ipmi_sim BMC, written by scripts/services.sh (see ipmi_lan(5))
name "hakit"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 $IPMISIM_PORT
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a0a1a2a3a4a5a6a7a8a9aaabacadaeaf
  endlan
  chassis_control "$d/chassis.sh $d/power"
  user 2 true "admin" "password" admin 10 none md2 md5 straight
CNF
	# ipmi_sim_cmd(5): the BMC at IPMB 0x20; device support 0x9f includes
	# the chassis device.
	cat >"$d/hakit.emu.new" <<CNF
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
sel_enable 0x20 1000 0x0a
mc_enable 0x20
CNF
}

ipmisim_up() {
	local d=$IPMISIM_DIR f changed=
	ipmisim_write_config
	for f in chassis.sh lan.conf hakit.emu; do
		if ! cmp -s "$d/$f.new" "$d/$f"; then
			changed=1
			mv "$d/$f.new" "$d/$f"
		else
			rm -f "$d/$f.new"
		fi
	done
	[ -f "$d/power" ] || echo 1 >"$d/power"
	if ipmisim_pid >/dev/null; then
		if [ -z "$changed" ] && ipmisim_answers; then
			return 0
		fi
		log "ipmisim: restarting ipmi_sim"
		stop_pidfile "$d/ipmi_sim.pid" "$d/lan.conf" 10
	fi
	log "ipmisim: starting ipmi_sim on 127.0.0.1:$IPMISIM_PORT"
	spawn "$d/ipmi_sim.pid" "$d/ipmi_sim.log" \
		ipmi_sim -n -c "$d/lan.conf" -f "$d/hakit.emu" -s "$d/state"
	wait_until "$HAKIT_WAIT" ipmisim_answers ||
		die_log "ipmisim: ipmi_sim does not answer chassis power status" "$d/ipmi_sim.log"
}

ipmisim_down() {
	if ipmisim_pid >/dev/null; then
		log "ipmisim: stopping ipmi_sim"
		stop_pidfile "$IPMISIM_DIR/ipmi_sim.pid" "$IPMISIM_DIR/lan.conf" 10
	fi
}

ipmisim_status() {
	if ipmisim_pid >/dev/null && ipmisim_answers; then
		status_line ipmisim up "127.0.0.1:$IPMISIM_PORT power=$(cat "$IPMISIM_DIR/power" 2>/dev/null)"
	else
		status_line ipmisim down ""
		return 1
	fi
}
