package dewy.posix;

/** The command could not be started. Carries the shell's exit code for it: 127 not found, 126 not executable. */
public final class SpawnException extends Exception {
    private final String path;
    private final int errno;

    public SpawnException(String path, int errno, String reason) {
        super(path + ": " + reason);
        this.path = path;
        this.errno = errno;
    }

    public String path() {
        return path;
    }

    public int errno() {
        return errno;
    }

    /** 127 when there is nothing to run at that path, 126 when something is there but cannot be executed. */
    public int exitCode() {
        return notFound() ? 127 : 126;
    }

    public boolean notFound() {
        return errno == Posix.ENOENT || errno == Posix.ENOTDIR || errno == Posix.ENAMETOOLONG || errno == Posix.ELOOP;
    }

    /** One line for the operator: {@code /etc: not executable (permission denied)}. */
    public String describe() {
        return path + ": " + (notFound() ? "not found" : "not executable") + " (" + super.getMessage()
                .substring(path.length() + 2) + ")";
    }
}
