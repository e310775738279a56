ferretdb_pkgs() { :; }
ferretdb_up() { die "ferretdb: not implemented"; }
ferretdb_down() { :; }
ferretdb_status() { status_line ferretdb down "not implemented"; return 1; }
