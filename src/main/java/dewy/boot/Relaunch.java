package dewy.boot;

import dewy.posix.Signals;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * How dewy's JVM gets every init signal blocked in every thread. A thread's mask is inherited when it is created,
 * so it must be blocked before the JVM starts: either by the launcher ({@code target/dewy}, the image entrypoint:
 * {@code env --block-signal=... _JAVA_SR_SIGNUM=63 java -Xrs ...}) or, for plain {@code java -jar dewy.jar}, by
 * blocking in main and re-executing the same command line with {@code -Xrs} (same PID, one more JVM start: see README, Performance).
 */
public final class Relaunch {
    /** Set in the re-executed JVM; guards against a loop and is removed from the application's environment. */
    public static final String GUARD = "_DEWY_RELAUNCHED";
    /** Moves HotSpot's suspend/resume signal from USR2 (which must reach the application) to SIGRTMAX-1. */
    public static final String SR_SIGNUM = "_JAVA_SR_SIGNUM";

    /**
     * The variables that give a JVM options (Kubernetes sets them for the application, often with an APM
     * {@code -javaagent}). dewy's own JVM must not load them: the launcher, the image entrypoint and the re-exec move
     * each to {@link #SAVED}{@code NAME} before dewy's JVM starts, and {@link #applicationEnv} gives it back.
     */
    public static final List<String> JVM_OPTION_VARIABLES = List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS",
            "_JAVA_OPTIONS");
    /** Prefix of the saved copies; an empty copy stands for an unset variable (the entrypoint cannot tell them apart). */
    public static final String SAVED = "_DEWY_SAVED_";

    /**
     * Small-footprint flags, measured in bench/ (start-up and RSS). Each is added only when the command line does
     * not already set the same option, and before the user's own options, so the user's always win.
     */
    public static final List<String> TUNING = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-XX:CICompilerCount=1", "-XX:ReservedCodeCacheSize=16m", "-XX:-UsePerfData", "-Xss256k", "-Xms4m",
            "-Xmx64m",
            // no periodic safepoints or monitor-deflation ticks (bench idle: 33 instead of 326 wake-ups a minute);
            // a JVM that lacks one of them ignores it rather than refusing to start
            "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+UnlockDiagnosticVMOptions", "-XX:GuaranteedSafepointInterval=0", "-XX:AsyncDeflationInterval=0",
            // jffi loads its stub with System.load: JDK 22+ warns on stderr unless native access is granted
            "--enable-native-access=ALL-UNNAMED");

    /** The AppCDS archive the build writes next to dewy.jar, and the JVM (java.runtime.version) that wrote it. */
    public static final String CDS_ARCHIVE = "dewy.jsa";
    public static final String CDS_VERSION = "dewy.jsa.version";
    public static final List<String> CDS_QUIET = List.of("-Xlog:cds=off", "-Xlog:cds+dynamic=off");

    private static final Set<String> COLLECTORS = Set.of("UseSerialGC", "UseParallelGC", "UseParallelOldGC",
            "UseG1GC", "UseZGC", "UseShenandoahGC", "UseEpsilonGC", "UseConcMarkSweepGC");

    private Relaunch() {
    }

    public static boolean alreadyRelaunched(Map<String, String> env) {
        return env.containsKey(GUARD);
    }

    /** The new command line: the JVM of {@code cmdline} with -Xrs and the tuning, then everything as it was. */
    public static List<String> argv(List<String> cmdline, Path installDir) {
        List<String> jvmOptions = jvmOptions(cmdline);
        List<String> argv = new ArrayList<>();
        argv.add(cmdline.get(0));
        argv.add("-Xrs");
        for (String flag : TUNING) {
            if (!setsSameOption(jvmOptions, flag)) {
                argv.add(flag);
            }
        }
        if (installDir != null && archiveFits(installDir, System.getProperty("java.runtime.version"))
                && jvmOptions.stream().noneMatch(o -> o.startsWith("-XX:SharedArchiveFile") || o.startsWith("-Xshare"))) {
            argv.add("-XX:SharedArchiveFile=" + installDir.resolve(CDS_ARCHIVE));
            argv.addAll(CDS_QUIET);
        }
        argv.addAll(cmdline.subList(1, cmdline.size()));
        return argv;
    }

    /**
     * Whether the archive was written by this very JVM. Any other rejects it, and then runs without even its own
     * default archive, slower than with no flag at all.
     */
    static boolean archiveFits(Path installDir, String runtimeVersion) {
        try {
            return Files.isRegularFile(installDir.resolve(CDS_ARCHIVE))
                    && Files.readString(installDir.resolve(CDS_VERSION)).trim().equals(runtimeVersion);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * The re-executed JVM's environment: as it was, plus the guard and the suspend/resume signal, with the
     * {@link #JVM_OPTION_VARIABLES} moved aside (the first JVM has loaded them already; this one must not).
     */
    public static List<String> env(Map<String, String> env) {
        Map<String, String> out = new TreeMap<>(env);
        for (String name : JVM_OPTION_VARIABLES) {
            String value = out.remove(name);
            if (value != null) {
                out.putIfAbsent(SAVED + name, value);
            }
        }
        out.put(SR_SIGNUM, Integer.toString(Signals.JVM_SUSPEND_RESUME));
        out.put(GUARD, "1");
        return entries(out);
    }

    /**
     * The application's environment: dewy's own, without what only tunes dewy's JVM, and with the
     * {@link #JVM_OPTION_VARIABLES} as they were before dewy moved them aside (an empty saved copy: unset).
     */
    public static List<String> applicationEnv(Map<String, String> env) {
        Map<String, String> out = new TreeMap<>(env);
        out.keySet().removeAll(Set.of(GUARD, SR_SIGNUM));
        for (String name : JVM_OPTION_VARIABLES) {
            String saved = out.remove(SAVED + name);
            if (saved != null && saved.isEmpty()) {
                out.remove(name);
            } else if (saved != null) {
                out.put(name, saved);
            }
        }
        return entries(out);
    }

    private static List<String> entries(Map<String, String> env) {
        List<String> list = new ArrayList<>(env.size());
        for (Map.Entry<String, String> e : env.entrySet()) {
            list.add(e.getKey() + "=" + e.getValue());
        }
        return list;
    }

    /** The options the java launcher reads before the main class or jar; the program's arguments are not looked at. */
    static List<String> jvmOptions(List<String> cmdline) {
        Set<String> withValue = Set.of("-cp", "-classpath", "--class-path", "-p", "--module-path",
                "--upgrade-module-path", "--add-modules", "--limit-modules", "--add-reads", "--add-exports",
                "--add-opens", "--patch-module", "--enable-native-access");
        List<String> options = new ArrayList<>();
        for (int i = 1; i < cmdline.size(); i++) {
            String a = cmdline.get(i);
            if (a.equals("-jar") || a.equals("-m") || a.equals("--module") || !a.startsWith("-")) {
                break;
            }
            options.add(a);
            if (withValue.contains(a)) {
                i++;
            }
        }
        return options;
    }

    /** True when {@code options} already set what {@code flag} sets (any collector counts as the same option). */
    static boolean setsSameOption(List<String> options, String flag) {
        String key = optionKey(flag);
        for (String o : options) {
            if (optionKey(o).equals(key)) {
                return true;
            }
        }
        return false;
    }

    private static String optionKey(String option) {
        if (COLLECTORS.contains(option.replaceFirst("^-XX:[+-]", ""))) {
            return "gc"; // choosing any collector conflicts with our SerialGC
        }
        if (option.startsWith("-XX:")) {
            String name = option.substring(4).replaceFirst("^[+-]", "");
            int eq = name.indexOf('=');
            return "XX:" + (eq < 0 ? name : name.substring(0, eq));
        }
        for (String prefix : List.of("-Xss", "-Xms", "-Xmx", "-Xmn")) {
            if (option.startsWith(prefix)) {
                return prefix;
            }
        }
        return option;
    }
}
