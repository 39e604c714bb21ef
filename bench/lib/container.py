#!/usr/bin/python3
"""In-container figures: dewy as the image's PID 1 against tini and `docker run --init` on the same image.

Every variant runs the same image (default dewy:test, built by `mvn verify` with the image profile) and the same
child, lib/clock.c (static, bind-mounted read-only), whose first act is to print CLOCK_REALTIME in ns:
  dewy   the image's own entrypoint: dewy server -- clock wait
  dewy_no_appcds  the same without the image's AppCDS archive (the JDK's default CDS only), to show what it is worth
  tini   --entrypoint /usr/bin/tini (the Debian package's static binary, copied into the base): tini -- clock wait
  init   `docker run --init`: the engine's docker-init (tini again, from the host) as PID 1, clock as the entrypoint
  bare   clock itself as PID 1 (the floor: the engine's own start-up plus clock's)
Per round and variant: create the container (network none, not timed), read CLOCK_REALTIME, start it through the
Engine API, and take the child's printed time minus that reading as start-up to child exec. After a settle, VmRSS of
PID 1 and of every process in the container (whole processes, from the host's /proc). Then `docker stop` with a
5 s timeout: how long the API call took and the exit code the engine recorded. Variants take turns round by round;
everything is bounded (per call, and a deadline for the whole run).
"""
import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import children, log, rss_mib, summary, write_json  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CLOCK = "/bench/clock"


class Engine:
    """The Docker Engine API on a unix socket (API 1.41), without the CLI's own start-up in any timing."""

    def __init__(self, sock):
        self.sock = sock

    def call(self, method, path, body=None, timeout=60):
        conn = http.client.HTTPConnection("localhost", timeout=timeout)
        conn.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.sock.settimeout(timeout)
        conn.sock.connect(self.sock)
        try:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, "/v1.41" + path, body=data, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            payload = r.read()
            if r.status >= 300:
                raise RuntimeError(f"{method} {path}: {r.status} {payload[:200]!r}")
            return payload
        finally:
            conn.close()

    def json(self, method, path, body=None, timeout=60):
        return json.loads(self.call(method, path, body, timeout) or b"null")

    def stdout(self, cid):
        """The container's stdout so far (the log stream is multiplexed: 8-byte frame headers)."""
        raw = self.call("GET", f"/containers/{cid}/logs?stdout=1&stderr=0")
        out, i = b"", 0
        while i + 8 <= len(raw):
            size = int.from_bytes(raw[i + 4:i + 8], "big")
            out += raw[i + 8:i + 8 + size]
            i += 8 + size
        return out.decode(errors="replace")


def variants(entrypoint):
    no_appcds = [w for w in entrypoint if not w.startswith(("-XX:SharedArchiveFile=", "-Xlog:cds"))]
    return [
        ("dewy", "dewy (the image's entrypoint)", {"Cmd": ["--", CLOCK, "wait"]}, {}),
        ("dewy_no_appcds", "dewy without the image's AppCDS archive",
         {"Entrypoint": no_appcds, "Cmd": ["--", CLOCK, "wait"]}, {}),
        ("tini", "tini, same image", {"Entrypoint": ["/usr/bin/tini", "--"], "Cmd": [CLOCK, "wait"]}, {}),
        ("init", "`docker run --init` (docker-init)", {"Entrypoint": [CLOCK], "Cmd": ["wait"]}, {"Init": True}),
        ("bare", "no init: clock is PID 1 (floor)", {"Entrypoint": [CLOCK], "Cmd": ["wait"]}, {}),
    ]


