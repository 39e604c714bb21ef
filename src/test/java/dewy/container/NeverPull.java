package dewy.container;

import org.testcontainers.images.ImagePullPolicy;
import org.testcontainers.utility.DockerImageName;

/**
 * testcontainers.properties' pull.policy: every image the container tests use is built locally, and no registry can
 * be reached here. A missing image fails the test with "No such image" instead of a pull that hangs.
 */
public final class NeverPull implements ImagePullPolicy {
    @Override
    public boolean shouldPull(DockerImageName imageName) {
        return false;
    }
}
