package dewy.posix;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

/**
 * A socket address as the kernel reads it (struct sockaddr_in, sockaddr_in6 or sockaddr_un), built in Java so
 * that libc binds take plain bytes. Linux layout; family in host order (little-endian here), port in network order.
 */
public record SockAddr(int family, byte[] bytes, boolean wildcard) {
    public static final int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;
    /** sun_path is 108 bytes including the terminating NUL. */
    public static final int UNIX_PATH_MAX = 107;

    public static SockAddr inet(InetAddress address, int port) {
        if (address instanceof Inet4Address) {
            byte[] b = new byte[16];
            family(b, AF_INET);
            port(b, port);
            System.arraycopy(address.getAddress(), 0, b, 4, 4);
            return new SockAddr(AF_INET, b, address.isAnyLocalAddress());
        }
        Inet6Address v6 = (Inet6Address) address;
        byte[] b = new byte[28];
        family(b, AF_INET6);
        port(b, port);
        System.arraycopy(v6.getAddress(), 0, b, 8, 16);
        int scope = v6.getScopeId();
        b[24] = (byte) scope;
        b[25] = (byte) (scope >> 8);
        b[26] = (byte) (scope >> 16);
        b[27] = (byte) (scope >> 24);
        return new SockAddr(AF_INET6, b, v6.isAnyLocalAddress());
    }

    /** A filesystem unix socket path; a leading '@' means Linux's abstract namespace (a NUL first byte). */
    public static SockAddr unix(String path) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length == 0 || p.length > UNIX_PATH_MAX) {
            throw new IllegalArgumentException("unix socket path must have 1 to " + UNIX_PATH_MAX + " bytes: " + path);
        }
        boolean abstractName = p[0] == '@';
        if (abstractName) {
            p[0] = 0;
        }
        // Abstract names are exactly their bytes; paths get their NUL.
        byte[] b = new byte[2 + p.length + (abstractName ? 0 : 1)];
        family(b, AF_UNIX);
        System.arraycopy(p, 0, b, 2, p.length);
        return new SockAddr(AF_UNIX, b, false);
    }

    private static void family(byte[] b, int family) {
        b[0] = (byte) family;
        b[1] = (byte) (family >> 8);
    }

    private static void port(byte[] b, int port) {
        b[2] = (byte) (port >> 8);
        b[3] = (byte) port;
    }
}
