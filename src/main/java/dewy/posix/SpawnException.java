package dewy.posix;

/**
 * A process could not be started. Either the command itself is the problem (missing: the shell's 127, not
 * executable: 126), which starting again will not mend, or the spawn failed for another reason (EMFILE, ENOMEM,
 * EAGAIN, a failed posix_spawnattr_* or file-action call, a libc without a function dewy binds), which is dewy's or
 * the system's, not the command's: {@link #commandProblem()} tells the two apart, and {@link #exitCode()} is 125.
 */
public final class SpawnException extends Exception {
    /** errno of a failure that is not about the command; {@link #commandProblem()} is false. */
    private static final int SYSTEM = -1;

    private final String path;
    private final int errno;
    private final String reason;

    /** posix_spawnp (or the look-up before it) failed for {@code path} with {@code errno}. */
    public SpawnException(String path, int errno, String reason) {
        super(path + ": " + reason);
        this.path = path;
        this.errno = errno;
        this.reason = reason;
    }

    /** The spawn failed in {@code step} (a system call, the NOTIFY_SOCKET) for a reason the command is not to blame. */
    public static SpawnException system(String step, String reason) {
        return new SpawnException(step, SYSTEM, reason);
    }

    public String path() {
        return path;
    }

    public int errno() {
        return errno;
    }

    /**
     * True when the command is missing or cannot be executed (what execve says about the file: ENOENT, EACCES,
     * ENOEXEC, ...); false when the system failed the spawn (EMFILE, ENOMEM, EAGAIN, a spawn attribute, ...).
     */
    public boolean commandProblem() {
        return notFound() || errno == Posix.EACCES || errno == Posix.ENOEXEC || errno == Posix.EISDIR
                || errno == Posix.EPERM || errno == Posix.ETXTBSY || errno == Posix.E2BIG || errno == Posix.ELIBBAD;
    }

    /** 127 when there is nothing to run at that path, 126 when it cannot be executed, 125 when the spawn failed. */
    public int exitCode() {
        return notFound() ? 127 : commandProblem() ? 126 : 125;
    }

    public boolean notFound() {
        return errno == Posix.ENOENT || errno == Posix.ENOTDIR || errno == Posix.ENAMETOOLONG || errno == Posix.ELOOP;
    }

    /**
     * One line for the operator: {@code /etc: not executable (permission denied)}, or, when the command is not to
     * blame, {@code spawn failed: posix_spawnp: too many open files (not a problem of the command)}.
     */
    public String describe() {
        if (!commandProblem()) {
            return "spawn failed: " + path + ": " + reason + " (not a problem of the command)";
        }
        return path + ": " + (notFound() ? "not found" : "not executable") + " (" + reason + ")";
    }
}
