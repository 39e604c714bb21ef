#!/usr/bin/python3
"""Restart benchmark: a nonstop load on loopback (lib/loadgen.py, its own process) through N restarts of the Python
example app (docker/examples/python/app.py), in three variants:

  dewy      dewy as PID 1 (unshare) holds 127.0.0.1:P: `dewy server --port 127.0.0.1:P --ready notify -- python3
            app.py`; a restart is `kill -USR1 <dewy>`: the new generation starts on the same socket and the old one
            is TERMed once the new one has sent READY=1.
  dewy_idle the same without the load: the restart time to compare with the app's own ready time on a quiet
            machine.
  baseline  the same app binding the port itself (`--bind`); a restart is TERM, wait for the exit, spawn again, wait
            for READY=1 (the harness owns the notify socket). Requests fail while nobody listens.

With --jar APP.jar (the Spring Boot example, bench/spring-boot.sh) the app is that jar on the JVM instead: under
dewy `--port 127.0.0.1:P=0 --success-exit-status 143 -- java -jar APP.jar` (the starter takes fd 0 and sends
READY=1), and in the baseline `java -jar APP.jar --server.port=P` binding its port, which the starter also announces
with READY=1 when NOTIFY_SOCKET is set. The app's own ready time is then not measured apart.

With --variants SERVER_SUPERVISOR,... it runs real preforking servers instead (Debian's gunicorn and uWSGI, a master
and 3 sync workers each, serving src/test/python/prefork_app.py, the tests' app), under the same load plus one
client of slow requests (/sleep?ms=N, longer than a restart), each under two supervisors in the same run:

  SERVER_dewy          dewy as PID 1 holds the socket (gunicorn: systemd socket activation; uWSGI: --http-socket
                       fd://3); both send READY=1 themselves (--ready notify); a restart is `kill -USR1 <dewy>`.
  SERVER_dewy_delay    the same with --ready delay:1s, start_server's readiness: what dewy itself costs.
  SERVER_start_server  Perl's start_server (Server::Starter) holds it and passes SERVER_STARTER_PORT, which
                       lib/from_starter.sh turns into gunicorn's --bind fd://N or uWSGI's --http-socket fd://N; a
                       restart is `kill -HUP <start_server>`: a new generation, then TERM to the old one after
                       --interval (1 s, its default; whole seconds only).

Per restart: t0 = CLOCK_MONOTONIC right before the signal; "old gone" = the old generation's pidfd turns readable
(it has exited); "new ready" = dewy's `generation ready` log line (dewy) or the READY=1 datagram (baseline). The
restart window is t0 until both happened. Under dewy, between restarts, one more instance of the app is started by
itself (the socket handed over in SERVER_STARTER_PORT) and timed from spawn to READY=1: the app's own ready time,
under the same conditions as the restarts. Every wait is bounded, and so is the whole run (--bound).
"""
import argparse
import json
import os
import random
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (UNSHARE, children, dewy_events, log, proc_status, stop_tree, summary, terminate,  # noqa: E402
                    variant_env, wait_for_child, write_json)  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.normpath(os.path.join(HERE, "..", "..", "docker", "examples", "python", "app.py"))
PY = "/usr/bin/python3"
MS = 1e6  # ns per ms
# The preforking servers, as PreforkServersIT runs them (its comments say why each flag): "{fd}" is the socket's
# descriptor, which the supervisor decides.
PREFORK_APP_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "src", "test", "python"))
PREFORK_WORKERS = "3"
SERVERS = {
    "gunicorn": [PY, "-m", "gunicorn", "--workers", PREFORK_WORKERS, "--graceful-timeout", "10", "--chdir",
                 PREFORK_APP_DIR, "prefork_app:application"],
    "uwsgi": ["uwsgi", "--plugin", "python3", "--master", "--processes", PREFORK_WORKERS, "--http-socket", "fd://{fd}",
              "--add-header", "Connection: close", "--chdir", PREFORK_APP_DIR, "--wsgi-file", "prefork_app.py",
              "--need-app", "--disable-logging", "--worker-reload-mercy", "10",
              "--hook-master-start", "unix_signal:15 gracefully_kill_them_all"],
}
# gunicorn takes dewy's socket by socket activation (LISTEN_FDS), start_server's only as an explicit bind
STARTER_EXTRA = {"gunicorn": ["--bind", "fd://{fd}"], "uwsgi": []}


