#!/usr/bin/python3
"""Start-up to child exec.

For each variant: take CLOCK_REALTIME (ns) right before starting the command, let the child (`date +%s%N`) print
CLOCK_REALTIME as its first act, and record the difference. Variants are run round-robin (one run of each, then the
next round), so background noise falls on all of them alike. The bare `date` run is the floor: it holds the
harness's own spawn cost and date's own start-up, which every other variant pays too.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import log, summary, variant_env, write_json  # noqa: E402

CHILD = ["/bin/date", "+%s%N"]


def variants(dewy_home, java25):
    dewy = os.path.join(dewy_home, "dewy")
    jar = os.path.join(dewy_home, "dewy.jar")
    v = [
        ("bare", "`date +%s%N` (floor)", CHILD, variant_env()),
        ("tini", "`tini -- date`", ["tini", "--"] + CHILD, variant_env()),
        ("dewy", "`dewy server -- date` (fast path, JDK 17 + AppCDS)", [dewy, "server", "--"] + CHILD,
         variant_env()),
        ("dewy_reexec", "`java -jar dewy.jar server -- date` (re-exec path, JDK 17)",
         ["java", "-jar", jar, "server", "--"] + CHILD, variant_env()),
    ]
    # Ablations: the fast path without each start-up aid, to show what each one is worth.
    java_home = os.path.dirname(os.path.dirname(os.path.realpath(shutil.which("java"))))
    default_cds = os.path.join(java_home, "lib", "server", "classes.jsa")
    v.append(("dewy_no_appcds", "fast path, JDK default CDS only (no dewy.jsa)", [dewy, "server", "--"] + CHILD,
              variant_env(opts=f"-XX:SharedArchiveFile={default_cds}")))
    v.append(("dewy_asm", "fast path, jnr-ffi ASM binding (not reflection)", [dewy, "server", "--"] + CHILD,
              variant_env(opts="-Djnr.ffi.asm.enabled=true")))
    v.append(("dewy_default_flags", "signals blocked + AppCDS, JVM default flags (no small-footprint flags)",
              blocked_jvm(dewy_home) + ["-jar", jar, "server", "--"] + CHILD, variant_env()))
    if java25 and os.access(java25, os.X_OK):
        v.append(("dewy_jdk25", "`JAVA=jdk25 dewy server -- date` (fast path, JDK 25, its default CDS)",
                  [dewy, "server", "--"] + CHILD, variant_env(java25)))
    return v


def blocked_jvm(dewy_home):
    """The launcher's env --block-signal ... java -Xrs, without its tuning flags (read from the launcher itself)."""
    text = open(os.path.join(dewy_home, "dewy")).read()
    block = re.search(r"--block-signal=([0-9,]+)", text).group(1)
    sr = re.search(r"_JAVA_SR_SIGNUM=(\d+)", text).group(1)
    cmd = ["env", f"--block-signal={block}", f"_JAVA_SR_SIGNUM={sr}", "java", "-Xrs"]
    if os.path.exists(os.path.join(dewy_home, "dewy.jsa")):
        cmd += [f"-XX:SharedArchiveFile={os.path.join(dewy_home, 'dewy.jsa')}", "-Xlog:cds=off",
                "-Xlog:cds+dynamic=off"]
    return cmd


def one(cmd, env, timeout=30):
    t0 = time.time_ns()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         env=env)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        return None, "timeout"
    if p.returncode != 0:
        return None, f"exit {p.returncode}"
    try:
        t_child = int(out.split()[0])
    except (IndexError, ValueError):
        return None, f"bad output {out[:80]!r}"
    return (t_child - t0) / 1e6, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dewy-home", required=True)
    ap.add_argument("--java25")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    vs = variants(a.dewy_home, a.java25)
    samples = {name: [] for name, *_ in vs}
    errors = {name: [] for name, *_ in vs}
    deadline = time.monotonic() + 300  # hard bound on the whole benchmark
    for r in range(a.warmup + a.runs):
        for name, _, cmd, env in vs:
            if time.monotonic() > deadline:
                errors[name].append("time bound hit")
                continue
            ms, err = one(cmd, env)
            if r < a.warmup:
                continue
            if err:
                errors[name].append(err)
            else:
                samples[name].append(ms)
        log(f"start-up round {r + 1}/{a.warmup + a.runs}"
            + (" (warm-up)" if r < a.warmup else ""))

    result = {"runs": a.runs, "warmup": a.warmup, "child": " ".join(CHILD), "variants": []}
    for name, label, cmd, env in vs:
        result["variants"].append({
            "name": name, "label": label, "cmd": cmd, "java": env.get("JAVA", "java"),
            "samples_ms": samples[name], "errors": errors[name], "stats": summary(samples[name]),
        })
    write_json(a.out, result)


if __name__ == "__main__":
    main()
