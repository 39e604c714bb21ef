package dewy.starter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The socket-passing protocols, byte for byte. */
class StarterTest {
    private static Listener l(String spec, int dewyFd, int childFd) {
        return new Listener(ListenSpec.parse(spec), dewyFd, childFd, 0);
    }

    private static final List<Listener> THREE = List.of(l("8080", 10, 3), l("127.0.0.1:8081", 11, 4),
            l("/run/app.sock", 12, 5));

    @Test
    void serverStarterPortIsSpecEqualsFdJoinedBySemicolons() {
        assertEquals("8080=3;127.0.0.1:8081=4;/run/app.sock=5", StarterEnv.serverStarterPort(THREE));
        assertEquals("8080=0", StarterEnv.serverStarterPort(List.of(l("8080=0", 10, 0))));
    }

    @Test
    void listenFdsCountsOnlyTheUnbrokenRunFromThree() {
        assertEquals(3, StarterEnv.systemdRun(THREE).size());
        assertEquals(List.of(), StarterEnv.systemdRun(List.of(l("8080=0", 10, 0))));
        assertEquals(1, StarterEnv.systemdRun(List.of(l("80=0", 10, 0), l("81", 11, 3), l("82=5", 12, 5))).size());
        assertEquals(2, StarterEnv.systemdRun(List.of(l("82", 12, 4), l("81", 11, 3))).size(), "order by fd");
    }

    @Test
    void fdNamesHaveNoColons() {
        assertEquals("8080:127.0.0.1_8081:/run/app.sock", StarterEnv.listenFdNames(THREE));
        assertEquals("[__1]_8080", StarterEnv.fdName(ListenSpec.parse("[::1]:8080")));
    }

    @Test
    void theRelayedWatchdogIsTheGenerationsAndNotItsChecks() {
        Starter s = new Starter(List.of(), List.of("PATH=/bin", "WATCHDOG_USEC=10000000", "WATCHDOG_PID=1"), null);
        assertEquals(List.of("PATH=/bin", "NOTIFY_SOCKET=/n"), s.launch(List.of("app"), 1, "/n").env(),
                "dewy's own watchdog is not passed on");
        s.relayWatchdog(10_000_000);
        assertEquals(List.of("PATH=/bin", "NOTIFY_SOCKET=/n", "WATCHDOG_USEC=10000000"),
                s.launch(List.of("app"), 1, "/n").env());
        assertEquals(List.of("PATH=/bin", "NOTIFY_SOCKET=/n"), s.env(1, "/n"), "a readiness check pings nothing");
        assertEquals(List.of("PATH=/bin"), s.launch(List.of("app"), 1, null).env(), "no socket to ping: no watchdog");
    }

    @Test
    void launchWithSocketsSetsEveryVariableAndStartsThroughTheListenPidShell() {
        Starter s = new Starter(THREE, List.of("PATH=/bin", "LISTEN_FDS=9", "LISTEN_PID=1", "NOTIFY_SOCKET=/x",
                "HOME=/root"), "/bin/sh");
        Starter.Launch launch = s.launch(List.of("app", "--flag"), 7, "/tmp/d/notify-7.sock");
        assertEquals(List.of("/bin/sh", "-c", "LISTEN_PID=$$; export LISTEN_PID; exec \"$@\"", "app", "app", "--flag"),
                launch.argv());
        assertEquals(List.of("PATH=/bin", "HOME=/root",
                "SERVER_STARTER_PORT=8080=3;127.0.0.1:8081=4;/run/app.sock=5",
                "LISTEN_FDS=3", "LISTEN_FDNAMES=8080:127.0.0.1_8081:/run/app.sock",
                "SERVER_STARTER_GENERATION=7", "NOTIFY_SOCKET=/tmp/d/notify-7.sock"), launch.env(),
                "dewy's own LISTEN_* and NOTIFY_SOCKET never leak to the application");
        assertArrayEquals(new int[] {10, 11, 12}, launch.from());
        assertArrayEquals(new int[] {3, 4, 5}, launch.to());
        assertTrue(s.wrapsWithShell());
        assertFalse(s.listenPidMissing());
    }

    @Test
    void withoutAShellLaunchIsDirectAndTheGapIsReported() {
        Starter s = new Starter(THREE, List.of("PATH=/bin"), null);
        assertEquals(List.of("app"), s.launch(List.of("app"), 1, null).argv());
        assertTrue(s.listenPidMissing());
    }

    @Test
    void inheritedChannelOnlyNeedsNoShell() {
        Starter s = new Starter(List.of(l("8080=0", 10, 0)), List.of(), "/bin/sh");
        Starter.Launch launch = s.launch(List.of("java", "App"), 1, null);
        assertEquals(List.of("java", "App"), launch.argv());
        assertEquals(List.of("SERVER_STARTER_PORT=8080=0", "SERVER_STARTER_GENERATION=1"), launch.env());
        assertFalse(s.listenPidMissing());
    }

    @Test
    void withoutSocketsTheEnvironmentIsDewysOwn() {
        Starter s = new Starter(List.of(), List.of("PATH=/bin", "A=b"), "/bin/sh");
        Starter.Launch launch = s.launch(List.of("app"), 3, null);
        assertEquals(List.of("app"), launch.argv());
        assertEquals(List.of("PATH=/bin", "A=b"), launch.env());
    }

    @Test
    void notifyMessages() {
        assertEquals(new NotifyMessage(true, false, null), NotifyMessage.parse("READY=1"));
        assertEquals(new NotifyMessage(true, false, "serving"), NotifyMessage.parse("READY=1\nSTATUS=serving\n"));
        assertEquals(new NotifyMessage(false, true, null), NotifyMessage.parse("STOPPING=1"));
        assertEquals(new NotifyMessage(false, false, null), NotifyMessage.parse("READY=0\nMAINPID=5\nWATCHDOG=0"));
        assertEquals(NotifyMessage.Watchdog.PING, NotifyMessage.parse("MAINPID=5\nWATCHDOG=1").watchdog());
        assertEquals(NotifyMessage.Watchdog.TRIGGER, NotifyMessage.parse("WATCHDOG=1\nWATCHDOG=trigger").watchdog());
        assertNull(NotifyMessage.parse("").status());
    }

    /** dewy's tokens stay with dewy and its deploy hooks; generations and readiness checks get them only if kept. */
    @Test
    void tokensReachTheApplicationOnlyWhenKeptAndHooksAlways() {
        List<String> base = List.of("PATH=/bin", "GITHUB_TOKEN=ghp-1", "GH_TOKEN=gho-2", "SLACK_TOKEN=xoxb-3",
                "GITHUB_API_URL=http://x", "MY_TOKEN=app's own");
        Starter dropping = new Starter(List.of(), base, null);
        assertEquals(List.of("PATH=/bin", "GITHUB_API_URL=http://x", "MY_TOKEN=app's own"),
                dropping.launch(List.of("app"), 1, null).env());
        assertEquals(List.of("PATH=/bin", "GITHUB_API_URL=http://x", "MY_TOKEN=app's own"), dropping.env(1, null),
                "the readiness checks' environment");
        assertEquals(base, dropping.baseEnv(), "deploy hooks get everything");
        assertEquals(dropping.launch(List.of("app"), 1, null).env(),
                new Starter(List.of(), base, null, false).launch(List.of("app"), 1, null).env(), "the default");
        Starter keeping = new Starter(List.of(), base, null, true);
        assertEquals(base, keeping.launch(List.of("app"), 1, null).env());
        assertEquals(base, keeping.env(1, null));
        assertEquals(base, keeping.baseEnv());
    }
}