class Bounded(Exception):
    """A bounded wait ran out; the variant is reported as failed with this message."""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notify_socket(tmp, name):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = os.path.join(tmp, name)
    s.bind(path)
    return s, path


def await_datagram(sock, want, timeout):
    """Waits for the datagram `want`; returns CLOCK_MONOTONIC ns when it was read."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            raise Bounded(f"no {want} within {timeout:.0f} s")
        if sock.recv(4096).decode(errors="replace") == want:
            return time.monotonic_ns()


def await_exit(pid, timeout):
    """Waits until pid (any process, not only a child) has exited; returns CLOCK_MONOTONIC ns."""
    fd = os.pidfd_open(pid)
    try:
        if not select.select([fd], [], [], timeout)[0]:
            raise Bounded(f"pid {pid} still running after {timeout:.0f} s")
        return time.monotonic_ns()
    finally:
        os.close(fd)


def http_ok(port, timeout=1.0):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def live_children(pid):
    out = []
    for c in children(pid):
        try:
            with open(f"/proc/{c}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                    out.append(c)
        except OSError:
            pass
    return out


# ---- the app's own ready time ---------------------------------------------------------------------------------

def ready_once(tmp, tag):
    """Spawn to READY=1, in ms, of the app by itself, handed a listening socket through SERVER_STARTER_PORT."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(128)
    nsock, path = notify_socket(tmp, f"ready-{tag}")
    env = variant_env()
    env.update(NOTIFY_SOCKET=path, SERVER_STARTER_PORT=f"127.0.0.1:{lsock.getsockname()[1]}={lsock.fileno()}")
    t0 = time.monotonic_ns()
    p = subprocess.Popen([PY, APP], env=env, pass_fds=(lsock.fileno(),), stdin=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        return (await_datagram(nsock, "READY=1", 30) - t0) / MS
    finally:
        p.terminate()
        p.wait(10)
        nsock.close()
        lsock.close()
        os.unlink(path)


# ---- load -----------------------------------------------------------------------------------------------------

class Load:
    def __init__(self, port, duration, logdir, name, slow=0, slow_ms=0):
        self.out = os.path.join(logdir, f"restart-{name}-load.json")
        self.err = open(os.path.join(logdir, f"restart-{name}-load.stderr"), "wb")
        self.p = subprocess.Popen([PY, os.path.join(HERE, "loadgen.py"), "--target", f"127.0.0.1:{port}",
                                   "--keep-alive", "2", "--one-shot", "2", "--slow", str(slow), "--slow-ms",
                                   str(slow_ms), "--duration", str(duration), "--out", self.out],
                                  stdout=subprocess.PIPE, stderr=self.err)
        if self.p.stdout.readline().strip() != b"started":
            raise Bounded("the load generator did not start")

    def stop(self):
        terminate(self.p, 30)
        self.err.close()
        with open(self.out) as f:
            return json.load(f)["records"]


# ---- the variants ---------------------------------------------------------------------------------------------

def dewy_supports_port(dewy):
    try:
        r = subprocess.run([dewy, "server", "--help"], capture_output=True, timeout=60, env=variant_env())
    except subprocess.TimeoutExpired:
        return False
    return b"--port" in r.stdout + r.stderr


def restart_loop(a, init, sig, between=None, jitter=0.0, bound=30):
    """a.restarts restarts: each waits until `init` has one live child (the last restart's old generation is gone),
    sends `sig` to `init` and waits for that child to exit, then runs between(i) (default: sleep a.interval plus a
    seeded random 0..jitter s, so that the restarts fall at every phase of the slow requests). Returns
    [(t0, old gone)] in CLOCK_MONOTONIC ns and the wall-clock ns of each signal; a.old_pids gets each old
    generation's pid as the responses' pid= gives it (inside dewy's PID namespace: NSpid's last field)."""
    rng = random.Random(1)
    windows, signal_wall = [], []
    a.old_pids = []
    for i in range(a.restarts):
        deadline = time.monotonic() + bound
        while len(live_children(init)) != 1:
            if time.monotonic() > deadline:
                raise Bounded(f"restart {i + 1}: {init} has {live_children(init)} as children, not one")
            time.sleep(0.01)
        old = live_children(init)[0]
        nspid = proc_status(old, "NSpid")
        a.old_pids.append(int(nspid.split()[-1]) if nspid else old)
        signal_wall.append(time.time_ns())
        t0 = time.monotonic_ns()
        os.kill(init, sig)
        windows.append((t0, await_exit(old, bound)))
        if between:
            between(i)
        else:
            time.sleep(a.interval + rng.uniform(0, jitter))
    return windows, signal_wall


def await_serving(p, port, errpath, timeout=30):
    deadline = time.monotonic() + timeout
    while not http_ok(port):
        if time.monotonic() > deadline or p.poll() is not None:
            raise Bounded(f"the first generation did not serve within {timeout} s (see {errpath})")
        time.sleep(0.05)


def run_dewy(a, tmp, name="dewy", with_load=True):
    dewy = os.path.join(a.dewy_home, "dewy")
    if not dewy_supports_port(dewy):
        raise Bounded(f"{dewy} has no --port: zero-downtime restarts (issue 3) are not in this build; "
                      "the dewy half cannot run")
    port = free_port()
    errpath = os.path.join(a.logdir, f"restart-{name}.stderr")
    if a.jar:
        cmd = UNSHARE + [dewy, "server", "--port", f"127.0.0.1:{port}=0", "--ready", "notify", "--ready-timeout",
                         "120s", "--grace-period", "30s", "--success-exit-status", "143", "--", "java", "-jar", a.jar]
    else:
        cmd = UNSHARE + [dewy, "server", "--port", f"127.0.0.1:{port}", "--ready", "notify", "--ready-timeout",
                         "20s", "--grace-period", "10s", "--", PY, APP]
    with open(errpath, "wb") as err:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err, env=variant_env())
    init = wait_for_child(p.pid, 10)
    out = {"cmd": cmd, "port": port}
    try:
        if init is None:
            raise Bounded("no dewy process under unshare")
        await_serving(p, port, errpath, a.start_bound)
        load = Load(port, a.load_bound, a.logdir, name) if with_load else None
        app_ready = []

        def own_ready_time(i):
            # Between restarts, the app's own ready time under the same conditions (with or without the load), so
            # that both share whatever else the machine is doing.
            time.sleep(a.interval / 2)
            if not a.jar:
                app_ready.append(ready_once(tmp, f"{name}-{i}"))
            time.sleep(a.interval / 2)

        try:
            time.sleep(a.interval)
            windows, signal_wall = restart_loop(a, init, signal.SIGUSR1, own_ready_time, bound=a.start_bound)
        finally:
            records = load.stop() if load else []
        out["app_ready_ms"] = summary(app_ready)
        out["log"], ready_after = dewy_log_figures(errpath, signal_wall)
        # the new generation's readiness is only in dewy's log: its wall-clock offset from the USR1
        out.update(restarts=restart_figures([(t0, gone, t0 + r if r is not None else None)
                                             for (t0, gone), r in zip(windows, ready_after)], records))
    finally:
        rc, secs, killed = stop_tree(p, init)
        out["term"] = {"returncode": rc, "exit_s": secs, "needed_sigkill": killed}
    return out


