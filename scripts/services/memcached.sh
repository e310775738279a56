memcached_pkgs() { :; }
memcached_up() { die "memcached: not implemented"; }
memcached_down() { :; }
memcached_status() { status_line memcached down "not implemented"; return 1; }
