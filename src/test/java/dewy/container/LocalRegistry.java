package dewy.container;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Debian's docker-registry (the distribution project's registry) on 127.0.0.1, for the img:// tests; the engine
 * pushes to it over plain http (127.0.0.0/8 is an insecure registry to Docker by default). Nothing is ever pulled
 * from the internet.
 */
final class LocalRegistry implements AutoCloseable {
    private static final Duration T = Duration.ofSeconds(60);
    private final Process process;
    private final int port;

    private LocalRegistry(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Serves {@code storage}, with {@code auth} (a YAML {@code auth:} section, or "") and logs in {@code tmp}. */
    static LocalRegistry start(Path tmp, Path storage, String auth) throws Exception {
        int port = DockerfileIT.freePort();
        Path config = tmp.resolve("config-" + port + ".yml");
        Path log = tmp.resolve("registry-" + port + ".log");
        Files.writeString(config, "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: " + storage + "\n"
                + "http:\n  addr: 127.0.0.1:" + port + "\n" + auth);
        Process p = new ProcessBuilder("docker-registry", "serve", config.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        long end = System.nanoTime() + T.toNanos();
        while (true) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return new LocalRegistry(p, port);
            } catch (IOException e) {
                if (System.nanoTime() > end || !p.isAlive()) {
                    p.destroy();
                    throw new AssertionError("docker-registry did not start: " + Files.readString(log));
                }
                Thread.sleep(50);
            }
        }
    }

    int port() {
        return port;
    }

    /** {@code sh -c command}, which must exit 0 within 120 s; its output. */
    static String sh(String command) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("failed: " + command + "\n" + out);
        }
        return out.strip();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
