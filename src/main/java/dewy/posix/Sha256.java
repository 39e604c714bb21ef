package dewy.posix;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * SHA-256 for artifacts, from libcrypto when the system has it, else from the JDK.
 *
 * <p>Why not only {@link MessageDigest}: the launcher runs dewy with C1 alone ({@code -XX:TieredStopAtLevel=1}, for
 * start-up), and only C2 turns the JDK's SHA-256 into the CPU's SHA instructions. {@code bench/jit.sh}: under C1 the
 * JDK hashed 200 MiB in 3.6 s against 0.65 s with C2 allowed, and allowing C2 made every start about 100 ms slower
 * (README "Download"). libcrypto (OpenSSL 3 or 1.1) uses those instructions whatever the JIT, and it is bound only on the
 * first hash, so start-up pays nothing for it.
 */
public final class Sha256 {
    /** A running hash: feed it with {@link #update}, then {@link #digest} once. */
    public interface Hasher extends AutoCloseable {
        void update(byte[] bytes, int offset, int length);

        /** The 32-byte digest; the hasher cannot be used after it. */
        byte[] digest();

        /** Frees the hash without a digest (a failed download); a no-op after {@link #digest}. */
        @Override
        default void close() {
        }
    }

    /** The EVP calls dewy makes, bound by jnr-ffi. */
    public interface LibCrypto {
        Pointer EVP_sha256();

        Pointer EVP_MD_CTX_new();

        void EVP_MD_CTX_free(Pointer ctx);

        int EVP_DigestInit_ex(Pointer ctx, Pointer type, Pointer engine);

        int EVP_DigestUpdate(Pointer ctx, @In byte[] data, long count);

        int EVP_DigestFinal_ex(Pointer ctx, @Out byte[] md, Pointer size);
    }

    /** Sonames tried in order: OpenSSL 3, then 1.1 (both have the EVP calls above). */
    static final String[] LIBRARIES = {"libcrypto.so.3", "libcrypto.so.1.1"};

    private static final Object LOCK = new Object();
    private static volatile boolean bound;
    private static LibCrypto crypto; // null once binding failed: the JDK's digest then

    private Sha256() {
    }

    /** A new hash: libcrypto's when it can be bound, the JDK's otherwise. */
    public static Hasher newHasher() {
        LibCrypto c = libCrypto();
        if (c != null) {
            Pointer ctx = c.EVP_MD_CTX_new();
            if (ctx != null && c.EVP_DigestInit_ex(ctx, c.EVP_sha256(), null) == 1) {
                return new NativeHasher(c, ctx);
            }
            if (ctx != null) {
                c.EVP_MD_CTX_free(ctx);
            }
        }
        return jdkHasher();
    }

    /** The JDK's SHA-256, whatever the system has (tests compare the two). */
    public static Hasher jdkHasher() {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("sha-256 is missing from this jvm", e); // every Java SE has it
        }
        return new Hasher() {
            @Override
            public void update(byte[] bytes, int offset, int length) {
                md.update(bytes, offset, length);
            }

            @Override
            public byte[] digest() {
                return md.digest();
            }
        };
    }

    /** Whether hashes come from libcrypto (for the log and the tests). */
    public static boolean isNative() {
        return libCrypto() != null;
    }

    private static LibCrypto libCrypto() {
        if (!bound) {
            synchronized (LOCK) {
                if (!bound) {
                    crypto = bind();
                    bound = true;
                }
            }
        }
        return crypto;
    }

    private static LibCrypto bind() {
        for (String soname : LIBRARIES) {
            try {
                LibCrypto c = LibraryLoader.create(LibCrypto.class).failImmediately().load(soname);
                if (c.EVP_sha256() != null) {
                    return c;
                }
            } catch (LinkageError | RuntimeException e) {
                // not this soname: try the next, then the JDK's
            }
        }
        return null;
    }

    private static final class NativeHasher implements Hasher {
        private final LibCrypto c;
        private Pointer ctx;
        private byte[] chunk = new byte[0];

        NativeHasher(LibCrypto c, Pointer ctx) {
            this.c = c;
            this.ctx = ctx;
        }

        @Override
        public void update(byte[] bytes, int offset, int length) {
            if (ctx == null) {
                throw new IllegalStateException("digest already taken");
            }
            if (length == 0) {
                return;
            }
            byte[] data = bytes;
            if (offset != 0) { // jnr passes whole arrays: copy a slice that does not start at 0
                if (chunk.length < length) {
                    chunk = new byte[length];
                }
                System.arraycopy(bytes, offset, chunk, 0, length);
                data = chunk;
            }
            if (c.EVP_DigestUpdate(ctx, data, length) != 1) {
                throw new IllegalStateException("libcrypto: EVP_DigestUpdate failed");
            }
        }

        @Override
        public byte[] digest() {
            if (ctx == null) {
                throw new IllegalStateException("digest already taken");
            }
            byte[] md = new byte[32];
            try {
                if (c.EVP_DigestFinal_ex(ctx, md, null) != 1) {
                    throw new IllegalStateException("libcrypto: EVP_DigestFinal_ex failed");
                }
                return md;
            } finally {
                close();
            }
        }

        @Override
        public void close() {
            if (ctx != null) {
                c.EVP_MD_CTX_free(ctx);
                ctx = null;
            }
        }
    }
}
