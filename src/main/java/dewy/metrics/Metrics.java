package dewy.metrics;

/**
 * What dewy counts for {@code /metrics}. The loop, the deploy scheduler and the notifiers' threads call it; each call
 * must be cheap, thread-safe and never block. {@link #NONE} without {@code --admin}: the Prometheus client is then
 * never loaded. Gauges of the state (generations, dewy's RSS and CPU) are read at scrape time instead.
 */
public interface Metrics {
    Metrics NONE = new Metrics() {
    };

    /** A signal reached dewy's loop ({@code SIGUSR1}, ...). */
    default void signal(String name) {
    }

    /** A restart began: {@code USR1}, {@code deploy}, {@code crash} or {@code rollback}. */
    default void restartBegun(String reason) {
    }

    /** The application crashed (exited or hung while serving); {@code backoffSeconds} until its restart. */
    default void crashed(double backoffSeconds) {
    }

    /** The crash backoff ended (the restart began). */
    default void backoffEnded() {
    }

    /** A new generation became ready this long after its spawn. */
    default void generationReady(double seconds) {
    }

    /** An old generation stopped this long after its stop signal; {@code killed}: SIGKILL ended it. */
    default void generationDrained(double seconds, boolean killed) {
    }

    /** A deploy ended: {@code deployed}, {@code failed}, {@code rolled_back} or {@code abandoned}. */
    default void deploy(String result) {
    }

    /** A registry check ended: {@code ok}, or the kind of error ({@code registry}, {@code download}, ...). */
    default void registryCheck(String result) {
    }

    /** One notification to {@code notifier}: delivered or not. */
    default void notification(String notifier, boolean delivered) {
    }
}
