package dewy.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A release tag read as calendar versioning by a {@link Format} such as {@code YYYY.0M0D.MICRO}, as Go dewy reads
 * {@code --calver}: an optional leading {@code v}, the format's segments, then an optional {@code -pre.release} and
 * {@code +build}. Ordered segment by segment as numbers, then by the pre-release as SemVer orders it (a release ranks
 * above its pre-releases); build metadata does not count.
 */
public final class CalVer implements Version {
    /** Go dewy's specifiers and what each matches, in the order tried at each position of the format. */
    private static final String[][] SPECIFIERS = {
        {"YYYY", "(\\d{4})"}, {"0Y", "(\\d{2,3})"}, {"YY", "(\\d{1,3})"},
        {"0M", "(0[1-9]|1[0-2])"}, {"MM", "([1-9]|1[0-2])"},
        {"0W", "(0[1-9]|[1-4]\\d|5[0-3])"}, {"WW", "([1-9]|[1-4]\\d|5[0-3])"},
        {"0D", "(0[1-9]|[12]\\d|3[01])"}, {"DD", "([1-9]|[12]\\d|3[01])"},
        {"MICRO", "(\\d+)"}};

    /** A parsed {@code calver=} format. */
    public static final class Format {
        private final String text;
        private final Pattern pattern;
        private final int segments;

        private Format(String text, Pattern pattern, int segments) {
            this.text = text;
            this.pattern = pattern;
            this.segments = segments;
        }

        /**
         * Reads a format: specifiers (YYYY, YY, 0Y, MM, 0M, WW, 0W, DD, 0D, MICRO) and literal characters between.
         *
         * @throws IllegalArgumentException with Go dewy's words when it is empty or has no specifier
         */
        public static Format parse(String format) {
            if (format == null || format.isEmpty()) {
                throw new IllegalArgumentException("calver format is empty");
            }
            StringBuilder regex = new StringBuilder("^(v)?");
            int segments = 0;
            int i = 0;
            while (i < format.length()) {
                String[] spec = null;
                for (String[] s : SPECIFIERS) {
                    if (format.startsWith(s[0], i)) {
                        spec = s;
                        break;
                    }
                }
                if (spec != null) {
                    regex.append(spec[1]);
                    segments++;
                    i += spec[0].length();
                } else {
                    int cp = format.codePointAt(i);
                    regex.append(Pattern.quote(new String(Character.toChars(cp))));
                    i += Character.charCount(cp);
                }
            }
            if (segments == 0) {
                throw new IllegalArgumentException("calver format \"" + format + "\" contains no valid specifiers "
                        + "(expected YYYY, YY, 0Y, MM, 0M, WW, 0W, DD, 0D, or MICRO)");
            }
            regex.append("(?:-([0-9A-Za-z.-]+))?(?:\\+([0-9A-Za-z.-]+))?$");
            return new Format(format, Pattern.compile(regex.toString()), segments);
        }

        /** The version of {@code tag}, or null when it does not have this format. */
        public CalVer read(String tag) {
            if (tag == null) {
                return null;
            }
            Matcher m = pattern.matcher(tag);
            if (!m.matches()) {
                return null;
            }
            List<String> numbers = new ArrayList<>(segments);
            for (int g = 2; g < 2 + segments; g++) {
                numbers.add(stripZeros(m.group(g)));
            }
            String pre = m.group(2 + segments);
            String build = m.group(3 + segments);
            return new CalVer(tag, numbers, pre == null ? List.of() : List.of(pre.split("\\.", -1)),
                    build == null ? "" : build);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    private final String tag;
    private final List<String> numbers; // without leading zeros: longer is larger, and nothing overflows
    private final List<String> pre;
    private final String build;

    private CalVer(String tag, List<String> numbers, List<String> pre, String build) {
        this.tag = tag;
        this.numbers = numbers;
        this.pre = pre;
        this.build = build;
    }

    private static String stripZeros(String digits) {
        int i = 0;
        while (i < digits.length() - 1 && digits.charAt(i) == '0') {
            i++;
        }
        return digits.substring(i);
    }

    @Override
    public String tag() {
        return tag;
    }

    @Override
    public boolean prerelease() {
        return !pre.isEmpty();
    }

    @Override
    public String build() {
        return build;
    }

    @Override
    public int compareTo(Version other) {
        CalVer o = (CalVer) other; // one registry reads every tag by one rule
        for (int i = 0; i < Math.max(numbers.size(), o.numbers.size()); i++) {
            String a = i < numbers.size() ? numbers.get(i) : "0";
            String b = i < o.numbers.size() ? o.numbers.get(i) : "0";
            int c = a.length() != b.length() ? Integer.compare(a.length(), b.length()) : Integer.signum(a.compareTo(b));
            if (c != 0) {
                return c;
            }
        }
        return SemVer.comparePrerelease(pre, o.pre);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CalVer && compareTo((CalVer) o) == 0;
    }

    @Override
    public int hashCode() {
        return numbers.hashCode() * 31 + pre.hashCode();
    }

    @Override
    public String toString() {
        return tag;
    }
}
