package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docker/examples/jetty: plain Jetty 12 with dev.dewy:dewy-app on JDK 17, as PID 1's application. */
class JettyAppIT {
    @TempDir
    Path tmp;

    /**
     * READY=1 from JDK 17 (jnr-ffi) gates each swap: a generation whose start-up takes 5 s longer leaves the old one
     * serving until it is ready; then 10 restarts under a nonstop load fail no request, each old generation saying
     * STOPPING=1 as it drains.
     */
    @Test
    void readyFromJdk17AndTenRestartsFailNoRequest() throws Exception {
        int port = StarterIT.freePort();
        try (Dewy dewy = JavaApps.start(tmp, port, JavaApps.JETTY)) {
            // the app's stderr is dewy's: its start line names the sd_notify transport (it may come after READY=1)
            dewy.awaitLog("hello-jetty: generation 1 serving on fd 0", 1, Duration.ofSeconds(10));
            assertTrue(dewy.log().contains("hello-jetty: generation 1 serving on fd 0 (/127.0.0.1:" + port
                    + "), sd_notify to ") && dewy.log().contains("(jnr-ffi)"), "READY=1 from JDK 17: " + dewy.log());
            HttpLoad load = JavaApps.load(port, 1, Duration.ofSeconds(2), Duration.ofSeconds(300));
            JavaApps.swapIsGatedByReadiness(dewy, tmp, load, 1);
            JavaApps.restarts(dewy, load, 2, 10);
            assertTrue(dewy.log().contains("hello-jetty: generation 11 drained"), "stderr kept through the drain");
        }
    }
}
