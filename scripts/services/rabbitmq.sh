rabbitmq_pkgs() { :; }
rabbitmq_up() { die "rabbitmq: not implemented"; }
rabbitmq_down() { :; }
rabbitmq_status() { status_line rabbitmq down "not implemented"; return 1; }
