package dewy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.log.Log;
import dewy.starter.Readiness;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommandLineTest {
    private static Config parse(String... args) throws UsageException {
        return CommandLine.parseServer(Arrays.asList(args), Map.of());
    }

    private static Config parseEnv(Map<String, String> env, String... args) throws UsageException {
        return CommandLine.parseServer(Arrays.asList(args), env);
    }

    /** The message of the UsageException, checked to be one line. */
    private static String usageError(Map<String, String> env, String... args) {
        UsageException e = assertThrows(UsageException.class,
                () -> CommandLine.parseServer(Arrays.asList(args), env), "expected a usage error for "
                        + Arrays.toString(args));
        String m = e.getMessage();
        assertTrue(m != null && !m.isBlank(), "empty message");
        assertFalse(m.contains("\n") || m.contains("\r"), "message is not one line: " + m);
        return m;
    }

    private static String usageError(String... args) {
        return usageError(Map.of(), args);
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "\"" + message + "\" should mention " + p);
        }
    }

    @Test
    void defaults() throws UsageException {
        Config c = parse("--", "/bin/true");
        assertEquals(Log.Level.INFO, c.logLevel());
        assertEquals(Log.Format.TEXT, c.logFormat());
        assertEquals(Duration.ofSeconds(30), c.gracePeriod());
        assertEquals(15, c.stopSignal());
        assertEquals(List.of("/bin/true"), c.command());
    }

    @Test
    void logLevelForms() throws UsageException {
        assertEquals(Log.Level.DEBUG, parse("-l", "debug", "--", "x").logLevel());
        assertEquals(Log.Level.DEBUG, parse("-ldebug", "--", "x").logLevel());
        assertEquals(Log.Level.ERROR, parse("-l=error", "--", "x").logLevel());
        assertEquals(Log.Level.WARN, parse("--log-level=warn", "--", "x").logLevel());
        assertEquals(Log.Level.ERROR, parse("--log-level", "ERROR", "--", "x").logLevel());
    }

    @Test
    void logFormatForms() throws UsageException {
        assertEquals(Log.Format.JSON, parse("-f", "json", "--", "x").logFormat());
        assertEquals(Log.Format.JSON, parse("-fjson", "--", "x").logFormat());
        assertEquals(Log.Format.JSON, parse("--log-format=json", "--", "x").logFormat());
        assertEquals(Log.Format.TEXT, parse("--log-format", "text", "--", "x").logFormat());
    }

    @Test
    void gracePeriodForms() throws UsageException {
        assertEquals(Duration.ofSeconds(5), parse("--grace-period", "5s", "--", "x").gracePeriod());
        assertEquals(Duration.ofMillis(1500), parse("--grace-period=1.5s", "--", "x").gracePeriod());
        assertEquals(Duration.ZERO, parse("--grace-period", "0", "--", "x").gracePeriod());
    }

    @Test
    void stopSignalForms() throws UsageException {
        assertEquals(2, parse("--stop-signal", "INT", "--", "x").stopSignal());
        assertEquals(37, parse("--stop-signal=SIGRTMIN+3", "--", "x").stopSignal());
        assertEquals(3, parse("--stop-signal", "3", "--", "x").stopSignal());
        assertEquals(10, parse("--stop-signal=sigusr1", "--", "x").stopSignal());
    }

    @Test
    void allFlagsTogether() throws UsageException {
        Config c = parse("-l", "warn", "-fjson", "--grace-period=2m", "--stop-signal", "QUIT", "--", "app", "a");
        assertEquals(Config.builder(List.of("app", "a")).logLevel(Log.Level.WARN).logFormat(Log.Format.JSON)
                .gracePeriod(Duration.ofMinutes(2)).stopSignal(3).build(), c);
    }

    @Test
    void lastOccurrenceWins() throws UsageException {
        assertEquals(Log.Level.ERROR, parse("-l", "debug", "--log-level=error", "--", "x").logLevel());
    }

    @Test
    void signalGroupAndSuccessExitStatuses() throws UsageException {
        Config plain = parseEnv(Map.of(), "--", "x");
        assertFalse(plain.signalGroup(), "main process by default");
        assertEquals(java.util.Set.of(), plain.successExitStatus());
        assertEquals(143, plain.counted(143));
        Config c = parseEnv(Map.of("DEWY_SIGNAL_GROUP", "true"), "--success-exit-status", "143",
                "--success-exit-status=130,3", "--", "x");
        assertTrue(c.signalGroup());
        assertEquals(java.util.Set.of(3, 130, 143), c.successExitStatus());
        assertEquals(0, c.counted(143));
        assertEquals(1, c.counted(1));
        assertEquals(java.util.Set.of(143), parseEnv(Map.of("DEWY_SUCCESS_EXIT_STATUS", "143"), "--", "x")
                .successExitStatus());
    }

    @Test
    void envVariablesWhenFlagsAreAbsent() throws UsageException {
        Map<String, String> env = Map.of("DEWY_LOG_LEVEL", "debug", "DEWY_LOG_FORMAT", "json",
                "DEWY_GRACE_PERIOD", "45s", "DEWY_STOP_SIGNAL", "SIGHUP", "DEWY_OTHER", "ignored");
        Config c = parseEnv(env, "--", "x");
        assertEquals(Log.Level.DEBUG, c.logLevel());
        assertEquals(Log.Format.JSON, c.logFormat());
        assertEquals(Duration.ofSeconds(45), c.gracePeriod());
        assertEquals(1, c.stopSignal());
    }

    @Test
    void flagsOverrideEnvVariables() throws UsageException {
        Map<String, String> env = Map.of("DEWY_LOG_LEVEL", "debug", "DEWY_LOG_FORMAT", "json",
                "DEWY_GRACE_PERIOD", "45s", "DEWY_STOP_SIGNAL", "SIGHUP");
        Config c = parseEnv(env, "-l", "error", "--log-format", "text", "--grace-period=1s", "--stop-signal", "INT",
                "--", "x");
        assertEquals(Log.Level.ERROR, c.logLevel());
        assertEquals(Log.Format.TEXT, c.logFormat());
        assertEquals(Duration.ofSeconds(1), c.gracePeriod());
        assertEquals(2, c.stopSignal());
    }

    @Test
    void badEnvValueIsIgnoredWhenTheFlagIsGiven() throws UsageException {
        Config c = parseEnv(Map.of("DEWY_GRACE_PERIOD", "soon"), "--grace-period", "3s", "--", "x");
        assertEquals(Duration.ofSeconds(3), c.gracePeriod());
    }

    @Test
    void commandKeepsItsOwnFlags() throws UsageException {
        Config c = parse("-l", "debug", "--", "java", "-Xmx1g", "-jar", "app.jar", "--port", "8080", "--", "-l",
                "--grace-period");
        assertEquals(List.of("java", "-Xmx1g", "-jar", "app.jar", "--port", "8080", "--", "-l", "--grace-period"),
                c.command());
        assertEquals(Log.Level.DEBUG, c.logLevel());
        assertEquals(Duration.ofSeconds(30), c.gracePeriod());
    }

    @Test
    void commandIsACopy() throws UsageException {
        List<String> args = new ArrayList<>(List.of("--", "app", "x"));
        Config c = CommandLine.parseServer(args, Map.of());
        args.set(2, "changed");
        assertEquals(List.of("app", "x"), c.command());
    }

    @Test
    void unknownLongFlag() {
        assertMentions(usageError("--foo", "--", "x"), "unknown flag", "--foo");
        String m = usageError("--foo=bar", "--", "x");
        assertMentions(m, "unknown flag", "--foo");
        assertFalse(m.contains("bar"), m);
    }

    @Test
    void unknownShortFlag() {
        assertMentions(usageError("-x", "--", "x"), "unknown flag", "-x");
    }

    @Test
    void helpIsNotAServerFlag() {
        // wantsHelp is checked first; parseServer on its own rejects them.
        assertMentions(usageError("--help", "--", "x"), "--help");
    }

    @Test
    void missingSeparator() {
        assertMentions(usageError("/bin/true"), "missing --", "/bin/true");
        assertMentions(usageError("-l", "debug", "/bin/true", "arg"), "missing --", "/bin/true");
        assertMentions(usageError("-"), "missing --");
    }

    @Test
    void nothingAtAll() {
        assertMentions(usageError(), "missing --", "COMMAND");
        assertMentions(usageError("-l", "debug"), "missing --");
    }

    @Test
    void separatorWithoutCommand() {
        assertMentions(usageError("--"), "missing command after --");
        assertMentions(usageError("-l", "info", "--"), "missing command");
        assertMentions(usageError("--", ""), "empty command");
    }

    @Test
    void flagWithoutValue() {
        assertMentions(usageError("--grace-period"), "--grace-period", "needs a value", "DURATION");
        assertMentions(usageError("--grace-period", "--", "x"), "--grace-period", "needs a value");
        assertMentions(usageError("-l"), "--log-level", "needs a value");
        assertMentions(usageError("-f", "--", "x"), "--log-format", "needs a value");
    }

    @Test
    void badDuration() {
        assertMentions(usageError("--grace-period", "soon", "--", "x"), "--grace-period", "soon");
        assertMentions(usageError("--grace-period=30", "--", "x"), "--grace-period", "missing unit");
        assertMentions(usageError("--grace-period=-1s", "--", "x"), "--grace-period", "negative");
    }

    @Test
    void badSignal() {
        assertMentions(usageError("--stop-signal", "FOO", "--", "x"), "--stop-signal", "unknown signal", "FOO");
        assertMentions(usageError("--stop-signal=65", "--", "x"), "--stop-signal", "65");
    }

    @Test
    void badLogLevel() {
        assertMentions(usageError("-l", "verbose", "--", "x"), "--log-level", "unknown log level", "verbose");
    }

    @Test
    void badFormat() {
        assertMentions(usageError("--log-format=xml", "--", "x"), "--log-format", "unknown log format", "xml");
    }

    @Test
    void badEnvValueNamesTheVariable() {
        String m = usageError(Map.of("DEWY_GRACE_PERIOD", "soon"), "--", "x");
        assertMentions(m, "DEWY_GRACE_PERIOD", "soon");
        assertFalse(m.contains("--grace-period"), m);
        assertMentions(usageError(Map.of("DEWY_STOP_SIGNAL", "NOPE"), "--", "x"), "DEWY_STOP_SIGNAL", "NOPE");
        assertMentions(usageError(Map.of("DEWY_LOG_LEVEL", "loud"), "--", "x"), "DEWY_LOG_LEVEL", "loud");
        assertMentions(usageError(Map.of("DEWY_LOG_FORMAT", "yaml"), "--", "x"), "DEWY_LOG_FORMAT", "yaml");
    }

    @Test
    void wantsHelp() {
        assertTrue(CommandLine.wantsHelp(List.of("-h")));
        assertTrue(CommandLine.wantsHelp(List.of("--help")));
        assertTrue(CommandLine.wantsHelp(List.of("-l", "debug", "--help", "--", "x")));
        assertFalse(CommandLine.wantsHelp(List.of("--", "app", "-h")));
        assertFalse(CommandLine.wantsHelp(List.of("-l", "debug", "--", "app", "--help")));
        assertFalse(CommandLine.wantsHelp(List.of()));
        assertFalse(CommandLine.wantsHelp(List.of("--helpme", "--", "x")));
    }

    @Test
    void optionEnvNames() {
        assertEquals(List.of("DEWY_LOG_LEVEL", "DEWY_LOG_FORMAT", "DEWY_GRACE_PERIOD", "DEWY_STOP_SIGNAL", "DEWY_PORT",
                        "DEWY_BACKLOG", "DEWY_PROXY", "DEWY_HEALTH_PATH", "DEWY_READY", "DEWY_READY_TIMEOUT", "DEWY_SIGNAL_GROUP", "DEWY_RESTART_SIGNAL", "DEWY_DRAIN_DELAY",
                        "DEWY_RESTART", "DEWY_SUCCESS_EXIT_STATUS", "DEWY_RESTART_DELAY", "DEWY_MAX_RESTARTS", "DEWY_RESTART_WINDOW", "DEWY_ADMIN",
                        "DEWY_PID_FILE", "DEWY_STATUS_FILE", "DEWY_REGISTRY", "DEWY_SLOT", "DEWY_CALVER", "DEWY_INTERVAL", "DEWY_WORKDIR",
                        "DEWY_KEEP_RELEASES", "DEWY_REQUIRE_CHECKSUM", "DEWY_BEFORE_DEPLOY_HOOK",
                        "DEWY_AFTER_DEPLOY_HOOK", "DEWY_NO_REPORT", "DEWY_MAX_ARTIFACT_SIZE", "DEWY_DOWNLOAD_TIMEOUT", "DEWY_NOTIFIER",
                        "DEWY_KEEP_TOKENS"),
                CommandLine.SERVER_OPTIONS.stream().map(CommandLine.Option::env).toList());
    }

    @Test
    void helpListsEveryOption() {
        String help = Help.server();
        for (CommandLine.Option o : CommandLine.SERVER_OPTIONS) {
            assertTrue(help.contains("--" + o.name() + (o.metavar() == null ? " " : " " + o.metavar())),
                    "help lacks --" + o.name());
            assertTrue(help.contains(o.env()), "help lacks " + o.env());
            if (o.shortName() != null) {
                assertTrue(help.contains("-" + o.shortName() + ", --" + o.name()), "help lacks -" + o.shortName());
            }
        }
    }

    @Test
    void defaultsInTheTableParse() throws UsageException {
        // The help shows these defaults; the parser must agree with them.
        Config c = parse("--", "x");
        // These defaults describe an absence (or depend on --port) rather than being a value to pass.
        List<String> descriptive = List.of("port", "admin", "pid-file", "status-file", "restart", "registry",
                "before-deploy-hook", "after-deploy-hook", "notifier", "slot", "calver", "no-report", "proxy",
                "health-path");
        assertEquals(List.of(), c.ports());
        assertNull(c.admin());
        assertNull(c.pidFile());
        assertNull(c.statusFile());
        for (CommandLine.Option o : CommandLine.SERVER_OPTIONS) {
            if (descriptive.contains(o.name())) {
                continue;
            }
            Config explicit = parse("--" + o.name() + "=" + o.defaultValue(), "--", "x");
            assertEquals(c, explicit, o.name());
        }
    }

    @Test
    void deployDefaultsInTheTableParse() throws UsageException {
        Config c = parse("--registry", "ghr://o/r", "--", "x");
        assertEquals(new DeployConfig("ghr://o/r", Duration.ofSeconds(10), Path.of("."), 7, false, null, null,
                1L << 30, Duration.ofMinutes(10), null, null, true, "server"), c.deploy());
        for (CommandLine.Option o : CommandLine.SERVER_OPTIONS) {
            if (List.of("port", "admin", "pid-file", "status-file", "restart", "registry", "before-deploy-hook",
                    "after-deploy-hook", "notifier", "slot", "calver", "proxy", "health-path").contains(o.name())) {
                continue;
            }
            assertEquals(c, parse("--registry", "ghr://o/r", "--" + o.name() + "=" + o.defaultValue(), "--", "x"),
                    o.name());
        }
        assertNull(parse("--", "x").deploy(), "no registry: a plain init");
    }

    @Test
    void assetsTakesTheDeployOptionsAndNoCommand() throws UsageException {
        Config c = CommandLine.parseAssets(List.of("--registry", "file:///srv/bundles", "-i", "5s", "--workdir",
                "/srv/site", "--after-deploy-hook", "nginx -s reload", "--admin", "17000", "--notifier",
                "webhook+http://127.0.0.1:9/hook", "-l", "debug"), Map.of("DEWY_PORT", "8080", "DEWY_READY", "notify"));
        assertTrue(c.assets());
        assertEquals(List.of(), c.command());
        assertEquals(List.of(), c.ports(), "a server's variables in the environment are not the assets command's");
        assertEquals(new DeployConfig("file:///srv/bundles", Duration.ofSeconds(5), Path.of("/srv/site"), 7, false,
                null, "nginx -s reload", 1L << 30, Duration.ofMinutes(10), null, null, true, "assets"), c.deploy());
        assertEquals(List.of("webhook+http://127.0.0.1:9/hook"), c.notifiers());
        assertEquals(17000, c.admin().port());
        assertFalse(parse("--", "x").assets());
        assertEquals("assets", CommandLine.parseAssets(List.of(), Map.of("DEWY_REGISTRY", "ghr://o/r")).deploy().mode());
    }

    @Test
    void assetsRefusesACommandAndTheServersOptions() {
        assertEquals("dewy assets needs --registry (or DEWY_REGISTRY): it deploys releases and nothing else",
                assertThrows(UsageException.class, () -> CommandLine.parseAssets(List.of(), Map.of())).getMessage());
        assertEquals("dewy assets runs no command: drop \"-- /app\" (use dewy server to run one)",
                assertThrows(UsageException.class, () -> CommandLine.parseAssets(List.of("--registry", "ghr://o/r",
                        "--", "/app"), Map.of())).getMessage());
        assertEquals("dewy assets runs no command: unexpected \"/app\"", assertThrows(UsageException.class,
                () -> CommandLine.parseAssets(List.of("--registry", "ghr://o/r", "/app"), Map.of())).getMessage());
        assertEquals("flag --port is not an option of dewy assets, which runs no application",
                assertThrows(UsageException.class, () -> CommandLine.parseAssets(List.of("--registry", "ghr://o/r",
                        "--port", "8080"), Map.of())).getMessage());
        assertEquals("flag -p is not an option of dewy assets, which runs no application",
                assertThrows(UsageException.class, () -> CommandLine.parseAssets(List.of("-p", "8080"), Map.of()))
                        .getMessage());
        assertEquals("unknown flag --nope", assertThrows(UsageException.class,
                () -> CommandLine.parseAssets(List.of("--nope"), Map.of())).getMessage());
        assertEquals("unknown flag --nope", usageError("--nope", "--", "x"));
    }

    @Test
    void deployFlags() throws UsageException {
        Config c = parse("--registry", "file:///srv/releases?pre-release=true", "-i", "1s", "--workdir", "/opt/app",
                "--keep-releases", "3", "--require-checksum", "--before-deploy-hook", "echo before",
                "--after-deploy-hook=echo after", "--max-artifact-size", "200MiB", "--download-timeout", "30s",
                "--notifier", "slack://deploys?title=app", "--notifier=webhook+http://127.0.0.1:9/hook", "--", "x");
        assertEquals(new DeployConfig("file:///srv/releases?pre-release=true", Duration.ofSeconds(1),
                Path.of("/opt/app"), 3, true, "echo before", "echo after", 200L << 20, Duration.ofSeconds(30), null, null, true, "server"),
                c.deploy());
        DeployConfig slotted = parse("--registry", "ghr://o/r", "-s", "blue", "--calver", "YYYY.0M0D.MICRO", "--", "x")
                .deploy();
        assertEquals("blue", slotted.slot());
        assertEquals("YYYY.0M0D.MICRO", slotted.calver());
        DeployConfig fromEnv = CommandLine.parseServer(List.of("--", "x"), Map.of("DEWY_REGISTRY", "ghr://o/r",
                "DEWY_SLOT", "green", "DEWY_CALVER", "YYYY.MICRO")).deploy();
        assertEquals("green", fromEnv.slot());
        assertFalse(parse("--registry", "ghr://o/r", "--no-report", "--", "x").deploy().report());
        assertEquals("YYYY.MICRO", fromEnv.calver());
        assertEquals(List.of("slack://deploys?title=app", "webhook+http://127.0.0.1:9/hook"), c.notifiers());
        assertEquals(false, parse("--registry", "ghr://o/r", "--require-checksum=false", "--", "x").deploy()
                .requireChecksum());
        assertEquals(List.of("webhook+http://a/1", "webhook+http://b/2"),
                CommandLine.parseServer(List.of("--", "x"), Map.of("DEWY_NOTIFIER", "webhook+http://a/1 webhook+http://b/2"))
                        .notifiers());
        assertEquals(5L, parse("--registry", "ghr://o/r", "--max-artifact-size", "5", "--", "x").deploy().maxArtifactSize());
        assertEquals(3L << 30, parse("--registry", "ghr://o/r", "--max-artifact-size", "3G", "--", "x").deploy()
                .maxArtifactSize());
    }

    @Test
    void deployUsageErrors() {
        assertMentions(usageError(Map.of(), "--registry", "ghr://o/r", "-i", "0", "--", "x"), "--interval", "more than 0");
        assertMentions(usageError(Map.of(), "--registry", "ghr://o/r", "--interval", "0s", "--", "x"), "--interval");
        assertMentions(usageError(Map.of(), "--before-deploy-hook", "true", "--", "x"), "--before-deploy-hook",
                "needs --registry");
        assertMentions(usageError(Map.of(), "--registry", "ghr://o/r", "--keep-releases", "0", "--", "x"),
                "--keep-releases");
        assertMentions(usageError(Map.of(), "--registry", "ghr://o/r", "--max-artifact-size", "lots", "--", "x"),
                "--max-artifact-size", "lots");
        assertMentions(usageError(Map.of(), "--registry", "ghr://o/r", "--require-checksum=maybe", "--", "x"),
                "--require-checksum", "maybe");
        assertMentions(usageError(Map.of(), "--registry", " ", "--", "x"), "--registry", "empty");
        assertMentions(usageError(Map.of(), "--slot", "blue", "--", "x"), "--slot", "needs --registry");
        assertMentions(usageError(Map.of(), "--calver", "YYYY.MICRO", "--", "x"), "--calver", "needs --registry");
        assertMentions(usageError(Map.of(), "--registry", "ghr://o/r", "--slot=", "--", "x"), "--slot", "empty");
        assertMentions(usageError(Map.of(), "--registry", "ghr://o/r", "--slot", "a+b", "--", "x"), "--slot",
                "\"a+b\" cannot be a slot");
        assertMentions(usageError(Map.of(), "--registry", "ghr://o/r", "--calver", "yyyy", "--", "x"), "--calver",
                "calver format \"yyyy\" contains no valid specifiers");
    }

    @Test
    void restartDefaultDependsOnHoldingSockets() throws UsageException {
        assertEquals(RestartPolicy.Mode.NEVER, parse("--", "x").restart().mode());
        assertEquals(RestartPolicy.Mode.ON_FAILURE, parse("--port", "8080", "--", "x").restart().mode());
        String self = Long.toString(ProcessHandle.current().pid());
        assertEquals(RestartPolicy.Mode.ON_FAILURE, CommandLine.parseServer(List.of("--", "x"),
                java.util.Map.of("LISTEN_FDS", "1", "LISTEN_PID", self)).restart().mode(), "socket-activated dewy");
        assertEquals(RestartPolicy.Mode.NEVER, CommandLine.parseServer(List.of("--", "x"),
                java.util.Map.of("LISTEN_FDS", "1", "LISTEN_PID", "1" + self)).restart().mode(), "someone else's");
        assertEquals(RestartPolicy.Mode.ALWAYS, parse("--restart", "always", "--", "x").restart().mode());
    }

    @Test
    void zeroDowntimeFlags() throws UsageException {
        Config c = parse("-p", "8080", "--port=127.0.0.1:8081,/run/a.sock=7", "--backlog", "64", "--ready",
                "exec:curl -f localhost:8080", "--ready-timeout", "2m", "--restart-signal", "QUIT", "--drain-delay",
                "5s", "--restart", "on-failure", "--restart-delay", "250ms", "--max-restarts", "0", "--restart-window",
                "30s", "--admin", "9090", "--pid-file", "/run/dewy.pid", "--status-file", "/run/dewy.status", "--",
                "app");
        assertEquals(List.of("8080", "127.0.0.1:8081", "/run/a.sock"), c.ports().stream().map(p -> p.text()).toList());
        assertEquals(7, c.ports().get(2).fd());
        assertEquals(64, c.backlog());
        assertEquals(dewy.starter.Readiness.exec("curl -f localhost:8080"), c.readiness());
        assertEquals(Duration.ofMinutes(2), c.readyTimeout());
        assertEquals(3, c.restartSignal());
        assertEquals(Duration.ofSeconds(5), c.drainDelay());
        assertEquals(new RestartPolicy(RestartPolicy.Mode.ON_FAILURE, Duration.ofMillis(250), 0, Duration.ofSeconds(30)),
                c.restart());
        assertEquals("127.0.0.1", c.admin().host());
        assertEquals(9090, c.admin().port());
        assertEquals(java.nio.file.Path.of("/run/dewy.pid"), c.pidFile());
        assertEquals(dewy.starter.Readiness.notifySocket(), parse("--ready", "notify", "--", "x").readiness());
        assertEquals(dewy.starter.Readiness.delay(Duration.ofMillis(1500)),
                parse("--ready", "delay:1.5s", "--", "x").readiness());
        assertEquals(List.of("8080"), CommandLine.parseServer(List.of("--", "x"), java.util.Map.of("DEWY_PORT", "8080"))
                .ports().stream().map(p -> p.text()).toList());
        assertEquals(List.of("8000", "8001", "8002", "127.0.0.1:9000"), parse("-p", "8000-8002,127.0.0.1:9000", "--",
                "x").ports().stream().map(p -> p.text()).toList());
    }

    @Test
    void badZeroDowntimeFlagsAreOneLineErrors() {
        for (List<String> bad : List.of(List.of("--port", "http"), List.of("--port", "80,80"),
                List.of("--port", "8000-8100"), List.of("--port", "90-80"), List.of("--port", "8000-8002,8001"),
                List.of("--port", "80=3,81=3"), List.of("--backlog", "0"), List.of("--ready", "soon"),
                List.of("--ready", "exec:"), List.of("--ready", "delay:x"), List.of("--ready-timeout", "0"),
                List.of("--restart-signal", "HUP"), List.of("--restart", "sometimes"),
                List.of("--max-restarts", "-1"), List.of("--restart-window", "0s"), List.of("--admin", "/a.sock"),
                List.of("--admin", "9090=3"), List.of("--pid-file", " "))) {
            List<String> args = new ArrayList<>(bad);
            args.addAll(List.of("--", "x"));
            UsageException e = assertThrows(UsageException.class, () -> CommandLine.parseServer(args, java.util.Map.of()),
                    bad.toString());
            assertTrue(e.getMessage().startsWith(bad.get(0)) && !e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void keepTokens() throws UsageException {
        assertFalse(parse("--", "x").keepTokens(), "tokens stay away from the application by default");
        assertTrue(parse("--keep-tokens", "--", "x").keepTokens());
        assertTrue(parseEnv(Map.of("DEWY_KEEP_TOKENS", "true"), "--", "x").keepTokens());
        assertFalse(parseEnv(Map.of("DEWY_KEEP_TOKENS", "true"), "--keep-tokens=false", "--", "x").keepTokens());
        assertMentions(usageError(Map.of("DEWY_KEEP_TOKENS", "sometimes"), "--", "x"), "DEWY_KEEP_TOKENS", "sometimes");
    }

    @Test
    void proxyGivesEachGenerationItsPortAndDefaultsReadinessToItsHealthPath() throws UsageException {
        Config c = parse("--proxy", "8080", "--", "x");
        assertEquals("127.0.0.1", c.proxy().host());
        assertEquals(8080, c.proxy().port());
        assertEquals(Readiness.http("/"), c.readiness());
        assertEquals(RestartPolicy.Mode.ON_FAILURE, c.restart().mode(), "as with sockets");
        assertEquals(Readiness.http("/actuator/health/readiness"),
                parse("--proxy", "[::1]:8080", "--health-path", "/actuator/health/readiness", "--", "x").readiness());
        assertEquals(Readiness.notifySocket(), parse("--proxy", "8080", "--ready", "notify", "--", "x").readiness());
        assertEquals(Readiness.http("/up"), parse("--proxy", "8080", "--ready", "http:/up", "--", "x").readiness());
        assertEquals(9090, parseEnv(Map.of("DEWY_PROXY", "9090"), "--", "x").proxy().port());
        assertNull(parse("--", "x").proxy());
    }

    @Test
    void proxyRefusesWhatCannotWork() {
        assertMentions(usageError("--proxy", "8080", "--port", "8081", "--", "x"), "--proxy", "--port", "choose one");
        assertMentions(usageError("--health-path", "/h", "--", "x"), "--health-path", "needs --proxy");
        assertMentions(usageError("--ready", "http:/h", "--", "x"), "--ready", "needs --proxy");
        assertMentions(usageError("--proxy", "8080", "--health-path", "health", "--", "x"), "--health-path",
                "not an absolute HTTP path");
        assertMentions(usageError("--proxy", "8080", "--health-path", "/a b", "--", "x"), "not an absolute HTTP path");
        assertMentions(usageError("--proxy", "/run/a.sock", "--", "x"), "--proxy");
        assertMentions(usageError("--proxy", "8080=0", "--", "x"), "--proxy");
    }
}
