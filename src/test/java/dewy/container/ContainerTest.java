package dewy.container;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * A test class that runs the image under a real engine. It is skipped, never failed, when there is no Docker, or
 * when this build did not make the image (the image profile passes dewy.image only when it built it, so a stale
 * image from an earlier build is never tested). .ci/run fails on any skipped test, so CI cannot skip them silently.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@EnabledIfSystemProperty(named = "dewy.image", matches = ".+",
        disabledReason = "the image profile is off: set DEWY_BASE_IMAGE to a local base image (see README)")
@Testcontainers(disabledWithoutDocker = true)
@interface ContainerTest {
}
