package dewy.pid1;

import static dewy.deploy.ReleaseFixtures.ARTIFACT;
import static dewy.pid1.DeployFixtures.awaitServing;
import static dewy.pid1.DeployFixtures.get;
import static dewy.pid1.DeployFixtures.pid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.deploy.ReleaseFixtures;
import dewy.deploy.S3Proxy;
import dewy.pid1.Dewy.Mode;
import dewy.pid1.HttpLoad.Target;
import dewy.posix.Signals;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pull deploys from {@code s3://} as PID 1, against a real S3-compatible server (S3Proxy on 127.0.0.1, checking
 * signatures): the newest SemVer of the prefix first, an upgrade under load with 0 failed requests, the shipping
 * report object beside the release, a bad checksum refused; a missing bucket and refused credentials are one clear
 * error each, notified once, while the application serves on.
 */
class S3DeployIT {
    @TempDir
    static Path shared;
    private static S3Proxy s3;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startS3Proxy() throws Exception {
        s3 = S3Proxy.start(shared.resolve("s3proxy"));
    }

    @AfterAll
    static void stopS3Proxy() throws Exception {
        if (s3 != null) {
            s3.close();
        }
    }

    private Path workdir() {
        return tmp.resolve("work");
    }

    private List<String> args(String registry, int port, String... more) {
        return DeployFixtures.args(registry, workdir(), port, more);
    }

    private void publish(String bucket, String prefix, String tag) {
        byte[] artifact = ReleaseFixtures.appTarGz(tag);
        s3.publish(bucket, prefix, tag, ARTIFACT, artifact, ReleaseFixtures.checksums(Map.of(ARTIFACT, artifact)));
    }

