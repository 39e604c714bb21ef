package dev.dewy.app;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A {@code struct sockaddr_un} for NOTIFY_SOCKET, as systemd's sd_notify builds it: {@code sa_family_t AF_UNIX},
 * then the path and its NUL; or, for a name that starts with {@code @}, Linux's abstract namespace: a NUL, then the
 * name, and no NUL after it (the length says where it ends).
 */
final class UnixAddress {
    static final int AF_UNIX = 1;
    private static final int SUN_PATH = 108;

    private UnixAddress() {
    }

    /** The bytes to pass as {@code sendto}'s address, exactly {@code addrlen} long. */
    static byte[] of(String notifySocket) {
        boolean abstractName = notifySocket.startsWith("@");
        byte[] name = (abstractName ? notifySocket.substring(1) : notifySocket).getBytes(StandardCharsets.UTF_8);
        int pathBytes = name.length + 1; // the leading NUL of an abstract name, or the trailing NUL of a path
        if (notifySocket.length() < 2 && abstractName || notifySocket.isEmpty()) {
            throw new IllegalArgumentException("NOTIFY_SOCKET \"" + notifySocket + "\" names no socket");
        }
        if (pathBytes > SUN_PATH) {
            throw new IllegalArgumentException("NOTIFY_SOCKET is longer than a unix socket address allows ("
                    + (SUN_PATH - 1) + " bytes): " + notifySocket);
        }
        ByteBuffer sa = ByteBuffer.allocate(2 + pathBytes).order(ByteOrder.nativeOrder());
        sa.putShort((short) AF_UNIX);
        if (abstractName) {
            sa.put((byte) 0).put(name);
        } else {
            sa.put(name).put((byte) 0);
        }
        return sa.array();
    }

    /** Only unix socket paths and abstract names: systemd's {@code vsock:} addresses are not supported. */
    static boolean supported(String notifySocket) {
        return notifySocket.startsWith("/") || notifySocket.startsWith("@");
    }
}
