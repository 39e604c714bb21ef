package dewy.log;

import org.tinylog.Logger;
import org.tinylog.configuration.Configuration;
import org.tinylog.provider.ProviderRegistry;

/**
 * dewy's log lines: a message plus key/value pairs, written through tinylog to stderr, either as logfmt text
 * ({@code time=... level=DEBUG msg="PID received signal" pid=1 signal=SIGUSR1}) or as one JSON object per line
 * ({@code {"time":"...","level":"DEBUG","msg":"PID received signal","pid":1,"signal":"SIGUSR1"}}).
 *
 * <p>tinylog writes from its own thread, so an operator's stalled log pipe can never stall the signal loop.
 */
public final class Log {
    public enum Level { DEBUG, INFO, WARN, ERROR }

    public enum Format { TEXT, JSON }

    private static volatile Format format = Format.TEXT;
    private static volatile Level level;
    private static volatile boolean configured;

    private Log() {
    }

    /**
     * Chooses level and format. tinylog itself is configured at the first log call, so its start-up stays
     * off the path to the application's exec. Must run before the first log call.
     */
    public static void configure(Level lvl, Format f) {
        level = lvl;
        format = f;
    }

    private static void applyConfiguration() {
        if (!configured) { // after the first call, a volatile read: no monitor on the per-signal path
            configureTinylog();
        }
    }

    private static synchronized void configureTinylog() {
        if (configured || level == null) {
            return;
        }
        Format f = format;
        String lvl = level.name().toLowerCase(java.util.Locale.ROOT);
        Configuration.set("level", lvl);
        if (f == Format.JSON) {
            Configuration.set("writer", JsonConsoleWriter.class.getName());
        } else {
            Configuration.set("writer", "console");
            Configuration.set("writer.stream", "err");
            Configuration.set("writer.format", "time={date:yyyy-MM-dd'T'HH:mm:ss.SSSXXX} level={level} msg={message}");
        }
        Configuration.set("writer.level", lvl);
        Configuration.set("writingthread", "true");
        Configuration.set("autoshutdown", "false");
        configured = true; // last: a thread that sees it may log at once
    }

    /** Flushes what the writing thread still holds. Call once, right before exit. */
    public static void shutdown() {
        if (!configured) {
            return; // never used: do not start tinylog just to stop it
        }
        try {
            ProviderRegistry.getLoggingProvider().shutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static void debug(String msg, Object... kv) {
        applyConfiguration();
        if (Logger.isDebugEnabled()) {
            Logger.debug(render(format, msg, kv));
        }
    }

    public static void info(String msg, Object... kv) {
        applyConfiguration();
        if (Logger.isInfoEnabled()) {
            Logger.info(render(format, msg, kv));
        }
    }

    public static void warn(String msg, Object... kv) {
        applyConfiguration();
        if (Logger.isWarnEnabled()) {
            Logger.warn(render(format, msg, kv));
        }
    }

    public static void error(String msg, Object... kv) {
        applyConfiguration();
        if (Logger.isErrorEnabled()) {
            Logger.error(render(format, msg, kv));
        }
    }

    /**
     * The message part of a line. tinylog adds time and level around it: for text the pattern above, for JSON
     * {@link JsonConsoleWriter}, which wraps these members in braces.
     */
    static String render(Format f, String msg, Object... kv) {
        StringBuilder sb = new StringBuilder(64);
        if (f == Format.JSON) {
            sb.append("\"msg\":");
            jsonString(sb, msg);
            for (int i = 0; i + 1 < kv.length; i += 2) {
                sb.append(',');
                jsonString(sb, String.valueOf(kv[i]));
                sb.append(':');
                Object v = kv[i + 1];
                if (v instanceof Boolean || (v instanceof Number && Double.isFinite(((Number) v).doubleValue()))) {
                    sb.append(v);
                } else {
                    jsonString(sb, String.valueOf(v));
                }
            }
        } else {
            logfmtValue(sb, msg);
            for (int i = 0; i + 1 < kv.length; i += 2) {
                sb.append(' ').append(kv[i]).append('=');
                logfmtValue(sb, String.valueOf(kv[i + 1]));
            }
        }
        return sb.toString();
    }

    private static void logfmtValue(StringBuilder sb, String v) {
        boolean quote = v.isEmpty();
        for (int i = 0; i < v.length() && !quote; i++) {
            char c = v.charAt(i);
            quote = c <= ' ' || c == '=' || c == '"' || c == '\\';
        }
        if (!quote) {
            sb.append(v);
            return;
        }
        jsonString(sb, v); // logfmt quotes like Go's strconv.Quote, which JSON string escaping matches here
    }

    /** Appends {@code s} as a JSON string literal (also what /status uses). */
    public static void jsonString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
