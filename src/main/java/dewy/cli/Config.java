package dewy.cli;

import dewy.log.Log;
import java.time.Duration;
import java.util.List;

/**
 * Everything {@code dewy server} was asked to do, built once from flags and DEWY_* variables, then passed down.
 *
 * @param gracePeriod time from the stop signal to SIGKILL, for restarts and drains alike
 * @param stopSignal  what the application gets when it should stop (TERM unless told otherwise)
 * @param command     the application's argv, searched in PATH like execvp
 */
public record Config(Log.Level logLevel, Log.Format logFormat, Duration gracePeriod, int stopSignal,
                     List<String> command) {
    public Config {
        command = List.copyOf(command);
    }
}
