#!/bin/sh
# The official postgres image's conventions: POSTGRES_USER (default postgres),
# POSTGRES_PASSWORD, POSTGRES_DB (default the user), PGDATA; init only when the
# data directory is empty; `postgres -c key=value ...` as the command.
set -e
[ "${1#-}" != "$1" ] && set -- postgres "$@"
PGDATA="${PGDATA:-/var/lib/postgresql/data}"
export PGDATA
if [ "$1" = postgres ]; then
  shift
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    user="${POSTGRES_USER:-postgres}"
    db="${POSTGRES_DB:-$user}"
    if [ -z "$POSTGRES_PASSWORD" ]; then echo 'POSTGRES_PASSWORD must be set' >&2; exit 1; fi
    pw="$(mktemp)"; printf '%s\n' "$POSTGRES_PASSWORD" > "$pw"; chown postgres "$pw"
    su postgres -s /bin/sh -c "initdb -D '$PGDATA' -U '$user' --pwfile='$pw' --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C" >/dev/null
    rm -f "$pw"
    echo 'host all all all scram-sha-256' >> "$PGDATA/pg_hba.conf"
    if [ "$db" != postgres ]; then
      printf 'CREATE DATABASE "%s" OWNER "%s";\n' "$db" "$user" | su postgres -s /bin/sh -c "postgres --single -D '$PGDATA' -j postgres" >/dev/null
    fi
    echo "initialised $PGDATA"
  fi
  exec su postgres -s /bin/sh -c 'exec postgres -D "$PGDATA" -c listen_addresses="*" -c jit=off "$@"' -- sh "$@"
fi
exec "$@"
