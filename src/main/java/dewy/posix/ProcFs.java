package dewy.posix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads the kernel's process table from /proc. Pure file reads; no native binding needed. */
public final class ProcFs {
    private final Path root;

    public ProcFs(Path root) {
        this.root = root;
    }

    public static ProcFs system() {
        return new ProcFs(Path.of("/proc"));
    }

    /** A thread whose blocked mask lacks some of the signals asked for. */
    public record Leak(String thread, SignalSet unblocked) {
    }

    /** The threads of this process that do not block all of {@code needed}; empty when every thread does. */
    public List<Leak> threadsNotBlocking(SignalSet needed) {
        List<Leak> leaks = new ArrayList<>();
        // java.io.File rather than a Files stream: this runs on every start, before the application is spawned
        String[] tasks = root.resolve("self/task").toFile().list();
        if (tasks == null) {
            throw new IllegalStateException("cannot read " + root.resolve("self/task"));
        }
        for (String task : tasks) {
            Map<String, String> status = status(root.resolve("self/task").resolve(task).resolve("status"));
            String blk = status.get("SigBlk");
            if (blk == null) {
                continue; // the thread ended while we looked
            }
            SignalSet missing = needed.minus(SignalSet.fromProcHex(blk));
            if (!missing.isEmpty()) {
                leaks.add(new Leak(status.getOrDefault("Name", "?") + "/" + task, missing));
            }
        }
        return leaks;
    }

    /** The NUL-separated command line of this process. */
    public List<String> selfCmdline() {
        try {
            String raw = Files.readString(root.resolve("self/cmdline"), StandardCharsets.UTF_8);
            List<String> args = new ArrayList<>(List.of(raw.split("\0", -1)));
            if (!args.isEmpty() && args.get(args.size() - 1).isEmpty()) {
                args.remove(args.size() - 1);
            }
            return args;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/cmdline: " + e.getMessage(), e);
        }
    }

