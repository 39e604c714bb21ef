package dewy.deploy;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The query parameters every registry URL takes: {@code artifact=NAME}, {@code pre-release=true|false} and
 * {@code calver=FORMAT} (Go dewy's); and how tags are read ({@link TagRule}: {@code calver=} or {@code --calver},
 * {@code --slot}).
 */
record RegistryOptions(String artifact, boolean preRelease, TagRule rule, Map<String, String> store) {
    /**
     * The newest of {@code tags} that this registry deploys (a pre-release only with {@code pre-release=true}), or
     * null. Ties ({@code v1.2.3} and {@code 1.2.3+build}) go to the larger name, so the choice does not depend on
     * the listing's order.
     */
    Version newest(Iterable<String> tags) {
        Version best = null;
        for (String tag : tags) {
            Version v = rule.read(tag);
            if (v == null || (v.prerelease() && !preRelease)) {
                continue;
            }
            if (best == null || v.compareTo(best) > 0 || (v.compareTo(best) == 0 && v.tag().compareTo(best.tag()) > 0)) {
                best = v;
            }
        }
        return best;
    }

    /** A store-specific parameter ({@code endpoint=} of s3:// and gs://), or null when the URL has none. */
    String store(String key) {
        return store.get(key);
    }

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
        return new RegistryOptions(artifact, preRelease, new TagRule(format, slot), store);
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
        return parse(query, url, Set.of());
    }

    /**
     * {@link #parse(String, String)} where the registry also takes {@code storeKeys} (s3:// and gs://:
     * {@code endpoint}), each at most once and not empty; their values are in {@link #store(String)}.
     */
    static RegistryOptions parse(String query, String url, Set<String> storeKeys) {
        String artifact = null;
        Map<String, String> store = new TreeMap<>();
        Boolean pre = null;
        CalVer.Format calver = null;
        if (query == null || query.isEmpty()) {
            return new RegistryOptions(null, false, TagRule.SEMVER, Map.of());
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
                    if (storeKeys.contains(key)) {
                        if (store.containsKey(key) || value.isEmpty()) {
                            throw new IllegalArgumentException("bad registry url \"" + url + "\": " + key
                                    + "= wants one value");
                        }
                        store.put(key, value);
                        break;
                    }
                    throw new IllegalArgumentException("bad registry url \"" + url + "\": unknown parameter \"" + key
                            + "\" (known: artifact, pre-release, calver" + known(storeKeys) + ")");
            }
        }
        return new RegistryOptions(artifact, pre != null && pre, new TagRule(calver, null), Map.copyOf(store));
    }

    private static String known(Set<String> storeKeys) {
        StringBuilder b = new StringBuilder();
        new TreeSet<>(storeKeys).forEach(k -> b.append(", ").append(k));
        return b.toString();
    }
}
