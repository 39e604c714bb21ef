package dewy.supervisor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code current} in memory: which release it names, and every change the loop made to it. */
final class FakeReleases implements ReleaseLink {
    /** The release current names ("v1"), or null. */
    String current;
    final List<String> changes = new ArrayList<>();
    /** Makes the next commit fail, as a full disk would. */
    IOException commitFailure;

    FakeReleases(String current) {
        this.current = current;
    }

    static Path dir(String tag) {
        return tag == null ? null : Path.of("/work/releases/" + tag);
    }

    static String tag(Path dir) {
        return dir == null ? null : dir.getFileName().toString();
    }

    @Override
    public Path commit(Path staged, String tag) throws IOException {
        if (commitFailure != null) {
            IOException e = commitFailure;
            commitFailure = null;
            throw e;
        }
        changes.add("commit " + tag);
        return dir(tag);
    }

    @Override
    public Path swap(Path release) {
        Path previous = dir(current);
        current = tag(release);
        changes.add("swap " + current);
        return previous;
    }

    @Override
    public void restore(Path previous) {
        current = tag(previous);
        changes.add("restore " + current);
    }
}
