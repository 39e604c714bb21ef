package dewy.notify;

import java.util.Objects;

/**
 * What happened. {@code kind} is the wire name of the event (opaque text to the notifiers); {@code version} may be
 * null (nothing deployed yet); {@code error} picks the colour in Slack, the log level and the rate limiting;
 * {@code deploy} is the tag of the deploy the event is part of, or null (Slack's {@code thread=true} threads a
 * deploy's events).
 */
public record Event(String kind, String message, String version, boolean error, String deploy) {
    // The wire names dewy publishes. Receivers match on these, so they are part of dewy's interface.
    public static final String STARTED = "started";
    public static final String DOWNLOADED = "downloaded";
    public static final String HOOK = "hook";
    public static final String SERVER_STARTED = "server-started";
    public static final String SERVER_RESTARTED = "server-restarted";
    public static final String ROLLBACK = "rollback";
    /** dewy assets: a release is in place (server mode says so with server-restarted). */
    public static final String DEPLOYED = "deployed";
    public static final String STOPPING = "stopping";
    public static final String ERROR = "error";

    public Event {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(message, "message");
    }

    /** A normal event, e.g. {@code Event.info("downloaded", "downloaded v1.2.3 (app.tar.gz, 12 MB)", "v1.2.3")}. */
    public static Event info(String kind, String message, String version) {
        return new Event(kind, message, version, false, null);
    }

    /** A failure: logged at error, red in Slack, rate limited when repeated. */
    public static Event error(String kind, String message, String version) {
        return new Event(kind, message, version, true, null);
    }

    /** This event as part of the deploy of {@code tag}. */
    public Event inDeploy(String tag) {
        return new Event(kind, message, version, error, tag);
    }
}
