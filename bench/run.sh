#!/usr/bin/env bash
# dewy benchmarks: start-up to exec, whole run, idle cost, signal-forward latency, reaping, restarts under load, in
# containers, pull deploys and preforking servers; dewy side by side with tini and with no init (restarts: with a
# naive stop-then-start; containers: also with docker run --init; preforking servers: with Perl's start_server).
# Prints a Markdown report on stdout and writes it to bench/results/latest.md; progress goes to stderr, raw data to
# bench/results/raw/. See bench/README.md.
#
#   bench/run.sh [--quick]       DEWY_HOME=dir (default: ../target next to this script) holds dewy, dewy.jar, dewy.jsa
#   bench/run.sh --containers    step 7 alone: report in bench/results/containers.md, raw data in raw-containers/
#   bench/run.sh --deploy        step 8 alone (bench/deploy.sh): report in bench/results/deploy.md, raw in raw-deploy/
#   bench/run.sh --prefork       step 9 alone: report in bench/results/prefork.md, raw data in raw-prefork/
#   bench/run.sh --spring-boot   the Spring Boot example's restarts alone (bench/spring-boot.sh): spring-boot.md
#
# Needs root (unshare --pid), tini, hyperfine, python3 (/usr/bin/python3), GNU env; JDK 25 is optional (JAVA25);
# the in-container step needs a Docker engine (DOCKER_HOST) holding DEWY_IMAGE (default dewy:test) and gcc; step 9
# needs start_server (libserver-starter-perl), gunicorn (python3-gunicorn) and uwsgi (uwsgi-plugin-python3), and
# alone it needs neither tini nor hyperfine.
set -u

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
quick=0
only=""
for a in "$@"; do
  case $a in
    --quick) quick=1 ;;
    --containers) only=containers ;;
    --deploy) only=deploy ;;
    --prefork) only=prefork ;;
    --spring-boot) only=spring-boot ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $a (try --help)" >&2; exit 2 ;;
  esac
done

if [ "$only" = spring-boot ]; then
  if [ $quick = 1 ]; then exec "$here/spring-boot.sh" --quick; else exec "$here/spring-boot.sh"; fi
fi
if [ "$only" = deploy ]; then
  if [ $quick = 1 ]; then exec "$here/deploy.sh" --quick; else exec "$here/deploy.sh"; fi
fi

DEWY_HOME=$(CDPATH='' cd -- "${DEWY_HOME:-$here/../target}" 2>/dev/null && pwd) || {
  echo "run.sh: DEWY_HOME (${DEWY_HOME:-$here/../target}) does not exist; build first (mvn package)" >&2; exit 2; }
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
PY=/usr/bin/python3
RES=$here/results
RAW=$RES/raw
report=latest.md
if [ "$only" = containers ]; then
  RAW=$RES/raw-containers
  report=containers.md
elif [ "$only" = prefork ]; then
  RAW=$RES/raw-prefork
  report=prefork.md
fi
LIB=$here/lib

for f in "$DEWY_HOME/dewy" "$DEWY_HOME/dewy.jar"; do
  [ -e "$f" ] || { echo "run.sh: $f missing; build first (mvn package)" >&2; exit 2; }