def dewy_log_figures(path, signal_wall):
    """Each restart from dewy's own log lines (ms resolution): USR1 to the new generation's start, its start to
    ready, ready to the old generation's exit line; and USR1 to that line in all. Also, per restart, USR1 to the
    new generation's ready line in ns (None when missing)."""
    ev = dewy_events(path)
    started = {kv.get("generation"): t for t, msg, kv in ev if msg == "started"}
    ready = {kv.get("generation"): t for t, msg, kv in ev if msg == "generation ready"}
    exited = {kv.get("generation"): t for t, msg, kv in ev if msg == "generation exited"}
    parts = {"usr1_to_started_ms": [], "new_ready_ms": [], "ready_to_old_exited_ms": [], "usr1_to_old_exited_ms": []}
    ready_after = []
    for i, t_sig in enumerate(signal_wall):
        old, new = str(i + 1), str(i + 2)
        ready_after.append(ready[new] - t_sig if new in ready else None)
        if new in started and new in ready and old in exited:
            parts["usr1_to_started_ms"].append((started[new] - t_sig) / MS)
            parts["new_ready_ms"].append((ready[new] - started[new]) / MS)
            parts["ready_to_old_exited_ms"].append((exited[old] - ready[new]) / MS)
            parts["usr1_to_old_exited_ms"].append((exited[old] - t_sig) / MS)
    out = {k: summary(v) for k, v in parts.items()}
    out.update(failed_restarts=sum(1 for _, msg, _ in ev if msg.startswith("restart failed")),
               generations_started=len(started))
    return out, ready_after


