package dewy.boot;

import dewy.posix.Posix;
import dewy.posix.ProcFs;
import dewy.posix.Signals;
import dewy.starter.Listeners;
import dewy.starter.StarterEnv;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Gets every JVM thread's mask right before dewy does anything else: when a handled signal is unblocked in any
 * thread (plain {@code java -jar dewy.jar}), block them and re-exec the same command line with {@code -Xrs} (same
 * PID). See {@link Relaunch} for the command line and the environment.
 */
public final class SignalMask {
    private SignalMask() {
    }

    /**
     * Returns null when every thread already blocks the handled signals. Otherwise re-executes the JVM and, since
     * execve only returns on failure, returns why dewy must exit (125).
     */
    /**
     * What every mode starts with: libc bound and the handled signals blocked in every thread. Null after one line
     * on stderr when either fails (the caller exits 125).
     */
    public static Posix bindBlocked(Path installDir, ProcFs proc, Map<String, String> env) {
        Posix posix;
        try {
            posix = Posix.load(installDir);
        } catch (RuntimeException | LinkageError e) {
            System.err.println("dewy: cannot bind libc: " + e);
            return null;
        }
        String unblocked = ensureBlocked(posix, proc, env, installDir);
        if (unblocked != null) {
            System.err.println("dewy: " + unblocked);
            return null;
        }
        return posix;
    }

    public static String ensureBlocked(Posix posix, ProcFs proc, Map<String, String> env, Path installDir) {
        List<ProcFs.Leak> leaks = proc.threadsNotBlocking(Signals.HANDLED);
        if (leaks.isEmpty()) {
            return null;
        }
        if (Relaunch.alreadyRelaunched(env)) {
            return "signals are still unblocked after re-exec (" + leaks.get(0).thread() + " lacks "
                    + leaks.get(0).unblocked() + "); start java with -Xrs and " + Relaunch.SR_SIGNUM + "="
                    + Signals.JVM_SUSPEND_RESUME;
        }
        String why;
        try {
            posix.block(Signals.HANDLED);
            // sockets systemd passed to dewy stay open across the re-exec (LISTEN_PID: the pid does not change)
            posix.closeOnExecAbove2(StarterEnv.SD_LISTEN_FDS_START + Listeners.inherited(env, posix.pid()).size());
            why = posix.execve("/proc/self/exe", Relaunch.argv(proc.selfCmdline(), installDir), Relaunch.env(env));
        } catch (RuntimeException e) {
            why = e.getMessage();
        }
        return "cannot re-exec the JVM with signals blocked: " + why;
    }
}
