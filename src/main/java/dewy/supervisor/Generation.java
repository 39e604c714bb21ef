package dewy.supervisor;

/** One start of the application and what the supervisor knows about it. Owned by the loop's thread. */
final class Generation {
    enum State { STARTING, READY, STOPPING }

    static final long NONE = Long.MIN_VALUE;

    final int number;
    final int pid;
    final long startedNanos;
    final long startedMillis;
    /** start, USR1, crash, deploy: for the log and /status. */
    final String reason;
    final NotifyChannel notify;

    State state = State.STARTING;
    boolean exited;
    long readyMillis = -1;
    /** STARTING: when dewy stops waiting for readiness. */
    long readyDeadline = NONE;
    /** {@code --ready delay:D}: when it counts as ready if still alive. */
    long delayReadyAt = NONE;
    /** {@code --ready exec:CMD}: the running check's pid (0 when none) and when the next one starts. */
    int checkPid;
    long nextCheck = NONE;
    /** STOPPING: when it gets KILL, then when dewy gives up on it. */
    long stopDeadline = NONE;
    boolean killSent;
    /** The application said STOPPING=1. */
    boolean announcedStopping;
    String statusText;

    Generation(int number, int pid, long startedNanos, long startedMillis, String reason, NotifyChannel notify) {
        this.number = number;
        this.pid = pid;
        this.startedNanos = startedNanos;
        this.startedMillis = startedMillis;
        this.reason = reason;
        this.notify = notify;
    }

    boolean serving() {
        return !exited && state != State.STOPPING;
    }
}
