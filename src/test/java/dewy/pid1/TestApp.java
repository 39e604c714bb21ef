package dewy.pid1;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** src/test/c/testapp.c, compiled once per test run into target/testapp. */
final class TestApp {
    private static Path binary;

    private TestApp() {
    }

    static synchronized String path() {
        if (binary == null) {
            Path src = Path.of("src/test/c/testapp.c").toAbsolutePath();
            Path out = Dewy.TARGET.resolve("testapp");
            try {
                Process gcc = new ProcessBuilder("gcc", "-O2", "-Wall", "-Werror", "-o", out.toString(), src.toString())
                        .inheritIO().start();
                if (!gcc.waitFor(60, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
                    throw new IllegalStateException("gcc failed on " + src);
                }
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException("cannot compile " + src + ": " + e, e);
            }
            if (!Files.isExecutable(out)) {
                throw new IllegalStateException("no " + out);
            }
            binary = out;
        }
        return binary.toString();
    }

    /** dewy's options, then "--", then testapp with {@code appArgs}. */
    static String[] command(List<String> dewyOptions, Object... appArgs) {
        List<String> all = new ArrayList<>(dewyOptions);
        all.add("--");
        all.add(path());
        for (Object a : appArgs) {
            all.add(a.toString());
        }
        return all.toArray(String[]::new);
    }
}
