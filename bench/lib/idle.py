#!/usr/bin/python3
"""Idle cost of dewy (fast path) and tini, each PID 1 of its own PID namespace with child `sleep 1000`.

Both start at the same time. At t=settle (5 s) and t=settle+window (65 s, or 15 s in quick mode) the harness reads,
from the host's /proc, the init process (the child of `unshare`): utime+stime (fields 14+15 of /proc/PID/stat, whole
thread group, in CLK_TCK ticks), VmRSS, and, per live thread, on-CPU ns (schedstat) and context switches. Then it
sends SIGTERM to both inits and checks that they exit.
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (CLK_TCK, UNSHARE, children, log, per_thread, proc_stat, proc_status, rss_mib,  # noqa: E402
                    stop_tree, variant_env, wait_for_child, write_json)


def snapshot(pid):
    state, ticks = proc_stat(pid)
    threads = per_thread(pid)  # the totals are the sums over the live threads
    return {"state": state, "cpu_ticks": ticks, "cpu_s": ticks / CLK_TCK, "rss_mib": rss_mib(pid),
            "threads": int(proc_status(pid, "Threads") or 0),
            "run_ns": sum(t["run_ns"] for t in threads.values()),
            "switches": sum(t["switches"] for t in threads.values()), "per_thread": threads}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dewy-home", required=True)
    ap.add_argument("--settle", type=float, default=5.0)
    ap.add_argument("--window", type=float, default=60.0)
    ap.add_argument("--logdir", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    inits = {
        "dewy": [os.path.join(a.dewy_home, "dewy"), "server", "--", "sleep", "1000"],
        "tini": ["tini", "--", "sleep", "1000"],
        # ablation: dewy with HotSpot's default periodic ticks (safepoint every 1 s, monitor deflation every 250 ms)
        "dewy_jvm_ticks": [os.path.join(a.dewy_home, "dewy"), "server", "--", "sleep", "1000"],
    }
    envs = {name: variant_env() for name in inits}
    envs["dewy_jvm_ticks"] = variant_env(opts="-XX:GuaranteedSafepointInterval=1000 -XX:AsyncDeflationInterval=250")
    procs, pids, logs, res = {}, {}, {}, {}
    t_start = time.monotonic()
    for name, cmd in inits.items():
        logs[name] = open(os.path.join(a.logdir, f"idle-{name}.stderr"), "wb")
        procs[name] = subprocess.Popen(UNSHARE + cmd, stdin=subprocess.DEVNULL, stdout=logs[name],
                                       stderr=logs[name], env=envs[name])
    try:
        for name in inits:
            pids[name] = wait_for_child(procs[name].pid, 10)
            res[name] = {"cmd": UNSHARE + inits[name], "host_pid": pids[name]}
            if pids[name] is None:
                res[name]["error"] = "no init process appeared under unshare"

        def sleep_until(t):
            while True:
                left = t - (time.monotonic() - t_start)
                if left <= 0:
                    return
                time.sleep(min(left, 1.0))

        sleep_until(a.settle)
        for name, pid in pids.items():
            if pid:
                res[name]["at_settle"] = snapshot(pid)
                res[name]["app_children"] = children(pid)
        log(f"idle: read at t={a.settle:.0f}s; waiting {a.window:.0f}s")
        sleep_until(a.settle + a.window)
        for name, pid in pids.items():
            if pid:
                try:
                    res[name]["at_end"] = snapshot(pid)
                except OSError as e:
                    res[name]["error"] = f"init gone before the end of the window: {e}"
        t_end = time.monotonic() - t_start
        for name, r in res.items():
            if "at_settle" in r and "at_end" in r:
                s, e = r["at_settle"], r["at_end"]
                r["window_s"] = t_end - a.settle
                r["idle_cpu_s"] = (e["cpu_ticks"] - s["cpu_ticks"]) / CLK_TCK
                r["idle_cpu_s_per_min"] = r["idle_cpu_s"] * 60.0 / r["window_s"]
                r["idle_run_ms_per_min"] = (e["run_ns"] - s["run_ns"]) / 1e6 * 60.0 / r["window_s"]
                r["idle_switches_per_min"] = (e["switches"] - s["switches"]) * 60.0 / r["window_s"]
                r["total_cpu_s"] = e["cpu_s"]
                r["rss_mib"] = e["rss_mib"]
                busy = []  # which threads woke up during the window
                for tid, te in e["per_thread"].items():
                    ts = s["per_thread"].get(tid, {"run_ns": 0, "switches": 0})
                    busy.append({"tid": int(tid), "comm": te["comm"],
                                 "switches_per_min": (te["switches"] - ts["switches"]) * 60.0 / r["window_s"],
                                 "run_ms_per_min": (te["run_ns"] - ts["run_ns"]) / 1e6 * 60.0 / r["window_s"]})
                busy.sort(key=lambda x: -x["switches_per_min"])
                r["threads_by_wakeups"] = [b for b in busy if b["switches_per_min"] > 0]
    finally:
        for name in inits:
            rc, secs, killed = stop_tree(procs[name], pids.get(name))
            res.setdefault(name, {})["term"] = {"returncode": rc, "exit_s": secs, "needed_sigkill": killed}
            logs[name].close()
    write_json(a.out, {"settle_s": a.settle, "window_s": a.window, "clk_tck": CLK_TCK, "inits": res})


if __name__ == "__main__":
    main()
