package dev.dewy.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sd_notify messages byte for byte, as a NOTIFY_SOCKET receives them, on this JVM's transport: the build runs
 * these tests on JDK 17 (jnr-ffi) and again on JDK 22+ (java.lang.foreign, the multi-release class).
 */
class SdNotifyTest {
    @TempDir
    Path tmp;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void theTransportIsTheOneForThisJdk() {
        assertNull(Native.unavailable());
        assertEquals(Runtime.version().feature() >= 22 ? "java.lang.foreign" : "jnr-ffi", Native.implementation());
    }

    @Test
    void eachMessageArrivesExactlyAsSystemdDefinesIt() throws Exception {
        try (Receiver r = new Receiver(tmp.resolve("notify.sock").toString())) {
            SdNotify n = SdNotify.of(Map.of("NOTIFY_SOCKET", r.notifySocket));
            assertTrue(n.enabled());
            assertTrue(n.ready());
            assertArrayEquals(bytes("READY=1"), r.next(2000));
            assertTrue(n.stopping());
            assertArrayEquals(bytes("STOPPING=1"), r.next(2000));
            assertTrue(n.watchdog());
            assertArrayEquals(bytes("WATCHDOG=1"), r.next(2000));
            assertTrue(n.status("serving 3 requests"));
            assertArrayEquals(bytes("STATUS=serving 3 requests"), r.next(2000));
            assertTrue(n.status("two\nlines\r"));
            assertArrayEquals(bytes("STATUS=two lines "), r.next(2000), "one STATUS line, never a second field");
            assertTrue(n.send("EXTEND_TIMEOUT_USEC=5000000"));
            assertArrayEquals(bytes("EXTEND_TIMEOUT_USEC=5000000"), r.next(2000));
            assertTrue(n.status("grüße"));
            assertArrayEquals("STATUS=grüße".getBytes(StandardCharsets.UTF_8), r.next(2000), "UTF-8");
            assertNull(r.next(50), "one datagram per call");
        }
    }

    /** RELOADING=1 carries CLOCK_MONOTONIC in µs (systemd's Type=notify-reload), the clock System.nanoTime reads. */
    @Test
    void reloadingCarriesTheMonotonicClockInMicroseconds() throws Exception {
        try (Receiver r = new Receiver(tmp.resolve("notify.sock").toString())) {
            SdNotify n = SdNotify.of(Map.of("NOTIFY_SOCKET", r.notifySocket));
            long before = System.nanoTime() / 1000;
            assertTrue(n.reloading());
            long after = System.nanoTime() / 1000;
            String got = r.nextString(2000);
            Matcher m = Pattern.compile("RELOADING=1\nMONOTONIC_USEC=(\\d+)").matcher(got);
            assertTrue(m.matches(), got);
            long usec = Long.parseLong(m.group(1));
            assertTrue(before <= usec && usec <= after, before + " <= " + usec + " <= " + after);
            // the same clock as /proc/uptime's CLOCK_BOOTTIME minus suspend: at least positive and below it
            assertTrue(usec > 0);
        }
    }

    @Test
    void anAbstractSocketNameIsALeadingNulAndNoTrailingOne() throws Exception {
        String name = "@dewy-app-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (Receiver r = new Receiver(name)) {
            assertTrue(SdNotify.of(Map.of("NOTIFY_SOCKET", name)).ready());
            assertArrayEquals(bytes("READY=1"), r.next(2000));
        }
        byte[] sa = UnixAddress.of("@ab");
        assertEquals(2 + 1 + 2, sa.length);
        assertEquals(0, sa[2]);
        assertEquals('a', sa[3]);
        byte[] path = UnixAddress.of("/x");
        assertEquals(2 + 2 + 1, path.length);
        assertEquals(0, path[path.length - 1]);
    }

    @Test
    void withoutNotifySocketEverythingIsANoOp() throws Exception {
        SdNotify n = SdNotify.of(Map.of());
        assertFalse(n.enabled());
        assertFalse(n.ready());
        assertFalse(n.stopping());
        assertFalse(n.reloading());
        assertFalse(n.status("x"));
        assertFalse(n.watchdog());
        n.startWatchdog().close();
        assertEquals(Optional.empty(), n.socket());
        assertFalse(SdNotify.of(Map.of("NOTIFY_SOCKET", "")).enabled());
        assertFalse(SdNotify.of(Map.of("NOTIFY_SOCKET", "vsock:2:1234")).enabled(), "not supported: off, not broken");
    }

    @Test
    void aSocketNobodyListensOnFailsQuietly() {
        SdNotify n = SdNotify.of(Map.of("NOTIFY_SOCKET", tmp.resolve("nobody.sock").toString()));
        assertTrue(n.enabled());
        assertFalse(n.ready());
        assertFalse(n.ready());
    }

    @Test
    void theWatchdogIntervalIsOursOnlyWhenWatchdogPidIsUnsetOrOurs() throws Exception {
        long me = ProcessHandle.current().pid();
        assertEquals(Duration.ofSeconds(2), SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "2000000"), me));
        assertEquals(Duration.ofMillis(500), SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "500000",
                "WATCHDOG_PID", Long.toString(me)), me));
        assertNull(SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "500000", "WATCHDOG_PID", "1"), me));
        assertNull(SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "0"), me));
        assertNull(SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "soon"), me));
        assertNull(SdNotify.watchdogInterval(Map.of(), me));

        try (Receiver r = new Receiver(tmp.resolve("wd.sock").toString())) {
            SdNotify n = SdNotify.of(Map.of("NOTIFY_SOCKET", r.notifySocket, "WATCHDOG_USEC", "100000"));
            try (AutoCloseable pings = n.startWatchdog()) {
                for (int i = 0; i < 3; i++) {
                    assertArrayEquals(bytes("WATCHDOG=1"), r.next(2000), "ping " + i);
                }
            }
        }
    }
}
