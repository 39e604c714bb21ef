package dewy.container;

import dewy.boot.Relaunch;
import dewy.posix.Signals;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The entrypoint every dewy image must have, from dewy's own constants: what target/dewy runs, in exec form, so the
 * JVM starts with the handled signals blocked and never re-executes itself. pom.xml (both Jib configurations),
 * jib.yaml, docker/Dockerfile and the built image are all checked against it.
 */
public final class ImageEntrypoint {
    /** Laid out like target/: dewy.jar, jffi/, and dewy.jsa when the image has an archive for its own JVM. */
    public static final String INSTALL_DIR = "/app";
    /** How many leading words belong to env; the rest is what PID 1's cmdline shows once env has exec'd java. */
    public static final int ENV_WORDS = 4;

    private ImageEntrypoint() {
    }

    public static List<String> expected(boolean withArchive) {
        List<String> e = new ArrayList<>(List.of("/usr/bin/env",
                "--block-signal=" + Signals.HANDLED.toList().stream().map(String::valueOf).collect(Collectors.joining(",")),
                saveJvmOptionVariables(), Relaunch.SR_SIGNUM + "=" + Signals.JVM_SUSPEND_RESUME, "java", "-Xrs"));
        e.addAll(Relaunch.TUNING);
        if (withArchive) {
            e.add("-XX:SharedArchiveFile=" + INSTALL_DIR + "/" + Relaunch.CDS_ARCHIVE);
            e.addAll(Relaunch.CDS_QUIET);
        }
        e.addAll(List.of("-cp", INSTALL_DIR + "/dewy.jar", "dewy.Main", "server"));
        return e;
    }

    /**
     * GNU env's {@code -S}: each of {@link Relaunch#JVM_OPTION_VARIABLES} is unset for dewy's JVM and its value saved
     * in {@link Relaunch#SAVED}{@code NAME} ({@code ${NAME}} is expanded by env when the container starts, to ""
     * when it is unset). dewy gives them back to the application.
     */
    static String saveJvmOptionVariables() {
        List<String> words = new ArrayList<>();
        for (String name : Relaunch.JVM_OPTION_VARIABLES) {
            words.add("-u " + name);
        }
        for (String name : Relaunch.JVM_OPTION_VARIABLES) {
            words.add(Relaunch.SAVED + name + "=${" + name + "}");
        }
        return "-S" + String.join(" ", words);
    }
}
