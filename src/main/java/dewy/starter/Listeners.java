package dewy.starter;

import dewy.posix.Posix;
import dewy.posix.SockAddr;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Opens the {@code --port} sockets once, for the whole life of dewy: every generation gets the same ones. */
public final class Listeners {
    private Listeners() {
    }

    /** A socket that cannot be opened; the message names the entry and the reason, for a one-line error. */
    public static final class OpenException extends Exception {
        public OpenException(String message) {
            super(message);
        }
    }

    /**
     * The application's descriptor for each spec: the chosen ones as given, the rest 3, 4, ... skipping the taken.
     *
     * @throws IllegalArgumentException when two entries want the same descriptor or the same address
     */
    public static int[] plan(List<ListenSpec> specs) {
        Set<Integer> taken = new HashSet<>();
        for (ListenSpec s : specs) {
            if (s.fd() != ListenSpec.AUTO && !taken.add(s.fd())) {
                throw new IllegalArgumentException("descriptor " + s.fd() + " is chosen twice");
            }
        }
        int[] fds = new int[specs.size()];
        int next = StarterEnv.SD_LISTEN_FDS_START;
        for (int i = 0; i < specs.size(); i++) {
            int fd = specs.get(i).fd();
            if (fd == ListenSpec.AUTO) {
                while (taken.contains(next)) {
                    next++;
                }
                fd = next;
                taken.add(fd);
            }
            fds[i] = fd;
        }
        return fds;
    }

    /**
     * The sockets systemd passed to dewy itself (socket activation): descriptors 3 .. 3+LISTEN_FDS-1 when
     * LISTEN_PID is dewy's pid, named by LISTEN_FDNAMES. They come first, before the {@code --port} ones.
     *
     * @return one spec per inherited socket, its {@code fd} field holding dewy's descriptor; empty when none
     */
    public static List<ListenSpec> inherited(java.util.Map<String, String> env, int pid) {
        String listenPid = env.get("LISTEN_PID");
        String count = env.get("LISTEN_FDS");
        if (listenPid == null || count == null || !listenPid.trim().equals(Integer.toString(pid))
                || !count.trim().matches("[0-9]{1,3}")) {
            return List.of();
        }
        int n = Integer.parseInt(count.trim());
        String[] names = env.getOrDefault("LISTEN_FDNAMES", "").split(":", -1);
        List<ListenSpec> specs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int fd = StarterEnv.SD_LISTEN_FDS_START + i;
            String name = i < names.length && !names[i].isEmpty() ? names[i] : "fd" + fd;
            specs.add(new ListenSpec(name, null, 0, null, fd));
        }
        return specs;
    }

    /**
     * Binds and listens on every spec, each moved above all the application's descriptors; {@code inherited}
     * sockets (from {@link #inherited}) are adopted as they are and come first, on 3, 4, ...
     */
    public static List<Listener> open(Posix posix, List<ListenSpec> inherited, List<ListenSpec> specs, int backlog)
            throws OpenException {
        List<ListenSpec> all = new ArrayList<>();
        for (ListenSpec s : inherited) {
            all.add(new ListenSpec(s.text(), null, 0, null, ListenSpec.AUTO));
        }
        all.addAll(specs);
        int[] childFds;
        try {
            childFds = plan(all);
        } catch (IllegalArgumentException e) {
            throw new OpenException("--port: " + e.getMessage() + " (with the sockets systemd passed)");
        }
        int floor = StarterEnv.SD_LISTEN_FDS_START;
        for (int fd : childFds) {
            floor = Math.max(floor, fd + 1);
        }
        List<Listener> opened = new ArrayList<>();
        try {
            for (int i = 0; i < inherited.size(); i++) {
                int passed = inherited.get(i).fd();
                try {
                    int port = posix.boundPort(passed);
                    opened.add(new Listener(all.get(i), posix.moveAbove(passed, floor), childFds[i], port));
                } catch (Posix.Failure e) {
                    throw new OpenException("LISTEN_FDS: descriptor " + passed + " that systemd passed: "
                            + e.getMessage());
                }
            }
            for (int i = inherited.size(); i < all.size(); i++) {
                ListenSpec spec = all.get(i);
                int fd = posix.moveAbove(bind(posix, spec, backlog), floor);
                int port = spec.unix() ? 0 : posix.boundPort(fd);
                opened.add(new Listener(spec, fd, childFds[i], port));
            }
            return opened;
        } catch (OpenException | Posix.Failure e) {
            close(posix, opened);
            throw e instanceof OpenException o ? o : new OpenException(e.getMessage());
        }
    }

    /** The user's entries must be distinct: the same address twice cannot be bound twice anyway. */
    public static void checkDistinct(List<ListenSpec> specs) {
        Set<String> seen = new HashSet<>();
        for (ListenSpec s : specs) {
            if (!seen.add(s.text())) {
                throw new IllegalArgumentException("\"" + s.text() + "\" is given twice");
            }
        }
    }

    private static int bind(Posix posix, ListenSpec spec, int backlog) throws OpenException {
        try {
            if (spec.unix()) {
                removeStaleSocket(spec.path());
                return posix.listen(SockAddr.unix(spec.path()), backlog);
            }
            if (spec.host() == null) {
                try { // dual-stack like Go's ":8080"; IPv4 only where the kernel has no IPv6
                    return posix.listen(SockAddr.inet(InetAddress.getByName("::"), spec.port()), backlog);
                } catch (Posix.Failure e) {
                    if (e.errno() == Posix.EADDRINUSE) {
                        throw e;
                    }
                    return posix.listen(SockAddr.inet(InetAddress.getByName("0.0.0.0"), spec.port()), backlog);
                }
            }
            return posix.listen(SockAddr.inet(InetAddress.getByName(spec.host()), spec.port()), backlog);
        } catch (Posix.Failure e) {
            String why = e.errno() == Posix.EADDRINUSE ? "address already in use" : e.getMessage();
            throw new OpenException("--port " + spec.text() + ": " + why);
        } catch (UnknownHostException e) {
            throw new OpenException("--port " + spec.text() + ": unknown host " + spec.host());
        } catch (IOException e) {
            throw new OpenException("--port " + spec.text() + ": " + e.getMessage());
        }
    }

    /** A socket file left by an earlier run is dewy's to replace; any other file is not. */
    private static void removeStaleSocket(String path) throws IOException {
        if (path.startsWith("@")) {
            return;
        }
        Path p = Path.of(path);
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        BasicFileAttributes attrs = Files.readAttributes(p, BasicFileAttributes.class,
                java.nio.file.LinkOption.NOFOLLOW_LINKS);
        if (!attrs.isOther()) {
            throw new IOException("exists and is not a socket");
        }
        Files.delete(p);
    }

    /** Closes the sockets and removes the unix socket files. */
    public static void close(Posix posix, List<Listener> listeners) {
        for (Listener l : listeners) {
            posix.close(l.dewyFd());
            if (l.spec().unix() && !l.spec().path().startsWith("@")) {
                try {
                    Files.deleteIfExists(Path.of(l.spec().path()));
                } catch (IOException e) {
                    // best effort at exit
                }
            }
        }
    }
}
