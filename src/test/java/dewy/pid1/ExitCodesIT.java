package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.Dewy.Mode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** dewy as PID 1 exits with exactly the application's status; its own failures have their own documented codes. */
class ExitCodesIT {
    @TempDir
    Path tmp;

    private int runAsPid1(Path dir, Object... app) throws IOException {
        Files.createDirectories(dir);
        try (Dewy dewy = Dewy.start(Mode.PID1, dir, TestApp.command(List.of(), app))) {
            return dewy.awaitExit(Duration.ofSeconds(60));
        }
    }

    @Test
    void everyExitCodeFrom0To255PassesThrough() throws Exception {
        TestApp.path();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int code = 0; code <= 255; code++) {
                Path dir = tmp.resolve("code-" + code);
                int c = code;
                results.add(pool.submit(() -> runAsPid1(dir, "exit", c)));
            }
            for (int code = 0; code <= 255; code++) {
                assertEquals(code, results.get(code).get(120, TimeUnit.SECONDS), "exit code " + code);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest(name = "child killed by signal {0} gives {1}")
    @CsvSource({"15, 143", "1, 129", "3, 131", "9, 137"})
    void childKilledBySignalGives128PlusSignal(int signal, int expected) throws IOException {
        assertEquals(expected, runAsPid1(tmp, "raise", signal));
    }

    @Test
    void childKilledFromOutsideBySigkillGives137() throws IOException {
        Path ready = tmp.resolve("app.out");
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, TestApp.command(List.of(), "pause", ready))) {
            Dewy.awaitLines(ready, "ready", 1, Duration.ofSeconds(20));
            Dewy.kill(dewy.app(), 9);
            assertEquals(137, dewy.awaitExit(Duration.ofSeconds(20)));
        }
    }

    @Test
    void missingCommandGives127AndOneLineNamingIt() throws IOException {
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, "--", "/no/such/app", "arg")) {
            assertEquals(127, dewy.awaitExit(Duration.ofSeconds(30)));
            List<String> errors = dewy.log().lines().filter(l -> l.contains("level=ERROR")).toList();
            assertEquals(1, errors.size(), dewy.log());
            assertTrue(errors.get(0).contains("/no/such/app: not found"), errors.get(0));
        }
    }

    @Test
    void commandNotInPathGives127() throws IOException {
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, "--", "no-such-command-anywhere")) {
            assertEquals(127, dewy.awaitExit(Duration.ofSeconds(30)));
            assertTrue(dewy.log().contains("no-such-command-anywhere: not found"), dewy.log());
        }
    }

    @Test
    void directoryGives126AndOneLineNamingIt() throws IOException {
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, "--", "/etc")) {
            assertEquals(126, dewy.awaitExit(Duration.ofSeconds(30)));
            List<String> errors = dewy.log().lines().filter(l -> l.contains("level=ERROR")).toList();
            assertEquals(1, errors.size(), dewy.log());
            assertTrue(errors.get(0).contains("/etc: not executable"), errors.get(0));
        }
    }

    @Test
    void fileWithoutExecutePermissionGives126() throws IOException {
        Path script = Files.writeString(tmp.resolve("not-executable.sh"), "#!/bin/sh\nexit 0\n");
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, "--", script.toString())) {
            assertEquals(126, dewy.awaitExit(Duration.ofSeconds(30)));
            assertTrue(dewy.log().contains(script + ": not executable"), dewy.log());
        }
    }

    @ParameterizedTest(name = "bad input: {0}")
    @CsvSource(delimiter = '|', value = {
            "--foo -- /bin/true                | unknown flag --foo",
            "/bin/true                         | missing -- before the command",
            "--log-level debug                 | missing -- COMMAND",
            "--                                | missing command after --",
            "--grace-period 30 -- /bin/true    | missing unit in duration",
            "--grace-period -5s -- /bin/true   | negative duration",
            "--stop-signal SIGFOO -- /bin/true | unknown signal \"SIGFOO\"",
            "--stop-signal 99 -- /bin/true     | unknown signal \"99\"",
            "-l loud -- /bin/true              | unknown log level \"loud\"",
            "-f xml -- /bin/true               | unknown log format \"xml\"",
            "--grace-period                    | flag --grace-period needs a value",
            "--success-exit-status 0 -- /bin/true | 0 is not an exit status (1-255)",
            "--success-exit-status TERM -- /bin/true | \"TERM\" is not an exit status (1-255)"})
    void badInputGives2WithOneLineAndAHint(String args, String message) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Dewy.JAVA, "-jar", Dewy.TARGET.resolve("dewy.jar").toString(),
                "server"));
        cmd.addAll(List.of(args.trim().split("\\s+")));
        assertBadInput(cmd, Map.of(), message);
    }

    @Test
    void badEnvironmentVariableGives2NamingIt() throws Exception {
        assertBadInput(List.of(Dewy.TARGET.resolve("dewy").toString(), "server", "--", "/bin/true"),
                Map.of("DEWY_GRACE_PERIOD", "soon"), "DEWY_GRACE_PERIOD: ");
    }

    @ParameterizedTest(name = "bad assets input: {0}")
    @CsvSource(delimiter = '|', value = {
            "-i 1s                                 | dewy assets needs --registry",
            "--registry file:///srv -- /bin/true   | dewy assets runs no command",
            "--registry file:///srv --port 8080    | flag --port is not an option of dewy assets"})
    void badAssetsInputGives2WithOneLineAndAHint(String args, String message) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Dewy.TARGET.resolve("dewy").toString(), "assets"));
        cmd.addAll(List.of(args.trim().split("\\s+")));
        assertBadInput(cmd, Map.of(), message);
    }

    @Test
    void unknownSubcommandGives2() throws Exception {
        assertBadInput(List.of(Dewy.JAVA, "-jar", Dewy.TARGET.resolve("dewy.jar").toString(), "serve"), Map.of(),
                "unknown command \"serve\"");
    }

    private void assertBadInput(List<String> cmd, Map<String, String> env, String message) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
        pb.environment().putAll(env);
        pb.environment().put("JAVA", Dewy.JAVA);
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes());
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), err);
        assertEquals("", out);
        List<String> lines = err.lines().toList();
        assertEquals(1, lines.size(), "exactly one line: " + err);
        assertTrue(lines.get(0).startsWith("dewy: ") && lines.get(0).contains(message), lines.get(0));
        assertTrue(lines.get(0).contains("--help"), "hints at --help: " + lines.get(0));
    }

    @Test
    void versionAndHelp() throws Exception {
        Process v = new ProcessBuilder(Dewy.JAVA, "-jar", Dewy.TARGET.resolve("dewy.jar").toString(), "version").start();
        assertTrue(new String(v.getInputStream().readAllBytes()).matches("dewy \\d+\\.\\d+\\.\\d+.*\\n"));
        assertEquals(0, v.waitFor());
        Process h = new ProcessBuilder(Dewy.JAVA, "-jar", Dewy.TARGET.resolve("dewy.jar").toString(), "server", "--help")
                .start();
        String help = new String(h.getInputStream().readAllBytes());
        assertEquals(0, h.waitFor());
        for (String s : List.of("--log-level", "--log-format", "--grace-period", "--stop-signal", "DEWY_LOG_LEVEL",
                "USR1", "127")) {
            assertTrue(help.contains(s), s + " in help");
        }
        Process a = new ProcessBuilder(Dewy.JAVA, "-jar", Dewy.TARGET.resolve("dewy.jar").toString(), "assets", "--help")
                .start();
        String assets = new String(a.getInputStream().readAllBytes());
        assertEquals(0, a.waitFor());
        assertTrue(assets.startsWith("Usage: dewy assets --registry URL"), assets);
        assertTrue(assets.contains("--after-deploy-hook") && !assets.contains("--port"), assets);
    }

    /** A JVM exits 143 on TERM however clean its shutdown; --success-exit-status 143 makes that dewy's 0 (tini -e). */
    @Test
    void successExitStatusMapsTheDrainsStatusAndTheCrashPolicy() throws Exception {
        for (boolean mapped : new boolean[] {false, true}) {
            Path dir = Files.createDirectories(tmp.resolve(mapped ? "mapped" : "plain"));
            Path rec = dir.resolve("rec");
            List<String> opts = mapped ? List.of("--success-exit-status", "143") : List.of();
            try (Dewy dewy = Dewy.startReady(Mode.PID1, dir, rec, TestApp.command(opts, "record", rec, 143))) {
                dewy.signal(15);
                assertEquals(mapped ? 0 : 143, dewy.awaitExit(Duration.ofSeconds(20)), "--success-exit-status 143: "
                        + mapped);
            }
        }
        // --restart on-failure: an exit that counts as success is not a crash, so it is not restarted
        Path dir = Files.createDirectories(tmp.resolve("policy"));
        try (Dewy dewy = Dewy.start(Mode.PID1, dir, TestApp.command(List.of("--restart", "on-failure",
                "--success-exit-status", "143,3"), "exit", 3))) {
            assertEquals(0, dewy.awaitExit(Duration.ofSeconds(20)));
            assertEquals(1, dewy.countLog("msg=started "), dewy.log());
            assertTrue(dewy.log().contains("code=3 counts_as=0"), dewy.log());
        }
    }
}
