package dewy.supervisor;

import dewy.posix.Executables;
import dewy.posix.Posix;
import dewy.posix.ProcFs;
import dewy.posix.Signals;
import dewy.posix.SpawnException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** {@link Processes} on the real kernel. */
public final class NativeProcesses implements Processes {
    private final Posix posix;
    private final ProcFs proc;
    private final List<String> env;
    private final boolean pid1;

    /** @param env the application's environment, as NAME=value entries */
    public NativeProcesses(Posix posix, ProcFs proc, List<String> env, boolean pid1) {
        this.posix = posix;
        this.proc = proc;
        this.env = List.copyOf(env);
        this.pid1 = pid1;
    }

    @Override
    public int spawn(List<String> command) throws SpawnException {
        return posix.spawn(command, env);
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
    public boolean signalApp(int pid, int signal) {
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
}
