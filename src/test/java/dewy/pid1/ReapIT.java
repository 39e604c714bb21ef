package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.Dewy.Mode;
import dewy.posix.Signals;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Orphans and descendants: reaped as they die, and given the grace period when the application is gone. */
class ReapIT {
    @TempDir
    Path tmp;

    @Test
    void thousandOrphansAreAllReapedAsPid1() throws Exception {
        Path out = tmp.resolve("out");
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, TestApp.command(List.of("-l", "debug"), "orphans", 1000, out))) {
            Dewy.awaitLines(out, "done", 1, Duration.ofSeconds(60));
            dewy.awaitStarted();
            Dewy.await("no zombie under dewy", Duration.ofSeconds(10), () -> Dewy.zombieChildren(dewy.pid()).isEmpty());
            Dewy.await("only the application left", Duration.ofSeconds(10), () -> dewy.children().size() == 1);
            // nothing in the whole namespace is a zombie: dewy is its PID 1, the only possible reaper of orphans
            assertEquals(List.of(), Dewy.zombieChildren(dewy.pid()));
            dewy.awaitLog("msg=reaped", 1000, Duration.ofSeconds(10));
            assertTrue(dewy.alive());
        }
    }

    @Test
    void grandchildThatNeedsASecondAfterTermGetsItWhenTheChildExitsFirst() throws Exception {
        Path out = tmp.resolve("out");
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, TestApp.command(List.of("--grace-period", "10s"),
                "slow-grandchild", out, 5))) {
            Dewy.awaitLines(out, "ready", 1, Duration.ofSeconds(20));
            long t0 = System.nanoTime();
            assertEquals(5, dewy.awaitExit(Duration.ofSeconds(15)), "exits with the application's status");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(List.of("ready", "grandchild done"), Dewy.lines(out), "the grandchild finished its work");
            assertTrue(ms >= 900 && ms < 5000, "waited for the grandchild, not for the whole grace: " + ms + " ms");
            assertTrue(dewy.log().contains("waiting for the remaining processes"), dewy.log());
        }
    }

    @Test
    void drainGivesTheGracePeriodToADescendantOutsideTheApplicationsGroup() throws Exception {
        Path out = tmp.resolve("out");
        try (Dewy dewy = Dewy.startReady(Mode.PID1, tmp, out, TestApp.command(List.of("--grace-period", "10s"),
                "slow-grandchild", out, 0, "setsid"))) {
            long t0 = System.nanoTime();
            dewy.signal(Signals.SIGTERM);
            assertEquals(143, dewy.awaitExit(Duration.ofSeconds(15)), "the application died of the stop signal");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(List.of("ready", "grandchild done"), Dewy.lines(out));
            assertTrue(ms >= 900 && ms < 5000, "waited ~1 s for the descendant: " + ms + " ms");
        }
    }

    @Test
    void descendantThatIgnoresTheStopSignalIsKilledWhenTheGracePeriodEnds() throws Exception {
        Path out = tmp.resolve("out");
        // sh leaves an ignore-term process behind and exits at once
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, "--grace-period", "1s", "--", "sh", "-c",
                TestApp.path() + " ignore-term " + out + " & while [ ! -s " + out + " ]; do sleep 0.05; done; exit 3")) {
            long t0 = System.nanoTime();
            assertEquals(3, dewy.awaitExit(Duration.ofSeconds(15)));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 900 && ms < 5000, "killed after the grace period: " + ms + " ms");
            assertTrue(dewy.log().contains("grace period over; sending SIGKILL"), dewy.log());
        }
    }
}
