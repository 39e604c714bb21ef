package dewy.container;

import dewy.cli.Durations;
import dewy.cli.UsageException;
import dewy.log.Log;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code dewy container --registry img://REGISTRY/REPO -p PROXY [options] [-- ENGINE RUN OPTIONS]} into a
 * {@link ContainerConfig}: Go dewy's container flags, names and defaults, with {@code dewy server}'s syntax
 * ({@code --name value}, {@code --name=value}, {@code -x value}, {@code -xvalue}) and one-line errors.
 * Durations take Go's syntax ({@code 30s}) or, as Go dewy's integer flags, a number of seconds.
 */
public final class ContainerCommandLine {
    /** One flag: name, short name, metavar (null for a switch), default, help (Go dewy's wording). */
    record Option(String name, Character shortName, String metavar, String defaultValue, String help) {
    }

    static final List<Option> OPTIONS = List.of(
            new Option("registry", null, "URL", null, "image registry: img://REGISTRY/REPO[?pre-release=true"
                    + "&calver=FORMAT] (DOCKER_USERNAME and DOCKER_PASSWORD, or GITHUB_TOKEN for ghcr.io)"),
            new Option("port", 'p', "PROXY", null, "the public port dewy's TCP proxy listens on (PORT on 127.0.0.1, or "
                    + "HOST:PORT); each replica gets its own loopback port in PORT and must bind 127.0.0.1:$PORT"),
            new Option("replicas", null, "N", "1", "Number of container replicas to run"),
            new Option("health-path", null, "PATH", "none", "Health check path (e.g. /health): a new replica serves "
                    + "once GET PATH on its port answers 2xx or 3xx; without it, once its port accepts"),
            new Option("health-timeout", null, "DURATION", "30s", "Health check timeout: a new replica not healthy "
                    + "by then is removed and the running ones keep serving"),
            new Option("drain-time", null, "DURATION", "30s", "Drain time after traffic switch, before an old "
                    + "replica gets its stop signal"),
            new Option("stop-timeout", null, "DURATION", "10s", "from a leaving replica's stop signal to the "
                    + "engine's kill"),
            new Option("name", 'n', "NAME", "the registry's last path segment", "Application name for container "
                    + "deployment: the dewy.app label and the containers' name prefix"),
            new Option("runtime", null, "RUNTIME", "docker", "Container runtime (the Docker Engine API at DOCKER_HOST, "
                    + "a unix:// socket, or /var/run/docker.sock)"),
            new Option("proxy-idle-timeout", null, "DURATION", "300s", "Proxy idle timeout (0 to disable)"),
            new Option("cmd", null, "ARG", "the image's", "Command and arguments to pass to container (repeatable)"),
            new Option("admin-port", null, "PORT", "none", "Admin API port (not built yet)"),
            new Option("interval", 'i', "DURATION", "10s", "Polling interval for checking registry updates"),
            new Option("calver", null, "FORMAT", "none", "tags are calendar versions in FORMAT, e.g. YYYY.0M0D.MICRO"),
            new Option("notifier", null, "URL", "none", "also tell people (repeatable): slack://CHANNEL, "
                    + "webhook+https://URL, smtp://HOST:PORT/TO"),
            new Option("log-level", 'l', "LEVEL", "info", "debug, info, warn or error"),
            new Option("log-format", 'f', "FORMAT", "text", "text or json"));

    private static final List<String> REPEATABLE = List.of("cmd", "notifier");
    private static final Duration NEVER = Duration.ofDays(36_500); // --proxy-idle-timeout 0

    private ContainerCommandLine() {
    }

    public static boolean wantsHelp(List<String> args) {
        return dewy.cli.CommandLine.wantsHelp(args); // -h or --help before --, as for dewy server
    }

