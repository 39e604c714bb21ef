package dewy.pid1;

import static dewy.deploy.ReleaseFixtures.ARTIFACT;
import static dewy.pid1.DeployFixtures.awaitServing;
import static dewy.pid1.DeployFixtures.get;
import static dewy.pid1.DeployFixtures.pid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.deploy.GcsEmulator;
import dewy.deploy.ReleaseFixtures;
import dewy.pid1.Dewy.Mode;
import dewy.posix.Signals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gs://} pull deploys as PID 1 against the Firebase emulator suite's Cloud Storage emulator on 127.0.0.1
 * ({@link GcsEmulator}, reached through {@code STORAGE_EMULATOR_HOST}): the newest SemVer first, an upgrade under load
 * without a failed request, the shipping report object, a bad checksum refused, a missing bucket one clear line while
 * the application keeps serving.
 */
class GcsDeployIT {
    private static final String BUCKET = "releases";

    @TempDir
    Path tmp;

    private Path workdir() {
        return tmp.resolve("work");
    }

    private Dewy start(GcsEmulator gcs, String registry, int port) throws IOException {
        return start(Map.of("STORAGE_EMULATOR_HOST", gcs.host()), registry, port);
    }

    private Dewy start(Map<String, String> env, String registry, int port) throws IOException {
        List<String> args = new ArrayList<>(List.of("--registry", registry, "-i", "300ms",
                "--workdir", workdir().toString(), "--port", "127.0.0.1:" + port, "--ready", "notify",
                "--ready-timeout", "5s", "--grace-period", "10s", "--", workdir().resolve("current/app").toString()));
        return Dewy.start(Mode.PID1, tmp, env, args.toArray(String[]::new));
    }

    private static void publish(GcsEmulator gcs, String tag, byte[] artifact, String checksum) {
        gcs.put(BUCKET, "app/" + tag + "/" + ARTIFACT, artifact);
        gcs.put(BUCKET, "app/" + tag + "/checksums.txt", checksum + "  " + ARTIFACT + "\n");
    }

    private static void publish(GcsEmulator gcs, String tag) {
        byte[] artifact = ReleaseFixtures.appTarGz(tag);
        publish(gcs, tag, artifact, ReleaseFixtures.sha256(artifact));
    }

    @Test
    void newestSemVerFirstThenAnUpgradeUnderLoadWithoutAFailedRequestAndItsShippingReport() throws Exception {
        int port = StarterIT.freePort();
        try (GcsEmulator gcs = GcsEmulator.start(BUCKET)) {
            for (String tag : List.of("v1.2.0", "v1.9.0", "v1.10.0-rc.1", "nightly")) {
                publish(gcs, tag);
            }
            gcs.put(BUCKET, "app/.v2.0.0/" + ARTIFACT, ReleaseFixtures.appTarGz("v2.0.0")); // being published
            try (Dewy dewy = start(gcs, "gs://" + BUCKET + "/app", port)) {
                awaitServing(port, "v1.9.0", dewy);
                assertEquals("v1.9.0", DeployFixtures.currentTag(workdir()));

                DeployFixtures.deployUnderLoad(port, dewy, "v1.10.0", () -> publish(gcs, "v1.10.0"));
                Dewy.await("the shipping report of v1.10.0", Duration.ofSeconds(10),
                        () -> gcs.keys(BUCKET, "app/v1.10.0/shipped_to_").size() == 1);
                String report = gcs.keys(BUCKET, "app/v1.10.0/shipped_to_").get(0);
                assertTrue(report.matches("app/v1\\.10\\.0/shipped_to_[a-z0-9.-]+_server_at_\\d{8}T\\d{6}\\.\\d{9}Z"
                        + "\\.txt"), report);
                assertEquals("text/plain", gcs.storage().get(BUCKET, report).getContentType());
                dewy.signal(Signals.SIGTERM);
                assertEquals(0, dewy.awaitExit(Duration.ofSeconds(20)));
            }
        }
    }

    @Test
    void aBadChecksumIsRefusedAndTheRunningGenerationStays() throws Exception {
        int port = StarterIT.freePort();
        try (GcsEmulator gcs = GcsEmulator.start(BUCKET)) {
            publish(gcs, "v1.0.0");
            try (Dewy dewy = start(gcs, "gs://" + BUCKET + "/app/", port)) {
                awaitServing(port, "v1.0.0", dewy);
                long pid = pid(get(port));
                publish(gcs, "v1.1.0", ReleaseFixtures.appTarGz("v1.1.0"), "0".repeat(64));
                dewy.awaitLog("checksum mismatch", 1, Duration.ofSeconds(15));
                Dewy.sleep(1000);
                assertEquals("v1.0.0", DeployFixtures.currentTag(workdir()));
                assertEquals(pid, pid(get(port)), "the running generation never stopped");
                assertEquals(0, dewy.countLog("msg=restarting"), dewy.log());
            }
        }
    }

    @Test
    void aMissingBucketIsOneClearLineAndTheApplicationKeepsServing() throws Exception {
        int port = StarterIT.freePort();
        DeployFixtures.earlierRun(workdir()); // dewy starts it at once, then checks the bucket
        try (GcsEmulator gcs = GcsEmulator.start(BUCKET)) {
            try (Dewy dewy = start(gcs, "gs://no-such-bucket/app", port)) {
                awaitServing(port, "v1.0.0", dewy);
                long pid = pid(get(port));
                dewy.awaitLog("error=\"registry gs://no-such-bucket/app: bucket no-such-bucket does not exist (404)\"",
                        2, Duration.ofSeconds(15));
                assertFalse(dewy.log().contains("\tat com.google"), "no stack trace: " + dewy.log());
                assertTrue(get(port).contains("version=v1.0.0\n"), get(port));
                assertEquals(pid, pid(get(port)), "the application kept running");
            }
        }
    }

    @Test
    void noCredentialsIsOneClearLineAndTheApplicationKeepsServing() throws Exception {
        int port = StarterIT.freePort();
        DeployFixtures.earlierRun(workdir());
        Files.createDirectories(tmp.resolve("gcloud"));
        // No emulator, no key file, an empty gcloud directory; the metadata server neither looked for nor, if it
        // were, anywhere but on loopback.
        Map<String, String> env = Map.of("GOOGLE_APPLICATION_CREDENTIALS", "", "CLOUDSDK_CONFIG",
                tmp.resolve("gcloud").toString(), "NO_GCE_CHECK", "true", "GCE_METADATA_HOST", "127.0.0.1:1",
                "GCE_METADATA_IP", "127.0.0.1:1");
        try (Dewy dewy = start(env, "gs://" + BUCKET + "/app", port)) {
            awaitServing(port, "v1.0.0", dewy);
            long pid = pid(get(port));
            dewy.awaitLog("error=\"registry gs://releases/app: no Google credentials: set"
                    + " GOOGLE_APPLICATION_CREDENTIALS to a key file, run gcloud auth application-default login,"
                    + " or run on Google Cloud (STORAGE_EMULATOR_HOST for an emulator)\"", 1, Duration.ofSeconds(15));
            assertEquals(pid, pid(get(port)), "the application kept running");
        }
    }
}
