package dewy.container;

import static dewy.container.LocalRegistry.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.HttpLoad;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dewy container} for real: target/dewy on the host against Debian's docker-registry on 127.0.0.1 and this
 * machine's engine, with an app image built here (FROM scratch: the host's static busybox, whose httpd binds
 * 127.0.0.1:$PORT and serves {@code version=TAG pid=MAJOR}; HttpLoad reads {@code pid=} as who answered). Every
 * replica runs with the host's network; no Docker network is made.
 */
class ContainerModeIT {
    private static final String APP = "dewy-helper-container-web";
    private static final String FOREIGN = "dewy-helper-container-foreign";
    private static final Duration T = Duration.ofSeconds(90);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    @TempDir
    Path tmp;
    private LocalRegistry registry;
    private Process dewy;

    @AfterEach
    void cleanUp() throws Exception {
        if (dewy != null && dewy.isAlive()) {
            dewy.destroyForcibly();
            dewy.waitFor(10, TimeUnit.SECONDS);
        }
        sh("docker ps -aq --filter label=dewy.app=" + APP + " | xargs -r docker rm -f >/dev/null;"
                + " docker rm -f " + FOREIGN + " >/dev/null 2>&1; docker image rm " + FOREIGN + ":1 >/dev/null 2>&1; true");
        if (registry != null) {
            sh("docker images -q --filter reference='127.0.0.1:" + registry.port() + "/team/web' | sort -u"
                    + " | xargs -r docker image rm -f >/dev/null 2>&1; true");
            registry.close();
        }
    }

