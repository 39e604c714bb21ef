#!/usr/bin/python3
"""Pull-deploy benchmark (issue 5): how long from a tag appearing to the new version serving, and what dewy's memory
does while it deploys a large artifact. python3 standard library only; everything on 127.0.0.1 and under one temp
directory, removed at the end.

Releases: a tar.gz named for this platform (app_linux_amd64.tar.gz) holding `app`, an sh script
`APP_VERSION=vX; export APP_VERSION; exec python3 .../docker/examples/python/app.py "$@"`, and a checksums.txt
(sha256sum format). A release is published atomically: written to REG/.vX/, then renamed to REG/vX/.

Parts:
  latency  dewy (`target/dewy server --registry URL -i 1s --workdir W --port 127.0.0.1:P --ready notify --
           W/current/app`, PID 1 of `unshare --pid --fork --mount-proc`) serves v1.0.0; then, N times: sleep a
           random 0.2..1.2 s (so the publish falls anywhere in dewy's 1 s check cycle), publish the next tag, and
           poll `GET /` (one new connection every ~5 ms) until the body says the new version. Recorded: publish ->
           first new-version answer, publish -> last old-version answer, failed polls, and dewy's log timestamps
           (`new release`, `artifact downloaded`, `current swapped`, `started`, `generation ready` with ready_ms,
           `deployed`). For file:///REG and for ghr://o/r against lib/fakegh.py (GITHUB_API_URL=http://127.0.0.1:P).
  classic  the same releases by hand, with the same poller running: cp the tar.gz, `sha256sum -c`, `tar xzf` into
           releases/<tag>, `ln -sfn` + `mv -T` to swap `current`, TERM the running app (bound to the port itself,
           `--bind`), wait for its exit, start `current/app --bind ...`. Timed from the start of the cp (there is no
           interval to wait for), so it is an operator who acts at once.
  memory   per variant a fresh dewy serving a tiny v1.0.0 deploys v2.0.0, either tiny or holding a BIG_MIB MiB file of
           random bytes (incompressible, so the tar.gz is as big). /proc/<dewy JVM>/status (VmRSS, VmHWM) is sampled
           every 20 ms from 1 s before the publish until `deployed`, and again 2 s after. The JVM also writes a GC log
           (DEWY_JAVA_OPTS=-Xlog:gc:file=...), the only extra option: heap before/after each collection. For file://
           and ghr://. Plus the manual cp + sha256sum -c + tar xzf of the big artifact, for dewy's unpack overhead.
"""
import argparse
import hashlib
import io
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (UNSHARE, dewy_events, log, stop_tree, summary, terminate, variant_env,  # noqa: E402
                    wait_for_child, write_json)  # noqa: E402
from restart import free_port  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.normpath(os.path.join(HERE, "..", "..", "docker", "examples", "python", "app.py"))
PY = "/usr/bin/python3"
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
ARTIFACT = f"app_linux_{ARCH}.tar.gz"
VERSION = re.compile(rb"version=(\S+)")


class Bounded(Exception):
    pass


def ms(ns):
    return None if ns is None else ns / 1e6


# ---- releases -------------------------------------------------------------------------------------------------

def app_script(tag):
    return f'#!/bin/sh\nAPP_VERSION={tag}; export APP_VERSION; exec {PY} {APP} "$@"\n'.encode()


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


def build_tiny(path, tag):
    data = app_script(tag)
    with tarfile.open(path, "w:gz") as t:
        info = tarfile.TarInfo("app")
        info.size, info.mode, info.mtime = len(data), 0o755, int(time.time())
        t.addfile(info, io.BytesIO(data))


