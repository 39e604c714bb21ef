package dewy.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dewy.supervisor.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

class SystemdNotifyTest {
    private static Status status(boolean ready, boolean draining, int restarts, int current) {
        return new Status(1, "running", draining, ready, true, restarts, 0, current, List.of());
    }

    @Test
    void readyOnceThenStatusPerGenerationThenStopping() {
        assertEquals(List.of(), SystemdNotify.messages(null, status(false, false, 0, 0), 1));
        assertEquals(List.of("READY=1\nMAINPID=1\nSTATUS=serving, generation 1"),
                SystemdNotify.messages(status(false, false, 0, 0), status(true, false, 0, 1), 1));
        assertEquals(List.of(), SystemdNotify.messages(status(true, false, 0, 1), status(true, false, 1, 1), 1),
                "a restart under way changes nothing for systemd");
        assertEquals(List.of("STATUS=serving, generation 2"),
                SystemdNotify.messages(status(true, false, 1, 1), status(true, false, 1, 2), 1));
        assertEquals(List.of("STOPPING=1\nSTATUS=draining"),
                SystemdNotify.messages(status(true, false, 1, 2), status(false, true, 1, 2), 1));
        assertEquals(List.of(), SystemdNotify.messages(status(false, true, 1, 2), status(false, true, 1, 0), 1));
    }

    @Test
    void statusFileIsServerStartersFormat() {
        Status s = new Status(1, "running", false, true, true, 1, 0, 2, List.of(
                new Status.Gen(1, 40, "stopping", 0, 0, null), new Status.Gen(2, 57, "ready", 0, 0, null)));
        assertEquals("1:40\n2:57\n", StatusFiles.statusText(s));
    }

    @Test
    void statusJsonEscapesAndShape() {
        Status s = new Status(1, "running", false, true, true, 0, 0, 2, List.of(
                new Status.Gen(2, 57, "ready", 0, 1000, "a \"quoted\"\nline")));
        assertEquals("{\"version\":\"0.1.0\",\"pid\":1,\"phase\":\"running\",\"draining\":false,\"ready\":true,"
                + "\"alive\":true,\"restarts\":0,\"crash_restarts\":0,\"current\":{\"generation\":2,\"pid\":57},"
                + "\"generations\":[{\"generation\":2,\"pid\":57,\"state\":\"ready\",\"started\":\"1970-01-01T00:00:00Z\","
                + "\"ready_at\":\"1970-01-01T00:00:01Z\",\"status_text\":\"a \\\"quoted\\\"\\nline\"}],\"listeners\":[]}",
                StatusJson.render(s, "0.1.0", List.of(), null));
    }

    @Test
    void statusJsonWithPullDeploys() {
        Status s = new Status(1, "running", false, true, true, 0, 0, 2, List.of());
        String json = StatusJson.render(s, "0.1.0", List.of(), new dewy.deploy.Scheduler.Snapshot("ghr://o/r",
                "v1.2.0", 2000, false, "v1.3.0 rolled back: exited before it was ready", List.of("v1.3.0")));
        assertEquals(",\"listeners\":[],\"deploy\":{\"registry\":\"ghr://o/r\",\"release\":\"v1.2.0\","
                + "\"last_check\":\"1970-01-01T00:00:02Z\",\"last_ok\":false,"
                + "\"last_result\":\"v1.3.0 rolled back: exited before it was ready\",\"failed\":[\"v1.3.0\"]}}",
                json.substring(json.indexOf(",\"listeners\"")));
    }
}
