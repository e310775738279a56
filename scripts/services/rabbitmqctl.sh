#!/usr/bin/env bash
# rabbitmqctl.sh I ARGS... runs `rabbitmqctl ARGS...` against node
# hakit<I>@localhost (I = 1, 2 or 3) of services.sh's RabbitMQ cluster, with
# its cookie and epmd. Example: scripts/services/rabbitmqctl.sh 2 stop_app
set -euo pipefail
HAKIT_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib.sh
. "$HAKIT_SCRIPTS/services/lib.sh"
# shellcheck source=rabbitmq.sh
. "$HAKIT_SCRIPTS/services/rabbitmq.sh"
[ $# -ge 2 ] || die "usage: rabbitmqctl.sh 1|2|3 ARGS..."
case $1 in 1 | 2 | 3) ;; *) die "rabbitmqctl.sh: node must be 1, 2 or 3, not '$1'" ;; esac
rabbit_ctl "$@"