def build_big(path, tag, mib, scratch):
    """app + `blob` (mib MiB of /dev/urandom) as tar.gz; gzip -1, since random bytes do not compress anyway."""
    d = tempfile.mkdtemp(dir=scratch)
    try:
        with open(os.path.join(d, "app"), "wb") as f:
            f.write(app_script(tag))
        os.chmod(os.path.join(d, "app"), 0o755)
        subprocess.run(["head", "-c", f"{mib}M", "/dev/urandom"], stdout=open(os.path.join(d, "blob"), "wb"),
                       check=True)
        with open(path, "wb") as out:
            tar = subprocess.Popen(["tar", "-C", d, "-cf", "-", "app", "blob"], stdout=subprocess.PIPE)
            subprocess.run(["gzip", "-1"], stdin=tar.stdout, stdout=out, check=True)
            tar.stdout.close()
            if tar.wait() != 0:
                raise Bounded("tar failed building the big artifact")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def publish(reg, tag, archive):
    """Copies `archive` (built for `tag`) into reg/.tag/, writes checksums.txt, renames to reg/tag. Returns wall ns
    right after the rename."""
    hidden = os.path.join(reg, "." + tag)
    os.makedirs(hidden)
    dst = os.path.join(hidden, ARTIFACT)
    try:
        os.link(archive, dst)  # the big one: no second 200 MB copy
    except OSError:
        shutil.copyfile(archive, dst)
    with open(os.path.join(hidden, "checksums.txt"), "w") as f:
        f.write(f"{sha256(dst)}  {ARTIFACT}\n")
    os.rename(hidden, os.path.join(reg, tag))
    return time.time_ns()


def tiny_release(scratch, tag):
    path = os.path.join(scratch, f"tiny-{tag}.tar.gz")
    if not os.path.exists(path):
        build_tiny(path, tag)
    return path


# ---- polling ----------------------------------------------------------------------------------------------------

def get_version(port, timeout=1.0):
    """The version= of GET /, or raises OSError."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        buf = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            buf += b
    if not buf.startswith(b"HTTP/1.1 200"):
        raise OSError(f"bad answer {buf[:40]!r}")
    m = VERSION.search(buf)
    return m.group(1).decode() if m else None


class Poller:
    """GET / every `period` s until `new` has answered `settle` times in a row (or `bound` s). Records wall ns of
    the first new answer, of the last old one, and every failure."""

    def __init__(self, port, new, period=0.005, settle=40, bound=60.0):
        self.port, self.new, self.period, self.settle, self.bound = port, new, period, settle, bound
        self.first_new = self.last_old = None
        self.failures = []
        self.polls = 0
        self.thread = None

    def run(self):
        deadline = time.monotonic() + self.bound
        streak = 0
        while streak < self.settle and time.monotonic() < deadline:
            t = time.time_ns()
            self.polls += 1
            try:
                v = get_version(self.port)
                if v == self.new:
                    streak += 1
                    if self.first_new is None:
                        self.first_new = time.time_ns()
                else:
                    streak = 0
                    self.last_old = time.time_ns()
            except OSError as e:
                streak = 0
                self.failures.append((t, e.__class__.__name__))
            time.sleep(self.period)
        return self

    def start(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def join(self):
        self.thread.join(self.bound + 5)
        return self


def wait_serving(port, version, timeout, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise Bounded(f"process exited with {proc.returncode} before serving {version}")
        try:
            if get_version(port) == version:
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise Bounded(f"{version} not served on port {port} within {timeout:.0f} s")


# ---- dewy -------------------------------------------------------------------------------------------------------

class Dewy:
    def __init__(self, a, tmp, name, registry_url, env_extra=None, java_opts=None):
        self.work = os.path.join(tmp, f"work-{name}")
        os.makedirs(self.work)
        self.port = free_port()
        self.errpath = os.path.join(a.logdir, f"deploy-{name}.stderr")
        self.cmd = UNSHARE + [os.path.join(a.dewy_home, "dewy"), "server", "--registry", registry_url, "-i", "1s",
                              "--workdir", self.work, "--port", f"127.0.0.1:{self.port}", "--ready", "notify",
                              "--ready-timeout", "30s", "--keep-releases", "3", "--",
                              os.path.join(self.work, "current", "app")]
        env = variant_env(opts=java_opts)
        env.update(env_extra or {})
        self.err = open(self.errpath, "wb")
        self.p = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self.err, stderr=self.err, env=env)
        self.pid = wait_for_child(self.p.pid, 10)
        if self.pid is None:
            raise Bounded("no dewy process under unshare")

    def events(self):
        return dewy_events(self.errpath)

    def wait_event(self, msg, version, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, m, kv in self.events():
                if m == msg and kv.get("version") == version:
                    return t
            if self.p.poll() is not None:
                raise Bounded(f"dewy exited ({self.p.returncode}); see {self.errpath}")
            time.sleep(0.02)
        raise Bounded(f"no `{msg}` for {version} within {timeout:.0f} s; see {self.errpath}")

    def stop(self):
        rc, secs, killed = stop_tree(self.p, self.pid, timeout=15)
        self.err.close()
        return {"exit": rc, "stop_s": round(secs, 3), "killed": killed}


def breakdown(events, tag, t_pub):
    """Wall ns of dewy's steps for `tag` from its log (ms resolution)."""
    out = {"publish": t_pub}
    for t, m, kv in events:
        if m == "new release" and kv.get("version") == tag:
            out["new_release"] = t
        elif m == "artifact downloaded" and kv.get("tag") == tag:
            out["downloaded"] = t
        elif m == "current swapped" and kv.get("version") == tag:
            out["swapped"] = t
        elif m == "started" and "swapped" in out and "started" not in out:
            out["started"], out["generation"] = t, kv.get("generation")
        elif m == "generation ready" and kv.get("generation") == out.get("generation") and "ready" not in out:
            out["ready"], out["ready_ms"] = t, int(kv.get("ready_ms", "0"))
        elif m == "deployed" and kv.get("version") == tag:
            out["deployed"] = t
    return out


