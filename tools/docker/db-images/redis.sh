#!/bin/sh
# The official redis image's conventions: `redis-server [args]` (or only
# args) as the command, /data as the working and data directory.
set -e
[ "${1#-}" != "$1" ] && set -- redis-server "$@"
mkdir -p /data
cd /data
if [ "$1" = redis-server ]; then
  shift
  exec redis-server --dir /data --bind 0.0.0.0 --protected-mode no "$@"
fi
exec "$@"