    /**
     * Builds the app image for {@code tag} (with /health or without) and pushes it. Only while dewy does not run yet
     * is the local image removed, so that dewy's pull is a real one: once it runs, dewy may pull (a no-op then) and
     * create from the digest before an untag here would take the digest's name away with the tag.
     */
    private void push(String tag, boolean healthy) throws Exception {
        Path root = Files.createDirectories(tmp.resolve("img-" + tag));
        Files.createDirectories(root.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), root.resolve("bin/busybox"));
        Path www = Files.createDirectories(root.resolve("www"));
        Files.writeString(www.resolve("index.html"), "version=" + tag + " pid=" + tag.substring(1, 2) + "\n");
        if (healthy) {
            Files.writeString(www.resolve("health"), "ok\n");
        }
        // busybox sh as PID 1 turns the stop signal into httpd's end (PID 1 has no default action for TERM)
        String run = "/bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www & trap \\\"kill $! ; exit 0\\\" TERM; wait";
        String ref = "127.0.0.1:" + registry.port() + "/team/web:" + tag;
        sh("tar -C " + root + " -c . | docker import -c 'ENTRYPOINT [\"/bin/busybox\", \"sh\", \"-c\", \"" + run
                + "\"]' - " + ref + " >/dev/null");
        sh("docker push -q " + ref + " >/dev/null" + (dewy == null ? " && docker image rm " + ref + " >/dev/null" : ""));
    }

    /** The body of GET / on 127.0.0.1:port, or why not. */
    private static String get(int port) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body().strip() : "status " + r.statusCode();
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e.toString();
        }
    }

    /** {@code docker ps} of this app's containers: one "VERSION STATE" line each, sorted. */
    private static List<String> containers() throws Exception {
        String out = sh("docker ps -a --filter label=dewy.app=" + APP
                + " --format '{{.Label \"dewy.version\"}} {{.State}}' | sort");
        return out.isEmpty() ? List.of() : out.lines().toList();
    }

    private void await(String what, BooleanSupplier done) throws Exception {
        long end = System.nanoTime() + T.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + T + ": " + what + "\ncontainers: " + containers()
                        + "\ndewy's log:\n" + log());
            }
            if (!dewy.isAlive()) {
                throw new AssertionError("dewy exited " + dewy.exitValue() + " waiting for " + what + ":\n" + log());
            }
            Thread.sleep(100);
        }
    }

    private String log() {
        try {
            return Files.readString(tmp.resolve("dewy.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    private BooleanSupplier containersAre(String... lines) {
        return () -> {
            try {
                return containers().equals(List.of(lines));
            } catch (Exception e) {
                return false;
            }
        };
    }

    @Test
    void rollingUpdatesUnderLoadARollbackThatIsNotRetriedAndTermRemovesEverything() throws Exception {
        sh("docker ps -aq --filter label=dewy.app=" + APP + " | xargs -r docker rm -f >/dev/null; true");
        registry = LocalRegistry.start(tmp, Files.createDirectories(tmp.resolve("storage")), "");
        push("v1.0.0", true);
        assertEquals("", sh("docker images -q 127.0.0.1:" + registry.port() + "/team/web"), "dewy pulls v1 itself");
        // a container of someone else's, even with dewy's labels, is never touched
        sh("tar -C " + tmp.resolve("img-v1.0.0") + " -c . | docker import - " + FOREIGN + ":1 >/dev/null && docker "
                + "create --name " + FOREIGN + " --label dewy.managed=true --label dewy.app=other --network none "
                + FOREIGN + ":1 /bin/busybox true >/dev/null");
        int proxy = DockerfileIT.freePort();
        List<String> cmd = new ArrayList<>(List.of(Path.of("target/dewy").toAbsolutePath().toString(), "container",
                "--registry", "img://127.0.0.1:" + registry.port() + "/team/web", "-p", Integer.toString(proxy),
                "--replicas", "2", "--health-path", "/health", "--health-timeout", "5s", "--drain-time", "3s",
                "--stop-timeout", "3s", "--interval", "500ms", "--name", APP, "--", "-e", "GREETING=hi",
                "--label", "team=web"));
        dewy = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("dewy.log").toFile())
                .start();

        // v1: two replicas, each on its own loopback port, served through the proxy
        await("v1 through the proxy", () -> get(proxy).equals("version=v1.0.0 pid=1"));
        await("two v1 replicas", containersAre("v1.0.0 running", "v1.0.0 running"));
        for (String port : sh("docker ps --filter label=dewy.app=" + APP
                + " --format '{{.Label \"dewy.port\"}}'").lines().toList()) {
            assertEquals("version=v1.0.0 pid=1", get(Integer.parseInt(port)), "replica on 127.0.0.1:" + port);
        }
        assertEquals("hi\nweb", sh("docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' $(docker ps -q "
                + "--filter label=dewy.app=" + APP + " | head -1) | sed -n s/^GREETING=//p; docker inspect -f "
                + "'{{index .Config.Labels \"team\"}}' $(docker ps -q --filter label=dewy.app=" + APP + " | head -1)"));
        assertEquals("host host", sh("docker ps -q --filter label=dewy.app=" + APP
                + " | xargs docker inspect -f '{{.HostConfig.NetworkMode}}' | xargs"));

        // v2 under nonstop load: 0 failed requests, v1's containers gone
        HttpLoad load = HttpLoad.to(HttpLoad.Target.tcp("127.0.0.1", proxy)).keepAlive(0).oneShot(4)
                .deadline(Duration.ofSeconds(120)).maxRequests(400_000).start();
        long loadStart = System.nanoTime();
        List<String> marks = new ArrayList<>(List.of("load started " + java.time.Instant.now()));
        Thread.sleep(500);
        push("v2.0.0", true);
        marks.add(String.format("v2 pushed +%.3fs", (System.nanoTime() - loadStart) / 1e9));
        await("v2 through the proxy", () -> get(proxy).equals("version=v2.0.0 pid=2"));
        marks.add(String.format("v2 serves +%.3fs", (System.nanoTime() - loadStart) / 1e9));
        await("v1's replicas removed", containersAre("v2.0.0 running", "v2.0.0 running"));
        marks.add(String.format("v1 removed +%.3fs", (System.nanoTime() - loadStart) / 1e9));

        // v3 fails its health check: removed, v2 keeps serving, not retried
        push("v3.0.0", false);
        await("v3's rollback", () -> log().contains("rollback: v3.0.0 failed"));
        await("v3's replicas removed", containersAre("v2.0.0 running", "v2.0.0 running"));
        marks.add(String.format("v3 removed +%.3fs", (System.nanoTime() - loadStart) / 1e9));
        Thread.sleep(2000); // four more registry checks
        HttpLoad.Result result = load.stop();
        assertEquals(0, result.failed(), "failed requests through the rollover: " + result + "\n" + marks
                + "\n" + log());
        assertTrue(result.total() > 100, "the load ran: " + result.counts());
        assertEquals(List.of(1L, 2L), result.pids(), "v1, then v2, and never v3");
        assertEquals("version=v2.0.0 pid=2", get(proxy));
        assertEquals(1, log().lines().filter(l -> l.contains("msg=deploying") && l.contains("version=v3.0.0"))
                .count(), "v3 tried once:\n" + log());
        assertEquals(List.of("v2.0.0 running", "v2.0.0 running"), containers());

        // TERM: every container of this app removed, dewy exits 0, the foreign one is still there
        dewy.destroy();
        assertTrue(dewy.waitFor(60, TimeUnit.SECONDS), "dewy did not exit on TERM:\n" + log());
        assertEquals(0, dewy.exitValue(), log());
        assertEquals(List.of(), containers(), log());
        assertEquals(FOREIGN, sh("docker ps -a --filter name=" + FOREIGN + " --format '{{.Names}}'"));
    }
}
