package dewy.deploy;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * The query parameters every registry URL takes: {@code artifact=NAME}, {@code pre-release=true|false} and
 * {@code calver=FORMAT} (Go dewy's); and how tags are read ({@link TagRule}: {@code calver=} or {@code --calver},
 * {@code --slot}).
 */
record RegistryOptions(String artifact, boolean preRelease, TagRule rule) {
    /**
     * These options with dewy's {@code --calver} and {@code --slot} (each null when not given). A {@code --calver}
     * that differs from the URL's {@code calver=} is refused, as is a slot that cannot be build metadata.
     */
    RegistryOptions with(String calver, String slot, String url) {
        CalVer.Format format = rule.calver();
        if (calver != null) {
            CalVer.Format flag = format(calver, url, "--calver");
            if (format != null && !format.toString().equals(flag.toString())) {
                throw new IllegalArgumentException("bad registry url \"" + url + "\": its calver=" + format
                        + " is not --calver " + calver);
            }
            format = flag;
        }
        if (slot != null && !Registry.validSlot(slot)) {
            throw new IllegalArgumentException("--slot \"" + slot + "\": " + Registry.SLOT_RULE);
        }
        return new RegistryOptions(artifact, preRelease, new TagRule(format, slot));
    }

    private static CalVer.Format format(String text, String url, String where) {
        try {
            return CalVer.Format.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where.equals("--calver") ? "invalid --calver format: " + e.getMessage()
                    : "bad registry url \"" + url + "\": invalid calver format: " + e.getMessage());
        }
    }

    /**
     * Reads {@code query} (the raw text after {@code ?}, or null). {@code url} is only for the error message.
     *
     * @throws IllegalArgumentException on an unknown, repeated or empty parameter
     */
    static RegistryOptions parse(String query, String url) {
        String artifact = null;
        Boolean pre = null;
        CalVer.Format calver = null;
        if (query == null || query.isEmpty()) {
            return new RegistryOptions(null, false, TagRule.SEMVER);
        }
        for (String pair : query.split("&", -1)) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            // A literal + stays a + (asset names may have one); only %XX is decoded.
            String value;
            try {
                value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1).replace("+", "%2B"),
                        StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad registry url \"" + url + "\": bad %-escape in " + key + "=");
            }
            switch (key) {
                case "artifact":
                    if (artifact != null || value.isEmpty() || value.contains("/")) {
                        throw new IllegalArgumentException("bad registry url \"" + url
                                + "\": artifact= wants one asset name");
                    }
                    artifact = value;
                    break;
                case "pre-release":
                    if (pre != null || !(value.equals("true") || value.equals("false"))) {
                        throw new IllegalArgumentException("bad registry url \"" + url
                                + "\": pre-release= wants true or false");
                    }
                    pre = Boolean.valueOf(value);
                    break;
                case "calver":
                    if (calver != null) {
                        throw new IllegalArgumentException("bad registry url \"" + url + "\": calver= given twice");
                    }
                    calver = format(value, url, "calver=");
                    break;
                default:
                    throw new IllegalArgumentException("bad registry url \"" + url + "\": unknown parameter \"" + key
                            + "\" (known: artifact, pre-release, calver)");
            }
        }
        return new RegistryOptions(artifact, pre != null && pre, new TagRule(calver, null));
    }
}
