package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.pid1.Dewy.Mode;
import dewy.posix.Signals;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * USR1 restarts of the C test application under dewy as PID 1 with {@code --port} and {@code --ready notify}: 1,000
 * from a cold start, then 1,000 more. dewy's descriptors are the same before and after, and its resident memory grows
 * by less than 2 MiB over the second 1,000, and by less than 4 MiB over all 2,000 from the cold start.
 *
 * <p>Why two bounds: dewy's launcher runs C1 only, which compiles a method after some hundreds of calls, and most of
 * a restart's code runs once per restart. Measured with {@code -XX:NativeMemoryTracking=detail} and /proc/PID/smaps
 * (this test prints the mappings that grew most): from a cold start VmRSS grows by about 2.9 MiB over the first
 * 1,000 restarts, of which about 2 MiB is the code cache and 0.5 MiB the compiler's freed arena, and it is then flat
 * (+4 KiB from 1,000 to 3,000). So the first 1,000 bound the JIT's warm-up, and the second 1,000 show what a leak
 * per restart would add.
 * {@code -Ddewy.soak.warmup=N}, {@code -Ddewy.soak.restarts=N} and {@code -Ddewy.soak.javaopts=...} (dewy's
 * {@code DEWY_JAVA_OPTS}, say {@code -XX:NativeMemoryTracking=summary -XX:+PrintNMTStatistics}, printed at the end;
 * or {@code -XX:+AlwaysPreTouch}, so that heap pages count when committed rather than when first used) are for
 * looking into a failure.
 */
class SoakIT {
    private static final int RESTARTS = Integer.getInteger("dewy.soak.restarts", 1_000);
    private static final int WARM_UP = Integer.getInteger("dewy.soak.warmup", 1_000);
    private static final long MAX_RSS_GROWTH_KIB = 2 * 1024;
    private static final long MAX_COLD_RSS_GROWTH_KIB = 4 * 1024;

    @TempDir
    Path tmp;

