package dewy.container;

import dewy.cli.UsageException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine run options after {@code --} that dewy passes on to every replica: {@code -e/--env},
 * {@code -v/--volume}, {@code -l/--label}, {@code -u/--user}, {@code -w/--workdir} and {@code --entrypoint}.
 * Go dewy hands these to {@code docker run}; dewy speaks the Engine API, so it reads each one itself and refuses
 * what it does not know, rather than drop it silently.
 *
 * <p>Go dewy's forbidden options are refused with its own message: they fight dewy over the container's lifecycle
 * ({@code -d}, {@code -i}, {@code -t}), its ports ({@code -p}) or the host ({@code --privileged}, ...).
 * {@code --network} is refused too: every replica runs with the host's network and binds {@code 127.0.0.1:$PORT}.
 */
public record RunOptions(List<String> env, List<String> volumes, Map<String, String> labels, String user,
                         String workdir, String entrypoint) {
    /** Go dewy's forbiddenLongOptions, in its order. */
    static final List<String> FORBIDDEN_LONG = List.of("--detach", "--interactive", "--tty", "--publish",
            "--label-file", "--privileged", "--pid", "--cap-add", "--security-opt", "--device", "--userns",
            "--cgroupns");
    /** Go dewy's forbiddenShortFlagChars: standalone ({@code -d}), bundled ({@code -dit}) or with a value. */
    static final String FORBIDDEN_SHORT = "ditp";
    static final String RESERVED_LABEL_PREFIX = "dewy.";

    public RunOptions {
        env = List.copyOf(env);
        volumes = List.copyOf(volumes);
        labels = Map.copyOf(labels);
    }

    public static RunOptions none() {
        return new RunOptions(List.of(), List.of(), Map.of(), null, null, null);
    }

    static RunOptions parse(List<String> args) throws UsageException {
        List<String> env = new ArrayList<>();
        List<String> volumes = new ArrayList<>();
        Map<String, String> labels = new LinkedHashMap<>();
        String user = null;
        String workdir = null;
        String entrypoint = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            refuseForbidden(arg);
            String[] flag = split(arg);
            String value = flag[1];
            if (flag[0] == null) {
                throw new UsageException("engine option \"" + arg + "\" after --: dewy container passes only -e, -v, "
                        + "-l, -u, -w and --entrypoint (the image comes from --registry, its command from --cmd)");
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new UsageException("engine option " + arg + " needs a value");
                }
                value = args.get(++i);
            }
            switch (flag[0]) {
                case "env" -> env.add(value);
                case "volume" -> volumes.add(value);
                case "label" -> {
                    if (value.startsWith(RESERVED_LABEL_PREFIX)) {
                        throw new UsageException("label \"" + value + "\" uses reserved prefix \""
                                + RESERVED_LABEL_PREFIX + "\" and cannot be used");
                    }
                    int eq = value.indexOf('=');
                    labels.put(eq < 0 ? value : value.substring(0, eq), eq < 0 ? "" : value.substring(eq + 1));
                }
                case "user" -> user = value;
                case "workdir" -> workdir = value;
                case "entrypoint" -> entrypoint = value;
                case "network" -> throw new UsageException("engine option " + arg + ": every replica runs with the "
                        + "host's network (--network host) and binds 127.0.0.1:$PORT");
                default -> throw new IllegalStateException(flag[0]);
            }
        }
        return new RunOptions(env, volumes, labels, user, workdir, entrypoint);
    }

    /** Go dewy's validateExtraArgs, with its messages. */
    private static void refuseForbidden(String arg) throws UsageException {
        for (String forbidden : FORBIDDEN_LONG) {
            if (arg.equals(forbidden) || arg.startsWith(forbidden + "=")) {
                throw new UsageException("option " + forbidden + " conflicts with Dewy management and cannot be used");
            }
        }
        if (arg.length() >= 2 && arg.charAt(0) == '-' && arg.charAt(1) != '-'
                && FORBIDDEN_SHORT.indexOf(arg.charAt(1)) >= 0) {
            throw new UsageException("option -" + arg.charAt(1) + " conflicts with Dewy management and cannot be used");
        }
    }

    /** {option, inline value or null}; option null when unknown. {@code -eA=1}, {@code --env=A=1}, {@code -e A=1}. */
    private static String[] split(String arg) {
        Map<String, String> shorts = Map.of("e", "env", "v", "volume", "l", "label", "u", "user", "w", "workdir");
        List<String> longs = List.of("env", "volume", "label", "user", "workdir", "entrypoint", "network", "net");
        if (arg.startsWith("--")) {
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg.substring(2) : arg.substring(2, eq);
            if (!longs.contains(name)) {
                return new String[] {null, null};
            }
            return new String[] {name.equals("net") ? "network" : name, eq < 0 ? null : arg.substring(eq + 1)};
        }
        if (arg.length() >= 2 && arg.charAt(0) == '-' && shorts.containsKey(arg.substring(1, 2))) {
            String rest = arg.substring(2);
            return new String[] {shorts.get(arg.substring(1, 2)), rest.isEmpty() ? null
                    : rest.startsWith("=") ? rest.substring(1) : rest};
        }
        return new String[] {null, null};
    }
}
