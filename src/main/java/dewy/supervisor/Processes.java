package dewy.supervisor;

import dewy.posix.Posix;
import dewy.posix.SpawnException;
import dewy.starter.Starter;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** What the supervisor asks of the operating system. {@link NativeProcesses} in dewy, a fake in unit tests. */
public interface Processes {
    /** Starts a generation in a new process group whose id is the returned pid. */
    int spawn(Starter.Launch launch) throws SpawnException;

    /** Starts a readiness check, {@code /bin/sh -c COMMAND}, in its own process group. */
    int spawnCheck(String command, List<String> env) throws SpawnException;

    /** Whether {@link #spawn} would find and execute the command right now; checked before a restart stops anything. */
    Optional<SpawnException> checkRunnable(String command);

    /** Every child that has exited since the last call, and whether any child (alive or zombie) remains. */
    Posix.Reaped reap();

    /** Signals one process (a generation's main process); false when it is gone. */
    boolean signalProcess(int pid, int signal);

    /** Signals a process group, or its leader alone if it left the group; false when both are gone. */
    boolean signalGroup(int pgid, int signal);

    /** Whether any process is left in the group. */
    boolean groupExists(int pgid);

    /** Signals every process in dewy's care but dewy itself: the whole namespace as PID 1, else every descendant. */
    void signalDescendants(int signal);

    /** Job control when not PID 1: stop dewy itself, as a shell expects of the job it just suspended. */
    void stopSelf();

    /**
     * Looks, off the loop's thread, for TCP ports the generation listens on by itself beside the sockets dewy
     * passed (go-server-starter's #18/#22: an application that ignores them), and warns if it finds any. Off the
     * loop because /proc/net/tcp lists the whole namespace and can take a long time to read.
     */
    void inspectListeners(int generation, int pid);

    /** A fresh NOTIFY_SOCKET for one generation. */
    NotifyChannel openNotify(int generation) throws IOException;

    /**
     * The datagrams waiting on a NOTIFY_SOCKET (none when nothing is waiting), from senders that belong to the
     * generation whose main process is {@code mainPid}: that process, its process group, or its descendants.
     */
    List<String> readNotify(NotifyChannel channel, int mainPid);

    void closeNotify(NotifyChannel channel);

    /** A free TCP port on 127.0.0.1 for a generation to bind ({@code --proxy}). */
    int freeLoopbackPort() throws IOException;

    /**
     * Starts asking {@code GET path} on 127.0.0.1:{@code port}, off the loop's thread, until it answers 2xx or 3xx;
     * then posts {@link Request.Healthy} for {@code generation} to the loop.
     */
    void checkHealth(int generation, int port, String path);

    /** Stops asking for {@code generation} (ready, gone or timed out). */
    void stopHealthCheck(int generation);
}