    @Test
    void aThousandRestartsLeakNoDescriptorAndLessThan2MiB() throws Exception {
        Path gens = tmp.resolve("gen");
        Path status = tmp.resolve("status");
        int port = StarterIT.freePort();
        String opts = System.getProperty("dewy.soak.javaopts", "");
        long t0 = System.nanoTime();
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, Map.of("DEWY_JAVA_OPTS", opts), TestApp.command(List.of(
                "--port", "127.0.0.1:" + port, "--ready", "notify", "--status-file", status.toString(),
                "--grace-period", "5s"), "generation", gens))) {
            dewy.awaitStarted();
            awaitOnly(status, 1, dewy);
            Dewy.sleep(300); // the first swap's listener inspection, off the loop, is done
            int pid = dewy.pid();
            List<String> fdsBefore = StarterIT.fds(pid);
            StringBuilder series = new StringBuilder();
            long rssCold = settledRss(pid);
            long rssWarm = rssCold;
            long warmAt = System.nanoTime();
            Map<String, Long> mapsBefore = mappings(pid);
            int last = WARM_UP + RESTARTS + 1;
            for (int g = 2; g <= last; g++) {
                dewy.signal(Signals.SIGUSR1);
                awaitOnly(status, g, dewy);
                int restarts = g - 1;
                if (restarts == WARM_UP) {
                    rssWarm = settledRss(pid);
                    warmAt = System.nanoTime();
                }
                if (restarts == 50 || restarts % 100 == 0) {
                    series.append(' ').append(restarts).append('=').append(rss(pid));
                }
            }
            long rssEnd = settledRss(pid);
            System.out.println("SoakIT: mappings that grew most (KiB): " + grown(mapsBefore, mappings(pid)));
            Dewy.await("dewy's descriptors back to " + fdsBefore.size() + ": " + fdsBefore, Duration.ofSeconds(5),
                    () -> fds(pid).size() == fdsBefore.size());
            List<String> fdsAfter = StarterIT.fds(pid);
            System.out.println("SoakIT: " + (last - 1) + " restarts in " + (System.nanoTime() - t0) / 1_000_000
                    + " ms" + (opts.isBlank() ? "" : " (" + opts.strip() + ")") + "; dewy fds " + fdsBefore.size()
                    + " before, " + fdsAfter.size() + " after; VmRSS " + rssCold + " KiB cold, " + rssWarm
                    + " KiB after " + WARM_UP + " restarts, " + rssEnd + " KiB after " + RESTARTS + " more ("
                    + (rssEnd - rssWarm) + " KiB in "
                    + (System.nanoTime() - warmAt) / 1_000_000_000L + " s); " + status(pid, "VmHWM")
                    + "; VmRSS KiB by restarts:" + series);
            int children = dewy.children().size();
            List<Integer> zombies = Dewy.zombieChildren(pid);
            if (!opts.isBlank()) { // what -XX:+PrintNMTStatistics prints at dewy's exit, before any assertion fails
                dewy.signal(Signals.SIGTERM);
                dewy.awaitExit(Duration.ofSeconds(20));
                System.out.println("SoakIT: dewy's stdout:\n" + Dewy.read(dewy.stdout));
            }
            assertEquals(fdsBefore, fdsAfter, "dewy's descriptors");
            assertTrue(rssEnd - rssWarm < MAX_RSS_GROWTH_KIB, "VmRSS grew from " + rssWarm + " KiB to " + rssEnd
                    + " KiB over " + RESTARTS + " restarts; by restarts:" + series);
            assertTrue(rssEnd - rssCold < MAX_COLD_RSS_GROWTH_KIB, "VmRSS grew from " + rssCold + " KiB cold to "
                    + rssEnd + " KiB over " + (last - 1) + " restarts; by restarts:" + series);
            assertEquals(1, children, "one generation left");
            assertEquals(List.of(), zombies);
            assertEquals(last - 1, dewy.countLog("msg=restarted generation="), "every USR1 was a restart");
        }
    }

    /** Waits until generation {@code g} is the only live one (the status file: one "G:PID" line). */
    private static void awaitOnly(Path status, int g, Dewy dewy) {
        String prefix = g + ":";
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<String> lines = read(status);
            if (lines.size() == 1 && lines.get(0).startsWith(prefix)) {
                return;
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("generation " + g + " alone: status file " + lines + "\n" + dewy.log());
            }
            Dewy.sleep(2);
        }
    }

    private static List<String> read(Path status) {
        try {
            return Files.readAllLines(status);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** VmRSS after a short pause (the old generation's drain, the listener inspection, are done), in KiB. */
    private static long settledRss(int pid) {
        Dewy.sleep(500);
        return rss(pid);
    }

    private static long rss(int pid) {
        return Long.parseLong(status(pid, "VmRSS").replaceAll("\\D+", ""));
    }

    private static String status(int pid, String key) {
        for (String l : Dewy.lines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith(key + ":")) {
                return l.replaceAll("\\s+", " ");
            }
        }
        throw new AssertionError("no " + key + " in /proc/" + pid + "/status");
    }

    /** Resident KiB of each mapping in /proc/PID/smaps, by its address range and name. */
    private static Map<String, Long> mappings(int pid) {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        String range = null;
        for (String l : Dewy.lines(Path.of("/proc/" + pid + "/smaps"))) {
            if (l.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                String[] f = l.split("\\s+", 6);
                range = f[0].substring(0, f[0].indexOf('-')) + (f.length > 5 ? " " + f[5] : "");
            } else if (l.startsWith("Rss:") && range != null) {
                out.put(range, Long.parseLong(l.replaceAll("\\D+", "")));
            }
        }
        return out;
    }

    private static String grown(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> growth = new java.util.HashMap<>();
        after.forEach((k, v) -> growth.put(k, v - before.getOrDefault(k, 0L)));
        before.forEach((k, v) -> growth.putIfAbsent(k, -v));
        return growth.entrySet().stream().filter(e -> e.getValue() != 0)
                .sorted((a, b) -> Long.compare(Math.abs(b.getValue()), Math.abs(a.getValue()))).limit(12)
                .map(e -> e.getKey() + "=" + e.getValue()).collect(java.util.stream.Collectors.joining(", "));
    }

    private static List<String> fds(int pid) {
        try {
            return StarterIT.fds(pid);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
