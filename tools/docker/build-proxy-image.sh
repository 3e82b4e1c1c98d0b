#!/usr/bin/env bash
# Builds slipway-test/caddy:2, the stand-in for the official caddy:2 image (no
# registry is reachable here), from Debian's caddy package (2.6, linked against
# libc6 and libzstd1, both taken from Debian too) plus busybox (sh, wget for health checks) and the CA bundle. The
# entrypoint matches the official image: `caddy run` with the admin API on
# 0.0.0.0:2019 so Slipway configures it with JSON (POST /load), data in /data.
# Idempotent and cached: skipped when the image exists (--force rebuilds).
set -euo pipefail

IMAGE="${SLIPWAY_TEST_PROXY_IMAGE:-slipway-test/caddy:2}"
if [ "${1:-}" != "--force" ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE is present"
  exit 0
fi

CACHE="${SLIPWAY_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slipway-debs}"
mkdir -p "$CACHE"
pkgs=(caddy libc6 libzstd1 busybox-static ca-certificates)
missing=()
for p in "${pkgs[@]}"; do
  ls "$CACHE/${p}_"*.deb >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  (cd "$CACHE" && apt-get download "${missing[@]}" >/dev/null 2>"$CACHE/apt.err") || {
    apt-get update -qq
    (cd "$CACHE" && apt-get download "${missing[@]}" >/dev/null)
  }
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs"
for p in "${pkgs[@]}"; do
  dpkg-deb -x "$(ls "$CACHE/${p}_"*.deb | head -n1)" "$rootfs"
done
# ca-certificates ships the PEMs; the bundle is made by its postinst.
mkdir -p "$rootfs/etc/ssl/certs"
find "$rootfs/usr/share/ca-certificates" -name '*.crt' -exec cat {} + > "$rootfs/etc/ssl/certs/ca-certificates.crt"
rm -rf "$rootfs/usr/share/doc" "$rootfs/usr/share/man" "$rootfs/usr/share/ca-certificates" "$rootfs/lib/systemd" "$rootfs/usr/lib/systemd"
# Debian's usrmerge layout: the loader is looked up at /lib64.
[ -e "$rootfs/lib64" ] || ln -s usr/lib64 "$rootfs/lib64"
[ -e "$rootfs/lib" ] || ln -s usr/lib "$rootfs/lib"
mkdir -p "$rootfs/bin" "$rootfs/sbin" "$rootfs/usr/sbin" "$rootfs/tmp" "$rootfs/data" "$rootfs/config" "$rootfs/etc/caddy" "$rootfs/root"
chmod 1777 "$rootfs/tmp"
for applet in $("$rootfs/bin/busybox" --list); do
  [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
echo 'root:x:0:' > "$rootfs/etc/group"
echo 'nobody:x:65534:65534:nobody:/:/bin/false' >> "$rootfs/etc/passwd"
echo 'hosts: files dns' > "$rootfs/etc/nsswitch.conf"
# The official image's default config: admin API only, on all interfaces.
printf '{"admin":{"listen":"0.0.0.0:2019"}}\n' > "$rootfs/etc/caddy/caddy.json"

tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin' \
  --change 'ENV XDG_CONFIG_HOME=/config' \
  --change 'ENV XDG_DATA_HOME=/data' \
  --change 'WORKDIR /srv' \
  --change 'EXPOSE 80 443 2019' \
  --change 'CMD ["caddy", "run", "--config", "/etc/caddy/caddy.json"]' \
  --change 'LABEL org.opencontainers.image.title=slipway-test-caddy' \
  - "$IMAGE" >/dev/null
echo "built $IMAGE"
