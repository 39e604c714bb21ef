package dewy.supervisor;

import java.util.List;

/**
 * What operators may read about dewy (admin endpoints, status file): an immutable snapshot the loop publishes
 * after every event that changed it. Readers on other threads never touch the supervisor itself.
 *
 * @param ready    the newest generation is ready and dewy is not draining: what /readyz answers
 * @param alive    a generation is running: what /healthz answers
 * @param current  the serving generation's number, 0 when none
 * @param reload   the USR1 reloads, for systemd's {@code Type=notify-reload}
 */
public record Status(int pid, String phase, boolean draining, boolean ready, boolean alive, int restarts,
                     int crashRestarts, int current, List<Gen> generations, Reload reload) {
    public Status {
        generations = List.copyOf(generations);
    }

    /**
     * USR1 reloads: how many have begun, whether one is under way, when the one under way (or the last) began
     * ({@code CLOCK_MONOTONIC}, µs), and why the last one failed (null when it worked or is under way). USR1s that
     * arrive while one is under way belong to it.
     */
    public record Reload(int begun, boolean underWay, long startedUsec, String failure) {
        public static final Reload NONE = new Reload(0, false, 0, null);
    }

    /** One generation; readyMillis is -1 until it is ready. */
    public record Gen(int generation, int pid, String state, long startedMillis, long readyMillis, String statusText) {
    }
}
