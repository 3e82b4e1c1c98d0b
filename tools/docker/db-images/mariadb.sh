#!/bin/sh
# The official mariadb/mysql images' conventions: MARIADB_ROOT_PASSWORD or
# MYSQL_ROOT_PASSWORD, MARIADB_USER/MYSQL_USER with MARIADB_PASSWORD/
# MYSQL_PASSWORD, MARIADB_DATABASE/MYSQL_DATABASE; /var/lib/mysql; init only
# when the data directory is empty; `mariadbd --key=value ...` as the command.
set -e
[ "${1#-}" != "$1" ] && set -- mariadbd "$@"
if [ "$1" = mariadbd ] || [ "$1" = mysqld ]; then
  shift
  datadir=/var/lib/mysql
  mkdir -p "$datadir" /run/mysqld
  root_pw="${MARIADB_ROOT_PASSWORD:-$MYSQL_ROOT_PASSWORD}"
  user="${MARIADB_USER:-$MYSQL_USER}"
  user_pw="${MARIADB_PASSWORD:-$MYSQL_PASSWORD}"
  db="${MARIADB_DATABASE:-$MYSQL_DATABASE}"
  if [ ! -d "$datadir/mysql" ]; then
    if [ -z "$root_pw" ]; then echo 'MARIADB_ROOT_PASSWORD (or MYSQL_ROOT_PASSWORD) must be set' >&2; exit 1; fi
    esc() { printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/\\\\'/g"; }
    init="$(mktemp)"
    {
      echo "CREATE DATABASE IF NOT EXISTS mysql;"
      echo "USE mysql;"
      cat /usr/share/mysql/mysql_system_tables.sql /usr/share/mysql/mysql_system_tables_data.sql
      echo "FLUSH PRIVILEGES;"
      echo "DROP USER IF EXISTS ''@'localhost', 'root'@'127.0.0.1', 'root'@'::1';"
      echo "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$(esc "$root_pw")';"
      echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
      echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$(esc "$root_pw")';"
      [ -n "$db" ] && echo "CREATE DATABASE IF NOT EXISTS \`$db\`;"
      if [ -n "$user" ] && [ -n "$user_pw" ]; then
        echo "CREATE USER '$(esc "$user")'@'%' IDENTIFIED BY '$(esc "$user_pw")';"
        [ -n "$db" ] && echo "GRANT ALL ON \`$db\`.* TO '$(esc "$user")'@'%';"
      fi
      echo "FLUSH PRIVILEGES;"
    } > "$init"
    mariadbd --user=root --datadir="$datadir" --bootstrap < "$init" >/dev/null 2>&1 || {
      echo 'database initialisation failed' >&2; mariadbd --user=root --datadir="$datadir" --bootstrap < "$init" >&2; exit 1; }
    rm -f "$init"
    echo "initialised $datadir"
  fi
  exec mariadbd --user=root --datadir="$datadir" --bind-address=0.0.0.0 --skip-name-resolve "$@"
fi
exec "$@"