    /** Every living process below {@code ancestor}, parents before their children. */
    public List<Integer> descendants(int ancestor) {
        Map<Integer, List<Integer>> children = new HashMap<>();
        try (var entries = Files.list(root)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                parentOf(p).ifPresent(ppid -> children.computeIfAbsent(ppid, k -> new ArrayList<>())
                        .add(Integer.parseInt(name)));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + root + ": " + e.getMessage(), e);
        }
        List<Integer> out = new ArrayList<>();
        Deque<Integer> todo = new ArrayDeque<>(children.getOrDefault(ancestor, List.of()));
        while (!todo.isEmpty()) {
            int pid = todo.removeFirst();
            out.add(pid);
            todo.addAll(children.getOrDefault(pid, List.of()));
        }
        return out;
    }

    /** PPid from /proc/PID/stat: the fourth field, counted after the command name's closing parenthesis. */
    private static Optional<Integer> parentOf(Path procDir) {
        try {
            String stat = Files.readString(procDir.resolve("stat"), StandardCharsets.UTF_8);
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(Integer.parseInt(fields[1]));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // gone while we looked
        }
    }

    /**
     * Whether {@code pid} belongs to the generation whose main process is {@code mainPid}, as systemd's NotifyAccess
     * decides for a service: it is the main process, or in its process group, or below it (its parent, or its
     * parent's parent, ..., is the main process; the walk stops at dewy, {@code selfPid}). A process that is gone
     * does not belong (it cannot be checked).
     */
    public boolean belongsTo(int pid, int mainPid, int selfPid) {
        if (pid <= 0) {
            return false; // 0: a sender outside dewy's PID namespace
        }
        if (pid == mainPid) {
            return true;
        }
        int[] stat = parentAndGroup(pid);
        if (stat == null) {
            return false;
        }
        if (stat[1] == mainPid) {
            return true;
        }
        int parent = stat[0];
        for (int depth = 0; depth < 4096 && parent > 1 && parent != selfPid; depth++) {
            if (parent == mainPid) {
                return true;
            }
            int[] up = parentAndGroup(parent);
            if (up == null) {
                return false;
            }
            parent = up[0];
        }
        return false;
    }

    /** PPid and process group from /proc/PID/stat (the fields after the command name), or null when it is gone. */
    private int[] parentAndGroup(int pid) {
        try {
            String stat = Files.readString(root.resolve(Integer.toString(pid)).resolve("stat"), StandardCharsets.UTF_8);
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new int[] {Integer.parseInt(fields[1]), Integer.parseInt(fields[2])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The state letter of /proc/PID/stat (R, S, T for stopped, Z, ...), or 0 when the process is gone. */
    public char state(int pid) {
        try {
            String stat = Files.readString(root.resolve(Integer.toString(pid)).resolve("stat"), StandardCharsets.UTF_8);
            return stat.charAt(stat.lastIndexOf(')') + 2);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static Map<String, String> status(Path file) {
        Map<String, String> map = new HashMap<>();
        try {
            String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
            int start = 0;
            while (start < text.length()) {
                int end = text.indexOf('\n', start);
                if (end < 0) {
                    end = text.length();
                }
                int colon = text.indexOf(':', start);
                if (colon > start && colon < end) {
                    map.put(text.substring(start, colon), text.substring(colon + 1, end).trim());
                }
                start = end + 1;
            }
        } catch (IOException e) {
            // gone while we looked: an empty map says so
        }
        return map;
    }

    /** The socket inode behind a descriptor of a process ({@code socket:[12345]}), or -1. */
    public long socketInode(String pid, int fd) {
        try {
            String link = Files.readSymbolicLink(root.resolve(pid).resolve("fd").resolve(Integer.toString(fd)))
                    .toString();
            return link.startsWith("socket:[") ? Long.parseLong(link.substring(8, link.length() - 1)) : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * The listening TCP sockets a process holds, as "address:port" by socket inode: its descriptors' inodes matched
     * against the LISTEN (0A) rows of its network namespace's /proc/PID/net/tcp and tcp6.
     */
    public Map<Long, String> listeningTcp(int pid) {
        Map<Long, String> held = new HashMap<>();
        String[] fds = root.resolve(Integer.toString(pid)).resolve("fd").toFile().list();
        if (fds == null) {
            return held;
        }
        java.util.Set<Long> inodes = new java.util.HashSet<>();
        for (String fd : fds) {
            try {
                long inode = socketInode(Integer.toString(pid), Integer.parseInt(fd));
                if (inode > 0) {
                    inodes.add(inode);
                }
            } catch (NumberFormatException e) {
                // not a descriptor
            }
        }
        for (String table : new String[] {"tcp", "tcp6"}) {
            // Streamed, and only LISTEN rows split: the table lists the whole network namespace, tens of thousands
            // of rows on a busy host (TIME_WAIT), read at every swap; held whole it was megabytes per restart.
            try (java.io.BufferedReader r = Files.newBufferedReader(root.resolve(Integer.toString(pid)).resolve("net")
                    .resolve(table), StandardCharsets.ISO_8859_1)) {
                r.readLine(); // the header
                for (String row = r.readLine(); row != null; row = r.readLine()) {
                    if (!"0A".equals(field(row, 3))) {
                        continue;
                    }
                    String[] f = row.trim().split("\\s+");
                    if (f.length > 9) {
                        long inode = Long.parseLong(f[9]);
                        if (inodes.contains(inode)) {
                            held.put(inode, address(f[1]));
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // gone, or not a table we can read: no listeners from it
            }
        }
        return held;
    }

    /** Field {@code n} (from 0) of a row of blank-separated fields, or null. */
    static String field(String row, int n) {
        int i = 0;
        int len = row.length();
        for (int k = 0; ; k++) {
            while (i < len && row.charAt(i) == ' ') {
                i++;
            }
            int start = i;
            while (i < len && row.charAt(i) != ' ') {
                i++;
            }
            if (start == i) {
                return null;
            }
            if (k == n) {
                return row.substring(start, i);
            }
        }
    }

    /** "0100007F:1F90" is 127.0.0.1:8080 (the address is in host byte order, 4 bytes at a time). */
    static String address(String hex) {
        String[] parts = hex.split(":");
        int port = Integer.parseInt(parts[1], 16);
        String a = parts[0];
        if (a.length() == 8) {
            long v = Long.parseLong(a, 16);
            return (v & 0xff) + "." + ((v >> 8) & 0xff) + "." + ((v >> 16) & 0xff) + "." + ((v >> 24) & 0xff) + ":" + port;
        }
        byte[] b = new byte[16];
        for (int word = 0; word < 4; word++) {
            long v = Long.parseLong(a.substring(word * 8, word * 8 + 8), 16);
            for (int i = 0; i < 4; i++) {
                b[word * 4 + i] = (byte) (v >> (8 * i));
            }
        }
        try {
            java.net.InetAddress ip = java.net.InetAddress.getByAddress(b); // ::ffff:a.b.c.d comes back as IPv4
            return (ip instanceof java.net.Inet4Address ? ip.getHostAddress() : "[" + ip.getHostAddress() + "]")
                    + ":" + port;
        } catch (java.net.UnknownHostException e) {
            return hex;
        }
    }
}
