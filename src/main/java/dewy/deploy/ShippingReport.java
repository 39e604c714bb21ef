package dewy.deploy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Go dewy's record of a deploy, left in the registry so that a fleet's deploys can be seen there: a file named
 * {@code shipped_to_<host>_<command>_at_<timestamp>.txt} holding {@code shipped to <host> <command> at <timestamp>}
 * (the host lowercased; the timestamp Go's {@code 20060102T150405.000000000Z0700}, in UTC).
 */
public record ShippingReport(String name, String text) {
    private static final DateTimeFormatter GO_ISO8601_NANO = DateTimeFormatter
            .ofPattern("yyyyMMdd'T'HHmmss.SSSSSSSSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    /** The report of a deploy by {@code command} (dewy's mode: {@code server}) on {@code host} at {@code at}. */
    public static ShippingReport of(String host, String command, Instant at) {
        String text = "shipped to " + host.toLowerCase(Locale.ROOT) + " " + command + " at " + GO_ISO8601_NANO.format(at);
        return new ShippingReport(text.replace(' ', '_') + ".txt", text);
    }

    public byte[] bytes() {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
