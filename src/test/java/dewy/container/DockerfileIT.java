package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * docker/Dockerfile, built as its comment says with the example Java server, run with its own ENTRYPOINT and CMD
 * (only the address moves to loopback, through DEWY_PORT): dewy is PID 1 and holds the socket, the server serves
 * from it, HUP reaches it, docker stop drains it. The contrast is the same image with plain {@code java -Xrs} as
 * PID 1, which drops docker stop's TERM and is SIGKILLed at the timeout.
 */
@ContainerTest
class DockerfileIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @AfterAll
    static void removeImage() {
        ExampleImage.remove();
    }

    @Test
    void theExampleServesUnderDewyGetsHupAndDrainsOnDockerStop() throws Exception {
        int port = freePort();
        try (DewyContainer server = new DewyContainer(ExampleImage.build())
                .withEnv("DEWY_PORT", "127.0.0.1:" + port + "=0").withEnv("APP_HUP_FILE", "/tmp/hup")
                .waitingFor(Wait.forLogMessage(".*serving .*\\n", 1))) {
            server.start();
            assertEquals("java", server.processes().stream().filter(p -> p.pid() == 1).findFirst().orElseThrow().comm());
            assertEquals("dewy.Main", server.cmdline(1).get(server.cmdline(1).indexOf("-cp") + 2));
            int app = server.app();
            assertEquals(List.of("java", "-XX:+UseSerialGC", "-jar", "/srv/app.jar"), server.cmdline(app));
            assertEquals("pid=" + app + " gen=1\n", get(port), "served from the socket dewy holds");

            server.kill("HUP");
            DewyContainer.await("the server's HUP", Duration.ofSeconds(10),
                    () -> server.sh("cat /tmp/hup 2>/dev/null; true").equals("hup " + app + "\n"));
            assertEquals(app, server.app(), "HUP reaches the same process");

            DewyContainer.Stopped stopped = server.dockerStop(20);
            assertEquals(0, stopped.exitCode(), "the server's own status after its drain: " + server.dewyLog());
            assertTrue(stopped.took().compareTo(Duration.ofSeconds(10)) < 0, stopped.took().toString());
            assertTrue(server.dewyLog().contains("HelloServer[" + app + "]: exit 0"), "the server drained");
        }
    }

    @Test
    void plainJavaXrsAsPid1IgnoresDockerStopUntilTheTimeout() throws Exception {
        int port = freePort();
        try (DewyContainer java = new DewyContainer(ExampleImage.build())
                .withCreateContainerCmdModifier(c -> c.withEntrypoint("java", "-Xrs", "-jar", "/srv/app.jar"))
                .withCommand("--bind", "127.0.0.1:" + port)
                .waitingFor(Wait.forLogMessage(".*serving .*\\n", 1))) {
            java.start();
            assertEquals("pid=1 gen=0\n", get(port), "the server itself is PID 1");
            DewyContainer.Stopped stopped = java.dockerStop(3);
            assertEquals(137, stopped.exitCode(), "SIGKILLed by the engine");
            assertTrue(stopped.took().compareTo(Duration.ofSeconds(3)) >= 0, "only at the timeout: " + stopped.took());
            assertFalse(java.getLogs().contains("draining"), "TERM never reached the JVM");
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static String get(int port) throws IOException, InterruptedException {
        return get(port, "/", Duration.ofSeconds(5));
    }

    /** GET PATH on 127.0.0.1:PORT within TIMEOUT; it must answer 200. */
    static String get(int port, String path, Duration timeout) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }
}
