package dewy.starter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ListenSpecTest {
    @Test
    void formsOfAnEntry() {
        assertEquals(new ListenSpec("8080", null, 8080, null, ListenSpec.AUTO), ListenSpec.parse("8080"));
        assertEquals(new ListenSpec(":8080", null, 8080, null, ListenSpec.AUTO), ListenSpec.parse(":8080"));
        assertEquals(new ListenSpec("127.0.0.1:8081", "127.0.0.1", 8081, null, ListenSpec.AUTO),
                ListenSpec.parse("127.0.0.1:8081"));
        assertEquals(new ListenSpec("[::1]:8080", "::1", 8080, null, ListenSpec.AUTO), ListenSpec.parse("[::1]:8080"));
        assertEquals(new ListenSpec("localhost:80", "localhost", 80, null, ListenSpec.AUTO),
                ListenSpec.parse("localhost:80"));
        assertEquals(new ListenSpec("/run/app.sock", null, 0, "/run/app.sock", ListenSpec.AUTO),
                ListenSpec.parse("/run/app.sock"));
        assertEquals(new ListenSpec("@dewy-test", null, 0, "@dewy-test", ListenSpec.AUTO), ListenSpec.parse("@dewy-test"));
    }

    /** Go dewy's port ranges: one socket per port, each on the next free descriptor; at most 100 ports. */
    @Test
    void rangesOfPorts() {
        assertEquals(List.of(ListenSpec.parse("8000"), ListenSpec.parse("8001"), ListenSpec.parse("8002")),
                ListenSpec.parseRange("8000-8002"));
        assertEquals(List.of(ListenSpec.parse("127.0.0.1:9000"), ListenSpec.parse("127.0.0.1:9001")),
                ListenSpec.parseRange(" 127.0.0.1:9000-9001"));
        assertEquals(List.of(ListenSpec.parse("[::1]:9000"), ListenSpec.parse("[::1]:9001")),
                ListenSpec.parseRange("[::1]:9000-9001"));
        assertEquals(List.of(ListenSpec.parse("my-host:80")), ListenSpec.parseRange("my-host:80"), "a hyphen in a host");
        assertEquals(List.of(ListenSpec.parse("/run/a-1.sock")), ListenSpec.parseRange("/run/a-1.sock"));
        assertEquals(List.of(ListenSpec.parse("8080=0")), ListenSpec.parseRange("8080=0"));
        assertEquals(1, ListenSpec.parseRange("7000-7000").size());
        assertEquals(100, ListenSpec.parseRange("8000-8099").size());
        for (String[] bad : new String[][] {
            {"8000-8100", "\"8000-8100\": port range too large (101 ports), maximum allowed is 100"},
            {"8005-8000", "\"8005-8000\": start port (8005) cannot be greater than end port (8000)"},
            {"0-3", "\"0-3\": ports in a range are 1 to 65535"},
            {"65535-65536", "\"65535-65536\": ports in a range are 1 to 65535"},
            {"8000-8001=0", "\"8000-8001=0\": a port range takes no =FD (its ports take the next free descriptors "
                    + "from 3)"}}) {
            assertEquals(bad[1], assertThrows(IllegalArgumentException.class, () -> ListenSpec.parseRange(bad[0]))
                    .getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> ListenSpec.parseRange("8000-"), "not a range, not a port");
    }

    @Test
    void chosenDescriptor() {
        assertEquals(new ListenSpec("8080", null, 8080, null, 0), ListenSpec.parse("8080=0"));
        assertEquals(new ListenSpec("127.0.0.1:8080", "127.0.0.1", 8080, null, 7), ListenSpec.parse("127.0.0.1:8080=7"));
        assertEquals(new ListenSpec("/run/a=b.sock", null, 0, "/run/a=b.sock", 5), ListenSpec.parse("/run/a=b.sock=5"));
    }

    @Test
    void badEntriesSayWhatIsWrong() {
        for (String bad : List.of("", "http", "70000", "1.2.3.4:", "::1:8080", "[::1]8080", "8080=x", "8080=1",
                "8080=2", "8080=4096", "host:port")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ListenSpec.parse(bad), bad);
            assertTrue(!e.getMessage().isBlank() && !e.getMessage().contains("\n"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> ListenSpec.parse("/" + "x".repeat(120)));
    }

    @Test
    void planGivesChosenFdsAndFillsFromThree() {
        List<ListenSpec> specs = List.of(ListenSpec.parse("80"), ListenSpec.parse("81=3"), ListenSpec.parse("82=0"),
                ListenSpec.parse("83"));
        assertEquals(List.of(4, 3, 0, 5), toList(Listeners.plan(specs)));
    }

    @Test
    void planRefusesDuplicates() {
        assertThrows(IllegalArgumentException.class,
                () -> Listeners.plan(List.of(ListenSpec.parse("80=3"), ListenSpec.parse("81=3"))));
        assertThrows(IllegalArgumentException.class,
                () -> Listeners.checkDistinct(List.of(ListenSpec.parse("80"), ListenSpec.parse("80"))));
    }

    @Test
    void socketsSystemdPassedToDewy() {
        assertEquals(List.of(new ListenSpec("web", null, 0, null, 3), new ListenSpec("fd4", null, 0, null, 4)),
                Listeners.inherited(java.util.Map.of("LISTEN_PID", "1", "LISTEN_FDS", "2", "LISTEN_FDNAMES", "web"), 1));
        assertEquals(List.of(), Listeners.inherited(java.util.Map.of("LISTEN_PID", "77", "LISTEN_FDS", "2"), 1),
                "meant for another process");
        assertEquals(List.of(), Listeners.inherited(java.util.Map.of("LISTEN_FDS", "2"), 1));
        assertEquals(List.of(), Listeners.inherited(java.util.Map.of("LISTEN_PID", "1", "LISTEN_FDS", "x"), 1));
    }

    private static List<Integer> toList(int[] a) {
        return java.util.Arrays.stream(a).boxed().toList();
    }
}
