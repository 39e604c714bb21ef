#!/usr/bin/python3
"""Turns RAW/deploy.json (and RAW/facts.txt) into bench/results/deploy.md. Usage: deploy_report.py RAW"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import facts  # noqa: E402

RAW = sys.argv[1]


def f(x, digits=0):
    return "n/a" if x is None else f"{x:,.{digits}f}"


def med(s, key):
    v = s.get(key) or {}
    return v.get("median")


def mmm(s, key, digits=0):
    v = s.get(key) or {}
    if not v.get("n"):
        return "n/a"
    return f"**{f(v['median'], digits)}** ({f(v['min'], digits)}–{f(v['max'], digits)})"


def ratio(a, b):
    return "n/a" if a is None or not b else f"{a / b:.2f}x"


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|"]
    return "\n".join(out + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows])


def mib(kb):
    return None if kb is None else kb / 1024


F = facts(RAW)
with open(os.path.join(RAW, "deploy.json")) as fh:
    D = json.load(fh)
L = D.get("latency", {})
C = D.get("classic", {})
M = D.get("memory", {})
out = ["# dewy pull-deploy benchmark", ""]
out.append(f"`bench/deploy.sh` ({F.get('mode', '?')} mode), {F.get('date', '?')}, commit {F.get('commit', '?')}, "
           f"{F.get('duration', '?')}. {F.get('nproc', '?')} CPUs ({F.get('cpu', '?')}), {F.get('kernel', '?')}, "
           f"{F.get('java17', '?')}, {F.get('python', '?')}. Load average {F.get('load_start', '?')} at the start, "
           f"{F.get('load_end', '?')} at the end. {D.get('runs')} releases per variant; medians, with (min–max). "
           "How it is measured: `bench/README.md`, section 8, and `bench/lib/deploy.py`.")
out.append("")

# ---- 1. latency ---------------------------------------------------------------------------------------------
out += ["## 1. From a tag appearing to the new version serving", ""]
out.append("dewy polls every 1 s (`-i 1s`) with `--ready notify`; the app is `docker/examples/python/app.py` started "
           "by the release's `app` script. t = 0 is the rename of `REG/.vX` to `REG/vX` (file://; the fake GitHub "
           "API lists the same directory, and so does S3Proxy's filesystem blobstore for s3://, checking AWS v4 "
           "signatures). The classic row is the same release by hand (cp, `sha256sum -c`, "
           "`tar xzf`, symlink swap, TERM the app, wait, start it again), timed from the cp, so it has no interval "
           "to wait for. One poller (a new connection for `GET /` every ~5 ms) runs throughout; \"failed\" counts "
           "its refused or broken requests.")
out.append("")
rows = []
base = med(C, "to_first_new_ms") if "error" not in C else None
for kind, s in L.items():
    if "error" in s:
        rows.append([f"dewy, {kind}://", f"failed: {s['error']}", "", "", "", "", "", ""])
        continue
    rows.append([f"dewy, `{s['registry'].split('://')[0]}://`", mmm(s, "to_first_new_ms"), mmm(s, "wait_ms"),
                 mmm(s, "dewy_own_ms"), mmm(s, "app_ready_ms"),
                 f(med(s, "to_first_new_ms") - med(s, "wait_ms")) if med(s, "wait_ms") is not None else "n/a",
                 f"{s.get('failed_total', 0)} of {s.get('polls_total', 0)}", ratio(med(s, "to_first_new_ms"), base)])
if C and "error" not in C:
    rows.append(["classic by hand (plain, stop-then-start)", mmm(C, "to_first_new_ms"), "0 (none)",
                 mmm(C, "install_ms") + " install + " + f(med(C, "stop_ms")) + " stop", mmm(C, "start_to_serving_ms"),
                 f(med(C, "to_first_new_ms")), f"{C.get('failed_total', 0)} of {C.get('polls_total', 0)}", "1.00x"])
elif C:
    rows.append(["classic by hand", f"failed: {C['error']}", "", "", "", "", "", ""])
out.append(table(["variant", "publish → new version serving, ms", "of which: interval wait (publish → `new release`)",
                  "dewy's own part (`new release` → `started`)", "app's own ready time (`ready_ms`)",
                  "median minus the wait", "failed polls", "ratio to classic"], rows))
out.append("")
out.append("The interval wait is uniform over 0..1 s by design (the publish falls at a random point of the 1 s check "
           "cycle), so it averages about 500 ms; with the default `-i 10s` it would average about 5 s. For classic, "
           "\"dewy's own part\" holds the copy, verify, unpack and swap (`install`) and the stop; the app's ready time "
           "is measured from the start to the first new answer.")
out.append("")

# dewy's steps
rows = []
for kind, s in L.items():
    if "error" in s:
        continue
    rows.append([f"`{kind}://`", mmm(s, "wait_ms"), mmm(s, "fetch_ms"), mmm(s, "unpack_swap_ms"), mmm(s, "spawn_ms"),
                 mmm(s, "app_ready_ms"), mmm(s, "ready_to_deployed_ms"), mmm(s, "outage_ms")])
if rows:
    out.append("dewy's steps from its own log (ms timestamps, so each step is ±1 ms):")
    out.append("")
    out.append(table(["registry", "publish → `new release`", "→ `artifact downloaded` (list, fetch, sha256)",
                      "→ `current swapped` (unpack, rename, symlink)", "→ `started` (spawn)",
                      "→ `generation ready` (app's ready_ms)", "→ `deployed`", "unavailable (first failure → new)"],
                     rows))
    out.append("")
if C and "error" not in C:
    out.append("The classic deploy's steps: " + ", ".join(
        f"{k.replace('_ms', '')} {mmm(C, k)}" for k in ("copy_ms", "verify_ms", "unpack_ms", "swap_ms", "stop_ms",
                                                           "start_to_serving_ms", "outage_ms")) + " ms (unavailable: "
               "first failed poll to the first new answer).")
    out.append("")

# ---- 2. memory --------------------------------------------------------------------------------------------------
out += ["## 2. dewy's memory while deploying a large artifact", ""]
out.append(f"Each row is a fresh dewy (the launcher's flags, `-Xmx64m`, plus `-Xlog:gc:file=...`) serving a tiny "
           f"v1.0.0, which then deploys v2.0.0: tiny (~200 bytes) or {D.get('big_mib')} MiB of random bytes "
           f"({f((D.get('big_bytes') or 0) / 1048576, 1)} MiB as tar.gz). RSS of the dewy JVM (`/proc/PID/status` of "
           "the child of `unshare`): before = 1 s after v1.0.0 was deployed; peak = the highest VmRSS sampled every "
           "20 ms from the publish to `deployed`; after = 2 s later; VmHWM = the kernel's high-water mark over the "
           "whole life of the process. Heap: the largest heap before / after a collection and the largest heap "
           "capacity in the GC log, over the whole run.")
out.append("")
rows = []
for key in sorted(M, key=lambda k: (k.split('-')[0], k.endswith('big'))):
    s = M[key]
    if "error" in s:
        rows.append([key, f"failed: {s['error']}"] + [""] * 7)
        continue
    g = s.get("gc") or {}
    rows.append([f"`{s['registry'].split('://')[0]}://`, {'%d MiB' % D.get('big_mib') if s['artifact'] == 'big' else 'tiny'}",
                 f((s.get("artifact_bytes") or 0) / 1048576, 1), f(mib(s["before"]["VmRSS"]), 1),
                 f(mib(s["during_peak_rss_kb"]), 1), f(mib(s["after"]["VmRSS"]), 1), f(mib(s["after"]["VmHWM"]), 1),
                 f"{g.get('max_before_mib', 'n/a')} / {g.get('max_after_mib', 'n/a')} / {g.get('max_capacity_mib', 'n/a')}",
                 f(s.get("fetch_ms")), f(s.get("unpack_swap_ms"))])
out.append(table(["registry, artifact", "tar.gz MiB", "RSS before, MiB", "RSS peak during, MiB", "RSS after, MiB",
                  "VmHWM, MiB", "heap MiB: max before GC / after GC / capacity", "fetch + sha256, ms",
                  "unpack + swap, ms"], rows))
out.append("")
deltas = []
for kind in ("file", "ghr", "s3"):
    t, b = M.get(f"{kind}-tiny", {}), M.get(f"{kind}-big", {})
    if "before" in t and "before" in b:
        dt = (t["during_peak_rss_kb"] - t["before"]["VmRSS"]) / 1024
        db = (b["during_peak_rss_kb"] - b["before"]["VmRSS"]) / 1024
        deltas.append(f"`{kind}://`: peak minus before is {dt:.1f} MiB for the tiny artifact and {db:.1f} MiB for the "
                      f"{D.get('big_mib')} MiB one")
if deltas:
    out.append("Growth with artifact size: " + "; ".join(deltas) + ". The default `--max-artifact-size` is 1GiB.")
    out.append("")
ft, st = M.get("file-tiny", {}), M.get("s3-tiny", {})
if "before" in ft and "before" in st:
    out.append(f"What the AWS SDK costs: a dewy that deployed from `s3://` holds "
               f"{(st['before']['VmRSS'] - ft['before']['VmRSS']) / 1024:.1f} MiB more RSS than one that deployed "
               f"from `file://` ({f(mib(st['before']['VmRSS']), 1)} against {f(mib(ft['before']['VmRSS']), 1)} MiB, "
               "1 s after its first deploy, in this run).")
    out.append("")
mb = D.get("manual_big")
if mb:
    fb = M.get("file-big", {})
    out.append(f"The same {D.get('big_mib')} MiB artifact by hand: cp {f(mb['copy_ms'])} ms + `sha256sum -c` "
               f"{f(mb['verify_ms'])} ms + `tar xzf` {f(mb['unpack_ms'])} ms = **{f(mb['total_ms'])} ms**; dewy "
               f"(file://) took {f(fb.get('fetch_ms'))} ms to copy and verify it and {f(fb.get('unpack_swap_ms'))} ms "
               f"to unpack and swap, **{f((fb.get('fetch_ms') or 0) + (fb.get('unpack_swap_ms') or 0))} ms** "
               f"({ratio((fb.get('fetch_ms') or 0) + (fb.get('unpack_swap_ms') or 0), mb['total_ms'])}). Both read "
               "the archive from the page cache.")
    out.append("")

# ---- raw ----------------------------------------------------------------------------------------------------------
out += ["## Raw samples", ""]
for kind, s in L.items():
    if "samples" not in s:
        continue
    out.append(f"dewy, `{kind}://` (ms after the publish):")
    out.append("")
    out.append(table(["tag", "new release", "downloaded", "swapped", "started", "ready (ready_ms)", "deployed",
                      "first new answer", "last old answer", "failed polls"],
                     [[x["tag"], f(x["new_release_ms"]), f(x["downloaded_ms"]), f(x["swapped_ms"]),
                       f(x["started_ms"]), f"{f(x['ready_ms'])} ({x['app_ready_ms']})", f(x["deployed_ms"]),
                       f(x["to_first_new_ms"]), f(x["to_last_old_ms"]), x["failed"]] for x in s["samples"]]))
    out.append("")
if C.get("samples"):
    out.append("classic by hand (ms after the start of the cp):")
    out.append("")
    out.append(table(["tag", "copy", "verify", "unpack", "swap", "stop", "start → serving", "first new answer",
                      "last old answer", "failed polls"],
                     [[x["tag"], f(x["copy_ms"]), f(x["verify_ms"]), f(x["unpack_ms"]), f(x["swap_ms"]),
                       f(x["stop_ms"]), f(x["start_to_serving_ms"]), f(x["to_first_new_ms"]), f(x["to_last_old_ms"]),
                       x["failed"]] for x in C["samples"]]))
    out.append("")
out.append("Raw data: `bench/results/raw-" + os.path.basename(os.path.normpath(RAW))[4:] + "/` (deploy.json, every dewy's stderr, the GC logs), replaced by each "
           "run and not committed.")
print("\n".join(out))
