#!/usr/bin/env python3
"""Example application for dewy: an HTTP/1.1 server (python3 standard library only) that takes its listening socket
from its supervisor, reports readiness with sd_notify, and drains on SIGTERM without failing a request.

Where the listener comes from, first match wins (docker/examples/README.md has the details):
  --bind HOST:PORT|[::1]:PORT|/path.sock   bind it ourselves (the naive baseline: no supervisor holds the socket)
  LISTEN_FDS (systemd)                     fd 3; LISTEN_PID, when set, must be this process
  SERVER_STARTER_PORT (server-starter)     the first entry, or the one whose spec is --listen SPEC
  fd 0                                     when it is a listening socket (inetd style, dewy --port SPEC=0)

Routes: GET /  -> "pid=<pid> gen=<generation>\\n";  GET /sleep?ms=N -> waits N ms first;  GET /env -> the
LISTEN_*, SERVER_STARTER_* and NOTIFY_SOCKET variables, "NAME=value\\n" each, sorted by name.
"""
import argparse
import os
import select
import signal
import socket
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

PID = os.getpid()
GEN = os.environ.get("SERVER_STARTER_GENERATION", "0")
# A release can say which version it is (the pull-deploy tests put it in the release's start script).
VERSION = f" version={os.environ['APP_VERSION']}" if os.environ.get("APP_VERSION") else ""
IDLE_TIMEOUT = 60.0   # a keep-alive connection may stay idle this long while we serve...
DRAIN_IDLE = 1.0      # ...and this long once a drain has begun
READ_TIMEOUT = 30.0   # a request that has started must arrive within this
DRAIN_TIMEOUT = 30.0  # give up on stuck connections after this; dewy's grace period is the real bound
MAX_HEAD = 64 * 1024
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 431: "Request Header Fields "
           "Too Large", 501: "Not Implemented"}


def log(msg):
    print(f"app[{PID}]: {msg}", file=sys.stderr, flush=True)


def fail(msg, code=2):
    log(msg)
    sys.exit(code)


# ---- the listening socket -------------------------------------------------------------------------------------

def bind(spec):
    if "/" in spec:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(spec):
            os.unlink(spec)
        s.bind(spec)
    else:
        host, sep, port = spec.rpartition(":")
        if not sep or not port.isdigit():
            fail(f"--bind {spec}: expected HOST:PORT, [::1]:PORT or a unix socket path")
        s = socket.socket(socket.AF_INET6 if host.startswith("[") else socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host.strip("[]"), int(port)))
    s.listen(1024)
    return s


def listener_at(fd, source):
    try:
        s = socket.socket(fileno=fd)  # family and type come from the fd itself
    except OSError as e:
        fail(f"{source}: fd {fd} is not a socket ({e.strerror})")
    if s.type != socket.SOCK_STREAM or not s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        fail(f"{source}: fd {fd} is not a listening stream socket")
    return s


def starter_ports(value):
    """SERVER_STARTER_PORT "8080=3;127.0.0.1:8081=4;/run/app.sock=5" as [(spec, fd)]."""
    out = []
    for item in filter(None, value.split(";")):
        spec, sep, fd = item.rpartition("=")
        if not sep or not spec or not fd.isdigit():
            fail(f"SERVER_STARTER_PORT: bad entry {item!r} (expected SPEC=FD)")
        out.append((spec, int(fd)))
    return out


def take_listener(args):
    env = os.environ
    if args.bind:
        return bind(args.bind), f"--bind {args.bind}"
    if env.get("LISTEN_FDS") and args.listen is None:
        # libsystemd ignores sockets whose LISTEN_PID is another process; we refuse them loudly instead, so that a
        # supervisor that sets the wrong pid is caught by the tests.
        if env.get("LISTEN_PID") and env["LISTEN_PID"] != str(PID):
            fail(f"LISTEN_PID={env['LISTEN_PID']} is not this process ({PID}): these sockets are not ours")
        if not env["LISTEN_FDS"].isdigit() or int(env["LISTEN_FDS"]) < 1:
            fail(f"LISTEN_FDS={env['LISTEN_FDS']}: expected a count of 1 or more")
        return listener_at(3, "LISTEN_FDS"), "LISTEN_FDS (fd 3)"
    if env.get("SERVER_STARTER_PORT"):
        ports = starter_ports(env["SERVER_STARTER_PORT"])
        chosen = [p for p in ports if args.listen in (None, p[0])]
        if not chosen:
            fail(f"--listen {args.listen}: not in SERVER_STARTER_PORT={env['SERVER_STARTER_PORT']}")
        spec, fd = chosen[0]
        return listener_at(fd, "SERVER_STARTER_PORT"), f"SERVER_STARTER_PORT {spec}={fd}"
    if args.listen is not None:
        fail("--listen needs SERVER_STARTER_PORT")
    try:
        socket.socket(fileno=0).detach()
    except OSError:
        fail("no listening socket: set LISTEN_FDS or SERVER_STARTER_PORT, put one on fd 0, or use --bind")
    return listener_at(0, "fd 0"), "fd 0"


