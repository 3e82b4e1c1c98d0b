#!/bin/sh
# The official nats image's conventions: `nats-server [args]` (or only args)
# as the command; JetStream state under /data when -js is given with -sd /data.
set -e
[ "${1#-}" != "$1" ] && set -- nats-server "$@"
mkdir -p /data
if [ "$1" = nats-server ]; then
  shift
  exec nats-server "$@"
fi
exec "$@"
