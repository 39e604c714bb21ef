package dewy.deploy;

import java.io.IOException;
import java.time.Duration;

/**
 * A registry failed. Transient failures (the network, a 5xx, a rate limit, a volume not mounted yet) are worth
 * retrying as they are; the others (401, 404, malformed JSON, no artifact for this platform) need a person.
 */
public class RegistryException extends IOException {
    private static final long serialVersionUID = 1L;

    private final boolean transientFailure;
    private final transient Duration retryAfter;

    public RegistryException(String message, boolean transientFailure, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.transientFailure = transientFailure;
        this.retryAfter = retryAfter;
    }

    public RegistryException(String message, boolean transientFailure) {
        this(message, transientFailure, null, null);
    }

    public boolean isTransient() {
        return transientFailure;
    }

    /** How long the server asked us to wait (Retry-After, X-RateLimit-Reset), or null when it did not say. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
