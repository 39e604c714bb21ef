package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.wait.strategy.Wait;
import org.yaml.snakeyaml.Yaml;

/**
 * Cases 3, 8 and 9: zero-downtime restarts, the crash-restart policy and the Kubernetes pod termination, in a
 * container. The server is docker/examples/java/HelloServer.java in docker/Dockerfile's image, taking its socket
 * from dewy on fd 0; on JDK 17 it cannot send READY=1, so readiness is a delay.
 */
@ContainerTest
class ZeroDowntimeContainerIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Pattern HELLO = Pattern.compile("pid=(\\d+) gen=(\\d+)\n");
    private static final int RESTARTS = 10;

    @AfterAll
    static void removeImage() {
        ExampleImage.remove();
    }

    /** Case 3: ten USR1 restarts under a steady client, and not one request fails. */
    @Test
    void tenRestartsUnderLoadFailNoRequest() throws Exception {
        int port = DockerfileIT.freePort();
        try (DewyContainer dewy = server(List.of("--port", "127.0.0.1:" + port + "=0", "--ready", "delay:2s",
                "--grace-period", "10s"))) {
            dewy.start();
            HelloLoad load = HelloLoad.start(DockerfileIT::get, port, 50_000, Duration.ofSeconds(150));
            for (int gen = 2; gen <= RESTARTS + 1; gen++) {
                if (gen % 2 == 0) {
                    dewy.kill("USR1"); // docker kill --signal=USR1
                } else {
                    dewy.sh(KubernetesManifestTest.RELOAD); // the manifest's kubectl exec
                }
                dewy.awaitLog("msg=\"generation ready\" generation=" + gen + " ", 1, Duration.ofSeconds(30));
                dewy.awaitLog("msg=\"generation exited\" generation=" + (gen - 1) + " ", 1, Duration.ofSeconds(30));
            }
            HelloLoad.Result result = load.finish();
            result.assertNoFailureAndEveryGeneration(RESTARTS + 1);
            assertTrue(dewy.running());
        }
    }

    /** Case 8: an application that crashes is started again after the restart delay, within the policy's limits. */
    @Test
    void aCrashingApplicationIsRestartedUntilTheLimitAndDewyExitsWithItsStatus() {
        try (DewyContainer dewy = DewyContainer.dewy(List.of("--restart", "on-failure", "--restart-delay", "200ms",
                "--max-restarts", "3", "--restart-window", "1m"), "exit", 3)
                .waitingFor(Wait.forLogMessage(".*msg=started.*\\n", 1))) {
            dewy.start();
            assertEquals(3, dewy.awaitExit(Duration.ofSeconds(30)), dewy.dewyLog());
            assertEquals(4, dewy.countLog("msg=started generation="), "the first start and 3 restarts");
            assertEquals(4, dewy.countLog("msg=\"generation exited\""), dewy.dewyLog());
        }
    }

    @Test
    void anApplicationThatCrashesOnceIsRestartedAndKeepsRunning() {
        String crashOnce = "if [ -e /tmp/crashed ]; then exec " + StaticTestApp.IN_CONTAINER + " pause "
                + DewyContainer.RECORD + "; fi; touch /tmp/crashed; exit 3";
        try (DewyContainer dewy = new DewyContainer(DewyContainer.IMAGE)
                .withCommand("--restart", "on-failure", "--restart-delay", "200ms", "--", "sh", "-c", crashOnce)
                .waitingFor(Wait.forLogMessage("ready\\n", 1))) {
            dewy.start();
            dewy.awaitLog("msg=started generation=2", 1, Duration.ofSeconds(10));
            assertTrue(dewy.dewyLog().contains("msg=\"generation exited\" generation=1"), dewy.dewyLog());
            assertEquals(StaticTestApp.IN_CONTAINER, dewy.cmdline(dewy.app()).get(0), "generation 2 runs");
            assertTrue(dewy.running());
        }
    }

    /**
     * Case 9: the kubelet's pod termination against a container: the manifest's preStop hook, then TERM; /readyz
     * says 503 at once while the server keeps serving for the drain delay; then the server drains and dewy exits
     * with its status (0: the example exits 0 after a complete drain) before the grace period is up.
     */
    @Test
    void podTerminationPreStopThenTermThenNotReadyWhileDrainingThenExit() throws Exception {
        int port = DockerfileIT.freePort();
        int admin = DockerfileIT.freePort();
        Duration drainDelay = Duration.ofSeconds(3);
        try (DewyContainer dewy = server(List.of("--port", "127.0.0.1:" + port + "=0", "--admin",
                "127.0.0.1:" + admin, "--drain-delay", "3s", "--grace-period", "5s"))) {
            dewy.start();
            DewyContainer.await("/readyz 200", Duration.ofSeconds(20), () -> status(admin, "/readyz") == 200);
            dewy.sh(String.join(" ", preStop()));
            assertEquals(200, status(admin, "/readyz"), "preStop changes nothing in dewy");

            long t0 = System.nanoTime();
            CompletableFuture<DewyContainer.Stopped> stop = CompletableFuture.supplyAsync(() -> dewy.dockerStop(20));
            DewyContainer.await("/readyz 503", Duration.ofSeconds(1), () -> status(admin, "/readyz") == 503);
            while (System.nanoTime() - t0 < drainDelay.minusMillis(500).toNanos()) {
                assertTrue(HELLO.matcher(DockerfileIT.get(port)).matches(), "still serving during the drain delay");
                DewyContainer.sleep(100);
            }
            DewyContainer.Stopped stopped = stop.get();
            assertEquals(0, stopped.exitCode(), "the server's status: " + dewy.dewyLog());
            assertTrue(stopped.took().compareTo(drainDelay) >= 0, "not before the drain delay: " + stopped.took());
            assertTrue(stopped.took().compareTo(drainDelay.plusSeconds(5)) < 0, "within the grace period: "
                    + stopped.took());
            assertTrue(dewy.dewyLog().contains("]: exit 0"), "the server drained: " + dewy.dewyLog());
        }
    }

    // ---- helpers ----

    private static DewyContainer server(List<String> dewyOptions) {
        String[] cmd = java.util.stream.Stream.concat(dewyOptions.stream(),
                java.util.stream.Stream.of("--", "java", "-XX:+UseSerialGC", "-jar", "/srv/app.jar"))
                .toArray(String[]::new);
        return new DewyContainer(ExampleImage.build()).withCommand(cmd)
                .waitingFor(Wait.forLogMessage(".*serving .*\\n", 1).withStartupTimeout(Duration.ofSeconds(60)));
    }

    /** The manifest's preStop command, run as the kubelet would: inside the container. */
    private static List<String> preStop() throws IOException {
        Map<String, Object> deployment = new Yaml().load(Files.readString(KubernetesManifestTest.MANIFEST));
        Object c = ((List<?>) ((Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) deployment.get("spec")).get("template"))
                .get("spec")).get("containers")).get(0);
        Object exec = ((Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) c).get("lifecycle")).get("preStop")).get("exec");
        return ((List<?>) ((Map<?, ?>) exec).get("command")).stream().map(Object::toString).toList();
    }

    private static int status(int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
