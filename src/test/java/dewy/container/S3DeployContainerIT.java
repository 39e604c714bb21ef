package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.deploy.ReleaseFixtures;
import dewy.deploy.S3Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The image deploys from {@code s3://}: S3Proxy on the host's 127.0.0.1 (the container shares the host's network,
 * the only network here), the keys in the container's environment, the AWS SDK inside the image's jlinked JRE and
 * dewy's {@code -Xmx64m}. v1.0.0 starts; v1.1.0 replaces it under a steady client with 0 failed requests, and its
 * shipping report appears in the bucket. The releases are {@link DeployContainerIT}'s (HelloServer's jar, ready
 * after 6 s, 2 s per request).
 */
@ContainerTest
class S3DeployContainerIT {
    private static final String WORKDIR = "/tmp/dewy";
    private static final String BUCKET = "releases";

    @TempDir
    Path tmp;

    private static void publish(S3Proxy s3, String tag, byte[] artifact) {
        s3.publish(BUCKET, "hello/", tag, ReleaseFixtures.ARTIFACT, artifact,
                ReleaseFixtures.checksums(Map.of(ReleaseFixtures.ARTIFACT, artifact)));
    }

    @Test
    void theImageUpgradesFromS3WithoutAFailedRequest() throws Exception {
        byte[] jar = Files.readAllBytes(ExampleImage.appJar());
        int port = DockerfileIT.freePort();
        try (S3Proxy s3 = S3Proxy.start(tmp.resolve("s3proxy"))) {
            s3.createBucket(BUCKET);
            DewyContainer container = new DewyContainer(DewyContainer.IMAGE);
            s3.env().forEach(container::withEnv);
            try (DewyContainer dewy = container
                    .withCommand("--registry", s3.url(BUCKET, "hello"), "-i", "1s", "--workdir", WORKDIR,
                            "--require-checksum", "--port", "127.0.0.1:" + port + "=0", "--ready", "delay:6s",
                            "--grace-period", "10s", "--", WORKDIR + "/current/app")
                    .waitingFor(Wait.forLogMessage(".*no release yet.*\\n", 1)
                            .withStartupTimeout(Duration.ofSeconds(60)))) {
                dewy.start();
                publish(s3, "v1.0.0", DeployContainerIT.good("v1.0.0", jar));
                try {
                    dewy.awaitLog("msg=deployed version=v1.0.0 ", 1, Duration.ofSeconds(60));
                } catch (AssertionError e) { // what dewy said instead (a JDK module the SDK lacks, say)
                    throw new AssertionError(e.getMessage() + "; dewy's log:\n" + dewy.dewyLog(), e);
                }
                Matcher first = DeployContainerIT.hello(DeployContainerIT.get(port));
                assertEquals(List.of("1", "v1.0.0"), List.of(first.group(2), first.group(3)), first.group());

                HelloLoad load = HelloLoad.start(DeployContainerIT::get, port, 50_000, Duration.ofSeconds(120));
                DewyContainer.sleep(1000);
                publish(s3, "v1.1.0", DeployContainerIT.good("v1.1.0", jar));
                dewy.awaitLog("msg=deployed version=v1.1.0 ", 1, Duration.ofSeconds(60));
                dewy.awaitLog("msg=\"generation exited\" generation=1 ", 1, Duration.ofSeconds(30));
                DewyContainer.await("v1.1.0 to serve the client", Duration.ofSeconds(10),
                        () -> load.versions().contains("v1.1.0"));
                HelloLoad.Result result = load.finish();

                assertFalse(result.bounded(), "the client ran out of requests or time: " + result);
                assertEquals(0, result.failed(), "failed requests: " + result.firstFailure() + "; " + result);
                assertTrue(result.ok() > 100, "the client kept asking: " + result);
                assertEquals(List.of("v1.0.0", "v1.1.0"), new ArrayList<>(result.servedBy().keySet()),
                        result.toString());
                DewyContainer.await("v1.1.0's shipping report in the bucket", Duration.ofSeconds(10),
                        () -> s3.keys(BUCKET, "hello/v1.1.0/").stream().anyMatch(k -> k.contains("/shipped_to_")));
                String log = dewy.dewyLog();
                assertFalse(log.contains(S3Proxy.SECRET_KEY), "the secret key in dewy's log");
                assertFalse(log.contains("level=ERROR"), log);
                assertTrue(dewy.running());
                System.out.println("S3DeployContainerIT: " + result);
            }
        }
    }
}
