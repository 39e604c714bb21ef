package dewy.supervisor;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Work another thread asks of the loop through the {@link Inbox}: the loop owns every child process. */
public sealed interface Request {

    /**
     * Restart onto a release that is already in place (the deploy's {@code current} swap), the USR1 way.
     * {@code rollback} runs on the loop's thread as soon as the new generation has failed, before anything is
     * started again, so a restart after it (sequential mode, crash policy) runs the old release.
     */
    record Rollout(String version, Runnable rollback, CompletableFuture<Outcome> outcome) implements Request {
    }

    /** A short-lived command such as a deploy hook: {@code /bin/sh -c command}; completes with its shell status. */
    record Task(String name, String command, List<String> env, Duration timeout, CompletableFuture<Integer> exit)
            implements Request {
    }

    /** How a rollout ended. */
    record Outcome(boolean ready, String why) {
        static Outcome ok() {
            return new Outcome(true, "ready");
        }

        static Outcome failed(String why) {
            return new Outcome(false, why);
        }
    }
}
