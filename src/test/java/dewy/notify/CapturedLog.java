package dewy.notify;

import dewy.log.Log;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A LogSink that keeps every line as "LEVEL msg k=v ...": tinylog is off in the tests. */
final class CapturedLog implements LogSink {
    final List<String> lines = new CopyOnWriteArrayList<>();

    @Override
    public void log(Log.Level level, String msg, Object... kv) {
        StringBuilder sb = new StringBuilder(level.name()).append(' ').append(msg);
        for (int i = 0; i + 1 < kv.length; i += 2) {
            sb.append(' ').append(kv[i]).append('=').append(kv[i + 1]);
        }
        lines.add(sb.toString());
    }

    List<String> matching(String prefix) {
        List<String> l = new ArrayList<>();
        for (String s : lines) {
            if (s.startsWith(prefix)) {
                l.add(s);
            }
        }
        return l;
    }

    String all() {
        return String.join("\n", lines);
    }
}
