package dewy.cli;

import dewy.log.Log;
import dewy.posix.Signals;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Turns {@code dewy server [options] -- COMMAND [ARGS...]} and the environment into a {@link Config}.
 *
 * <p>Flags take {@code --name value}, {@code --name=value}, {@code -x value} or {@code -xvalue}. Each option can
 * also come from {@code DEWY_<NAME>} (dashes become underscores); the flag wins.
 */
public final class CommandLine {
    /** One option of {@code dewy server}; the table below is also the help text. */
    public record Option(String name, Character shortName, String metavar, String defaultValue, String help) {
        public String env() {
            return "DEWY_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
        }
    }

    public static final List<Option> SERVER_OPTIONS = List.of(
            new Option("log-level", 'l', "LEVEL", "info", "debug, info, warn or error"),
            new Option("log-format", 'f', "FORMAT", "text", "text (logfmt lines) or json (one object per line)"),
            new Option("grace-period", null, "DURATION", "30s",
                    "time from the stop signal to SIGKILL, on restart and on drain (Go syntax: 30s, 1m30s, 500ms)"),
            new Option("stop-signal", null, "SIGNAL", "TERM",
                    "signal that asks the application to stop (name or number: TERM, SIGINT, 3, RTMIN+3)"));

    private CommandLine() {
    }

    /** True when {@code -h} or {@code --help} appears before {@code --}. */
    public static boolean wantsHelp(List<String> args) {
        for (String a : args) {
            if (a.equals("--")) {
                return false;
            }
            if (a.equals("-h") || a.equals("--help")) {
                return true;
            }
        }
        return false;
    }

    public static Config parseServer(List<String> args, Map<String, String> env) throws UsageException {
        Map<String, String> values = new HashMap<>();
        int i = 0;
        boolean sawSeparator = false;
        while (i < args.size()) {
            String arg = args.get(i++);
            if (arg.equals("--")) {
                sawSeparator = true;
                break;
            }
            if (!arg.startsWith("-") || arg.equals("-")) {
                throw new UsageException("missing -- before the command \"" + arg + "\"");
            }
            String inline = null;
            Option option;
            if (arg.startsWith("--")) {
                int eq = arg.indexOf('=');
                String name = eq < 0 ? arg.substring(2) : arg.substring(2, eq);
                inline = eq < 0 ? null : arg.substring(eq + 1);
                option = byName(name);
            } else {
                option = byShort(arg.charAt(1));
                if (arg.length() > 2) {
                    inline = arg.startsWith("=", 2) ? arg.substring(3) : arg.substring(2);
                }
            }
            String value = inline;
            if (value == null) {
                if (i >= args.size() || args.get(i).equals("--")) {
                    throw new UsageException("flag --" + option.name() + " needs a value (" + option.metavar() + ")");
                }
                value = args.get(i++);
            }
            values.put(option.name(), value);
        }
        if (!sawSeparator) {
            throw new UsageException("missing -- COMMAND: say what to run, e.g. dewy server -- /opt/app/bin/app");
        }
        List<String> command = new ArrayList<>(args.subList(i, args.size()));
        if (command.isEmpty()) {
            throw new UsageException("missing command after --");
        }
        if (command.get(0).isEmpty()) {
            throw new UsageException("empty command after --");
        }
        return new Config(
                level(value(values, env, "log-level")),
                format(value(values, env, "log-format")),
                duration(value(values, env, "grace-period")),
                signal(value(values, env, "stop-signal")),
                command);
    }

    /** A resolved value and where it came from, so errors can name the flag or the variable. */
    private record Value(String text, String source) {
    }

    private static Value value(Map<String, String> flags, Map<String, String> env, String name) {
        Option option = byNameOrNull(name);
        if (flags.containsKey(name)) {
            return new Value(flags.get(name), "--" + name);
        }
        String fromEnv = env.get(option.env());
        if (fromEnv != null) {
            return new Value(fromEnv, option.env());
        }
        return new Value(option.defaultValue(), "--" + name);
    }

    private static Log.Level level(Value v) throws UsageException {
        try {
            return Log.Level.valueOf(v.text().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException(v.source() + ": unknown log level \"" + v.text()
                    + "\" (use debug, info, warn or error)");
        }
    }

    private static Log.Format format(Value v) throws UsageException {
        try {
            return Log.Format.valueOf(v.text().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException(v.source() + ": unknown log format \"" + v.text() + "\" (use text or json)");
        }
    }

    private static Duration duration(Value v) throws UsageException {
        try {
            return Durations.parse(v.text());
        } catch (IllegalArgumentException e) {
            throw new UsageException(v.source() + ": " + e.getMessage());
        }
    }

    private static int signal(Value v) throws UsageException {
        Optional<Integer> signal = Signals.parse(v.text());
        if (signal.isEmpty()) {
            throw new UsageException(v.source() + ": unknown signal \"" + v.text()
                    + "\" (use a name like TERM or a number from 1 to 64)");
        }
        return signal.get();
    }

    private static Option byName(String name) throws UsageException {
        Option o = byNameOrNull(name);
        if (o == null) {
            throw new UsageException("unknown flag --" + name);
        }
        return o;
    }

    private static Option byNameOrNull(String name) {
        for (Option o : SERVER_OPTIONS) {
            if (o.name().equals(name)) {
                return o;
            }
        }
        return null;
    }

    private static Option byShort(char c) throws UsageException {
        for (Option o : SERVER_OPTIONS) {
            if (o.shortName() != null && o.shortName() == c) {
                return o;
            }
        }
        throw new UsageException("unknown flag -" + c);
    }
}
