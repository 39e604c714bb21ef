#!/usr/bin/env bash
# A 200 MiB artifact from file://: dewy's fetch, verify and unpack beside cp + sha256sum -c + tar xzf by hand, the
# same archive, alternated RUNS times (default 5) in one run; medians and the ratio. BIG_MIB=N changes the size.
# Needs root (unshare), target/ built, python3, GNU tar, gzip, sha256sum and about 1 GB free in TMPDIR.
# Writes bench/results/artifact.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DEWY_HOME=$(cd "${DEWY_HOME:-$here/../target}" && pwd)
unset JAVA DEWY_JAVA_OPTS JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS
raw=$here/results/raw-artifact
rm -rf "$raw" && mkdir -p "$raw"
runs=${RUNS:-5}
big=${BIG_MIB:-200}
load=$(cut -d' ' -f1-3 /proc/loadavg)
timeout 900 /usr/bin/python3 "$here/lib/artifact.py" --dewy-home "$DEWY_HOME" --runs "$runs" --big-mib "$big" \
  --logdir "$raw" --out "$raw/artifact.json"
/usr/bin/python3 - "$raw/artifact.json" "$(git -C "$here/.." rev-parse --short HEAD)" "$load" <<'PY' | tee "$here/results/artifact.md"
import json, sys
d = json.load(open(sys.argv[1])); m = d["median"]
print(f"# A {d['big_mib']} MiB artifact from file://\n")
print(f"commit {sys.argv[2]}, load {sys.argv[3]} at the start, {d['runs']} runs alternated, medians "
      f"(bench/artifact.sh, bench/lib/artifact.py).\n")
print("| path | fetch and verify | unpack (and swap) | total | ratio |\n|---|---:|---:|---:|---:|")
print(f"| dewy (`new release` to `current swapped`) | {m['dewy_fetch_ms']:.0f} ms | {m['dewy_unpack_swap_ms']:.0f} ms "
      f"| {m['dewy_total_ms']:.0f} ms | {m['ratio']:.2f}x |")
print(f"| cp + `sha256sum -c` + `tar xzf` | {m['manual_copy_verify_ms']:.0f} ms | {m['manual_unpack_ms']:.0f} ms "
      f"| {m['manual_total_ms']:.0f} ms | 1 |")
PY
