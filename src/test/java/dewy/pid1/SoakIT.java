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
 * USR1 restarts of the C test application under dewy as PID 1 with {@code --port} and {@code --ready notify}: a
 * warm-up of 200, then 1,000 more. dewy's descriptors are the same before and after, and its resident memory grows
 * by less than 2 MiB over the 1,000.
 *
 * <p>Why 200 to warm up: dewy's launcher runs C1 only, which compiles a method after some hundreds of calls, and
 * most of a restart's code runs once per restart; native memory tracking shows the code cache as the one part of
 * dewy that still grows after 50 restarts (about 1 MiB by 1,000), and nothing that grows after that.
 * {@code -Ddewy.soak.warmup=N}, {@code -Ddewy.soak.restarts=N} and {@code -Ddewy.soak.javaopts=...} (dewy's
 * {@code DEWY_JAVA_OPTS}, say {@code -XX:NativeMemoryTracking=summary -XX:+PrintNMTStatistics}, printed at the end;
 * or {@code -XX:+AlwaysPreTouch}, so that heap pages count when committed rather than when first used) are for
 * looking into a failure.
 */
class SoakIT {
    private static final int RESTARTS = Integer.getInteger("dewy.soak.restarts", 1_000);
    private static final int WARM_UP = Integer.getInteger("dewy.soak.warmup", 200);
    private static final long MAX_RSS_GROWTH_KIB = 2 * 1024;

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
            long rssWarm = -1;
            long warmAt = 0;
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
            Dewy.await("dewy's descriptors back to " + fdsBefore.size() + ": " + fdsBefore, Duration.ofSeconds(5),
                    () -> fds(pid).size() == fdsBefore.size());
            List<String> fdsAfter = StarterIT.fds(pid);
            System.out.println("SoakIT: " + (last - 1) + " restarts in " + (System.nanoTime() - t0) / 1_000_000
                    + " ms" + (opts.isBlank() ? "" : " (" + opts.strip() + ")") + "; dewy fds " + fdsBefore.size() + " before, " + fdsAfter.size()
                    + " after; VmRSS " + rssWarm + " KiB after " + WARM_UP + " restarts, " + rssEnd + " KiB after "
                    + RESTARTS + " more (" + (rssEnd - rssWarm) + " KiB in "
                    + (System.nanoTime() - warmAt) / 1_000_000_000L + " s); " + status(pid, "VmHWM")
                    + "; VmRSS KiB by restarts:" + series);
            assertEquals(fdsBefore, fdsAfter, "dewy's descriptors");
            assertTrue(rssEnd - rssWarm < MAX_RSS_GROWTH_KIB, "VmRSS grew from " + rssWarm + " KiB to " + rssEnd
                    + " KiB over " + RESTARTS + " restarts; by restarts:" + series);
            assertEquals(1, dewy.children().size(), "one generation left");
            assertEquals(List.of(), Dewy.zombieChildren(pid));
            assertEquals(last - 1, dewy.countLog("msg=restarted generation="), "every USR1 was a restart");
            if (!System.getProperty("dewy.soak.javaopts", "").isEmpty()) { // what -XX:+PrintNMTStatistics prints
                dewy.signal(Signals.SIGTERM);
                dewy.awaitExit(Duration.ofSeconds(20));
                System.out.println("SoakIT: dewy's stdout:\n" + Dewy.read(dewy.stdout));
            }
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

    private static List<String> fds(int pid) {
        try {
            return StarterIT.fds(pid);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
