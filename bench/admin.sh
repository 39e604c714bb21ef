#!/usr/bin/env bash
# What --admin costs (the JDK's HTTP server and the Prometheus client for /metrics): RSS and CPU of dewy idle with
# and without it, and scraped every second, side by side in one run. Needs root (unshare) and target/ built.
# Writes bench/results/admin.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DEWY_HOME=${DEWY_HOME:-$here/../target}
unset JAVA DEWY_JAVA_OPTS JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS
mkdir -p "$here/results/raw-admin"
runs=${RUNS:-3}
{
  echo "# What --admin costs"
  echo
  echo "commit $(git -C "$here/.." rev-parse --short HEAD), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
    "load $(cut -d' ' -f1-3 /proc/loadavg) at the start; $runs runs of 5 s settle + 30 s window, the three" \
    "variants started together in each (bench/lib/admin_cost.py)."
  for i in $(seq 1 "$runs"); do
    echo
    echo "Run $i:"
    echo
    timeout 120 /usr/bin/python3 "$here/lib/admin_cost.py" --dewy-home "$DEWY_HOME" \
      --out "$here/results/raw-admin/run-$i.json"
  done
} | tee "$here/results/admin.md"