    @Test
    void newestSemVerFirstThenAnUpgradeUnderLoadWithoutAFailedRequestAndItsShippingReport() throws Exception {
        s3.createBucket("shop");
        publish("shop", "apps/shop/", "v1.2.0");
        publish("shop", "apps/shop/", "v1.9.0");
        publish("shop", "apps/shop/", "v1.10.0-rc.1"); // a pre-release: not without pre-release=true
        s3.put("shop", "apps/shop/nightly/" + ARTIFACT, ReleaseFixtures.appTarGz("nightly"));
        int port = StarterIT.freePort();
        try (NotifyReceiver hooks = new NotifyReceiver();
             Dewy dewy = Dewy.start(Mode.PID1, tmp, s3.env(), args(s3.url("shop", "apps/shop"), port,
                     "--notifier", hooks.webhook(), "--require-checksum").toArray(String[]::new))) {
            awaitServing(port, "v1.9.0", dewy);
            assertEquals("v1.9.0", DeployFixtures.currentTag(workdir()));

            HttpLoad load = HttpLoad.to(Target.tcp("127.0.0.1", port)).keepAlive(2).oneShot(2)
                    .deadline(Duration.ofSeconds(60)).maxRequests(2_000_000).start();
            try {
                Dewy.await("load running", Duration.ofSeconds(10), () -> load.snapshot().ok() > 50);
                publish("shop", "apps/shop/", "v1.10.0");
                awaitServing(port, "v1.10.0", dewy);
                long after = pid(get(port));
                Dewy.await("requests served by v1.10.0", Duration.ofSeconds(10),
                        () -> load.snapshot().pids().contains(after));
            } finally {
                HttpLoad.Result result = load.stop();
                assertEquals(0, result.failed(), "failed requests across the deploy: " + result);
                assertTrue(result.ok() > 100, result.toString());
            }
            assertEquals("v1.10.0", DeployFixtures.currentTag(workdir()));
            hooks.awaitEvent("server-restarted", "Server restarted for `v1.10.0` (deploy, ", Duration.ofSeconds(10));
            assertEquals(1, hooks.count("downloaded", "Downloaded artifact for `v1.10.0` (" + ARTIFACT),
                    hooks.webhooks().toString());
            assertTrue(hooks.events("downloaded").get(1).message().contains("sha256 verified"),
                    hooks.webhooks().toString());

            // Go dewy's shipping report: an empty text object in the release's folder
            Dewy.await("the shipping report of v1.10.0", Duration.ofSeconds(10), () -> s3.keys("shop",
                    "apps/shop/v1.10.0/").stream().anyMatch(k -> k.startsWith("apps/shop/v1.10.0/shipped_to_")));
            String report = s3.keys("shop", "apps/shop/v1.10.0/").stream()
                    .filter(k -> k.contains("shipped_to_")).findFirst().orElseThrow();
            assertTrue(report.matches("apps/shop/v1\\.10\\.0/shipped_to_[a-z0-9.-]+_server_at_\\d{8}T\\d{6}\\.\\d{9}Z"
                    + "\\.txt"), report);
            assertEquals(0L, s3.client().headObject(b -> b.bucket("shop").key(report)).contentLength());
            assertTrue(s3.keys("shop", "apps/shop/v1.9.0/").stream().anyMatch(k -> k.contains("shipped_to_")),
                    "v1.9.0's deploy left its report too");

            // a checksum that does not match: refused, current and the generation untouched
            long pid = pid(get(port));
            s3.publish("shop", "apps/shop/", "v1.11.0", ARTIFACT, ReleaseFixtures.appTarGz("v1.11.0-tampered"),
                    ReleaseFixtures.checksums(Map.of(ARTIFACT, ReleaseFixtures.appTarGz("v1.11.0"))));
            hooks.awaitEvent("error", "v1.11.0", Duration.ofSeconds(15));
            assertEquals(1, hooks.count("error", "checksum mismatch"), hooks.webhooks().toString());
            Dewy.sleep(1000);
            assertEquals("v1.10.0", DeployFixtures.currentTag(workdir()));
            assertEquals(pid, pid(get(port)), "the running generation never stopped");
            assertEquals(1, hooks.count("error", "v1.11.0"), "a refused release is not tried again");

            assertFalse(dewy.log().contains(S3Proxy.SECRET_KEY), "the secret key in dewy's log");
            assertFalse(hooks.webhooks().toString().contains(S3Proxy.SECRET_KEY), "the secret in a notification");
            dewy.signal(Signals.SIGTERM);
            assertEquals(0, dewy.awaitExit(Duration.ofSeconds(20)));
            String stderr = Files.readString(tmp.resolve("dewy.err"));
            assertFalse(stderr.contains("SLF4J") || stderr.contains("Exception") || stderr.contains("WARNING"),
                    "the SDK printed to stderr: " + stderr);
        }
    }

    @Test
    void aMissingBucketIsOneClearErrorNotifiedOnceAndTheAppServesOn() throws Exception {
        DeployFixtures.earlierRun(workdir());
        int port = StarterIT.freePort();
        try (NotifyReceiver hooks = new NotifyReceiver();
             Dewy dewy = Dewy.start(Mode.PID1, tmp, s3.env(), args(s3.url("no-such-bucket", "app"), port,
                     "--notifier", hooks.webhook()).toArray(String[]::new))) {
            awaitServing(port, "v1.0.0", dewy);
            long pid = pid(get(port));
            dewy.awaitLog("msg=\"registry check failed; the running version keeps serving\"", 3,
                    Duration.ofSeconds(30));
            assertEquals(1, hooks.events("error").size(), hooks.webhooks().toString());
            assertEquals("registry check failed: registry " + s3.url("no-such-bucket", "app") + ": listing app/: "
                    + "no bucket no-such-bucket (NoSuchBucket, 404)", hooks.events("error").get(0).message());
            assertTrue(dewy.log().contains("transient=false"), dewy.log());
            assertEquals(pid, pid(get(port)));
        }
    }

