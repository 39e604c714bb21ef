package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.posix.Signals;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Cases 2, 5 and 10, and the restart half of case 3: signals that the engine sends to the container (docker kill
 * --signal=...) reach dewy as PID 1, which forwards them, restarts, or drains.
 */
@ContainerTest
class ContainerSignalsIT {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void hupReachesTheApplicationAndBothKeepRunning() {
        try (DewyContainer dewy = DewyContainer.dewy(List.of("-l", "debug"), "record", DewyContainer.RECORD)
                .startReady()) {
            int app = dewy.app();
            dewy.kill("HUP");
            dewy.awaitApp("sig " + Signals.SIGHUP, 1, WAIT);
            DewyContainer.sleep(300);
            assertTrue(dewy.running(), "dewy still runs");
            assertEquals(app, dewy.app(), "the same application process: no restart, no stop");
            assertEquals(0, dewy.countLog("restart"), dewy.dewyLog());
            // case 10: the engine's signal, taken by PID 1 (sender 0: it came from outside the namespace)
            assertTrue(dewy.dewyLog().contains("msg=\"PID received signal\" pid=1 signal=SIGHUP sender=0"),
                    dewy.dewyLog());
        }
    }

    @Test
    void usr2AndWinchReachTheApplication() {
        try (DewyContainer dewy = DewyContainer.dewy(List.of("-l", "debug"), "record", DewyContainer.RECORD)
                .startReady()) {
            int app = dewy.app();
            dewy.kill("USR2");
            dewy.awaitApp("sig " + Signals.SIGUSR2, 1, WAIT);
            dewy.kill("WINCH");
            dewy.awaitApp("sig " + Signals.SIGWINCH, 1, WAIT);
            assertEquals(List.of("ready", "sig 12", "sig 28"), dewy.appLines(), "each once, nothing else");
            assertTrue(dewy.running());
            assertEquals(app, dewy.app());
            for (String sig : List.of("SIGUSR2", "SIGWINCH")) {
                assertTrue(dewy.dewyLog().contains("msg=\"PID received signal\" pid=1 signal=" + sig + " sender=0"),
                        dewy.dewyLog());
            }
        }
    }

    @ParameterizedTest(name = "{0} drains like TERM")
    @ValueSource(strings = {"QUIT", "INT"})
    void quitAndIntDrainTheApplicationAndDewyExitsWithItsStatus(String signal) {
        try (DewyContainer dewy = DewyContainer.dewy(List.of("--grace-period", "20s"), "record",
                DewyContainer.RECORD, 42, 500).startReady()) {
            long t0 = System.nanoTime();
            dewy.kill(signal);
            assertEquals(42, dewy.awaitExit(Duration.ofSeconds(15)), dewy.dewyLog());
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos(), "drained, not killed at the end");
            // the application got the stop signal (TERM), whichever signal started the drain, and took its 500 ms
            assertEquals(List.of("ready", "sig " + Signals.SIGTERM), dewy.appLines());
            assertTrue(dewy.dewyLog().contains("msg=draining signal=SIG" + signal), dewy.dewyLog());
            assertFalse(dewy.getLogs().contains("Full thread dump"), "QUIT must not reach the JVM's handler");
        }
    }

    /** USR1 without ports: a new application process (with ports, under load: ZeroDowntimeContainerIT). */
    @Test
    void usr1RestartsTheApplicationWithANewPid() {
        try (DewyContainer dewy = DewyContainer.dewy(List.of(), "pause", DewyContainer.RECORD).startReady()) {
            int first = dewy.app();
            dewy.kill("USR1");
            dewy.awaitLog("msg=restarted generation=2", 1, WAIT);
            dewy.awaitApp("ready", 2, WAIT);
            int second = dewy.app();
            assertNotEquals(first, second);
            // the reload docker/k8s/deployment.yaml shows, `kill -USR1 1` from inside the container
            dewy.sh(KubernetesManifestTest.RELOAD);
            dewy.awaitLog("msg=restarted generation=3", 1, WAIT);
            dewy.awaitApp("ready", 3, WAIT);
            assertNotEquals(second, dewy.app());
            assertTrue(dewy.running());
        }
    }
}
