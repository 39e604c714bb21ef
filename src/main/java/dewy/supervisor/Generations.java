package dewy.supervisor;

import dewy.log.Log;
import java.util.ArrayList;
import java.util.List;

/**
 * Every generation that was started and is not gone yet, oldest first. A generation stays while its process group
 * has members, even after its main process exited. Owned by the loop's thread.
 */
final class Generations {
    private final Processes processes;
    private final List<Generation> all = new ArrayList<>();

    Generations(Processes processes) {
        this.processes = processes;
    }

    void add(Generation g) {
        all.add(g);
    }

    /** A snapshot to iterate over while generations may be dropped. */
    List<Generation> list() {
        return List.copyOf(all);
    }

    boolean isEmpty() {
        return all.isEmpty();
    }

    Generation byPid(int pid) {
        for (Generation g : all) {
            if (g.pid == pid) {
                return g;
            }
        }
        return null;
    }

    Generation byNotifyFd(int fd) {
        for (Generation g : all) {
            if (g.notify != null && !g.notifyClosed && g.notify.fd() == fd) {
                return g;
            }
        }
        return null;
    }

    /** The newest generation that serves or will once ready, or null. */
    Generation newestServing() {
        Generation newest = null;
        for (Generation g : all) {
            if (g.serving()) {
                newest = g;
            }
        }
        return newest;
    }

    /** The newest ready generation: the one that serves. */
    Generation current() {
        Generation current = null;
        for (Generation g : all) {
            if (g.ready()) {
                current = g;
            }
        }
        return current;
    }

    /** Serving generations older than {@code g}. */
    List<Generation> servingOlderThan(Generation g) {
        List<Generation> older = new ArrayList<>();
        for (Generation o : all) {
            if (o.number < g.number && o.serving()) {
                older.add(o);
            }
        }
        return older;
    }

    boolean anyServing() {
        return newestServing() != null;
    }

    /** Generations whose main process has not exited. */
    boolean anyAlive() {
        for (Generation g : all) {
            if (!g.exited) {
                return true;
            }
        }
        return false;
    }

    /** The sd_notify sockets the loop must watch. */
    int[] notifyFds() {
        int n = 0;
        for (Generation g : all) {
            if (g.notify != null && !g.notifyClosed) {
                n++;
            }
        }
        int[] fds = new int[n];
        int i = 0;
        for (Generation g : all) {
            if (g.notify != null && !g.notifyClosed) {
                fds[i++] = g.notify.fd();
            }
        }
        return fds;
    }

    /** Its main process exited: nothing more can arrive on its NOTIFY_SOCKET that matters. */
    void closeNotify(Generation g) {
        if (g.notify != null && !g.notifyClosed) {
            processes.closeNotify(g.notify);
            g.notifyClosed = true;
        }
    }

    /** Forgets a generation: its group is empty, or dewy gave up on it. Nothing it held stays open. */
    void drop(Generation g) {
        closeNotify(g);
        all.remove(g);
        Log.debug("generation gone", "generation", g.number, "pid", g.pid);
    }

    /** Drops every generation whose main process is reaped and whose group is empty. */
    void dropEmpty() {
        for (Generation g : list()) {
            if (g.exited && !processes.groupExists(g.pid)) {
                drop(g);
            }
        }
    }
}
