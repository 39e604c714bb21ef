#!/bin/sh
# Builds the local base image for dewy's image and container tests, with no registry: FROM scratch, a jlink'd JRE
# from the host's JDK 17 (at /opt/java/openjdk, like eclipse-temurin's images), the shared libraries it needs,
# busybox-static for a shell, GNU env (dewy's entrypoint needs --block-signal) and tini (for the benchmark's
# "same base with tini" variant). The tag is printed on stdout.
#
#   docker/base-image.sh        build unless the engine already has this recipe's image (docker image inspect)
#
# Needs: a running engine (docker/engine.sh start), the JDK at JDK (default /usr/lib/jvm/java-17-openjdk-amd64),
# busybox-static, tini, coreutils. BASE_IMAGE overrides the tag (default dewy-base:17); EXTRA_MODULES adds JDK
# modules (the Spring Boot example's image: java.desktop,java.naming,java.sql,java.xml,java.instrument,
# java.security.jgss, see .ci/run).
set -eu
tag=${BASE_IMAGE:-dewy-base:17}
jdk=${JDK:-/usr/lib/jvm/java-17-openjdk-amd64}
# What dewy and a small server need: tinylog uses java.management, jnr-ffi jdk.unsupported, dewy's --admin server
# jdk.httpserver, pull deploys and notifiers java.net.http, the AWS SDK of s3:// java.xml (StAX reads S3's XML
# answers); the rest are the usual minimum for a server (zip file systems, TLS with EC keys).
modules=java.base,java.logging,java.management,jdk.unsupported,jdk.zipfs,jdk.crypto.ec,jdk.httpserver,java.net.http,java.xml
modules=$modules${EXTRA_MODULES:+,$EXTRA_MODULES}
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)

for f in "$jdk/bin/jlink" /bin/busybox /usr/bin/tini-static /usr/bin/env; do
  [ -e "$f" ] || {
    echo "base-image: $f missing (apt-get install busybox-static tini openjdk-17-jdk-headless)" >&2
    exit 1
  }
done
env --block-signal=1 true 2>/dev/null || {
  echo "base-image: /usr/bin/env lacks --block-signal (coreutils >= 8.31)" >&2
  exit 1
}

# The cache key: this script, the JDK build and the binaries copied in. Same key, same image: nothing to do.
recipe=$( { cat "$0" "$jdk/release"; echo "$modules"; sha256sum /bin/busybox /usr/bin/tini-static /usr/bin/env; } \
  | sha256sum | cut -c1-16)
if [ "$(docker image inspect -f '{{index .Config.Labels "dewy.base.recipe"}}' "$tag" 2>/dev/null)" = "$recipe" ]; then
  echo "base-image: $tag is up to date (recipe $recipe)" >&2
  echo "$tag"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/opt/java" "$root/bin" "$root/usr/bin" "$root/sbin" "$root/etc" "$root/tmp" "$root/app"
chmod 1777 "$root/tmp"

# --generate-cds-archive: the JRE's default CDS archive, which dewy's AppCDS archive (a dynamic one) builds on.
# No --compress: compressed modules cost start-up time.
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
  --generate-cds-archive --output "$root/opt/java/openjdk" >&2 # stdout is for the tag alone

# Every shared library the JRE and env load, at the same path as on the host, plus the dynamic loader.
for bin in "$root/opt/java/openjdk/bin/java" $(find "$root/opt/java/openjdk/lib" -name '*.so') /usr/bin/env; do
  ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'
done | sort -u | while read -r lib; do
  case $lib in "$root"/*) continue ;; esac # the JRE's own libraries, found through their $ORIGIN run path
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
# Debian's libjvm loads these with dlopen, which ldd does not list.
for lib in /lib/x86_64-linux-gnu/libdl.so.2 /lib/x86_64-linux-gnu/libpthread.so.0 /lib/x86_64-linux-gnu/librt.so.1; do
  [ -e "$lib" ] && mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"
done

# libcrypto: dewy hashes artifacts with it (dewy.posix.Sha256); the JDK's SHA-256 under the launcher's C1-only JIT is
# about 6 times slower (bench/artifact.sh). Nothing else in the image links it.
for lib in /usr/lib/x86_64-linux-gnu/libcrypto.so.3 /usr/lib/aarch64-linux-gnu/libcrypto.so.3; do
  [ -e "$lib" ] && mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"
done
[ -e "$root/usr/lib/x86_64-linux-gnu/libcrypto.so.3" ] || [ -e "$root/usr/lib/aarch64-linux-gnu/libcrypto.so.3" ] || {
  echo "base-image: libcrypto.so.3 missing (apt-get install libssl3)" >&2
  exit 1
}

cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
  # GNU env stays the only env: busybox's has no --block-signal.
  [ "$applet" = busybox ] || [ "$applet" = env ] || ln -s busybox "$root/bin/$applet"
done
cp /usr/bin/env "$root/usr/bin/env"
cp /usr/bin/tini-static "$root/usr/bin/tini"

cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
nonroot:x:65532:65532:nonroot:/home/nonroot:/bin/false
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
nobody:x:65534:
nonroot:x:65532:
GROUP

old=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
tar -C "$root" -c . | docker import \
  -c 'ENV JAVA_HOME=/opt/java/openjdk' \
  -c 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c "LABEL dewy.base.recipe=$recipe" \
  -c "LABEL org.opencontainers.image.description=\"dewy's test base: jlink'd JDK 17, busybox, GNU env, tini\"" \
  - "$tag" >/dev/null
# The previous build, now untagged; it stays if a container still uses it.
[ -z "$old" ] || docker rmi "$old" >/dev/null 2>&1 || true
size=$(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1 / 1e6}')
echo "base-image: built $tag (recipe $recipe, $size)" >&2
echo "$tag"
