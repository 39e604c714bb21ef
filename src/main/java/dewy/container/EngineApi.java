package dewy.container;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 to the Docker Engine API on its unix socket, one connection per call ({@code Connection: close}), with
 * the JDK's own unix-domain channels: no native library, no HTTP client. The engine's answers are small JSON
 * documents, except a pull's progress stream, which is read to its end (the pull is done when the stream is).
 */
final class EngineApi {
    /** The Engine API version this engine (and every Docker since 20.10) speaks. */
    static final String VERSION = "v1.41";
    private static final int MAX_RESPONSE = 64 << 20;

    record Response(int status, String body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private final Path socket;

    EngineApi(Path socket) {
        this.socket = socket;
    }

    Path socket() {
        return socket;
    }

    /** {@code method /v1.41path}, with a JSON body or none, and extra headers. */
    Response call(String method, String path, String json, Map<String, String> headers) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder(method).append(' ').append('/').append(VERSION).append(path)
                    .append(" HTTP/1.1\r\nHost: docker\r\nUser-Agent: dewy\r\nConnection: close\r\n");
            if (json != null) {
                head.append("Content-Type: application/json\r\n");
            }
            head.append("Content-Length: ").append(body.length).append("\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            head.append("\r\n");
            write(ch, head.toString().getBytes(StandardCharsets.US_ASCII));
            write(ch, body);
            return parse(readAll(ch));
        } catch (java.net.SocketException e) {
            throw new IOException("engine " + socket + ": " + e.getMessage(), e);
        }
    }

    private static void write(SocketChannel ch, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static byte[] readAll(SocketChannel ch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(16 << 10);
        while (ch.read(b) >= 0) {
            out.write(b.array(), 0, b.position());
            b.clear();
            if (out.size() > MAX_RESPONSE) {
                throw new IOException("engine answer larger than " + MAX_RESPONSE + " bytes");
            }
        }
        return out.toByteArray();
    }

    /** Status line, headers, then a chunked, sized or to-the-end body. */
    static Response parse(byte[] raw) throws IOException {
        int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0);
        if (end < 0) {
            throw new IOException("engine answer without a header end (" + raw.length + " bytes)");
        }
        String[] lines = new String(raw, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/1.")) {
            throw new IOException("engine answer is not HTTP: " + lines[0]);
        }
        boolean chunked = false;
        int length = -1;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].toLowerCase(Locale.ROOT);
            if (line.startsWith("transfer-encoding:") && line.contains("chunked")) {
                chunked = true;
            } else if (line.startsWith("content-length:")) {
                try {
                    length = Integer.parseInt(line.substring(15).trim());
                } catch (NumberFormatException e) {
                    throw new IOException("engine answer: bad " + lines[i]);
                }
            }
        }
        int start = end + 4;
        byte[] body;
        if (chunked) {
            body = dechunk(raw, start);
        } else {
            int n = length >= 0 ? Math.min(length, raw.length - start) : raw.length - start;
            body = java.util.Arrays.copyOfRange(raw, start, start + n);
        }
        if (!status[1].matches("[0-9]{3}")) {
            throw new IOException("engine answer is not HTTP: " + lines[0]);
        }
        return new Response(Integer.parseInt(status[1]), new String(body, StandardCharsets.UTF_8));
    }

    private static byte[] dechunk(byte[] raw, int at) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] crlf = {'\r', '\n'};
        while (true) {
            int eol = indexOf(raw, crlf, at);
            if (eol < 0) {
                throw new IOException("engine answer: truncated chunk");
            }
            String size = new String(raw, at, eol - at, StandardCharsets.US_ASCII).split(";", 2)[0].trim();
            int n;
            try {
                n = Integer.parseInt(size, 16);
            } catch (NumberFormatException e) {
                throw new IOException("engine answer: bad chunk size \"" + size + "\"");
            }
            if (n == 0) {
                return out.toByteArray();
            }
            if (eol + 2 + n > raw.length) {
                throw new IOException("engine answer: truncated chunk");
            }
            out.write(raw, eol + 2, n);
            at = eol + 2 + n + 2;
        }
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
