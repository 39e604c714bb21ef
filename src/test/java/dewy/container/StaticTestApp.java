package dewy.container;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * src/test/c/testapp.c (see dewy.pid1.TestApp for its modes), linked statically so it runs on any base image,
 * compiled once per test run into target/testapp-static and copied into each container as /usr/local/bin/testapp.
 */
final class StaticTestApp {
    static final String IN_CONTAINER = "/usr/local/bin/testapp";
    private static Path binary;

    private StaticTestApp() {
    }

    static synchronized Path path() {
        if (binary == null) {
            Path out = Path.of(System.getProperty("dewy.target", "target"), "testapp-static").toAbsolutePath();
            run("gcc", "-static", "-O2", "-Wall", "-Werror", "-o", out.toString(), "src/test/c/testapp.c");
            binary = out;
        }
        return binary;
    }

    static void run(String... command) {
        try {
            Process p = new ProcessBuilder(command).inheritIO().start();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("failed: " + String.join(" ", command));
            }
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", command) + ": " + e, e);
        }
    }
}
