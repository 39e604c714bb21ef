package dewy.notify;

import dewy.log.Log;

/** Where this package's log lines go: dewy's log, or a list in the tests (whose tinylog level is off). */
@FunctionalInterface
interface LogSink {
    void log(Log.Level level, String msg, Object... kv);

    LogSink DEWY = (level, msg, kv) -> {
        switch (level) {
            case DEBUG -> Log.debug(msg, kv);
            case INFO -> Log.info(msg, kv);
            case WARN -> Log.warn(msg, kv);
            case ERROR -> Log.error(msg, kv);
        }
    };
}
