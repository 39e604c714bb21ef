package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.deploy.ReleaseFixtures;
import dewy.deploy.ReleaseFixtures.Entry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * Issue 5's container test: the image runs with {@code --registry file:///releases}, a host directory mounted
 * read-only, and upgrades itself when a release is published there, without failing a request.
 *
 * <p>The image is dewy's own (Jib); each release brings the application: {@code app}, a shell script that starts
 * docker/examples/java/HelloServer.java's jar from its own release directory with APP_VERSION set, so that every
 * response says which release served it ({@code pid=N gen=N version=vX.Y.Z}). The server takes 2 s to start
 * accepting ({@code --startup-delay}), dewy counts it ready after 6 s ({@code --ready delay:6s}), and the client
 * gives each request 2 s: were the old generation stopped before the new one is ready, the requests of that gap
 * would wait on dewy's socket for longer than that and count as failed.
 */
@ContainerTest
class DeployContainerIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Pattern HELLO = Pattern.compile("pid=(\\d+) gen=(\\d+) version=(\\S+)\n");
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
    private static final String WORKDIR = "/tmp/dewy";
    private static final Pattern RELEASE_DIR = Pattern.compile("releases/(v[0-9.]+)_\\d{8}T\\d{6}Z(?:-\\d+)?\n");

    @TempDir
    Path tmp;

    /**
     * Empty volume: dewy waits; v1.0.0 appears and starts; v1.1.0 replaces it under a steady client with no failed
     * request; a v1.2.0 that cannot start is rolled back while v1.1.0 keeps serving.
     */
    @Test
    void publishingAReleaseUpgradesTheRunningContainerWithoutAFailedRequest() throws Exception {
        Path releases = Files.createDirectory(tmp.resolve("releases"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(releases, PosixFilePermissions.fromString("rwxr-xr-x")); // read by uid 65532
        byte[] jar = Files.readAllBytes(ExampleImage.appJar());
        int port = DockerfileIT.freePort();
        try (DewyContainer dewy = new DewyContainer(DewyContainer.IMAGE)
                .withFileSystemBind(releases.toString(), "/releases", BindMode.READ_ONLY)
                .withCommand("--registry", "file:///releases", "-i", "1s", "--workdir", WORKDIR, "--require-checksum",
                        "--port", "127.0.0.1:" + port + "=0", "--ready", "delay:6s", "--grace-period", "10s",
                        "--", WORKDIR + "/current/app")
                .waitingFor(Wait.forLogMessage(".*no release yet.*\\n", 1)
                        .withStartupTimeout(Duration.ofSeconds(60)))) {
            dewy.start();

            // The first release: nothing ran before it.
            publish(releases, "v1.0.0", good("v1.0.0", jar));
            dewy.awaitLog("msg=deployed version=v1.0.0 ", 1, Duration.ofSeconds(60));
            Matcher first = hello(get(port));
            assertEquals(List.of("1", "v1.0.0"), List.of(first.group(2), first.group(3)), first.group());
            assertEquals("v1.0.0", currentRelease(dewy));

            HelloLoad load = HelloLoad.start(DeployContainerIT::get, port, 50_000, Duration.ofSeconds(120));
            DewyContainer.sleep(1000); // the client is under way before the release appears

            // The upgrade, under load.
            publish(releases, "v1.1.0", good("v1.1.0", jar));
            dewy.awaitLog("msg=deployed version=v1.1.0 ", 1, Duration.ofSeconds(60));
            dewy.awaitLog("msg=\"generation exited\" generation=1 ", 1, Duration.ofSeconds(30));
            String upgraded = dewy.sh("readlink " + WORKDIR + "/current");
            assertEquals("v1.1.0", currentRelease(dewy));
            DewyContainer.await("v1.1.0 to serve the client", Duration.ofSeconds(10),
                    () -> load.versions().contains("v1.1.0"));

            // A release that cannot start: rolled back, and v1.1.0 never stops serving.
            publish(releases, "v1.2.0", broken("v1.2.0"));
            dewy.awaitLog("msg=\"rolled back\" version=v1.2.0 ", 1, Duration.ofSeconds(60));
            DewyContainer.sleep(3000); // three more checks see v1.2.0, which failed, and leave it alone
            HelloLoad.Result result = load.finish();

            String log = dewy.dewyLog();
            assertFalse(result.bounded(), "the client ran out of requests or time: " + result);
            assertEquals(0, result.failed(), "failed requests: " + result.firstFailure() + "; " + result);
            assertTrue(result.ok() > 100, "the client kept asking: " + result);
            assertEquals(List.of("v1.0.0", "v1.1.0"), new ArrayList<>(result.servedBy().keySet()),
                    "v1.0.0 then v1.1.0, and never v1.2.0: " + result);
            assertEquals(Set.of("1:" + first.group(1)), result.servedBy().get("v1.0.0"), "v1.0.0 is generation 1");
            Set<String> v110 = result.servedBy().get("v1.1.0");
            assertEquals(1, v110.size(), "one generation of v1.1.0 served, before and after the rollback: " + v110);
            assertTrue(v110.iterator().next().startsWith("2:"), "v1.1.0 is generation 2: " + v110);

            // The overlap: v1.1.0 was ready before v1.0.0 was told to stop.
            int ready2 = log.indexOf("msg=\"generation ready\" generation=2 ");
            int stopping1 = log.indexOf("msg=\"stopping the previous generation\" generation=1 ");
            assertTrue(ready2 >= 0 && stopping1 > ready2, "generation 1 stopped only once 2 was ready:\n" + log);

            assertEquals(upgraded, dewy.sh("readlink " + WORKDIR + "/current"), "current is back on v1.1.0");
            assertTrue(log.contains("msg=\"restart failed; the running generation keeps serving\" generation=3 "),
                    log);
            assertTrue(log.contains("msg=\"current restored\" release=" + WORKDIR + "/" + upgraded.strip()), log);
            assertFalse(log.contains("msg=deployed version=v1.2.0"), log);
            assertTrue(log.contains(" hashed_by=libcrypto"), "the image has libcrypto for sha256 (C1 alone is slow): "
                    + log);
            assertEquals(1, dewy.countLog("msg=\"new release\" version=v1.2.0 "), "v1.2.0 is tried once: " + log);
            Matcher after = hello(get(port));
            assertEquals(List.of("2", "v1.1.0"), List.of(after.group(2), after.group(3)), after.group());
            assertTrue(dewy.running());
            System.out.println("DeployContainerIT: " + result);
        }
    }

    // ---- releases ----

    /** A release that serves: HelloServer's jar and an {@code app} script that runs it from its own directory. */
    static byte[] good(String version, byte[] jar) {
        String app = "#!/bin/sh\n"
                + "# " + version + ": the jar next to this script, resolved now: current may move on later\n"
                + "dir=$(cd \"${0%/*}\" && pwd -P) || exit 1\n"
                + "APP_VERSION=" + version + "\n"
                + "export APP_VERSION\n"
                + "exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx32m -jar \"$dir/app.jar\""
                + " --startup-delay 2000\n";
        Map<String, Entry> files = new LinkedHashMap<>();
        files.put("app", new Entry(app.getBytes(StandardCharsets.UTF_8), 0755));
        files.put("app.jar", new Entry(jar, 0644));
        files.put("VERSION", new Entry((version + "\n").getBytes(StandardCharsets.UTF_8), 0644));
        return ReleaseFixtures.tarGz(files);
    }

    /** A release whose application exits 3 at once. */
    private static byte[] broken(String version) {
        String app = "#!/bin/sh\necho \"" + version + ": cannot start\" >&2\nexit 3\n";
        return ReleaseFixtures.tarGz(Map.of("app", new Entry(app.getBytes(StandardCharsets.UTF_8), 0755)));
    }

    /**
     * Publishes atomically, as a release pipeline should: the artifact and checksums.txt into {@code .TAG/}, which
     * dewy ignores, then one rename to {@code TAG/}.
     */
    private static void publish(Path releases, String tag, byte[] artifact) throws IOException {
        Path hidden = Files.createDirectory(releases.resolve("." + tag));
        Files.write(hidden.resolve(ReleaseFixtures.ARTIFACT), artifact);
        Files.write(hidden.resolve("checksums.txt"), ReleaseFixtures.checksums(Map.of(ReleaseFixtures.ARTIFACT,
                artifact)));
        Files.setPosixFilePermissions(hidden, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (var files = Files.list(hidden)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
            }
        }
        Files.move(hidden, releases.resolve(tag), StandardCopyOption.ATOMIC_MOVE);
    }

    /** The tag of the release WORKDIR/current points at, from inside the container. */
    private static String currentRelease(DewyContainer dewy) {
        String target = dewy.sh("readlink " + WORKDIR + "/current");
        Matcher m = RELEASE_DIR.matcher(target);
        assertTrue(m.matches(), "current -> " + target);
        return m.group(1);
    }

    // ---- the client ----

    static Matcher hello(String body) {
        Matcher m = HELLO.matcher(body);
        assertTrue(m.matches(), "not a versioned hello: " + body);
        return m;
    }

    /** GET / within {@link #REQUEST_TIMEOUT}: a request that waits longer counts as failed. */
    static String get(int port) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }
}
