package dewy.deploy;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;

/**
 * A bucket as a registry sees it: what {@code s3://} and {@code gs://} have in common. Keys are full object names;
 * a folder is a key prefix ending in {@code /}. Every method reads all pages of a listing, and throws
 * {@link RegistryException} with one line (never a credential) when the store refuses or cannot be reached.
 */
interface ObjectStore {
    /** One object of a listing. {@code size} in bytes. */
    record StoredObject(String key, long size) {
    }

    /** The URI scheme ({@code s3}, {@code gs}) and the bucket: an asset's location is {@code scheme://bucket/key}. */
    String scheme();

    String bucket();

    /** The folders right under {@code prefix} ({@code ""} or ending in {@code /}), each ending in {@code /}. */
    List<String> folders(String prefix) throws IOException, InterruptedException;

    /** The objects right under {@code folder}, not those in its subfolders. */
    List<StoredObject> objects(String folder) throws IOException, InterruptedException;

    /**
     * Streams {@code key} to {@code out}, as {@link Registry#copy} does: at most maxBytes, within timeout, honouring
     * interrupts.
     */
    void copy(String key, OutputStream out, long maxBytes, Duration timeout) throws IOException, InterruptedException;

    /** Writes {@code body} as {@code key} ({@code text/plain}): the shipping report. */
    void put(String key, byte[] body) throws IOException, InterruptedException;
}
