package dewy.supervisor;

import dewy.cli.RestartPolicy;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The crash policy, Erlang/OTP's restart intensity: at most {@code --max-restarts} crash restarts within
 * {@code --restart-window}, then dewy gives up and lets its own supervisor (Kubernetes, systemd) act. The backoff
 * doubles with each crash still in the window, so a run longer than the window resets it. Spawns that fail for a
 * reason other than the command count as crashes too: dewy retries them the same way, and gives up the same way.
 */
final class CrashPolicy {
    private final RestartPolicy policy;
    private final Deque<Long> crashes = new ArrayDeque<>();
    private int total;

    CrashPolicy(RestartPolicy policy) {
        this.policy = policy;
    }

    /** Records a crash; returns how long to wait before the restart, or -1 when the limit is reached. */
    long onCrash(long now) {
        long window = policy.window().toNanos();
        while (!crashes.isEmpty() && now - crashes.peekFirst() >= window) {
            crashes.removeFirst();
        }
        int recent = crashes.size();
        if (policy.maxRestarts() > 0 && recent >= policy.maxRestarts()) {
            return -1;
        }
        crashes.addLast(now);
        total++;
        long delay = policy.delay().toNanos();
        long cap = RestartPolicy.MAX_DELAY.toNanos();
        for (int i = 0; i < recent && delay < cap; i++) {
            delay *= 2;
        }
        return Math.min(delay, Math.max(cap, policy.delay().toNanos()));
    }

    /** Crashes within the window right now. */
    int recent() {
        return crashes.size();
    }

    /** Crash restarts since dewy started. */
    int total() {
        return total;
    }
}
