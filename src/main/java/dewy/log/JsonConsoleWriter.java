package dewy.log;

import java.io.PrintStream;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Map;
import org.tinylog.core.LogEntry;
import org.tinylog.core.LogEntryValue;
import org.tinylog.writers.Writer;

/**
 * A tinylog writer for one JSON object per line on stderr. tinylog's own JSON writer only writes files, and its
 * format patterns cannot hold literal braces. The members after time and level come ready from {@link Log}.
 */
public final class JsonConsoleWriter implements Writer {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    private final PrintStream out = System.err;

    public JsonConsoleWriter(Map<String, String> properties) {
    }

    @Override
    public Collection<LogEntryValue> getRequiredLogEntryValues() {
        return EnumSet.of(LogEntryValue.DATE, LogEntryValue.LEVEL, LogEntryValue.MESSAGE);
    }

    @Override
    public void write(LogEntry entry) {
        String time = TIME.format(entry.getTimestamp().toInstant().atOffset(java.time.ZoneOffset.UTC));
        out.print("{\"time\":\"" + time + "\",\"level\":\"" + entry.getLevel() + "\"," + entry.getMessage() + "}\n");
    }

    @Override
    public void flush() {
        out.flush();
    }

    @Override
    public void close() {
        out.flush();
    }
}
