package dewy.container;

import dewy.deploy.ImageRegistry;
import dewy.log.Log;
import dewy.notify.Event;
import dewy.notify.Notices;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/**
 * One registry check, on the deploy thread: the newest tag, and a rollout when it is neither what runs nor a tag
 * that already failed. A tag whose rollout failed is not tried again; a newer tag is.
 */
final class Deployer {
    /** The newest eligible image, or null (an {@link ImageRegistry} in dewy). */
    interface Source {
        ImageRegistry.Image latest() throws IOException, InterruptedException;
    }

    private final Source source;
    private final RollingUpdate update;
    private final Notices notices;
    private final Set<String> refused = new HashSet<>();
    private ImageRegistry.Image running;

    Deployer(Source source, RollingUpdate update, Notices notices) {
        this.source = source;
        this.update = update;
        this.notices = notices;
    }

    /** Never throws but {@link InterruptedException} (dewy is stopping); errors are logged, the next check retries. */
    void check() throws InterruptedException {
        ImageRegistry.Image image;
        try {
            image = source.latest();
        } catch (IOException | RuntimeException e) {
            Log.warn("registry check failed", "error", e.getMessage());
            return;
        }
        if (image == null) {
            Log.debug("no eligible tag yet");
            return;
        }
        if (running != null && running.digest().equals(image.digest())) {
            return;
        }
        if (refused.contains(image.tag())) {
            Log.debug("tag failed before; waiting for a newer one", "version", image.tag());
            return;
        }
        Log.info("deploying", "version", image.tag(), "digest", image.digest(), "replicas",
                update.current().isEmpty() ? "new" : update.current().size() + " old");
        RollingUpdate.Outcome outcome;
        try {
            outcome = update.deploy(image);
        } catch (IOException e) {
            Log.warn("deploy failed; will retry", "version", image.tag(), "error", e.getMessage());
            return;
        }
        if (outcome.deployed()) {
            running = image;
            notices.publish(Event.info(Event.DEPLOYED, "deployed " + image.tag(), image.tag()).inDeploy(image.tag()));
            notices.success();
        } else if (!outcome.imageAtFault()) {
            Log.warn("deploy failed; will retry", "version", image.tag(), "error", outcome.why());
        } else {
            refused.add(image.tag());
            notices.publish(Event.error(Event.ROLLBACK, "rollback: " + image.tag() + " failed (" + outcome.why()
                    + "); " + (running == null ? "nothing" : running.tag()) + " keeps serving; " + image.tag()
                    + " is not tried again", image.tag()).inDeploy(image.tag()));
        }
    }

    ImageRegistry.Image running() {
        return running;
    }
}
