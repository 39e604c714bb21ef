package dewy.starter;

/**
 * One {@code --port} entry: {@code 8080}, {@code 127.0.0.1:8080}, {@code [::1]:8080}, {@code :8080}, a unix socket
 * path ({@code /run/app.sock}, or {@code @name} for Linux's abstract namespace), each optionally followed by
 * {@code =FD} to put the socket on that descriptor in the application.
 *
 * @param text the entry as the user wrote it, without {@code =FD}: SERVER_STARTER_PORT repeats it verbatim
 * @param host null for the wildcard address
 * @param port TCP port, 0 for unix sockets (and for "any free port")
 * @param path unix socket path, null for TCP
 * @param fd   the application's descriptor, or {@link #AUTO} for the next free one from 3
 */
public record ListenSpec(String text, String host, int port, String path, int fd) {
    public static final int AUTO = -1;
    /** The most ports a range ({@code 8000-8005}) may name, as in Go dewy. */
    public static final int MAX_RANGE = 100;
    private static final java.util.regex.Pattern RANGE = java.util.regex.Pattern.compile("([0-9]{1,5})-([0-9]{1,5})(=.*)?");
    /** Above this dewy refuses a chosen descriptor: it must stay under every sane RLIMIT_NOFILE. */
    public static final int MAX_FD = 1023;

    public boolean unix() {
        return path != null;
    }

    /**
     * Parses one entry that may be a range of TCP ports, Go dewy's {@code 8000-8005} (with a host too:
     * {@code 127.0.0.1:8000-8005}, {@code [::1]:8000-8005}), into one spec per port, each on the next free descriptor;
     * any other entry into itself.
     */
    public static java.util.List<ListenSpec> parseRange(String entry) {
        String spec = entry.trim();
        if (spec.startsWith("/") || spec.startsWith("./") || spec.startsWith("@")) {
            return java.util.List.of(parse(entry));
        }
        int at = spec.startsWith("[") ? spec.indexOf("]:") + 2 : spec.lastIndexOf(':') + 1;
        java.util.regex.Matcher m = RANGE.matcher(spec.substring(at));
        if (!m.matches()) {
            return java.util.List.of(parse(entry));
        }
        if (m.group(3) != null) {
            throw new IllegalArgumentException("\"" + entry + "\": a port range takes no =FD (its ports take the next "
                    + "free descriptors from 3)");
        }
        int start = Integer.parseInt(m.group(1));
        int end = Integer.parseInt(m.group(2));
        if (start < 1 || end > 65535) {
            throw new IllegalArgumentException("\"" + entry + "\": ports in a range are 1 to 65535");
        }
        if (start > end) {
            throw new IllegalArgumentException("\"" + entry + "\": start port (" + start
                    + ") cannot be greater than end port (" + end + ")");
        }
        if (end - start + 1 > MAX_RANGE) {
            throw new IllegalArgumentException("\"" + entry + "\": port range too large (" + (end - start + 1)
                    + " ports), maximum allowed is " + MAX_RANGE);
        }
        String host = spec.substring(0, at);
        java.util.List<ListenSpec> specs = new java.util.ArrayList<>();
        for (int p = start; p <= end; p++) {
            specs.add(parse(host + p));
        }
        return specs;
    }

    /** Parses one entry; the message of the exception is a complete sentence fragment for the usage error. */
    public static ListenSpec parse(String entry) {
        String spec = entry.trim();
        int fd = AUTO;
        int eq = spec.lastIndexOf('=');
        if (eq >= 0) {
            String suffix = spec.substring(eq + 1);
            if (!suffix.matches("[0-9]{1,4}")) {
                throw new IllegalArgumentException("\"" + entry + "\": after = comes a descriptor number");
            }
            fd = Integer.parseInt(suffix);
            if (fd == 1 || fd == 2 || fd > MAX_FD) {
                throw new IllegalArgumentException("\"" + entry + "\": descriptor " + fd
                        + " is not allowed (use 0, or 3 to " + MAX_FD + "; 1 and 2 are stdout and stderr)");
            }
            spec = spec.substring(0, eq);
        }
        if (spec.isEmpty()) {
            throw new IllegalArgumentException("empty port entry");
        }
        if (spec.startsWith("/") || spec.startsWith("./") || spec.startsWith("@")) {
            if (spec.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > dewy.posix.SockAddr.UNIX_PATH_MAX) {
                throw new IllegalArgumentException("\"" + entry + "\": unix socket path longer than "
                        + dewy.posix.SockAddr.UNIX_PATH_MAX + " bytes");
            }
            return new ListenSpec(spec, null, 0, spec, fd);
        }
        String host;
        String port;
        if (spec.startsWith("[")) {
            int close = spec.indexOf("]:");
            if (close < 0) {
                throw new IllegalArgumentException("\"" + entry + "\": an IPv6 address needs brackets and a port, like [::1]:8080");
            }
            host = spec.substring(1, close);
            port = spec.substring(close + 2);
        } else if (spec.indexOf(':') >= 0) {
            int colon = spec.lastIndexOf(':');
            host = spec.substring(0, colon);
            port = spec.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException("\"" + entry + "\": write IPv6 addresses in brackets, like [::1]:8080");
            }
        } else {
            host = "";
            port = spec;
        }
        if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) > 65535) {
            throw new IllegalArgumentException("\"" + entry + "\": not a port number, host:port, [ipv6]:port or "
                    + "socket path");
        }
        return new ListenSpec(spec, host.isEmpty() ? null : host, Integer.parseInt(port), null, fd);
    }
}
