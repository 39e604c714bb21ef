#!/usr/bin/env bash
# Restarts of the Spring Boot example (docker/examples/spring-boot, the starter only) under a nonstop loopback load,
# through dewy and through stop-then-start, side by side in one run: failed requests, p99 latency, and the time from
# the restart signal to the new version serving. Report: bench/results/spring-boot.md; raw data:
# bench/results/raw-spring-boot/. Needs root, python3, the built target/dewy and the example jar
# (src/build/java-apps.sh, or `mvn verify`).
#
#   bench/spring-boot.sh [--quick]     (5 restarts instead of 20)
set -u
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
restarts=20
[ "${1:-}" = --quick ] && restarts=5
jar=$here/../docker/examples/spring-boot/target/hello-spring-boot.jar
DEWY_HOME=$(CDPATH='' cd -- "${DEWY_HOME:-$here/../target}" && pwd)
[ -f "$jar" ] || { echo "spring-boot.sh: $jar missing: run src/build/java-apps.sh" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "spring-boot.sh: needs root (unshare --pid)" >&2; exit 2; }
unset JAVA DEWY_JAVA_OPTS JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS
raw=$here/results/raw-spring-boot
rm -rf "$raw"; mkdir -p "$raw"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git -C "$here/.." rev-parse --short HEAD)$(git -C "$here/.." diff --quiet HEAD 2>/dev/null || echo ' (+ local changes)')"
  echo "machine: $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), $(uname -sr)"
  echo "java: $(java -version 2>&1 | head -n1)"
  echo "load_start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$raw/facts.txt"
timeout --signal=TERM --kill-after=15 2400 /usr/bin/python3 "$here/lib/restart.py" --dewy-home "$DEWY_HOME" \
  --jar "$jar" --start-bound 120 --restarts "$restarts" --interval 2 --variants dewy,dewy_idle,baseline --bound 2300 \
  --logdir "$raw" --out "$raw/restart.json" >&2
echo "load_end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$raw/facts.txt"
/usr/bin/python3 "$here/lib/spring_report.py" "$raw" >"$here/results/spring-boot.md"
cat "$here/results/spring-boot.md"
