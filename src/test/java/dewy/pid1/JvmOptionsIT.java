package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dewy.pid1.Dewy.Mode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What reaches dewy's own JVM and what reaches the application's: JVM options, their variables, agents. */
class JvmOptionsIT {
    @TempDir
    Path tmp;

    /** A JDK without one of the launcher's diagnostic flags must not crash-loop the container. */
    @Test
    void aJvmOptionTheJvmDoesNotKnowIsIgnored() throws Exception {
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, Map.of("DEWY_JAVA_OPTS", "-XX:+SomeFlagThatDoesNotExist"),
                "--", "true")) {
            assertEquals(0, dewy.awaitExit(Duration.ofSeconds(30)), dewy.log());
        }
    }
}
