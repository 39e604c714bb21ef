package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.wait.strategy.Wait;

/** Case 6: orphans re-parented to dewy, PID 1 of the container, are reaped: none is left a zombie. */
@ContainerTest
class ContainerReapIT {
    private static final int ORPHANS = 1000;

    @Test
    void aThousandOrphansLeaveNoZombie() {
        try (DewyContainer dewy = DewyContainer.dewy(List.of(), "orphans", ORPHANS, DewyContainer.RECORD)
                .waitingFor(Wait.forLogMessage(".*msg=started.*\\n", 1))) {
            dewy.start();
            dewy.awaitApp("done", 1, Duration.ofSeconds(120));
            // each orphan is a double fork in this PID namespace, so its pids went past 2 x ORPHANS
            int lastPid = Integer.parseInt(dewy.sh("cat /proc/sys/kernel/ns_last_pid").trim());
            assertTrue(lastPid > 2 * ORPHANS, "the orphans were made here: ns_last_pid=" + lastPid);
            DewyContainer.await("no zombie in the container", Duration.ofSeconds(10),
                    () -> dewy.processes().stream().noneMatch(p -> p.state() == 'Z'));
            List<DewyContainer.Proc> children = dewy.childrenOfPid1();
            assertEquals(1, children.size(), "only the application is left under PID 1: " + children);
            assertEquals(143, dewy.dockerStop(20).exitCode(), "the application's TERM death: " + dewy.dewyLog());
        }
    }
}
