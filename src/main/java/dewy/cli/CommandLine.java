package dewy.cli;

import dewy.log.Log;
import dewy.posix.Signals;
import dewy.starter.ListenSpec;
import dewy.starter.Listeners;
import dewy.starter.Readiness;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Turns {@code dewy server [options] -- COMMAND [ARGS...]} and the environment into a {@link Config}.
 *
 * <p>Flags take {@code --name value}, {@code --name=value}, {@code -x value} or {@code -xvalue}. Each option can
 * also come from {@code DEWY_<NAME>} (dashes become underscores); the flag wins.
 */
public final class CommandLine {
    /** One option of {@code dewy server}; the table below is also the help text. */
    public record Option(String name, Character shortName, String metavar, String defaultValue, String help) {
        public String env() {
            return "DEWY_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
        }
    }

    public static final List<Option> SERVER_OPTIONS = List.of(
            new Option("log-level", 'l', "LEVEL", "info", "debug, info, warn or error"),
            new Option("log-format", 'f', "FORMAT", "text", "text (logfmt lines) or json (one object per line)"),
            new Option("grace-period", null, "DURATION", "30s",
                    "time from the stop signal to SIGKILL, on restart and on drain (Go syntax: 30s, 1m30s, 500ms)"),
            new Option("stop-signal", null, "SIGNAL", "TERM",
                    "signal that asks the application to stop (name or number: TERM, SIGINT, 3, RTMIN+3)"),
            new Option("port", 'p', "SPEC[,SPEC]", "none",
                    "socket dewy holds and passes to every generation (repeatable): 8080, 127.0.0.1:8080, [::1]:8080, "
                            + "/run/app.sock, a range 8000-8005 (at most 100 ports); add =FD to choose the descriptor "
                            + "(8080=0 for System.inheritedChannel())"),
            new Option("backlog", null, "N", "1024", "listen backlog of the --port sockets"),
            new Option("proxy", null, "ADDR", "off",
                    "for an application that binds its own port: dewy's TCP proxy listens on ADDR (PORT on 127.0.0.1, "
                            + "HOST:PORT or [::1]:PORT) and forwards to the newest ready generation, which gets a free "
                            + "loopback port in PORT and DEWY_PORT; readiness defaults to http:--health-path"),
            new Option("health-path", null, "PATH", "/",
                    "with --proxy: a generation is ready once GET PATH on its own port answers 2xx or 3xx"),
            new Option("ready", null, "HOW", "delay:1s",
                    "when a new generation is ready: notify (it sends READY=1 to NOTIFY_SOCKET; the way for JVM "
                            + "servers: dev.dewy:dewy-app or dewy-spring-boot-starter), delay:DURATION (still alive "
                            + "after it: a guess, too short or too long for a JVM's start), exec:CMD (sh -c CMD exits "
                            + "0; retried every 200ms), http:PATH (with --proxy: GET PATH on the generation's own port "
                            + "answers 2xx or 3xx)"),
            new Option("ready-timeout", null, "DURATION", "60s",
                    "a new generation not ready by then is stopped; the running one keeps serving"),
            new Option("signal-group", null, null, "false",
                    "send forwarded, restart and stop signals to the application's whole process group, not only to "
                            + "its main process (for a wrapper shell that does not exec)"),
            new Option("restart-signal", null, "SIGNAL", "TERM",
                    "signal to the older generations once the new one is ready (not HUP: it means reload)"),
            new Option("drain-delay", null, "DURATION", "0s",
                    "on TERM/INT/QUIT keep serving this long (readyz says 503) before the stop signal"),
            new Option("restart", null, "POLICY", "on-failure with sockets (--port or systemd's), else never",
                    "when the application exits by itself: always, on-failure or never"),
            new Option("success-exit-status", null, "CODE[,CODE]", "none",
                    "exit statuses that count as success, in dewy's own status and for --restart (repeatable): "
                            + "143 for a JVM that exits on TERM"),
            new Option("restart-delay", null, "DURATION", "1s",
                    "first backoff before a crash restart; doubles per crash in the window, at most 30s"),
            new Option("max-restarts", null, "N", "5",
                    "more crash restarts than N within --restart-window and dewy exits with the app's status (0: no limit)"),
            new Option("restart-window", null, "DURATION", "1m", "window for --max-restarts and the backoff"),
            new Option("admin", null, "ADDR", "off",
                    "admin HTTP server for /healthz, /readyz, /status: PORT (on 127.0.0.1), HOST:PORT or [::1]:PORT"),
            new Option("pid-file", null, "PATH", "none", "write dewy's pid here"),
            new Option("status-file", null, "PATH", "none",
                    "keep one GENERATION:PID line per live generation here (server-starter's format)"),
            new Option("registry", null, "URL", "none",
                    "deploy new releases by itself: ghr://OWNER/REPO (GitHub Releases), file:///DIR, "
                            + "s3://REGION/BUCKET/PREFIX (?endpoint=URL for S3-compatible stores) or "
                            + "gs://BUCKET/PREFIX (Google Cloud Storage); "
                            + "?artifact=NAME&pre-release=true&calver=FORMAT"),
            new Option("slot", 's', "NAME", "none",
                    "deploy only tags whose build metadata is NAME (v1.2.3+blue for --slot blue): blue/green by tag"),
            new Option("calver", null, "FORMAT", "none",
                    "tags are calendar versions in FORMAT, e.g. YYYY.0M0D.MICRO (the registry URL's calver=)"),
            new Option("interval", 'i', "DURATION", "10s", "time between registry checks (the first runs at start)"),
            new Option("workdir", null, "DIR", ".", "holds releases/ and the current symlink"),
            new Option("keep-releases", null, "N", "7", "unpacked releases kept in WORKDIR/releases"),
            new Option("require-checksum", null, null, "false",
                    "refuse a release without a sha256 (checksums.txt, SHA256SUMS or ARTIFACT.sha256)"),
            new Option("before-deploy-hook", null, "CMD", "none",
                    "sh -c CMD before a release is unpacked; failing aborts the deploy"),
            new Option("after-deploy-hook", null, "CMD", "none",
                    "sh -c CMD after current is swapped, before the restart; failing rolls back"),
            new Option("no-report", null, null, "false",
                    "leave no shipping report (shipped_to_HOST_server_at_TIME.txt) in the registry after a deploy"),
            new Option("max-artifact-size", null, "SIZE", "1GiB", "largest download: 500MiB, 2GiB, 1048576"),
            new Option("download-timeout", null, "DURATION", "10m", "longest a download may take"),
            new Option("notifier", null, "URL", "none",
                    "also tell people (repeatable): slack://CHANNEL?title=T (SLACK_TOKEN), webhook+https://URL, "
                            + "smtp://HOST:PORT/TO (MAIL_USERNAME, MAIL_PASSWORD, MAIL_FROM)"),
            new Option("keep-tokens", null, null, "false",
                    "pass GITHUB_TOKEN, GH_TOKEN, SLACK_TOKEN and MAIL_* on to the application and its readiness checks "
                            + "(deploy hooks always get them)"));

