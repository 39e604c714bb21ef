package dewy.admin;

import dewy.deploy.Scheduler;
import dewy.log.Log;
import dewy.starter.Listener;
import dewy.supervisor.Status;
import java.time.Instant;
import java.util.List;

/** /status as JSON, written by hand: a dozen fields do not justify a JSON library in PID 1. */
public final class StatusJson {
    private StatusJson() {
    }

    /** @param deploy the scheduler's last check, or null without pull deploys (then no "deploy" member) */
    public static String render(Status s, String version, List<Listener> listeners, Scheduler.Snapshot deploy) {
        StringBuilder b = new StringBuilder(256);
        b.append("{\"version\":").append(str(version))
                .append(",\"pid\":").append(s.pid())
                .append(",\"phase\":").append(str(s.phase()))
                .append(",\"draining\":").append(s.draining())
                .append(",\"ready\":").append(s.ready())
                .append(",\"alive\":").append(s.alive())
                .append(",\"restarts\":").append(s.restarts())
                .append(",\"crash_restarts\":").append(s.crashRestarts())
                .append(",\"current\":");
        Status.Gen current = null;
        for (Status.Gen g : s.generations()) {
            if (g.generation() == s.current()) {
                current = g;
            }
        }
        if (current == null) {
            b.append("null");
        } else {
            b.append("{\"generation\":").append(current.generation()).append(",\"pid\":").append(current.pid())
                    .append('}');
        }
        b.append(",\"generations\":[");
        for (int i = 0; i < s.generations().size(); i++) {
            Status.Gen g = s.generations().get(i);
            b.append(i == 0 ? "" : ",")
                    .append("{\"generation\":").append(g.generation())
                    .append(",\"pid\":").append(g.pid())
                    .append(",\"state\":").append(str(g.state()))
                    .append(",\"started\":").append(time(g.startedMillis()))
                    .append(",\"ready_at\":").append(time(g.readyMillis()))
                    .append(",\"status_text\":").append(str(g.statusText()))
                    .append('}');
        }
        b.append("],\"listeners\":[");
        for (int i = 0; i < listeners.size(); i++) {
            Listener l = listeners.get(i);
            b.append(i == 0 ? "" : ",").append("{\"spec\":").append(str(l.spec().text()))
                    .append(",\"fd\":").append(l.childFd());
            if (!l.spec().unix()) {
                b.append(",\"port\":").append(l.port());
            }
            b.append('}');
        }
        b.append(']');
        if (deploy != null) {
            b.append(",\"deploy\":{\"registry\":").append(str(deploy.registry()))
                    .append(",\"release\":").append(str(deploy.release()))
                    .append(",\"last_check\":").append(time(deploy.lastCheck()))
                    .append(",\"last_ok\":").append(deploy.lastOk())
                    .append(",\"last_result\":").append(str(deploy.lastResult()))
                    .append(",\"failed\":[");
            for (int i = 0; i < deploy.failed().size(); i++) {
                b.append(i == 0 ? "" : ",").append(str(deploy.failed().get(i)));
            }
            b.append("]}");
        }
        return b.append('}').toString();
    }

    private static String time(long millis) {
        return millis < 0 ? "null" : str(Instant.ofEpochMilli(millis).toString());
    }

    static String str(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(s.length() + 2);
        Log.jsonString(b, s);
        return b.toString();
    }
}
