package dewy.pid1;

import static dewy.pid1.DeployFixtures.publishFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.deploy.ReleaseFixtures;
import dewy.posix.Signals;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dewy assets} as PID 1 (Go dewy's assets command): releases of a bundle from a file:// registry land in
 * {@code current}, the hooks approve or refuse each, nothing is ever started, USR1 changes nothing, TERM exits 0.
 */
class AssetsIT {
    @TempDir
    Path tmp;

    private static byte[] bundle(String version) {
        Map<String, ReleaseFixtures.Entry> files = new LinkedHashMap<>();
        files.put("index.html", new ReleaseFixtures.Entry(("<h1>" + version + "</h1>\n").getBytes(), 0644));
        files.put("config/app.yaml", new ReleaseFixtures.Entry(("version: " + version + "\n").getBytes(), 0644));
        return ReleaseFixtures.tarGz(files);
    }

    private String currentTag() throws Exception {
        return DeployFixtures.currentTag(tmp.resolve("work"));
    }

    @Test
    void bundlesLandInCurrentTheHooksDecideAndNothingRuns() throws Exception {
        Path registry = Files.createDirectories(tmp.resolve("registry"));
        Path hookLog = tmp.resolve("hooks.log");
        publishFile(registry, "v1.0.0", bundle("v1.0.0"), true);
        // the after-hook reads the release that current names, and refuses v1.2.0
        String afterHook = "echo \"$DEWY_HOOK $DEWY_VERSION $(cat " + tmp.resolve("work/current/index.html")
                + ")\" >> " + hookLog + "; test \"$DEWY_VERSION\" != v1.2.0";
        try (NotifyReceiver hooks = new NotifyReceiver();
             Dewy dewy = Dewy.startAssets(tmp, Map.of(), "--registry", "file://" + registry, "-i", "300ms",
                     "--workdir", tmp.resolve("work").toString(), "--after-deploy-hook", afterHook,
                     "--before-deploy-hook", "echo \"$DEWY_HOOK $DEWY_VERSION\" >> " + hookLog,
                     "--notifier", hooks.webhook())) {
            Dewy.await("v1.0.0 in place", Duration.ofSeconds(20), () -> "v1.0.0".equals(tagOrNull()));
            assertEquals("<h1>v1.0.0</h1>\n", Files.readString(tmp.resolve("work/current/index.html")));
            dewy.awaitLog("msg=deployed version=v1.0.0 ", 1, Duration.ofSeconds(10));
            hooks.awaitEvent("deployed", "Assets deployed for `v1.0.0` (previous none)", Duration.ofSeconds(10));
            assertEquals(1, hooks.count("started", "Automatic shipping started by *Dewy* (v"), hooks.webhooks().toString());
            assertTrue(hooks.events("started").get(0).message().endsWith(": assets)"), hooks.webhooks().toString());

            // a refused release: current goes back, dewy carries on
            publishFile(registry, "v1.2.0", bundle("v1.2.0"), true);
            dewy.awaitLog("after-deploy-hook failed", 1, Duration.ofSeconds(20));
            Dewy.await("current back on v1.0.0", Duration.ofSeconds(5), () -> "v1.0.0".equals(tagOrNull()));
            assertTrue(dewy.alive());

            dewy.signal(Signals.SIGUSR1);
            dewy.awaitLog("restart ignored: dewy assets runs no application", 1, Duration.ofSeconds(10));

            publishFile(registry, "v1.3.0", bundle("v1.3.0"), true);
            Dewy.await("v1.3.0 in place", Duration.ofSeconds(20), () -> "v1.3.0".equals(tagOrNull()));
            dewy.awaitLog("msg=deployed version=v1.3.0 ", 1, Duration.ofSeconds(10));
            assertEquals("version: v1.3.0\n", Files.readString(tmp.resolve("work/current/config/app.yaml")));

            assertEquals(List.of("before-deploy-hook v1.0.0", "after-deploy-hook v1.0.0 <h1>v1.0.0</h1>",
                    "before-deploy-hook v1.2.0", "after-deploy-hook v1.2.0 <h1>v1.2.0</h1>",
                    "before-deploy-hook v1.3.0", "after-deploy-hook v1.3.0 <h1>v1.3.0</h1>"), Dewy.lines(hookLog),
                    "each after-hook saw its own release in current");
            // Go dewy's shipping report names the command: assets
            Dewy.await("the shipping report of v1.3.0", Duration.ofSeconds(10), () -> {
                try (Stream<Path> files = Files.list(registry.resolve("v1.3.0"))) {
                    return files.anyMatch(f -> f.getFileName().toString()
                            .matches("shipped_to_[a-z0-9.-]+_assets_at_\\d{8}T\\d{6}\\.\\d{9}Z\\.txt"));
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            // dewy is PID 1 with no child but the hooks it ran: nothing was started
            assertEquals(List.of(), Dewy.children(dewy.pid()), "no application, no leftover hook");
            assertFalse(dewy.log().contains("msg=started "), "nothing started: " + dewy.log());

            dewy.signal(Signals.SIGTERM);
            assertEquals(0, dewy.awaitExit(Duration.ofSeconds(10)));
            hooks.awaitEvent("stopping", "Stop receiving by `SIGTERM` signal", Duration.ofSeconds(5));
            assertEquals("v1.3.0", currentTag());
        }
    }

    private String tagOrNull() {
        try {
            return currentTag();
        } catch (Exception e) {
            return null;
        }
    }
}
