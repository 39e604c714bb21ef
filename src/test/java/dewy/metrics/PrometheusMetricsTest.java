package dewy.metrics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.supervisor.Status;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The series as Prometheus reads them: names, labels and values in the text format. */
class PrometheusMetricsTest {
    private static String scrape(PrometheusMetrics m) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.write(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void has(String text, String line) {
        assertTrue(text.lines().anyMatch(l -> l.equals(line)), "no line \"" + line + "\" in:\n" + text);
    }

    @Test
    void everySeriesWithItsLabels() throws Exception {
        Status status = new Status(1, "running", false, true, true, 2, 1, 3, List.of(
                new Status.Gen(2, 40, "stopping", 0, 0, null), new Status.Gen(3, 41, "ready", 0, 10, null)),
                Status.Reload.NONE);
        PrometheusMetrics m = new PrometheusMetrics(() -> status);
        m.signal("SIGUSR1");
        m.signal("SIGUSR1");
        m.signal("SIGHUP");
        m.restartBegun("USR1");
        m.restartBegun("deploy");
        m.crashed(2.0);
        m.generationReady(0.3);
        m.generationDrained(1.5, false);
        m.generationDrained(31, true);
        m.deploy("deployed");
        m.deploy("rolled_back");
        m.registryCheck("ok");
        m.registryCheck("transient");
        m.notification("slack", true);
        m.notification("webhook+http", false);
        String text = scrape(m);
        has(text, "dewy_signals_received_total{signal=\"SIGUSR1\"} 2.0");
        has(text, "dewy_signals_received_total{signal=\"SIGHUP\"} 1.0");
        has(text, "dewy_restarts_total{reason=\"USR1\"} 1.0");
        has(text, "dewy_restarts_total{reason=\"deploy\"} 1.0");
        has(text, "dewy_crashes_total 1.0");
        has(text, "dewy_crash_backoff_seconds 2.0");
        has(text, "dewy_generation_ready_seconds_bucket{le=\"0.5\"} 1");
        has(text, "dewy_generation_ready_seconds_count 1");
        has(text, "dewy_generation_drain_seconds_count{end=\"exited\"} 1");
        has(text, "dewy_generation_drain_seconds_count{end=\"killed\"} 1");
        has(text, "dewy_deploys_total{result=\"deployed\"} 1.0");
        has(text, "dewy_deploys_total{result=\"rolled_back\"} 1.0");
        has(text, "dewy_registry_checks_total{result=\"ok\"} 1.0");
        has(text, "dewy_registry_checks_total{result=\"transient\"} 1.0");
        has(text, "dewy_notifications_total{notifier=\"slack\",result=\"delivered\"} 1.0");
        has(text, "dewy_notifications_total{notifier=\"webhook+http\",result=\"failed\"} 1.0");
        has(text, "dewy_generations{state=\"alive\"} 2.0");
        has(text, "dewy_generations{state=\"ready\"} 1.0");
        assertTrue(text.lines().anyMatch(l -> l.matches("dewy_last_deploy_timestamp_seconds 1\\.[0-9]+E9")), text);
        // this test JVM's own RSS: over 1 MB, whatever the rest of the suite has loaded into it (1 GB seen in CI)
        assertTrue(text.lines().anyMatch(l -> l.startsWith("dewy_resident_memory_bytes ")
                && Double.parseDouble(l.substring("dewy_resident_memory_bytes ".length())) > 1e6), text);
        assertTrue(text.lines().anyMatch(l -> l.matches("dewy_cpu_seconds_total [0-9.]+(E-?[0-9]+)?")), text);
        m.backoffEnded();
        has(scrape(m), "dewy_crash_backoff_seconds 0.0");
    }
}
