#!/usr/bin/python3
"""Signal-forward latency: SIGUSR2 sent to the init (host PID), timed until the child has it from sigwaitinfo.

Per signal: t0 = CLOCK_MONOTONIC; kill(target, SIGUSR2); wait (<= per-signal timeout) for the child's line, which
holds its CLOCK_MONOTONIC right after sigwaitinfo returned; latency = t_child - t0. One signal at a time, so none
is coalesced. Targets: dewy (fast path) and tini, each PID 1 under unshare, and the child itself (floor, no init).
All three run at the same time and take turns (one signal to each per round, the first of the round rotating), so
background load hits them alike.
"""
import argparse
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import UNSHARE, log, stop_tree, summary, variant_env, wait_for_child, write_json  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


class Lines:
    def __init__(self, fd):
        self.fd, self.buf = fd, b""

    def get(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                self.buf += os.read(self.fd, 65536)
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def drain(self):
        n = 0
        while self.get(0) is not None:
            n += 1
        return n


class Target:
    """One set-up: the child, under dewy, under tini, or alone; `pid` is where the signals go."""

    def __init__(self, mode, dewy_home, total_timeout, logdir):
        self.mode = mode
        self.tmp = tempfile.mkdtemp(prefix="dewy-siglat-")
        self.fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(self.fifo)
        self.fd = os.open(self.fifo, os.O_RDWR | os.O_NONBLOCK)  # O_RDWR: never EOF, opening never blocks
        self.lines = Lines(self.fd)
        child = [PY, os.path.join(HERE, "sigchild.py"), self.fifo, str(int(total_timeout) + 60)]
        if mode == "dewy":
            self.cmd = UNSHARE + [os.path.join(dewy_home, "dewy"), "server", "--log-level", "info", "--"] + child
        elif mode == "tini":
            self.cmd = UNSHARE + ["tini", "--"] + child
        else:
            self.cmd = child
        self.errlog = open(os.path.join(logdir, f"siglat-{mode}.stderr"), "wb")
        self.p = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self.errlog, stderr=self.errlog,
                                  env=variant_env())
        self.pid = None
        self.lat, self.sent, self.lost, self.late = [], 0, 0, 0
        self.error = None

    def wait_ready(self):
        ready = self.lines.get(30)
        if not ready or not ready.startswith("ready"):
            self.error = f"child not ready: {ready!r}"
            return
        self.pid = self.p.pid if self.mode == "direct" else wait_for_child(self.p.pid, 5)
        if self.pid is None:
            self.error = "no init process under unshare"

    def one(self, per_timeout):
        self.late += self.lines.drain()  # replies that came after their timeout must not match this signal
        t0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        os.kill(self.pid, signal.SIGUSR2)
        self.sent += 1
        reply = self.lines.get(per_timeout)
        if reply is None:
            self.lost += 1
        else:
            self.lat.append((int(reply) - t0) / 1000.0)  # microseconds

    def finish(self):
        rc, secs, killed = stop_tree(self.p, self.pid if self.mode != "direct" else None)
        self.errlog.close()
        os.close(self.fd)
        os.unlink(self.fifo)
        os.rmdir(self.tmp)
        return {"mode": self.mode, "cmd": self.cmd, "target_pid": self.pid, "error": self.error,
                "sent": self.sent, "received": len(self.lat), "lost": self.lost, "late": self.late,
                "first_us": self.lat[:5], "stats_us": summary(self.lat), "samples_us": [round(x, 1) for x in self.lat],
                "term": {"returncode": rc, "exit_s": secs, "needed_sigkill": killed}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dewy-home", required=True)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--per-timeout", type=float, default=2.0)
    ap.add_argument("--total-timeout", type=float, default=120.0)
    ap.add_argument("--logdir", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    out = {"count": a.count, "per_timeout_s": a.per_timeout, "total_timeout_s": a.total_timeout, "modes": {}}
    targets = []
    try:
        for mode in ("direct", "tini", "dewy"):
            targets.append(Target(mode, a.dewy_home, a.total_timeout, a.logdir))
        for t in targets:
            t.wait_ready()
        live = [t for t in targets if t.error is None]
        time.sleep(1.0)  # let dewy's JVM finish its start-up work, which would otherwise load the first rounds
        log(f"signals: {a.count} x SIGUSR2 to each of " + ", ".join(t.mode for t in live) + ", interleaved")
        t_begin = time.monotonic()
        for i in range(a.count):
            if time.monotonic() - t_begin > a.total_timeout:
                for t in live:
                    t.error = f"total time bound ({a.total_timeout:.0f}s) hit after {i} rounds"
                break
            for k in range(len(live)):  # rotate who goes first, so no target always follows the same one
                live[(i + k) % len(live)].one(a.per_timeout)
        out["elapsed_s"] = time.monotonic() - t_begin
    finally:
        for t in targets:
            out["modes"][t.mode] = t.finish()
    write_json(a.out, out)


if __name__ == "__main__":
    main()
