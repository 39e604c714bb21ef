package dewy.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dewy.supervisor.Status;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SystemdNotifyTest {
    private static final SystemdNotify.Bounds BOUNDS = SystemdNotify.Bounds.of(Duration.ofSeconds(60),
            Duration.ofSeconds(30), Duration.ofSeconds(5));

    private static Status status(boolean ready, boolean draining, int restarts, int current) {
        return status(ready, draining, restarts, current, Status.Reload.NONE);
    }

    private static Status status(boolean ready, boolean draining, int restarts, int current, Status.Reload reload) {
        return new Status(1, "running", draining, ready, true, restarts, 0, current, List.of(), reload);
    }

    private static List<String> messages(Status before, Status after) {
        return SystemdNotify.messages(before, after, 1, BOUNDS);
    }

    /** A generation in this state, as the supervisor lists them. */
    private static Status with(Status s, int generation, String state) {
        return new Status(s.pid(), s.phase(), s.draining(), s.ready(), true, s.restarts(), 0, s.current(),
                List.of(new Status.Gen(generation, 100 + generation, state, 0, -1, null)), s.reload());
    }

    @Test
    void aStartAndTheDrainExtendSystemdsTimeoutsToDewysOwnBoundsByteForByte() {
        Status starting = with(status(false, false, 0, 0), 1, "starting");
        assertEquals(List.of("EXTEND_TIMEOUT_USEC=65000000"), messages(null, starting),
                "--ready-timeout 60s and 5s more");
        assertEquals(List.of(), messages(starting, starting));
        Status crashedAndAgain = with(status(false, false, 0, 0), 2, "starting");
        assertEquals(List.of("EXTEND_TIMEOUT_USEC=65000000"), messages(starting, crashedAndAgain),
                "each start before the first READY=1");
        Status ready = with(status(true, false, 0, 2), 2, "ready");
        assertEquals(List.of("READY=1\nMAINPID=1\nSTATUS=serving, generation 2"), messages(crashedAndAgain, ready));
        Status crashRestart = with(status(false, false, 1, 0), 3, "starting");
        assertEquals(List.of(), messages(ready, crashRestart), "after READY=1 systemd times no start");
        assertEquals(List.of("STOPPING=1\nSTATUS=draining\nEXTEND_TIMEOUT_USEC=40000000"),
                messages(ready, status(false, true, 0, 2)), "--drain-delay 5s, --grace-period 30s and 5s more");
    }

    @Test
    void aUsr1ReloadIsReloadingWithTheMonotonicTimeThenReadyByteForByte() {
        Status serving = status(true, false, 0, 1);
        Status reloading = status(true, false, 1, 1, new Status.Reload(1, true, 123456789L, null));
        assertEquals(List.of("RELOADING=1\nMONOTONIC_USEC=123456789\nSTATUS=reloading\nEXTEND_TIMEOUT_USEC=95000000"),
                messages(serving, reloading), "one datagram, as Type=notify-reload wants");
        Status newOneStarting = with(reloading, 2, "starting");
        assertEquals(List.of(), messages(reloading, newOneStarting));
        Status done = status(true, false, 1, 2, new Status.Reload(1, false, 123456789L, null));
        assertEquals(List.of("READY=1\nSTATUS=serving, generation 2"), messages(newOneStarting, done));
        assertEquals(List.of(), messages(done, done));

        Status again = status(true, false, 2, 2, new Status.Reload(2, true, 200000000L, null));
        assertEquals(List.of("RELOADING=1\nMONOTONIC_USEC=200000000\nSTATUS=reloading\nEXTEND_TIMEOUT_USEC=95000000"),
                messages(done, again));
        Status failed = status(true, false, 2, 2, new Status.Reload(2, false, 200000000L,
                "exited before it was ready (exited with 3)"));
        assertEquals(List.of("READY=1\nSTATUS=reload failed: exited before it was ready (exited with 3); generation 2 "
                + "serves on"), messages(again, failed), "systemd's reload ends; the old generation serves on");
    }

    @Test
    void aReloadRefusedAtOnceStillAnswersSystemd() {
        Status serving = status(true, false, 0, 1);
        Status refused = status(true, false, 0, 1, new Status.Reload(1, false, 5000L, "cannot run /app:\nENOENT"));
        assertEquals(List.of("RELOADING=1\nMONOTONIC_USEC=5000\nSTATUS=reloading\nEXTEND_TIMEOUT_USEC=95000000",
                "READY=1\nSTATUS=reload failed: cannot run /app: ENOENT; generation 1 serves on"),
                messages(serving, refused));
    }

    @Test
    void theWatchdogPingIsWatchdogOne() {
        List<String> sent = new java.util.ArrayList<>();
        new SystemdNotify(sent::add, BOUNDS).ping();
        assertEquals(List.of("WATCHDOG=1"), sent);
    }

    @Test
    void readyOnceThenStatusPerGenerationThenStopping() {
        assertEquals(List.of(), messages(null, status(false, false, 0, 0)));
        assertEquals(List.of("READY=1\nMAINPID=1\nSTATUS=serving, generation 1"),
                messages(status(false, false, 0, 0), status(true, false, 0, 1)));
        assertEquals(List.of(), messages(status(true, false, 0, 1), status(true, false, 1, 1)),
                "a restart under way changes nothing for systemd");
        assertEquals(List.of("STATUS=serving, generation 2"),
                messages(status(true, false, 1, 1), status(true, false, 1, 2)));
        assertEquals(List.of("STOPPING=1\nSTATUS=draining\nEXTEND_TIMEOUT_USEC=40000000"),
                messages(status(true, false, 1, 2), status(false, true, 1, 2)));
        assertEquals(List.of(), messages(status(false, true, 1, 2), status(false, true, 1, 0)));
    }

    @Test
    void statusFileIsServerStartersFormat() {
        Status s = new Status(1, "running", false, true, true, 1, 0, 2, List.of(
                new Status.Gen(1, 40, "stopping", 0, 0, null), new Status.Gen(2, 57, "ready", 0, 0, null)),
                Status.Reload.NONE);
        assertEquals("1:40\n2:57\n", StatusFiles.statusText(s));
    }

    @Test
    void statusJsonEscapesAndShape() {
        Status s = new Status(1, "running", false, true, true, 0, 0, 2, List.of(
                new Status.Gen(2, 57, "ready", 0, 1000, "a \"quoted\"\nline")), Status.Reload.NONE);
        assertEquals("{\"version\":\"0.1.0\",\"pid\":1,\"phase\":\"running\",\"draining\":false,\"ready\":true,"
                + "\"alive\":true,\"restarts\":0,\"crash_restarts\":0,\"current\":{\"generation\":2,\"pid\":57},"
                + "\"generations\":[{\"generation\":2,\"pid\":57,\"state\":\"ready\",\"started\":\"1970-01-01T00:00:00Z\","
                + "\"ready_at\":\"1970-01-01T00:00:01Z\",\"status_text\":\"a \\\"quoted\\\"\\nline\"}],\"listeners\":[]}",
                StatusJson.render(s, "0.1.0", List.of(), null));
    }

    @Test
    void statusJsonWithPullDeploys() {
        Status s = new Status(1, "running", false, true, true, 0, 0, 2, List.of(), Status.Reload.NONE);
        String json = StatusJson.render(s, "0.1.0", List.of(), new dewy.deploy.Scheduler.Snapshot("ghr://o/r",
                "v1.2.0", 2000, false, "v1.3.0 rolled back: exited before it was ready", List.of("v1.3.0")));
        assertEquals(",\"listeners\":[],\"deploy\":{\"registry\":\"ghr://o/r\",\"release\":\"v1.2.0\","
                + "\"last_check\":\"1970-01-01T00:00:02Z\",\"last_ok\":false,"
                + "\"last_result\":\"v1.3.0 rolled back: exited before it was ready\",\"failed\":[\"v1.3.0\"]}}",
                json.substring(json.indexOf(",\"listeners\"")));
    }
}
