package dewy.cli;

import java.time.Duration;

/**
 * What happens when the application exits by itself ({@code --restart}, {@code --restart-delay},
 * {@code --max-restarts}, {@code --restart-window}).
 *
 * @param delay       the first backoff; each further crash within the window doubles it, up to {@link #MAX_DELAY}
 * @param maxRestarts more crash restarts than this within the window and dewy gives up with the app's status; 0 means
 *                    no limit
 * @param window      the sliding window for counting; a run without a crash for this long resets the backoff
 */
public record RestartPolicy(Mode mode, Duration delay, int maxRestarts, Duration window) {
    public static final Duration MAX_DELAY = Duration.ofSeconds(30);

    public enum Mode {
        ALWAYS, ON_FAILURE, NEVER;

        public String flag() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** Whether an exit with this shell status (0, 1..125, 128+N) calls for a restart. */
    public boolean restartsAfter(int status) {
        return switch (mode) {
            case ALWAYS -> true;
            case ON_FAILURE -> status != 0;
            case NEVER -> false;
        };
    }
}
