package dev.dewy.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * A test NOTIFY_SOCKET: a unix datagram socket bound to a path or an abstract name, read without blocking until a
 * deadline. It is bound through jnr-ffi on every JDK, so it is independent of the transport under test.
 */
final class Receiver implements AutoCloseable {
    public interface LibC {
        int socket(int domain, int type, int protocol);

        int bind(int fd, @In byte[] addr, int addrlen);

        long recv(int fd, @Out byte[] buf, long len, int flags);

        int close(int fd);
    }

    private static final LibC C = LibraryLoader.create(LibC.class).load("c");
    private static final int MSG_DONTWAIT = 0x40;

    final String notifySocket;
    private final int fd;
    private final Path path;

    /** {@code name} starting with "@" is abstract; otherwise a path. */
    Receiver(String name) throws IOException {
        notifySocket = name;
        path = name.startsWith("@") ? null : Path.of(name);
        fd = C.socket(UnixAddress.AF_UNIX, 2 | 0x80000, 0);
        byte[] sa = UnixAddress.of(name);
        if (fd < 0 || C.bind(fd, sa, sa.length) != 0) {
            throw new IOException("cannot bind a test NOTIFY_SOCKET at " + name);
        }
    }

    /** The next datagram's exact bytes, or null after {@code ms}. */
    byte[] next(long ms) {
        long end = System.nanoTime() + ms * 1_000_000;
        byte[] buf = new byte[4096];
        do {
            long n = C.recv(fd, buf, buf.length, MSG_DONTWAIT);
            if (n >= 0) {
                return Arrays.copyOf(buf, (int) n);
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        } while (System.nanoTime() < end);
        return null;
    }

    String nextString(long ms) {
        byte[] b = next(ms);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        C.close(fd);
        if (path != null) {
            Files.deleteIfExists(path);
        }
    }
}
