#!/usr/bin/env bash
# Why dewy hashes with libcrypto: the JDK's SHA-256 under the launcher's flags (C1 alone) against the same flags with
# C2 allowed, and what allowing C2 costs dewy's start-up (a whole `target/dewy server -- /bin/true`), both variants
# alternated in one run; medians. RUNS=N (default 21). Needs target/ built. Writes bench/results/jit.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DEWY_HOME=$(cd "${DEWY_HOME:-$here/../target}" && pwd)
unset JAVA DEWY_JAVA_OPTS JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS
runs=${RUNS:-21}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
javac -d "$work" "$here/lib/Sha256Speed.java"
c1="-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1"
c2="-XX:CICompilerCount=2"
grep -q -- "$c1" "$DEWY_HOME/dewy" || { echo "jit.sh: $DEWY_HOME/dewy no longer has '$c1'" >&2; exit 1; }
sed "s/$c1/$c2/" "$DEWY_HOME/dewy" >"$DEWY_HOME/dewy-bench-c2" && chmod +x "$DEWY_HOME/dewy-bench-c2"
trap 'rm -rf "$work" "$DEWY_HOME/dewy-bench-c2"' EXIT
rest="-XX:+UseSerialGC -XX:ReservedCodeCacheSize=16m -XX:-UsePerfData -Xss256k -Xms4m -Xmx64m"
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: >"$work/h1"; : >"$work/h2"; : >"$work/s1"; : >"$work/s2"
for i in $(seq 5); do
  java $rest $c1 -cp "$work" Sha256Speed 200 | awk '{print $4}' >>"$work/h1"
  java $rest $c2 -cp "$work" Sha256Speed 200 | awk '{print $4}' >>"$work/h2"
done
for i in $(seq "$runs"); do
  ms "$DEWY_HOME/dewy" server -- /bin/true >>"$work/s1"
  ms "$DEWY_HOME/dewy-bench-c2" server -- /bin/true >>"$work/s2"
done
h1=$(med <"$work/h1"); h2=$(med <"$work/h2"); s1=$(med <"$work/s1"); s2=$(med <"$work/s2")
{
  echo "# C1 alone or C2 too"
  echo
  echo "commit $(git -C "$here/.." rev-parse --short HEAD), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load" \
    "$(cut -d' ' -f1-3 /proc/loadavg) at the end; medians, the variants alternated (bench/jit.sh)."
  echo
  echo "| flags | JDK SHA-256 of 200 MiB (5 runs) | whole \`dewy server -- /bin/true\` ($runs runs) |"
  echo "|---|---:|---:|"
  echo "| dewy's (\`$c1\`) | $h1 ms | $s1 ms |"
  echo "| C2 allowed (\`$c2\`) | $h2 ms | $s2 ms |"
} | tee "$here/results/jit.md"
