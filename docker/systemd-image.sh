#!/bin/sh
# Builds the image SystemdBootIT boots: a real systemd as PID 1 (Debian bookworm from debootstrap, with systemd from
# bookworm-backports: bookworm's own 252 predates Type=notify-reload, which needs 253) and dewy's JRE, copied from
# the base image (docker/base-image.sh). dewy and the applications are not in it: the test copies them into each
# container, so a new build of dewy does not rebuild this. The tag is printed on stdout.
#
#   docker/systemd-image.sh BASE_IMAGE    build unless the engine already has this recipe's image
#
# Needs: a running engine, root, debootstrap, and Debian's archive (DEBIAN_MIRROR, default deb.debian.org): the
# packages come from it, nothing is pulled from a registry. SYSTEMD_IMAGE overrides the tag (default
# dewy-systemd:bookworm). Every unit that could touch the host is masked: the container runs with the host's network
# (the only one allowed here), so no networkd, resolved, timesyncd; no udev, getty, logind or kernel-module units.
set -eu
base=${1:?usage: docker/systemd-image.sh BASE_IMAGE}
tag=${SYSTEMD_IMAGE:-dewy-systemd:bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || { echo "systemd-image: no debootstrap (apt-get install debootstrap)" >&2; exit 1; }
base_recipe=$(docker image inspect -f '{{.Id}}' "$base") # the JRE comes from it

# The cache key: this script and the base image. Same key, same image: nothing to do. The Debian packages are
# whatever the archive has when the key changes.
recipe=$( { cat "$0"; echo "$base_recipe $mirror"; } | sha256sum | cut -c1-16)
if [ "$(docker image inspect -f '{{index .Config.Labels "dewy.systemd.recipe"}}' "$tag" 2>/dev/null)" = "$recipe" ]; then
  echo "systemd-image: $tag is up to date (recipe $recipe)" >&2
  echo "$tag"
  exit 0
fi

work=$(mktemp -d)
root=$work/root
cleanup() {
  umount "$root/proc" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
start=$(date +%s)
debootstrap --variant=minbase bookworm "$root" "$mirror" >&2
echo "deb $mirror bookworm-backports main" >"$root/etc/apt/sources.list.d/backports.list"
mount -t proc proc "$root/proc" # the JVM's $ORIGIN run path and dpkg's scripts read /proc/self
chroot "$root" apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -q --no-install-recommends \
  -t bookworm-backports systemd systemd-sysv procps >&2 # procps: /bin/kill, dewy.service's ExecReload
version=$(chroot "$root" dpkg-query -W -f '${Version}' systemd)

# Units that would reach for the host's network, devices, clock, consoles or kernel, or that wait for them.
for unit in systemd-networkd.service systemd-networkd.socket systemd-networkd-wait-online.service \
    systemd-network-generator.service systemd-resolved.service systemd-timesyncd.service \
    systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket systemd-udev-trigger.service \
    systemd-udev-settle.service systemd-hwdb-update.service systemd-modules-load.service kmod-static-nodes.service \
    systemd-sysctl.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount \
    sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount sys-fs-fuse-connections.mount \
    dev-hugepages.mount dev-mqueue.mount tmp.mount systemd-remount-fs.service systemd-random-seed.service \
    systemd-pstore.service systemd-firstboot.service systemd-machine-id-commit.service systemd-logind.service \
    getty.target getty@tty1.service console-getty.service serial-getty@.service getty-static.service \
    systemd-ask-password-console.path systemd-ask-password-wall.path swap.target cryptsetup.target \
    veritysetup.target integritysetup.target \
    apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
ln -sf /lib/systemd/system/multi-user.target "$root/etc/systemd/system/default.target"

# dewy's JRE, at the path the base image has it, and on systemd's default PATH.
cid=$(docker create "$base" true)
docker cp "$cid:/opt/java" - | tar -x -C "$root/opt"
docker rm "$cid" >/dev/null
ln -s /opt/java/openjdk/bin/java "$root/usr/bin/java"
chroot "$root" java -version >&2
# The shipped unit's User= and Group=.
chroot "$root" useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin hello

umount "$root/proc"
chroot "$root" apt-get clean
rm -rf "$root/var/lib/apt/lists/"* "$root/etc/machine-id"
: >"$root/etc/machine-id" # empty: systemd makes a transient one at boot

old=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
tar -C "$root" -c . | docker import \
  -c 'ENV container=docker' \
  -c 'CMD ["/lib/systemd/systemd"]' \
  -c "LABEL dewy.systemd.recipe=$recipe" \
  -c "LABEL dewy.systemd.version=$version" \
  -c "LABEL org.opencontainers.image.description=\"dewy's systemd test image: Debian bookworm, systemd $version, dewy's JRE\"" \
  - "$tag" >/dev/null
[ -z "$old" ] || docker rmi "$old" >/dev/null 2>&1 || true
size=$(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1 / 1e6}')
echo "systemd-image: built $tag (recipe $recipe, systemd $version, $size, $(( $(date +%s) - start )) s)" >&2
echo "$tag"
