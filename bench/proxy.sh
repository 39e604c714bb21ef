#!/usr/bin/env bash
# dewy's TCP proxy (dewy.proxy.TcpProxy, in a JVM with dewy's launcher flags) against HAProxy in TCP mode, the same
# backend (an HAProxy that answers every request itself, so the backend is never the limit) and the same load (wrk,
# keep-alive), side by side: ROUNDS (default 3) alternated rounds of SECONDS (default 10) each; requests per second,
# p50 and p99 latency, and the proxy process's CPU seconds; medians and ratios. Needs target/ built, haproxy, wrk.
# Everything on 127.0.0.1. Writes bench/results/proxy.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DEWY_HOME=$(cd "${DEWY_HOME:-$here/../target}" && pwd)
rounds=${ROUNDS:-3}
secs=${SECONDS_EACH:-10}
conns=${CONNECTIONS:-50}
for t in haproxy wrk javac; do command -v $t >/dev/null || { echo "proxy.sh: $t missing" >&2; exit 2; }; done
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
backend=$(free_port); hap=$(free_port); dp=$(free_port)
cat >"$work/backend.cfg" <<CFG
global
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend be
  bind 127.0.0.1:$backend
  http-request return status 200 content-type text/plain string "ok"
CFG
cat >"$work/proxy.cfg" <<CFG
global
  maxconn 4096
  nbthread 1
defaults
  mode tcp
  timeout connect 5s
  timeout client 300s
  timeout server 300s
frontend fe
  bind 127.0.0.1:$hap
  default_backend app
backend app
  server s1 127.0.0.1:$backend
CFG
haproxy -f "$work/backend.cfg" -db >"$work/backend.log" 2>&1 & pids+=($!)
haproxy -f "$work/proxy.cfg" -db >"$work/haproxy.log" 2>&1 & hpid=$!; pids+=($hpid)
javac -d "$work" -cp "$DEWY_HOME/dewy.jar" "$here/lib/ProxyMain.java"
flags=$(sed -n 's/^  -XX:+UseSerialGC/-XX:+UseSerialGC/p' "$DEWY_HOME/dewy" | sed 's/ \\$//')
# shellcheck disable=SC2086
java $flags -cp "$DEWY_HOME/dewy.jar:$work" ProxyMain "$dp" "$backend" >"$work/dewy.log" 2>&1 & dpid=$!; pids+=($dpid)
for p in $backend $hap $dp; do
  for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
done
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tck=$(getconf CLK_TCK)
run() { # name port pid -> "rps p50_ms p99_ms cpu_s errors"
  local c0 c1 out
  c0=$(cpu "$3")
  out=$(wrk -t1 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$2/")
  c1=$(cpu "$3")
  python3 - "$out" "$c0" "$c1" "$tck" <<'PY'
import re, sys
out, c0, c1, tck = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if "Requests/sec" not in out:
    sys.exit("proxy.sh: wrk said: " + out)
def ms(s):
    v, u = re.match(r"([\d.]+)(us|ms|s)", s).groups()
    return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
p50 = ms(re.search(r"50%\s+(\S+)", out).group(1))
p99 = ms(re.search(r"99%\s+(\S+)", out).group(1))
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
errs = sum(int(x) for x in m.groups()) if m else 0
m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
errs += int(m.group(1)) if m else 0
print(f"{rps:.0f} {p50:.3f} {p99:.3f} {(c1 - c0) / tck:.2f} {errs}")
PY
}
wrk -t1 -c"$conns" -d3s "http://127.0.0.1:$dp/" >/dev/null # warm-up: the JIT, the first connections
wrk -t1 -c"$conns" -d3s "http://127.0.0.1:$hap/" >/dev/null
: >"$work/h"; : >"$work/d"
for r in $(seq "$rounds"); do
  run haproxy "$hap" "$hpid" >>"$work/h"
  run dewy "$dp" "$dpid" >>"$work/d"
done
python3 - "$work/h" "$work/d" "$(git -C "$here/.." rev-parse --short HEAD)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  "$rounds" "$secs" "$conns" "$(haproxy -v | head -1 | cut -d' ' -f3)" <<'PY' | tee "$here/results/proxy.md"
import statistics, sys
rows = {n: [list(map(float, l.split())) for l in open(f)] for n, f in (("haproxy", sys.argv[1]), ("dewy", sys.argv[2]))}
med = {n: [statistics.median(r[i] for r in rs) for i in range(5)] for n, rs in rows.items()}
h, d = med["haproxy"], med["dewy"]
print("# dewy's TCP proxy against HAProxy\n")
print(f"commit {sys.argv[3]}, load {sys.argv[4]} at the end; HAProxy {sys.argv[8]} (TCP mode, 1 thread); wrk, 1 thread, "
      f"{sys.argv[7]} keep-alive connections, {sys.argv[5]} alternated rounds of {sys.argv[6]} s; the backend an HAProxy "
      "that answers itself; medians (bench/proxy.sh).\n")
print("| proxy | requests/s | p50 | p99 | proxy CPU s per round | errors |\n|---|---:|---:|---:|---:|---:|")
for n, m in (("HAProxy", h), ("dewy", d)):
    print(f"| {n} | {m[0]:,.0f} | {m[1]:.3f} ms | {m[2]:.3f} ms | {m[3]:.2f} | {m[4]:.0f} |")
print(f"\ndewy/HAProxy: throughput {d[0] / h[0]:.2f}x (target at least 0.8x), p99 {d[2] / h[2]:.2f}x (target at most "
      f"1.5x), CPU {d[3] / h[3]:.2f}x.")
PY
