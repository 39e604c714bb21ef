package dewy.admin;

import dewy.log.Log;
import dewy.supervisor.Status;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Where each new {@link Status} goes: the admin server (if any) and the status file (if any). */
public final class Publisher implements Consumer<Status> {
    private final AdminServer admin;
    private final Path statusFile;
    private String lastWritten;

    public Publisher(AdminServer admin, Path statusFile) {
        this.admin = admin;
        this.statusFile = statusFile;
    }

    @Override
    public void accept(Status status) {
        if (admin != null) {
            admin.publish(status);
        }
        if (statusFile != null) {
            String text = StatusFiles.statusText(status);
            if (!text.equals(lastWritten)) {
                try {
                    StatusFiles.write(statusFile, text);
                    lastWritten = text;
                } catch (IOException e) {
                    Log.warn("cannot write the status file", "path", statusFile, "error", e.toString());
                }
            }
        }
    }
}