def describe(sock):
    name = sock.getsockname()
    if sock.family == socket.AF_UNIX:
        return name or "(unnamed unix socket)"
    return f"[{name[0]}]:{name[1]}" if sock.family == socket.AF_INET6 else f"{name[0]}:{name[1]}"


# ---- sd_notify ------------------------------------------------------------------------------------------------

def notify(state):
    """One sd_notify datagram to NOTIFY_SOCKET, if set ("@name" is the abstract namespace)."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return
    addr = "\0" + path[1:] if path.startswith("@") else path
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(state.encode(), addr)
    except OSError as e:
        log(f"sd_notify {state} to {path} failed: {e}")


# ---- HTTP -----------------------------------------------------------------------------------------------------

def env_body():
    env = os.environb
    keys = sorted(k for k in env if k.startswith((b"LISTEN_", b"SERVER_STARTER_")) or k == b"NOTIFY_SOCKET")
    return b"".join(k + b"=" + env[k] + b"\n" for k in keys)


def route(method, target):
    """(status, body) for one request."""
    if method not in ("GET", "HEAD"):
        return 405, b"method not allowed\n"
    url = urlsplit(target)
    if url.path == "/":
        return 200, f"pid={PID} gen={GEN}{VERSION}\n".encode()
    if url.path == "/sleep":
        ms = parse_qs(url.query).get("ms", ["0"])[0]
        if not ms.isdigit() or int(ms) > 600_000:
            return 400, b"ms must be 0..600000\n"
        time.sleep(int(ms) / 1000)
        return 200, f"pid={PID} gen={GEN} slept={ms}\n".encode()
    if url.path == "/env":
        return 200, env_body()
    return 404, b"not found\n"


def parse_head(head):
    """(method, target, version, {lower-case name: value}) or None when malformed."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[2] not in ("HTTP/1.0", "HTTP/1.1"):
        return None
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            return None
        headers[name.strip().lower()] = value.strip()
    return parts[0], parts[1], parts[2], headers


def respond(sock, status, body, keep, head_only=False):
    head = (f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
            f"Connection: {'keep-alive' if keep else 'close'}\r\n\r\n").encode()
    sock.sendall(head if head_only else head + body)


