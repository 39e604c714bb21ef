package dev.dewy.app;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The JDK 22+ version of the native calls (multi-release jar, META-INF/versions/22): libc through
 * {@code java.lang.foreign}, with no dependency. Give the JVM {@code --enable-native-access=ALL-UNNAMED} (or
 * {@code Enable-Native-Access: ALL-UNNAMED} in an executable jar's manifest), or it prints one warning at the first
 * call.
 */
final class Native {
    private static final int SOCK_DGRAM_CLOEXEC = 2 | 0x80000;
    private static final int F_DUPFD_CLOEXEC = 1030;

    private Native() {
    }

    /** Bound at first use; its failure (native access denied) is {@link #unavailable()}. */
    private static final class Holder {
        static final StructLayout STATE = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO = STATE.varHandle(PathElement.groupElement("errno"));
        static final MethodHandle SOCKET = bind("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle SENDTO = bind("sendto", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG,
                JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle FCNTL = bind("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(2));
        static final MethodHandle DUP2 = bind("dup2", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

        private static MethodHandle bind(String name, FunctionDescriptor descriptor, Linker.Option... more) {
            Linker linker = Linker.nativeLinker();
            Linker.Option[] options = new Linker.Option[more.length + 1];
            options[0] = Linker.Option.captureCallState("errno");
            System.arraycopy(more, 0, options, 1, more.length);
            return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), descriptor, options);
        }
    }

    private static volatile String unavailable;

    static String unavailable() {
        if (unavailable == null) {
            try {
                Holder.SOCKET.type();
                return null;
            } catch (LinkageError | RuntimeException e) {
                unavailable = "java.lang.foreign cannot call libc here: " + e;
            }
        }
        return unavailable;
    }

    static String implementation() {
        return "java.lang.foreign";
    }

    static void sendDatagram(byte[] address, byte[] message) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Holder.STATE);
            MemorySegment buf = arena.allocate(Math.max(1, message.length));
            MemorySegment.copy(message, 0, buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, message.length);
            MemorySegment sa = arena.allocate(address.length);
            MemorySegment.copy(address, 0, sa, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, address.length);
            int fd = (int) Holder.SOCKET.invokeExact(state, UnixAddress.AF_UNIX, SOCK_DGRAM_CLOEXEC, 0);
            if (fd < 0) {
                throw new IOException("socket(AF_UNIX, SOCK_DGRAM): " + errno(state));
            }
            try {
                long sent = (long) Holder.SENDTO.invokeExact(state, fd, buf, (long) message.length, 0, sa,
                        address.length);
                if (sent != message.length) {
                    throw new IOException("sendto: " + (sent < 0 ? errno(state) : "sent " + sent + " of "
                            + message.length + " bytes"));
                }
            } finally {
                int ignored = (int) Holder.CLOSE.invokeExact(state, fd);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
    }

    static int dup(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Holder.STATE);
            int copy = (int) Holder.FCNTL.invokeExact(state, fd, F_DUPFD_CLOEXEC, 3);
            if (copy < 0) {
                throw new IOException("fcntl(" + fd + ", F_DUPFD_CLOEXEC): " + errno(state));
            }
            return copy;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
    }

    static void dup2(int from, int to) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Holder.STATE);
            if ((int) Holder.DUP2.invokeExact(state, from, to) < 0) {
                throw new IOException("dup2(" + from + ", " + to + "): " + errno(state));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
    }

    static void close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) Holder.CLOSE.invokeExact(arena.allocate(Holder.STATE), fd);
        } catch (Throwable t) {
            // nothing to do about a failed close
        }
    }

    private static String errno(MemorySegment state) {
        return "errno " + (int) Holder.ERRNO.get(state, 0L);
    }
}
