#!/usr/bin/python3
"""What --admin costs: dewy with child `sleep 1000`, PID 1 of its own PID namespace, in three variants started
together: no --admin; --admin (the JDK's HTTP server and the Prometheus client loaded, never asked); --admin scraped
at /metrics every second by this harness (as Prometheus would). At t=settle and t=settle+window the harness reads
VmRSS and utime+stime from the host's /proc, then TERMs each. Prints a Markdown table; writes the raw JSON."""
import argparse
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import CLK_TCK, UNSHARE, proc_stat, rss_mib, stop_tree, variant_env, wait_for_child, write_json  # noqa


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dewy-home", required=True)
    ap.add_argument("--settle", type=float, default=5.0)
    ap.add_argument("--window", type=float, default=30.0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    dewy = os.path.join(a.dewy_home, "dewy")
    p1, p2 = free_port(), free_port()
    inits = {
        "dewy": [dewy, "server", "--", "sleep", "1000"],
        "dewy --admin": [dewy, "server", "--admin", f"127.0.0.1:{p1}", "--", "sleep", "1000"],
        "dewy --admin, scraped 1/s": [dewy, "server", "--admin", f"127.0.0.1:{p2}", "--", "sleep", "1000"],
    }
    procs, pids, res = {}, {}, {}
    stop = threading.Event()
    scrapes = {"ok": 0, "failed": 0}

    def scrape():
        while not stop.wait(1.0):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{p2}/metrics", timeout=2) as r:
                    r.read()
                scrapes["ok"] += 1
            except OSError:
                scrapes["failed"] += 1

    t0 = time.monotonic()
    for name, cmd in inits.items():
        procs[name] = subprocess.Popen(UNSHARE + cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, env=variant_env())
    scraper = threading.Thread(target=scrape, daemon=True)
    scraper.start()
    try:
        for name in inits:
            pids[name] = wait_for_child(procs[name].pid, 10)
        time.sleep(max(0.0, a.settle - (time.monotonic() - t0)))
        start = {n: proc_stat(p)[1] for n, p in pids.items() if p}
        time.sleep(a.window)
        for name, pid in pids.items():
            if pid:
                ticks = proc_stat(pid)[1]
                res[name] = {"rss_mib": rss_mib(pid), "cpu_s_window": (ticks - start[name]) / CLK_TCK,
                             "cpu_s_total": ticks / CLK_TCK}
    finally:
        stop.set()
        for name in inits:
            stop_tree(procs[name], pids.get(name))
    write_json(a.out, {"settle_s": a.settle, "window_s": a.window, "scrapes": scrapes, "inits": res})
    base = res.get("dewy", {}).get("rss_mib")
    print(f"| variant | VmRSS MiB | over plain dewy | CPU s total | CPU s in the {a.window:.0f} s window |")
    print("|---|---|---|---|---|")
    for name, r in res.items():
        over = f"+{r['rss_mib'] - base:.1f} MiB" if base and name != "dewy" else ""
        print(f"| {name} | {r['rss_mib']:.1f} | {over} | {r['cpu_s_total']:.2f} | {r['cpu_s_window']:.2f} |")
    print(f"\n{scrapes['ok']} scrapes answered, {scrapes['failed']} failed.")


if __name__ == "__main__":
    main()