class Server:
    def __init__(self, listener):
        self.listener = listener
        self.draining = False
        self.drain_started = 0.0
        self.drain_r, self.drain_w = os.pipe()  # becomes readable when the drain begins: wakes idle connections
        self.threads = set()
        self.lock = threading.Lock()

    def serve(self, wakeup_r, stopping):
        """Accepts until `stopping()`; a signal makes wakeup_r readable (signal.set_wakeup_fd)."""
        # Non-blocking: every generation polls the same shared socket and only one wins each connection; a
        # blocking accept() in the others would hang (and hold off SIGTERM) until the next one arrives.
        self.listener.setblocking(False)
        poller = select.poll()
        poller.register(self.listener, select.POLLIN)
        poller.register(wakeup_r, select.POLLIN)
        while not stopping():
            for fd, _ in poller.poll():
                if fd == wakeup_r:
                    os.read(wakeup_r, 512)  # the Python-level handlers have run by now
                else:
                    self.accept_all()

    def accept_all(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            conn.settimeout(READ_TIMEOUT)
            t = threading.Thread(target=self.connection, args=(conn,), daemon=True)
            with self.lock:
                self.threads.add(t)
            t.start()

    def drain(self):
        """Stop accepting, finish what is in flight, close idle keep-alive connections, return once all are done."""
        notify("STOPPING=1")
        # Closing our fd leaves the socket, and the connections queued on it, to the supervisor and the next
        # generation. Only with --bind is this the last fd, and then the kernel refuses what comes next.
        self.listener.close()
        self.drain_started = time.monotonic()
        self.draining = True
        os.write(self.drain_w, b"x")
        with self.lock:
            threads = list(self.threads)
        log(f"draining {len(threads)} connection(s)")
        deadline = time.monotonic() + DRAIN_TIMEOUT
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        left = sum(t.is_alive() for t in threads)
        log("drained" if not left else f"drain timed out with {left} connection(s) open")

    def wait_request(self, sock, last):
        """True when the client sends (or closes), False when the connection has been idle for too long."""
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        if not self.draining:
            poller.register(self.drain_r, select.POLLIN)
        while True:
            limit = max(last, self.drain_started) + DRAIN_IDLE if self.draining else last + IDLE_TIMEOUT
            left = limit - time.monotonic()
            if left <= 0:
                return False
            events = poller.poll(int(left * 1000) + 1)
            if any(fd == sock.fileno() for fd, _ in events):
                return True
            if events:
                poller.unregister(self.drain_r)  # the drain began: same wait, shorter limit

    def connection(self, sock):
        buf = b""
        last = time.monotonic()
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    if not buf and not self.wait_request(sock, last):
                        return
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                    if len(buf) > MAX_HEAD:
                        return respond(sock, 431, b"request head too large\n", False)
                head, _, buf = buf.partition(b"\r\n\r\n")
                req = parse_head(head)
                if req is None:
                    return respond(sock, 400, b"bad request\n", False)
                method, target, version, headers = req
                if "transfer-encoding" in headers:
                    return respond(sock, 501, b"chunked request bodies are not supported\n", False)
                length = headers.get("content-length", "0")
                if not length.isdigit():
                    return respond(sock, 400, b"bad content-length\n", False)
                while len(buf) < int(length):  # a body we do not use, read so the next request lines up
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                buf = buf[int(length):]
                tokens = headers.get("connection", "").lower()
                keep = "close" not in tokens if version == "HTTP/1.1" else "keep-alive" in tokens
                status, body = route(method, target)
                # Checked after the route ran: a long request learns of a drain that began meanwhile.
                keep = keep and not self.draining
                respond(sock, status, body, keep, head_only=method == "HEAD")
                if not keep:
                    return
                last = time.monotonic()
        except OSError:
            pass  # the client went away
        finally:
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            sock.close()
            with self.lock:
                self.threads.discard(threading.current_thread())


# ---- main -----------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bind", metavar="ADDR", help="bind HOST:PORT, [::1]:PORT or a unix socket path ourselves")
    ap.add_argument("--listen", metavar="SPEC", help="the SERVER_STARTER_PORT entry to serve (default: the first)")
    ap.add_argument("--startup-delay", metavar="MS", type=int, default=0,
                    help="wait this long before accepting and reporting ready (a slow start-up)")
    ap.add_argument("--never-ready", action="store_true", help="serve, but never send READY=1")
    ap.add_argument("--crash-on-start", action="store_true", help="exit 3 before serving")
    args = ap.parse_args()
    if args.crash_on_start:
        fail("crashing on start, as asked (--crash-on-start)", 3)

    stop = threading.Event()
    wakeup_r, wakeup_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wakeup_w)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: on_hup())

    listener, source = take_listener(args)
    if args.startup_delay and stop.wait(args.startup_delay / 1000):
        log("stopped during start-up")
        return 0
    server = Server(listener)
    log(f"generation {GEN} serving http://{describe(listener)} from {source}")
    if not args.never_ready:
        notify("READY=1")
    server.serve(wakeup_r, stop.is_set)
    server.drain()
    log("exit 0")
    # Nothing is left to clean up, and the interpreter's own shutdown takes tens of ms that a restart waits for.
    os._exit(0)


def on_hup():
    """Reloading would go here; tests only need to see that every generation got the signal."""
    log("SIGHUP")
    path = os.environ.get("APP_HUP_FILE")
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"hup {PID}\n".encode())
        finally:
            os.close(fd)


if __name__ == "__main__":
    sys.exit(main())
