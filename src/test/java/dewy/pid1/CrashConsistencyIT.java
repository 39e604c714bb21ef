package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dewy.deploy.ReleaseFixtures;
import dewy.pid1.Dewy.Mode;
import dewy.posix.Signals;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dewy SIGKILLed in the middle of pull deploys, then started again on the same work directory, 50 times. dewy is PID
 * 1 of its namespace, so the kill takes the application down with it; the next dewy is a fresh process. Every time:
 * {@code current} names a complete release, every file as published (a sha256 manifest per tag), never a staging
 * directory; and the release it names is the one that serves after the restart.
 *
 * <p>The kill points vary with a seeded Random (the seed is printed; {@code -Ddewy.crash.seed=N} repeats a run):
 * during the download, during unpacking, right after the swap, during the new generation's readiness.
 */
class CrashConsistencyIT {
    private static final int DEPLOYS = 50;

    enum Point {
        /** Soon after "new release": fetching, checking the sha256. */
        DOWNLOAD,
        /** Soon after "downloaded": unpacking, fsyncing, or handing over to the loop. */
        UNPACK,
        /** At once after "current swapped": current must name the new release. */
        AFTER_SWAP,
        /** While the new generation starts (it is not ready yet, or only just). */
        READINESS
    }

    @TempDir
    Path tmp;

    private Path registry;
    private Path workdir;
    private int port;
    /** What each published tag contains: relative path to sha256, for every regular file. */
    private final Map<String, Map<String, String>> manifests = new LinkedHashMap<>();

