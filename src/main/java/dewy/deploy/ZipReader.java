package dewy.deploy;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.deflate64.Deflate64CompressorInputStream;

/**
 * A zip archive read the way {@link Archives} needs it, with memory bounded whatever the file says: the end of
 * central directory record (and its ZIP64 form) is read and checked first, so an archive that lists more entries than
 * the limit, or a central directory that cannot be what it claims, is refused before any entry is read; then the
 * central directory is walked one record at a time, and nothing of an entry is kept once the next one is read.
 * commons-compress's {@code ZipFile} holds every entry of the central directory as objects (about 480 bytes each
 * before the name): 300,000 tiny entries, a 28 MB file, fill a 64 MiB heap.
 *
 * <p>Methods: stored, deflated, deflate64 and bzip2; encrypted entries and others are refused by the caller.
 * Not thread-safe; one instance per extraction.
 */
final class ZipReader implements Closeable {
    static final int STORED = 0;
    static final int DEFLATED = 8;
    static final int DEFLATE64 = 9;
    static final int BZIP2 = 12;

    private static final int EOCD_SIG = 0x06054b50;
    private static final int EOCD_LEN = 22;
    private static final int LOCATOR_SIG = 0x07064b50;
    private static final int LOCATOR_LEN = 20;
    private static final int ZIP64_EOCD_SIG = 0x06064b50;
    private static final int ZIP64_EOCD_LEN = 56;
    private static final int CEN_SIG = 0x02014b50;
    private static final int CEN_LEN = 46;
    private static final int LOC_SIG = 0x04034b50;
    private static final int LOC_LEN = 30;
    /** The largest central directory record: the fixed part and three 16-bit lengths (name, extra, comment). */
    static final long MAX_CEN_RECORD = CEN_LEN + 3L * 0xffff;
    private static final int MAX_COMMENT = 0xffff;
    private static final int BUFFER = 64 * 1024;

    /** One central directory record, decoded. */
    record Entry(String name, int madeBy, int flags, int method, long crc, long compressedSize, long size,
                 long localOffset, long externalAttributes, FileTime mtime) {
        /** The unix mode bits, when a unix tool wrote the entry (what commons-compress's getUnixMode gives), else 0. */
        int unixMode() {
            return (madeBy >> 8) == 3 ? (int) ((externalAttributes >> 16) & 0xffff) : 0;
        }

        boolean isDirectory() {
            return name.endsWith("/");
        }

        boolean encrypted() {
            return (flags & 1) != 0;
        }

        boolean supported() {
            return !encrypted() && (method == STORED || method == DEFLATED || method == DEFLATE64 || method == BZIP2);
        }
    }

    private final String archive;
    private final FileChannel channel;
    private final long entries;
    private final long cdEnd;
    private final Positioned cd;
    private long read;

    private ZipReader(String archive, FileChannel channel, long entries, long cdOffset, long cdSize) {
        this.archive = archive;
        this.channel = channel;
        this.entries = entries;
        this.cdEnd = cdOffset + cdSize;
        this.cd = new Positioned(cdOffset, cdEnd, new byte[BUFFER]);
    }