def run_baseline(a, tmp):
    port = free_port()
    nsock, path = notify_socket(tmp, "baseline")
    env = variant_env()
    env["NOTIFY_SOCKET"] = path
    errlog = open(os.path.join(a.logdir, "restart-baseline.stderr"), "wb")
    cmd = (["java", "-jar", a.jar, f"--server.port={port}", "--server.address=127.0.0.1"] if a.jar
           else [PY, APP, "--bind", f"127.0.0.1:{port}"])

    def spawn():
        return subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=errlog, stderr=errlog)

    out = {"cmd": cmd, "port": port}
    app = spawn()
    try:
        await_datagram(nsock, "READY=1", a.start_bound)
        load = Load(port, a.load_bound, a.logdir, "baseline")
        windows, new_ready = [], []
        try:
            time.sleep(a.interval)
            for _ in range(a.restarts):
                t0 = time.monotonic_ns()
                app.terminate()
                app.wait(30)
                gone = time.monotonic_ns()
                app = spawn()
                ready = await_datagram(nsock, "READY=1", a.start_bound)
                new_ready.append((ready - gone) / MS)
                windows.append((t0, gone, ready))
                time.sleep(a.interval)
        finally:
            records = load.stop()
        out.update(restarts=restart_figures(windows, records))
        out["log"] = {"new_ready_ms": summary(new_ready)}
    finally:
        out["term"] = {"returncode": terminate(app)}
        errlog.close()
        nsock.close()
    return out


def prefork_command(server, supervisor, fd):
    cmd = SERVERS[server] + (STARTER_EXTRA[server] if supervisor == "start_server" else [])
    return [x.replace("{fd}", fd) for x in cmd]


def run_prefork(a, name):
    """A preforking server (gunicorn, uwsgi) under dewy or start_server, through a.restarts restarts under the load
    with slow requests."""
    server, supervisor = name.split("_", 1)
    port = free_port()
    errpath = os.path.join(a.logdir, f"restart-{name}.stderr")
    under_dewy = supervisor.startswith("dewy")
    if under_dewy:
        dewy = os.path.join(os.path.abspath(a.dewy_home), "dewy")  # the servers run in PREFORK_APP_DIR
        # dewy_delay: start_server's readiness (alive after 1 s), to tell dewy's own cost from READY=1's gain
        ready = "delay:1s" if supervisor == "dewy_delay" else "notify"
        cmd = UNSHARE + [dewy, "server", "--port", f"127.0.0.1:{port}", "--ready", ready, "--ready-timeout", "20s",
                         "--grace-period", "15s", "--"] + prefork_command(server, supervisor, "3")
        restart_signal = signal.SIGUSR1
    else:
        # start_server's child must be the master: from_starter.sh execs it with the descriptor filled in
        cmd = ["start_server", f"--port=127.0.0.1:{port}", "--", "/bin/sh", os.path.join(HERE, "from_starter.sh")] \
            + prefork_command(server, supervisor, "{fd}")
        restart_signal = signal.SIGHUP
    with open(errpath, "wb") as err:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err, env=variant_env(),
                             cwd=PREFORK_APP_DIR)
    init = wait_for_child(p.pid, 10) if under_dewy else p.pid
    out = {"cmd": cmd, "port": port, "server": server, "supervisor": supervisor}
    try:
        if init is None:
            raise Bounded("no dewy process under unshare")
        await_serving(p, port, errpath)
        load = Load(port, a.load_bound, a.logdir, name, slow=1, slow_ms=a.slow_ms)
        try:
            time.sleep(a.interval)
            windows, signal_wall = restart_loop(a, init, restart_signal, jitter=a.slow_ms / 1000)
        finally:
            records = load.stop()
        if under_dewy:
            out["log"], ready_after = dewy_log_figures(errpath, signal_wall)
            windows = [(t0, gone, t0 + r if r is not None else None) for (t0, gone), r in zip(windows, ready_after)]
        else:
            windows = [(t0, gone, None) for t0, gone in windows]  # start_server has no readiness but its interval
        out.update(restarts=restart_figures(windows, records))
        out["restarts"].update(old_generation_figures(windows, a.old_pids, records))
    finally:
        rc, secs, killed = stop_tree(p, init if under_dewy else None, timeout=30)
        out["term"] = {"returncode": rc, "exit_s": secs, "needed_sigkill": killed}
    return out


