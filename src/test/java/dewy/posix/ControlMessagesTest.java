package dewy.posix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SCM_CREDENTIALS and SCM_RIGHTS as recvmsg hands them over, parsed by hand and received for real. */
class ControlMessagesTest {
    @TempDir
    Path tmp;

    /** One cmsghdr (LP64: size_t length, int level, int type), its data, padded to 8 bytes. */
    private static void cmsg(ByteBuffer b, int type, int... ints) {
        int length = 16 + 4 * ints.length;
        b.putLong(length).putInt(ControlMessages.SOL_SOCKET).putInt(type);
        for (int i : ints) {
            b.putInt(i);
        }
        while (b.position() % 8 != 0) {
            b.put((byte) 0);
        }
    }

    private static ByteBuffer buffer() {
        return ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
    }

    @Test
    void credentials() {
        ByteBuffer b = buffer();
        cmsg(b, ControlMessages.SCM_CREDENTIALS, 4242, 65534, 65533);
        ControlMessages.Parsed p = ControlMessages.parse(b.array(), b.position());
        assertEquals(4242, p.pid());
        assertEquals(65534, p.uid());
        assertEquals(65533, p.gid());
        assertTrue(p.hasCredentials());
        assertArrayEquals(new int[0], p.fds());
    }

    @Test
    void descriptorsBeforeAndAfterTheCredentialsAreAllFound() {
        ByteBuffer b = buffer();
        cmsg(b, ControlMessages.SCM_RIGHTS, 7); // 20 bytes: padded to 24
        cmsg(b, ControlMessages.SCM_CREDENTIALS, 12, 0, 0);
        cmsg(b, ControlMessages.SCM_RIGHTS, 8, 9);
        ControlMessages.Parsed p = ControlMessages.parse(b.array(), b.position());
        assertEquals(12, p.pid());
        assertArrayEquals(new int[] {7, 8, 9}, p.fds());
    }

    @Test
    void noneTruncatedOrMalformedGiveNoCredentials() {
        assertFalse(ControlMessages.parse(new byte[0], 0).hasCredentials());
        assertEquals(0, ControlMessages.parse(new byte[0], 0).pid());
        ByteBuffer b = buffer();
        cmsg(b, ControlMessages.SCM_CREDENTIALS, 12, 0, 0);
        assertFalse(ControlMessages.parse(b.array(), 20).hasCredentials(), "cut inside the data");
        ByteBuffer bad = buffer();
        bad.putLong(8).putInt(1).putInt(2); // a length shorter than the header itself
        assertFalse(ControlMessages.parse(bad.array(), 16).hasCredentials());
        ByteBuffer huge = buffer();
        huge.putLong(1L << 40).putInt(1).putInt(2);
        assertFalse(ControlMessages.parse(huge.array(), 256).hasCredentials());
    }

    /** The real thing: recvmsg with SO_PASSCRED names the sender, and descriptors it passes are closed in dewy. */
    @Test
    void receiveNamesTheSenderAndClosesPassedDescriptors() throws Exception {
        Posix posix = Posix.load(null);
        String path = tmp.resolve("notify.sock").toString();
        int fd = posix.datagramSocket(path);
        try {
            assertEquals("rw-rw-rw-", PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(path))),
                    "writable by an application that dropped its privileges");
            posix.sendDatagram(path, "READY=1");
            Posix.Datagram own = posix.receive(fd);
            assertEquals("READY=1", own.text());
            assertEquals(posix.pid(), own.pid());
            assertEquals(uid(), own.uid());

            String send = "import array, os, socket, sys\n"
                    + "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
                    + "fds = array.array('i', [os.open('/dev/null', os.O_RDONLY) for _ in range(3)])\n"
                    + "s.sendmsg([b'STATUS=x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)], 0, sys.argv[1])\n"
                    + "print(os.getpid())\n";
            Process python = new ProcessBuilder("python3", "-c", send, path).redirectErrorStream(true).start();
            String out = new String(python.getInputStream().readAllBytes()).trim();
            assertTrue(python.waitFor(20, TimeUnit.SECONDS));
            assertEquals(0, python.exitValue(), out);
            long before = devNulls(); // the descriptors travel with the datagram until recvmsg takes them
            Posix.Datagram passed = posix.receive(fd);
            assertEquals("STATUS=x", passed.text());
            assertEquals(Integer.parseInt(out.lines().reduce((a, b) -> b).orElseThrow()), passed.pid(), out);
            assertEquals(before, devNulls(), "the three passed descriptors (/dev/null) were closed");
            assertEquals(null, posix.receive(fd), "nothing more waiting");
        } finally {
            posix.close(fd);
            posix.unlink(path);
        }
    }

    /** How many of this JVM's descriptors are open on /dev/null. */
    private static long devNulls() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals("/dev/null");
                } catch (IOException e) {
                    return false; // closed meanwhile
                }
            }).count();
        }
    }

    private static int uid() throws IOException {
        String status = Files.readString(Path.of("/proc/self/status"));
        return Integer.parseInt(status.lines().filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow()
                .split("\\s+")[1]);
    }
}
