package dewy;

import dewy.deploy.Releases;
import dewy.deploy.Scheduler;
import dewy.notify.Event;
import dewy.notify.Notices;
import dewy.supervisor.Lifecycle;

/**
 * The supervisor's lifecycle, told to people: every call only enqueues (the notifiers deliver from their own
 * thread), so the loop never waits on Slack. On a drain the scheduler stops first, then "stopping" goes out. Each
 * message begins with Go dewy's text for the event, where it has one, so that what a Go dewy user matched on still
 * matches; dewy's details follow in parentheses.
 */
final class Announcements implements Lifecycle {
    private final Notices notes;
    private final Scheduler scheduler;
    private final Releases releases;

    /** scheduler and releases are null without --registry. */
    Announcements(Notices notes, Scheduler scheduler, Releases releases) {
        this.notes = notes;
        this.scheduler = scheduler;
        this.releases = releases;
    }

    @Override
    public void draining(String signal) {
        if (scheduler != null) {
            scheduler.stop();
        }
        notes.publish(Event.info(Event.STOPPING, "Stop receiving by `" + signal + "` signal", version()));
    }

    @Override
    public void serving(int generation, int pid, String reason, boolean first) {
        String version = version();
        String forVersion = version == null ? "" : " for `" + version + "`";
        String details = "generation " + generation + ", pid " + pid;
        if (first) {
            notes.publish(Event.info(Event.SERVER_STARTED, "Server started" + forVersion + " ("
                    + (reason.equals("start") ? "" : why(reason) + ", ") + details + ")", version));
        } else if (reason.equals("USR1")) {
            notes.publish(Event.info(Event.SERVER_RESTARTED, "Restarted receiving by `SIGUSR1` signal (" + details
                    + ")", version));
        } else {
            Event restarted = Event.info(Event.SERVER_RESTARTED, "Server restarted" + forVersion + " ("
                    + why(reason) + ", " + details + ")", version);
            notes.publish(reason.equals("deploy") && version != null ? restarted.inDeploy(version) : restarted);
        }
    }

    @Override
    public void restartFailed(String reason, String why) {
        if (reason.equals("deploy")) {
            return; // the scheduler announces the rollback, with both versions
        }
        notes.publish(Event.error(Event.ERROR, "restart (" + why(reason) + ") failed: " + why, version()));
    }

    private static String why(String reason) {
        return switch (reason) {
            case "USR1" -> "USR1 signal";
            case "crash" -> "crash";
            case "deploy" -> "deploy";
            case "rollback" -> "rollback";
            default -> reason;
        };
    }

    /** The release current points to (a readlink, on the loop's thread: cheap), or null without deploys. */
    private String version() {
        return releases == null ? null : releases.currentTag();
    }
}
