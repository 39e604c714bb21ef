package dewy.deploy;

import java.io.IOException;

/**
 * An archive {@link Archives#extract} refuses: hostile or unsupported content, a corrupt or truncated file, or a limit
 * exceeded. The message is one line naming the archive and, where there is one, the entry. Failures of the disk being
 * written stay plain {@link IOException}s, so the caller can tell a bad release from a full disk.
 */
public class ArchiveException extends IOException {
    private static final long serialVersionUID = 1L;

    public ArchiveException(String message) {
        super(message);
    }

    public ArchiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
