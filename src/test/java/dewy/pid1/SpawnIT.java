package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.Dewy.Mode;
import dewy.posix.SignalSet;
import dewy.posix.Signals;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/** What the application inherits: nothing of the JVM, everything of dewy's cwd and environment. */
class SpawnIT {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void childStartsCleanInEveryGeneration(Mode mode) throws Exception {
        Path report = tmp.resolve("report");
        try (Dewy dewy = Dewy.startReady(mode, tmp, Map.of("DEWY_TEST_PROBE", "hello world"), report,
                TestApp.command(List.of(), "report", report))) {
            dewy.signal(Signals.SIGUSR1);
            Dewy.awaitLines(report, "ready", 2, Duration.ofSeconds(10));
            List<String> lines = Dewy.lines(report);
            int half = lines.size() / 2;
            for (List<String> generation : List.of(lines.subList(0, half), lines.subList(half, lines.size()))) {
                assertEquals(List.of("SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000",
                        "SigCgt:\t0000000000000000", "fd 0", "fd 1", "fd 2", "pgid-is-pid 1", "cwd " + tmp.toRealPath(),
                        "env DEWY_TEST_PROBE=hello world", "env _JAVA_SR_SIGNUM=(unset)", "ready"), generation,
                        mode + ": empty mask, default dispositions, stdio only, own group, dewy's cwd and env");
            }
            assertTrue(dewy.alive());
        }
    }

    /**
     * Only fds 0-2 and the passed sockets, on both ways of closing the rest: glibc's closefrom file action (2.34 and
     * later), and one close action per descriptor of /proc/self/fd, which older glibc needs (forced here by
     * {@code -Ddewy.spawn.without}). The sockets sit at 3 and 5, so dewy's own fd 4 must be closed in the gap.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"closefrom", "fallback"})
    void onlyStdioAndThePassedSocketsOnBothClosingPaths(String path) throws Exception {
        Path file = tmp.resolve("gen");
        Map<String, String> env = path.equals("fallback")
                ? Map.of("DEWY_JAVA_OPTS", "-D" + dewy.posix.Posix.WITHOUT_PROPERTY + "=closefrom,tcsetpgrp")
                : Map.of();
        String ports = "127.0.0.1:" + StarterIT.freePort() + ",127.0.0.1:" + StarterIT.freePort() + "=5";
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, env, TestApp.command(List.of("--port", ports, "--log-level",
                "debug"), "generation", file))) {
            dewy.awaitStarted();
            Dewy.awaitLines(file, "1 ready", 1, Duration.ofSeconds(10));
            dewy.signal(Signals.SIGUSR1);
            Dewy.awaitLines(file, "2 ready", 1, Duration.ofSeconds(10));
            for (int generation : List.of(1, 2)) {
                assertEquals(List.of("fd 0 other", "fd 1 other", "fd 2 other", "fd 3 listening-socket",
                        "fd 5 listening-socket"), StarterIT.of(file, generation).stream()
                        .filter(l -> l.startsWith("fd ")).sorted().toList(), path + ", generation " + generation);
            }
            String used = path.equals("fallback") ? "\"posix_spawn_file_actions_addclose for each descriptor in "
                    + "/proc/self/fd\"" : "posix_spawn_file_actions_addclosefrom_np";
            assertEquals(1, dewy.countLog("msg=spawning closes_descriptors_with=" + used), dewy.log());
        }
    }

    /**
     * A non-interactive sh starts background jobs with INT and QUIT ignored, and ignored dispositions survive
     * exec. dewy must still drain on INT, and must not pass the ignored dispositions on to the application.
     */
    @Test
    void dewyStartedWithIntAndQuitIgnoredStillDrainsAndItsChildGetsDefaults() throws Exception {
        Path report = tmp.resolve("report");
        String launch = Dewy.TARGET.resolve("dewy") + " server -- " + TestApp.path() + " report " + report;
        Process sh = new ProcessBuilder("sh", "-c", launch + " 2>" + tmp.resolve("err") + " & echo $!; wait $!")
                .redirectErrorStream(true).start();
        sh.getOutputStream().close();
        java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(sh.getInputStream()));
        int dewyPid = Integer.parseInt(out.readLine().trim());
        try {
            Dewy.awaitLines(report, "ready", 1, Duration.ofSeconds(20));
            String status = Dewy.read(Path.of("/proc", Integer.toString(dewyPid), "status"));
            String ign = status.lines().filter(l -> l.startsWith("SigIgn:")).findFirst().orElseThrow();
            assertTrue(SignalSet.fromProcHex(ign.substring(7)).contains(Signals.SIGINT),
                    "the premise: dewy itself runs with SIGINT ignored: " + ign);
            assertTrue(Dewy.lines(report).contains("SigIgn:\t0000000000000000"), "child: " + Dewy.lines(report));
            Dewy.kill(dewyPid, Signals.SIGINT);
            assertTrue(sh.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "dewy drained on INT");
            assertEquals(143, sh.exitValue(), "the application's status, killed by the stop signal");
        } finally {
            sh.destroyForcibly();
            Dewy.killQuietly(dewyPid);
        }
    }
}
