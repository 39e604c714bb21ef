package dewy.container;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** What dewy asks of a container engine; {@link DockerEngine} in dewy, a fake in the rolling-update tests. */
interface Engine {
    /** One container to create: its name, the pinned image, its environment, labels and run options. */
    record Spec(String name, String image, List<String> env, Map<String, String> labels, List<String> command,
                RunOptions options) {
        public Spec {
            env = List.copyOf(env);
            labels = Map.copyOf(labels);
            command = List.copyOf(command);
        }
    }

    /** A container the engine listed, with its labels. */
    record Listed(String id, String name, Map<String, String> labels) {
    }

    /** Pulls {@code REGISTRY/REPO@sha256:...}. */
    void pull(String reference) throws IOException;

    /** Creates (does not start) a container; returns its id. */
    String create(Spec spec) throws IOException;

    void start(String id) throws IOException;

    /** Whether the container is running now (false once it exited, or when it is gone). */
    boolean running(String id) throws IOException;

    /** The stop signal, then the engine's kill after {@code timeout}; a stopped or missing container is fine. */
    void stop(String id, Duration timeout) throws IOException;

    /** Removes the container (forced); a missing one is fine. */
    void remove(String id) throws IOException;

    /** Every container, running or not, that carries all of {@code labels}. */
    List<Listed> list(Map<String, String> labels) throws IOException;
}
