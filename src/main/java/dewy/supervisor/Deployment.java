package dewy.supervisor;

import dewy.log.Log;
import dewy.posix.SpawnException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One rollout's steps on the loop, before its restart: the before-hook, moving the staged release into place and
 * swapping {@code current}, the after-hook. Then the restart (the {@link Restarts} coordinator's), and the
 * outcome. Whatever ends it early (a hook, readiness, a drain) puts {@code current} back first.
 *
 * <pre>
 *   BEFORE_HOOK --0--> (commit, swap) --> AFTER_HOOK --0--> RESTART --ready--> DONE (deployed)
 *   any --failure or drain--> current restored --> DONE (failed or abandoned)
 * </pre>
 * Between the swap and the after-hook's approval current names a release nobody approved: HUP is held then (an
 * application that reloads on HUP would load it), and no restart spawns (a USR1 or a crash waits for the verdict).
 */
final class Deployment {
    enum Stage { BEFORE_HOOK, AFTER_HOOK, RESTART, DONE }

    /** What the deployment needs from the loop: its hooks run as loop tasks. */
    interface Hooks {
        /** Starts {@code sh -c command}; {@code exit} gets its status on the loop's thread. */
        void run(String name, String command, List<String> env, java.time.Duration timeout,
                 java.util.function.IntConsumer exit) throws SpawnException;
    }

    final Request.Rollout request;
    private final ReleaseLink link;
    private Stage stage = Stage.BEFORE_HOOK;
    private Path release;
    private Path previous;
    private boolean swapped;
    /** Bumped whenever the stage changes, so a late hook exit of an ended stage is ignored. */
    private int turn;

    Deployment(Request.Rollout request, ReleaseLink link) {
        this.request = request;
        this.link = link;
    }

    String version() {
        return request.version();
    }

    Stage stage() {
        return stage;
    }

    /** current names this release and no after-hook has approved it yet. */
    boolean unapproved() {
        return swapped && stage == Stage.AFTER_HOOK;
    }

    /**
     * Runs the steps up to the restart. {@code ready} runs when the release is in place and approved (the restart
     * may begin); {@code failed} when a step failed (current is already back).
     */
    void prepare(Hooks hooks, Runnable ready, java.util.function.Consumer<String> failed) {
        if (request.beforeHook() == null) {
            putInPlace(hooks, ready, failed);
            return;
        }
        turn++;
        hook(hooks, "before-deploy-hook", request.beforeHook(), null, code -> {
            if (code != 0) {
                failed.accept("before-deploy-hook failed with " + code);
            } else {
                putInPlace(hooks, ready, failed);
            }
        }, failed);
    }

    private void putInPlace(Hooks hooks, Runnable ready, java.util.function.Consumer<String> failed) {
        try {
            release = link.commit(request.staged(), request.version());
            previous = link.swap(release);
            swapped = true;
        } catch (IOException | RuntimeException e) {
            failed.accept("cannot put " + request.version() + " in place: " + e.getMessage());
            return;
        }
        Log.info("current swapped", "version", request.version(), "release", release, "previous",
                String.valueOf(previous));
        if (request.afterHook() == null) {
            stage = Stage.RESTART;
            turn++;
            ready.run();
            return;
        }
        stage = Stage.AFTER_HOOK;
        turn++;
        hook(hooks, "after-deploy-hook", request.afterHook(), release, code -> {
            if (code != 0) {
                failed.accept("after-deploy-hook failed with " + code);
            } else {
                stage = Stage.RESTART;
                turn++;
                ready.run();
            }
        }, failed);
    }

    private void hook(Hooks hooks, String name, String command, Path dir, java.util.function.IntConsumer then,
                      java.util.function.Consumer<String> failed) {
        List<String> env = new ArrayList<>(request.hookEnv());
        env.add("DEWY_HOOK=" + name);
        if (dir != null) {
            env.add("DEWY_RELEASE_DIR=" + dir.toAbsolutePath());
        }
        int at = turn;
        try {
            hooks.run(name, command, env, request.hookTimeout(), code -> {
                if (at != turn || stage == Stage.DONE) {
                    return; // the deploy ended meanwhile (a drain): its verdict no longer matters
                }
                request.listener().hookExited(name, code);
                then.accept(code);
            });
        } catch (SpawnException e) {
            Log.error("cannot run " + name, "error", e.describe());
            request.listener().hookExited(name, 127);
            failed.accept("cannot run " + name + ": " + e.describe());
        }
    }

    /** The new release serves. */
    void deployed() {
        finish(Request.Result.DEPLOYED, "ready");
    }

    /** It failed: current goes back first, then the scheduler hears why. */
    void failed(String why) {
        finish(Request.Result.FAILED, why);
    }

    /** dewy is stopping: current goes back to the approved release, and the release is not to blame. */
    void abandoned(String why) {
        finish(Request.Result.ABANDONED, why);
    }

    /** Whether current named an older release before (else a failed first release leaves nothing to run). */
    boolean hadPrevious() {
        return previous != null;
    }

    private void finish(Request.Result result, String why) {
        if (stage == Stage.DONE) {
            return;
        }
        stage = Stage.DONE;
        turn++;
        if (swapped && result != Request.Result.DEPLOYED) {
            try {
                link.restore(previous);
                Log.info("current restored", "release", String.valueOf(previous));
            } catch (IOException | RuntimeException e) {
                Log.error("cannot put current back", "release", String.valueOf(previous), "error", e.getMessage());
            }
            swapped = false;
        }
        request.outcome().complete(new Request.Outcome(result, why,
                result == Request.Result.DEPLOYED || release != null ? release : null, previous));
    }
}
