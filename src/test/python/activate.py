#!/usr/bin/python3
"""A tiny socket-activating supervisor for the example applications' own tests: what dewy does with --port, minus
dewy, driven line by line from stdin so a test can play out a generation swap step by step.

  activate.py [--port SPEC[=FD]]... [--env both|systemd|starter|none] [--listen-pid self|none|N]
              [--notify path|abstract|none] -- COMMAND [ARGS...]

SPEC is 127.0.0.1:0, [::1]:0 or a unix socket path. The listeners go to fds 3, 4, ... in order, or to FD when
given (0 puts one on stdin, for System.inheritedChannel()). Each generation gets the listeners, SERVER_STARTER_PORT
and SERVER_STARTER_GENERATION, LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID (its own pid: set after fork, before exec),
and NOTIFY_SOCKET (a datagram socket of its own), as --env and --notify say; stdout and stderr go to our stderr.

stdin, one command a line:  spawn | kill GEN SIGNAL | quit   (EOF is quit: every live generation gets SIGKILL)
stdout, one event a line:   listen SPEC FD ADDRESS  (one per listener, first)   spawned GEN PID NOTIFY_SOCKET|-
                            notify GEN MESSAGE  (newlines as \\n)   exited GEN CODE  (negative: killed by that signal)
"""
import argparse
import fcntl
import os
import select
import signal
import socket
import sys
import tempfile


def out(*words):
    print(*words, flush=True)


def bind(spec):
    if "/" in spec:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(spec)
        addr = spec
    else:
        host, _, port = spec.rpartition(":")
        s = socket.socket(socket.AF_INET6 if host.startswith("[") else socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host.strip("[]"), int(port)))
        name = s.getsockname()
        addr = f"[{name[0]}]:{name[1]}" if s.family == socket.AF_INET6 else f"{name[0]}:{name[1]}"
    s.listen(1024)
    return s, addr


class Generation:
    def __init__(self, number, pid, notify_sock):
        self.number, self.pid, self.notify = number, pid, notify_sock
        self.pidfd = os.pidfd_open(pid)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", action="append", default=[])
    ap.add_argument("--env", choices=("both", "systemd", "starter", "none"), default="both")
    ap.add_argument("--listen-pid", default="self")
    ap.add_argument("--notify", choices=("path", "abstract", "none"), default="path")
    ap.add_argument("command", nargs="+")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="activate-")
    listeners = []  # (address, target fd, socket)
    next_fd = 3
    for item in a.port:
        spec, sep, fd = item.rpartition("=")
        if not sep or not fd.isdigit():
            spec, fd = item, None
        sock, addr = bind(spec)
        target = int(fd) if fd is not None else next_fd
        next_fd = max(next_fd, target + 1)
        # kept at a high fd, so that placing one listener at its target fd never overwrites another one
        high = fcntl.fcntl(sock.fileno(), fcntl.F_DUPFD_CLOEXEC, 100)
        sock.close()
        listeners.append((addr, target, high))
        out("listen", spec, target, addr)

    # only what we set: nothing of the kind inherited from whoever started us
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("LISTEN_", "SERVER_STARTER_")) and k != "NOTIFY_SOCKET"}
    systemd = [x for x in listeners if x[1] >= 3]  # LISTEN_FDS counts the consecutive fds from 3
    if a.env in ("both", "starter"):
        base_env["SERVER_STARTER_PORT"] = ";".join(f"{addr}={fd}" for addr, fd, _ in listeners)
    if a.env in ("both", "systemd") and systemd:
        base_env["LISTEN_FDS"] = str(len(systemd))
        base_env["LISTEN_FDNAMES"] = ":".join(addr.replace(":", "_") for addr, _, _ in systemd)
        if a.listen_pid not in ("self", "none"):
            base_env["LISTEN_PID"] = a.listen_pid

    gens = {}
    count = 0

    def spawn():
        nonlocal count
        count += 1
        env = dict(base_env)
        if a.env in ("both", "starter"):
            env["SERVER_STARTER_GENERATION"] = str(count)
        notify = None
        if a.notify != "none":
            notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            if a.notify == "abstract":
                name = f"activate-{os.getpid()}-{count}"
                notify.bind("\0" + name)
                env["NOTIFY_SOCKET"] = "@" + name
            else:
                path = os.path.join(tmp, f"notify-{count}")
                notify.bind(path)
                env["NOTIFY_SOCKET"] = path
        pid = os.fork()
        if pid == 0:  # the child: only async-safe-ish work until exec, we are single-threaded
            try:
                # as dewy does for its generations: default dispositions, whatever we inherited (nohup ignores
                # HUP, and a JVM started with HUP ignored silently keeps it ignored: no reload handler)
                for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGUSR1,
                            signal.SIGUSR2, signal.SIGPIPE):
                    signal.signal(sig, signal.SIG_DFL)
                if a.env in ("both", "systemd") and systemd and a.listen_pid == "self":
                    env["LISTEN_PID"] = str(os.getpid())
                devnull = os.open(os.devnull, os.O_RDONLY)
                os.dup2(devnull, 0)
                os.dup2(2, 1)
                for _, fd, high in listeners:
                    os.dup2(high, fd)  # the copy at fd is inheritable; everything else of ours is close-on-exec
                os.execvpe(a.command[0], a.command, env)
            except OSError as e:
                os.write(2, f"activate: cannot start {a.command[0]}: {e}\n".encode())
            os._exit(127)
        gens[count] = Generation(count, pid, notify)
        out("spawned", count, pid, env.get("NOTIFY_SOCKET", "-"))

    def quit_all():
        for g in gens.values():
            try:
                os.kill(g.pid, signal.SIGKILL)
                os.waitpid(g.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        sys.exit(0)

    signal.signal(signal.SIGTERM, lambda *_: quit_all())
    pending = b""
    while True:
        watch = {0: ("stdin", None)}
        for g in gens.values():
            watch[g.pidfd] = ("exit", g)
            if g.notify:
                watch[g.notify.fileno()] = ("notify", g)
        ready, _, _ = select.select(list(watch), [], [])
        for fd in ready:
            what, g = watch[fd]
            if what == "notify":
                msg = g.notify.recv(4096).decode(errors="replace")
                out("notify", g.number, msg.replace("\n", "\\n"))
            elif what == "exit":
                _, status = os.waitpid(g.pid, 0)
                code = os.waitstatus_to_exitcode(status)
                os.close(g.pidfd)
                # the datagrams it sent before exiting are still queued: report them first
                while g.notify:
                    try:
                        out("notify", g.number, g.notify.recv(4096, socket.MSG_DONTWAIT).decode(errors="replace")
                            .replace("\n", "\\n"))
                    except BlockingIOError:
                        break
                del gens[g.number]
                out("exited", g.number, code)
            else:
                data = os.read(0, 4096)
                if not data:
                    quit_all()
                pending += data
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    words = line.decode().split()
                    if words == ["spawn"]:
                        spawn()
                    elif len(words) == 3 and words[0] == "kill" and int(words[1]) in gens:
                        sig = int(words[2]) if words[2].isdigit() else signal.Signals["SIG" + words[2]]
                        os.kill(gens[int(words[1])].pid, sig)
                    elif words == ["quit"]:
                        quit_all()
                    elif words:
                        print(f"activate: bad command {line!r}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
