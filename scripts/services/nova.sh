nova_pkgs() { :; }
nova_up() { die "nova: not implemented"; }
nova_down() { :; }
nova_status() { status_line nova down "not implemented"; return 1; }
