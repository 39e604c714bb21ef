#!/usr/bin/env bash
# What the s3:// registry costs (the AWS SDK for Java v2 in dewy.jar, loaded only for an s3:// URL):
#  1. start-up without it: `dewy server -- /bin/true`, whole process, this build against a build of BASE_REV (the
#     same tree before the SDK was added), RUNS interleaved runs each; medians and p90. Then, in this build, fork to
#     the application's exec with `--registry s3://...` and with `--registry file://...`, a release already current;
#  2. bench/deploy.sh with REGISTRIES=file,s3: publish to serving and dewy's own part for s3:// (S3Proxy on
#     127.0.0.1) beside file://, and the RSS of a dewy that deployed from s3:// beside one that did from file://.
# Writes bench/results/s3-startup.md and bench/results/s3-deploy.md (both printed on stdout).
#
#   bench/s3.sh [--quick]   BASE_REV=rev (default: the first parent of the commit that added S3Store);
#                           BASE_HOME=dir (a target/ already built without the SDK: skips building BASE_REV);
#                           RUNS=N (default 30, 10 with --quick)
#
# Needs root (deploy.sh's unshare), mvn with its dependencies in ~/.m2 (to build BASE_REV offline), python3.
set -u
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
root=$(CDPATH='' cd -- "$here/.." && pwd)
quick=0
for a in "$@"; do
  case $a in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "s3.sh: unknown argument $a (try --help)" >&2; exit 2 ;;
  esac
done
runs=${RUNS:-30}; [ $quick = 1 ] && runs=${RUNS:-10}
DEWY_HOME=${DEWY_HOME:-$root/target}
[ -e "$DEWY_HOME/dewy" ] && [ -e "$DEWY_HOME/s3proxy/s3proxy.jar" ] || {
  echo "s3.sh: $DEWY_HOME/dewy or s3proxy/s3proxy.jar missing; build first (mvn package -DskipTests)" >&2; exit 2; }
unset JAVA DEWY_JAVA_OPTS JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dewy-bench-s3.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ -z "${BASE_HOME:-}" ]; then
  rev=${BASE_REV:-$(git -C "$root" log --format=%H --diff-filter=A -1 -- src/main/java/dewy/deploy/S3Store.java)^}
  echo "== building $(git -C "$root" rev-parse --short "$rev") (no AWS SDK) in $tmp/base" >&2
  mkdir -p "$tmp/base"
  git -C "$root" archive "$rev" | tar -x -C "$tmp/base"
  (cd "$tmp/base" && mvn -B -q -o package -DskipTests >"$tmp/base-build.log" 2>&1) || {
    echo "s3.sh: building the base failed; see the log:" >&2; tail -20 "$tmp/base-build.log" >&2; exit 1; }
  BASE_HOME=$tmp/base/target
  base_desc="$(git -C "$root" rev-parse --short "$rev")"
else
  base_desc="$BASE_HOME"
fi

echo "== start-up, $runs interleaved runs each" >&2
/usr/bin/python3 - "$BASE_HOME" "$DEWY_HOME" "$runs" "$base_desc" \
  "$(git -C "$root" rev-parse --short HEAD)" >"$here/results/s3-startup.md" <<'PY'
import os, statistics, subprocess, sys, time
base, new, runs, base_desc, head = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
variants = [("without the SDK (" + base_desc + ")", base), ("with the SDK (" + head + ")", new)]
times = {name: [] for name, _ in variants}
for name, home in variants:  # one warm-up each: the page cache
    subprocess.run([os.path.join(home, "dewy"), "server", "--", "/bin/true"], check=True)
for _ in range(runs):
    for name, home in variants:
        t = time.monotonic_ns()
        subprocess.run([os.path.join(home, "dewy"), "server", "--", "/bin/true"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times[name].append((time.monotonic_ns() - t) / 1e6)
def p90(v):
    return sorted(v)[int(0.9 * (len(v) - 1))]
jar = {name: os.path.getsize(os.path.join(home, "dewy.jar")) / 1048576 for name, home in variants}
print(f"# `dewy server -- /bin/true` with and without the AWS SDK\n")
print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, load average "
      f"{open('/proc/loadavg').read().split()[0]}; {runs} interleaved runs each, whole process (fork to exit).\n")
print("| dewy.jar | size | median | p90 | min |")
print("|---|---:|---:|---:|---:|")
for name, _ in variants:
    v = times[name]
    print(f"| {name} | {jar[name]:.1f} MiB | {statistics.median(v):.1f} ms | {p90(v):.1f} ms | {min(v):.1f} ms |")

# With a registry and a release already current, the app starts at once and the first check runs beside it: the
# time from fork to the app's first act (`date +%s%N` as `current/app`), with s3:// (an endpoint that is down) and
# with file://, both in this build.
import shutil, tempfile
scratch = tempfile.mkdtemp()
os.makedirs(os.path.join(scratch, "reg", "v1.0.0"))
env = dict(os.environ, AWS_ACCESS_KEY_ID="unused", AWS_SECRET_ACCESS_KEY="unused", AWS_EC2_METADATA_DISABLED="true")
urls = {"file://": f"file://{scratch}/reg", "s3://": "s3://us-east-1/b/p?endpoint=http://127.0.0.1:9"}
exec_ms = {k: [] for k in urls}
for _ in range(runs):
    for k, url in urls.items():
        w = os.path.join(scratch, "work")
        shutil.rmtree(w, ignore_errors=True)
        rel = os.path.join(w, "releases", "v1.0.0_20260101T000000Z")
        os.makedirs(rel)
        with open(os.path.join(rel, "app"), "w") as f:
            f.write("#!/bin/sh\nexec /bin/date +%s%N\n")
        os.chmod(os.path.join(rel, "app"), 0o755)
        os.symlink("releases/v1.0.0_20260101T000000Z", os.path.join(w, "current"))
        t = time.time_ns()
        p = subprocess.Popen([os.path.join(new, "dewy"), "server", "--registry", url, "-i", "1h", "--workdir", w,
                              "--", os.path.join(w, "current", "app")], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env=env)
        exec_ms[k].append((int(p.stdout.readline()) - t) / 1e6)
        p.terminate()
        p.wait(15)
shutil.rmtree(scratch, ignore_errors=True)
print(f"\n## Start-up to the application's exec with `--registry` and a current release ({head})\n")
print("| registry | median | p90 | min |")
print("|---|---:|---:|---:|")
for k, v in exec_ms.items():
    print(f"| `{k}` | {statistics.median(v):.1f} ms | {p90(v):.1f} ms | {min(v):.1f} ms |")
PY
cat "$here/results/s3-startup.md"
echo "== deploys: file:// and s3://" >&2
REGISTRIES=file,s3 REPORT=s3-deploy DEWY_HOME=$DEWY_HOME bash "$here/deploy.sh" $([ $quick = 1 ] && echo --quick)
