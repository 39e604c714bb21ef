package dewy.posix;

/**
 * A process could not be started. Either the command itself is the problem (missing: the shell's 127, not
 * executable: 126), which starting again will not mend, or the spawn failed for another reason (EMFILE, ENOMEM,
 * EAGAIN, a NOTIFY_SOCKET that cannot be made, a failed posix_spawnattr call), which a later try may not hit.
 */
public final class SpawnException extends Exception {
    /** errno of a failure that is not about the command; {@link #commandProblem()} is false. */
    private static final int SYSTEM = -1;

    private final String path;
    private final int errno;

    public SpawnException(String path, int errno, String reason) {
        super(path + ": " + reason);
        this.path = path;
        this.errno = errno;
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

    /** True when the command is missing or cannot be executed; false when the system failed the spawn. */
    public boolean commandProblem() {
        return notFound() || errno == Posix.EACCES || errno == Posix.ENOEXEC || errno == Posix.EISDIR
                || errno == Posix.EPERM;
    }

    /** 127 when there is nothing to run at that path, 126 when it cannot be executed, 125 when dewy failed. */
    public int exitCode() {
        return notFound() ? 127 : commandProblem() ? 126 : 125;
    }

    public boolean notFound() {
        return errno == Posix.ENOENT || errno == Posix.ENOTDIR || errno == Posix.ENAMETOOLONG || errno == Posix.ELOOP;
    }

    /** One line for the operator: {@code /etc: not executable (permission denied)}, {@code spawn failed: ...}. */
    public String describe() {
        String reason = super.getMessage().substring(path.length() + 2);
        if (!commandProblem()) {
            return "spawn failed: " + path + ": " + reason;
        }
        return path + ": " + (notFound() ? "not found" : "not executable") + " (" + reason + ")";
    }
}
