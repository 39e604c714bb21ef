package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.posix.Signals;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * Cases 4 and 7: {@code docker stop} sends TERM to PID 1 and SIGKILLs the container at its timeout. Under dewy the
 * application drains and the container exits with the application's status, well before the timeout; under a PID 1
 * that has no TERM handler the signal is dropped and the engine's SIGKILL ends everything (137).
 */
@ContainerTest
class DockerStopIT {
    @Test
    void dockerStopDrainsTheApplicationAndExitsWithItsStatusLongBeforeTheTimeout() {
        try (DewyContainer dewy = DewyContainer.dewy(List.of("--grace-period", "20s"), "record",
                DewyContainer.RECORD, 3, 1000).startReady()) {
            DewyContainer.Stopped stopped = dewy.dockerStop(20);
            assertEquals(3, stopped.exitCode(), "the application's exit code: " + dewy.dewyLog());
            assertTrue(stopped.took().compareTo(Duration.ofSeconds(1)) >= 0, "dewy waited for the 1 s drain: "
                    + stopped.took());
            assertTrue(stopped.took().compareTo(Duration.ofSeconds(8)) < 0, "well before docker's 20 s: "
                    + stopped.took());
            assertEquals(List.of("ready", "sig " + Signals.SIGTERM), dewy.appLines());
            assertTrue(dewy.dewyLog().contains("msg=draining signal=SIGTERM"), dewy.dewyLog());
        }
    }

    /** The contrast: the same image and application, with busybox sh as PID 1 instead of dewy. */
    @Test
    void aShellAsPid1IgnoresTermAndIsKilledAtTheTimeout() {
        try (DewyContainer sh = new DewyContainer(DewyContainer.IMAGE)
                .withCreateContainerCmdModifier(c -> c.withEntrypoint("sh", "-c"))
                .withCommand(new String[] {StaticTestApp.IN_CONTAINER + " record " + DewyContainer.RECORD + " 3 & wait"})
                .waitingFor(Wait.forLogMessage("ready\\n", 1))) {
            sh.start();
            assertEquals("sh", sh.processes().stream().filter(p -> p.pid() == 1).findFirst().orElseThrow().comm());
            DewyContainer.Stopped stopped = sh.dockerStop(3);
            assertEquals(137, stopped.exitCode(), "SIGKILLed by the engine");
            assertTrue(stopped.took().compareTo(Duration.ofSeconds(3)) >= 0, "only at the timeout: " + stopped.took());
            assertEquals(List.of("ready"), sh.appLines(), "the application never heard of the stop");
        }
    }

    @Test
    void anApplicationThatIgnoresTermIsKilledAfterDewysGracePeriodNotDockersTimeout() {
        try (DewyContainer dewy = DewyContainer.dewy(List.of("--grace-period", "2s"), "ignore-term",
                DewyContainer.RECORD).startReady()) {
            DewyContainer.Stopped stopped = dewy.dockerStop(30);
            assertEquals(128 + Signals.SIGKILL, stopped.exitCode(), "the application's status: killed by dewy");
            assertTrue(stopped.took().compareTo(Duration.ofSeconds(2)) >= 0, "after the grace period: "
                    + stopped.took());
            assertTrue(stopped.took().compareTo(Duration.ofSeconds(10)) < 0, "long before docker's 30 s: "
                    + stopped.took());
            assertTrue(dewy.dewyLog().contains("msg=\"grace period over; sending SIGKILL to every remaining process\""),
                    dewy.dewyLog());
            assertTrue(dewy.dewyLog().contains("msg=exiting status=137"), dewy.dewyLog());
            assertFalse(dewy.appLines().isEmpty());
        }
    }
}
