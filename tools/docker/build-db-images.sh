#!/usr/bin/env bash
# Builds local stand-ins for the official database images from Debian's
# packages (no registry is reachable here): slipway-test/postgres:15,
# slipway-test/mariadb:10.11, slipway-test/redis:7 and slipway-test/nats:2. Each is a rootfs made
# of `apt-get download` + `dpkg-deb -x` of the engine and its libraries (no
# perl, no package manager), imported with `docker import`, with an entrypoint
# that honours the official images' conventions: POSTGRES_USER/PASSWORD/DB and
# PGDATA; MARIADB_*/MYSQL_* root, user, password and database variables and
# /var/lib/mysql; redis-server arguments (--requirepass) and /data; the data
# directory is initialised only when the volume is empty.
# Idempotent and cached: an image that exists is skipped (--force rebuilds).
# MongoDB has no Debian package: it is not built (nor exercised) here.
set -euo pipefail

FORCE="${1:-}"
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${SLIPWAY_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slipway-debs}"
mkdir -p "$CACHE"

# Never needed at run time: package tooling, perl, docs, JIT, locales.
EXCLUDE='^(perl|perl-base|perl-modules-.*|libperl.*|lib.*-perl|debconf|cdebconf|adduser|dpkg|install-info|locales|locales-all|libc-l10n|usrmerge|usr-is-merged|init-system-helpers|lsb-base|sysvinit-utils|ucf|sensible-utils|libllvm.*|libz3-.*|postgresql-common|postgresql-client-common|ssl-cert|passwd|tar|libdebian-installer4|libnewt.*|libslang2|libtextwrap1|libsemanage.*|mariadb-common|mysql-common|galera-.*|socat|rsync|lsof|psmisc|iproute2|libdbi-perl|libdbd-.*|gawk|debianutils|procps|pwgen|libc-bin)$'

deps() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances "$@" 2>/dev/null \
    | grep -E '^[a-z0-9]' | sort -u | grep -Ev "$EXCLUDE" || true
}

download() {
  # apt-get download writes into the current directory (the cache); the _apt
  # user may not be able to, which apt only warns about.
  (cd "$CACHE" && apt-get download "$@" >/dev/null 2>"$CACHE/apt.err") || {
    apt-get update -qq
    (cd "$CACHE" && apt-get download "$@" >/dev/null)
  }
}

build() {
  local image=$1 entry=$2; shift 2
  if [ "$FORCE" != "--force" ] && docker image inspect "$image" >/dev/null 2>&1; then
    echo "$image is present"
    return 0
  fi
  local pkgs missing=() p
  pkgs="$( (deps "$@"; echo busybox-static) | sort -u)"
  for p in $pkgs; do
    ls "$CACHE/${p}_"*.deb >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] || download "${missing[@]}"
  local work rootfs
  work="$(mktemp -d)"
  rootfs="$work/rootfs"
  mkdir -p "$rootfs"
  for p in $pkgs; do
    dpkg-deb -x "$(ls "$CACHE/${p}_"*.deb | sort | tail -n1)" "$rootfs"
  done
  rm -rf "$rootfs/usr/share/doc" "$rootfs/usr/share/man" "$rootfs/usr/share/info" "$rootfs/usr/share/locale" "$rootfs/usr/share/lintian"
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/run" "$rootfs/root" "$rootfs/usr/local/bin"
  chmod 1777 "$rootfs/tmp"
  for applet in $("$rootfs/bin/busybox" --list); do
    [ -e "$rootfs/bin/$applet" ] || [ -e "$rootfs/usr/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
  done
  cat > "$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
postgres:x:999:999:postgres:/var/lib/postgresql:/bin/sh
mysql:x:998:998:mysql:/var/lib/mysql:/bin/sh
redis:x:997:997:redis:/data:/bin/sh
nobody:x:65534:65534:nobody:/:/bin/false
PASSWD
  printf 'root:x:0:\npostgres:x:999:\nmysql:x:998:\nredis:x:997:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
  echo 'hosts: files dns' > "$rootfs/etc/nsswitch.conf"
  echo 'include /etc/ld.so.conf.d/*.conf' > "$rootfs/etc/ld.so.conf"
  ldconfig -r "$rootfs"
  install -m 0755 "$HERE/db-images/$entry" "$rootfs/usr/local/bin/docker-entrypoint.sh"
  local path='PATH=/usr/local/bin:/usr/lib/postgresql/15/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  local cmd
  case "$entry" in
    postgres.sh) cmd='["postgres"]' ;;
    mariadb.sh) cmd='["mariadbd"]' ;;
    redis.sh) cmd='["redis-server"]' ;;
    nats.sh) cmd='["nats-server", "-js", "-sd", "/data"]' ;;
  esac
  tar -C "$rootfs" -c . | docker import \
    --change "ENV $path" \
    --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
    --change "CMD $cmd" \
    --change "LABEL org.opencontainers.image.title=$image" \
    - "$image" >/dev/null
  rm -rf "$work"
  echo "built $image"
}

build slipway-test/postgres:15 postgres.sh postgresql-15 postgresql-client-15
build slipway-test/mariadb:10.11 mariadb.sh mariadb-server-core mariadb-client
build slipway-test/redis:7 redis.sh redis-server redis-tools
# The control plane's own NATS, for `npm start` on a host without one (tools/cli/src/backing-services.ts).
build slipway-test/nats:2 nats.sh nats-server
