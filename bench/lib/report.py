#!/usr/bin/python3
"""Turns bench/results/raw/*.json (and facts.txt) into the Markdown report."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import facts  # noqa: E402

RAW = sys.argv[1]
notes = []  # anything odd, listed at the end


# Which step writes which file; `run.sh --containers` runs step 6 alone, and the others are then not missing.
STEPS = {"startup.json": "startup", "hyperfine.json": "hyperfine", "idle.json": "idle", "signals.json": "signals",
         "reap.json": "reap", "restart.json": "restarts", "container.json": "containers", "prefork.json": "prefork"}


def load(name):
    if F.get("steps", "all") not in ("all", STEPS.get(name)):
        return None
    try:
        with open(os.path.join(RAW, name)) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        notes.append(f"`{name}` missing or unreadable ({e.__class__.__name__}): that benchmark failed or was cut off;"
                     f" see {RAW}/*.stderr")
        return None


def f(x, digits=1):
    if x is None:
        return "n/a"
    return f"{x:,.{digits}f}"


def ratio(a, b):
    if a is None or not b:
        return "n/a"
    return f"{a / b:,.1f}x" if a / b >= 10 else f"{a / b:,.2f}x"


def table(head, rows):
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


F = facts(RAW)
quick = F.get("mode") == "quick"
md = []
md.append(f"# dewy benchmarks ({F.get('mode', '?')} run"
          + (")" if F.get("steps", "all") == "all" else f", {F['steps']} only)"))
md.append("")
md.append(f"{F.get('date', '')}, dewy `{F.get('dewy_home', '?')}` (commit {F.get('commit', '?')}), "
          f"run took {F.get('duration', '?')}.")
md.append("")
md.append(f"> **Noise.** Load average {F.get('load_start', '?')} at the start, {F.get('load_end', '?')} at the end, "
          "on a 2-core VM (the benchmarks themselves keep about one core busy). Variants are interleaved or run side "
          "by side where the benchmark allows, so they share the noise, but absolute numbers, tails (p90/p99/max) "
          "and small differences should be read with care."
          + (" This is a `--quick` smoke run: counts are reduced and the idle window is 10 s." if quick else ""))
md.append("")
md.append("## Machine")
md.append("")
md.append(table(["fact", "value"], [r for r in [  # a step run alone records only the facts it needs
    ["nproc", F.get("nproc")], ["CPU", F.get("cpu")], ["kernel", F.get("kernel")],
    ["java (fast path, re-exec path)", F.get("java17")], ["JDK 25", F.get("java25")],
    ["tini", F.get("tini")], ["hyperfine", F.get("hyperfine")], ["python3", F.get("python")],
    ["Docker (in-container step)", F.get("docker", "not used")],
    ["AppCDS (classes from an archive / loaded)", F.get("cds")],
    ["preforking servers (step 9)", F.get("servers")],
] if r[1] is not None]))
md.append("")

# 1. start-up -------------------------------------------------------------------------------------------------------
s = load("startup.json")
if s:
    v = {x["name"]: x for x in s["variants"]}
    floor = v.get("bare", {}).get("stats", {}).get("median")
    tini = v.get("tini", {}).get("stats", {}).get("median")
    md.append("## 1. Start-up to child exec")
    md.append("")
    md.append(f"Harness CLOCK_REALTIME right before spawning, to the child's own `date +%s%N`; {s['runs']} runs per "
              f"variant after {s['warmup']} warm-up rounds, variants interleaved round by round. The bare `date` row "
              "is the floor (harness spawn + date's own start); \"over floor\" subtracts it. Ratios are of the "
              "raw medians.")
    md.append("")
    rows = []
    for name in ("bare", "tini", "dewy", "dewy_reexec", "dewy_no_appcds", "dewy_asm", "dewy_default_flags",
                 "dewy_jdk25"):
        if name not in v:
            continue
        x = v[name]
        st = x["stats"]
        med = st.get("median")
        rows.append([x["label"], f"{st.get('n', 0)}" + (f" ({len(x['errors'])} failed)" if x["errors"] else ""),
                     f(med, 2), f(st.get("p90"), 2), f(med - floor, 2) if med is not None and floor else "n/a",
                     ratio(med, tini), ratio(med, floor)])
        if x["errors"]:
            notes.append(f"start-up, {x['label']}: {len(x['errors'])} runs failed ({x['errors'][0]})")
    md.append(table(["variant", "runs", "median ms", "p90 ms", "median over floor ms", "vs tini", "vs bare"], rows))
    md.append("")
    md.append("Rows `fast path, ...` are ablations: the same launcher without one start-up aid each. The JDK 25 row "
              "uses JDK 25's own default CDS archive: `target/dewy.jsa` was written by JDK 17, and the launcher offers "
              "it only to the JVM that wrote it.")
    md.append("")
    fast = v.get("dewy", {}).get("stats", {}).get("median")
    if fast is not None and fast > 250:
        notes.append(f"start-up: the fast path's median is {fast:.0f} ms, above 250 ms")

# 2. hyperfine ------------------------------------------------------------------------------------------------------
h = load("hyperfine.json")
if h:
    res = {r["command"]: r for r in h["results"]}
    md.append("## 2. Whole run (hyperfine)")
    md.append("")
    md.append(f"`hyperfine -N --warmup {F.get('hf_warmup', '?')} --runs {F.get('hf_runs', '?')}`: from exec of the "
              "command to its exit, child `/bin/true`. hyperfine runs the commands one after the other (not "
              "interleaved). Median as exported by hyperfine.")
    md.append("")
    tini = res.get("tini", {}).get("median")
    bare = res.get("bare", {}).get("median")
    rows = []
    for name, r in res.items():
        med = r["median"]
        rows.append([f"`{name}`: `{F.get('hf_cmd_' + name, name)}`", len(r.get("times", [])), f(med * 1e3, 2),
                     f"{f(r['mean'] * 1e3, 2)} ± {f((r.get('stddev') or 0) * 1e3, 2)}", f(r["min"] * 1e3, 2),
                     f(r["max"] * 1e3, 2), ratio(med, tini), ratio(med, bare)])
        codes = set(r.get("exit_codes", [0]))
        if codes != {0}:
            notes.append(f"hyperfine: `{name}` exit codes {sorted(codes)}")
    md.append(table(["command", "runs", "median ms", "mean ± σ ms", "min ms", "max ms", "vs tini", "vs bare"], rows))
    md.append("")

# 3. idle -----------------------------------------------------------------------------------------------------------
d = load("idle.json")
if d:
    md.append("## 3. Idle cost")
    md.append("")
    md.append(f"dewy (fast path) and tini started together, each PID 1 of its own `unshare --pid --fork "
              f"--mount-proc` with child `sleep 1000`. Read from the host's /proc of the init (the child of "
              f"`unshare`): CPU = utime+stime (/proc/PID/stat fields 14+15, whole process, CLK_TCK="
              f"{d['clk_tck']}, so 0.01 s resolution) at t={d['settle_s']:.0f} s and t="
              f"{d['settle_s'] + d['window_s']:.0f} s; the idle figures are the difference, so start-up is "
              "excluded. On-CPU ms (sum of the live threads' schedstat) and context switches give a finer view of "
              "the same window. RSS at the end of the window. Then SIGTERM to each init.")
    md.append("")
    ini = d["inits"]
    trss = ini.get("tini", {}).get("rss_mib")
    rows = []
    for name in ("dewy", "tini", "dewy_jvm_ticks"):
        r = ini.get(name, {})
        if "error" in r or "idle_cpu_s" not in r:
            notes.append(f"idle, {name}: {r.get('error', 'no reading')}")
            rows.append([name] + ["failed"] * 9)
            continue
        t = r.get("term", {})
        rows.append([name, f(r["rss_mib"], 1) + (f" ({ratio(r['rss_mib'], trss)} tini)" if name != "tini" else ""),
                     f(r["total_cpu_s"], 2), f(r["idle_cpu_s"], 2), f(r["idle_cpu_s_per_min"], 3),
                     f(r["idle_run_ms_per_min"], 2), f(r["idle_switches_per_min"], 0), r["at_end"]["threads"],
                     f"{t.get('returncode')} in {f(t.get('exit_s', 0) * 1e3, 0)} ms"
                     + (" (needed SIGKILL)" if t.get("needed_sigkill") else ""),
                     "yes" if r.get("app_children") else "no"])
        if t.get("needed_sigkill") or t.get("returncode") not in (143,):
            notes.append(f"idle, {name}: after SIGTERM the unshare returned {t.get('returncode')}"
                         + (", SIGKILL was needed" if t.get("needed_sigkill") else "") + " (expected 143, the"
                         " child's SIGTERM death as 128+15)")
        if name == "dewy" and r["idle_cpu_s_per_min"] > 0.05:
            notes.append(f"idle: dewy used {r['idle_cpu_s_per_min']:.3f} CPU s per idle minute, not near zero")
    md.append(table(["init", "VmRSS MiB", "CPU s total", f"CPU s in {d['window_s']:.0f} s idle",
                     "CPU s / idle min", "on-CPU ms / idle min", "ctx switches / idle min", "threads",
                     "SIGTERM: exit status, time", "child was running"], rows))
    md.append("")
    busy = ini.get("dewy", {}).get("threads_by_wakeups")
    if busy:
        md.append("dewy's threads that woke up during the idle window (wake-ups = context switches; per minute): "
                  + ", ".join(f"`{b['comm']}` {b['switches_per_min']:.0f} ({b['run_ms_per_min']:.1f} ms)"
                              for b in busy[:8]) + ".")
        md.append("")

# 4. signals --------------------------------------------------------------------------------------------------------
g = load("signals.json")
if g:
    m = g["modes"]
    md.append("## 4. Signal-forward latency")
    md.append("")
    md.append(f"{g['count']} SIGUSR2 per target, one at a time (the next only after the child answered or "
              f"{g['per_timeout_s']:.0f} s passed; whole loop bounded at {g['total_timeout_s']:.0f} s). Latency = "
              "child's CLOCK_MONOTONIC right after `sigwaitinfo` returns minus the harness's CLOCK_MONOTONIC right "
              "before `kill()`. dewy (fast path, log level info) and tini are PID 1 under unshare and get the "
              "signal; both forward to their child only (dewy to the application's main process). `direct` sends to the "
              "child itself (floor). The three run at the same time and take turns, one signal each per round (who "
              "goes first rotates). Under background load the scheduler's wake-up placement dominates these "
              "microsecond figures, so even the floor can come out above an init in a given run.")
    md.append("")
    tini = m.get("tini", {}).get("stats_us", {}).get("median")
    floor = m.get("direct", {}).get("stats_us", {}).get("median")
    rows = []
    for name in ("direct", "tini", "dewy"):
        r = m.get(name)
        if not r:
            continue
        st = r["stats_us"]
        rows.append([name, r["sent"], r["received"], r["lost"], f(st.get("median"), 1), f(st.get("p90"), 1),
                     f(st.get("p99"), 1), f(st.get("max"), 0), f(r["first_us"][0], 0) if r["first_us"] else "n/a",
                     ratio(st.get("median"), tini), ratio(st.get("median"), floor)])
        if r.get("error"):
            notes.append(f"signals, {name}: {r['error']}")
        if r["lost"] or r["late"]:
            notes.append(f"signals, {name}: {r['lost']} of {r['sent']} signals not answered within "
                         f"{g['per_timeout_s']:.0f} s ({r['late']} answered late)")
        if name != "direct" and r["term"].get("returncode") != 143:
            notes.append(f"signals, {name}: after SIGTERM the unshare returned {r['term'].get('returncode')}")
    md.append(table(["target", "sent", "answered", "lost", "median µs", "p90 µs", "p99 µs", "max µs", "first µs",
                     "vs tini", "vs direct"], rows))
    md.append("")

# 5. reaping --------------------------------------------------------------------------------------------------------
r5 = load("reap.json")
if r5:
    md.append("## 5. Reaping orphans")
    md.append("")
    md.append(f"The application (python3) starts a dash loop making {r5['orphans']:,} orphans by double fork "
              "(`( : & )`: the subshell and the background `:` both exit at once, the `:` is re-parented to PID 1) "
              "and polls /proc/*/stat every 10 ms for state-Z processes. Total = just before the loop starts until "
              "a poll after the loop ended sees no zombie; tail = loop end to that poll. Init CPU = PID 1's "
              f"utime+stime over the same span. Bounds: fork loop {r5['fork_bound_s']:.0f} s, zombie wait "
              f"{r5['bound_s']:.0f} s. {r5['rounds']} round(s) per init, medians shown. Process creation is slow "
              "on this VM (1.5-4 ms per fork), so the total is mostly the fork loop itself; peak zombies, tail "
              "and init CPU show the reaper.")
    md.append("")
    mm = r5["modes"]
    tini = mm.get("tini", {}).get("total_ms", {}).get("median")
    rows = []
    for name in ("dewy", "tini", "dewy_jvm_ticks"):
        x = mm.get(name)
        if not x:
            continue
        codes = sorted({r.get("returncode") for r in x["runs"]})
        rows.append([name, f"{len(x['runs']) - x['failed']}/{len(x['runs'])}", f(x["total_ms"].get("median"), 0),
                     f(x["fork_phase_ms"].get("median"), 0), f(x["tail_ms"].get("median"), 1),
                     f(x["peak_zombies"].get("median"), 0), f(x["init_cpu_s"].get("median"), 2),
                     ", ".join(str(c) for c in codes), ratio(x["total_ms"].get("median"), tini)])
        for r in x["runs"]:
            if r.get("error") or r.get("timed_out") or r.get("returncode") != 0:
                notes.append(f"reaping, {name} round {r['round']}: rc {r.get('returncode')}, "
                             f"{r.get('error') or ''} {('timed out: ' + r['timed_out']) if r.get('timed_out') else ''}")
    md.append(table(["init", "ok runs", "total ms", "fork loop ms", "tail ms", "peak zombies", "init CPU s",
                     "exit status", "total vs tini"], rows))
    md.append("")

# 6. restarts -------------------------------------------------------------------------------------------------------
r6 = load("restart.json")
if r6:
    md.append("## 6. Restarts under load")
    md.append("")
    md.append(f"The Python example app (`docker/examples/python/app.py`) under a nonstop loopback load (`{r6['load']}`) "
              f"through {r6['restarts']} restarts, {r6['interval_s']:.1f} s of load before and between them. `dewy`: "
              "PID 1 under unshare with `--port 127.0.0.1:P --ready notify`, restarted by `kill -USR1`; `dewy_idle`: "
              "the same without the load. `baseline`: the same app binding the port itself, restarted by TERM, "
              "wait for the exit, spawn. Both times count "
              "from the signal (USR1 or TERM): the old generation is gone when its pidfd turns readable; the new one "
              "is ready at its READY=1 (under dewy: dewy's `generation ready` log line, ms resolution). Latency "
              "\"during restarts\" covers the successful requests that overlap a restart, from the signal until both "
              "happened. Between dewy's restarts, the harness also starts the app by itself once (socket handed over, no "
              "supervisor) and times spawn to READY=1: the app's own ready time under the same conditions, with "
              "the load (`dewy`) or without (`dewy_idle`).")
    md.append("")
    rows = []
    for name in ("dewy", "dewy_idle", "baseline"):
        v = r6.get("variants", {}).get(name)
        if v is None:
            continue
        if "error" in v or "restarts" not in v:
            rows.append([name] + ["failed"] * 9)
            notes.append(f"restarts, {name}: {v.get('error', 'no figures')}")
            continue
        x = v["restarts"]
        fails = ", ".join(f"{k} {n}" for k, n in sorted(x["outcomes"].items()) if k != "ok")
        gone, ready = x["to_old_gone_ms"], x["to_new_ready_ms"]
        loaded_row = x["requests"] > 0
        own = v.get("app_ready_ms", {}).get("median")
        rows.append([name, f"{x['count']}", f(x["ok_per_s"], 0) if loaded_row else "no load",
                     f"{x['failed']}" + (f" ({fails})" if fails else "") if loaded_row else "",
                     f(x["latency_during_restarts_ms"].get("p99"), 1) if loaded_row else "",
                     f(x["latency_ms"].get("p99"), 1) if loaded_row else "",
                     f"{f(gone.get('median'), 1)} (p90 {f(gone.get('p90'), 1)}, max {f(gone.get('max'), 1)})",
                     f(ready.get("median"), 1), f(own, 1) if own is not None else "",
                     x["serving_pids"] if loaded_row else ""])
        if name == "baseline":
            continue
        # the target: restart within the app's own ready time + 50 ms, measured under the same conditions
        if own is not None and gone.get("median") is not None and gone["median"] > own + 50:
            notes.append(f"restarts, {name}: the median time from USR1 to the old generation gone, "
                         f"{gone['median']:.0f} ms, is above the app's own ready time + 50 ms ({own:.0f} + 50 ms)")
        if loaded_row and x["failed"]:
            notes.append(f"restarts: {x['failed']} requests failed under dewy (target 0)")
        if loaded_row and x["serving_pids"] != x["count"] + 1:
            notes.append(f"restarts: {x['serving_pids']} pids served under dewy, expected {x['count'] + 1}")
    md.append(table(["variant", "restarts", "ok requests/s", "failed", "p99 ms during restarts", "p99 ms overall",
                     "signal to old generation gone, ms", "signal to new one ready, ms", "app's own ready time, ms",
                     "pids that served"], rows))
    md.append("")
    for name in ("dewy", "dewy_idle"):
        lg = r6.get("variants", {}).get(name, {}).get("log")
        if not lg or not lg.get("usr1_to_old_exited_ms", {}).get("n"):
            continue
        md.append(f"`{name}`'s restarts from dewy's own log lines (`started`, `generation ready`, "
                  "`generation exited`; ms resolution), medians: USR1 to the new generation's start "
                  f"{f(lg['usr1_to_started_ms']['median'], 0)} ms, its start to READY=1 "
                  f"{f(lg['new_ready_ms']['median'], 0)} ms, READY=1 to the old generation's exit "
                  f"{f(lg['ready_to_old_exited_ms']['median'], 0)} ms; USR1 to that exit "
                  f"{f(lg['usr1_to_old_exited_ms']['median'], 0)} ms. dewy's own share is the first and the last.")
        md.append("")
        if lg.get("failed_restarts"):
            notes.append(f"restarts, {name}: dewy logged {lg['failed_restarts']} failed restart(s)")

# 7. in containers --------------------------------------------------------------------------------------------------
if F.get("container_skipped"):
    notes.append(f"in containers: skipped, {F['container_skipped']}")
else:
    c = load("container.json")
    if c:
        v = {x["name"]: x for x in c["variants"]}
        floor = v.get("bare", {}).get("startup_ms", {}).get("median")
        tini_su = v.get("tini", {}).get("startup_ms", {}).get("median")
        tini_rss = v.get("tini", {}).get("container_rss_mib", {}).get("median")
        md.append("## 7. In containers")
        md.append("")
        md.append(f"Image `{c['image']}` ({c['image_size_mb']:.0f} MB), engine {c['engine']}, network none. Every "
                  "variant runs that same image and the same static child, which prints CLOCK_REALTIME in ns as its "
                  "first act; dewy is the image's entrypoint, tini the base's static tini as the entrypoint, `--init` "
                  "the engine's docker-init, bare the child alone as PID 1 (the floor). Start-up = the child's "
                  "reading minus the harness's reading just before the Engine API's start call, so it includes "
                  f"the engine's own container start. RSS after {c['settle_s']:.0f} s: VmRSS of PID 1, and of every "
                  f"process in the container, from the host's /proc. Then `docker stop` (timeout "
                  f"{c['stop_timeout_s']} s): the API call's duration and the exit code the engine recorded. "
                  f"{c['runs']} runs per variant after {c['warmup']} warm-up round, variants interleaved; medians.")
        md.append("")
        rows = []
        for name in ("dewy", "dewy_no_appcds", "tini", "init", "bare"):
            x = v.get(name)
            if not x:
                continue
            su = x["startup_ms"].get("median")
            rss = x["container_rss_mib"].get("median")
            runs = f"{x['startup_ms'].get('n', 0)}" + (f" ({len(x['errors'])} failed)" if x["errors"] else "")
            over = f(su - floor, 1) if su is not None and floor else "n/a"
            rows.append([x["label"], runs, f(su, 1), f(x["startup_ms"].get("p90"), 1), over, ratio(su, tini_su),
                         f(x["pid1_rss_mib"].get("median"), 1), f(rss, 1), ratio(rss, tini_rss),
                         f(x["stop_ms"].get("median"), 0), ", ".join(str(e) for e in x["exit_codes"])])
            if x["errors"]:
                notes.append(f"in containers, {name}: {len(x['errors'])} runs failed ({x['errors'][0]})")
        md.append(table(["PID 1", "runs", "start-up median ms", "p90 ms", "over bare ms", "vs tini", "PID 1 RSS MiB",
                         "container RSS MiB", "vs tini", "docker stop ms", "exit code"], rows))
        md.append("")
        md.append("The child dies of the TERM that dewy, tini and docker-init pass on (143). Bare, the child is PID 1 "
                  "with no TERM handler: the kernel drops the TERM, and the engine SIGKILLs it at the timeout (137).")
        md.append("")

# 9. preforking servers ---------------------------------------------------------------------------------------------
p9 = load("prefork.json")
if p9:
    ver = p9.get("versions", {})
    md.append("## 9. Preforking servers: dewy and start_server")
    md.append("")
    md.append(f"Real servers from Debian (`{ver.get('gunicorn', 'gunicorn ?')}`, `{ver.get('uwsgi', 'uWSGI ?')}`), each a "
              f"master and {p9.get('workers', '?')} sync workers serving `src/test/python/prefork_app.py` (the "
              f"tests' app), under a nonstop loopback load (`{p9['load']}`) through {p9['restarts']} restarts, "
              f"{p9['interval_s']:.1f} s plus a seeded random 0..{p9.get('slow_ms', 0) / 1000:.0f} s apart (so that "
              "they fall at every phase of the slow requests), under two supervisors in the same run. `dewy`: PID 1 "
              "under unshare, "
              "`--port 127.0.0.1:P --ready notify` (both servers send READY=1 themselves), restarted by `kill "
              "-USR1`; `dewy_delay`: the same with `--ready delay:1s`, start_server's rule. "
              f"`start_server` (`{ver.get('start_server', 'Server::Starter ?')}`): `--port=127.0.0.1:P`, "
              "restarted by `kill -HUP`; it TERMs the old generation once the new one has lived `--interval` (1 s, "
              "its default and its smallest: whole seconds). Both send the TERM to the old master only, whose "
              "graceful path (gunicorn's TERM; uWSGI's `gracefully_kill_them_all` hook) lets the workers finish. "
              "The old generation is gone when its master's pidfd turns readable; it cannot be gone before its slow "
              "request in flight has been answered, so that time includes up to one slow request. \"New one "
              "serving\": the signal to the first response from the new master (the body's `pid=`). The p99 "
              "covers the fast requests (keep-alive and one-shot) that overlap a restart; the slow requests' own "
              "latency is their sleep, so their max is shown apart.")
    md.append("")
    rows, split, figures = [], [], {}
    for name, v in p9.get("variants", {}).items():
        if "error" in v or "restarts" not in v:
            rows.append([name] + ["failed"] * 6)
            notes.append(f"prefork, {name}: {v.get('error', 'no figures')}")
            continue
        x = v["restarts"]
        label = f"{v['server']} under " + {"dewy": "dewy", "dewy_delay": "dewy, `--ready delay:1s`"}.get(
            v["supervisor"], v["supervisor"])
        figures[(v["server"], v["supervisor"])] = x
        fails = ", ".join(f"{k} {n}" for k, n in sorted(x["outcomes"].items()) if k != "ok")
        gone = x["to_old_gone_ms"]
        slow = x.get("by_kind", {}).get("slow", {})
        rows.append([label, x["count"], f(x["ok_per_s"], 0),
                     f"{x['failed']} of {x['requests']:,}" + (f" ({fails})" if fails else ""),
                     f(x["latency_during_restarts_ms"].get("p99"), 1),
                     f"{slow.get('requests', 0)}, max {f(slow.get('latency_ms', {}).get('max'), 0)}",
                     f(x.get("to_new_serving_ms", {}).get("median"), 1), x["serving_pids"]])
        split.append([label, f"{f(gone.get('median'), 1)} (p90 {f(gone.get('p90'), 1)}, max {f(gone.get('max'), 1)})",
                      f(x.get("to_last_old_response_ms", {}).get("median"), 1),
                      f(x.get("last_old_response_to_gone_ms", {}).get("median"), 1)])
        if x["failed"] and v["supervisor"].startswith("dewy"):
            notes.append(f"prefork: {x['failed']} requests failed with {v['server']} under dewy (target 0)")
        if x["serving_pids"] != x["count"] + 1:
            notes.append(f"prefork, {name}: {x['serving_pids']} masters served, expected {x['count'] + 1}")
        if v.get("term", {}).get("needed_sigkill"):
            notes.append(f"prefork, {name}: the final TERM needed a SIGKILL")
    md.append(table(["server and supervisor", "restarts", "ok requests/s", "failed", "p99 ms during restarts",
                     "slow requests: count, max ms", "signal to the new one serving, ms", "masters that served"],
                    rows))
    md.append("")
    md.append("The signal to the old generation gone, split at the old generation's last response (medians of the "
              "restarts): before it, the supervisor's wait and the requests in flight; after it, the old master's "
              "own exit.")
    md.append("")
    md.append(table(["server and supervisor", "signal to old generation gone, ms", "to its last response, ms",
                     "its last response to gone, ms"], split))
    md.append("")
    ratios = []
    for server in ("gunicorn", "uwsgi"):
        for sup, label in (("dewy", "dewy (`--ready notify`)"), ("dewy_delay", "dewy (`--ready delay:1s`)")):
            d, st = figures.get((server, sup)), figures.get((server, "start_server"))
            if d and st:
                ratios.append([f"{server}, {label}",
                               ratio(d["to_old_gone_ms"].get("median"), st["to_old_gone_ms"].get("median")),
                               ratio(d.get("to_new_serving_ms", {}).get("median"),
                                     st.get("to_new_serving_ms", {}).get("median")),
                               ratio(d["latency_during_restarts_ms"].get("p99"),
                                     st["latency_during_restarts_ms"].get("p99"))])
    if ratios:
        md.append("dewy against start_server (medians; below 1 means dewy is faster). `--ready delay:1s` is "
                  "start_server's own readiness rule, so that row compares the two supervisors alone:")
        md.append("")
        md.append(table(["server, dewy's readiness", "to old generation gone", "to the new one serving",
                         "p99 during restarts"], ratios))
        md.append("")
    for name, v in p9.get("variants", {}).items():
        lg = v.get("log")
        if lg and lg.get("usr1_to_old_exited_ms", {}).get("n"):
            md.append(f"`{name}` from dewy's log lines, medians: USR1 to the new master's start "
                      f"{f(lg['usr1_to_started_ms']['median'], 0)} ms, its start to READY=1 "
                      f"{f(lg['new_ready_ms']['median'], 0)} ms, READY=1 to the old master's exit "
                      f"{f(lg['ready_to_old_exited_ms']['median'], 0)} ms (mostly the slow request in flight).")
            md.append("")

# notes -------------------------------------------------------------------------------------------------------------
for line in F.get("jdk25_warnings", "").split(" || "):
    if line:
        notes.append(f"JDK 25 prints on dewy's stderr: \"{line}\"")
md.append("## Flags raised by the script")
md.append("")
md.extend(f"- {n}" for n in notes) if notes else md.append("- none")
md.append("")
md.append(f"Raw data: `{RAW}/` (JSON per benchmark, stderr of every init).")
print("\n".join(md))
