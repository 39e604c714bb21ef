package dewy.supervisor;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The work directory's {@code current} link and the releases it can name. Only the loop calls these: it owns
 * {@code current}, so that whatever interleaving of deploys, restarts and drains happens, current names the
 * release that the newest serving generation runs. Each call is short (a rename, a symlink, an fsync).
 */
public interface ReleaseLink {
    /** Moves a complete staged release into place, durably; returns its directory. */
    Path commit(Path staged, String tag) throws IOException;

    /** Points current at {@code release}, atomically and durably; returns what it named before, or null. */
    Path swap(Path release) throws IOException;

    /** Points current back at {@code previous}; null removes current (there was no release before). */
    void restore(Path previous) throws IOException;
}
