package dewy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input that fits every limit dewy checks, each read in a JVM of its own with the launcher's memory flags
 * ({@code -Xmx64m -Xss256k}, serial GC): archives that the extraction refuses in one line (or completes), and release
 * list pages from the fake GitHub; never an OutOfMemoryError or a StackOverflowError that would kill the deploy
 * thread. Each child prints its heap's peak.
 */
class HostileInputMemoryTest {
    /** The launcher's (src/main/dist/dewy) memory flags; the OOM ends the child at once with status 3. */
    private static final List<String> FLAGS = List.of("-Xmx64m", "-Xss256k", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError");

    @TempDir
    Path tmp;

    /** What the child saw: its result line and its heap's peak (the sum of each heap pool's peak: an upper bound). */
    record Child(int status, String result, long peakHeap, String output) {
    }

    /**
     * Run in the child: {@code extract ARCHIVE DEST} with the default limits, or {@code latest REGISTRY API_URL}
     * (the newest release of a ghr:// registry).
     */
    public static void main(String[] args) {
        String result;
        try {
            if (args[0].equals("extract")) {
                Path archive = Path.of(args[1]);
                Archives.extract(archive, archive.getFileName().toString(), Path.of(args[2]),
                        Archives.Limits.DEFAULT);
                result = "extracted";
            } else {
                Release r = Registry.parse(args[1], java.util.Map.of("GITHUB_API_URL", args[2]), "linux", "amd64", null, null)
                        .latest();
                result = "found " + (r == null ? "nothing" : r.tag());
            }
        } catch (ArchiveException | RegistryException e) {
            result = "refused: " + e.getMessage();
        } catch (Throwable t) { // what must never happen: an Error, or another exception
            result = "failed: " + t;
        }
        long peak = 0;
        long old = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
                if (pool.getName().contains("Tenured")) { // what survived young collections: near the live set
                    old = pool.getPeakUsage().getUsed();
                }
            }
        }
        System.out.println("result " + result);
        System.out.println("peak " + peak + " " + old);
    }

    private Child extractInChild(Path archive) throws Exception {
        Path dest = Files.createDirectory(tmp.resolve("dest-" + archive.getFileName()));
        return child(archive.getFileName() + " (" + Files.size(archive) + " bytes)", "extract", archive.toString(),
                dest.toString());
    }

    private Child child(String what, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(FLAGS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), HostileInputMemoryTest.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child did not finish");
        String result = out.lines().filter(l -> l.startsWith("result ")).map(l -> l.substring(7)).findFirst()
                .orElse("(no result line)");
        String[] peak = out.lines().filter(l -> l.startsWith("peak ")).map(l -> l.substring(5).split(" "))
                .findFirst().orElse(new String[] {"-1", "-1"});
        Child c = new Child(p.exitValue(), result, Long.parseLong(peak[0]), out);
        System.out.println(what + ": " + result + "; heap peak " + (Long.parseLong(peak[0]) >> 20)
                + " MiB (all pools, garbage included), old generation peak " + (Long.parseLong(peak[1]) >> 20) + " MiB");
        return c;
    }

    private static void assertRefused(Child c, String archive, String mention) {
        assertEquals(0, c.status(), "the child died (3: OutOfMemoryError): " + c.output());
        assertTrue(c.result().startsWith("refused: " + archive + ": ") && c.result().contains(mention), c.output());
    }

    // ---- zip -----------------------------------------------------------------------------------------------

    @Test
    void aZipOf300000TinyEntriesIsRefusedFromItsEndRecord() throws Exception {
        // 28 MB, under 4 x the default artifact limit; commons-compress's ZipFile needed ~140 MiB to list it
        Path zip = RawZip.write(tmp.resolve("many.zip"), 300_000, i -> "f/" + i, false);
        assertTrue(Files.size(zip) < 32L << 20);
        Child c = extractInChild(zip);
        assertRefused(c, "many.zip", "exceeds the limit of 100000 entries (its central directory lists 300000)");
    }

    @Test
    void aZipAtTheEntryLimitWithLongNamesExtractsIn64MiB() throws Exception {
        // 100,000 entries (the limit), each the same 250-character directory: dewy unpacks it (the entries merge),
        // where ZipFile's 100,000 entry objects and names alone would not fit the heap
        String dir = ("d".repeat(120) + "/").repeat(2) + "e".repeat(8) + "/";
        Path zip = RawZip.write(tmp.resolve("limit.zip"), 100_000, i -> dir, true);
        Child c = extractInChild(zip);
        assertEquals(0, c.status(), c.output());
        assertEquals("extracted", c.result(), c.output());
        assertTrue(Files.isDirectory(tmp.resolve("dest-limit.zip").resolve(dir)));
    }

    // ---- GitHub release list pages ---------------------------------------------------------------------------

    @Test
    void releaseListPagesAreBoundedAsTheyArrive() throws Exception {
        try (FakeGitHub gh = new FakeGitHub().start()) {
            gh.release("v1.0.0", false, false).asset("app_linux_amd64.tar.gz", "x");
            gh.bigListPages(31L << 20, true); // under the old 32 MiB bound, which read it whole (and then its tree)
            Child big = child("a 31 MiB page", "latest", gh.registryUrl(), gh.apiUrl());
            assertEquals(0, big.status(), "the child died (3: OutOfMemoryError): " + big.output());
            assertEquals("refused: registry ghr://o/r: GET /repos/o/r/releases exceeds the size limit of 8388608 "
                    + "bytes", big.result(), big.output());
            gh.bigListPages(15L << 19, true); // 7.5 MiB, under the bound: read and parsed as a stream
            Child under = child("a 7.5 MiB page", "latest", gh.registryUrl(), gh.apiUrl());
            assertEquals(0, under.status(), "the child died (3: OutOfMemoryError): " + under.output());
            assertEquals("found v1.0.0", under.result(), under.output());
        }
    }

    // ---- tar -----------------------------------------------------------------------------------------------

    @Test
    void aTarGzWithA200MiBLongNameIsRefusedWithoutReadingIt() throws Exception {
        // commons-compress reads a GNU long name whole: 200 MiB of 'a' compress to 200 KB
        Path a = tarGz("longname.tar.gz", out -> {
            long size = 200L << 20;
            header(out, "././@LongLink", TarConstants.LF_GNUTYPE_LONGNAME, size, null);
            byte[] chunk = new byte[1 << 16];
            Arrays.fill(chunk, (byte) 'a');
            for (long left = size; left > 0; left -= chunk.length) {
                out.write(chunk, 0, (int) Math.min(left, chunk.length));
            }
            header(out, "f", TarConstants.LF_NORMAL, 0, null);
        });
        assertRefused(extractInChild(a), "longname.tar.gz", "exceed 65536 bytes");
    }

    @Test
    void aChainOf20000LongNameHeadersIsRefusedWithoutOverflowingTheStack() throws Exception {
        // each long name announces another: one level of recursion in commons-compress per header
        Path a = tarGz("chain.tar.gz", out -> {
            byte[] name = new byte[512];
            Arrays.fill(name, 0, 100, (byte) 'n');
            for (int i = 0; i < 20_000; i++) {
                header(out, "././@LongLink", TarConstants.LF_GNUTYPE_LONGNAME, 100, null);
                out.write(name);
            }
            header(out, "f", TarConstants.LF_NORMAL, 0, null);
        });
        assertRefused(extractInChild(a), "chain.tar.gz", "exceed 65536 bytes");
    }

    @Test
    void globalPaxHeadersThatAccumulateAreRefused() throws Exception {
        // each global header adds its keys to every later entry's: 10,000 of 8 KiB, between directory entries
        Path a = tarGz("global.tar.gz", out -> {
            String value = "v".repeat(8000);
            for (int i = 0; i < 10_000; i++) {
                byte[] record = ArchivesTest.paxRecord("dewy.k" + i, value);
                header(out, "pax_global_header", TarConstants.LF_PAX_GLOBAL_EXTENDED_HEADER, record.length, null);
                padded(out, record);
                header(out, "d/", TarConstants.LF_DIR, 0, null);
            }
        });
        assertRefused(extractInChild(a), "global.tar.gz", "global PAX headers exceed 65536 bytes");
    }

    @Test
    void symlinksWithLongNamesExtractIn64MiB() throws Exception {
        // 25,000 names of 3,900 characters: what SafeTree once listed for each link (100 MB) it now finds on disk
        String dir = ("s".repeat(240) + "/").repeat(16);
        Path a = tarGz("links.tar.gz", out -> {
            for (int i = 0; i < 25_000; i++) {
                byte[] name = (dir + "l" + i).getBytes(StandardCharsets.UTF_8);
                header(out, "././@LongLink", TarConstants.LF_GNUTYPE_LONGNAME, name.length, null);
                padded(out, name);
                header(out, "placeholder", TarConstants.LF_SYMLINK, 0, "target");
            }
        });
        Child c = extractInChild(a);
        assertEquals(0, c.status(), c.output());
        assertEquals("extracted", c.result(), c.output());
        assertTrue(Files.isSymbolicLink(tmp.resolve("dest-links.tar.gz").resolve(dir + "l24999")));
    }

    interface TarBody {
        void write(OutputStream out) throws IOException;
    }

    /** A tar.gz written header by header: {@code body}'s records, then the end-of-archive blocks. */
    private Path tarGz(String name, TarBody body) throws IOException {
        Path a = tmp.resolve(name);
        try (OutputStream out = new GZIPOutputStream(new BufferedOutputStream(Files.newOutputStream(a)), 1 << 16)) {
            body.write(out);
            out.write(new byte[1024]);
        }
        return a;
    }

    /** Data, then zeros to the next 512-byte record. */
    private static void padded(OutputStream out, byte[] data) throws IOException {
        out.write(data);
        out.write(new byte[(512 - data.length % 512) % 512]);
    }

    private static void header(OutputStream out, String name, byte type, long size, String link) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, type, true);
        e.setSize(size);
        e.setMode(type == TarConstants.LF_DIR ? 040755 : type == TarConstants.LF_SYMLINK ? 0120777 : 0100644);
        if (link != null) {
            e.setLinkName(link);
        }
        byte[] h = new byte[512];
        e.writeEntryHeader(h);
        out.write(h);
    }
}
