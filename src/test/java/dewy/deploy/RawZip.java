package dewy.deploy;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes zip bytes directly (java.util.zip refuses duplicate names): stored, empty entries, ZIP64 past 65,535. */
public final class RawZip {
    private RawZip() {
    }

    public interface Names {
        String name(int i);
    }

    public static Path write(Path file, int count, Names names, boolean unixDirectories) throws IOException {
        long[] offsets = new long[count];
        long pos = 0;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            for (int i = 0; i < count; i++) {
                byte[] name = names.name(i).getBytes(StandardCharsets.UTF_8);
                offsets[i] = pos;
                ByteBuffer h = le(30 + name.length);
                h.putInt(0x04034b50).putShort((short) 20).putShort((short) 0x800).putShort((short) 0)
                        .putInt(0).putInt(0).putInt(0).putInt(0).putShort((short) name.length).putShort((short) 0)
                        .put(name);
                out.write(h.array());
                pos += h.capacity();
            }
            long cdStart = pos;
            for (int i = 0; i < count; i++) {
                byte[] name = names.name(i).getBytes(StandardCharsets.UTF_8);
                ByteBuffer c = le(46 + name.length);
                int external = unixDirectories ? (040755 << 16) | 0x10 : (0100644 << 16);
                c.putInt(0x02014b50).putShort((short) (3 << 8 | 20)).putShort((short) 20).putShort((short) 0x800)
                        .putShort((short) 0).putInt(0).putInt(0).putInt(0).putInt(0)
                        .putShort((short) name.length).putShort((short) 0).putShort((short) 0)
                        .putShort((short) 0).putShort((short) 0).putInt(external).putInt((int) offsets[i])
                        .put(name);
                out.write(c.array());
                pos += c.capacity();
            }
            long cdSize = pos - cdStart;
            boolean zip64 = count >= 0xffff;
            if (zip64) {
                ByteBuffer r = le(56 + 20);
                r.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0)
                        .putLong(count).putLong(count).putLong(cdSize).putLong(cdStart);
                r.putInt(0x07064b50).putInt(0).putLong(pos).putInt(1);
                out.write(r.array());
            }
            ByteBuffer e = le(22);
            e.putInt(0x06054b50).putShort((short) 0).putShort((short) 0)
                    .putShort((short) (zip64 ? 0xffff : count)).putShort((short) (zip64 ? 0xffff : count))
                    .putInt((int) cdSize).putInt((int) cdStart).putShort((short) 0);
            out.write(e.array());
        }
        return file;
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }
}
