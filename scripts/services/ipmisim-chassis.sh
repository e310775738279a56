#!/bin/sh
# ipmisim-chassis.sh STATEFILE get|set NAME ["VALUE"]...
#
# Chassis control program of services.sh's ipmi_sim (its lan.conf
# chassis_control line). ipmi_sim runs it as `PROG set power "1"` for Chassis
# Control and `PROG get power` for Chassis Status, and reads "name:value"
# lines back (OpenIPMI lanserv extcmd protocol). The simulated power state is
# kept in STATEFILE ("0" or "1").
state=$1
shift
op=$1
shift
power() { cat "$state" 2>/dev/null || echo 0; }
case $op in
get)
	for name in "$@"; do
		case $name in
		power) echo "power:$(power)" ;;
		esac
	done
	;;
set)
	while [ $# -ge 2 ]; do
		name=$1
		val=$2
		shift 2
		case $name in
		power) [ "$val" = 0 ] && echo 0 >"$state" || echo 1 >"$state" ;;
		shutdown) echo 0 >"$state" ;; # soft off
		reset | boot | identify) ;;    # power state unchanged
		esac
	done
	;;
check) ;;
*) exit 1 ;;
esac
exit 0
