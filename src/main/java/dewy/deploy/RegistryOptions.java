package dewy.deploy;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** The query parameters every registry URL takes: {@code artifact=NAME} and {@code pre-release=true|false}. */
record RegistryOptions(String artifact, boolean preRelease) {
    /**
     * Reads {@code query} (the raw text after {@code ?}, or null). {@code url} is only for the error message.
     *
     * @throws IllegalArgumentException on an unknown, repeated or empty parameter
     */
    static RegistryOptions parse(String query, String url) {
        String artifact = null;
        Boolean pre = null;
        if (query == null || query.isEmpty()) {
            return new RegistryOptions(null, false);
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
                default:
                    throw new IllegalArgumentException("bad registry url \"" + url + "\": unknown parameter \"" + key
                            + "\" (known: artifact, pre-release)");
            }
        }
        return new RegistryOptions(artifact, pre != null && pre);
    }
}
