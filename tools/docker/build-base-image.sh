#!/usr/bin/env bash
# Builds slipway-test/busybox:latest, the base image of every Docker test, from
# Debian's busybox-static package: no container registry is needed (CI machines
# cannot pull). busybox brings sh, httpd (serves the test sites) and wget.
# Idempotent: does nothing when the image exists, unless --force is given.
set -euo pipefail

IMAGE="${SLIPWAY_TEST_BASE_IMAGE:-slipway-test/busybox:latest}"

if [ "${1:-}" != "--force" ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE is present"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# apt-get download writes into the current directory; the _apt user may not be
# able to, which apt only warns about.
if ! apt-get download busybox-static >/dev/null 2>"$work/apt.err"; then
  echo "apt-get download busybox-static failed; trying after apt-get update" >&2
  apt-get update -qq
  apt-get download busybox-static >/dev/null
fi
deb="$(ls "$work"/busybox-static_*.deb | head -n1)"

rootfs="$work/rootfs"
mkdir -p "$rootfs"
dpkg-deb -x "$deb" "$rootfs"
rm -rf "$rootfs/usr/share"
mkdir -p "$rootfs/bin" "$rootfs/sbin" "$rootfs/usr/bin" "$rootfs/usr/sbin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/www" "$rootfs/root"
chmod 1777 "$rootfs/tmp"
for applet in $("$rootfs/bin/busybox" --list); do
  [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
echo 'root:x:0:' > "$rootfs/etc/group"
echo 'nobody:x:65534:65534:nobody:/:/bin/false' >> "$rootfs/etc/passwd"

tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin' \
  --change 'CMD ["/bin/sh"]' \
  --change 'LABEL org.opencontainers.image.title=slipway-test-busybox' \
  - "$IMAGE" >/dev/null
echo "built $IMAGE"
