package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.Dewy.Mode;
import dewy.posix.Signals;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGUSR1: stop the application, start it again; coalesced, never lost, never doubled. */
class RestartIT {
    @TempDir
    Path tmp;

    @Test
    void usr1GivesANewChildAndTheOldOneIsGoneNotAZombie() throws Exception {
        Path rec = tmp.resolve("rec");
        try (Dewy dewy = Dewy.startReady(Mode.PID1, tmp, rec, TestApp.command(List.of(), "record", rec))) {
            int first = dewy.app();
            dewy.signal(Signals.SIGUSR1);
            dewy.awaitLog("msg=restarted generation=2", 1, Duration.ofSeconds(10));
            Dewy.awaitLines(rec, "ready", 2, Duration.ofSeconds(10));
            int second = dewy.app();
            assertNotEquals(first, second);
            assertEquals('-', Dewy.state(first), "the old child is gone from the process table, not a zombie");
            assertEquals(List.of(), Dewy.zombieChildren(dewy.pid()));
            assertEquals(List.of("ready", "sig 15", "ready"), Dewy.lines(rec), "old generation got TERM, then a new one");
            assertTrue(dewy.alive());
        }
    }

    @Test
    void aBurstOfFiveUsr1NeverLeavesTwoChildrenRunning() throws Exception {
        Path rec = tmp.resolve("rec");
        try (Dewy dewy = Dewy.startReady(Mode.PID1, tmp, rec, TestApp.command(List.of("-l", "debug"), "record", rec))) {
            int first = dewy.app();
            AtomicInteger most = new AtomicInteger();
            AtomicBoolean watching = new AtomicBoolean(true);
            Thread watcher = new Thread(() -> {
                while (watching.get()) {
                    long running = Dewy.children(dewy.pid()).stream().filter(p -> Dewy.state(p) != 'Z').count();
                    most.accumulateAndGet((int) running, Math::max);
                }
            });
            watcher.start();
            // a real burst: five kill(2) calls from one shell, microseconds apart
            Process burst = new ProcessBuilder("sh", "-c", "for i in 1 2 3 4 5; do kill -USR1 " + dewy.pid() + "; done")
                    .inheritIO().start();
            assertEquals(0, burst.waitFor());
            // settled: no restart in progress for a while
            dewy.awaitLog("msg=restarted", 1, Duration.ofSeconds(10));
            int seen;
            do {
                seen = dewy.countLog("msg=restarted");
                Dewy.sleep(1000);
            } while (dewy.countLog("msg=restarted") != seen);
            watching.set(false);
            watcher.join();
            int received = dewy.countLog("signal=SIGUSR1");
            assertTrue(seen >= 1 && seen <= 2, "five USR1 are one restart plus at most one queued, got " + seen);
            assertTrue(seen <= received, "never more restarts than USR1 received");
            assertEquals(1, most.get(), "never two children at once");
            int last = dewy.app();
            assertNotEquals(first, last);
            assertEquals(List.of(), Dewy.zombieChildren(dewy.pid()));
        }
    }

    @Test
    void usr1DuringARestartJoinsItOrQueuesExactlyOneMore() throws Exception {
        Path rec = tmp.resolve("rec");
        // the application needs 800 ms to stop, and counts as ready 1 s after its start (the default delay:1s)
        try (Dewy dewy = Dewy.startReady(Mode.PID1, tmp, rec, TestApp.command(List.of(), "record", rec, 0, 800))) {
            dewy.signal(Signals.SIGUSR1);
            dewy.awaitLog("msg=restarting generation=1", 1, Duration.ofSeconds(5));
            dewy.signal(Signals.SIGUSR1); // before generation 2 is spawned: the same restart serves it
            dewy.awaitLog("restart joins the one under way", 1, Duration.ofSeconds(5));
            dewy.awaitLog("msg=started generation=2", 1, Duration.ofSeconds(5));
            dewy.signal(Signals.SIGUSR1); // after: one more restart, once generation 2 is ready
            dewy.awaitLog("one more queued", 1, Duration.ofSeconds(5));
            dewy.signal(Signals.SIGUSR1); // joins the queued one
            dewy.awaitLog("msg=restarted generation=3", 1, Duration.ofSeconds(10));
            Dewy.sleep(2500);
            assertEquals(2, dewy.countLog("msg=restarted"), dewy.log());
            assertEquals(1, dewy.children().size());
            dewy.signal(Signals.SIGTERM);
            assertEquals(0, dewy.awaitExit(Duration.ofSeconds(10)));
        }
    }

    @Test
    void restartOfAChildThatIgnoresTermKillsItAfterTheGracePeriod() throws Exception {
        Path ready = tmp.resolve("ready");
        try (Dewy dewy = Dewy.startReady(Mode.PID1, tmp, ready, TestApp.command(List.of("--grace-period", "1s"), "ignore-term",
                ready))) {
            int first = dewy.app();
            long t0 = System.nanoTime();
            dewy.signal(Signals.SIGUSR1);
            dewy.awaitLog("msg=restarted generation=2", 1, Duration.ofSeconds(10));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 950 && ms < 3000, "restart waited for the grace period, then KILL: " + ms + " ms");
            assertEquals('-', Dewy.state(first));
            assertNotEquals(first, dewy.app());
        }
    }

    @Test
    void restartIsRefusedAndTheOldGenerationKeepsRunningWhenTheCommandDisappeared() throws Exception {
        Path app = java.nio.file.Files.copy(Path.of(TestApp.path()), tmp.resolve("app-copy"));
        Path rec = tmp.resolve("rec");
        try (Dewy dewy = Dewy.startReady(Mode.PID1, tmp, rec, "--", app.toString(), "record", rec.toString())) {
            int first = dewy.app();
            java.nio.file.Files.delete(app);
            dewy.signal(Signals.SIGUSR1);
            dewy.awaitLog("restart refused", 1, Duration.ofSeconds(5));
            Dewy.sleep(300);
            assertEquals(List.of(first), dewy.children());
            assertEquals(List.of("ready"), Dewy.lines(rec), "the running generation got no signal");
        }
    }
}
