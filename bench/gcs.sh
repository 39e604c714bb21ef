#!/usr/bin/env bash
# What gs:// costs dewy when it is not used: target/dewy.jar with Google's Cloud Storage client shaded in, against a
# build of the commit before it (BASE, default: the parent of the commit that added GcsStore), side by side in one
# run. Measures the jar's size and entries, the classes loaded by `dewy server -- /bin/true` (none of Google's may
# be), and that whole run's wall time, interleaved, RUNS times each (medians). Then what it costs when used: dewy
# with a gs:// registry (the Firebase emulator suite's Cloud Storage emulator on 127.0.0.1, src/test/js/gcs-emulator.js)
# against a file:// one, both empty: the time from dewy's start to its first check's listing, and dewy's VmRSS after
# it. Needs target/ built, Maven's repository filled (the base is built offline in target/bench-base) and firebase-tools
# (DEWY_NPM_MODULES, as .ci/run installs it). Writes bench/results/gcs.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
runs=${RUNS:-31}
unset JAVA DEWY_JAVA_OPTS JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS
base=${BASE:-$(git -C "$root" log --format=%H -1 --diff-filter=A -- src/main/java/dewy/deploy/GcsStore.java)^}
base=$(git -C "$root" rev-parse --short "$base")
wt=$root/target/bench-base
if [ "$(git -C "$wt" rev-parse --short HEAD 2>/dev/null)" != "$base" ] || [ ! -f "$wt/target/dewy.jar" ]; then
  rm -rf "$wt"; git -C "$root" worktree prune
  git -C "$root" worktree add -q --detach "$wt" "$base"
  (cd "$wt" && mvn -B -q -o package -DskipTests >/dev/null)
fi
mkdir -p "$here/results"
/usr/bin/python3 - "$root/target" "$wt/target" "$runs" "$base" <<'PY' | tee "$here/results/gcs.md"
import os, statistics, subprocess, sys, tempfile, time, zipfile
new, old, runs, base = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
head = subprocess.run(["git", "-C", new, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
def run(home, opts=None):
    env = dict(os.environ)
    if opts:
        env["DEWY_JAVA_OPTS"] = opts
    t = time.perf_counter()
    subprocess.run([home + "/dewy", "server", "--", "/bin/true"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000
def loaded(home):
    with tempfile.NamedTemporaryFile(suffix=".log") as f:
        run(home, "-Xlog:class+load=info:file=" + f.name)
        lines = open(f.name).read().splitlines()
    return len(lines), sum(1 for l in lines if " com.google.cloud." in l or " com.google.api." in l
                           or " com.google.auth." in l or " io.grpc." in l or " com.google.protobuf." in l)
for h in (new, old):
    for _ in range(3):
        run(h)  # warm the page cache
times = {new: [], old: []}
for i in range(runs):
    for h in ((new, old) if i % 2 == 0 else (old, new)):
        times[h].append(run(h))
def jar(home):
    p = home + "/dewy.jar"
    with zipfile.ZipFile(p) as z:
        return os.path.getsize(p), len(z.namelist())
(ns, ne), (os_, oe) = jar(new), jar(old)
(nc, ng), (oc, og) = loaded(new), loaded(old)
def q(v, p):
    return sorted(v)[min(len(v) - 1, int(round(p * (len(v) - 1))))]
print("# What gs:// costs\n")
print(f"commit {head} against {base} (before gs://), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
      f"{os.cpu_count()} cores, load {open('/proc/loadavg').read().split()[0]} at the end; `dewy server -- /bin/true`, "
      f"{runs} runs each, interleaved (bench/gcs.sh).\n")
print("| build | dewy.jar | entries | classes loaded | of them Google's client | whole run, median | p90 |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, s, e, c, g, h in (("with gs://", ns, ne, nc, ng, new), ("before gs://", os_, oe, oc, og, old)):
    print(f"| {name} | {s / 2**20:.1f} MiB | {e:,} | {c:,} | {g} | {statistics.median(times[h]):.1f} ms "
          f"| {q(times[h], 0.9):.1f} ms |")
d = statistics.median(times[new]) - statistics.median(times[old])
import re, signal
used_runs = 5
blobs = tempfile.TemporaryDirectory()  # the emulator keeps objects under os.tmpdir()
emu = subprocess.Popen(["node", os.path.join(os.path.dirname(new), "src/test/js/gcs-emulator.js"), "releases"],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=dict(os.environ, TMPDIR=blobs.name))
host = emu.stdout.readline().split()[1]
def first_check(registry):
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(d + "/reg")
        url = registry.replace("DIR", d + "/reg")
        env = dict(os.environ, STORAGE_EMULATOR_HOST=host)
        p = subprocess.Popen([new + "/dewy", "server", "--registry", url, "-i", "1h", "--workdir", d + "/w",
                              "--log-level", "debug", "--", "sleep", "30"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        start = None
        for line in p.stdout:
            t = re.match(r"time=(\S+)", line)
            if t and start is None:
                start = t.group(1)
            if "registry listed releases" in line:
                end = t.group(1)
                break
        time.sleep(1)
        rss = int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{p.pid}/status").read()).group(1)) / 1024
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
        from datetime import datetime
        ms = (datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(start.replace("Z", "+00:00")))
        return ms.total_seconds() * 1000, rss
used = {"gs://releases/app": [], "file://DIR": []}
for i in range(used_runs):
    for r in used:
        used[r].append(first_check(r))
emu.stdin.close()
emu.wait(timeout=10)
blobs.cleanup()
print(f"\nWhen used ({used_runs} runs each, medians; an empty registry, `-i 1h --log-level debug`, child `sleep`):\n")
print("| registry | dewy's first log line to its first listing | VmRSS 1 s after it |")
print("|---|---:|---:|")
for r, v in used.items():
    print(f"| `{r.replace('DIR', '/tmp/...')}` | {statistics.median(x[0] for x in v):.0f} ms "
          f"| {statistics.median(x[1] for x in v):.1f} MiB |")
print(f"\ngs:// adds {(ns - os_) / 2**20:.1f} MiB and {ne - oe:,} entries to the jar; the median whole run differs by "
      f"{d:+.1f} ms.")
PY
