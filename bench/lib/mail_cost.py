#!/usr/bin/python3
"""What the mail notifier costs dewy's start-up: `dewy server -- date +%s%N`, round-robin, in up to three variants:
dewy built without the mail library (--base-home, optional), this dewy without a notifier, and this dewy with
`--notifier smtp://127.0.0.1:PORT/...` to a local aiosmtpd sink (src/test/python/smtp_sink.py, plain SMTP).

Each run gives three figures: start-up to child exec (the child's CLOCK_REALTIME minus the one read just before the
spawn, as bench/lib/startup.py), the whole run (spawn to exit: with a notifier, dewy's exit waits, up to 3 s, for
its "started" mail to be sent) and the CPU time of the run (user + system, dewy and its child: less
moved by other load than wall time). Also the size of each dewy.jar and of the mail classes in it. Bounded: 300 s.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import log, summary, variant_env, write_json  # noqa: E402

CHILD = ["/bin/date", "+%s%N"]
HERE = os.path.dirname(os.path.abspath(__file__))
SINK = os.path.join(HERE, "..", "..", "src", "test", "python", "smtp_sink.py")
MAIL_PREFIXES = ("jakarta/", "org/eclipse/angus/", "META-INF/javamail", "META-INF/mailcap",
                 "META-INF/maven/jakarta.", "META-INF/maven/org.eclipse.angus/")


def cpu_of_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def one(cmd, env, timeout=30):
    """(start-up ms, whole run ms, CPU ms of the run: user + system of dewy and all it waited for, error)."""
    c0 = cpu_of_children()
    t0 = time.time_ns()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        return None, None, None, "timeout"
    t_end = time.time_ns()
    cpu = (cpu_of_children() - c0) * 1e3
    if p.returncode != 0:
        return None, None, None, f"exit {p.returncode}"
    try:
        t_child = int(out.split()[0])
    except (IndexError, ValueError):
        return None, None, None, f"bad output {out[:80]!r}"
    return (t_child - t0) / 1e6, (t_end - t0) / 1e6, cpu, None


def jar_facts(home):
    jar = os.path.join(home, "dewy.jar")
    with zipfile.ZipFile(jar) as z:
        mail = [i for i in z.infolist() if i.filename.startswith(MAIL_PREFIXES)]
    return {"jar": jar, "bytes": os.path.getsize(jar), "mail_entries": len(mail),
            "mail_compressed_bytes": sum(i.compress_size for i in mail),
            "mail_uncompressed_bytes": sum(i.file_size for i in mail)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dewy-home", required=True)
    ap.add_argument("--base-home")
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    with tempfile.TemporaryDirectory() as d:
        sink = subprocess.Popen(["/usr/bin/python3", SINK, "--dir", d, "--max-seconds", "300"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        port = int(sink.stdout.readline().split()[1])
        url = f"smtp://127.0.0.1:{port}/ops@example.com?from=dewy@example.com&tls=false"
        dewy = os.path.join(a.dewy_home, "dewy")
        vs = []
        if a.base_home:
            vs.append(("base", "dewy without the mail library, no notifier",
                       [os.path.join(a.base_home, "dewy"), "server", "--"] + CHILD))
        vs.append(("dewy", "this dewy, no notifier", [dewy, "server", "--"] + CHILD))
        vs.append(("dewy_mail", "this dewy, --notifier smtp:// (local sink, tls=false)",
                   [dewy, "server", "--notifier", url, "--"] + CHILD))
        env = variant_env()
        env.pop("MAIL_USERNAME", None)
        env.pop("MAIL_PASSWORD", None)
        env.pop("MAIL_FROM", None)
        startup = {n: [] for n, *_ in vs}
        whole = {n: [] for n, *_ in vs}
        cpu = {n: [] for n, *_ in vs}
        errors = {n: [] for n, *_ in vs}
        deadline = time.monotonic() + 300
        try:
            for r in range(a.warmup + a.runs):
                for name, _, cmd in vs:
                    if time.monotonic() > deadline:
                        errors[name].append("time bound hit")
                        continue
                    s, w, c, err = one(cmd, env)
                    if r < a.warmup:
                        continue
                    if err:
                        errors[name].append(err)
                    else:
                        startup[name].append(s)
                        whole[name].append(w)
                        cpu[name].append(c)
                log(f"mail round {r + 1}/{a.warmup + a.runs}" + (" (warm-up)" if r < a.warmup else ""))
            mails = len([f for f in os.listdir(d) if f.endswith(".json")])
        finally:
            sink.stdin.close()
            sink.wait(10)
    result = {"runs": a.runs, "warmup": a.warmup, "child": " ".join(CHILD), "mails_received": mails,
              "jars": {"dewy": jar_facts(a.dewy_home)}, "variants": []}
    if a.base_home:
        result["jars"]["base"] = jar_facts(a.base_home)
    for name, label, cmd in vs:
        result["variants"].append({"name": name, "label": label, "cmd": cmd, "errors": errors[name],
                                   "startup_ms": summary(startup[name]), "whole_ms": summary(whole[name]),
                                   "cpu_ms": summary(cpu[name]), "cpu_samples": cpu[name],
                                   "startup_samples": startup[name], "whole_samples": whole[name]})
    write_json(a.out, result)
    print("| variant | start-up to child exec, median (p90) | whole run, median (p90) | CPU of the run, median |"
          " errors |")
    print("|---|---:|---:|---:|---:|")
    for v in result["variants"]:
        s, w, c = v["startup_ms"], v["whole_ms"], v["cpu_ms"]
        if s.get("n"):
            print(f"| {v['label']} | {s['median']:.1f} ms ({s['p90']:.1f}) | {w['median']:.1f} ms ({w['p90']:.1f})"
                  f" | {c['median']:.0f} ms | {len(v['errors'])} |")
        else:
            print(f"| {v['label']} | - | - | - | {len(v['errors'])} |")
    print()
    for k, j in result["jars"].items():
        print(f"- {k}: {j['jar']}: {j['bytes']} bytes; mail library {j['mail_entries']} entries, "
              f"{j['mail_compressed_bytes']} bytes compressed ({j['mail_uncompressed_bytes']} uncompressed)")
    print(f"- mails the sink received: {mails} (one per smtp:// run and warm-up: 'started'; the child exits by itself, so no 'stopping')")


if __name__ == "__main__":
    main()
