package dewy.container;

import dewy.log.Log;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * {@code dewy container}, parsed once ({@link ContainerCommandLine}) and passed down.
 *
 * @param registry         {@code img://REGISTRY/REPO[?...]}
 * @param calver           {@code --calver FORMAT}, or null
 * @param name             the application's name: the {@code dewy.app} label and the containers' name prefix
 * @param proxy            where dewy's TCP proxy listens (the public port)
 * @param healthPath       {@code GET} path that must answer 2xx/3xx on a new replica's port; null: a TCP connect
 * @param stopTimeout      from the engine's stop signal to its kill, for a replica leaving
 * @param runOptions       what followed {@code --}: the engine's run options dewy understands
 * @param command          {@code --cmd}: the container's command (the image's CMD when empty)
 */
public record ContainerConfig(String registry, String calver, String name, InetSocketAddress proxy, int replicas, String healthPath,
                              Duration healthTimeout, Duration drainTime, Duration stopTimeout, String runtime,
                              Duration proxyIdleTimeout, Duration interval, RunOptions runOptions,
                              List<String> command, List<String> notifiers, Log.Level logLevel,
                              Log.Format logFormat) {
    public ContainerConfig {
        command = List.copyOf(command);
        notifiers = List.copyOf(notifiers);
    }
}
