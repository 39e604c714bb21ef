package dev.dewy.app;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The listening sockets a supervisor passed to this process, from the variables dewy sets for each generation
 * (README "What each generation gets"), which are also go-server-starter's and systemd's:
 * <ul>
 * <li>{@code SERVER_STARTER_PORT=SPEC=FD;SPEC=FD...}: every socket, fd 0 included;
 * <li>{@code LISTEN_FDS=N} (fds 3 to 3+N-1) with {@code LISTEN_FDNAMES}; honoured only when {@code LISTEN_PID} is
 * unset or this process, as libsystemd's {@code sd_listen_fds} does;
 * <li>fd 0 when it is a listening socket ({@link System#inheritedChannel()}), with or without variables.
 * </ul>
 */
public final class Listeners {
    private final List<Listener> all;

    private Listeners(List<Listener> all) {
        this.all = List.copyOf(all);
    }

    /** This process's sockets: its environment, and fd 0. */
    public static Listeners fromEnvironment() {
        Listeners env = of(System.getenv(), ProcessHandle.current().pid());
        if (env.onFd(0).isEmpty()) {
            Optional<ServerSocketChannel> ch = inheritedServerChannel();
            if (ch.isPresent()) {
                List<Listener> more = new ArrayList<>(env.all);
                more.add(0, new Listener("fd0", null, 0, localAddress(ch.get())));
                return new Listeners(more);
            }
        }
        return env;
    }

    /** The sockets the given variables describe for process {@code pid} (fd 0's address is looked up if it is one). */
    public static Listeners of(Map<String, String> env, long pid) {
        Map<Integer, Listener> byFd = new TreeMap<>();
        String ssp = env.get("SERVER_STARTER_PORT");
        if (ssp != null) {
            for (String entry : ssp.split(";")) {
                int eq = entry.lastIndexOf('=');
                if (eq <= 0) {
                    continue;
                }
                try {
                    int fd = Integer.parseInt(entry.substring(eq + 1));
                    String spec = entry.substring(0, eq);
                    byFd.put(fd, new Listener(spec, spec, fd, fd == 0 ? null : address(spec)));
                } catch (NumberFormatException e) {
                    // not SPEC=FD: skip it, as go-server-starter does
                }
            }
        }
        int count = listenFds(env, pid);
        String[] names = env.getOrDefault("LISTEN_FDNAMES", "").split(":", -1);
        for (int i = 0; i < count; i++) {
            int fd = 3 + i;
            String name = i < names.length && !names[i].isEmpty() ? names[i] : "unknown";
            Listener known = byFd.get(fd);
            byFd.put(fd, known == null ? new Listener(name, null, fd, null)
                    : new Listener(name, known.spec(), fd, known.address()));
        }
        Listener zero = byFd.get(0);
        if (zero != null) {
            SocketAddress a = inheritedServerChannel().map(Listeners::localAddress).orElse(address(zero.spec()));
            byFd.put(0, new Listener(zero.name(), zero.spec(), 0, a));
        }
        return new Listeners(new ArrayList<>(byFd.values()));
    }

    private static int listenFds(Map<String, String> env, long pid) {
        try {
            String owner = env.get("LISTEN_PID");
            if (owner != null && !owner.isEmpty() && Long.parseLong(owner) != pid) {
                return 0;
            }
            return Math.max(0, Integer.parseInt(env.getOrDefault("LISTEN_FDS", "0")));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Every socket, by descriptor. */
    public List<Listener> all() {
        return all;
    }

    public boolean isEmpty() {
        return all.isEmpty();
    }

    /** The socket named {@code name} ({@code LISTEN_FDNAMES}, or the spec, as {@link Listener#name()}). */
    public Optional<Listener> named(String name) {
        return all.stream().filter(l -> name.equals(l.name()) || name.equals(l.spec())).findFirst();
    }

    /** The socket on {@code address}; a TCP port alone matches a socket on that port whatever its address. */
    public Optional<Listener> at(SocketAddress address) {
        return all.stream().filter(l -> address.equals(l.address())).findFirst()
                .or(() -> address instanceof InetSocketAddress want ? all.stream()
                        .filter(l -> l.address() instanceof InetSocketAddress a && a.getPort() == want.getPort())
                        .findFirst() : Optional.empty());
    }

    /** The socket on descriptor {@code fd}. */
    public Optional<Listener> onFd(int fd) {
        return all.stream().filter(l -> l.fd() == fd).findFirst();
    }

    /** The socket on fd 0, the one pure Java can serve ({@link Listener#channel()}). */
    public Optional<Listener> inherited() {
        return onFd(0);
    }

    /** {@link System#inheritedChannel()} when it is a listening socket (dewy's {@code --port SPEC=0}). */
    static Optional<ServerSocketChannel> inheritedServerChannel() {
        try {
            Channel ch = System.inheritedChannel();
            return ch instanceof ServerSocketChannel s && s.isOpen() ? Optional.of(s) : Optional.empty();
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    private static SocketAddress localAddress(ServerSocketChannel ch) {
        try {
            return ch.getLocalAddress();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * dewy's and server-starter's spec forms: {@code 8080}, {@code :8080} (every address), {@code HOST:8080},
     * {@code [::1]:8080}, {@code /path.sock}; null for an abstract name ({@code @name}) or anything else.
     */
    static SocketAddress address(String spec) {
        if (spec == null || spec.isEmpty() || spec.startsWith("@")) {
            return null;
        }
        if (spec.startsWith("/")) {
            return UnixDomainSocketAddress.of(spec);
        }
        try {
            int colon = spec.lastIndexOf(':');
            if (colon < 0) {
                return new InetSocketAddress(Integer.parseInt(spec));
            }
            int port = Integer.parseInt(spec.substring(colon + 1));
            String host = spec.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return all.toString();
    }
}
