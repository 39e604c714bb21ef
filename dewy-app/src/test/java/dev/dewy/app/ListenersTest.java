package dev.dewy.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ListenersTest {
    private static final long PID = 4242;

    /** What dewy gives a generation for --port 8080 --port 127.0.0.1:8081,/run/app.sock (README). */
    @Test
    void dewysVariablesGiveEverySocketByNameSpecAndAddress() {
        Listeners l = Listeners.of(Map.of(
                "SERVER_STARTER_PORT", "8080=3;127.0.0.1:8081=4;/run/app.sock=5",
                "LISTEN_FDS", "3",
                "LISTEN_FDNAMES", "8080:127.0.0.1_8081:/run/app.sock",
                "LISTEN_PID", Long.toString(PID)), PID);
        assertEquals(List.of(
                new Listener("8080", "8080", 3, new InetSocketAddress(8080)),
                new Listener("127.0.0.1_8081", "127.0.0.1:8081", 4, new InetSocketAddress("127.0.0.1", 8081)),
                new Listener("/run/app.sock", "/run/app.sock", 5, UnixDomainSocketAddress.of("/run/app.sock"))),
                l.all());
        assertEquals(4, l.named("127.0.0.1_8081").orElseThrow().fd());
        assertEquals(4, l.named("127.0.0.1:8081").orElseThrow().fd(), "the spec works as a name too");
        assertEquals(4, l.at(new InetSocketAddress("127.0.0.1", 8081)).orElseThrow().fd());
        assertEquals(3, l.at(new InetSocketAddress(8080)).orElseThrow().fd());
        assertEquals(5, l.at(UnixDomainSocketAddress.of("/run/app.sock")).orElseThrow().fd());
        assertTrue(l.inherited().isEmpty());
        assertTrue(l.onFd(3).orElseThrow().channel().isEmpty(), "pure Java adopts fd 0 only");
    }

    @Test
    void systemdSocketsAreNamedAndCountOnlyForTheirPid() {
        Listeners mine = Listeners.of(Map.of("LISTEN_FDS", "2", "LISTEN_FDNAMES", "http:admin",
                "LISTEN_PID", Long.toString(PID)), PID);
        assertEquals(List.of(new Listener("http", null, 3, null), new Listener("admin", null, 4, null)), mine.all());
        assertTrue(Listeners.of(Map.of("LISTEN_FDS", "2", "LISTEN_PID", "1"), PID).isEmpty(),
                "sockets for another pid are not ours (sd_listen_fds)");
        assertEquals("unknown", Listeners.of(Map.of("LISTEN_FDS", "1"), PID).all().get(0).name());
        assertTrue(Listeners.of(Map.of("LISTEN_FDS", "x"), PID).isEmpty());
    }

    /** --port 127.0.0.1:8080=0: on fd 0, outside LISTEN_FDS, named by SERVER_STARTER_PORT alone. */
    @Test
    void theSocketOnFdZeroComesFromServerStarterPort() {
        Listeners l = Listeners.of(Map.of("SERVER_STARTER_PORT", "127.0.0.1:8080=0", "LISTEN_FDNAMES", ""), PID);
        Listener zero = l.inherited().orElseThrow();
        assertEquals("127.0.0.1:8080", zero.spec());
        assertEquals(0, zero.fd());
        // here fd 0 is not a socket, so the address comes from the spec
        assertEquals(new InetSocketAddress("127.0.0.1", 8080), zero.address());
    }

    @Test
    void specFormsAsDewyWritesThem() {
        assertEquals(new InetSocketAddress(8080), Listeners.address(":8080"));
        assertEquals(new InetSocketAddress("::1", 9000), Listeners.address("[::1]:9000"));
        assertNull(Listeners.address("@abstract"));
        assertNull(Listeners.address("nonsense"));
        assertTrue(Listeners.of(Map.of("SERVER_STARTER_PORT", "garbage;=3;x=y"), PID).isEmpty());
    }
}
