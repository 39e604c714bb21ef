package dewy.container;

import java.util.List;

/**
 * The rolling update's view of the proxy: it asks, the owner of the lifecycle publishes ({@link Fleet} on its
 * loop in dewy, a recorder in tests). Each call returns once the proxy sends new connections accordingly.
 */
interface Backends {
    /** Adds a healthy replica to the proxy's backends. */
    void serve(Replica replica) throws InterruptedException;

    /** Takes replicas out: new connections no longer go to them, connections they have stay. */
    void retire(List<Replica> replicas) throws InterruptedException;

    /** Open proxy connections to {@code replica} (0 once drained). */
    int connections(Replica replica);
}
