#!/usr/bin/env bash
# dewy pull-deploy benchmark (issue 5): time from a tag appearing (file://, ghr:// against a local fake GitHub
# API and s3:// against S3Proxy from target/s3proxy, -i 1s) to the new version serving, beside a classic deploy by
# hand (cp, sha256sum -c, tar xzf, symlink swap, stop-then-start); and dewy's RSS and heap while it deploys a 200 MiB artifact, beside a tiny one. Writes
# bench/results/deploy.md (also printed on stdout); progress on stderr, raw data in bench/results/raw-deploy/.
#
#   bench/deploy.sh [--quick]     DEWY_HOME=dir (default: ../target next to this script); RUNS=N (default 10,
#                                 3 with --quick); BIG_MIB=N (default 200, 50 with --quick);
#                                 REGISTRIES=file,ghr,s3 (the default; any of them, comma-separated);
#                                 REPORT=name (default deploy: bench/results/NAME.md, raw data in raw-NAME/)
#
# Needs root (unshare --pid), /usr/bin/python3, GNU tar, gzip, sha256sum; about 1 GB free in TMPDIR (default /tmp)
# while the big artifact exists. Everything stays on 127.0.0.1 and under one temp directory, removed at the end.
set -u

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
quick=0
for a in "$@"; do
  case $a in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "deploy.sh: unknown argument $a (try --help)" >&2; exit 2 ;;
  esac
done

DEWY_HOME=$(CDPATH='' cd -- "${DEWY_HOME:-$here/../target}" 2>/dev/null && pwd) || {
  echo "deploy.sh: DEWY_HOME (${DEWY_HOME:-$here/../target}) does not exist; build first (mvn package)" >&2; exit 2; }
PY=/usr/bin/python3
RES=$here/results
report=${REPORT:-deploy}
RAW=$RES/raw-$report
LIB=$here/lib
[ -e "$DEWY_HOME/dewy" ] || { echo "deploy.sh: $DEWY_HOME/dewy missing; build first (mvn package)" >&2; exit 2; }
for t in unshare java tar gzip sha256sum "$PY"; do
  command -v "$t" >/dev/null || { echo "deploy.sh: $t not found" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "deploy.sh: needs root (unshare --pid --fork --mount-proc)" >&2; exit 2; }
unset JAVA DEWY_JAVA_OPTS JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS GITHUB_TOKEN GH_TOKEN DEWY_REGISTRY \
  AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL

if [ $quick = 1 ]; then mode=quick; runs=${RUNS:-3}; big=${BIG_MIB:-50}
else mode=full; runs=${RUNS:-10}; big=${BIG_MIB:-200}; fi

rm -rf "$RAW"
mkdir -p "$RAW"
t_start=$(date +%s)
fact() { printf '%s: %s\n' "$1" "$2" >>"$RAW/facts.txt"; }
fact mode "$mode"
fact date "$(date -u '+%Y-%m-%d %H:%M UTC')"
fact commit "$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$here/.." diff --quiet HEAD -- src pom.xml 2>/dev/null || echo ' (+ local changes)')"
fact load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
fact nproc "$(nproc)"
fact cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort -u | head -n1)"
fact kernel "$(uname -sr)"
fact java17 "$(java -version 2>&1 | head -n1)"
fact python "$("$PY" --version 2>&1)"
sed 's/^/   /' "$RAW/facts.txt" >&2

# Bound: 3 latency variants x runs x ~3 s, 4 memory variants, building the big artifact; generous.
bound=$((240 + runs * 12 + big * 2))
printf '== pull deploys (%s releases per variant, %s MiB artifact, bound %ss)\n' "$runs" "$big" "$bound" >&2
timeout --signal=TERM --kill-after=20 $((bound + 30)) \
  "$PY" "$LIB/deploy.py" --dewy-home "$DEWY_HOME" --runs "$runs" --big-mib "$big" --bound "$bound" \
  --registries "${REGISTRIES:-file,ghr,s3}" --logdir "$RAW" --out "$RAW/deploy.json" >&2
rc=$?
[ $rc = 0 ] || printf '== pull deploys FAILED (exit %s); the report shows what ran\n' "$rc" >&2

t_end=$(date +%s)
fact load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
fact duration "$(( (t_end - t_start) / 60 )) min $(( (t_end - t_start) % 60 )) s"
"$PY" "$LIB/deploy_report.py" "$RAW" >"$RES/$report.md.tmp" && mv "$RES/$report.md.tmp" "$RES/$report.md" || exit 1
cat "$RES/$report.md"
exit $rc
