package dewy.supervisor;

import java.util.ArrayList;
import java.util.List;

/**
 * One reason to start a generation: the first start, a USR1, a crash, a deploy or a rollback. Every one is
 * completed exactly once: it succeeded (a generation it asked for is ready), or it failed or was abandoned, and
 * why. A request that arrives while another has not spawned yet joins it: one new generation serves both.
 */
final class RestartRequest {
    enum Reason {
        START("start"), USR1("USR1"), CRASH("crash"), DEPLOY("deploy"), ROLLBACK("rollback");

        final String label;

        Reason(String label) {
            this.label = label;
        }
    }

    /** Hears how a request ended (tests, the deploy's outcome). */
    interface Completion {
        Completion NONE = (request, ok, why) -> { };

        void completed(RestartRequest request, boolean ok, String why);
    }

    final Reason reason;
    /** The deploy's steps, for {@link Reason#DEPLOY} only. */
    final Deployment deployment;
    private final Completion completion;
    /** A crash restart waits out its backoff: not before this (monotonic nanos), or NONE. */
    long notBefore = Deadlines.NONE;
    /** Requests served by the same new generation. */
    final List<RestartRequest> joined = new ArrayList<>();
    private boolean done;
    private boolean ok;
    private String why;

    RestartRequest(Reason reason, Deployment deployment, Completion completion) {
        this.reason = reason;
        this.deployment = deployment;
        this.completion = completion;
    }

    static RestartRequest of(Reason reason) {
        return new RestartRequest(reason, null, Completion.NONE);
    }

    boolean done() {
        return done;
    }

    boolean succeeded() {
        return done && ok;
    }

    String why() {
        return why;
    }

    /** Completes this request (once; later calls do nothing). Joined requests are the caller's to settle. */
    void complete(boolean success, String reasonText) {
        if (done) {
            return;
        }
        done = true;
        ok = success;
        why = reasonText;
        completion.completed(this, success, reasonText);
    }

    @Override
    public String toString() {
        return reason.label + (done ? (ok ? " (ok)" : " (failed: " + why + ")") : "");
    }
}