def one(engine, image, clock, config, host, settle, stop_timeout):
    body = dict(config, Image=image, HostConfig=dict(host, NetworkMode="none", Binds=[f"{clock}:{CLOCK}:ro"]))
    cid = engine.json("POST", "/containers/create", body)["Id"]
    res = {}
    try:
        t0 = time.time_ns()
        engine.call("POST", f"/containers/{cid}/start")
        deadline = time.monotonic() + 30
        out = ""
        while time.monotonic() < deadline and not out.strip():
            time.sleep(0.02)
            out = engine.stdout(cid)
        if not out.strip():
            res["error"] = "the child printed nothing within 30 s"
            return res
        res["startup_ms"] = (int(out.split()[0]) - t0) / 1e6
        time.sleep(settle)
        pid1 = engine.json("GET", f"/containers/{cid}/json")["State"]["Pid"]
        pids, todo = [], [pid1]
        while todo:  # PID 1 and its descendants, as the host numbers them
            p = todo.pop()
            pids.append(p)
            todo.extend(children(p))
        res["pid1_rss_mib"] = rss_mib(pid1)
        res["container_rss_mib"] = sum(rss_mib(p) or 0 for p in pids)
        res["processes"] = len(pids)
        t1 = time.monotonic()
        engine.call("POST", f"/containers/{cid}/stop?t={stop_timeout}", timeout=stop_timeout + 30)
        res["stop_ms"] = (time.monotonic() - t1) * 1e3
        res["exit_code"] = engine.json("GET", f"/containers/{cid}/json")["State"]["ExitCode"]
        return res
    except (OSError, RuntimeError, ValueError, KeyError) as e:
        res["error"] = str(e)
        return res
    finally:
        try:
            engine.call("DELETE", f"/containers/{cid}?force=1")
        except (OSError, RuntimeError) as e:
            log(f"container: could not remove {cid[:12]}: {e}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", default="dewy:test")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--settle", type=float, default=2.0)
    ap.add_argument("--stop-timeout", type=int, default=5)
    ap.add_argument("--bound", type=float, default=600, help="seconds for the whole benchmark")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    engine = Engine(host[len("unix://"):])
    clock = os.path.join(a.workdir, "clock")
    subprocess.run(["gcc", "-static", "-O2", "-Wall", "-Werror", "-o", clock, os.path.join(HERE, "clock.c")],
                   check=True, timeout=120)
    info = engine.json("GET", "/version")
    image = engine.json("GET", f"/images/{a.image}/json")

    vs = variants(image["Config"]["Entrypoint"])
    runs = {name: [] for name, *_ in vs}
    deadline = time.monotonic() + a.bound
    for r in range(a.warmup + a.runs):
        for name, _, config, hostconf in vs:
            if time.monotonic() > deadline:
                runs[name].append({"error": "time bound hit"})
                continue
            res = one(engine, a.image, clock, config, hostconf, a.settle, a.stop_timeout)
            if r >= a.warmup:
                runs[name].append(res)
        log(f"container round {r + 1}/{a.warmup + a.runs}" + (" (warm-up)" if r < a.warmup else ""))

    out = {"image": a.image, "image_id": image["Id"], "image_size_mb": image["Size"] / 1e6,
           "engine": info.get("Version"), "runs": a.runs, "warmup": a.warmup, "settle_s": a.settle,
           "stop_timeout_s": a.stop_timeout, "variants": []}
    for name, label, config, hostconf in vs:
        ok = [x for x in runs[name] if "error" not in x]
        out["variants"].append({
            "name": name, "label": label, "config": config, "host_config": hostconf, "runs": runs[name],
            "errors": [x["error"] for x in runs[name] if "error" in x],
            "startup_ms": summary([x["startup_ms"] for x in ok]),
            "pid1_rss_mib": summary([x["pid1_rss_mib"] for x in ok if x.get("pid1_rss_mib") is not None]),
            "container_rss_mib": summary([x["container_rss_mib"] for x in ok]),
            "stop_ms": summary([x["stop_ms"] for x in ok]),
            "exit_codes": sorted({x["exit_code"] for x in ok}),
        })
    write_json(a.out, out)


if __name__ == "__main__":
    main()
