package dewy.notify;

import java.io.IOException;
import java.time.Instant;

/** One destination. Called only from its own sender thread (see {@link Notifications}), one event at a time. */
public interface Notifier {
    /**
     * Delivers one event, or throws: an IOException (one line, no secrets) when the receiver failed or refused.
     * Must return within its own timeout.
     */
    void send(Event e, String host, Instant time) throws IOException, InterruptedException;

    /** How the startup log and status name this destination: never a token or a secret URL path. */
    String describe();
}