def old_generation_figures(windows, old_pids, records):
    """Splits each restart's signal-to-old-gone at the old generation's last response (any kind): before it, the
    supervisor's wait and the old generation's requests in flight; after it, the server's own exit."""
    to_last, last_to_gone, per_restart = [], [], []
    for (t0, gone, _), pid in zip(windows, old_pids):
        last = max((r[2] for r in records if r[4] == pid and r[3] == "ok" and r[2] <= gone), default=None)
        per_restart.append({"to_old_gone_ms": (gone - t0) / MS,
                            "to_last_old_response_ms": (last - t0) / MS if last else None})
        if last is not None and last > t0:
            to_last.append((last - t0) / MS)
            last_to_gone.append((gone - last) / MS)
    return {"to_last_old_response_ms": summary(to_last), "last_old_response_to_gone_ms": summary(last_to_gone),
            "per_restart": per_restart}


def to_new_serving(windows, ok):
    """Per restart, the signal to the first successful response from a pid that had not answered before it: the new
    generation serving, seen by the clients (ms)."""
    ok = sorted(ok, key=lambda r: r[2])
    out = []
    for t0, _, _ in windows:
        before = {r[4] for r in ok if r[2] <= t0}
        first = next((r for r in ok if r[2] > t0 and r[4] not in before), None)
        if first is not None:
            out.append((first[2] - t0) / MS)
    return out


def restart_figures(windows, records):
    """Load figures for the whole run and for the requests that overlap a restart. A window is (signal, old gone,
    new ready) in CLOCK_MONOTONIC ns; the restart lasts until both happened."""
    ok = [r for r in records if r[3] == "ok"]
    span = (max(r[2] for r in records) - min(r[1] for r in records)) / 1e9 if records else 0
    outcomes = {}
    for r in records:
        outcomes[r[3]] = outcomes.get(r[3], 0) + 1
    spans = [(t0, max(gone, ready or gone)) for t0, gone, ready in windows]
    fast = [r for r in ok if r[0] != "slow"]  # the slow requests' latency is their sleep: they are in by_kind
    during = [r for r in fast if any(r[1] < w1 and r[2] > w0 for w0, w1 in spans)]
    pids = []
    for r in sorted(ok, key=lambda r: r[2]):
        if r[4] not in pids:
            pids.append(r[4])
    return {
        "count": len(windows),
        "to_old_gone_ms": summary([(gone - t0) / MS for t0, gone, _ in windows]),
        "to_new_ready_ms": summary([(ready - t0) / MS for t0, _, ready in windows if ready is not None]),
        "to_new_serving_ms": summary(to_new_serving(windows, ok)),
        "requests": len(records), "outcomes": outcomes, "failed": len(records) - len(ok),
        "load_s": span, "ok_per_s": len(ok) / span if span else None,
        "latency_ms": summary([(r[2] - r[1]) / MS for r in fast]),
        "latency_during_restarts_ms": summary([(r[2] - r[1]) / MS for r in during]),
        "serving_pids": len(pids),
        "by_kind": {k: {"requests": sum(1 for r in records if r[0] == k),
                        "failed": sum(1 for r in records if r[0] == k and r[3] != "ok"),
                        "latency_ms": summary([(r[2] - r[1]) / MS for r in ok if r[0] == k])}
                    for k in sorted({r[0] for r in records})},
        "failure_samples": [{"kind": r[0], "outcome": r[3], "at_s": (r[1] - records[0][1]) / 1e9}
                            for r in [x for x in records if x[3] != "ok"][:5]],
    }