    @Test
    void refusedCredentialsAreOneClearErrorNotifiedOnceWithoutTheSecret() throws Exception {
        s3.createBucket("locked");
        publish("locked", "app/", "v1.1.0");
        DeployFixtures.earlierRun(workdir());
        int port = StarterIT.freePort();
        String wrong = "wrong-secret-key-never-printed-7";
        Map<String, String> env = new HashMap<>(s3.env());
        env.put("AWS_SECRET_ACCESS_KEY", wrong);
        try (NotifyReceiver hooks = new NotifyReceiver();
             Dewy dewy = Dewy.start(Mode.PID1, tmp, env, args(s3.url("locked", "app/"), port,
                     "--notifier", hooks.webhook()).toArray(String[]::new))) {
            awaitServing(port, "v1.0.0", dewy);
            dewy.awaitLog("msg=\"registry check failed; the running version keeps serving\"", 3,
                    Duration.ofSeconds(30));
            assertEquals(1, hooks.events("error").size(), hooks.webhooks().toString());
            String message = hooks.events("error").get(0).message();
            assertTrue(message.startsWith("registry check failed: registry " + s3.url("locked", "app/")
                    + ": listing app/: "), message);
            assertTrue(message.contains("(403)") && message.contains("check the AWS credentials"), message);
            for (String text : List.of(message, dewy.log(), Files.readString(tmp.resolve("dewy.err")))) {
                assertFalse(text.contains(wrong), "the secret key was printed: " + text);
            }
            assertEquals("v1.0.0", DeployFixtures.currentTag(workdir()), "nothing was deployed");
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"s3://us-east-1/", "s3:///bucket/app",
        "s3://us-east-1/b/app?endpoint=minio:9000", "s3://us-east-1/b/app?region=eu-west-1",
        "s3://AKIAX:secret-in-url@us-east-1/b/app", "ghr://secret-in-url@o/r/extra"})
    void badS3UrlsAreOneLineUsageErrorsBeforeTheApplicationStarts(String url) throws Exception {
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, s3.env(), "--registry", url, "--", "touch",
                tmp.resolve("started").toString())) {
            assertEquals(2, dewy.awaitExit(Duration.ofSeconds(20)));
            List<String> err = dewy.log().lines().toList();
            assertEquals(1, err.size(), "one line: " + err);
            assertTrue(err.get(0).startsWith("dewy: --registry") || err.get(0).startsWith("dewy: bad registry url"),
                    err.get(0));
            assertFalse(err.get(0).contains("secret-in-url"), err.get(0));
            assertFalse(Files.exists(tmp.resolve("started")), "the application must not start");
        }
    }

    /** The AWS SDK is in dewy.jar, but only an s3:// URL loads any of it (nothing else may pay for it). */
    @Test
    void theSdkIsLoadedOnlyForAnS3Url() throws Exception {
        Files.createDirectories(tmp.resolve("registry"));
        s3.createBucket("empty");
        Map<String, Integer> sdkClasses = new java.util.LinkedHashMap<>();
        for (String url : List.of("file://" + tmp.resolve("registry"), s3.url("empty", "app"))) {
            Path classes = tmp.resolve("classes-" + sdkClasses.size() + ".txt");
            Map<String, String> env = new HashMap<>(s3.env());
            env.put("DEWY_JAVA_OPTS", "-Xlog:class+load=info:file=" + classes);
            Path work = tmp.resolve("work-" + sdkClasses.size());
            try (Dewy dewy = Dewy.start(Mode.PID1, tmp, env, "--registry", url, "-i", "300ms", "--workdir",
                    work.toString(), "--", work.resolve("current/app").toString())) {
                dewy.awaitLog("msg=\"no release yet: the application starts after the first deploy\"", 1,
                        Duration.ofSeconds(20));
                Dewy.sleep(1000); // a few checks
                dewy.signal(Signals.SIGTERM);
                assertEquals(0, dewy.awaitExit(Duration.ofSeconds(20)), dewy.log());
            }
            sdkClasses.put(url, (int) Files.readAllLines(classes).stream()
                    .filter(l -> l.contains(" software.amazon.awssdk.")).count());
        }
        List<Integer> counts = new ArrayList<>(sdkClasses.values());
        assertEquals(0, counts.get(0), "SDK classes loaded for file://: " + sdkClasses);
        assertTrue(counts.get(1) > 500, "the s3:// check ran through the SDK: " + sdkClasses);
    }
}
