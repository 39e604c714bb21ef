package dev.dewy.app;

import java.io.IOException;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;

/**
 * The few libc calls the JDK lacks before 22: a unix datagram socket for sd_notify, and dup/dup2 to keep stdout and
 * stderr when an inherited channel closes. This is the Java 17 to 21 version, through jnr-ffi; on JDK 22+ the
 * multi-release jar has a version of this class that uses {@code java.lang.foreign} and never loads jnr-ffi.
 */
final class Native {
    private static final int SOCK_DGRAM_CLOEXEC = 2 | 0x80000;
    private static final int F_DUPFD_CLOEXEC = 1030;

    private Native() {
    }

    /** libc as jnr-ffi binds it (reflection, no code generation: cheaper at start-up; see bench/dewy-app). */
    public interface LibC {
        int socket(int domain, int type, int protocol);

        long sendto(int fd, @In byte[] buf, long len, int flags, @In byte[] addr, int addrlen);

        int close(int fd);

        int fcntl(int fd, int cmd, int arg);

        int dup2(int oldfd, int newfd);
    }

    /** Loaded at first use; its failure (no jnr-ffi on the class path, no libc) is {@link #unavailable()}. */
    private static final class Holder {
        static final LibC LIBC;
        static final jnr.ffi.Runtime RUNTIME;

        static {
            String key = "jnr.ffi.asm.enabled";
            String before = System.getProperty(key);
            System.setProperty(key, "false");
            try {
                LIBC = LibraryLoader.create(LibC.class).load("c");
                RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);
            } finally {
                if (before == null) {
                    System.clearProperty(key);
                } else {
                    System.setProperty(key, before);
                }
            }
        }
    }

    private static volatile String unavailable;

    /** Why native calls cannot be made here, or null when they can. */
    static String unavailable() {
        if (unavailable == null) {
            try {
                Holder.LIBC.getClass();
                return null;
            } catch (LinkageError | RuntimeException e) {
                unavailable = "Java " + Runtime.version().feature() + " has no unix datagram sockets before 22, and "
                        + "jnr-ffi could not be loaded: " + e;
            }
        }
        return unavailable;
    }

    /** "jnr-ffi" or "java.lang.foreign": which transport this JVM uses. */
    static String implementation() {
        return "jnr-ffi";
    }

    /** One datagram to {@code address} (a sockaddr_un), from a socket of its own. */
    static void sendDatagram(byte[] address, byte[] message) throws IOException {
        LibC c = Holder.LIBC;
        int fd = c.socket(UnixAddress.AF_UNIX, SOCK_DGRAM_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("socket(AF_UNIX, SOCK_DGRAM): " + errno());
        }
        try {
            long sent = c.sendto(fd, message, message.length, 0, address, address.length);
            if (sent != message.length) {
                throw new IOException("sendto: " + (sent < 0 ? errno() : "sent " + sent + " of " + message.length
                        + " bytes"));
            }
        } finally {
            c.close(fd);
        }
    }

    /** A close-on-exec duplicate of {@code fd}, above 2. */
    static int dup(int fd) throws IOException {
        int copy = Holder.LIBC.fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (copy < 0) {
            throw new IOException("fcntl(" + fd + ", F_DUPFD_CLOEXEC): " + errno());
        }
        return copy;
    }

    static void dup2(int from, int to) throws IOException {
        if (Holder.LIBC.dup2(from, to) < 0) {
            throw new IOException("dup2(" + from + ", " + to + "): " + errno());
        }
    }

    static void close(int fd) {
        Holder.LIBC.close(fd);
    }

    private static String errno() {
        return "errno " + jnr.ffi.LastError.getLastError(Holder.RUNTIME);
    }
}
