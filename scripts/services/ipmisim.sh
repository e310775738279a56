ipmisim_pkgs() { :; }
ipmisim_up() { die "ipmisim: not implemented"; }
ipmisim_down() { :; }
ipmisim_status() { status_line ipmisim down "not implemented"; return 1; }
