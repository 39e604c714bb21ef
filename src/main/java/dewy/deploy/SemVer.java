package dewy.deploy;

import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A release tag read as Semantic Versioning 2.0.0, with an optional leading {@code v}. Ordered by SemVer precedence:
 * build metadata is ignored, so {@code equals} and {@code compareTo} agree and neither looks at {@link #tag()}.
 */
public final class SemVer implements Version {
    // The regular expression semver.org publishes, with ASCII digits only.
    private static final Pattern SEMVER = Pattern.compile("^v?(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)"
            + "(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
            + "(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$");

    private final String tag;
    // Numbers stay strings (no leading zeros, so longer is larger): a tag like 99999999999999999999.0.0 cannot overflow.
    private final String major;
    private final String minor;
    private final String patch;
    private final List<String> pre;
    private final String build;

    private SemVer(String tag, String major, String minor, String patch, List<String> pre, String build) {
        this.tag = tag;
        this.major = major;
        this.minor = minor;
        this.patch = patch;
        this.pre = pre;
        this.build = build;
    }

    /** The version of {@code tag}, or null when it is not SemVer 2.0.0. */
    public static SemVer parse(String tag) {
        if (tag == null) {
            return null;
        }
        Matcher m = SEMVER.matcher(tag);
        if (!m.matches()) {
            return null;
        }
        List<String> pre = m.group(4) == null ? List.of() : List.of(m.group(4).split("\\."));
        return new SemVer(tag, m.group(1), m.group(2), m.group(3), pre, m.group(5) == null ? "" : m.group(5));
    }

    /** True when the version has pre-release identifiers ({@code 1.0.0-rc.1}). */
    @Override
    public boolean prerelease() {
        return !pre.isEmpty();
    }

    /** The text as given, {@code v} and build metadata included. */
    @Override
    public String tag() {
        return tag;
    }

    @Override
    public String build() {
        return build;
    }

    @Override
    public int compareTo(Version other) {
        SemVer o = (SemVer) other; // one registry reads every tag by one rule
        int c = compareNumbers(major, o.major);
        if (c == 0) {
            c = compareNumbers(minor, o.minor);
        }
        if (c == 0) {
            c = compareNumbers(patch, o.patch);
        }
        if (c != 0) {
            return c;
        }
        return comparePrerelease(pre, o.pre);
    }

    /** SemVer's rule 11 for what follows the numbers; CalVer uses it too. */
    static int comparePrerelease(List<String> a, List<String> b) {
        // A version without pre-release identifiers ranks above any with them.
        if (a.isEmpty() || b.isEmpty()) {
            return Boolean.compare(a.isEmpty(), b.isEmpty());
        }
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = compareIdentifiers(a.get(i), b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    private static int compareIdentifiers(String a, String b) {
        boolean an = numeric(a);
        boolean bn = numeric(b);
        if (an && bn) {
            return compareNumbers(a, b);
        }
        if (an || bn) {
            return an ? -1 : 1; // numeric identifiers rank below alphanumeric ones
        }
        return Integer.signum(a.compareTo(b)); // ASCII order
    }

    private static boolean numeric(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static int compareNumbers(String a, String b) {
        return a.length() != b.length() ? Integer.compare(a.length(), b.length()) : Integer.signum(a.compareTo(b));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SemVer && compareTo((SemVer) o) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(major, minor, patch, pre);
    }

    @Override
    public String toString() {
        return tag;
    }
}
