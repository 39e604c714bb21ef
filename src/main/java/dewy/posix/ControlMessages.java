package dewy.posix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The ancillary data recvmsg(2) returns on a unix socket, in Linux's LP64 layout (x86_64, aarch64): a run of
 * {@code struct cmsghdr} ({@code size_t cmsg_len; int cmsg_level; int cmsg_type;} then the data), each padded to 8
 * bytes. dewy wants {@code SCM_CREDENTIALS} ({@code struct ucred}: pid, uid, gid, as the kernel vouches for them
 * with SO_PASSCRED) and must close any descriptors a sender pushed with {@code SCM_RIGHTS}.
 */
public final class ControlMessages {
    static final int SOL_SOCKET = 1, SCM_RIGHTS = 1, SCM_CREDENTIALS = 2;
    private static final int HEADER = 16;

    /**
     * What one datagram's ancillary data held.
     *
     * @param pid  the sender's pid in dewy's PID namespace (0 when it is outside it, or no credentials came)
     * @param fds  descriptors the kernel installed in dewy for SCM_RIGHTS, which the caller closes
     */
    public record Parsed(int pid, int uid, int gid, int[] fds) {
        public boolean hasCredentials() {
            return uid >= 0;
        }
    }

    private ControlMessages() {
    }

    /** Parses {@code length} bytes of control data (what msg_controllen says recvmsg filled in). */
    public static Parsed parse(byte[] control, int length) {
        ByteBuffer b = ByteBuffer.wrap(control, 0, Math.min(length, control.length)).order(ByteOrder.nativeOrder());
        int end = Math.min(length, control.length);
        int pid = 0;
        int uid = -1;
        int gid = -1;
        int[] fds = new int[0];
        int at = 0;
        while (at + HEADER <= end) {
            long len = b.getLong(at);
            if (len < HEADER || at + len > end) {
                break; // truncated (MSG_CTRUNC) or malformed: nothing more to trust
            }
            int level = b.getInt(at + 8);
            int type = b.getInt(at + 12);
            int data = at + HEADER;
            int dataLength = (int) len - HEADER;
            if (level == SOL_SOCKET && type == SCM_CREDENTIALS && dataLength >= 12) {
                pid = b.getInt(data);
                uid = b.getInt(data + 4);
                gid = b.getInt(data + 8);
            } else if (level == SOL_SOCKET && type == SCM_RIGHTS) {
                int[] more = new int[dataLength / 4];
                for (int i = 0; i < more.length; i++) {
                    more[i] = b.getInt(data + 4 * i);
                }
                int[] all = new int[fds.length + more.length];
                System.arraycopy(fds, 0, all, 0, fds.length);
                System.arraycopy(more, 0, all, fds.length, more.length);
                fds = all;
            }
            at += (int) ((len + 7) & ~7L);
        }
        return new Parsed(pid, uid, gid, fds);
    }
}
