package dewy.supervisor;

/**
 * What the supervisor tells the rest of dewy (the deploy scheduler, the notifiers). Called on the loop's thread:
 * an implementation must return at once (enqueue, set a flag), never wait on the network.
 */
public interface Lifecycle {
    Lifecycle NONE = new Lifecycle() {
    };

    /** A drain began. Called first, before the application hears of it: the scheduler stops here. */
    default void draining(String signal) {
    }

    /**
     * A generation became ready.
     *
     * @param reason start, USR1, crash, deploy or rollback
     * @param first  no generation had served before (the server started, rather than restarted)
     */
    default void serving(int generation, int pid, String reason, boolean first) {
    }

    /** A restart or a new generation failed; {@code why} is one line. The running generation, if any, serves on. */
    default void restartFailed(String reason, String why) {
    }
}
