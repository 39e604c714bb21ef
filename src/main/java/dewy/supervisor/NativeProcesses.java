package dewy.supervisor;

import dewy.posix.Executables;
import dewy.posix.Posix;
import dewy.posix.ProcFs;
import dewy.posix.Signals;
import dewy.posix.SpawnException;
import dewy.starter.Starter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@link Processes} on the real kernel. */
public final class NativeProcesses implements Processes {
    private final Posix posix;
    private final ProcFs proc;
    private final boolean pid1;
    private final Path notifyDir;
    private final java.util.Set<Long> passedSockets = new java.util.HashSet<>();
    /** dewy's process group when its stdin is a terminal (tini's tcsetpgrp), else 0: the terminal is not handed on. */
    private final int terminalOwner;
    /** Generations spawned and not reaped yet, oldest first: who gets the terminal back when its holder exits. */
    private final java.util.LinkedHashSet<Integer> generations = new java.util.LinkedHashSet<>();
    private boolean spawnedOnce;

    /** The descriptors (in dewy) of the sockets dewy passes on: what {@link #ownListeners} does not count. */
    public void passing(List<dewy.starter.Listener> listeners) {
        for (dewy.starter.Listener l : listeners) {
            passedSockets.add(proc.socketInode("self", l.dewyFd()));
        }
    }

    private java.util.concurrent.ExecutorService inspector;

