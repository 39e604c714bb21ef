package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.Dewy.Mode;
import dewy.posix.Signals;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dewy without a PID namespace: a child subreaper that still reaps, forwards and drains. */
class SubreaperIT {
    @TempDir
    Path tmp;

    @Test
    void saysSoAndReapsOrphansThatWouldOtherwiseGoToTheHostsInit() throws Exception {
        Path out = tmp.resolve("out");
        try (Dewy dewy = Dewy.start(Mode.SUBREAPER, tmp, TestApp.command(List.of("-l", "debug"), "orphans", 200, out))) {
            Dewy.awaitLines(out, "done", 1, Duration.ofSeconds(30));
            dewy.awaitStarted();
            assertTrue(dewy.log().contains("registered as child subreaper (PR_SET_CHILD_SUBREAPER)"), dewy.log());
            dewy.awaitLog("msg=reaped", 200, Duration.ofSeconds(10));
            assertEquals(List.of(), Dewy.zombieChildren(dewy.pid()));
            assertEquals(1, dewy.children().size());
            dewy.signal(Signals.SIGTERM);
            assertEquals(143, dewy.awaitExit(Duration.ofSeconds(10)));
        }
    }

    @Test
    void drainKillsADescendantThatOutlivesTheGracePeriodAndLeavesNoProcessBehind() throws Exception {
        Path out = tmp.resolve("out");
        try (Dewy dewy = Dewy.startReady(Mode.SUBREAPER, tmp, out, "--grace-period", "1s", "--", "sh", "-c",
                "setsid " + TestApp.path() + " ignore-term " + out + " & wait")) {
            int stray = Dewy.children(dewy.app()).get(0);
            dewy.signal(Signals.SIGTERM);
            dewy.awaitExit(Duration.ofSeconds(10));
            Dewy.await("the stray to be gone", Duration.ofSeconds(5), () -> Dewy.state(stray) == '-');
        }
    }

    @Test
    void terminalStopSuspendsTheChildAndDewyAndContinueResumesBoth() throws Exception {
        Path ready = tmp.resolve("ready");
        try (Dewy dewy = Dewy.startReady(Mode.SUBREAPER, tmp, ready, TestApp.command(List.of(), "pause", ready))) {
            int app = dewy.app();
            dewy.signal(Signals.SIGTSTP);
            Dewy.await("child and dewy stopped", Duration.ofSeconds(5),
                    () -> Dewy.state(app) == 'T' && Dewy.state(dewy.pid()) == 'T');
            dewy.signal(Signals.SIGCONT);
            Dewy.await("child and dewy running", Duration.ofSeconds(5),
                    () -> Dewy.state(app) != 'T' && Dewy.state(dewy.pid()) != 'T');
            assertNotEquals('Z', Dewy.state(app));
            dewy.signal(Signals.SIGTERM);
            assertEquals(143, dewy.awaitExit(Duration.ofSeconds(10)));
        }
    }
}
