#!/usr/bin/python3
"""Reaping child, run as the application under an init that is PID 1 of its own PID namespace.

Makes N orphans by double fork: a dash loop `( : & )` forks a subshell, which forks a background `:` and exits at
once; the `:` exits at once too, and, its parent gone, is re-parented to PID 1 (dash forks faster than python here).
The loop runs as a separate process, so this script polls /proc/*/stat every 10 ms meanwhile, counting state-Z
processes. Time runs from just before the loop starts until a poll after the loop finished sees no zombie. Bounded:
the fork loop at FORK_BOUND seconds (process creation alone costs 1.5-4 ms here), the wait for zero zombies after
it at BOUND seconds. Prints one JSON line on stdout.
"""
import json
import os
import signal
import sys
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
BOUND = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
FORK_BOUND = float(sys.argv[3]) if len(sys.argv) > 3 else 180.0
POLL = 0.010
LOOP = 'i=0; while [ "$i" -lt "$1" ]; do ( : & ); i=$((i+1)); done'


def zombies():
    z = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", "rb") as f:
                    s = f.read()
            except OSError:
                continue
            if s[s.rindex(b")") + 2:s.rindex(b")") + 3] == b"Z":
                z += 1
    return z


def init_ticks():
    with open("/proc/1/stat") as f:
        s = f.read()
    rest = s[s.rindex(")") + 2:].split()
    return int(rest[11]) + int(rest[12])


def main():
    cpu0 = init_ticks()
    t0 = time.monotonic()
    loop = os.posix_spawn("/bin/sh", ["sh", "-c", LOOP, "sh", str(N)], os.environ)
    peak, polls, forked_at, rc = 0, 0, None, None
    timed_out = False
    while True:
        now = time.monotonic()
        if (forked_at is None and now - t0 > FORK_BOUND) or (forked_at is not None and now - forked_at > BOUND):
            timed_out = "fork loop" if forked_at is None else "zombies left"
            break
        if forked_at is None:
            pid, status = os.waitpid(loop, os.WNOHANG)
            if pid == loop:
                forked_at = time.monotonic()
                rc = os.waitstatus_to_exitcode(status)
        z = zombies()
        polls += 1
        peak = max(peak, z)
        if forked_at is not None and z == 0:
            break
        time.sleep(max(0.0, POLL - (time.monotonic() - now)))
    end = time.monotonic()
    if timed_out and forked_at is None:
        os.kill(loop, signal.SIGKILL)
        os.waitpid(loop, 0)
    cpu1 = init_ticks()
    print(json.dumps({
        "orphans": N, "loop_rc": rc, "timed_out": timed_out, "bound_s": BOUND, "fork_bound_s": FORK_BOUND,
        "total_ms": (end - t0) * 1e3,
        "fork_phase_ms": (forked_at - t0) * 1e3 if forked_at else None,
        "tail_ms": (end - forked_at) * 1e3 if forked_at else None,
        "peak_zombies": peak, "zombies_left": 0 if not timed_out else zombies(), "polls": polls,
        "init_cpu_s": (cpu1 - cpu0) / os.sysconf("SC_CLK_TCK"),
    }), flush=True)


if __name__ == "__main__":
    main()
