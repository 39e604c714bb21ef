package dewy.deploy;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarUtils;

/**
 * commons-compress's tar reader with the memory it may spend on headers bounded. It keeps in memory, unbounded, what
 * headers announce: a GNU long name or link ({@code L}, {@code K}) is read whole, PAX records ({@code x}) are parsed
 * into a map, global PAX records ({@code g}) accumulate over the whole archive, sparse maps become lists; and each
 * header that announces another one is a level of recursion. A gzip bomb of one long name, or a chain of thousands of
 * headers, would fill a 64 MiB heap or a 256 KiB thread stack before {@link SafeTree} sees a single entry.
 *
 * <p>So {@link #next()} lets one entry's headers (everything read from the archive between two entries, records,
 * long names, PAX data, sparse maps, the padding skipped) take at most {@link #MAX_HEADER_BYTES}; and global PAX
 * headers at most {@link #MAX_GLOBAL_PAX_BYTES} in all. Past either, the archive is refused.
 */
final class TarReader extends TarArchiveInputStream {
    /** Generous: an entry's ustar header, a PAX header with a 4 KiB path and link, and xattrs fit many times over. */
    static final int MAX_HEADER_BYTES = 64 * 1024;
    static final long MAX_GLOBAL_PAX_BYTES = 64 * 1024;
    private static final int RECORD = 512;
    private static final int TYPE = 156;
    private static final int SIZE = 124;
    private static final int SIZE_LEN = 12;
    private static final int OLD_GNU_EXTENDED = 482; // "isextended" of an old GNU sparse ('S') header
    private static final int EXTENSION_EXTENDED = 504; // the same flag in each sparse extension record

    private final String archive;
    private final Budget budget;
    private boolean extensionNext;
    private long globalPax;
    private ArchiveException refusal;

    private TarReader(Budget budget, String archive) {
        super(budget, StandardCharsets.UTF_8.name());
        this.budget = budget;
        this.archive = archive;
    }

    static TarReader of(InputStream plain, String archive) {
        return new TarReader(new Budget(plain), archive);
    }

    /**
     * The next entry, or null at the end. {@code last} names the entry before it in a refusal.
     *
     * @throws ArchiveException its headers are over the bounds
     * @throws IOException commons-compress's own complaints (the caller calls them corrupt)
     */
    TarArchiveEntry next(String last) throws IOException {
        refusal = null;
        budget.arm(MAX_HEADER_BYTES, this, last);
        try {
            return getNextEntry();
        } catch (IOException | RuntimeException e) {
            if (refusal != null) { // commons-compress may have wrapped it, or failed on what followed
                throw refusal;
            }
            throw e;
        } finally {
            budget.disarm();
        }
    }

    /** Every header record passes here before commons-compress parses it: the place to count global PAX data. */
    @Override
    protected byte[] readRecord() throws IOException {
        byte[] r = super.readRecord();
        if (r != null && r.length == RECORD) {
            inspect(r);
        }
        return r;
    }

    private void inspect(byte[] r) throws ArchiveException {
        if (extensionNext) { // an old GNU sparse extension: sparse data, not a header
            extensionNext = r[EXTENSION_EXTENDED] != 0;
            return;
        }
        byte type = r[TYPE];
        if (type == 'S') {
            extensionNext = r[OLD_GNU_EXTENDED] != 0;
        } else if (type == 'g') {
            long size;
            try {
                size = TarUtils.parseOctalOrBinary(r, SIZE, SIZE_LEN);
            } catch (IllegalArgumentException e) {
                return; // commons-compress refuses the header itself
            }
            globalPax += Math.max(0, size);
            if (globalPax > MAX_GLOBAL_PAX_BYTES) {
                throw refuse(archive + ": global PAX headers exceed " + MAX_GLOBAL_PAX_BYTES + " bytes");
            }
        }
    }

    private ArchiveException refuse(String message) {
        if (refusal == null) {
            refusal = new ArchiveException(message);
        }
        return refusal;
    }

    /** Counts what is read from the archive while armed, and refuses past the budget. */
    private static final class Budget extends FilterInputStream {
        private long left = -1; // -1: not armed
        private TarReader owner;
        private String last;

        Budget(InputStream in) {
            super(in);
        }

        void arm(long bytes, TarReader reader, String lastEntry) {
            left = bytes;
            owner = reader;
            last = lastEntry;
        }

        void disarm() {
            left = -1;
        }

        private void spend(long n) throws ArchiveException {
            if (left < 0 || n <= 0) {
                return;
            }
            left -= n;
            if (left < 0) {
                left = 0; // stays armed: every further read fails too
                throw owner.refuse(owner.archive + ": the headers of the "
                        + (last == null ? "first entry" : "entry after " + SafeTree.show(last))
                        + " (long names, PAX records, sparse maps) exceed " + MAX_HEADER_BYTES + " bytes");
            }
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                spend(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            spend(n);
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long k = super.skip(n);
            spend(k);
            return k;
        }
    }
}
