#!/bin/sh
# Build step (mvn package): makes target/dewy executable and writes target/dewy.jsa, an AppCDS archive recorded
# from one real run of the launcher, so later starts map dewy's classes instead of loading and verifying them.
set -eu
target=$1
chmod +x "$target/dewy"
rm -f "$target/dewy.jsa"
if ! env --block-signal=1 true 2>/dev/null; then
  echo "cds-train: GNU env without --block-signal; no CDS archive (dewy still works, it starts slower)" >&2
  exit 0
fi
DEWY_JAVA_OPTS="-XX:ArchiveClassesAtExit=$target/dewy.jsa -Xlog:cds=off -Xlog:cds+dynamic=off" \
  "$target/dewy" server --log-level debug -- /bin/true 2>/dev/null
if [ -f "$target/dewy.jsa" ]; then
  echo "cds-train: wrote $target/dewy.jsa"
else
  echo "cds-train: the JVM wrote no archive; dewy still works, it starts slower" >&2
fi
