package dewy.starter;

import java.time.Duration;

/**
 * When a new generation counts as ready ({@code --ready}):
 * <ul>
 *   <li>{@code notify}: it sent {@code READY=1} to its NOTIFY_SOCKET (systemd's sd_notify protocol);</li>
 *   <li>{@code delay:DURATION}: it is still alive after DURATION (server-starter's {@code --interval});</li>
 *   <li>{@code exec:CMD}: {@code /bin/sh -c CMD} exited 0 (run again every {@link #CHECK_INTERVAL} until then);</li>
 *   <li>{@code http:PATH} (with {@code --proxy}): {@code GET PATH} on the generation's own loopback port answered
 *       2xx or 3xx (asked again every {@link #CHECK_INTERVAL}, off the loop's thread).</li>
 * </ul>
 */
public record Readiness(Kind kind, Duration delay, String command) {
    public enum Kind { NOTIFY, DELAY, EXEC, HTTP }

    public static final Duration CHECK_INTERVAL = Duration.ofMillis(200);

    public static Readiness notifySocket() {
        return new Readiness(Kind.NOTIFY, Duration.ZERO, null);
    }

    public static Readiness delay(Duration delay) {
        return new Readiness(Kind.DELAY, delay, null);
    }

    public static Readiness exec(String command) {
        return new Readiness(Kind.EXEC, Duration.ZERO, command);
    }

    /** {@code path}: an absolute HTTP path, as {@code --health-path} gives it. */
    public static Readiness http(String path) {
        return new Readiness(Kind.HTTP, Duration.ZERO, path);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case NOTIFY -> "notify";
            case DELAY -> "delay:" + delay.toMillis() + "ms";
            case EXEC -> "exec:" + command;
            case HTTP -> "http:" + command;
        };
    }
}
