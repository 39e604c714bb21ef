#!/usr/bin/python3
"""Reaping: run reap_child.py as the application of dewy (fast path) and of tini, each PID 1 under unshare."""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import UNSHARE, children, log, summary, variant_env, write_json  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


def one(mode, dewy_home, orphans, bound, fork_bound, logdir, rnd):
    child = [PY, os.path.join(HERE, "reap_child.py"), str(orphans), str(bound), str(fork_bound)]
    if mode == "dewy":
        cmd = UNSHARE + [os.path.join(dewy_home, "dewy"), "server", "--"] + child
    else:
        cmd = UNSHARE + ["tini", "--"] + child
    errlog = open(os.path.join(logdir, f"reap-{mode}-{rnd}.stderr"), "wb")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errlog, env=variant_env())
    res = {"mode": mode, "round": rnd}
    try:
        out, _ = p.communicate(timeout=fork_bound + bound + 30)
        res["returncode"] = p.returncode
    except subprocess.TimeoutExpired:
        for pid in children(p.pid) + [p.pid]:
            try:
                os.kill(pid, 9)  # SIGKILL of the namespace's init ends everything in it
            except ProcessLookupError:
                pass
        out, _ = p.communicate(timeout=30)
        res["error"] = "harness time bound hit; killed"
        res["returncode"] = p.returncode
    finally:
        errlog.close()
    res["wall_s"] = time.monotonic() - t0
    try:
        res.update(json.loads(out.decode().strip().splitlines()[-1]))
    except (IndexError, ValueError):
        res.setdefault("error", f"no result from the child: {out[-200:]!r}")
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dewy-home", required=True)
    ap.add_argument("--orphans", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--bound", type=float, default=60.0)
    ap.add_argument("--fork-bound", type=float, default=180.0)
    ap.add_argument("--logdir", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    runs = {"dewy": [], "tini": []}
    for r in range(a.rounds):
        for mode in (("tini", "dewy") if r % 2 else ("dewy", "tini")):
            log(f"reaping: {mode}, {a.orphans} orphans, round {r + 1}/{a.rounds}")
            res = one(mode, a.dewy_home, a.orphans, a.bound, a.fork_bound, a.logdir, r + 1)
            log(f"  -> total {res.get('total_ms', float('nan')):.0f} ms, tail {res.get('tail_ms') or float('nan'):.0f}"
                f" ms, peak zombies {res.get('peak_zombies')}, rc {res.get('returncode')} {res.get('error', '')}")
            runs[mode].append(res)
    out = {"orphans": a.orphans, "rounds": a.rounds, "bound_s": a.bound, "fork_bound_s": a.fork_bound, "modes": {}}
    for mode, rs in runs.items():
        ok = [r for r in rs if "error" not in r and not r.get("timed_out")]
        out["modes"][mode] = {
            "runs": rs,
            "total_ms": summary([r["total_ms"] for r in ok]),
            "tail_ms": summary([r["tail_ms"] for r in ok]),
            "fork_phase_ms": summary([r["fork_phase_ms"] for r in ok]),
            "peak_zombies": summary([r["peak_zombies"] for r in ok]),
            "init_cpu_s": summary([r["init_cpu_s"] for r in ok]),
            "failed": len(rs) - len(ok),
        }
    write_json(a.out, out)


if __name__ == "__main__":
    main()
