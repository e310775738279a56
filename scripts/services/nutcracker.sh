nutcracker_pkgs() { :; }
nutcracker_up() { die "nutcracker: not implemented"; }
nutcracker_down() { :; }
nutcracker_status() { status_line nutcracker down "not implemented"; return 1; }
