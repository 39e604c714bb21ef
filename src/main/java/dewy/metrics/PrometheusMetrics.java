package dewy.metrics;

import dewy.supervisor.Status;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * dewy's series in the Prometheus client's registry (prometheus-metrics-core), written in the text format. Counters
 * and histograms are updated as things happen; the state (generations, dewy's own RSS and CPU) is read when scraped.
 * Every series is listed in README's "Metrics".
 */
public final class PrometheusMetrics implements Metrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter signals = Counter.builder().name("dewy_signals_received_total")
            .help("Signals that reached dewy's loop, by name").labelNames("signal").register(registry);
    private final Counter restarts = Counter.builder().name("dewy_restarts_total")
            .help("Restarts begun, by reason: USR1, deploy, crash, rollback").labelNames("reason").register(registry);
    private final Counter crashes = Counter.builder().name("dewy_crashes_total")
            .help("Times the application exited or hung while it should have served").register(registry);
    private final Gauge backoff = Gauge.builder().name("dewy_crash_backoff_seconds")
            .help("The crash backoff under way, 0 when none").register(registry);
    private final Histogram ready = Histogram.builder().name("dewy_generation_ready_seconds")
            .help("Time from a generation's spawn to its readiness")
            .classicUpperBounds(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120).register(registry);
    private final Histogram drains = Histogram.builder().name("dewy_generation_drain_seconds")
            .help("Time from an old generation's stop signal to its exit, by how it ended: exited, killed")
            .labelNames("end").classicUpperBounds(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120).register(registry);
    private final Counter deploys = Counter.builder().name("dewy_deploys_total")
            .help("Deploys by result: deployed, failed, rolled_back, abandoned").labelNames("result")
            .register(registry);
    private final Gauge lastDeploy = Gauge.builder().name("dewy_last_deploy_timestamp_seconds")
            .help("When the last deploy succeeded (Unix time), 0 before the first").register(registry);
    private final Counter checks = Counter.builder().name("dewy_registry_checks_total")
            .help("Registry checks by result: ok, or the kind of error").labelNames("result").register(registry);
    private final Counter notifications = Counter.builder().name("dewy_notifications_total")
            .help("Notifications by notifier and result: delivered, failed").labelNames("notifier", "result")
            .register(registry);

    /** {@code status}: the loop's last published status (generations alive and ready). */
    public PrometheusMetrics(Supplier<Status> status) {
        GaugeWithCallback.builder().name("dewy_generations").help("Generations by state: alive, ready")
                .labelNames("state").callback(cb -> {
                    Status s = status.get();
                    long alive = s == null ? 0 : s.generations().size();
                    long readyNow = s == null ? 0 : s.generations().stream().filter(g -> g.state().equals("ready"))
                            .count();
                    cb.call(alive, "alive");
                    cb.call(readyNow, "ready");
                }).register(registry);
        GaugeWithCallback.builder().name("dewy_resident_memory_bytes").help("dewy's own resident set size")
                .callback(cb -> cb.call(ProcSelf.rssBytes())).register(registry);
        io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("dewy_cpu_seconds_total")
                .help("dewy's own CPU time, user and system").callback(cb -> cb.call(ProcSelf.cpuSeconds()))
                .register(registry);
    }

    /** The text format, as Prometheus scrapes it. */
    public void write(OutputStream out) throws IOException {
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
    }

    public static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    @Override
    public void signal(String name) {
        signals.labelValues(name).inc();
    }

    @Override
    public void restartBegun(String reason) {
        restarts.labelValues(reason).inc();
    }

    @Override
    public void crashed(double backoffSeconds) {
        crashes.inc();
        backoff.set(backoffSeconds);
    }

    @Override
    public void backoffEnded() {
        backoff.set(0);
    }

    @Override
    public void generationReady(double seconds) {
        ready.observe(seconds);
    }

    @Override
    public void generationDrained(double seconds, boolean killed) {
        drains.labelValues(killed ? "killed" : "exited").observe(seconds);
    }

    @Override
    public void deploy(String result) {
        deploys.labelValues(result).inc();
        if (result.equals("deployed")) {
            lastDeploy.set(System.currentTimeMillis() / 1000.0);
        }
    }

    @Override
    public void registryCheck(String result) {
        checks.labelValues(result).inc();
    }

    @Override
    public void notification(String notifier, boolean delivered) {
        notifications.labelValues(notifier, delivered ? "delivered" : "failed").inc();
    }

    /** dewy's own process, from /proc/self (no JMX: it would load far more than the metrics). */
    static final class ProcSelf {
        private static final double CLOCK_TICKS = 100.0; // USER_HZ, 100 on every Linux ABI dewy runs on

        static double rssBytes() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024.0;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // below
            }
            return Double.NaN;
        }

        static double cpuSeconds() {
            try {
                String stat = Files.readString(Path.of("/proc/self/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / CLOCK_TICKS; // utime, stime
            } catch (IOException | RuntimeException e) {
                return Double.NaN;
            }
        }
    }
}
