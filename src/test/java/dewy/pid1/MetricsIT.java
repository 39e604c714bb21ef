package dewy.pid1;

import static dewy.pid1.DeployFixtures.awaitServing;
import static dewy.pid1.DeployFixtures.publishFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import dewy.deploy.ReleaseFixtures;
import dewy.pid1.Dewy.Mode;
import dewy.posix.Signals;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * /metrics scraped by a real Prometheus (Debian's prometheus, on 127.0.0.1) through two USR1 restarts, a crash and
 * a deploy, dewy as PID 1; every value asserted with a PromQL query through Prometheus's HTTP API.
 */
class MetricsIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path tmp;

    @Test
    void prometheusScrapesRestartsACrashAndADeploy() throws Exception {
        int port = StarterIT.freePort();
        int admin = StarterIT.freePort();
        int prom = StarterIT.freePort();
        Path registry = Files.createDirectories(tmp.resolve("registry"));
        Path work = tmp.resolve("work");
        publishFile(registry, "v1.0.0", ReleaseFixtures.appTarGz("v1.0.0"), true);
        Files.writeString(tmp.resolve("prometheus.yml"), "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                + "scrape_configs:\n  - job_name: dewy\n    static_configs:\n      - targets: ['127.0.0.1:" + admin
                + "']\n");
        Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + tmp.resolve("prometheus.yml"),
                "--web.listen-address=127.0.0.1:" + prom, "--storage.tsdb.path=" + tmp.resolve("tsdb"))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("prometheus.log").toFile()).start();
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, Map.of(), "--registry", "file://" + registry, "-i", "300ms",
                "--workdir", work.toString(), "--port", "127.0.0.1:" + port, "--ready", "notify", "--admin",
                Integer.toString(admin), "--grace-period", "5s", "--", work.resolve("current/app").toString())) {
            awaitServing(port, "v1.0.0", dewy);
            for (int i = 1; i <= 2; i++) {
                // this restart's own line: "msg=restarted" is also logged for the first deploy's start, and a USR1
                // sent before the last one was taken would coalesce with it (standard signals are not queued)
                dewy.signal(Signals.SIGUSR1);
                dewy.awaitLog("Restarted receiving by `SIGUSR1` signal", i, Duration.ofSeconds(20));
            }
            Dewy.await("one generation", Duration.ofSeconds(10), () -> Dewy.children(dewy.pid()).size() == 1);
            Dewy.kill(dewy.app(), Signals.SIGKILL); // a crash
            dewy.awaitLog("msg=\"application exited; restarting after a backoff\"", 1, Duration.ofSeconds(10));
            dewy.awaitLog("msg=\"generation ready\"", 4, Duration.ofSeconds(30)); // after the crash's backoff
            publishFile(registry, "v1.1.0", ReleaseFixtures.appTarGz("v1.1.0"), true);
            awaitServing(port, "v1.1.0", dewy);

            Map<String, Double> expected = new LinkedHashMap<>();
            expected.put("up{job=\"dewy\"}", 1.0);
            expected.put("dewy_restarts_total{reason=\"USR1\"}", 2.0);
            expected.put("dewy_restarts_total{reason=\"crash\"}", 1.0);
            expected.put("dewy_restarts_total{reason=\"deploy\"}", 2.0); // the first release's start is a deploy's
            expected.put("dewy_crashes_total", 1.0);
            expected.put("dewy_crash_backoff_seconds", 0.0);
            expected.put("dewy_signals_received_total{signal=\"SIGUSR1\"}", 2.0);
            expected.put("sum(dewy_deploys_total{result=\"deployed\"})", 2.0); // v1.0.0 at start, then v1.1.0
            expected.put("dewy_generations{state=\"ready\"}", 1.0);
            expected.put("dewy_generations{state=\"alive\"}", 1.0);
            expected.put("dewy_generation_ready_seconds_count", 5.0);
            expected.put("sum(dewy_generation_drain_seconds_count)", 3.0); // two USR1s and the deploy's old one
            expected.put("dewy_registry_checks_total{result=\"ok\"} > 3", null);
            expected.put("dewy_last_deploy_timestamp_seconds > time() - 120", null);
            expected.put("dewy_resident_memory_bytes > 10e6", null);
            expected.put("dewy_cpu_seconds_total > 0", null);
            for (Map.Entry<String, Double> e : expected.entrySet()) {
                try {
                    Dewy.await(e.getKey(), Duration.ofSeconds(20), () -> {
                        List<Double> v = query(prom, e.getKey());
                        return v.size() == 1 && (e.getValue() == null || v.get(0).equals(e.getValue()));
                    });
                } catch (AssertionError failure) {
                    throw new AssertionError(e.getKey() + " = " + query(prom, e.getKey()) + ", want "
                            + e.getValue() + "\n" + get("http://127.0.0.1:" + admin + "/metrics"), failure);
                }
            }
            String text = get("http://127.0.0.1:" + admin + "/metrics");
            assertTrue(text.contains("# TYPE dewy_restarts_total counter"), text);
            dewy.signal(Signals.SIGTERM);
            assertEquals(0, dewy.awaitExit(Duration.ofSeconds(20)));
        } finally {
            prometheus.destroy();
            prometheus.waitFor();
        }
    }

    /** The values of an instant query, [] when it has none (or Prometheus is not up yet). */
    private static List<Double> query(int prom, String promql) {
        try {
            String body = get("http://127.0.0.1:" + prom + "/api/v1/query?query="
                    + URLEncoder.encode(promql, StandardCharsets.UTF_8));
            JsonArray result = JsonParser.parseString(body).getAsJsonObject().getAsJsonObject("data")
                    .getAsJsonArray("result");
            return result.asList().stream()
                    .map(r -> Double.valueOf(r.getAsJsonObject().getAsJsonArray("value").get(1).getAsString())).toList();
        } catch (RuntimeException | java.io.IOException e) {
            return List.of();
        }
    }

    private static String get(String url) throws java.io.IOException {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.IOException(e);
        }
    }
}