done
if [ "$only" = prefork ]; then tools="unshare java $PY start_server uwsgi"; else tools="tini hyperfine unshare java $PY"; fi
for t in $tools; do
  command -v "$t" >/dev/null || { echo "run.sh: $t not found" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (unshare --pid --fork --mount-proc)" >&2; exit 2; }

# The fast path must use the default java (JDK 17) and dewy's own flags only.
unset JAVA DEWY_JAVA_OPTS JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS

if [ $quick = 1 ]; then
  mode=quick; su_runs=5; su_warm=1; hf_runs=5; hf_warm=1; idle_window=10; sig_count=200; orphans=1000; reap_rounds=1
  restarts=5; ct_runs=3; ct_settle=1; prefork_restarts=3
else
  mode=full; su_runs=20; su_warm=2; hf_runs=20; hf_warm=3; idle_window=60; sig_count=1000; orphans=10000; reap_rounds=1
  restarts=20; ct_runs=10; ct_settle=2; prefork_restarts=10
fi

rm -rf "$RAW"
mkdir -p "$RAW"
t_start=$(date +%s)
say() { printf '== %s\n' "$*" >&2; }
fact() { printf '%s: %s\n' "$1" "$2" >>"$RAW/facts.txt"; }
# step NAME TIMEOUT CMD...: run a benchmark with an outer time bound; a failure is reported, the run goes on
step() {
  local name=$1 limit=$2; shift 2
  say "$name (bound ${limit}s)"
  timeout --signal=TERM --kill-after=15 "$limit" "$@" >&2
  local rc=$?
  [ $rc = 0 ] || say "$name FAILED (exit $rc)"
  return 0
}

# ---- machine facts --------------------------------------------------------------------------------------------
fact mode "$mode"
fact steps "${only:-all}"
fact date "$(date -u '+%Y-%m-%d %H:%M UTC')"
fact dewy_home "$DEWY_HOME"
fact commit "$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$here/.." diff --quiet HEAD -- src pom.xml 2>/dev/null || echo ' (+ local changes)')"
fact load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
fact nproc "$(nproc)"
fact cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort | uniq -c | sed 's/^ *\([0-9]*\) /\1 x /' | paste -sd';')"
fact kernel "$(uname -sr)"
fact java17 "$(java -version 2>&1 | head -n1)"
fact python "$("$PY" --version 2>&1)"
if [ "$only" != prefork ]; then
if [ -x "$JAVA25" ]; then fact java25 "$("$JAVA25" -version 2>&1 | head -n1)"; else fact java25 "not found ($JAVA25); skipped"; fi
fact tini "$(tini --version 2>&1 | head -n1)"
fact hyperfine "$(hyperfine --version 2>&1 | head -n1)"
fact hf_runs "$hf_runs"
fact hf_warmup "$hf_warm"
fi
sed 's/^/   /' "$RAW/facts.txt" >&2

if [ "$only" != prefork ]; then
# Which classes come from a CDS archive, per JDK (one run each, -Xlog:class+load to a file).
cds_count() {  # JAVA-or-empty LABEL
  local log=$RAW/cds-$2.log
  JAVA=$1 DEWY_JAVA_OPTS="-Xlog:class+load=info:file=$log" "$DEWY_HOME/dewy" server -- /bin/true \
    2>"$RAW/cds-$2.stderr" >/dev/null
  printf '%s %s/%s' "$2" "$(grep -c 'source: shared objects file' "$log" 2>/dev/null)" "$(wc -l <"$log" 2>/dev/null)"
}
cds="$(cds_count "" jdk17)"
if [ -x "$JAVA25" ]; then
  cds="$cds; $(cds_count "$JAVA25" jdk25)"
  fact jdk25_warnings "$(grep -v '^time=' "$RAW/cds-jdk25.stderr" | grep -i 'warning' | head -n3 | paste -sd'|' | sed 's/|/ || /g')"
fi
fact cds "$cds"
fi

if [ -z "$only" ]; then
# ---- 1. start-up to child exec --------------------------------------------------------------------------------
step "1/9 start-up to child exec ($su_runs runs x 5 variants)" 400 \
  "$PY" "$LIB/startup.py" --dewy-home "$DEWY_HOME" --java25 "$JAVA25" --runs "$su_runs" --warmup "$su_warm" \
  --out "$RAW/startup.json"

# ---- 2. whole run with hyperfine ------------------------------------------------------------------------------
hf_dewy="$DEWY_HOME/dewy server -- /bin/true"
hf_reexec="java -jar $DEWY_HOME/dewy.jar server -- /bin/true"
fact hf_cmd_dewy "$hf_dewy"; fact hf_cmd_dewy_reexec "$hf_reexec"
fact hf_cmd_tini "tini -- /bin/true"; fact hf_cmd_bare "/bin/true"
step "2/9 whole run (hyperfine, $hf_runs runs)" 400 \
  hyperfine -N --style basic --warmup "$hf_warm" --runs "$hf_runs" --export-json "$RAW/hyperfine.json" \
  -n dewy "'$DEWY_HOME/dewy' server -- /bin/true" \
  -n dewy_reexec "java -jar '$DEWY_HOME/dewy.jar' server -- /bin/true" \
  -n tini "tini -- /bin/true" \
  -n bare "/bin/true"

# ---- 3. idle cost ---------------------------------------------------------------------------------------------
step "3/9 idle cost (5 s settle + ${idle_window} s window)" $((idle_window + 60)) \
  "$PY" "$LIB/idle.py" --dewy-home "$DEWY_HOME" --settle 5 --window "$idle_window" --logdir "$RAW" \
  --out "$RAW/idle.json"

