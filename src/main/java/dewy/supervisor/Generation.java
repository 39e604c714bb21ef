package dewy.supervisor;

/**
 * One generation of the application: its main process (which leads its own process group), and where it is in
 * its life. Every state has a name and at most one deadline, set together in {@link #enter} (systemd's
 * {@code service_set_state}). Owned by the loop's thread.
 *
 * <pre>
 *   STARTING --ready--> READY --replaced or drained--> STOPPING --grace over--> KILLED --kill wait over--> dropped
 *   STARTING --not ready in time, or exited--> STOPPING (its leftovers) ...
 * </pre>
 * The main process exiting ({@link #exited}) is orthogonal: a generation stays in the table while its process
 * group has members, so that a sequential restart never starts the next one beside the last one's leftovers.
 */
final class Generation {
    enum State {
        /** Spawned, not ready yet. Deadline: --ready-timeout (and the readiness probe's own timers). */
        STARTING,
        /** Serving. No deadline. */
        READY,
        /** Asked to stop (the restart or stop signal, or its leader is gone). Deadline: the grace period's end. */
        STOPPING,
        /** SIGKILLed. Deadline: when dewy stops waiting for an unkillable process. */
        KILLED
    }

    static final long NONE = Long.MIN_VALUE;

    final int number;
    final int pid;
    final long startedNanos;
    final long startedMillis;
    /** start, USR1, crash, deploy, rollback: for the log, /status and the notifications. */
    final String reason;
    final NotifyChannel notify;
    /** {@code --proxy}: the loopback port this generation binds (its PORT), else 0. */
    int backendPort;

    private State state = State.STARTING;
    private long deadline = NONE;
    /** The main process was reaped; its group may still have members. */
    boolean exited;
    /** Its shell exit code once {@link #exited}. */
    int exitCode;
    boolean notifyClosed;
    long readyMillis = -1;
    /** STARTING with {@code --ready delay:D}: when it counts as ready if still alive. */
    long delayReadyAt = NONE;
    /** STARTING with {@code --ready exec:CMD}: the running probe's pid (0 when none), and when the next starts. */
    int checkPid;
    long nextCheck = NONE;
    /** When it got its stop signal (a restart's, a drain's), NONE before: how long its drain took. */
    long stopSince = NONE;
    /** The application said STOPPING=1. */
    boolean announcedStopping;
    /**
     * The relayed watchdog, armed by its first WATCHDOG=1: ready and no WATCHDOG=1 by then means it hangs (NONE: it
     * never pinged).
     */
    long watchdogDeadline = NONE;
    String statusText;

    Generation(int number, int pid, long startedNanos, long startedMillis, String reason, NotifyChannel notify) {
        this.number = number;
        this.pid = pid;
        this.startedNanos = startedNanos;
        this.startedMillis = startedMillis;
        this.reason = reason;
        this.notify = notify;
    }

    /** The one place a generation changes state: the new state and its deadline (NONE: none). */
    void enter(State next, long nextDeadline) {
        state = next;
        deadline = nextDeadline;
        if (next != State.STARTING) {
            delayReadyAt = NONE;
            nextCheck = NONE;
        }
    }

    State state() {
        return state;
    }

    long deadline() {
        return deadline;
    }

    /** Drops the state's deadline: a drain's own deadline rules every generation at once. */
    void clearDeadline() {
        deadline = NONE;
    }

    /** Its main process runs and it has not been asked to stop: it serves, or will once ready. */
    boolean serving() {
        return !exited && (state == State.STARTING || state == State.READY);
    }

    boolean starting() {
        return !exited && state == State.STARTING;
    }

    boolean ready() {
        return !exited && state == State.READY;
    }

    /** The earliest moment something is due for this generation, or NONE. */
    long nextDeadline() {
        long next = deadline;
        if (ready()) {
            next = Deadlines.earliest(next, watchdogDeadline);
        }
        if (starting()) {
            next = Deadlines.earliest(next, delayReadyAt);
            next = Deadlines.earliest(next, checkPid == 0 ? nextCheck : NONE);
        } else if (state == State.STARTING) {
            next = NONE; // exited while starting: its leftovers have their own STOPPING deadline
        }
        return next;
    }

    @Override
    public String toString() {
        return "generation " + number + " (pid " + pid + ", " + state.name().toLowerCase(java.util.Locale.ROOT)
                + (exited ? ", exited" : "") + ")";
    }
}