    @Test
    void sigkillAtRandomPointsOf50DeploysLeavesCurrentCompleteAndServing() throws Exception {
        long seed = Long.getLong("dewy.crash.seed", System.nanoTime());
        System.out.println("CrashConsistencyIT seed=" + seed + " (repeat with -Ddewy.crash.seed=" + seed + ")");
        Random random = new Random(seed);
        registry = Files.createDirectories(tmp.resolve("registry"));
        workdir = tmp.resolve("work");
        port = StarterIT.freePort();
        long t0 = System.nanoTime();

        publish("v1.0.0", random);
        Dewy dewy = start(0);
        awaitServing("v1.0.0", dewy, seed);
        String serving = "v1.0.0";
        Map<Point, Integer> points = new EnumMap<>(Point.class);
        Map<String, Integer> landed = new TreeMap<>();
        int kills = 0;
        try {
            for (int i = 1; i <= DEPLOYS; i++) {
                String tag = "v1.0." + i;
                Point point = Point.values()[random.nextInt(Point.values().length)];
                points.merge(point, 1, Integer::sum);
                String why = "seed=" + seed + " deploy " + i + " (" + tag + ", kill " + point + ")";

                publish(tag, random);
                killAt(dewy, point, tag, random, why);
                kills++;
                landed.merge(where(dewy), 1, Integer::sum);

                String current = checkCurrent(why);
                if (point == Point.AFTER_SWAP || point == Point.READINESS) {
                    assertEquals(tag, current, why + ": killed after the swap\n" + dewy.log());
                } else {
                    assertTrue(current.equals(tag) || current.equals(serving), why + ": current is " + current
                            + ", neither " + serving + " nor " + tag);
                }
                if (!current.equals(tag)) {
                    // never deployed: withdrawn, so that the restart below has nothing newer to deploy
                    Files.move(registry.resolve(tag), registry.resolve(".withdrawn-" + tag),
                            StandardCopyOption.ATOMIC_MOVE);
                }
                awaitPortClosed(why);
                dewy = start(i);
                awaitServing(current, dewy, seed);
                dewy.awaitLog("msg=\"up to date\"", 1, Duration.ofSeconds(10)); // needs --log-level debug
                serving = current;
                try (Stream<Path> s = Files.list(workdir.resolve("releases"))) {
                    List<String> staging = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("."))
                            .toList();
                    assertEquals(List.of(), staging, why + ": what the killed dewy left is cleaned at start");
                }
            }
        } finally {
            dewy.close();
            System.out.println("CrashConsistencyIT: " + kills + " kills in " + (System.nanoTime() - t0) / 1_000_000
                    + " ms; kill points " + points + "; where they landed (last step logged) " + landed);
        }
    }

    @Test
    void aCurrentThatDanglesAtStartUpIsReplacedByTheNewestRelease() throws Exception {
        registry = Files.createDirectories(tmp.resolve("registry"));
        workdir = tmp.resolve("work");
        port = StarterIT.freePort();
        Random random = new Random(1);
        // an earlier run deployed v0.9.0, then someone removed its directory by hand
        Files.createDirectories(workdir.resolve("releases"));
        Files.createSymbolicLink(workdir.resolve("current"), Path.of("releases/v0.9.0_20260101T000000Z"));
        publish("v1.0.0", random);
        try (Dewy dewy = start(0)) {
            awaitServing("v1.0.0", dewy, 1);
            assertEquals("v1.0.0", checkCurrent("dangling current"));
            assertTrue(dewy.alive(), dewy.log());
        }
    }

    // ---- the steps -----------------------------------------------------------------------------------------

    private Dewy start(int run) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("run-" + run));
        return Dewy.start(Mode.PID1, dir, Map.of(), "--registry", "file://" + registry, "-i", "200ms", "--workdir",
                workdir.toString(), "--port", "127.0.0.1:" + port, "--ready", "notify", "--ready-timeout", "20s",
                "--grace-period", "2s", "--keep-releases", "3", "--log-level", "debug", "--",
                workdir.resolve("current/app").toString());
    }

    /** A release of the Python example with 16 files of random content (8 to 64 KiB), published atomically. */
    private void publish(String tag, Random random) throws IOException {
        Map<String, ReleaseFixtures.Entry> files = new LinkedHashMap<>();
        files.put("app", new ReleaseFixtures.Entry(ReleaseFixtures.appScript(tag).getBytes(StandardCharsets.UTF_8),
                0755));
        files.put("VERSION", new ReleaseFixtures.Entry((tag + "\n").getBytes(StandardCharsets.UTF_8), 0644));
        for (int k = 0; k < 16; k++) {
            byte[] data = new byte[8192 + random.nextInt(56 * 1024)];
            random.nextBytes(data);
            files.put("data/" + (k % 4) + "/part-" + k + ".bin", new ReleaseFixtures.Entry(data, 0644));
        }
        Map<String, String> manifest = new TreeMap<>();
        files.forEach((name, e) -> manifest.put(name, ReleaseFixtures.sha256(e.content())));
        manifests.put(tag, manifest);
        DeployFixtures.publishFile(registry, tag, ReleaseFixtures.tarGz(files), true);
    }

    /** Waits for the log line that opens the kill window, waits a random moment inside it, SIGKILLs dewy. */
    private void killAt(Dewy dewy, Point point, String tag, Random random, String why) {
        String line;
        int maxDelayMs;
        switch (point) {
            case DOWNLOAD -> {
                line = "msg=\"new release\" version=" + tag + " ";
                maxDelayMs = 40;
            }
            case UNPACK -> {
                line = "msg=\"Downloaded artifact for `" + tag + "` ";
                maxDelayMs = 30;
            }
            case AFTER_SWAP -> {
                line = "msg=\"current swapped\" version=" + tag + " ";
                maxDelayMs = 0;
            }
            default -> {
                line = "msg=\"current swapped\" version=" + tag + " ";
                maxDelayMs = 300;
            }
        }
        int delay = point == Point.READINESS ? 20 + random.nextInt(maxDelayMs) : maxDelayMs == 0 ? 0
                : random.nextInt(maxDelayMs + 1);
        try {
            dewy.awaitLog(line, 1, Duration.ofSeconds(20));
        } catch (AssertionError e) {
            fail(why + ": " + e.getMessage() + "\n" + dewy.log(), e);
        }
        if (delay > 0) {
            Dewy.sleep(delay);
        }
        Dewy.kill(dewy.pid(), Signals.SIGKILL);
        dewy.awaitExit(Duration.ofSeconds(10)); // unshare, once its child, dewy, is gone
    }

    /** The last deploy step the killed dewy logged (its log is written by a thread of its own: a lower bound). */
    private static String where(Dewy dewy) {
        String log = dewy.log();
        String[] steps = {"msg=\"new release\"", "msg=\"Downloaded artifact for ", "msg=\"current swapped\"", "msg=started "
                + "generation=2", "msg=deployed "};
        String last = "before new release";
        int at = -1;
        for (String s : steps) {
            int i = log.lastIndexOf(s);
            if (i > at) {
                at = i;
                last = s.replace("msg=", "").replace("\"", "").strip();
            }
        }
        return last;
    }

    /**
     * {@code current} is a symlink to {@code releases/<tag>_<time>}, a real directory whose regular files are exactly
     * the tag's manifest; returns the tag.
     */
    private String checkCurrent(String why) throws IOException {
        Path link = workdir.resolve("current");
        assertTrue(Files.isSymbolicLink(link), why + ": current is not a symlink");
        Path target = workdir.resolve(Files.readSymbolicLink(link)).normalize();
        assertEquals(workdir.resolve("releases"), target.getParent(), why + ": current -> " + target);
        String name = target.getFileName().toString();
        assertTrue(!name.startsWith(".") && name.matches(".+_\\d{8}T\\d{6}Z(-\\d+)?"),
                why + ": current names " + name + ", not a release");
        assertTrue(Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS), why + ": current dangles: " + name);
        String tag = name.substring(0, name.lastIndexOf('_'));
        Map<String, String> want = manifests.get(tag);
        assertNotNull(want, why + ": current names " + tag + ", never published");
        Map<String, String> got = new TreeMap<>();
        try (Stream<Path> all = Files.walk(target)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    got.put(target.relativize(p).toString(), ReleaseFixtures.sha256(Files.readAllBytes(p)));
                } else if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    fail(why + ": " + p + " is neither a file nor a directory");
                }
            }
        }
        assertEquals(want, got, why + ": " + tag + " is not complete as published");
        assertTrue(Files.isExecutable(target.resolve("app")), why);
        return tag;
    }

    private void awaitServing(String version, Dewy dewy, long seed) {
        try {
            DeployFixtures.awaitServing(port, version, dewy);
        } catch (AssertionError e) {
            throw new AssertionError("seed=" + seed + ": " + e.getMessage(), e);
        }
    }

    private void awaitPortClosed(String why) {
        Dewy.await(why + ": the killed namespace's listener to close", Duration.ofSeconds(10), () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return false;
            } catch (IOException e) {
                return true;
            }
        });
    }
}
