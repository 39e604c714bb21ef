package dewy.posix;

/** Decodes the status word of waitpid(2) the way shells report it. */
public final class WaitStatus {
    private WaitStatus() {
    }

    public static boolean exited(int status) {
        return (status & 0x7f) == 0;
    }

    public static boolean signaled(int status) {
        int sig = status & 0x7f;
        return sig != 0 && sig != 0x7f;
    }

    public static int exitCode(int status) {
        return (status >> 8) & 0xff;
    }

    public static int termSignal(int status) {
        return status & 0x7f;
    }

    /** The exit code a shell would give: the process's own code, or 128 + the signal that killed it. */
    public static int shellCode(int status) {
        return signaled(status) ? 128 + termSignal(status) : exitCode(status);
    }

    /** {@code exited with 3}, {@code killed by SIGTERM}. */
    public static String describe(int status) {
        if (signaled(status)) {
            return "killed by " + Signals.name(termSignal(status)) + ((status & 0x80) != 0 ? " (core dumped)" : "");
        }
        return "exited with " + exitCode(status);
    }

    /** Builds a status word, for tests and fakes. */
    public static int ofExit(int code) {
        return (code & 0xff) << 8;
    }

    public static int ofSignal(int signal) {
        return signal & 0x7f;
    }
}
