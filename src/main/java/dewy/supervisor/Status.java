package dewy.supervisor;

import java.util.List;

/**
 * What operators may read about dewy (admin endpoints, status file): an immutable snapshot the loop publishes
 * after every event that changed it. Readers on other threads never touch the supervisor itself.
 *
 * @param ready    the newest generation is ready and dewy is not draining: what /readyz answers
 * @param alive    a generation is running: what /healthz answers
 * @param current  the serving generation's number, 0 when none
 */
public record Status(int pid, String phase, boolean draining, boolean ready, boolean alive, int restarts,
                     int crashRestarts, int current, List<Gen> generations) {
    public Status {
        generations = List.copyOf(generations);
    }

    /** One generation; readyMillis is -1 until it is ready. */
    public record Gen(int generation, int pid, String state, long startedMillis, long readyMillis, String statusText) {
    }
}
