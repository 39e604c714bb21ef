package dewy.supervisor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Work another thread asks of the loop through the {@link Inbox}: the loop owns every child process and current. */
public sealed interface Request {

    /**
     * A release the deploy scheduler fetched, verified and unpacked into {@code staged}. Everything else is the
     * loop's: the before-hook, moving it into place, the {@code current} swap, the after-hook, the restart,
     * readiness, the rollback and the outcome.
     *
     * @param hookEnv the hooks' DEWY_* variables; the loop adds DEWY_HOOK and, for the after-hook, DEWY_RELEASE_DIR
     * @param listener told of each hook's status as it ends, on the loop's thread (it must not block)
     */
    record Rollout(String version, Path staged, String beforeHook, String afterHook, List<String> hookEnv,
                   Duration hookTimeout, HookListener listener, CompletableFuture<Outcome> outcome)
            implements Request {
        public Rollout {
            hookEnv = List.copyOf(hookEnv);
        }
    }

    /** {@code --proxy}: the HTTP readiness check of {@code generation}'s own port passed. */
    record Healthy(int generation) implements Request {
    }

    /** Hears a deploy hook's status as soon as it is known (notifications go out in order). */
    interface HookListener {
        HookListener NONE = (hook, code) -> { };

        void hookExited(String hook, int code);
    }

    /** How a rollout ended. */
    enum Result {
        /** The release serves and current names it. */
        DEPLOYED,
        /** A hook failed, it could not be put in place, or it did not get ready: current names the old release. */
        FAILED,
        /** dewy is stopping: current names the old release, and the release is not to blame. */
        ABANDONED
    }

    /**
     * @param release  the release's directory once it was moved into place, else null (then {@code staged} is
     *                 still there, for the scheduler to remove)
     * @param previous what current named before, or null
     */
    record Outcome(Result result, String why, Path release, Path previous) {
        public boolean ready() {
            return result == Result.DEPLOYED;
        }
    }
}
