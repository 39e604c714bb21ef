package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * docker/examples/spring-boot/Dockerfile, built as a user would (the Spring Boot example with the starter, dewy as
 * PID 1 with {@code --ready notify --success-exit-status 143} from the image's ENV): five {@code docker kill
 * --signal=USR1} under a steady client fail no request, and {@code docker stop} ends the container with 0.
 */
@ContainerTest
class SpringBootContainerIT {
    private static final String TAG = "dewy-spring-boot-example:test";
    private static final Path TARGET = Path.of(System.getProperty("dewy.target", "target")).toAbsolutePath();
    private static final int RESTARTS = 5;
    private static boolean built;

    private static String image() {
        String base = System.getProperty("dewy.spring.base.image", "");
        if (base.isEmpty() || base.startsWith("${")) {
            fail("DEWY_SPRING_BASE_IMAGE is not set: a base with the JDK modules Spring Boot needs, e.g. "
                    + "BASE_IMAGE=dewy-base-spring:17 EXTRA_MODULES=java.desktop,java.naming,java.sql,java.xml,"
                    + "java.instrument,java.security.jgss docker/base-image.sh (.ci/run does it)");
        }
        new ImageFromDockerfile(TAG, false)
                .withFileFromPath("Dockerfile", Path.of("docker/examples/spring-boot/Dockerfile"))
                .withFileFromPath("target/dewy.jar", TARGET.resolve("dewy.jar"))
                .withFileFromPath("target/jffi", TARGET.resolve("jffi"))
                .withFileFromPath("docker/examples/spring-boot/target/hello-spring-boot.jar",
                        Path.of("docker/examples/spring-boot/target/hello-spring-boot.jar"))
                .withBuildArg("BASE", base)
                .get();
        built = true;
        return TAG;
    }

    @AfterAll
    static void removeImage() {
        if (built) {
            DockerClientFactory.instance().client().removeImageCmd(TAG).withForce(true).exec();
        }
    }

    @Test
    void fiveUsr1RestartsUnderLoadFailNoRequestAndDockerStopExitsZero() throws Exception {
        int port = DockerfileIT.freePort();
        try (DewyContainer dewy = new DewyContainer(image()).withEnv("DEWY_PORT", "127.0.0.1:" + port + "=0")
                .waitingFor(Wait.forLogMessage(".*msg=\"generation ready\" generation=1 .*\\n", 1)
                        .withStartupTimeout(Duration.ofSeconds(180)))) {
            dewy.start();
            HelloLoad load = HelloLoad.start(DockerfileIT::get, port, 200_000, Duration.ofSeconds(600));
            for (int gen = 2; gen <= RESTARTS + 1; gen++) {
                dewy.kill("USR1");
                dewy.awaitLog("msg=\"generation ready\" generation=" + gen + " ", 1, Duration.ofSeconds(120));
                dewy.awaitLog("msg=\"generation exited\" generation=" + (gen - 1) + " ", 1, Duration.ofSeconds(60));
            }
            HelloLoad.Result result = load.finish();
            result.assertNoFailureAndEveryGeneration(RESTARTS + 1);
            DewyContainer.Stopped stopped = dewy.dockerStop(60);
            assertEquals(0, stopped.exitCode(), "the JVM's 143 counts as 0: " + dewy.dewyLog());
            assertTrue(dewy.dewyLog().contains("code=143 counts_as=0"), dewy.dewyLog());
        }
    }
}
