package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The engine's HTTP answers as dockerd writes them: chunked streams, sized bodies, bodies to the end. */
class EngineApiTest {
    private static EngineApi.Response parse(String raw) throws IOException {
        return EngineApi.parse(raw.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aChunkedPullStreamIsJoined() throws IOException {
        EngineApi.Response r = parse("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n1a\r\n{\"status\":\"Pulling from\"}\n\r\n"
                + "14;ext=1\r\n{\"error\":\"denied\"}\r\n\r\n0\r\n\r\n");
        assertEquals(200, r.status());
        assertEquals("{\"status\":\"Pulling from\"}\n{\"error\":\"denied\"}\r\n", r.body());
    }

    @Test
    void sizedAndToTheEndBodiesAndStatuses() throws IOException {
        EngineApi.Response created = parse("HTTP/1.1 201 Created\r\nContent-Length: 9\r\n\r\n{\"Id\":1}\nextra");
        assertEquals(201, created.status());
        assertEquals("{\"Id\":1}\n", created.body());
        EngineApi.Response gone = parse("HTTP/1.1 404 Not Found\r\n\r\n{\"message\":\"No such container\"}");
        assertEquals(404, gone.status());
        assertEquals(false, gone.ok());
        assertEquals("{\"message\":\"No such container\"}", gone.body());
        assertEquals("", parse("HTTP/1.1 204 No Content\r\n\r\n").body());
    }

    @Test
    void truncatedOrForeignAnswersAreErrors() {
        assertThrows(IOException.class, () -> parse("HTTP/1.1 200 OK\r\nContent-Length: 3"));
        assertThrows(IOException.class, () -> parse("SSH-2.0-OpenSSH\r\n\r\n"));
        assertThrows(IOException.class, () -> parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc"));
        assertThrows(IOException.class, () -> parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
        assertThrows(IOException.class, () -> parse("HTTP/1.1 OK\r\n\r\n"));
    }
}