# ---- 4. signal-forward latency --------------------------------------------------------------------------------
step "4/9 signal-forward latency ($sig_count signals per target)" 240 \
  "$PY" "$LIB/siglat.py" --dewy-home "$DEWY_HOME" --count "$sig_count" --per-timeout 2 --total-timeout 120 \
  --logdir "$RAW" --out "$RAW/signals.json"

# ---- 5. reaping -----------------------------------------------------------------------------------------------
step "5/9 reaping ($orphans orphans, $reap_rounds round(s) per init)" $(((180 + 60 + 60) * 2 * reap_rounds)) \
  "$PY" "$LIB/reap.py" --dewy-home "$DEWY_HOME" --orphans "$orphans" --rounds "$reap_rounds" --bound 60 \
  --fork-bound 180 --logdir "$RAW" --out "$RAW/reap.json"

# ---- 6. restarts under load ----------------------------------------------------------------------------------
step "6/9 restarts under load ($restarts restarts, dewy and stop-then-start)" 360 \
  "$PY" "$LIB/restart.py" --dewy-home "$DEWY_HOME" --restarts "$restarts" --bound 300 \
  --logdir "$RAW" --out "$RAW/restart.json"

fi # steps 1-6

# ---- 7. in containers -----------------------------------------------------------------------------------------
if [ -z "$only" ] || [ "$only" = containers ]; then
DEWY_IMAGE=${DEWY_IMAGE:-dewy:test}
if ! docker version >/dev/null 2>&1; then
  why="no Docker engine answers (docker/engine.sh start; eval \"\$(docker/engine.sh env)\")"
elif ! docker image inspect "$DEWY_IMAGE" >/dev/null 2>&1; then
  why="the engine has no image $DEWY_IMAGE (build it: DEWY_BASE_IMAGE=\$(docker/base-image.sh) mvn verify)"
else
  why=""
fi
if [ -n "$why" ]; then
  say "7/9 in containers SKIPPED: $why"
  fact container_skipped "$why"
else
  fact docker "$(docker version --format 'engine {{.Server.Version}}, API {{.Server.APIVersion}}' 2>&1)"
  step "7/9 in containers ($ct_runs runs x 5 variants)" 900 \
    "$PY" "$LIB/container.py" --image "$DEWY_IMAGE" --runs "$ct_runs" --warmup 1 --settle "$ct_settle" \
    --stop-timeout 5 --bound 800 --workdir "$RAW" --out "$RAW/container.json"
fi
fi # step 7

# ---- 8. pull deploys (own report: bench/results/deploy.md) --------------------------------------------------
if [ -z "$only" ]; then
  if [ $quick = 1 ]; then dq=--quick; else dq=""; fi
  step "8/9 pull deploys (bench/deploy.sh $dq; report in deploy.md)" 900 "$here/deploy.sh" $dq
fi

# ---- 9. preforking servers: gunicorn and uWSGI under dewy and under start_server ------------------------------
if [ -z "$only" ] || [ "$only" = prefork ]; then
  for t in start_server uwsgi; do command -v "$t" >/dev/null || say "9/9: $t not found; its variants will fail"; done
  fact servers "$(dpkg-query -W -f '${Package} ${Version}; ' python3-gunicorn uwsgi-core libserver-starter-perl 2>&1)"
  step "9/9 preforking servers ($prefork_restarts restarts each: gunicorn and uWSGI under dewy and start_server)" 600 \
    "$PY" "$LIB/restart.py" --dewy-home "$DEWY_HOME" --restarts "$prefork_restarts" --interval 1 \
    --variants gunicorn_dewy,gunicorn_dewy_delay,gunicorn_start_server,uwsgi_dewy,uwsgi_dewy_delay,uwsgi_start_server \
    --bound 540 \
    --logdir "$RAW" --out "$RAW/prefork.json"
fi

# ---- report ---------------------------------------------------------------------------------------------------
t_end=$(date +%s)
fact load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
fact duration "$(( (t_end - t_start) / 60 )) min $(( (t_end - t_start) % 60 )) s"
"$PY" "$LIB/report.py" "$RAW" >"$RES/$report.tmp" && mv "$RES/$report.tmp" "$RES/$report"
cat "$RES/$report"
