redis_pkgs() { :; }
redis_up() { die "redis: not implemented"; }
redis_down() { :; }
redis_status() { status_line redis down "not implemented"; return 1; }