    /** Options that may be given more than once; their values add up (comma lists, space lists for URLs). */
    private static final List<String> REPEATABLE = List.of("port", "notifier", "success-exit-status");

    private CommandLine() {
    }

    /** True when {@code -h} or {@code --help} appears before {@code --}. */
    public static boolean wantsHelp(List<String> args) {
        for (String a : args) {
            if (a.equals("--")) {
                return false;
            }
            if (a.equals("-h") || a.equals("--help")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The options of {@code dewy assets}: the deploy's, the log's, the admin server's, the notifiers'. Nothing about
     * an application, as it runs none.
     */
    public static final List<Option> ASSETS_OPTIONS = SERVER_OPTIONS.stream().filter(o -> List.of("log-level",
            "log-format", "admin", "pid-file", "registry", "slot", "calver", "interval", "workdir", "keep-releases",
            "require-checksum", "before-deploy-hook", "after-deploy-hook", "no-report", "max-artifact-size",
            "download-timeout", "notifier").contains(o.name())).toList();

    /** The flags before {@code --}, by option name (repeatable ones joined), and what follows {@code --}. */
    private record Flags(Map<String, String> values, List<String> command, boolean sawSeparator) {
    }

    private static Flags flags(List<String> args, List<Option> options, String mode) throws UsageException {
        Map<String, String> values = new HashMap<>();
        int i = 0;
        boolean sawSeparator = false;
        while (i < args.size()) {
            String arg = args.get(i++);
            if (arg.equals("--")) {
                sawSeparator = true;
                break;
            }
            if (!arg.startsWith("-") || arg.equals("-")) {
                throw new UsageException(mode.equals("assets") ? "dewy assets runs no command: unexpected \"" + arg
                        + "\"" : "missing -- before the command \"" + arg + "\"");
            }
            String inline = null;
            Option option;
            if (arg.startsWith("--")) {
                int eq = arg.indexOf('=');
                String name = eq < 0 ? arg.substring(2) : arg.substring(2, eq);
                inline = eq < 0 ? null : arg.substring(eq + 1);
                option = byName(name, options, mode);
            } else {
                option = byShort(arg.charAt(1), options, mode);
                if (arg.length() > 2) {
                    inline = arg.startsWith("=", 2) ? arg.substring(3) : arg.substring(2);
                }
            }
            String value = inline;
            if (value == null && option.metavar() == null) {
                value = "true"; // a switch: --require-checksum, or --require-checksum=false
            }
            if (value == null) {
                if (i >= args.size() || args.get(i).equals("--")) {
                    throw new UsageException("flag --" + option.name() + " needs a value (" + option.metavar() + ")");
                }
                value = args.get(i++);
            }
            if (REPEATABLE.contains(option.name()) && values.containsKey(option.name())) {
                value = values.get(option.name()) + (option.name().equals("notifier") ? " " : ",") + value;
            }
            values.put(option.name(), value);
        }
        return new Flags(values, new ArrayList<>(args.subList(i, args.size())), sawSeparator);
    }

    /**
     * {@code dewy assets [options]}: pull deploys with no application (Go dewy's assets command). {@code --registry}
     * is required; a command, or an option about an application, is refused.
     */
    public static Config parseAssets(List<String> args, Map<String, String> env) throws UsageException {
        Flags flags = flags(args, ASSETS_OPTIONS, "assets");
        if (flags.sawSeparator()) {
            throw new UsageException("dewy assets runs no command: drop \"--" + (flags.command().isEmpty() ? ""
                    : " " + flags.command().get(0)) + "\" (use dewy server to run one)");
        }
        Map<String, String> values = flags.values();
        DeployConfig deploy = deploy(values, env, "assets");
        if (deploy == null) {
            throw new UsageException("dewy assets needs --registry (or DEWY_REGISTRY): it deploys releases and "
                    + "nothing else");
        }
        return Config.builder(List.of())
                .logLevel(level(value(values, env, "log-level")))
                .logFormat(format(value(values, env, "log-format")))
                .admin(admin(value(values, env, "admin")))
                .pidFile(path(value(values, env, "pid-file")))
                .deploy(deploy)
                .notifiers(words(value(values, env, "notifier")))
                .build();
    }

    public static Config parseServer(List<String> args, Map<String, String> env) throws UsageException {
        Flags flags = flags(args, SERVER_OPTIONS, "server");
        Map<String, String> values = flags.values();
        if (!flags.sawSeparator()) {
            throw new UsageException("missing -- COMMAND: say what to run, e.g. dewy server -- /opt/app/bin/app");
        }
        List<String> command = flags.command();
        if (command.isEmpty()) {
            throw new UsageException("missing command after --");
        }
        if (command.get(0).isEmpty()) {
            throw new UsageException("empty command after --");
        }
        List<ListenSpec> ports = ports(value(values, env, "port"));
        Value restart = value(values, env, "restart");
        Value proxyValue = value(values, env, "proxy");
        ListenSpec proxy = address(proxyValue);
        Value healthPath = value(values, env, "health-path");
        if (proxy == null && !healthPath.defaulted()) {
            throw new UsageException(healthPath.source() + " needs --proxy");
        }
        if (proxy != null && !ports.isEmpty()) {
            throw new UsageException(proxyValue.source() + " and --port: choose one (--port passes a socket the "
                    + "application accepts on; --proxy is for one that binds its own port)");
        }
        Value ready = value(values, env, "ready");
        Readiness readiness = proxy != null && ready.defaulted() ? Readiness.http(httpPath(healthPath))
                : readiness(ready);
        if (readiness.kind() == Readiness.Kind.HTTP && proxy == null) {
            throw new UsageException(ready.source() + ": http: readiness needs --proxy (it checks each generation's "
                    + "own PORT)");
        }
        return Config.builder(command)
                .logLevel(level(value(values, env, "log-level")))
                .logFormat(format(value(values, env, "log-format")))
                .gracePeriod(duration(value(values, env, "grace-period")))
                .stopSignal(signal(value(values, env, "stop-signal")))
                .ports(ports)
                .backlog(number(value(values, env, "backlog"), 1, 65535))
                .readiness(readiness)
                .readyTimeout(positive(value(values, env, "ready-timeout")))
                .restartSignal(restartSignal(value(values, env, "restart-signal")))
                .drainDelay(duration(value(values, env, "drain-delay")))
                .restart(new RestartPolicy(restartMode(restart, !ports.isEmpty() || proxy != null
                        || socketActivated(env)),
                        duration(value(values, env, "restart-delay")),
                        number(value(values, env, "max-restarts"), 0, 1_000_000),
                        positive(value(values, env, "restart-window"))))
                .admin(admin(value(values, env, "admin")))
                .pidFile(path(value(values, env, "pid-file")))
                .statusFile(path(value(values, env, "status-file")))
                .deploy(deploy(values, env, "server"))
                .notifiers(words(value(values, env, "notifier")))
                .signalGroup(bool(value(values, env, "signal-group")))
                .successExitStatus(statuses(value(values, env, "success-exit-status")))
                .keepTokens(bool(value(values, env, "keep-tokens")))
                .proxy(proxy)
                .build();
    }

    private static DeployConfig deploy(Map<String, String> values, Map<String, String> env, String mode)
            throws UsageException {
        Value registry = value(values, env, "registry");
        if (registry.defaulted()) {
            for (String needs : List.of("before-deploy-hook", "after-deploy-hook", "slot", "calver", "no-report")) {
                Value v = value(values, env, needs);
                if (!v.defaulted()) {
                    throw new UsageException(v.source() + " needs --registry");
                }
            }
            return null;
        }
        if (registry.text().isBlank()) {
            throw new UsageException(registry.source() + ": empty URL");
        }
        Value workdir = value(values, env, "workdir");
        if (workdir.text().isBlank()) {
            throw new UsageException(workdir.source() + ": empty path");
        }
        return new DeployConfig(registry.text().trim(), positive(value(values, env, "interval")),
                Path.of(workdir.text()), number(value(values, env, "keep-releases"), 1, 10_000),
                bool(value(values, env, "require-checksum")), command(value(values, env, "before-deploy-hook")),
                command(value(values, env, "after-deploy-hook")), size(value(values, env, "max-artifact-size")),
                positive(value(values, env, "download-timeout")), slot(value(values, env, "slot")),
                calver(value(values, env, "calver")), !bool(value(values, env, "no-report")), mode);
    }

    private static String slot(Value v) throws UsageException {
        String slot = optional(v);
        if (slot != null && !dewy.deploy.Registry.validSlot(slot)) {
            throw new UsageException(v.source() + ": \"" + slot + "\" cannot be a slot: " + dewy.deploy.Registry.SLOT_RULE);
        }
        return slot;
    }

    private static String calver(Value v) throws UsageException {
        String format = optional(v);
        if (format != null) {
            try {
                dewy.deploy.CalVer.Format.parse(format);
            } catch (IllegalArgumentException e) {
                throw new UsageException(v.source() + ": " + e.getMessage());
            }
        }
        return format;
    }

    /** The value, or null when not given; an empty one is refused. */
    private static String optional(Value v) throws UsageException {
        if (v.defaulted()) {
            return null;
        }
        if (v.text().isBlank()) {
            throw new UsageException(v.source() + ": empty value");
        }
        return v.text().trim();
    }

    private static String command(Value v) throws UsageException {
        if (v.defaulted()) {
            return null;
        }
        if (v.text().isBlank()) {
            throw new UsageException(v.source() + ": empty command");
        }
        return v.text();
    }

    /** {@code 143}, {@code 143,130}: shell statuses 1-255 (0 is success already). */
    private static java.util.Set<Integer> statuses(Value v) throws UsageException {
        if (v.defaulted() || v.text().trim().equals("none")) {
            return java.util.Set.of();
        }
        java.util.Set<Integer> out = new java.util.TreeSet<>();
        for (String part : v.text().split(",", -1)) {
            String t = part.trim();
            int n;
            try {
                n = Integer.parseInt(t);
            } catch (NumberFormatException e) {
                throw new UsageException(v.source() + ": \"" + t + "\" is not an exit status (1-255)");
            }
            if (n < 1 || n > 255) {
                throw new UsageException(v.source() + ": " + n + " is not an exit status (1-255)");
            }
            out.add(n);
        }
        return out;
    }

    private static boolean bool(Value v) throws UsageException {
        return switch (v.text().trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new UsageException(v.source() + ": \"" + v.text() + "\" is not true or false");
        };
    }

    /** Bytes: a number with an optional KiB/MiB/GiB (or K/M/G) suffix, powers of 1024. */
    private static long size(Value v) throws UsageException {
        String t = v.text().trim();
        String digits = t.replaceFirst("(?i)(k|m|g)?(i?b)?$", "");
        String unit = t.substring(digits.length()).toLowerCase(Locale.ROOT);
        long scale = unit.isEmpty() || unit.equals("b") ? 1
                : unit.startsWith("k") ? 1L << 10 : unit.startsWith("m") ? 1L << 20 : unit.startsWith("g") ? 1L << 30 : 0;
        try {
            long n = Long.parseLong(digits.trim());
            if (n > 0 && scale > 0 && n <= Long.MAX_VALUE / scale) {
                return n * scale;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException(v.source() + ": \"" + v.text() + "\" is not a size (500MiB, 2GiB, 1048576)");
    }

    private static List<String> words(Value v) {
        if (v.defaulted() || v.text().isBlank()) {
            return List.of();
        }
        return List.of(v.text().trim().split("\\s+"));
    }

    private static List<ListenSpec> ports(Value v) throws UsageException {
        if (v.defaulted()) {
            return List.of();
        }
        List<ListenSpec> specs = new ArrayList<>();
        for (String entry : v.text().split(",")) {
            try {
                specs.addAll(ListenSpec.parseRange(entry));
            } catch (IllegalArgumentException e) {
                throw new UsageException(v.source() + ": " + e.getMessage());
            }
        }
        try {
            Listeners.checkDistinct(specs);
            Listeners.plan(specs);
        } catch (IllegalArgumentException e) {
            throw new UsageException(v.source() + ": " + e.getMessage());
        }
        return specs;
    }

    private static int number(Value v, int min, int max) throws UsageException {
        try {
            int n = Integer.parseInt(v.text().trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException(v.source() + ": \"" + v.text() + "\" is not a whole number from " + min + " to " + max);
    }

    private static Duration positive(Value v) throws UsageException {
        Duration d = duration(v);
        if (d.isZero()) {
            throw new UsageException(v.source() + ": must be more than 0");
        }
        return d;
    }

    private static Readiness readiness(Value v) throws UsageException {
        String text = v.text().trim();
        if (text.equals("notify")) {
            return Readiness.notifySocket();
        }
        if (text.startsWith("delay:")) {
            return Readiness.delay(duration(new Value(text.substring(6), v.source(), false)));
        }
        if (text.startsWith("exec:") && !text.substring(5).isBlank()) {
            return Readiness.exec(text.substring(5));
        }
        if (text.startsWith("http:")) {
            return Readiness.http(httpPath(new Value(text.substring(5), v.source(), false)));
        }
        throw new UsageException(v.source() + ": \"" + v.text() + "\" is not notify, delay:DURATION, exec:COMMAND or "
                + "http:PATH");
    }

    private static int restartSignal(Value v) throws UsageException {
        int signal = signal(v);
        if (signal == Signals.SIGHUP) {
            throw new UsageException(v.source() + ": HUP asks an application to reload (and ends a JVM); "
                    + "use TERM, INT or QUIT");
        }
        return signal;
    }

    /** systemd passed dewy sockets (read only when LISTEN_FDS is set: asking for the pid costs start-up time). */
    private static boolean socketActivated(Map<String, String> env) {
        return env.containsKey("LISTEN_FDS")
                && !Listeners.inherited(env, (int) ProcessHandle.current().pid()).isEmpty();
    }

    private static RestartPolicy.Mode restartMode(Value v, boolean ports) throws UsageException {
        if (v.defaulted()) {
            // A server behind dewy's sockets: a crash is restarted while the sockets keep queueing connections.
            // Without sockets dewy is a plain init: the orchestrator sees the exit and decides, as with tini.
            return ports ? RestartPolicy.Mode.ON_FAILURE : RestartPolicy.Mode.NEVER;
        }
        for (RestartPolicy.Mode m : RestartPolicy.Mode.values()) {
            if (m.flag().equals(v.text().trim())) {
                return m;
            }
        }
        throw new UsageException(v.source() + ": unknown restart policy \"" + v.text()
                + "\" (use always, on-failure or never)");
    }

    private static ListenSpec admin(Value v) throws UsageException {
        return address(v);
    }

    /** An absolute HTTP path: {@code /health}, {@code /actuator/health/readiness?x=1}. */
    private static String httpPath(Value v) throws UsageException {
        String t = v.text().trim();
        if (!t.startsWith("/") || t.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            throw new UsageException(v.source() + ": \"" + v.text() + "\" is not an absolute HTTP path (/health)");
        }
        return t;
    }

    /** A TCP address: PORT (on 127.0.0.1), HOST:PORT or [IPV6]:PORT; null when not given. */
    private static ListenSpec address(Value v) throws UsageException {
        if (v.defaulted()) {
            return null;
        }
        String text = v.text().trim();
        try {
            ListenSpec spec = ListenSpec.parse(text.matches("[0-9]+") ? "127.0.0.1:" + text : text);
            if (spec.unix() || spec.fd() != ListenSpec.AUTO) {
                throw new IllegalArgumentException("\"" + text + "\": use PORT, HOST:PORT or [IPV6]:PORT");
            }
            return spec;
        } catch (IllegalArgumentException e) {
            throw new UsageException(v.source() + ": " + e.getMessage());
        }
    }

    private static Path path(Value v) throws UsageException {
        if (v.defaulted()) {
            return null;
        }
        if (v.text().isBlank()) {
            throw new UsageException(v.source() + ": empty path");
        }
        return Path.of(v.text());
    }

    /** A resolved value and where it came from, so errors can name the flag or the variable. */
    private record Value(String text, String source, boolean defaulted) {
    }

    private static Value value(Map<String, String> flags, Map<String, String> env, String name) {
        Option option = byNameOrNull(name);
        if (flags.containsKey(name)) {
            return new Value(flags.get(name), "--" + name, false);
        }
        String fromEnv = env.get(option.env());
        if (fromEnv != null) {
            return new Value(fromEnv, option.env(), false);
        }
        return new Value(option.defaultValue(), "--" + name, true);
    }

    private static Log.Level level(Value v) throws UsageException {
        try {
            return Log.Level.valueOf(v.text().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException(v.source() + ": unknown log level \"" + v.text()
                    + "\" (use debug, info, warn or error)");
        }
    }

    private static Log.Format format(Value v) throws UsageException {
        try {
            return Log.Format.valueOf(v.text().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException(v.source() + ": unknown log format \"" + v.text() + "\" (use text or json)");
        }
    }

    private static Duration duration(Value v) throws UsageException {
        try {
            return Durations.parse(v.text());
        } catch (IllegalArgumentException e) {
            throw new UsageException(v.source() + ": " + e.getMessage());
        }
    }

    private static int signal(Value v) throws UsageException {
        Optional<Integer> signal = Signals.parse(v.text());
        if (signal.isEmpty()) {
            throw new UsageException(v.source() + ": unknown signal \"" + v.text()
                    + "\" (use a name like TERM or a number from 1 to 64)");
        }
        return signal.get();
    }

    /** {@code name} among {@code options}; a server option given to {@code dewy assets} says why it does not apply. */
    private static Option byName(String name, List<Option> options, String mode) throws UsageException {
        for (Option o : options) {
            if (o.name().equals(name)) {
                return o;
            }
        }
        throw unknown("--" + name, byNameOrNull(name) != null, mode);
    }

    private static UsageException unknown(String flag, boolean serverOnly, String mode) {
        return new UsageException(serverOnly ? "flag " + flag + " is not an option of dewy " + mode
                + ", which runs no application" : "unknown flag " + flag);
    }

    private static Option byNameOrNull(String name) {
        for (Option o : SERVER_OPTIONS) {
            if (o.name().equals(name)) {
                return o;
            }
        }
        return null;
    }

    private static Option byShort(char c, List<Option> options, String mode) throws UsageException {
        for (Option o : options) {
            if (o.shortName() != null && o.shortName() == c) {
                return o;
            }
        }
        boolean serverOnly = SERVER_OPTIONS.stream().anyMatch(o -> o.shortName() != null && o.shortName() == c);
        throw unknown("-" + c, serverOnly, mode);
    }
}