    /**
     * Opens {@code file} and checks its end records against {@code maxEntries}.
     *
     * @throws ArchiveException corrupt, split over several disks, or over the entry limit
     */
    static ZipReader open(Path file, String archive, int maxEntries) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            ZipReader z = end(ch, archive, maxEntries);
            ch = null;
            return z;
        } finally {
            if (ch != null) {
                ch.close();
            }
        }
    }

    /** Reads the EOCD (and ZIP64) records, which fix the entry count and where the central directory is. */
    private static ZipReader end(FileChannel ch, String archive, int maxEntries) throws IOException {
        long length = ch.size();
        if (length < EOCD_LEN) {
            throw corrupt(archive, "no end of central directory record (" + length + " bytes)");
        }
        int tailLen = (int) Math.min(length, EOCD_LEN + MAX_COMMENT);
        long tailAt = length - tailLen;
        ByteBuffer tail = readAt(ch, tailAt, tailLen, archive);
        int at = -1;
        for (int i = tailLen - EOCD_LEN; i >= 0; i--) {
            if (tail.getInt(i) == EOCD_SIG && i + EOCD_LEN + u16(tail, i + 20) <= tailLen) {
                at = i;
                break;
            }
        }
        if (at < 0) {
            throw corrupt(archive, "no end of central directory record");
        }
        long eocd = tailAt + at;
        long disk = u16(tail, at + 4);
        long cdDisk = u16(tail, at + 6);
        long onDisk = u16(tail, at + 8);
        long total = u16(tail, at + 10);
        long cdSize = u32(tail, at + 12);
        long cdOffset = u32(tail, at + 16);
        long cdLimit = eocd; // the central directory ends before the record that describes it
        boolean zip64 = false;
        if (eocd >= LOCATOR_LEN) {
            ByteBuffer loc = readAt(ch, eocd - LOCATOR_LEN, LOCATOR_LEN, archive);
            if (loc.getInt(0) == LOCATOR_SIG) {
                zip64 = true;
                long recordAt = loc.getLong(8);
                if (loc.getInt(4) != 0 || loc.getInt(16) > 1) {
                    throw split(archive);
                }
                if (recordAt < 0 || recordAt > eocd - LOCATOR_LEN - ZIP64_EOCD_LEN) {
                    throw corrupt(archive, "ZIP64 end of central directory record outside the file");
                }
                ByteBuffer r = readAt(ch, recordAt, ZIP64_EOCD_LEN, archive);
                if (r.getInt(0) != ZIP64_EOCD_SIG) {
                    throw corrupt(archive, "no ZIP64 end of central directory record where its locator points");
                }
                disk = u32(r, 16);
                cdDisk = u32(r, 20);
                onDisk = r.getLong(24);
                total = r.getLong(32);
                cdSize = r.getLong(40);
                cdOffset = r.getLong(48);
                cdLimit = recordAt;
            }
        }
        if (!zip64 && (total == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL)) {
            throw corrupt(archive, "ZIP64 values without a ZIP64 end of central directory record");
        }
        if (disk != 0 || cdDisk != 0) {
            throw split(archive);
        }
        if (total < 0 || onDisk != total) {
            throw corrupt(archive, "end of central directory record counts " + onDisk + " and " + total
                    + " entries");
        }
        if (total > maxEntries) { // before anything per entry is read: the count is what the limit is about
            throw new ArchiveException(archive + ": exceeds the limit of " + maxEntries
                    + " entries (its central directory lists " + total + ")");
        }
        if (cdSize < 0 || cdOffset < 0 || cdOffset > cdLimit || cdSize > cdLimit - cdOffset) {
            throw corrupt(archive, "central directory outside the file");
        }
        if (cdSize < total * CEN_LEN || cdSize > total * MAX_CEN_RECORD) {
            throw corrupt(archive, "a central directory of " + cdSize + " bytes cannot hold " + total + " entries");
        }
        return new ZipReader(archive, ch, total, cdOffset, cdSize);
    }

    /** The entry count the end record gives (checked against the limit). */
    long entries() {
        return entries;
    }

    /** The next central directory record, or null after the last; the directory must end exactly there. */
    Entry next() throws IOException {
        if (read == entries) {
            if (cd.position() != cdEnd) {
                throw corrupt(archive, "the central directory holds more than the " + entries
                        + " entries its end record lists");
            }
            return null;
        }
        read++;
        byte[] fixed = new byte[CEN_LEN];
        cd.readFully(fixed, 0, CEN_LEN);
        ByteBuffer h = ByteBuffer.wrap(fixed).order(ByteOrder.LITTLE_ENDIAN);
        if (h.getInt(0) != CEN_SIG) {
            throw corrupt(archive, "bad central directory record #" + read);
        }
        int madeBy = u16(h, 4);
        int flags = u16(h, 8);
        int method = u16(h, 10);
        long dosTime = u32(h, 12);
        long crc = u32(h, 16);
        long csize = u32(h, 20);
        long size = u32(h, 24);
        int nameLen = u16(h, 28);
        int extraLen = u16(h, 30);
        int commentLen = u16(h, 32);
        int diskStart = u16(h, 34);
        long external = u32(h, 38);
        long offset = u32(h, 42);
        byte[] name = new byte[nameLen];
        cd.readFully(name, 0, nameLen);
        byte[] extra = new byte[extraLen];
        cd.readFully(extra, 0, extraLen);
        cd.skip(commentLen);
        String entry = new String(name, StandardCharsets.UTF_8);
        FileTime mtime = null;
        ByteBuffer x = ByteBuffer.wrap(extra).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i + 4 <= extraLen; ) {
            int id = u16(x, i);
            int len = u16(x, i + 2);
            int data = i + 4;
            if (data + len > extraLen) {
                break; // a truncated extra field: what follows is not read (commons-compress is as lenient)
            }
            if (id == 0x0001) { // ZIP64: the 64-bit values of the fields that are 0xffffffff, in this order
                int p = data;
                int end = data + len;
                if (size == 0xffffffffL) {
                    size = long64(x, p, end);
                    p += 8;
                }
                if (csize == 0xffffffffL) {
                    csize = long64(x, p, end);
                    p += 8;
                }
                if (offset == 0xffffffffL) {
                    offset = long64(x, p, end);
                    p += 8;
                }
                if (diskStart == 0xffff) {
                    diskStart = p + 4 <= end ? x.getInt(p) : -1;
                }
            } else if (id == 0x5455 && len >= 5 && (x.get(data) & 1) != 0) { // extended timestamp: mtime first
                mtime = FileTime.fromMillis(x.getInt(data + 1) * 1000L); // signed seconds
            } else if (id == 0x000a && len >= 32 && u16(x, data + 4) == 1 && u16(x, data + 6) >= 24
                    && mtime == null) { // NTFS: 100 ns ticks since 1601
                long ticks = x.getLong(data + 8);
                mtime = FileTime.fromMillis(ticks / 10_000 - 11_644_473_600_000L);
            }
            i = data + len;
        }
        if (diskStart != 0) {
            throw split(archive);
        }
        if (size < 0 || csize < 0 || offset < 0) {
            throw corrupt(archive, Archives.at(entry) + ": sizes out of range");
        }
        return new Entry(entry, madeBy, flags, method, crc, csize, size, offset, external,
                mtime != null ? mtime : dosTime(dosTime));
    }

    /**
     * The entry's data, decompressed; close it. Reads the local header for where the data starts, and never more
     * than the compressed size the central directory gives.
     */
    InputStream open(Entry e) throws IOException {
        ByteBuffer loc = readAt(channel, e.localOffset(), LOC_LEN, archive);
        if (loc.getInt(0) != LOC_SIG) {
            throw corrupt(archive, Archives.at(e.name()) + ": no local header where the central directory points");
        }
        long start = e.localOffset() + LOC_LEN + u16(loc, 26) + u16(loc, 28);
        long length = channel.size();
        if (start > length || e.compressedSize() > length - start) {
            throw corrupt(archive, Archives.at(e.name()) + ": data past the end of the file");
        }
        long end = start + e.compressedSize();
        switch (e.method()) {
            case STORED: // read straight into the caller's buffer
                return new Positioned(start, end, null).stream(false);
            case DEFLATED: {
                Inflater inflater = new Inflater(true);
                InputStream raw = new Positioned(start, end, new byte[8192]).stream(true); // zlib may want a dummy byte
                return new InflaterInputStream(raw, inflater, 8192) {
                    private boolean closed;

                    @Override
                    public void close() throws IOException {
                        if (!closed) {
                            closed = true;
                            inflater.end(); // a given Inflater is not ended by close(): its native memory would wait for GC
                            super.close();
                        }
                    }
                };
            }
            case DEFLATE64:
                return new Deflate64CompressorInputStream(new Positioned(start, end, new byte[8192]).stream(false));
            case BZIP2: // reads byte by byte: buffered
                return new BZip2CompressorInputStream(new Positioned(start, end, new byte[8192]).stream(false));
            default:
                throw new IllegalArgumentException("method " + e.method()); // callers check supported() first
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private static long long64(ByteBuffer x, int p, int end) {
        return p + 8 <= end ? x.getLong(p) : -1;
    }

    /** MS-DOS date and time, in the local zone as zip tools write it (commons-compress reads it the same way). */
    private static FileTime dosTime(long dos) {
        try {
            LocalDateTime t = LocalDateTime.of((int) ((dos >> 25) & 0x7f) + 1980, (int) ((dos >> 21) & 0x0f),
                    (int) ((dos >> 16) & 0x1f), (int) ((dos >> 11) & 0x1f), (int) ((dos >> 5) & 0x3f),
                    (int) ((dos << 1) & 0x3e));
            return FileTime.from(t.atZone(ZoneId.systemDefault()).toInstant());
        } catch (DateTimeException e) {
            return null; // month 0, second 60 ...: no time rather than a made-up one
        }
    }

    private static ByteBuffer readAt(FileChannel ch, long position, int len, String archive) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                throw corrupt(archive, "truncated at byte " + (position + b.position()));
            }
        }
        return b.flip();
    }

    private static int u16(ByteBuffer b, int at) {
        return b.getShort(at) & 0xffff;
    }

    private static long u32(ByteBuffer b, int at) {
        return b.getInt(at) & 0xffffffffL;
    }

    private static ArchiveException corrupt(String archive, String what) {
        return new ArchiveException(archive + ": corrupt or truncated archive: " + what);
    }

    private static ArchiveException split(String archive) {
        return new ArchiveException(archive + ": a zip split over several disks is not supported");
    }

    /** A range of the file, read with positional reads (the channel's own position is never used). */
    private final class Positioned {
        private final long end;
        private final byte[] buffer; // null: unbuffered
        private long position;
        private int bufPos;
        private int bufLen;

        Positioned(long start, long end, byte[] buffer) {
            this.position = start;
            this.end = end;
            this.buffer = buffer;
        }

        long position() {
            return position - (bufLen - bufPos);
        }

        void readFully(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = read(b, off, len);
                if (n < 0) {
                    throw corrupt(archive, "the central directory ends inside record #" + read);
                }
                off += n;
                len -= n;
            }
        }

        void skip(int n) throws IOException {
            byte[] scratch = new byte[Math.min(n, 4096)];
            while (n > 0) {
                int k = Math.min(n, scratch.length);
                readFully(scratch, 0, k);
                n -= k;
            }
        }

        int read(byte[] b, int off, int len) throws IOException {
            if (buffer == null) {
                return direct(b, off, len);
            }
            if (bufPos == bufLen) {
                int n = direct(buffer, 0, buffer.length);
                if (n < 0) {
                    return -1;
                }
                bufPos = 0;
                bufLen = n;
            }
            int n = Math.min(len, bufLen - bufPos);
            System.arraycopy(buffer, bufPos, b, off, n);
            bufPos += n;
            return n;
        }

        private int direct(byte[] b, int off, int len) throws IOException {
            long left = end - position;
            if (left <= 0) {
                return -1;
            }
            int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, left)), position);
            if (n < 0) {
                throw new EOFException("file shorter than its central directory says");
            }
            position += n;
            return n;
        }

        /** As a stream; {@code dummy}: one extra zero byte at the end, which zlib's raw inflate may ask for. */
        InputStream stream(boolean dummy) {
            return new InputStream() {
                private boolean dummyGiven = !dummy;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (len == 0) {
                        return 0;
                    }
                    int n = Positioned.this.read(b, off, len);
                    if (n < 0 && !dummyGiven) {
                        dummyGiven = true;
                        b[off] = 0;
                        return 1;
                    }
                    return n;
                }
            };
        }
    }
}