    @Override
    public void inspectListeners(int generation, int pid) {
        if (inspector == null) {
            inspector = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "dewy-inspect");
                t.setDaemon(true);
                return t;
            });
        }
        inspector.execute(() -> {
            List<String> own = ownListeners(pid);
            if (!own.isEmpty()) {
                dewy.log.Log.warn("the application listens on ports of its own, beside the sockets dewy passed: "
                        + "connections to those are lost on every restart; take the socket from SERVER_STARTER_PORT "
                        + "or LISTEN_FDS", "generation", generation, "own", String.join(",", own));
            }
        });
    }

    List<String> ownListeners(int pid) {
        List<String> own = new ArrayList<>();
        proc.listeningTcp(pid).forEach((inode, address) -> {
            if (!passedSockets.contains(inode)) {
                own.add(address);
            }
        });
        own.sort(null);
        return own;
    }

    /** @param notifyDir a private directory for the NOTIFY_SOCKETs, or null when readiness is not notify */
    public NativeProcesses(Posix posix, ProcFs proc, boolean pid1, Path notifyDir) {
        this.posix = posix;
        this.proc = proc;
        this.pid1 = pid1;
        this.notifyDir = notifyDir;
        // 0 when dewy's group leader is outside its PID namespace: the terminal could not be handed back
        this.terminalOwner = posix.isTerminal(STDIN) ? posix.processGroup() : 0;
    }

    private static final int STDIN = 0;

    /**
     * Starts a generation. When dewy's stdin is a terminal whose foreground is dewy's group (a shell's job, PID 1 of
     * {@code docker run -it}) or an earlier generation's, the new generation becomes the foreground: it reads the
     * terminal without SIGTTIN, and Ctrl-C reaches it. {@link #reap} hands the terminal back.
     */
    @Override
    public int spawn(Starter.Launch launch) throws SpawnException {
        int terminal = takesTerminal() ? STDIN : -1;
        int pid = posix.spawn(launch.argv(), launch.env(), launch.from(), launch.to(), terminal);
        generations.add(pid);
        if (!spawnedOnce) { // after the spawn: the first log line starts tinylog
            spawnedOnce = true;
            dewy.log.Log.debug("spawning", "closes_descriptors_with", posix.closePath(),
                    "terminal", terminalOwner == 0 ? "none" : posix.terminalPath());
        }
        if (terminal >= 0) {
            int foreground = posix.foregroundGroup(STDIN);
            if (foreground == pid) {
                dewy.log.Log.debug("terminal handed to the generation", "pgid", pid);
            } else {
                dewy.log.Log.warn("could not hand the terminal to the generation", "pgid", pid,
                        "foreground", foreground);
            }
        }
        return pid;
    }

    private boolean takesTerminal() {
        if (terminalOwner <= 0) {
            return false;
        }
        int foreground = posix.foregroundGroup(STDIN);
        return foreground > 0 && (foreground == terminalOwner || generations.contains(foreground));
    }

    @Override
    public int spawnCheck(String command, List<String> env) throws SpawnException {
        return posix.spawn(List.of("/bin/sh", "-c", command), env);
    }

    @Override
    public Optional<SpawnException> checkRunnable(String command) {
        return Executables.check(command, System.getenv("PATH"), Path.of("").toAbsolutePath());
    }

    @Override
    public Posix.Reaped reap() {
        Posix.Reaped reaped = posix.reap();
        for (Posix.Exit e : reaped.exits()) {
            if (generations.remove(e.pid()) && terminalOwner > 0 && posix.foregroundGroup(STDIN) == e.pid()) {
                handBackTerminal(e.pid());
            }
        }
        if (terminalOwner > 0 && !pid1) {
            followForegroundStop();
        }
        return reaped;
    }

    /**
     * Job control under a shell, when a generation holds the terminal: Ctrl-Z (or SIGTTIN, SIGTTOU) stops its
     * group, not dewy, and the shell waits for dewy, its job. So dewy stops too (dumb-init stops itself after such
     * a signal as well). When the shell resumes it ({@code fg}: the terminal is dewy's group again; {@code bg}:
     * it is not), the generation gets the terminal back if dewy has it, and SIGCONT.
     */
    private void followForegroundStop() {
        int foreground = posix.foregroundGroup(STDIN);
        if (!generations.contains(foreground) || proc.state(foreground) != 'T') {
            return;
        }
        dewy.log.Log.debug("the generation holding the terminal stopped; stopping dewy, the shell's job",
                "pgid", foreground);
        posix.stopSelf(); // returns once the shell has resumed dewy
        if (posix.foregroundGroup(STDIN) == terminalOwner) {
            posix.setForegroundGroup(STDIN, foreground);
        }
        posix.kill(-foreground, Signals.SIGCONT);
        dewy.log.Log.debug("resumed", "pgid", foreground, "terminal",
                posix.foregroundGroup(STDIN) == foreground ? "generation" : "elsewhere");
    }

    /** The generation that held the terminal exited: the newest one still running gets it, else dewy. */
    private void handBackTerminal(int exited) {
        int next = terminalOwner;
        for (int g : generations) {
            next = g;
        }
        int err = posix.setForegroundGroup(STDIN, next);
        if (err != 0 && next != terminalOwner) {
            next = terminalOwner;
            err = posix.setForegroundGroup(STDIN, next);
        }
        if (err == 0) {
            dewy.log.Log.debug("terminal handed back", "from", exited, "to", next == terminalOwner ? "dewy" : next);
        } else {
            dewy.log.Log.warn("cannot take the terminal back", "from", exited, "error", posix.strerror(err));
        }
    }

    @Override
    public boolean signalProcess(int pid, int signal) {
        return posix.kill(pid, signal) == 0;
    }

    @Override
    public boolean signalGroup(int pid, int signal) {
        if (posix.kill(-pid, signal) == 0) {
            return true;
        }
        return posix.kill(pid, signal) == 0;
    }

    @Override
    public boolean groupExists(int pgid) {
        return posix.kill(-pgid, 0) != Posix.ESRCH;
    }

    @Override
    public void signalDescendants(int signal) {
        if (pid1) {
            posix.kill(-1, signal); // as a namespace's init, -1 is exactly "everyone else in here"
            return;
        }
        for (int pid : proc.descendants(posix.pid())) {
            posix.kill(pid, signal);
        }
    }

    @Override
    public void stopSelf() {
        posix.stopSelf();
    }

    @Override
    public NotifyChannel openNotify(int generation) throws IOException {
        if (notifyDir == null) {
            throw new IOException("no directory for NOTIFY_SOCKETs");
        }
        if (!Files.isDirectory(notifyDir)) {
            // a tmp cleaner (systemd-tmpfiles, tmpreaper) removed it: make it again, or no generation could start
            Files.createDirectories(notifyDir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x")));
            dewy.log.Log.warn("NOTIFY_SOCKET directory was gone; made it again", "dir", notifyDir);
        }
        Path path = notifyDir.resolve("notify-" + generation + ".sock");
        Files.deleteIfExists(path);
        return new NotifyChannel(posix.datagramSocket(path.toString()), path.toString());
    }

    /**
     * The datagrams from senders that belong to the generation (systemd's NotifyAccess=all for one service): its
     * main process, a process in its group, or a descendant, as the kernel's SCM_CREDENTIALS name them. Anyone may
     * write to the socket (an application that dropped its privileges must), so the others are dropped: the
     * first of each socket with a warning, the rest at debug.
     */
    @Override
    public List<String> readNotify(NotifyChannel channel, int mainPid) {
        List<String> datagrams = new ArrayList<>();
        try {
            Posix.Datagram d;
            for (int read = 0; read < 64 && (d = posix.receive(channel.fd())) != null; read++) {
                if (proc.belongsTo(d.pid(), mainPid, posix.pid())) {
                    datagrams.add(d.text());
                } else if (foreignSenders.add(channel.path())) {
                    dewy.log.Log.warn("NOTIFY_SOCKET message dropped: the sender is not this generation's",
                            "path", channel.path(), "pid", d.pid(), "uid", d.uid(), "main_pid", mainPid);
                } else {
                    dewy.log.Log.debug("NOTIFY_SOCKET message dropped: the sender is not this generation's",
                            "path", channel.path(), "pid", d.pid(), "uid", d.uid(), "main_pid", mainPid);
                }
            }
        } catch (Posix.Failure e) {
            dewy.log.Log.warn("cannot read NOTIFY_SOCKET", "path", channel.path(), "error", e.getMessage());
        }
        return datagrams;
    }

    /** NOTIFY_SOCKETs that have had a datagram from a stranger (warned about once each). */
    private final java.util.Set<String> foreignSenders = new java.util.HashSet<>();

    @Override
    public void closeNotify(NotifyChannel channel) {
        foreignSenders.remove(channel.path());
        posix.close(channel.fd());
        posix.unlink(channel.path());
    }

    /** {@code --proxy}: the HTTP readiness checks, off the loop's thread; null without. */
    private dewy.proxy.HealthChecks healthChecks;

    public void healthChecks(dewy.proxy.HealthChecks checks) {
        healthChecks = checks;
    }

    @Override
    public int freeLoopbackPort() throws java.io.IOException {
        // Bound and closed at once: free when the generation binds it a moment later (the kernel hands out
        // ephemeral ports in turn, so the next bind of 0 does not pick it again soon).
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        }
    }

    @Override
    public void checkHealth(int generation, int port, String path) {
        healthChecks.start(generation, port, path);
    }

    @Override
    public void stopHealthCheck(int generation) {
        if (healthChecks != null) {
            healthChecks.stop(generation);
        }
    }
}
