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
 * docker/Dockerfile, built as its comment says with the example server, run as is: dewy is PID 1, the Java server
 * serves, HUP reloads it, docker stop drains it. The contrast is the same image with plain {@code java -Xrs} as PID 1,
 * which drops docker stop's TERM and is SIGKILLed at the timeout.
 */
@ContainerTest
class DockerfileIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @AfterAll
    static void removeImage() {
        ExampleImage.remove();
    }

    @Test
    void theExampleServesUnderDewyReloadsOnHupAndDrainsOnDockerStop() throws Exception {
        int port = freePort();
        try (DewyContainer server = new DewyContainer(ExampleImage.build()).withEnv("PORT", Integer.toString(port))
                .waitingFor(Wait.forLogMessage("serving .*\\n", 1))) {
            server.start(); // the Dockerfile's own ENTRYPOINT and CMD
            assertEquals("java", server.processes().stream().filter(p -> p.pid() == 1).findFirst().orElseThrow().comm());
            assertEquals("dewy.Main", server.cmdline(1).get(server.cmdline(1).indexOf("-cp") + 2));
            int app = server.app();
            assertEquals(List.of("java", "-XX:+UseSerialGC", "-jar", "/srv/app.jar"), server.cmdline(app));
            assertTrue(get(port).startsWith("hello from pid " + app + " "), "the application serves");

            server.kill("HUP");
            server.awaitApp("reloaded", 1, Duration.ofSeconds(10));
            assertEquals(app, server.app(), "HUP reloads the same process");
            assertTrue(get(port).startsWith("hello from pid " + app + " "));

            DewyContainer.Stopped stopped = server.dockerStop(20);
            assertEquals(143, stopped.exitCode(), "the JVM's own exit after its TERM hooks: " + server.dewyLog());
            assertTrue(stopped.took().compareTo(Duration.ofSeconds(10)) < 0, stopped.took().toString());
            assertTrue(server.appLines().contains("stopped serving"), "the server's shutdown hook ran");
        }
    }

    @Test
    void plainJavaXrsAsPid1IgnoresDockerStopUntilTheTimeout() throws Exception {
        int port = freePort();
        try (DewyContainer java = new DewyContainer(ExampleImage.build()).withEnv("PORT", Integer.toString(port))
                .withCreateContainerCmdModifier(c -> c.withEntrypoint("java", "-Xrs", "-jar", "/srv/app.jar"))
                .withCommand(new String[0])
                .waitingFor(Wait.forLogMessage("serving .*\\n", 1))) {
            java.start();
            assertTrue(get(port).startsWith("hello from pid 1 "), "the server itself is PID 1");
            DewyContainer.Stopped stopped = java.dockerStop(3);
            assertEquals(137, stopped.exitCode(), "SIGKILLed by the engine");
            assertTrue(stopped.took().compareTo(Duration.ofSeconds(3)) >= 0, "only at the timeout: " + stopped.took());
            assertFalse(java.appLines().contains("stopped serving"), "TERM never reached the JVM");
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static String get(int port) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }
}
