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
