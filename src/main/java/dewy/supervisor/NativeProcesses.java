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
    }

    @Override
    public int spawn(Starter.Launch launch) throws SpawnException {
        return posix.spawn(launch.argv(), launch.env(), launch.from(), launch.to());
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
        return posix.reap();
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
        posix.kill(posix.pid(), Signals.SIGSTOP);
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

    @Override
    public List<String> readNotify(NotifyChannel channel, int mainPid) {
        List<String> datagrams = new ArrayList<>();
        try {
            String d;
            while (datagrams.size() < 64 && (d = posix.receive(channel.fd())) != null) {
                datagrams.add(d);
            }
        } catch (Posix.Failure e) {
            dewy.log.Log.warn("cannot read NOTIFY_SOCKET", "path", channel.path(), "error", e.getMessage());
        }
        return datagrams;
    }

    @Override
    public void closeNotify(NotifyChannel channel) {
        posix.close(channel.fd());
        posix.unlink(channel.path());
    }
}
