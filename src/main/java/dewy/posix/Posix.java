package dewy.posix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.byref.IntByReference;

/**
 * The only door to native calls. Every method is a thin, checked wrapper around one libc function.
 *
 * <p>Not thread-safe by design: the supervisor's event loop is its only caller once dewy runs.
 */
public final class Posix {
    public static final int ENOENT = 2, ESRCH = 3, EINTR = 4, EACCES = 13, ECHILD = 10, EAGAIN = 11, EPERM = 1,
            ENOTDIR = 20, EISDIR = 21, ENOEXEC = 8, ELOOP = 40, ENAMETOOLONG = 36;

    private static final int SIG_BLOCK = 0;
    private static final int WNOHANG = 1;
    private static final int PR_SET_CHILD_SUBREAPER = 36;
    private static final int F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1;
    private static final short POSIX_SPAWN_SETPGROUP = 0x02, POSIX_SPAWN_SETSIGDEF = 0x04,
            POSIX_SPAWN_SETSIGMASK = 0x08;

    // glibc's sizes are 336 (posix_spawnattr_t), 80 (file actions), 128 (sigset_t and siginfo_t): leave headroom.
    private static final int ATTR_SIZE = 1024, ACTIONS_SIZE = 512, SIGSET_SIZE = 128, SIGINFO_SIZE = 128;

    private final LibC libc;
    private final Runtime runtime;
    private final int pid;
    // The loop's buffers, allocated once: waiting for a signal allocates nothing.
    private final Pointer waitSet;
    private final Pointer waitInfo;
    private final Pointer waitTimeout;
    private SignalSet waitSetContent;

    private Posix(LibC libc) {
        this.libc = libc;
        this.runtime = Runtime.getRuntime(libc);
        this.pid = libc.getpid();
        this.waitSet = Memory.allocateDirect(runtime, SIGSET_SIZE, true);
        this.waitInfo = Memory.allocateDirect(runtime, SIGINFO_SIZE, true);
        this.waitTimeout = Memory.allocateDirect(runtime, 16, true);
    }

    /**
     * Binds libc. {@code installDir} is where dewy.jar lives; a pre-extracted jffi stub under
     * {@code jffi/jni/<arch>-Linux} saves jffi from extracting it to /tmp on every start.
     */
    public static Posix load(Path installDir) {
        // Reflection-based binding: ASM code generation costs more at start (bench ablation) and nothing here is hot.
        if (System.getProperty("jnr.ffi.asm.enabled") == null) {
            System.setProperty("jnr.ffi.asm.enabled", "false");
        }
        if (installDir != null && System.getProperty("jffi.boot.library.path") == null) {
            Path stub = installDir.resolve("jffi/jni").resolve(jffiArch() + "-Linux");
            if (Files.isRegularFile(stub.resolve("libjffi-1.2.so"))) {
                System.setProperty("jffi.boot.library.path", stub.toString());
            }
        }
        return new Posix(LibraryLoader.create(LibC.class).load("c"));
    }

