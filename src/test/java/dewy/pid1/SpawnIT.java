package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.Dewy.Mode;
import dewy.posix.Signals;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
        try (Dewy dewy = Dewy.start(mode, tmp, Map.of("DEWY_TEST_PROBE", "hello world"),
                TestApp.command(List.of(), "report", report))) {
            Dewy.awaitLines(report, "ready", 1, Duration.ofSeconds(20));
            dewy.awaitStarted();
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
}
