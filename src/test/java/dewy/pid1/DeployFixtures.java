package dewy.pid1;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What the deploy process tests share: a file:// registry, the example app's answers, the current link. */
final class DeployFixtures {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private DeployFixtures() {
    }

    /**
     * {@code dewy server} flags for a deploy test: {@code registry} polled every 300 ms into {@code workdir}, the
     * example app on 127.0.0.1:port with notify readiness, then {@code more}, then {@code -- workdir/current/app}.
     */
    static List<String> args(String registry, Path workdir, int port, String... more) {
        List<String> args = new ArrayList<>(List.of("--registry", registry, "-i", "300ms",
                "--workdir", workdir.toString(), "--port", "127.0.0.1:" + port, "--ready", "notify",
                "--ready-timeout", "5s", "--grace-period", "10s"));
        args.addAll(List.of(more));
        args.add("--");
        args.add(workdir.resolve("current/app").toString());
        return args;
    }

    /** A workdir from an earlier run: v1.0.0 is current, and dewy starts it at once. */
    static void earlierRun(Path workdir) throws IOException {
        Path release = workdir.resolve("releases/v1.0.0_20260101T000000Z");
        Files.createDirectories(release);
        Files.writeString(release.resolve("app"), dewy.deploy.ReleaseFixtures.appScript("v1.0.0"));
        release.resolve("app").toFile().setExecutable(true);
        Files.createSymbolicLink(workdir.resolve("current"), Path.of("releases/v1.0.0_20260101T000000Z"));
    }

    /** GET / on 127.0.0.1:port: the example app's "pid=... version=..." answer, or why it was unreachable. */
    static String get(int port) {
        try {
            return get(port, "/");
        } catch (IOException e) {
            return "unreachable: " + e;
        }
    }

    static String get(int port, String path) throws IOException {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The pid the example app reports. */
    static long pid(String answer) {
        return Long.parseLong(answer.replaceAll("(?s).*pid=(\\d+).*", "$1"));
    }

    static void awaitServing(int port, String version, Dewy dewy) {
        try {
            Dewy.await(version + " serving", Duration.ofSeconds(30), () -> get(port).contains("version=" + version
                    + "\n"));
        } catch (AssertionError e) { // the answer and the log as they are at the end of the wait, not its start
            throw new AssertionError(e.getMessage() + "; last answer " + get(port) + "; dewy "
                    + (dewy.alive() ? "running" : "exited") + ":\n" + dewy.log(), e);
        }
    }

    /** The tag {@code WORKDIR/current} names, or null without a link. */
    static String currentTag(Path workdir) throws IOException {
        Path current = workdir.resolve("current");
        if (!Files.isSymbolicLink(current)) {
            return null;
        }
        String name = Files.readSymbolicLink(current).getFileName().toString();
        return name.substring(0, name.lastIndexOf('_'));
    }


    /** Publishes to a file:// registry atomically: written under a hidden name, then renamed. */
    static Path publishFile(Path registry, String tag, byte[] artifact, boolean checksum, String name)
            throws IOException {
        Path hidden = registry.resolve("." + tag);
        Files.createDirectories(hidden);
        Files.write(hidden.resolve(name), artifact);
        if (checksum) {
            Files.write(hidden.resolve("checksums.txt"), dewy.deploy.ReleaseFixtures.checksums(Map.of(name, artifact)));
        }
        Path visible = registry.resolve(tag);
        Files.move(hidden, visible, StandardCopyOption.ATOMIC_MOVE);
        return visible;
    }

    static Path publishFile(Path registry, String tag, byte[] artifact, boolean checksum) throws IOException {
        return publishFile(registry, tag, artifact, checksum, dewy.deploy.ReleaseFixtures.ARTIFACT);
    }

    /**
     * Publishes {@code version} (by {@code publish}) under a nonstop load on 127.0.0.1:port (2 keep-alive and 2
     * one-shot clients, bounded) and waits until it is deployed and serving: 0 failed requests, more than 100 served.
     * Returns the pid that served before the publish.
     */
    static long deployUnderLoad(int port, Dewy dewy, String version, Runnable publish) {
        HttpLoad load = HttpLoad.to(HttpLoad.Target.tcp("127.0.0.1", port)).keepAlive(2).oneShot(2)
                .deadline(Duration.ofSeconds(60)).maxRequests(2_000_000).start();
        long before;
        try {
            Dewy.await("load running", Duration.ofSeconds(10), () -> load.snapshot().ok() > 50);
            before = pid(get(port));
            publish.run();
            awaitServing(port, version, dewy);
            dewy.awaitLog("msg=deployed version=" + version + " ", 1, Duration.ofSeconds(10));
            long after = pid(get(port));
            Dewy.await("requests served by the new release", Duration.ofSeconds(10),
                    () -> load.snapshot().pids().contains(after));
        } finally {
            HttpLoad.Result result = load.stop();
            org.junit.jupiter.api.Assertions.assertEquals(0, result.failed(),
                    "failed requests across the deploy: " + result);
            org.junit.jupiter.api.Assertions.assertTrue(result.ok() > 100, result.toString());
        }
        return before;
    }
}
