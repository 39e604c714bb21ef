#!/usr/bin/python3
"""A big artifact from file://: dewy's fetch + verify + unpack against cp + `sha256sum -c` + `tar xzf` by hand, the
same archive, alternated RUNS times in one run (issue 14's target: dewy at most 1.2x the manual path).

dewy's part is read from its own log: `new release` to `current swapped` (the copy from the registry directory, the
sha256 as it streams, the unpack into releases/, the link swap). The manual path is deploy.manual_big. Both read the
archive from the page cache (it was just written). Usage: artifact.py --dewy-home D --runs N --big-mib M --out J"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy  # noqa: E402
from common import log, write_json  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dewy-home", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--big-mib", type=int, default=200)
    ap.add_argument("--logdir", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="dewy-bench-artifact-", dir=os.environ.get("TMPDIR", "/tmp"))
    out = {"runs": a.runs, "big_mib": a.big_mib, "dewy": [], "manual": []}
    try:
        big = os.path.join(tmp, "big-v2.0.0.tar.gz")
        deploy.build_big(big, "v2.0.0", a.big_mib, tmp)
        out["big_bytes"] = os.path.getsize(big)
        for i in range(a.runs):
            m = deploy.manual_big(tmp, big)
            d = deploy.memory(a, tmp, "file", "big", big)
            dewy_ms = d["swapped_ms"] - d["new_release_ms"]
            out["manual"].append(m)
            out["dewy"].append({"fetch_ms": d["fetch_ms"], "unpack_swap_ms": d["unpack_swap_ms"], "total_ms": dewy_ms})
            log(f"artifact run {i + 1}: dewy {dewy_ms:.0f} ms (fetch+verify {d['fetch_ms']:.0f}, unpack+swap "
                f"{d['unpack_swap_ms']:.0f}); by hand {m['total_ms']:.0f} ms (cp {m['copy_ms']:.0f}, sha256sum "
                f"{m['verify_ms']:.0f}, tar {m['unpack_ms']:.0f})")
            time.sleep(0.5)
        med = lambda rows, k: statistics.median(r[k] for r in rows)  # noqa: E731
        out["median"] = {"dewy_total_ms": med(out["dewy"], "total_ms"), "dewy_fetch_ms": med(out["dewy"], "fetch_ms"),
                         "dewy_unpack_swap_ms": med(out["dewy"], "unpack_swap_ms"),
                         "manual_total_ms": med(out["manual"], "total_ms"),
                         "manual_copy_verify_ms": statistics.median(r["copy_ms"] + r["verify_ms"] for r in out["manual"]),
                         "manual_unpack_ms": med(out["manual"], "unpack_ms")}
        out["median"]["ratio"] = out["median"]["dewy_total_ms"] / out["median"]["manual_total_ms"]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        write_json(a.out, out)


if __name__ == "__main__":
    main()
