"""Shared helpers for the dewy benchmarks (python3 standard library only)."""
import datetime
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")  # what `getconf CLK_TCK` prints
UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc"]


def log(*parts):
    print("  [bench]", *parts, file=sys.stderr, flush=True)


def percentile(values, p):
    """Linear interpolation between closest ranks (numpy's default); p in 0..100."""
    if not values:
        return None
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summary(values):
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "median": statistics.median(values),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "min": min(values),
        "max": max(values),
        "mean": statistics.fmean(values),
    }


def write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def children(pid):
    """Host PIDs of pid's children (every thread's children file)."""
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out.extend(int(x) for x in f.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return out


def wait_for_child(pid, timeout):
    """The first child of pid (the init that `unshare --fork` starts), or None after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = children(pid)
        if kids:
            return kids[0]
        time.sleep(0.002)
    return None


def proc_stat(pid):
    """(state, utime+stime in ticks) of a whole process (all threads) from /proc/PID/stat fields 3, 14, 15."""
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    rest = s[s.rindex(")") + 2:].split()
    # rest[0] is field 3 (state); field N is rest[N-3]
    return rest[0], int(rest[14 - 3]) + int(rest[15 - 3])


def proc_status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return line.split(":", 1)[1].strip()
    return None


def rss_mib(pid):
    v = proc_status(pid, "VmRSS")  # "12345 kB"
    return int(v.split()[0]) / 1024.0 if v else None


def per_thread(pid):
    """{tid: {"comm", "run_ns", "switches"}} for the live threads of pid."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                run_ns = int(f.read().split()[0])
            sw = 0
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        sw += int(line.split(":")[1])
            out[tid] = {"comm": comm, "run_ns": run_ns, "switches": sw}
        except OSError:
            pass
    return out


def stop_tree(popen, init_pid, sig=signal.SIGTERM, timeout=10.0):
    """Signal the init (host PID) and wait for the unshare (or the process itself). SIGKILL if it outlives timeout.

    Returns (returncode, seconds to exit, killed?)."""
    t0 = time.monotonic()
    target = init_pid if init_pid else popen.pid
    try:
        os.kill(target, sig)
    except ProcessLookupError:
        pass
    killed = False
    try:
        rc = popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        killed = True
        for p in (target, popen.pid):
            try:
                os.kill(p, signal.SIGKILL)  # SIGKILL of a namespace's init ends the whole namespace
            except ProcessLookupError:
                pass
        rc = popen.wait(timeout=10)
    return rc, time.monotonic() - t0, killed


def terminate(popen, timeout=10.0):
    """TERM a child process of ours, SIGKILL it if it outlives timeout; returns its exit status."""
    popen.terminate()
    try:
        return popen.wait(timeout)
    except subprocess.TimeoutExpired:
        popen.kill()
        return popen.wait()


def variant_env(java=None, opts=None):
    env = dict(os.environ)
    for k in ("JAVA", "DEWY_JAVA_OPTS", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS"):
        env.pop(k, None)
    if java:
        env["JAVA"] = java
    if opts:
        env["DEWY_JAVA_OPTS"] = opts
    return env


# Searched, not matched at the start: the app writes to the same stderr, and a line of its own without its newline
# yet can end up in front of one of dewy's.
LOG_LINE = re.compile(r'time=(\S+) level=\S+ msg=("[^"]*"|\S+)(.*)$')


def dewy_events(path):
    """[(wall ns, msg, {key: value})] from dewy's logfmt stderr."""
    out = []
    with open(path, errors="replace") as fh:
        for line in fh:
            m = LOG_LINE.search(line.strip())
            if not m:
                continue
            try:
                t = datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
            except ValueError:
                continue
            kv = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', m.group(3)))
            out.append((int(t.timestamp() * 1e9), m.group(2).strip('"'), {k: v.strip('"') for k, v in kv.items()}))
    return out


def facts(raw):
    """key: value lines of RAW/facts.txt, written by the bench scripts."""
    out = {}
    try:
        with open(os.path.join(raw, "facts.txt")) as fh:
            for line in fh:
                if ":" in line:
                    k, v = line.split(":", 1)
                    out[k.strip()] = v.strip()
    except OSError:
        pass
    return out