def server_versions():
    """The Debian packages' versions."""
    out = {}
    for name, package in (("gunicorn", "python3-gunicorn"), ("uwsgi", "uwsgi-core"),
                          ("start_server", "libserver-starter-perl")):
        try:
            r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True, timeout=30,
                               text=True)
            out[name] = f"{package} {r.stdout.strip()}" if r.returncode == 0 else f"{package} not installed"
        except (OSError, subprocess.SubprocessError):
            out[name] = f"{package}: no dpkg-query"
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dewy-home", required=True)
    ap.add_argument("--restarts", type=int, default=20)
    ap.add_argument("--interval", type=float, default=0.5, help="load-only seconds before and between restarts")
    ap.add_argument("--variants", default="dewy,dewy_idle,baseline",
                    help="dewy, dewy_idle, baseline; or SERVER_SUPERVISOR with SERVER gunicorn or uwsgi and "
                    "SUPERVISOR dewy, dewy_delay (--ready delay:1s) or start_server")
    ap.add_argument("--slow-ms", type=int, default=2000, help="the slow requests of the preforking variants")
    ap.add_argument("--bound", type=float, default=300, help="seconds for the whole benchmark")
    ap.add_argument("--jar", help="a Spring Boot jar with dewy's starter instead of the Python example")
    ap.add_argument("--start-bound", type=float, default=30, help="seconds for one start of the app")
    ap.add_argument("--logdir", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    a.load_bound = a.bound / 3  # each load run stops by itself after this, whatever happens to the harness

    def out_of_time(*_):
        raise Bounded(f"the whole-run bound ({a.bound:.0f} s) was hit")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(int(a.bound))
    tmp = tempfile.mkdtemp(prefix="dewy-restart-")
    prefork = any(n.split("_", 1)[0] in SERVERS for n in a.variants.split(","))
    out = {"restarts": a.restarts, "interval_s": a.interval, "variants": {},
           "app": os.path.join(PREFORK_APP_DIR, "prefork_app.py") if prefork else a.jar or APP,
           "load": "lib/loadgen.py: 2 keep-alive + 2 one-shot client threads" + (
               f" + 1 slow client (/sleep?ms={a.slow_ms})" if prefork else "") + ", one process"}
    if prefork:
        out["slow_ms"] = a.slow_ms
        out["workers"] = int(PREFORK_WORKERS)
        out["versions"] = server_versions()
    failed = False
    try:
        for name in a.variants.split(","):
            log(f"restart: {name}, {a.restarts} restarts" + ("" if name == "dewy_idle" else " under load"))
            try:
                if name.split("_", 1)[0] in SERVERS:
                    out["variants"][name] = run_prefork(a, name)
                elif name == "baseline":
                    out["variants"][name] = run_baseline(a, tmp)
                else:
                    out["variants"][name] = run_dewy(a, tmp, name, with_load=name == "dewy")
            except (Bounded, OSError, subprocess.SubprocessError) as e:
                out["variants"][name] = {"error": str(e)}
                failed = True
                log(f"restart: {name} failed: {e}")
    except Bounded as e:
        out["error"] = str(e)
        failed = True
    finally:
        signal.alarm(0)
        write_json(a.out, out)
    for name, v in out["variants"].items():
        r = v.get("restarts")
        if r:
            log(f"restart: {name}: {r['ok_per_s'] or 0:.0f} ok/s, {r['failed']} failed {r['outcomes']}; medians: to old "
                f"gone {r['to_old_gone_ms']['median']:.1f} ms, to new ready {r['to_new_ready_ms'].get('median', 0):.1f}"
                f" ms; p99 during restarts {r['latency_during_restarts_ms'].get('p99', 0):.1f} ms; "
                f"{r['serving_pids']} pids" + (f"; the app alone is ready in {v['app_ready_ms']['median']:.1f} ms"
                                               if v.get("app_ready_ms", {}).get("n") else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
