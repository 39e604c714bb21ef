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
}
