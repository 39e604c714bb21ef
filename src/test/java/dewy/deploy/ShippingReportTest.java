package dewy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Go dewy's shipping report: its name and its text, byte for byte. */
class ShippingReportTest {
    @Test
    void goDewysNameAndText() {
        ShippingReport r = ShippingReport.of("Web-1", "server", Instant.parse("2026-12-02T03:58:59.123456789Z"));
        assertEquals("shipped to web-1 server at 20261202T035859.123456789Z", r.text());
        assertEquals("shipped_to_web-1_server_at_20261202T035859.123456789Z.txt", r.name());
        assertEquals(r.text(), new String(r.bytes(), java.nio.charset.StandardCharsets.UTF_8));
        assertEquals("shipped to h server at 20260101T000000.000000000Z",
                ShippingReport.of("h", "server", Instant.parse("2026-01-01T00:00:00Z")).text(), "nanoseconds always");
    }
}
