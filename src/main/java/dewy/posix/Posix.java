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
            ENOTDIR = 20, EISDIR = 21, ENOEXEC = 8, ELOOP = 40, ENAMETOOLONG = 36, EADDRINUSE = 98, E2BIG = 7,
            ETXTBSY = 26, ELIBBAD = 80, EMFILE = 24;

    /**
     * {@code -Ddewy.spawn.without=closefrom,tcsetpgrp}: spawn as on a glibc that lacks those file actions (older than
     * 2.34 and 2.35), so that the fallbacks can be tested on a newer one.
     */
    public static final String WITHOUT_PROPERTY = "dewy.spawn.without";
    static final String CLOSEFROM = "posix_spawn_file_actions_addclosefrom_np";
    static final String TCSETPGRP = "posix_spawn_file_actions_addtcsetpgrp_np";

    private static final int SIG_BLOCK = 0;
    private static final int WNOHANG = 1;
    private static final int PR_SET_CHILD_SUBREAPER = 36;
    private static final int F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1, F_DUPFD_CLOEXEC = 1030;
    private static final int SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_PASSCRED = 16, IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    // struct msghdr (LP64): name@0, namelen@8, iov@16, iovlen@24, control@32, controllen@40, flags@48; iovec 16 bytes
    private static final int MSGHDR_SIZE = 56, IOVEC_SIZE = 16, CONTROL_SIZE = 512, DATAGRAM_SIZE = 4096;
    private static final int SFD_NONBLOCK = 0x800, SFD_CLOEXEC = 0x80000, MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;
    private static final short POLLIN = 1;
    private static final int MAX_POLL = 64, SIGNALFD_INFO_SIZE = 128;
    private static final short POSIX_SPAWN_SETPGROUP = 0x02, POSIX_SPAWN_SETSIGDEF = 0x04,
            POSIX_SPAWN_SETSIGMASK = 0x08;

    // glibc's sizes are 336 (posix_spawnattr_t), 80 (file actions), 128 (sigset_t): leave headroom.
    private static final int ATTR_SIZE = 1024, ACTIONS_SIZE = 512, SIGSET_SIZE = 128;

    private final LibC libc;
    private final Runtime runtime;
    private final int pid;
    // The loop's buffers, allocated once: waiting for a signal allocates nothing.
    private final Pointer waitTimeout;
    private final Pointer pollFds;
    private final Pointer signalFdInfo;
    private final Pointer eventCounter;
    private final byte[] datagram = new byte[DATAGRAM_SIZE];
    private final byte[] control = new byte[CONTROL_SIZE];
    // recvmsg's buffers, allocated at the first NOTIFY_SOCKET read
    private Pointer message;
    private Pointer iovec;
    private Pointer datagramBuffer;
    private Pointer controlBuffer;
    // glibc's non-portable spawn file actions, looked up once: without them dewy falls back (see spawn)
    private boolean closeFrom;
    private final boolean tcsetpgrpAction;

    private Posix(LibC libc) {
        this.libc = libc;
        this.runtime = Runtime.getRuntime(libc);
        this.pid = libc.getpid();
        String without = System.getProperty(WITHOUT_PROPERTY, "");
        this.closeFrom = has(CLOSEFROM) && !List.of(without.split(",")).contains("closefrom");
        this.tcsetpgrpAction = has(TCSETPGRP) && !List.of(without.split(",")).contains("tcsetpgrp");
        this.waitTimeout = Memory.allocateDirect(runtime, 16, true);
        this.pollFds = Memory.allocateDirect(runtime, MAX_POLL * 8, true);
        this.signalFdInfo = Memory.allocateDirect(runtime, SIGNALFD_INFO_SIZE, true);
        this.eventCounter = Memory.allocateDirect(runtime, 8, true);
    }

    /** A failed system call, with its errno. */
    public static final class Failure extends java.io.IOException {
        private final int errno;

        Failure(String call, int errno, String reason) {
            super(call + ": " + reason);
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }

    private Failure failure(String call) {
        int err = errno();
        return new Failure(call, err, strerror(err));
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

    /** Whether the loaded libc has {@code symbol} (dlsym on the default handle: the JVM's own libc). */
    private static boolean has(String symbol) {
        try {
            return com.kenai.jffi.Library.getDefault().getSymbolAddress(symbol) != 0;
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** How a child gets only the descriptors it is given, for the debug log. */
    public String closePath() {
        return closeFrom ? CLOSEFROM : "posix_spawn_file_actions_addclose for each descriptor in /proc/self/fd";
    }

    /** How a generation gets the terminal, for the debug log. */
    public String terminalPath() {
        return tcsetpgrpAction ? TCSETPGRP + " (in the child)" : "tcsetpgrp from dewy right after the spawn, then SIGCONT";
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
     * Starts {@code argv} with posix_spawnp, searching PATH like execvp: own process group, empty signal mask,
     * every signal at its default disposition, only fds 0-2, dewy's cwd and the given environment.
     *
     * @return the child's pid (also its process group id)
     */
    public int spawn(List<String> argv, List<String> env) throws SpawnException {
        return spawn(argv, env, new int[0], new int[0], -1);
    }

    /**
     * {@link #spawn(List, List)} that also places descriptors: {@code from[i]} becomes {@code to[i]} in the child
     * (listening sockets at 3, 4, ... or where the user asked). Every {@code from} must be above every {@code to},
     * so that no dup2 overwrites a source still to be copied; {@link #moveAbove} gets them there.
     *
     * <p>With {@code terminalFd} at 0 or above, the child's process group becomes the foreground of that terminal:
     * in the child before it execs ({@value #TCSETPGRP}, glibc 2.35), or else from dewy right after the spawn,
     * followed by a SIGCONT to the group in case the child read the terminal before and was stopped (SIGTTIN). If
     * the child cannot take the terminal (hung up, not dewy's), it starts without it.
     *
     * @throws SpawnException {@link SpawnException#commandProblem()} when execve refused the command; otherwise the
     *                        spawn itself failed (EMFILE, ENOMEM, EAGAIN, an attribute or file action)
     */
    public int spawn(List<String> argv, List<String> env, int[] from, int[] to, int terminalFd) throws SpawnException {
        try {
            boolean inChild = terminalFd >= 0 && tcsetpgrpAction;
            IntByReference child = new IntByReference();
            int rc = spawnOnce(argv, env, from, to, inChild ? terminalFd : -1, child);
            if (rc != 0 && inChild) {
                rc = spawnOnce(argv, env, from, to, -1, child); // the terminal, not the command, may be what failed
            }
            if (rc != 0) {
                throw new SpawnException(argv.get(0), rc, strerror(rc));
            }
            int pid = child.getValue();
            if (terminalFd >= 0 && !inChild && libc.tcsetpgrp(terminalFd, pid) == 0) {
                libc.kill(-pid, Signals.SIGCONT);
            }
            return pid;
        } catch (RuntimeException | LinkageError e) { // the buffers, a binding: never a stack trace from a spawn
            throw SpawnException.system("posix_spawn", e.toString());
        }
    }

    public int spawn(List<String> argv, List<String> env, int[] from, int[] to) throws SpawnException {
        return spawn(argv, env, from, to, -1);
    }

    /** One posix_spawnp: 0 and the pid in {@code child}, or posix_spawnp's error number. */
    private int spawnOnce(List<String> argv, List<String> env, int[] from, int[] to, int terminalFd,
                          IntByReference child) throws SpawnException {
        Pointer attr = Memory.allocateDirect(runtime, ATTR_SIZE, true);
        Pointer actions = Memory.allocateDirect(runtime, ACTIONS_SIZE, true);
        boolean attrMade = false;
        boolean actionsMade = false;
        String call = "posix_spawnattr_init";
        try {
            check(call, libc.posix_spawnattr_init(attr));
            attrMade = true;
            check(call = "posix_spawn_file_actions_init", libc.posix_spawn_file_actions_init(actions));
            actionsMade = true;
            call = "posix_spawnattr_setflags";
            check(call, libc.posix_spawnattr_setflags(attr,
                    (short) (POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)));
            check(call = "posix_spawnattr_setpgroup", libc.posix_spawnattr_setpgroup(attr, 0));
            check(call = "posix_spawnattr_setsigmask", libc.posix_spawnattr_setsigmask(attr, sigset(SignalSet.of())));
            // Every number by hand: glibc's sigfillset leaves out 32 and 33, which would then stay as they were.
            check(call = "posix_spawnattr_setsigdefault",
                    libc.posix_spawnattr_setsigdefault(attr, sigset(SignalSet.range(1, 64))));
            int top = 2;
            call = "posix_spawn_file_actions_adddup2";
            for (int i = 0; i < from.length; i++) {
                check(call, libc.posix_spawn_file_actions_adddup2(actions, from[i], to[i]));
                top = Math.max(top, to[i]);
            }
            // Gaps between the placed descriptors: close whatever dewy has there (EBADF is ignored by glibc).
            call = "posix_spawn_file_actions_addclose";
            for (int fd = 3; fd < top; fd++) {
                if (!contains(to, fd)) {
                    check(call, libc.posix_spawn_file_actions_addclose(actions, fd));
                }
            }
            // Without this the child inherits the JVM's jar, module and jffi descriptors.
            call = closeFrom ? CLOSEFROM : "posix_spawn_file_actions_addclose";
            closeAbove(actions, top);
            if (terminalFd >= 0) {
                check(call = TCSETPGRP, libc.posix_spawn_file_actions_addtcsetpgrp_np(actions, terminalFd));
            }
            call = "posix_spawnp";
            return libc.posix_spawnp(child, argv.get(0), actions, attr, terminated(argv), terminated(env));
        } catch (SpawnFailure e) {
            throw SpawnException.system(e.getMessage(), strerror(e.errno));
        } catch (RuntimeException | LinkageError e) {
            // a libc without a function dewy binds, or a binding that failed: never a stack trace, never the command
            throw SpawnException.system(call, e.toString());
        } finally {
            if (actionsMade) {
                libc.posix_spawn_file_actions_destroy(actions);
            }
            if (attrMade) {
                libc.posix_spawnattr_destroy(attr);
            }
        }
    }

    /**
     * Closes every descriptor above {@code top} in the child: with one closefrom action, or, before glibc 2.34, one
     * close action for each descriptor /proc/self/fd lists now. (The fallback cannot see a descriptor another dewy
     * thread opens between the listing and the spawn, a download's for one; closefrom can.)
     */
    private void closeAbove(Pointer actions, int top) throws SpawnFailure {
        if (closeFrom) {
            try {
                check(CLOSEFROM, libc.posix_spawn_file_actions_addclosefrom_np(actions, top + 1));
                return;
            } catch (UnsatisfiedLinkError e) {
                closeFrom = false; // dlsym found it, the binding did not: fall back from now on
            }
        }
        String[] open = new java.io.File("/proc/self/fd").list(); // java.io: no stream bootstrap before the spawn
        if (open == null) {
            throw new SpawnFailure("list /proc/self/fd", ENOENT);
        }
        for (String name : open) {
            int fd;
            try {
                fd = Integer.parseInt(name);
            } catch (NumberFormatException e) {
                continue;
            }
            if (fd > top) { // the listing's own descriptor is among them, closed by now: glibc ignores its EBADF
                check("posix_spawn_file_actions_addclose", libc.posix_spawn_file_actions_addclose(actions, fd));
            }
        }
    }

    /** A posix_spawnattr_* or file-action call returned an error number. */
    private static final class SpawnFailure extends Exception {
        final int errno;

        SpawnFailure(String call, int errno) {
            super(call, null, false, false);
            this.errno = errno;
        }
    }

    private static void check(String call, int rc) throws SpawnFailure {
        if (rc != 0) {
            throw new SpawnFailure(call, rc);
        }
    }

    private static boolean contains(int[] values, int value) {
        for (int v : values) {
            if (v == value) {
                return true;
            }
        }
        return false;
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

    /**
     * Stops dewy (SIGSTOP) and returns once something has continued it. raise() signals the calling thread itself,
     * which stops at once; {@code kill(getpid(), SIGSTOP)} can return before another thread takes the stop.
     */
    public void stopSelf() {
        libc.raise(Signals.SIGSTOP);
    }

    /** Makes orphaned descendants re-parent to dewy instead of to the host's init. Returns null or the error. */
    public String becomeChildSubreaper() {
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? null : strerror(errno());
    }

    /** Whether {@code fd} is a terminal. */
    public boolean isTerminal(int fd) {
        return libc.isatty(fd) == 1;
    }

    /** The foreground process group of the terminal at {@code fd} (tcgetpgrp), or -1 when it is not dewy's terminal. */
    public int foregroundGroup(int fd) {
        return libc.tcgetpgrp(fd);
    }

    /**
     * Makes {@code pgrp} the foreground process group of the terminal at {@code fd} (tcsetpgrp). dewy blocks SIGTTOU
     * in every thread, so this works from the background too. Returns 0 or the errno.
     */
    public int setForegroundGroup(int fd, int pgrp) {
        return libc.tcsetpgrp(fd, pgrp) == 0 ? 0 : errno();
    }

    /** dewy's own process group; 0 when its leader is outside dewy's PID namespace. */
    public int processGroup() {
        return libc.getpgrp();
    }

    /**
     * Marks every open descriptor above 2 close-on-exec, so execve leaves only stdio open, except those below
     * {@code keepBelow} (sockets systemd passed to dewy: 3 .. 3+LISTEN_FDS-1).
     */
    public void closeOnExecAbove2(int keepBelow) {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) fds::iterator) {
                int fd = Integer.parseInt(p.getFileName().toString());
                if (fd > 2 && fd >= keepBelow) {
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

    /**
     * A listening stream socket, close-on-exec in dewy: SO_REUSEADDR for TCP (a restarted dewy can bind while old
     * connections sit in TIME_WAIT), dual-stack for the IPv6 wildcard, the given backlog.
     *
     * @return the descriptor
     */
    public int listen(SockAddr address, int backlog) throws Failure {
        int fd = libc.socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw failure("socket");
        }
        try {
            if (address.family() != SockAddr.AF_UNIX) {
                setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
            }
            if (address.family() == SockAddr.AF_INET6 && address.wildcard()) {
                setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
            }
            byte[] bytes = address.bytes();
            if (libc.bind(fd, bytes, bytes.length) != 0) {
                throw failure("bind");
            }
            if (libc.listen(fd, backlog) != 0) {
                throw failure("listen");
            }
            return fd;
        } catch (Failure e) {
            libc.close(fd);
            throw e;
        }
    }

    private void setInt(int fd, int level, int name, int value) throws Failure {
        if (libc.setsockopt(fd, level, name, new int[] {value}, 4) != 0) {
            throw failure("setsockopt");
        }
    }

    /** The port a TCP socket is bound to (what port 0 turned into). */
    public int boundPort(int fd) throws Failure {
        byte[] address = new byte[128];
        int[] length = {address.length};
        if (libc.getsockname(fd, address, length) != 0) {
            throw failure("getsockname");
        }
        int family = (address[0] & 0xff) | ((address[1] & 0xff) << 8);
        if (family != SockAddr.AF_INET && family != SockAddr.AF_INET6) {
            return 0;
        }
        return ((address[2] & 0xff) << 8) | (address[3] & 0xff);
    }

    /** Moves {@code fd} to the lowest free descriptor at or above {@code floor}, close-on-exec; closes the old one. */
    public int moveAbove(int fd, int floor) throws Failure {
        if (fd >= floor) {
            int flags = libc.fcntl(fd, F_GETFD, 0);
            if (flags >= 0) {
                libc.fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
            }
            return fd;
        }
        int moved = libc.fcntl(fd, F_DUPFD_CLOEXEC, floor);
        if (moved < 0) {
            throw failure("fcntl(F_DUPFD_CLOEXEC)");
        }
        libc.close(fd);
        return moved;
    }

    /**
     * A non-blocking unix datagram socket bound at {@code path}: an sd_notify NOTIFY_SOCKET. Anyone may send to it
     * (mode 0666: an application that dropped its privileges too), and each datagram carries its sender's
     * credentials (SO_PASSCRED), so that {@link #receive} can tell who sent it.
     */
    public int datagramSocket(String path) throws Failure {
        int fd = libc.socket(SockAddr.AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw failure("socket");
        }
        try {
            setInt(fd, SOL_SOCKET, SO_PASSCRED, 1);
            byte[] address = SockAddr.unix(path).bytes();
            if (libc.bind(fd, address, address.length) != 0) {
                throw failure("bind " + path);
            }
            if (libc.chmod(path, 0666) != 0) {
                throw failure("chmod " + path);
            }
            return fd;
        } catch (Failure f) {
            libc.close(fd);
            throw f;
        }
    }

    /**
     * One datagram and who sent it, as the kernel says (SCM_CREDENTIALS).
     *
     * @param pid the sender's pid in dewy's PID namespace; 0 when it is outside it or sent no credentials
     * @param uid the sender's uid, -1 when no credentials came
     */
    public record Datagram(String text, int pid, int uid, int gid) {
    }

    /**
     * The next waiting datagram, or null when none is waiting. Descriptors a sender passed along (SCM_RIGHTS) are
     * closed at once: dewy keeps none.
     */
    public Datagram receive(int fd) throws Failure {
        if (message == null) {
            message = Memory.allocateDirect(runtime, MSGHDR_SIZE, true);
            iovec = Memory.allocateDirect(runtime, IOVEC_SIZE, true);
            datagramBuffer = Memory.allocateDirect(runtime, DATAGRAM_SIZE, true);
            controlBuffer = Memory.allocateDirect(runtime, CONTROL_SIZE, true);
            iovec.putAddress(0, datagramBuffer.address());
            iovec.putLong(8, DATAGRAM_SIZE);
        }
        message.putAddress(0, 0L);
        message.putInt(8, 0);
        message.putAddress(16, iovec.address());
        message.putLong(24, 1);
        message.putAddress(32, controlBuffer.address());
        message.putLong(40, CONTROL_SIZE);
        message.putInt(48, 0);
        long n = libc.recvmsg(fd, message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
            int err = errno();
            if (err == EAGAIN || err == EINTR) {
                return null;
            }
            throw new Failure("recvmsg", err, strerror(err));
        }
        int controlLength = (int) Math.min(message.getLong(40), CONTROL_SIZE);
        controlBuffer.get(0, control, 0, controlLength);
        ControlMessages.Parsed parsed = ControlMessages.parse(control, controlLength);
        for (int passed : parsed.fds()) {
            if (passed > 2) {
                libc.close(passed);
            }
        }
        int length = (int) Math.min(n, DATAGRAM_SIZE);
        datagramBuffer.get(0, datagram, 0, length);
        return new Datagram(new String(datagram, 0, length, java.nio.charset.StandardCharsets.UTF_8), parsed.pid(),
                parsed.uid(), parsed.gid());
    }

    /** Sends one datagram to the unix socket at {@code path} (sd_notify to systemd). */
    public void sendDatagram(String path, String text) throws Failure {
        int fd = libc.socket(SockAddr.AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw failure("socket");
        }
        try {
            byte[] address = SockAddr.unix(path).bytes();
            byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (libc.sendto(fd, bytes, bytes.length, MSG_NOSIGNAL | MSG_DONTWAIT, address, address.length) < 0) {
                throw failure("sendto " + path);
            }
        } finally {
            libc.close(fd);
        }
    }

    public void close(int fd) {
        libc.close(fd);
    }

    public void unlink(String path) {
        libc.unlink(path);
    }

    /** A non-blocking eventfd: other threads {@link #wake} the loop through it. */
    public int eventFd() {
        int fd = libc.eventfd(0, SFD_NONBLOCK | SFD_CLOEXEC); // EFD_* share the O_* values, as SFD_* do
        if (fd < 0) {
            throw new IllegalStateException("eventfd: " + strerror(errno()));
        }
        return fd;
    }

    /** Makes an eventfd readable. Safe from any thread: the 8 bytes are the caller's own. */
    public void wake(int eventFd) {
        byte[] one = {1, 0, 0, 0, 0, 0, 0, 0}; // little-endian 1 (x86_64, aarch64)
        libc.write(eventFd, one, 8); // EAGAIN only when the counter is full: the loop is awake anyway
    }

    /** Resets an eventfd after it polled readable (loop thread only). */
    public void clearEventFd(int eventFd) {
        libc.read(eventFd, eventCounter, 8);
    }

    /** A non-blocking signalfd for {@code set}, which must stay blocked in every thread. */
    public int signalFd(SignalSet set) {
        int fd = libc.signalfd(-1, sigset(set), SFD_NONBLOCK | SFD_CLOEXEC);
        if (fd < 0) {
            throw new IllegalStateException("signalfd: " + strerror(errno()));
        }
        return fd;
    }

    /** The next pending signal from a signalfd, or null when none is pending. */
    public SignalInfo readSignal(int fd) {
        while (true) {
            long n = libc.read(fd, signalFdInfo, SIGNALFD_INFO_SIZE);
            if (n == SIGNALFD_INFO_SIZE) {
                // signalfd_siginfo: ssi_signo@0, ssi_errno@4, ssi_code@8, ssi_pid@12.
                return new SignalInfo(signalFdInfo.getInt(0), signalFdInfo.getInt(8), signalFdInfo.getInt(12));
            }
            int err = errno();
            if (n < 0 && err == EINTR) {
                continue;
            }
            if (n < 0 && err == EAGAIN) {
                return null;
            }
            throw new IllegalStateException("read(signalfd): " + (n < 0 ? strerror(err) : "short read " + n));
        }
    }

    /**
     * Waits until one of {@code fds} is readable or the timeout passes (ppoll: nanosecond timeouts).
     *
     * @param timeoutNanos negative waits without a limit
     * @return a bit per readable descriptor, by index; 0 on timeout
     */
    public long poll(int[] fds, int count, long timeoutNanos) {
        if (count > MAX_POLL) {
            throw new IllegalArgumentException("too many descriptors to poll: " + count);
        }
        for (int i = 0; i < count; i++) {
            pollFds.putInt(i * 8L, fds[i]);
            pollFds.putShort(i * 8L + 4, POLLIN);
            pollFds.putShort(i * 8L + 6, (short) 0);
        }
        if (timeoutNanos >= 0) {
            waitTimeout.putLong(0, timeoutNanos / 1_000_000_000L);
            waitTimeout.putLong(8, timeoutNanos % 1_000_000_000L);
        }
        int n = libc.ppoll(pollFds, count, timeoutNanos < 0 ? null : waitTimeout, null);
        if (n < 0) {
            int err = errno();
            if (err == EINTR) {
                return 0; // the caller looks at its deadlines and polls again
            }
            throw new IllegalStateException("ppoll: " + strerror(err));
        }
        long ready = 0;
        for (int i = 0; i < count && n > 0; i++) {
            if (pollFds.getShort(i * 8L + 6) != 0) {
                ready |= 1L << i;
            }
        }
        return ready;
    }
}
