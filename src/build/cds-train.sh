#!/bin/sh
# Build step (mvn package): makes target/dewy executable and writes target/dewy.jsa, an AppCDS archive recorded
# from one real run of the launcher, so later starts map dewy's classes instead of loading and verifying them.
# dewy.jsa.version names the JVM that wrote it; the launcher and the relaunch use the archive only with that JVM.
set -eu
target=$1
java=${JAVA:-java}
chmod +x "$target/dewy"
rm -f "$target/dewy.jsa" "$target/dewy.jsa.version"
if ! env --block-signal=1 true 2>/dev/null; then
  echo "cds-train: GNU env without --block-signal; no CDS archive (dewy still works, it starts slower)" >&2
  exit 0
fi
release="$(dirname "$(dirname "$(readlink -f "$(command -v "$java")")")")/release"
version=$(sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"$/\1/p' "$release" 2>/dev/null || true)
if [ -z "$version" ]; then
  echo "cds-train: no JAVA_RUNTIME_VERSION in $release; no CDS archive" >&2
  exit 0
fi
DEWY_JAVA_OPTS="-XX:ArchiveClassesAtExit=$target/dewy.jsa -Xlog:cds=off -Xlog:cds+dynamic=off" \
  "$target/dewy" server --log-level debug -- /bin/true 2>/dev/null
if [ -f "$target/dewy.jsa" ]; then
  printf '%s\n' "$version" > "$target/dewy.jsa.version"
  echo "cds-train: wrote $target/dewy.jsa for $version"
else
  echo "cds-train: the JVM wrote no archive; dewy still works, it starts slower" >&2
fi