    private static String jffiArch() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return arch.equals("amd64") ? "x86_64" : arch;
    }

    public int pid() {
        return pid;
    }

    public String strerror(int errno) {
        String s = libc.strerror(errno);
        return s == null ? "errno " + errno : s.toLowerCase(Locale.ROOT);
    }

    private int errno() {
        return runtime.getLastError();
    }

    private Pointer sigset(SignalSet set) {
        Pointer p = Memory.allocateDirect(runtime, SIGSET_SIZE, true);
        p.putLong(0, set.bits());
        return p;
    }

    /** Blocks {@code set} in the calling thread (and in every thread it creates, and across execve). */
    public void block(SignalSet set) {
        int rc = libc.pthread_sigmask(SIG_BLOCK, sigset(set), null);
        if (rc != 0) {
            throw new IllegalStateException("pthread_sigmask: " + strerror(rc));
        }
    }

    /**
     * Waits for one signal of {@code set}, which must be blocked in every thread.
     *
     * @param timeoutNanos how long to wait; negative waits without a limit
     * @return the signal, or null when the timeout passed first
     */
    public SignalInfo awaitSignal(SignalSet set, long timeoutNanos) {
        if (!set.equals(waitSetContent)) {
            waitSet.putLong(0, set.bits());
            waitSetContent = set;
        }
        if (timeoutNanos >= 0) {
            waitTimeout.putLong(0, timeoutNanos / 1_000_000_000L);
            waitTimeout.putLong(8, timeoutNanos % 1_000_000_000L);
        }
        while (true) {
            int signo = timeoutNanos < 0 ? libc.sigwaitinfo(waitSet, waitInfo)
                    : libc.sigtimedwait(waitSet, waitInfo, waitTimeout);
            if (signo > 0) {
                // siginfo_t: si_signo@0, si_errno@4, si_code@8, then the union at 16: si_pid@16, si_uid@20.
                return new SignalInfo(signo, waitInfo.getInt(8), waitInfo.getInt(16));
            }
            int err = errno();
            if (err == EAGAIN) {
                return null;
            }
            if (err != EINTR) {
                throw new IllegalStateException("sigwaitinfo: " + strerror(err));
            }
            // EINTR: a stop/continue or a debugger interrupted the wait; the timeout restarts, which only delays.
        }
    }

    /**
     * Starts {@code argv} with posix_spawnp, searching PATH like execvp: own process group, empty signal mask,
     * every signal at its default disposition, only fds 0-2, dewy's cwd and the given environment.
     *
     * @return the child's pid (also its process group id)
     */
    public int spawn(List<String> argv, List<String> env) throws SpawnException {
        Pointer attr = Memory.allocateDirect(runtime, ATTR_SIZE, true);
        Pointer actions = Memory.allocateDirect(runtime, ACTIONS_SIZE, true);
        check("posix_spawnattr_init", libc.posix_spawnattr_init(attr));
        check("posix_spawn_file_actions_init", libc.posix_spawn_file_actions_init(actions));
        try {
            check("posix_spawnattr_setflags", libc.posix_spawnattr_setflags(attr,
                    (short) (POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)));
            check("posix_spawnattr_setpgroup", libc.posix_spawnattr_setpgroup(attr, 0));
            check("posix_spawnattr_setsigmask", libc.posix_spawnattr_setsigmask(attr, sigset(SignalSet.of())));
            // Every number by hand: glibc's sigfillset leaves out 32 and 33, which would then stay as they were.
            check("posix_spawnattr_setsigdefault",
                    libc.posix_spawnattr_setsigdefault(attr, sigset(SignalSet.range(1, 64))));
            // Without this the child inherits the JVM's jar, module and jffi descriptors.
            check("posix_spawn_file_actions_addclosefrom_np", libc.posix_spawn_file_actions_addclosefrom_np(actions, 3));
            IntByReference child = new IntByReference();
            int rc = libc.posix_spawnp(child, argv.get(0), actions, attr, terminated(argv), terminated(env));
            if (rc != 0) {
                throw new SpawnException(argv.get(0), rc, strerror(rc));
            }
            return child.getValue();
        } finally {
            libc.posix_spawn_file_actions_destroy(actions);
            libc.posix_spawnattr_destroy(attr);
        }
    }

    private void check(String call, int rc) {
        if (rc != 0) {
            throw new IllegalStateException(call + ": " + strerror(rc));
        }
    }

    private static String[] terminated(List<String> list) {
        String[] array = list.toArray(new String[list.size() + 1]);
        array[list.size()] = null;
        return array;
    }

    /** One child that waitpid collected. */
    public record Exit(int pid, int status) {
    }

    /**
     * Collects every exited child with {@code waitpid(-1, WNOHANG)} until none is left to collect.
     *
     * @param exits        what was collected
     * @param childrenLeft false once waitpid says ECHILD: dewy has no child, living or dead
     */
    public record Reaped(List<Exit> exits, boolean childrenLeft) {
    }

    public Reaped reap() {
        List<Exit> exits = new ArrayList<>();
        int[] status = new int[1];
        while (true) {
            int child = libc.waitpid(-1, status, WNOHANG);
            if (child > 0) {
                exits.add(new Exit(child, status[0]));
            } else if (child == 0) {
                return new Reaped(exits, true);
            } else {
                int err = errno();
                if (err == EINTR) {
                    continue;
                }
                return new Reaped(exits, err != ECHILD);
            }
        }
    }

    /** kill(2). Returns 0 or the errno (ESRCH when nothing matched). */
    public int kill(int target, int signal) {
        return libc.kill(target, signal) == 0 ? 0 : errno();
    }

    /** Makes orphaned descendants re-parent to dewy instead of to the host's init. Returns null or the error. */
    public String becomeChildSubreaper() {
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? null : strerror(errno());
    }

    /** Marks every open descriptor above 2 close-on-exec, so execve leaves only stdio open. */
    public void closeOnExecAbove2() {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) fds::iterator) {
                int fd = Integer.parseInt(p.getFileName().toString());
                if (fd > 2) {
                    int flags = libc.fcntl(fd, F_GETFD, 0);
                    if (flags >= 0) {
                        libc.fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc/self/fd: " + e.getMessage(), e);
        }
    }

    /** execve(2). Returns only on failure, with the reason. */
    public String execve(String path, List<String> argv, List<String> env) {
        libc.execve(path, terminated(argv), terminated(env));
        return strerror(errno());
    }
}