    public static String help() {
        StringBuilder out = new StringBuilder("Usage: dewy container --registry img://REGISTRY/REPO -p PROXY [options] "
                + "[-- ENGINE RUN OPTIONS]\n\nKeeps N replicas of the registry's newest image running behind dewy's "
                + "TCP proxy, and rolls them over to each newer tag.\n\nOptions:\n");
        for (Option o : OPTIONS) {
            out.append("  ").append(o.shortName() == null ? "    " : "-" + o.shortName() + ", ").append("--")
                    .append(o.name()).append(o.metavar() == null ? "" : " " + o.metavar()).append('\n')
                    .append("        ").append(o.help())
                    .append(o.defaultValue() == null ? " (required)" : " (default: " + o.defaultValue() + ")")
                    .append('\n');
        }
        out.append("\nEngine run options after --: -e/--env, -v/--volume, -l/--label, -u/--user, -w/--workdir, "
                + "--entrypoint.\n");
        return out.toString();
    }

    public static ContainerConfig parse(List<String> args) throws UsageException {
        Map<String, List<String>> values = new LinkedHashMap<>();
        int i = 0;
        List<String> engine = List.of();
        while (i < args.size()) {
            String arg = args.get(i++);
            if (arg.equals("--")) {
                engine = args.subList(i, args.size());
                break;
            }
            if (!arg.startsWith("-") || arg.equals("-")) {
                throw new UsageException("unexpected \"" + arg + "\": engine run options go after --");
            }
            String inline = null;
            Option option;
            if (arg.startsWith("--")) {
                int eq = arg.indexOf('=');
                option = byName(eq < 0 ? arg.substring(2) : arg.substring(2, eq), arg);
                inline = eq < 0 ? null : arg.substring(eq + 1);
            } else {
                option = byShort(arg.charAt(1), arg);
                if (arg.length() > 2) {
                    inline = arg.startsWith("=", 2) ? arg.substring(3) : arg.substring(2);
                }
            }
            String value = inline;
            if (value == null) {
                if (i >= args.size() || args.get(i).equals("--")) {
                    throw new UsageException("flag --" + option.name() + " needs a value (" + option.metavar() + ")");
                }
                value = args.get(i++);
            }
            List<String> list = values.computeIfAbsent(option.name(), k -> new ArrayList<>());
            if (!list.isEmpty() && !REPEATABLE.contains(option.name())) {
                throw new UsageException("flag --" + option.name() + " given twice"
                        + (option.name().equals("port") ? " (one proxy port for now)" : ""));
            }
            list.add(value);
        }
        String registry = one(values, "registry");
        if (registry == null) {
            throw new UsageException("--registry is required for container command (img://REGISTRY/REPO)");
        }
        if (!registry.startsWith("img://")) {
            throw new UsageException("--registry " + registry + ": container command needs an img://REGISTRY/REPO "
                    + "registry");
        }
        String port = one(values, "port");
        if (port == null) {
            throw new UsageException("--port option is required for container command");
        }
        if (one(values, "admin-port") != null) {
            throw new UsageException("--admin-port: the admin API of dewy container is not built yet");
        }
        String runtime = one(values, "runtime", "docker");
        if (!runtime.equals("docker")) {
            throw new UsageException("--runtime " + runtime + ": only docker (the Docker Engine API) is built yet"
                    + (runtime.equals("podman") ? "; podman's Docker-compatible socket is not tested" : ""));
        }
        String name = one(values, "name", appName(registry));
        if (!name.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]*")) {
            throw new UsageException("--name " + name + ": a container name part is letters, digits, _ . and -");
        }
        Duration idle = duration(values, "proxy-idle-timeout");
        return new ContainerConfig(registry, one(values, "calver"), name, proxy(port), number(values, "replicas", 1, 100),
                healthPath(one(values, "health-path")), positive(values, "health-timeout"),
                duration(values, "drain-time"), duration(values, "stop-timeout"), runtime,
                idle.isZero() ? NEVER : idle, positive(values, "interval"), RunOptions.parse(engine),
                values.getOrDefault("cmd", List.of()), values.getOrDefault("notifier", List.of()),
                level(one(values, "log-level", "info")), format(one(values, "log-format", "text")));
    }

    /** Go dewy's deriveAppNameFromRegistry: the last path segment, without a query or a tag. */
    static String appName(String registry) {
        String rest = registry.substring(registry.indexOf("://") + 3);
        String last = rest.substring(rest.lastIndexOf('/') + 1);
        last = last.split("\\?", 2)[0].split(":", 2)[0];
        return last.isEmpty() ? "app" : last;
    }

    /** {@code 8080} (on 127.0.0.1) or {@code HOST:8080}; {@code PROXY:CONTAINER} needs port publishing. */
    static InetSocketAddress proxy(String text) throws UsageException {
        String t = text.trim();
        String host = "127.0.0.1";
        String portText = t;
        int colon = t.lastIndexOf(':');
        if (colon >= 0 && t.substring(0, colon).matches("[0-9]+")) {
            throw new UsageException("--port " + text + ": PROXY:CONTAINER maps a port the engine publishes, and "
                    + "replicas here run with --network host: make the app bind 127.0.0.1:$PORT and give -p PROXY");
        }
        if (colon >= 0) {
            host = t.substring(0, colon).replaceAll("^\\[(.*)]$", "$1");
            portText = t.substring(colon + 1);
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new UsageException("--port " + text + ": invalid port: " + portText);
        }
        if (port < 1 || port > 65535) {
            throw new UsageException("--port " + text + ": port number must be between 1 and 65535, got " + port);
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new UsageException("--port " + text + ": unknown host " + host);
        }
    }

    private static String healthPath(String path) throws UsageException {
        if (path != null && (!path.startsWith("/") || path.chars().anyMatch(c -> c <= ' ' || c == 0x7f))) {
            throw new UsageException("--health-path " + path + ": not an absolute HTTP path (/health)");
        }
        return path;
    }

    private static String one(Map<String, List<String>> values, String name) {
        List<String> list = values.get(name);
        return list == null ? null : list.get(0);
    }

    private static String one(Map<String, List<String>> values, String name, String fallback) {
        String v = one(values, name);
        return v == null ? fallback : v;
    }

    private static int number(Map<String, List<String>> values, String name, int min, int max) throws UsageException {
        String text = one(values, name, defaultOf(name));
        try {
            int n = Integer.parseInt(text.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--" + name + ": \"" + text + "\" is not a whole number from " + min + " to " + max);
    }

    private static Duration duration(Map<String, List<String>> values, String name) throws UsageException {
        String text = one(values, name, defaultOf(name)).trim();
        try {
            return text.matches("[0-9]+") ? Duration.ofSeconds(Long.parseLong(text)) : Durations.parse(text);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new UsageException("--" + name + ": " + e.getMessage());
        }
    }

    private static Duration positive(Map<String, List<String>> values, String name) throws UsageException {
        Duration d = duration(values, name);
        if (d.isZero()) {
            throw new UsageException("--" + name + ": must be more than 0");
        }
        return d;
    }

    private static String defaultOf(String name) {
        return OPTIONS.stream().filter(o -> o.name().equals(name)).findFirst().orElseThrow().defaultValue();
    }

    private static Log.Level level(String text) throws UsageException {
        try {
            return Log.Level.valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--log-level: unknown log level \"" + text + "\" (use debug, info, warn or error)");
        }
    }

    private static Log.Format format(String text) throws UsageException {
        try {
            return Log.Format.valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--log-format: unknown log format \"" + text + "\" (use text or json)");
        }
    }

    private static Option byName(String name, String arg) throws UsageException {
        return OPTIONS.stream().filter(o -> o.name().equals(name)).findFirst()
                .orElseThrow(() -> new UsageException("unknown flag " + arg.split("=", 2)[0]
                        + " (engine run options go after --)"));
    }

    private static Option byShort(char c, String arg) throws UsageException {
        return OPTIONS.stream().filter(o -> o.shortName() != null && o.shortName() == c).findFirst()
                .orElseThrow(() -> new UsageException("unknown flag -" + c + " (engine run options go after --)"));
    }
}