S3_KEYS = {"AWS_ACCESS_KEY_ID": "AKIADEWYBENCH000", "AWS_SECRET_ACCESS_KEY": "dewy-bench-secret-0123456789",
           "AWS_EC2_METADATA_DISABLED": "true"}


def s3proxy(a, reg, name):
    """S3Proxy (target/s3proxy/s3proxy.jar, from Maven Central) on 127.0.0.1 serving reg's parent as jclouds'
    filesystem blobstore: reg is the bucket, so publish() works as for file:// (a hidden folder, then the rename).
    Checks AWS v4 signatures. Returns (process, port)."""
    jar = os.path.join(a.dewy_home, "s3proxy", "s3proxy.jar")
    if not os.path.isfile(jar):
        raise Bounded(f"{jar} missing: mvn package copies it")
    port = free_port()
    props = os.path.join(os.path.dirname(reg), f"s3proxy-{name}.properties")
    with open(props, "w") as f:
        f.write(f"s3proxy.endpoint=http://127.0.0.1:{port}\ns3proxy.authorization=aws-v2-or-v4\n"
                f"s3proxy.identity={S3_KEYS['AWS_ACCESS_KEY_ID']}\n"
                f"s3proxy.credential={S3_KEYS['AWS_SECRET_ACCESS_KEY']}\n"
                f"jclouds.provider=filesystem\njclouds.filesystem.basedir={os.path.dirname(reg)}\n"
                "jclouds.identity=unused\njclouds.credential=unused\n")
    p = subprocess.Popen(["java", "-Xmx256m", "-XX:+UseSerialGC", "-jar", jar, "--properties", props],
                         stdin=subprocess.DEVNULL, stdout=open(os.path.join(a.logdir, f"deploy-{name}-s3proxy.log"),
                                                               "wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return p, port
        except OSError:
            if p.poll() is not None:
                break
            time.sleep(0.1)
    terminate(p)
    raise Bounded("S3Proxy did not start")


def registry(a, reg, kind, name):
    """(fake GitHub API or S3Proxy process, or None; registry URL; extra env) for releases published into reg."""
    if kind == "s3":
        proxy, port = s3proxy(a, reg, name)
        return proxy, f"s3://us-east-1/{os.path.basename(reg)}/?endpoint=http://127.0.0.1:{port}", dict(S3_KEYS)
    if kind != "ghr":
        return None, f"file://{reg}", None
    fake = subprocess.Popen([PY, os.path.join(HERE, "fakegh.py"), "--root", reg], stdout=subprocess.PIPE,
                            stderr=open(os.path.join(a.logdir, f"deploy-{name}-fakegh.stderr"), "wb"))
    line = fake.stdout.readline().decode().split()
    if len(line) != 2 or line[0] != "port":
        terminate(fake)
        raise Bounded("the fake GitHub API did not start")
    return fake, "ghr://o/r", {"GITHUB_API_URL": f"http://127.0.0.1:{line[1]}"}


def latency_dewy(a, tmp, kind):
    reg = os.path.join(tmp, f"reg-{kind}")
    os.makedirs(reg)
    fake, url, env_extra = registry(a, reg, kind, "latency")
    publish(reg, "v1.0.0", tiny_release(tmp, "v1.0.0"))
    d = Dewy(a, tmp, f"latency-{kind}", url, env_extra)
    rng = random.Random(5)
    samples = []
    try:
        wait_serving(d.port, "v1.0.0", 60, d.p)
        d.wait_event("deployed", "v1.0.0", 30)
        for i in range(1, a.runs + 1):
            tag = f"v1.0.{i}"
            archive = tiny_release(tmp, tag)
            time.sleep(rng.uniform(0.2, 1.2))
            poller = Poller(d.port, tag).start()
            t_pub = publish(reg, tag, archive)
            poller.join()
            if poller.first_new is None:
                raise Bounded(f"{tag} never served; see {d.errpath}")
            d.wait_event("deployed", tag, 30)
            b = breakdown(d.events(), tag, t_pub)
            s = {"tag": tag, "to_first_new_ms": ms(poller.first_new - t_pub),
                 "to_last_old_ms": ms(poller.last_old - t_pub) if poller.last_old and poller.last_old > t_pub else 0.0,
                 "failed": len(poller.failures), "polls": poller.polls,
                 "outage_ms": ms(poller.first_new - poller.failures[0][0]) if poller.failures else 0.0}
            for k in ("new_release", "downloaded", "swapped", "started", "ready", "deployed"):
                s[f"{k}_ms"] = ms(b[k] - t_pub) if k in b else None
            s["app_ready_ms"] = b.get("ready_ms")
            samples.append(s)
            log(f"deploy {kind}: {tag} serving after {s['to_first_new_ms']:.0f} ms (check after "
                f"{s['new_release_ms'] or -1:.0f}, swapped {s['swapped_ms'] or -1:.0f}, ready "
                f"{s['ready_ms'] or -1:.0f}), {s['failed']} failed")
    finally:
        stopped = d.stop()
        if fake:
            terminate(fake)
    return {"registry": url, "cmd": d.cmd, "samples": samples, "stop": stopped, **summaries(samples)}


def summaries(samples):
    out = {}
    keys = ["to_first_new_ms", "to_last_old_ms", "new_release_ms", "app_ready_ms", "outage_ms"]
    for k in keys:
        out[k] = summary([s[k] for s in samples if s.get(k) is not None])
    seg = {"wait_ms": ("publish", "new_release"), "fetch_ms": ("new_release", "downloaded"),
           "unpack_swap_ms": ("downloaded", "swapped"), "spawn_ms": ("swapped", "started"),
           "ready_to_deployed_ms": ("ready", "deployed"), "dewy_own_ms": ("new_release", "started"),
           "check_to_ready_ms": ("new_release", "ready")}
    for k, (x, y) in seg.items():
        vals = [s[f"{y}_ms"] - (s[f"{x}_ms"] if x != "publish" else 0.0) for s in samples
                if s.get(f"{y}_ms") is not None and (x == "publish" or s.get(f"{x}_ms") is not None)]
        out[k] = summary(vals)
    out["failed_total"] = sum(s.get("failed", 0) for s in samples)
    out["polls_total"] = sum(s.get("polls", 0) for s in samples)
    return out


# ---- classic ----------------------------------------------------------------------------------------------------

def classic(a, tmp):
    reg = os.path.join(tmp, "reg-classic")
    work = os.path.join(tmp, "work-classic")
    for d in (reg, os.path.join(work, "releases"), os.path.join(work, "cache")):
        os.makedirs(d)
    port = free_port()
    errf = open(os.path.join(a.logdir, "deploy-classic.stderr"), "wb")

    def install(tag):
        """cp + sha256sum -c + tar xzf + symlink swap; returns {step: ms}."""
        steps = {}
        t = time.monotonic_ns()
        cache = os.path.join(work, "cache")
        subprocess.run(["cp", os.path.join(reg, tag, ARTIFACT), os.path.join(reg, tag, "checksums.txt"), cache],
                       check=True)
        steps["copy_ms"] = ms(time.monotonic_ns() - t)
        t = time.monotonic_ns()
        subprocess.run(["sha256sum", "-c", "--quiet", "checksums.txt"], cwd=cache, check=True)
        steps["verify_ms"] = ms(time.monotonic_ns() - t)
        t = time.monotonic_ns()
        rel = os.path.join(work, "releases", tag)
        os.makedirs(rel)
        subprocess.run(["tar", "xzf", os.path.join(cache, ARTIFACT), "-C", rel], check=True)
        steps["unpack_ms"] = ms(time.monotonic_ns() - t)
        t = time.monotonic_ns()
        subprocess.run(["ln", "-sfn", os.path.join("releases", tag), os.path.join(work, "current.tmp")], check=True)
        subprocess.run(["mv", "-T", os.path.join(work, "current.tmp"), os.path.join(work, "current")], check=True)
        steps["swap_ms"] = ms(time.monotonic_ns() - t)
        return steps

    def start():
        return subprocess.Popen([os.path.join(work, "current", "app"), "--bind", f"127.0.0.1:{port}"],
                                stdin=subprocess.DEVNULL, stdout=errf, stderr=errf, env=variant_env())

    publish(reg, "v1.0.0", tiny_release(tmp, "v1.0.0"))
    install("v1.0.0")
    app = start()
    samples = []
    rng = random.Random(5)
    try:
        wait_serving(port, "v1.0.0", 30, app)
        for i in range(1, a.runs + 1):
            tag = f"v1.0.{i}"
            publish(reg, tag, tiny_release(tmp, tag))
            time.sleep(rng.uniform(0.2, 1.2))
            poller = Poller(port, tag).start()
            t0 = time.time_ns()
            m0 = time.monotonic_ns()
            steps = install(tag)
            m1 = time.monotonic_ns()
            app.terminate()
            app.wait(30)
            m2 = time.monotonic_ns()
            app = start()
            poller.join()
            if poller.first_new is None:
                raise Bounded(f"classic: {tag} never served")
            s = {"tag": tag, "to_first_new_ms": ms(poller.first_new - t0),
                 "to_last_old_ms": ms(poller.last_old - t0) if poller.last_old and poller.last_old > t0 else 0.0,
                 "install_ms": ms(m1 - m0), "stop_ms": ms(m2 - m1), "start_to_serving_ms":
                     ms(poller.first_new - t0) - ms(m2 - m0), "failed": len(poller.failures), "polls": poller.polls,
                 "outage_ms": ms(poller.first_new - poller.failures[0][0]) if poller.failures else 0.0,
                 "failures": sorted({f[1] for f in poller.failures}), **steps}
            samples.append(s)
            log(f"deploy classic: {tag} serving after {s['to_first_new_ms']:.0f} ms (install {s['install_ms']:.0f}, "
                f"stop {s['stop_ms']:.0f}), {s['failed']} failed polls")
    finally:
        terminate(app)
        errf.close()
    out = {"samples": samples}
    for k in ("to_first_new_ms", "install_ms", "copy_ms", "verify_ms", "unpack_ms", "swap_ms", "stop_ms",
              "start_to_serving_ms", "outage_ms"):
        out[k] = summary([s[k] for s in samples])
    out["failed_total"] = sum(s["failed"] for s in samples)
    out["polls_total"] = sum(s["polls"] for s in samples)
    return out


# ---- memory -----------------------------------------------------------------------------------------------------

def status_kb(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0])
    return out


GC_LINE = re.compile(r"GC\(\d+\) .*?(\d+)M->(\d+)M\((\d+)M\)")


def gc_summary(path):
    before, after, cap, n = [], [], [], 0
    try:
        with open(path) as f:
            for line in f:
                m = GC_LINE.search(line)
                if m:
                    n += 1
                    before.append(int(m.group(1)))
                    after.append(int(m.group(2)))
                    cap.append(int(m.group(3)))
    except OSError:
        return None
    if not n:
        return {"collections": 0}
    return {"collections": n, "max_before_mib": max(before), "max_after_mib": max(after), "max_capacity_mib": max(cap)}


def memory(a, tmp, kind, size, big_archive):
    name = f"mem-{kind}-{size}"
    reg = os.path.join(tmp, f"reg-{name}")
    os.makedirs(reg)
    fake, url, env_extra = registry(a, reg, kind, name)
    gclog = os.path.join(a.logdir, f"deploy-{name}-gc.log")
    publish(reg, "v1.0.0", tiny_release(tmp, "v1.0.0"))
    d = Dewy(a, tmp, name, url, env_extra, java_opts=f"-Xlog:gc:file={gclog}")
    out = {"registry": url, "artifact": size}
    try:
        with open(f"/proc/{d.pid}/comm") as f:
            out["comm"] = f.read().strip()
        wait_serving(d.port, "v1.0.0", 60, d.p)
        d.wait_event("deployed", "v1.0.0", 30)
        time.sleep(1.0)
        out["before"] = status_kb(d.pid)
        archive = big_archive if size == "big" else tiny_release(tmp, "v2.0.0")
        out["artifact_bytes"] = os.path.getsize(archive)
        t_pub = publish(reg, "v2.0.0", archive)
        peak, n = 0, 0
        deadline = time.monotonic() + 180
        done = False
        while time.monotonic() < deadline and not done:
            s = status_kb(d.pid)
            n += 1
            peak = max(peak, s["VmRSS"])
            if n % 10 == 0:
                done = any(m == "deployed" and kv.get("version") == "v2.0.0" for _, m, kv in d.events())
                if d.p.poll() is not None:
                    raise Bounded(f"dewy exited; see {d.errpath}")
            time.sleep(0.02)
        if not done:
            raise Bounded(f"v2.0.0 not deployed within 180 s; see {d.errpath}")
        out["during_peak_rss_kb"] = peak
        out["samples"] = n
        out["at_deployed"] = status_kb(d.pid)
        time.sleep(2.0)
        out["after"] = status_kb(d.pid)
        b = breakdown(d.events(), "v2.0.0", t_pub)
        for k in ("new_release", "downloaded", "swapped", "started", "ready", "deployed"):
            out[f"{k}_ms"] = ms(b[k] - t_pub) if k in b else None
        if out.get("downloaded_ms") is not None and out.get("new_release_ms") is not None:
            out["fetch_ms"] = out["downloaded_ms"] - out["new_release_ms"]
            out["unpack_swap_ms"] = out["swapped_ms"] - out["downloaded_ms"]
        log(f"deploy memory {name}: RSS {out['before']['VmRSS'] / 1024:.1f} -> peak {peak / 1024:.1f} -> "
            f"{out['after']['VmRSS'] / 1024:.1f} MiB (HWM {out['after']['VmHWM'] / 1024:.1f}); fetch "
            f"{out.get('fetch_ms') or 0:.0f} ms, unpack+swap {out.get('unpack_swap_ms') or 0:.0f} ms")
    finally:
        out["stop"] = d.stop()
        if fake:
            terminate(fake)
        out["gc"] = gc_summary(gclog)
        shutil.rmtree(d.work, ignore_errors=True)  # 400 MB: cache + unpacked release
        shutil.rmtree(reg, ignore_errors=True)
    return out


def manual_big(tmp, archive):
    """cp + sha256sum -c + tar xzf of the big artifact, as the classic deploy does it."""
    d = tempfile.mkdtemp(dir=tmp)
    try:
        digest = sha256(archive)
        t0 = time.monotonic_ns()
        subprocess.run(["cp", archive, os.path.join(d, ARTIFACT)], check=True)
        with open(os.path.join(d, "checksums.txt"), "w") as f:
            f.write(f"{digest}  {ARTIFACT}\n")
        t1 = time.monotonic_ns()
        subprocess.run(["sha256sum", "-c", "--quiet", "checksums.txt"], cwd=d, check=True)
        t2 = time.monotonic_ns()
        os.makedirs(os.path.join(d, "rel"))
        subprocess.run(["tar", "xzf", ARTIFACT, "-C", "rel"], cwd=d, check=True)
        t3 = time.monotonic_ns()
        return {"copy_ms": ms(t1 - t0), "verify_ms": ms(t2 - t1), "unpack_ms": ms(t3 - t2), "total_ms": ms(t3 - t0)}
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- main -------------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dewy-home", required=True)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--big-mib", type=int, default=200)
    ap.add_argument("--parts", default="latency,classic,memory")
    ap.add_argument("--registries", default="file,ghr")
    ap.add_argument("--bound", type=int, default=600, help="the whole run, in seconds")
    ap.add_argument("--logdir", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    def alarm(*_):
        raise Bounded(f"the deploy benchmark ran out of its {a.bound} s bound (or got SIGTERM)")
    signal.signal(signal.SIGALRM, alarm)
    signal.signal(signal.SIGTERM, lambda *_: alarm())  # `timeout`: still stop dewy and remove the temp dir
    signal.alarm(a.bound)
    parts = a.parts.split(",")
    kinds = a.registries.split(",")
    out = {"runs": a.runs, "big_mib": a.big_mib, "artifact": ARTIFACT, "app": APP, "latency": {}, "memory": {}}
    failed = False
    tmp = tempfile.mkdtemp(prefix="dewy-bench-deploy-", dir=os.environ.get("TMPDIR", "/tmp"))
    try:
        for kind in kinds if "latency" in parts else []:
            log(f"deploy: latency, {kind} registry, {a.runs} releases")
            try:
                out["latency"][kind] = latency_dewy(a, tmp, kind)
            except (Bounded, OSError, subprocess.SubprocessError) as e:
                out["latency"][kind] = {"error": str(e)}
                failed = True
                log(f"deploy: latency {kind} failed: {e}")
        if "classic" in parts:
            log(f"deploy: classic baseline, {a.runs} releases")
            try:
                out["classic"] = classic(a, tmp)
            except (Bounded, OSError, subprocess.SubprocessError) as e:
                out["classic"] = {"error": str(e)}
                failed = True
                log(f"deploy: classic failed: {e}")
        if "memory" in parts:
            big = os.path.join(tmp, "big-v2.0.0.tar.gz")
            t = time.monotonic()
            log(f"deploy: building a {a.big_mib} MiB artifact")
            build_big(big, "v2.0.0", a.big_mib, tmp)
            out["big_build_s"] = round(time.monotonic() - t, 1)
            out["big_bytes"] = os.path.getsize(big)
            for kind in kinds:
                for size in ("tiny", "big"):
                    log(f"deploy: memory, {kind} registry, {size} artifact")
                    try:
                        out["memory"][f"{kind}-{size}"] = memory(a, tmp, kind, size, big)
                    except (Bounded, OSError, subprocess.SubprocessError) as e:
                        out["memory"][f"{kind}-{size}"] = {"error": str(e)}
                        failed = True
                        log(f"deploy: memory {kind}-{size} failed: {e}")
            out["manual_big"] = manual_big(tmp, big)
            log(f"deploy: manual cp + sha256sum + tar xzf of the big artifact: {out['manual_big']['total_ms']:.0f} ms")
    except Bounded as e:
        out["error"] = str(e)
        failed = True
        log(f"deploy: {e}")
    finally:
        signal.alarm(0)
        shutil.rmtree(tmp, ignore_errors=True)
        write_json(a.out, out)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
