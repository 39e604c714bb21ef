package dev.dewy.app;

import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.Optional;

/**
 * One listening socket the supervisor passed.
 *
 * @param name    its name: the {@code LISTEN_FDNAMES} entry (dewy: the spec with each {@code :} as {@code _}), else the
 *                {@code SERVER_STARTER_PORT} spec
 * @param spec    the {@code SERVER_STARTER_PORT} spec as the supervisor was given it ({@code 127.0.0.1:8080},
 *                {@code 8080}, {@code /run/app.sock}), or null when only {@code LISTEN_FDS} named it
 * @param fd      its descriptor in this process
 * @param address where it listens, from the spec or, on fd 0, from the channel itself; null when unknown
 *                (a socket from systemd's {@code LISTEN_FDS}, or an abstract unix name)
 */
public record Listener(String name, String spec, int fd, SocketAddress address) {
    /**
     * The JDK channel of this socket. Pure Java can only adopt the socket on fd 0 ({@link System#inheritedChannel()},
     * which Tomcat's {@code useInheritedChannel} and Jetty's {@code setInheritChannel} use too): give dewy
     * {@code --port SPEC=0}. For other descriptors this is empty.
     */
    public Optional<ServerSocketChannel> channel() {
        return fd == 0 ? Listeners.inheritedServerChannel() : Optional.empty();
    }
}
