package dewy;

import dewy.deploy.Releases;
import dewy.deploy.Scheduler;
import dewy.notify.Event;
import dewy.notify.Notices;
import dewy.supervisor.Lifecycle;

/**
 * The supervisor's lifecycle, told to people: every call only enqueues (the notifiers deliver from their own
 * thread), so the loop never waits on Slack. On a drain the scheduler stops first, then "stopping" goes out.
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
        notes.publish(Event.info(Event.STOPPING, "stopping, received " + signal, version()));
    }

    @Override
    public void serving(int generation, int pid, String reason, boolean first) {
        if (first) {
            notes.publish(Event.info(Event.SERVER_STARTED, "server started (generation " + generation + ", pid "
                    + pid + (reason.equals("start") ? "" : ", " + why(reason)) + ")", version()));
        } else {
            notes.publish(Event.info(Event.SERVER_RESTARTED, "server restarted: " + why(reason) + " (generation "
                    + generation + ", pid " + pid + ")", version()));
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
