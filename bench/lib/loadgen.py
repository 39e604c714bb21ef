#!/usr/bin/python3
"""A nonstop HTTP/1.1 load on loopback for the restart benchmark; the same rules as the tests' HttpLoad.java.

Each client thread sends one GET at a time, the next as soon as the last one is answered. Keep-alive clients reuse
their connection until the server answers `Connection: close`; one-shot clients open a connection per request and
send `Connection: close`; slow clients are keep-alive clients that ask for `/sleep?ms=N` (--slow-ms), requests that
outlast a restart (HttpLoad's long clients). Every request gets exactly one outcome: ok, refused, reset, eof (closed before any
response byte, also on a reused idle connection), truncated, timeout, non_2xx, malformed or other. After a failure
a client pauses 10 ms, so a dead port is not hammered. Runs until SIGTERM/SIGINT, --duration or --max-requests,
then writes every request to --out as [kind, start_ns, end_ns, outcome, pid] (CLOCK_MONOTONIC, which the
benchmark's own clock readings share).
"""
import argparse
import json
import os
import re
import signal
import socket
import threading
import time

PID = re.compile(rb"pid=(\d+)")
FAILURE_PAUSE = 0.01


class Failure(Exception):
    def __init__(self, outcome):
        super().__init__(outcome)
        self.outcome = outcome


def classify(e):
    if isinstance(e, ConnectionRefusedError):
        return "refused"
    if isinstance(e, (ConnectionResetError, BrokenPipeError)):
        return "reset"
    if isinstance(e, socket.timeout):
        return "timeout"
    return "other"


def exchange(sock, request):
    """Sends one request and reads its response: (status, close?, pid)."""
    sock.sendall(request)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise Failure("truncated" if buf else "eof")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise Failure("malformed")
    length, close = None, parts[0] == b"HTTP/1.0"
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length" and value.isdigit():
            length = int(value)
        elif name == b"connection":
            close = b"close" in value
    if length is None:
        raise Failure("malformed")  # our servers always send Content-Length
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise Failure("truncated")
        body += chunk
    m = PID.search(body)
    return int(parts[1]), close, int(m.group(1)) if m else -1


def client(kind, host, port, timeout, stop, budget, out, slow_ms):
    keep = kind != "one_shot"
    path = f"/sleep?ms={slow_ms}" if kind == "slow" else "/"
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n" + ("" if keep else "Connection: close\r\n")
               + "\r\n").encode()
    sock = None
    while not stop.is_set() and budget.take():
        t0 = time.monotonic_ns()
        pid = -1
        try:
            if sock is None:
                sock = socket.create_connection((host, port), timeout=timeout)
            status, close, pid = exchange(sock, request)
            outcome = "ok" if 200 <= status < 300 else "non_2xx"
            if close or not keep:
                sock.close()
                sock = None
        except (Failure, OSError) as e:
            outcome = e.outcome if isinstance(e, Failure) else classify(e)
            if sock is not None:
                sock.close()
                sock = None
        out.append((kind, t0, time.monotonic_ns(), outcome, pid))
        if outcome != "ok":
            time.sleep(FAILURE_PAUSE)
    if sock is not None:
        sock.close()


class Budget:
    def __init__(self, n, seconds):
        self.left, self.end, self.lock = n, time.monotonic() + seconds, threading.Lock()

    def take(self):
        with self.lock:
            self.left -= 1
            return self.left >= 0 and time.monotonic() < self.end


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True, help="HOST:PORT")
    ap.add_argument("--keep-alive", type=int, default=2)
    ap.add_argument("--one-shot", type=int, default=2)
    ap.add_argument("--slow", type=int, default=0, help="clients asking for /sleep?ms=SLOW_MS")
    ap.add_argument("--slow-ms", type=int, default=2000)
    ap.add_argument("--duration", type=float, required=True, help="hard bound, seconds")
    ap.add_argument("--max-requests", type=int, default=2_000_000)
    ap.add_argument("--timeout", type=float, default=5.0, help="per request")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    host, _, port = a.target.rpartition(":")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    budget = Budget(a.max_requests, a.duration)
    records = []  # list.append is atomic under the GIL
    threads = [threading.Thread(target=client, args=(kind, host, int(port), a.timeout, stop, budget, records,
                                                     a.slow_ms))
               for kind in ["keep_alive"] * a.keep_alive + ["one_shot"] * a.one_shot + ["slow"] * a.slow]
    for t in threads:
        t.start()
    print("started", flush=True)
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(0.2)  # short joins, so the main thread gets to run the signal handlers
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"keep_alive": a.keep_alive, "one_shot": a.one_shot, "slow": a.slow, "slow_ms": a.slow_ms,
                   "records": records}, f)
    os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
