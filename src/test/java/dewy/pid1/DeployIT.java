package dewy.pid1;

import static dewy.deploy.ReleaseFixtures.ARTIFACT;
import static dewy.pid1.DeployFixtures.awaitServing;
import static dewy.pid1.DeployFixtures.get;
import static dewy.pid1.DeployFixtures.pid;
import static dewy.pid1.DeployFixtures.publishFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.deploy.FakeGitHub;
import dewy.deploy.RawZip;
import dewy.deploy.ReleaseFixtures;
import dewy.pid1.Dewy.Mode;
import dewy.pid1.HttpLoad.Target;
import dewy.posix.Signals;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pull deploys end to end, as PID 1: dewy polls a local fake of the GitHub Releases API (or a file:// directory),
 * downloads, verifies, unpacks, swaps {@code current} and restarts the Python example onto the new release without
 * failing a request; refused and failing releases leave {@code current} and the running generation alone; every
 * step reaches a local webhook receiver. Servers on 127.0.0.1 only, loads bounded.
 */
class DeployIT {
    private static final String GITHUB_TOKEN = "ghp_secret-token-for-tests-0123456789";
    private static final String SLACK_TOKEN = "xoxb-secret-slack-token-42";

    @TempDir
    Path tmp;

    private Path workdir() {
        return tmp.resolve("work");
    }

    private List<String> args(String registry, int port, String... more) {
        return DeployFixtures.args(registry, workdir(), port, more);
    }

    private Dewy start(Map<String, String> env, List<String> args) throws IOException {
        return Dewy.start(Mode.PID1, tmp, env, args.toArray(String[]::new));
    }

    private String currentTag() throws IOException {
        return DeployFixtures.currentTag(workdir());
    }

    private List<String> releaseDirs() throws IOException {
        try (Stream<Path> s = Files.list(workdir().resolve("releases"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static FakeGitHub.ReleaseBuilder publish(FakeGitHub gh, String tag, byte[] artifact) {
        return gh.release(tag, false, false).asset(ARTIFACT, artifact).checksums("checksums.txt");
    }

    @Test
    void newestSemVerIsDeployedFirstThenANewTagUpgradesUnderLoadWithoutAFailedRequest() throws Exception {
        int port = StarterIT.freePort();
        try (FakeGitHub gh = new FakeGitHub().perPage(2).start(); NotifyReceiver hooks = new NotifyReceiver()) {
            gh.release("v2.0.0", true, false).asset(ARTIFACT, ReleaseFixtures.appTarGz("v2.0.0")); // a draft
            gh.release("v1.10.0-rc.1", false, true).asset(ARTIFACT, ReleaseFixtures.appTarGz("v1.10.0-rc.1"));
            gh.release("nightly", false, false).asset(ARTIFACT, ReleaseFixtures.appTarGz("nightly"));
            publish(gh, "v1.2.0", ReleaseFixtures.appTarGz("v1.2.0"));
            publish(gh, "v1.9.0", ReleaseFixtures.appTarGz("v1.9.0")); // page 3: the newest is not on page 1
            publish(gh, "v1.10.0-alpha", ReleaseFixtures.appTarGz("v1.10.0-alpha"));
            Map<String, String> env = new HashMap<>(gh.env(GITHUB_TOKEN));
            env.put("SLACK_TOKEN", SLACK_TOKEN);
            env.put("SLACK_API_URL", hooks.slackApi());
            int admin = StarterIT.freePort();
            try (Dewy dewy = start(env, args(gh.registryUrl(), port, "--notifier", hooks.webhook(),
                    "--notifier", "slack://deploys?title=shop", "--admin", Integer.toString(admin)))) {
                awaitServing(port, "v1.9.0", dewy);
                assertEquals("v1.9.0", currentTag());
                assertTrue(dewy.log().contains("msg=\"no release yet: the application starts after the first deploy\""));
                assertEquals(1, gh.downloads(ARTIFACT), "only v1.9.0 downloaded: " + gh.requests());

                long before = DeployFixtures.deployUnderLoad(port, dewy, "v1.10.0",
                        () -> publish(gh, "v1.10.0", ReleaseFixtures.appTarGz("v1.10.0")));
                assertTrue(before > 0);
                assertEquals("v1.10.0", currentTag());
                assertEquals(2, releaseDirs().size(), releaseDirs().toString());

                hooks.awaitEvent("server-restarted", "Server restarted for `v1.10.0` (deploy, ", Duration.ofSeconds(10));
                // Go dewy's shipping report: an asset of the release, uploaded with the token
                Dewy.await("the shipping report of v1.10.0", Duration.ofSeconds(10),
                        () -> gh.uploads().stream().anyMatch(u -> u.tag().equals("v1.10.0")));
                FakeGitHub.Upload shipped = gh.uploads().stream().filter(u -> u.tag().equals("v1.10.0")).findFirst()
                        .orElseThrow();
                assertTrue(shipped.name().matches("shipped_to_[a-z0-9.-]+_server_at_\\d{8}T\\d{6}\\.\\d{9}Z\\.txt"),
                        shipped.name());
                assertEquals("Bearer " + GITHUB_TOKEN, shipped.authorization());
                assertEquals(shipped.name().replace('_', ' ').replace(".txt", ""), shipped.body());
                String status = get(admin, "/status");
                assertTrue(status.contains("\"deploy\":{\"registry\":\"ghr://o/r\",\"release\":\"v1.10.0\","),
                        status);
                assertTrue(status.matches("(?s).*\"last_ok\":true,\"last_result\":\"(deployed v1\\.10\\.0|up to date)\","
                        + "\"failed\":\\[\\]}}\\s*"), status);
                dewy.signal(Signals.SIGTERM);
                assertEquals(0, dewy.awaitExit(Duration.ofSeconds(20)));
                // delivered before dewy exited: the receiver answers each post before dewy's flush returns
                assertEquals(1, hooks.count("stopping", "Stop receiving by `SIGTERM` signal"), hooks.webhooks().toString());
                assertTrue(hooks.slack().stream().anyMatch(p -> p.message().equals("Stop receiving by `SIGTERM` signal")),
                        "Slack got the termination message: " + hooks.slack());

                List<String> kinds = hooks.webhooks().stream().map(NotifyReceiver.Post::event).toList();
                for (String kind : List.of("started", "downloaded", "server-started", "server-restarted", "stopping")) {
                    assertTrue(kinds.contains(kind), kind + " not notified: " + kinds);
                }
                assertEquals("started", kinds.get(0), kinds.toString());
                assertEquals("stopping", kinds.get(kinds.size() - 1), kinds.toString());
                assertTrue(hooks.count("downloaded", "Downloaded artifact for `v1.10.0`") == 1, hooks.webhooks().toString());
                assertEquals("v1.10.0", hooks.events("server-restarted").get(0).body().get("version").getAsString());
                NotifyReceiver.Post slack = hooks.slack().get(0);
                assertEquals("Bearer " + SLACK_TOKEN, slack.authorization());
                assertEquals("deploys", slack.body().get("channel").getAsString());
                assertEquals("shop", slack.body().get("attachments").getAsJsonArray().get(0).getAsJsonObject()
                        .get("title").getAsString());
                for (String secret : List.of(GITHUB_TOKEN, SLACK_TOKEN)) {
                    assertFalse(dewy.log().contains(secret), "a token in dewy's log");
                    assertFalse(status.contains(secret), "a token in /status");
                    assertFalse(hooks.webhooks().toString().contains(secret), "a token in a notification");
                }
                assertTrue(gh.authorizations().contains("Bearer " + GITHUB_TOKEN), "the API got the token");
            }
        }
    }

    @Test
    void refusedReleasesLeaveCurrentAndTheRunningGenerationAlone() throws Exception {
        int port = StarterIT.freePort();
        try (FakeGitHub gh = new FakeGitHub().start(); NotifyReceiver hooks = new NotifyReceiver()) {
            publish(gh, "v1.0.0", ReleaseFixtures.appTarGz("v1.0.0"));
            try (Dewy dewy = start(gh.env(null), args(gh.registryUrl(), port, "--notifier", hooks.webhook(),
                    "--max-artifact-size", "64KiB"))) {
                awaitServing(port, "v1.0.0", dewy);
                long pid = pid(get(port));
                String releasesBefore = releaseDirs().toString();

                // a checksum that does not match
                byte[] good = ReleaseFixtures.appTarGz("v1.1.0");
                gh.release("v1.1.0", false, false).asset(ARTIFACT, good)
                        .asset("checksums.txt", "0".repeat(64) + "  " + ARTIFACT + "\n");
                hooks.awaitEvent("error", "v1.1.0", Duration.ofSeconds(15));
                assertTrue(hooks.events("error").get(0).message().contains("checksum mismatch"),
                        hooks.webhooks().toString());

                // a corrupt archive (its checksum is right: the bytes are what was published)
                publish(gh, "v1.2.0", ReleaseFixtures.corrupt("v1.2.0"));
                hooks.awaitEvent("error", "v1.2.0", Duration.ofSeconds(15));

                // zip-slip
                String zip = ARTIFACT.replace(".tar.gz", ".zip");
                gh.release("v1.3.0", false, false).asset(zip, ReleaseFixtures.zipSlip()).checksums("checksums.txt");
                hooks.awaitEvent("error", "v1.3.0", Duration.ofSeconds(15));
                assertTrue(hooks.events("error").get(2).message().contains("escapes"), hooks.webhooks().toString());

                // a tar.gz with ../ and one bigger than --max-artifact-size
                publish(gh, "v1.4.0", ReleaseFixtures.tarSlip());
                hooks.awaitEvent("error", "v1.4.0", Duration.ofSeconds(15));
                byte[] big = new byte[100 * 1024];
                new java.util.Random(5).nextBytes(big);
                Map<String, ReleaseFixtures.Entry> bigFiles = new LinkedHashMap<>();
                bigFiles.put("app", new ReleaseFixtures.Entry(ReleaseFixtures.appScript("v1.5.0")
                        .getBytes(StandardCharsets.UTF_8), 0755));
                bigFiles.put("blob", new ReleaseFixtures.Entry(big, 0644));
                publish(gh, "v1.5.0", ReleaseFixtures.tarGz(bigFiles));
                hooks.awaitEvent("error", "v1.5.0", Duration.ofSeconds(15));
                assertTrue(hooks.events("error").get(4).message().contains("size limit"), hooks.webhooks().toString());

                Dewy.sleep(1500); // five more checks: a refused release is not fetched again
                assertEquals("v1.0.0", currentTag());
                assertEquals(releasesBefore, releaseDirs().toString(), "nothing unpacked stays behind");
                assertEquals(pid, pid(get(port)), "the running generation never stopped");
                assertFalse(Files.exists(tmp.resolve("evil")) || Files.exists(workdir().resolve("evil"))
                        || Files.exists(workdir().resolve("releases/evil")), "zip-slip wrote outside");
                assertEquals(1, gh.downloads(zip), "refused releases are not downloaded again");
                assertEquals(5, hooks.events("error").size(), hooks.webhooks().toString());
                assertEquals(0, dewy.countLog("msg=restarting"), dewy.log());
                try (Stream<Path> cache = Files.walk(workdir().resolve("cache"))) {
                    assertTrue(cache.noneMatch(p -> p.toString().endsWith(".part")), "no partial download left");
                }
            }
        }
    }

    @Test
    void aReleaseThatIsNotReadyIsRolledBackAndNotRetried() throws Exception {
        int port = StarterIT.freePort();
        try (FakeGitHub gh = new FakeGitHub().start(); NotifyReceiver hooks = new NotifyReceiver()) {
            publish(gh, "v1.0.0", ReleaseFixtures.appTarGz("v1.0.0"));
            int admin = StarterIT.freePort();
            try (Dewy dewy = start(gh.env(null), args(gh.registryUrl(), port, "--notifier", hooks.webhook(),
                    "--admin", Integer.toString(admin)))) {
                awaitServing(port, "v1.0.0", dewy);
                long pid = pid(get(port));

                publish(gh, "v1.1.0", ReleaseFixtures.appTarGz("v1.1.0", "--crash-on-start"));
                hooks.awaitEvent("rollback", "v1.1.0 rolled back to v1.0.0", Duration.ofSeconds(20));
                assertEquals("v1.0.0", currentTag());
                assertEquals(pid, pid(get(port)), "the old generation served throughout");

                publish(gh, "v1.2.0", ReleaseFixtures.appTarGz("v1.2.0", "--never-ready"));
                hooks.awaitEvent("rollback", "v1.2.0 rolled back to v1.0.0", Duration.ofSeconds(20));
                assertTrue(hooks.count("rollback", "not ready within 5s") == 1, hooks.webhooks().toString());
                assertEquals("v1.0.0", currentTag());
                assertEquals(pid, pid(get(port)));

                Dewy.sleep(1500);
                assertEquals(1, dewy.countLog("msg=\"new release\" version=v1.2.0 "), "not retried: " + dewy.log());
                assertEquals(2, hooks.events("rollback").size());
                String status = get(admin, "/status");
                assertTrue(status.contains("\"release\":\"v1.0.0\",") && status.contains(
                        "\"last_result\":\"v1.2.0 failed before; waiting for a newer release\","
                                + "\"failed\":[\"v1.1.0\",\"v1.2.0\"]}"), status);

                publish(gh, "v1.3.0", ReleaseFixtures.appTarGz("v1.3.0"));
                awaitServing(port, "v1.3.0", dewy);
                assertEquals("v1.3.0", currentTag());
            }
        }
    }

    @Test
    void aFailedBeforeHookAbortsTheDeployAndKeepReleasesIsHonoured() throws Exception {
        int port = StarterIT.freePort();
        Path hookLog = tmp.resolve("hooks.log");
        try (FakeGitHub gh = new FakeGitHub().start(); NotifyReceiver hooks = new NotifyReceiver()) {
            publish(gh, "v1.0.0", ReleaseFixtures.appTarGz("v1.0.0"));
            try (Dewy dewy = start(gh.env(null), args(gh.registryUrl(), port, "--notifier", hooks.webhook(),
                    "--keep-releases", "2",
                    "--before-deploy-hook", "echo before $DEWY_VERSION >> " + hookLog + "; test $DEWY_VERSION != v1.1.0",
                    "--after-deploy-hook", "echo after $DEWY_VERSION $(basename $DEWY_RELEASE_DIR) >> " + hookLog))) {
                awaitServing(port, "v1.0.0", dewy);
                long pid = pid(get(port));

                publish(gh, "v1.1.0", ReleaseFixtures.appTarGz("v1.1.0"));
                hooks.awaitEvent("hook", "before-deploy-hook failed with 1; v1.1.0 not deployed", Duration.ofSeconds(15));
                assertEquals("v1.0.0", currentTag());
                assertTrue(releaseDirs().stream().noneMatch(d -> d.startsWith("v1.1.0")), releaseDirs().toString());
                assertEquals(pid, pid(get(port)));

                for (String v : List.of("v1.2.0", "v1.3.0", "v1.4.0")) {
                    publish(gh, v, ReleaseFixtures.appTarGz(v));
                    awaitServing(port, v, dewy);
                    dewy.awaitLog("msg=deployed version=" + v + " ", 1, Duration.ofSeconds(10));
                }
                List<String> dirs = releaseDirs();
                assertEquals(2, dirs.size(), "--keep-releases 2: " + dirs);
                assertTrue(dirs.get(0).startsWith("v1.3.0_") && dirs.get(1).startsWith("v1.4.0_"), dirs.toString());
                List<String> ran = Files.readAllLines(hookLog);
                assertEquals(List.of("before v1.0.0", "after v1.0.0", "before v1.1.0", "before v1.2.0", "after v1.2.0",
                                "before v1.3.0", "after v1.3.0", "before v1.4.0", "after v1.4.0"),
                        ran.stream().map(l -> l.replaceAll("^(after v[0-9.]+) v[0-9.]+_\\d{8}T\\d{6}Z$", "$1")).toList());
                assertTrue(ran.get(1).matches("after v1\\.0\\.0 v1\\.0\\.0_\\d{8}T\\d{6}Z"), ran.toString());
                assertEquals(1, hooks.count("hook", "before-deploy-hook failed"), hooks.webhooks().toString());
                assertEquals(1, hooks.count("hook", "after-deploy-hook succeeded for v1.2.0"), hooks.webhooks().toString());
                assertEquals(1, hooks.count("hook", "before-deploy-hook succeeded for v1.4.0"), hooks.webhooks().toString());
            }
        }
    }

    @Test
    void registryErrorsBackOffKeepTheAppRunningAndAreNotifiedOnce() throws Exception {
        int port = StarterIT.freePort();
        DeployFixtures.earlierRun(workdir());
        try (FakeGitHub gh = new FakeGitHub().start(); NotifyReceiver hooks = new NotifyReceiver()) {
            publish(gh, "v1.0.0", ReleaseFixtures.appTarGz("v1.0.0"));
            gh.fail(503, 4);
            try (Dewy dewy = start(gh.env(null), args(gh.registryUrl(), port, "--notifier", hooks.webhook()))) {
                awaitServing(port, "v1.0.0", dewy);
                long pid = pid(get(port));
                hooks.awaitEvent("error", "503", Duration.ofSeconds(10));
                dewy.awaitLog("msg=\"registry reachable again\"", 1, Duration.ofSeconds(30));
                assertEquals(1, hooks.count("error", "503"), "one notification for 4 failed checks: " + hooks.webhooks());
                assertTrue(dewy.countLog("msg=\"registry check failed; the running version keeps serving\"") >= 4);
                assertTrue(dewy.log().contains("next_check=600ms") && dewy.log().contains("next_check=4.8s"),
                        "the interval doubles: " + dewy.log());
                assertEquals(0, gh.downloads(ARTIFACT), "v1.0.0 is current: nothing to download");

                gh.rateLimit(3, System.currentTimeMillis() / 1000 + 2);
                hooks.awaitEvent("error", "rate limit", Duration.ofSeconds(10));
                dewy.awaitLog("msg=\"registry reachable again\"", 2, Duration.ofSeconds(30));
                assertEquals(1, hooks.count("error", "rate limit"), hooks.webhooks().toString());
                assertEquals(pid, pid(get(port)), "the application ran on throughout");

                publish(gh, "v1.1.0", ReleaseFixtures.appTarGz("v1.1.0"));
                awaitServing(port, "v1.1.0", dewy);
            }
        }
    }

    /**
     * A release list page of 31 MiB from GitHub (under the old 32 MiB bound, which read it whole into dewy's 64 MiB
     * heap) is refused as it arrives, notified once, and the application serves on; once pages are normal again the
     * next release deploys: the scheduler thread lived through it.
     */
    @Test
    void aHugeReleaseListPageIsRefusedAsItArrivesAndDeploysGoOn() throws Exception {
        int port = StarterIT.freePort();
        DeployFixtures.earlierRun(workdir());
        try (FakeGitHub gh = new FakeGitHub().start(); NotifyReceiver hooks = new NotifyReceiver()) {
            publish(gh, "v1.0.0", ReleaseFixtures.appTarGz("v1.0.0"));
            gh.bigListPages(31L << 20, true);
            try (Dewy dewy = start(gh.env(null), args(gh.registryUrl(), port, "--notifier", hooks.webhook()))) {
                awaitServing(port, "v1.0.0", dewy);
                long pid = pid(get(port));
                hooks.awaitEvent("error", "exceeds the size limit", Duration.ofSeconds(20));
                dewy.awaitLog("msg=\"registry check failed; the running version keeps serving\"", 2,
                        Duration.ofSeconds(20));
                gh.bigListPages(0, false);
                publish(gh, "v1.1.0", ReleaseFixtures.appTarGz("v1.1.0"));
                awaitServing(port, "v1.1.0", dewy);
                assertEquals(1, hooks.count("error", "exceeds the size limit"), hooks.webhooks().toString());
                assertTrue(pid != pid(get(port)));
                assertFalse(dewy.log().contains("OutOfMemoryError"), dewy.log());
            }
        }
    }

    @Test
    void aRegistryThatIsDownIsNotifiedOnceAndTheAppServes() throws Exception {
        int port = StarterIT.freePort();
        DeployFixtures.earlierRun(workdir());
        try (NotifyReceiver hooks = new NotifyReceiver()) {
            Map<String, String> env = Map.of("GITHUB_API_URL", "http://127.0.0.1:" + StarterIT.freePort());
            try (Dewy dewy = start(env, args("ghr://o/r", port, "--notifier", hooks.webhook()))) {
                awaitServing(port, "v1.0.0", dewy);
                dewy.awaitLog("msg=\"registry check failed; the running version keeps serving\"", 3,
                        Duration.ofSeconds(20));
                assertEquals(1, hooks.events("error").size(), hooks.webhooks().toString());
                assertTrue(dewy.log().contains("transient=true"), dewy.log());
                dewy.signal(Signals.SIGTERM);
                assertEquals(0, dewy.awaitExit(Duration.ofSeconds(20)));
            }
        }
    }

    @Test
    void termDuringADownloadAbandonsItCleanly() throws Exception {
        int port = StarterIT.freePort();
        try (FakeGitHub gh = new FakeGitHub().start(); NotifyReceiver hooks = new NotifyReceiver()) {
            publish(gh, "v1.0.0", ReleaseFixtures.appTarGz("v1.0.0"));
            try (Dewy dewy = start(gh.env(null), args(gh.registryUrl(), port, "--notifier", hooks.webhook()))) {
                awaitServing(port, "v1.0.0", dewy);
                gh.stall(ARTIFACT);
                publish(gh, "v1.1.0", ReleaseFixtures.appTarGz("v1.1.0"));
                dewy.awaitLog("msg=\"new release\" version=v1.1.0 ", 1, Duration.ofSeconds(10));
                Dewy.sleep(300); // inside the stalled body
                long t0 = System.nanoTime();
                dewy.signal(Signals.SIGTERM);
                assertEquals(0, dewy.awaitExit(Duration.ofSeconds(10)));
                assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(6).toNanos(), "the download held up the exit");
                assertEquals("v1.0.0", currentTag());
                assertTrue(releaseDirs().stream().allMatch(d -> d.startsWith("v1.0.0_")), releaseDirs().toString());
                try (Stream<Path> all = Files.walk(workdir())) {
                    List<String> partial = all.map(Path::toString)
                            .filter(p -> p.endsWith(".part") || p.contains(".staging-")).toList();
                    assertEquals(List.of(), partial, "an abandoned download left files");
                }
                assertEquals(1, hooks.count("stopping", "Stop receiving by `SIGTERM` signal"));
            }
        }
    }

    @Test
    void aFileRegistryDeploysRefusesAndRollsBackTheSameWay() throws Exception {
        int port = StarterIT.freePort();
        Path dir = tmp.resolve("registry");
        Files.createDirectories(dir);
        try (NotifyReceiver hooks = new NotifyReceiver()) {
            try (Dewy dewy = start(Map.of(), args("file://" + dir, port, "--notifier", hooks.webhook(),
                    "--require-checksum"))) {
                dewy.awaitLog("msg=\"no release yet: the application starts after the first deploy\"", 1,
                        Duration.ofSeconds(10));
                publishFile(dir, "v1.0.0", ReleaseFixtures.appTarGz("v1.0.0"), true);
                awaitServing(port, "v1.0.0", dewy);

                HttpLoad load = HttpLoad.to(Target.tcp("127.0.0.1", port)).keepAlive(2).oneShot(1)
                        .deadline(Duration.ofSeconds(60)).maxRequests(2_000_000).start();
                try {
                    Dewy.await("load running", Duration.ofSeconds(10), () -> load.snapshot().ok() > 50);
                    publishFile(dir, "v1.1.0", ReleaseFixtures.appTarGz("v1.1.0"), true);
                    awaitServing(port, "v1.1.0", dewy);
                    Dewy.await("v1.1.0's shipping report in its directory", Duration.ofSeconds(10), () -> {
                        try (Stream<Path> files = Files.list(dir.resolve("v1.1.0"))) {
                            return files.anyMatch(f -> f.getFileName().toString().startsWith("shipped_to_"));
                        } catch (IOException e) {
                            return false;
                        }
                    });
                    long after = pid(get(port));
                    Dewy.await("requests served by v1.1.0", Duration.ofSeconds(10),
                            () -> load.snapshot().pids().contains(after));
                } finally {
                    HttpLoad.Result result = load.stop();
                    assertEquals(0, result.failed(), "failed requests across the deploy: " + result);
                }
                long pid = pid(get(port));

                publishFile(dir, "v1.2.0", ReleaseFixtures.appTarGz("v1.2.0"), false); // no checksum
                hooks.awaitEvent("error", "v1.2.0", Duration.ofSeconds(15));
                assertTrue(hooks.count("error", "--require-checksum") == 1, hooks.webhooks().toString());

                Path hidden = dir.resolve(".v1.3.0"); // checksums of one artifact, next to another
                Files.createDirectories(hidden);
                Files.write(hidden.resolve(ARTIFACT), ReleaseFixtures.appTarGz("v1.3.0-tampered"));
                Files.write(hidden.resolve("checksums.txt"),
                        ReleaseFixtures.checksums(Map.of(ARTIFACT, ReleaseFixtures.appTarGz("v1.3.0"))));
                Files.move(hidden, dir.resolve("v1.3.0"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                hooks.awaitEvent("error", "v1.3.0", Duration.ofSeconds(15));
                assertTrue(hooks.count("error", "checksum mismatch") == 1, hooks.webhooks().toString());

                publishFile(dir, "v1.4.0", ReleaseFixtures.zipSlip(), true, ARTIFACT.replace(".tar.gz", ".zip"));
                hooks.awaitEvent("error", "v1.4.0", Duration.ofSeconds(15));

                publishFile(dir, "v1.5.0", ReleaseFixtures.appTarGz("v1.5.0", "--crash-on-start"), true);
                hooks.awaitEvent("rollback", "v1.5.0 rolled back to v1.1.0", Duration.ofSeconds(20));
                assertEquals("v1.1.0", currentTag());
                assertEquals(pid, pid(get(port)), "v1.1.0's generation served throughout");

                publishFile(dir, "v1.6.0", ReleaseFixtures.appTarGz("v1.6.0"), true);
                awaitServing(port, "v1.6.0", dewy);
            }
        }
    }

    /**
     * Input that once killed dewy's threads, against the real dewy as PID 1 with the launcher's 64 MiB heap: a 28 MB
     * zip of 300,000 entries (inside every size limit; listing it once needed about 140 MiB) is refused in one line
     * and notified, the running generation serves on, and the next good release deploys, so the scheduler went on.
     * Meanwhile Slack accepts connections and never answers (5 s per post until the timeout): every webhook still
     * comes at once, because each notifier has its own queue.
     */
    @Test
    void aZipOf300000EntriesIsRefusedDeploysGoOnAndAStalledSlackDelaysNoWebhook() throws Exception {
        int port = StarterIT.freePort();
        Path dir = tmp.resolve("registry");
        Files.createDirectories(dir);
        List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (NotifyReceiver hooks = new NotifyReceiver();
                java.net.ServerSocket stalled = new java.net.ServerSocket(0, 50,
                        java.net.InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(stalled.accept()); // read nothing, answer nothing
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "stalled-slack");
            acceptor.setDaemon(true);
            acceptor.start();
            Map<String, String> env = Map.of("SLACK_TOKEN", "xoxb-stalled", "SLACK_API_URL",
                    "http://127.0.0.1:" + stalled.getLocalPort() + "/api");
            try (Dewy dewy = start(env, args("file://" + dir, port, "--notifier", "slack://deploys",
                    "--notifier", hooks.webhook()))) {
                publishFile(dir, "v1.0.0", ReleaseFixtures.appTarGz("v1.0.0"), true);
                awaitServing(port, "v1.0.0", dewy);
                for (int i = 1; i <= 5; i++) {
                    dewy.signal(Signals.SIGUSR1);
                    dewy.awaitLog("Restarted receiving by `SIGUSR1` signal", i, Duration.ofSeconds(20));
                }
                // behind a stalled Slack, one queue would hold these 5 (and v1.0.0's 3 before them) 5 s each
                long t0 = System.nanoTime();
                Dewy.await("5 restarts' webhooks while Slack stalls; got " + hooks.webhooks(), Duration.ofSeconds(8),
                        () -> hooks.events("server-restarted").size() == 5);
                System.out.println("DeployIT: the 5th restart's webhook came "
                        + (System.nanoTime() - t0) / 1_000_000 + " ms after its log line; Slack connections held: "
                        + held.size());
                assertFalse(held.isEmpty(), "dewy tried Slack");
                Dewy.await("the last restart's old generation gone", Duration.ofSeconds(20),
                        () -> dewy.children().size() == 1);
                long pid = pid(get(port));

                Path zip = RawZip.write(tmp.resolve("many.zip"), 300_000, i -> "f/" + i, false);
                publishFile(dir, "v1.1.0", Files.readAllBytes(zip), true, ARTIFACT.replace(".tar.gz", ".zip"));
                hooks.awaitEvent("error", "v1.1.0", Duration.ofSeconds(30));
                assertEquals(1, hooks.count("error", "300000"), hooks.webhooks().toString());
                assertEquals(pid, pid(get(port)), "the running generation served throughout");
                assertEquals("v1.0.0", currentTag());

                publishFile(dir, "v1.2.0", ReleaseFixtures.appTarGz("v1.2.0"), true);
                awaitServing(port, "v1.2.0", dewy);
                assertFalse(dewy.log().contains("OutOfMemoryError"), dewy.log());
                assertTrue(dewy.alive());
            }
        } finally {
            for (java.net.Socket s : held) {
                s.close();
            }
        }
    }

    /**
     * {@code --slot blue --calver YYYY.0M.0D.MICRO} (Go dewy's blue/green by tag, calendar versions): only blue's
     * tags deploy, the newest by date; a newer green tag changes nothing, the next blue one deploys.
     */
    @Test
    void aSlotDeploysOnlyItsOwnCalVerTags() throws Exception {
        int port = StarterIT.freePort();
        Path dir = tmp.resolve("registry");
        Files.createDirectories(dir);
        try (Dewy dewy = start(Map.of(), args("file://" + dir, port, "--slot", "blue", "--calver",
                "YYYY.0M.0D.MICRO", "--log-level", "debug"))) {
            publishFile(dir, "2026.12.01.0+green", ReleaseFixtures.appTarGz("2026.12.01.0+green"), true);
            publishFile(dir, "v9.9.9+blue", ReleaseFixtures.appTarGz("v9.9.9+blue"), true); // SemVer, not CalVer
            publishFile(dir, "2026.11.30.4+blue", ReleaseFixtures.appTarGz("2026.11.30.4+blue"), true);
            publishFile(dir, "2026.12.01.1+blue", ReleaseFixtures.appTarGz("2026.12.01.1+blue"), true);
            awaitServing(port, "2026.12.01.1+blue", dewy);
            long pid = pid(get(port));
            publishFile(dir, "2026.12.02.0+green", ReleaseFixtures.appTarGz("2026.12.02.0+green"), true);
            int checks = dewy.countLog("msg=\"up to date\"");
            dewy.awaitLog("msg=\"up to date\"", checks + 3, Duration.ofSeconds(20)); // green's tag seen, and left
            assertEquals("2026.12.01.1+blue", currentTag());
            assertEquals(pid, pid(get(port)), "no restart for another slot's tag");
            publishFile(dir, "2026.12.02.1+blue", ReleaseFixtures.appTarGz("2026.12.02.1+blue"), true);
            awaitServing(port, "2026.12.02.1+blue", dewy);
            assertEquals("2026.12.02.1+blue", currentTag());
            assertFalse(dewy.log().contains("version=2026.12.01.0+green") || dewy.log().contains("v9.9.9"),
                    "green's and SemVer tags never deployed:\n" + dewy.log());
        }
    }

    /**
     * Slack's {@code thread=true}: each deploy's first message goes to the channel and the rest of that deploy into
     * its thread, a rollback broadcast to the channel too; {@code quiet=true} drops the start, download, stop and
     * successful-hook messages. Against the local Slack stand-in, which answers each post with a ts of its own.
     */
    @Test
    void slackThreadsEachDeployAndQuietDropsTheRoutine() throws Exception {
        int port = StarterIT.freePort();
        Path dir = tmp.resolve("registry");
        Files.createDirectories(dir);
        try (NotifyReceiver hooks = new NotifyReceiver()) {
            Map<String, String> env = Map.of("SLACK_TOKEN", SLACK_TOKEN, "SLACK_API_URL", hooks.slackApi());
            try (Dewy dewy = start(env, args("file://" + dir, port, "--notifier", "slack://deploys?thread=true",
                    "--notifier", "slack://quiet?quiet=true", "--after-deploy-hook", "true"))) {
                publishFile(dir, "v1.0.0", ReleaseFixtures.appTarGz("v1.0.0"), true);
                awaitServing(port, "v1.0.0", dewy);
                publishFile(dir, "v1.1.0", ReleaseFixtures.appTarGz("v1.1.0"), true);
                awaitServing(port, "v1.1.0", dewy);
                publishFile(dir, "v1.2.0", ReleaseFixtures.appTarGz("v1.2.0", "--crash-on-start"), true);
                Dewy.await("the rollback in both channels", Duration.ofSeconds(30), () -> hooks.slack().stream()
                        .filter(p -> p.message().startsWith("v1.2.0 rolled back to v1.1.0")).count() == 2);
                dewy.signal(Signals.SIGTERM);
                assertEquals(0, dewy.awaitExit(Duration.ofSeconds(20)));
            }
            List<NotifyReceiver.Post> threaded = hooks.slack().stream().filter(p -> p.channel().equals("deploys"))
                    .toList();
            NotifyReceiver.Post downloaded = only(threaded, "Downloaded artifact for `v1.1.0`");
            assertNull(downloaded.threadTs(), "a deploy's first message goes to the channel");
            for (String later : List.of("after-deploy-hook succeeded for v1.1.0", "Server restarted for `v1.1.0` (deploy")) {
                assertEquals(downloaded.ts(), only(threaded, later).threadTs(), later + " in v1.1.0's thread");
            }
            NotifyReceiver.Post next = only(threaded, "Downloaded artifact for `v1.2.0`");
            assertNull(next.threadTs(), "each deploy its own thread");
            NotifyReceiver.Post rollback = only(threaded, "v1.2.0 rolled back to v1.1.0");
            assertEquals(next.ts(), rollback.threadTs());
            assertTrue(rollback.body().get("reply_broadcast").getAsBoolean(), "the error reaches the channel too");
            assertNull(only(threaded, "Stop receiving by `SIGTERM` signal").threadTs());
            assertNull(only(threaded, "Automatic shipping started by *Dewy*").threadTs());

            List<String> quiet = hooks.slack().stream().filter(p -> p.channel().equals("quiet"))
                    .map(NotifyReceiver.Post::message).toList();
            for (String dropped : List.of("Automatic shipping", "Downloaded artifact", "Stop receiving",
                    "after-deploy-hook succeeded")) {
                assertTrue(quiet.stream().noneMatch(m -> m.startsWith(dropped)), dropped + " in " + quiet);
            }
            for (String kept : List.of("Server started for `v1.0.0`", "Server restarted for `v1.1.0` (deploy",
                    "v1.2.0 rolled back to v1.1.0")) {
                assertTrue(quiet.stream().anyMatch(m -> m.startsWith(kept)), kept + " not in " + quiet);
            }
            assertTrue(quiet.stream().allMatch(m -> !m.isEmpty())
                    && hooks.slack().stream().filter(p -> p.channel().equals("quiet")).allMatch(p -> p.threadTs() == null),
                    "quiet alone threads nothing");
        }
    }

    /** The one post whose message starts with {@code text}. */
    private static NotifyReceiver.Post only(List<NotifyReceiver.Post> posts, String text) {
        List<NotifyReceiver.Post> found = posts.stream().filter(p -> p.message().startsWith(text)).toList();
        assertEquals(1, found.size(), "\"" + text + "\" in " + posts.stream().map(NotifyReceiver.Post::message).toList());
        return found.get(0);
    }

    @Test
    void withoutPortADeployStopsThenStartsAndAFailedReleaseBringsTheOldOneBack() throws Exception {
        int port = StarterIT.freePort();
        Path dir = tmp.resolve("registry");
        Files.createDirectories(dir);
        String bind = "127.0.0.1:" + port;
        publishFile(dir, "v1.0.0", ReleaseFixtures.appTarGz("v1.0.0", "--bind", bind), true);
        List<String> args = new ArrayList<>(List.of("--registry", "file://" + dir, "-i", "300ms", "--workdir",
                workdir().toString(), "--ready", "notify", "--ready-timeout", "5s", "--", workdir().resolve("current/app")
                        .toString()));
        try (Dewy dewy = start(Map.of(), args)) {
            awaitServing(port, "v1.0.0", dewy);
            publishFile(dir, "v1.1.0", ReleaseFixtures.appTarGz("v1.1.0", "--bind", bind), true);
            awaitServing(port, "v1.1.0", dewy);
            assertTrue(dewy.log().indexOf("msg=\"generation exited\" generation=1 ")
                    < dewy.log().indexOf("msg=started generation=2 "), "no sockets: the old one stops first");
            long pid = pid(get(port));

            publishFile(dir, "v1.2.0", ReleaseFixtures.appTarGz("v1.2.0", "--bind", bind, "--crash-on-start"), true);
            dewy.awaitLog("msg=\"deployed release failed; rolling back\"", 1, Duration.ofSeconds(20));
            awaitServing(port, "v1.1.0", dewy);
            assertEquals("v1.1.0", currentTag());
            assertTrue(pid != pid(get(port)), "v1.1.0 started again, as a new process");
            dewy.awaitLog("reason=rollback", 1, Duration.ofSeconds(5));
            assertTrue(dewy.alive(), "--restart never does not end dewy on a failed deploy");
        }
    }

    @Test
    void notifiersWithoutARegistryTellEveryRestartAndNeverChangeTheExitStatus() throws Exception {
        int port = StarterIT.freePort();
        try (NotifyReceiver hooks = new NotifyReceiver()) {
            String dead = "webhook+http://127.0.0.1:" + StarterIT.freePort() + "/nobody";
            try (Dewy dewy = start(Map.of(), List.of("--port", "127.0.0.1:" + port, "--ready", "notify",
                    "--notifier", dead, "--notifier", hooks.webhook(), "--", "python3",
                    ReleaseFixtures.PYTHON_APP.toString()))) {
                hooks.awaitEvent("server-started", "Server started (generation 1, pid ", Duration.ofSeconds(20));
                dewy.signal(Signals.SIGUSR1);
                hooks.awaitEvent("server-restarted", "Restarted receiving by `SIGUSR1` signal (generation 2, ",
                        Duration.ofSeconds(20));
                dewy.awaitLog("msg=\"generation exited\" generation=1 ", 1, Duration.ofSeconds(20));
                Dewy.kill(dewy.app(), Signals.SIGKILL); // the host's pid of generation 2
                hooks.awaitEvent("server-restarted", "Server restarted (crash, generation 3, ", Duration.ofSeconds(20));
                dewy.signal(Signals.SIGTERM);
                assertEquals(0, dewy.awaitExit(Duration.ofSeconds(20)), "the application's status, not the notifier's");
                List<String> kinds = hooks.webhooks().stream().map(NotifyReceiver.Post::event).toList();
                assertEquals(List.of("started", "server-started", "server-restarted", "server-restarted", "stopping"),
                        kinds);
                assertTrue(hooks.webhooks().get(0).message().startsWith("Automatic shipping started by *Dewy* (v"), hooks.webhooks().toString());
                assertTrue(hooks.webhooks().stream().allMatch(p -> p.body().get("version").isJsonNull()),
                        "no registry, no version: " + hooks.webhooks());
                assertTrue(dewy.log().contains("msg=\"notifier failed\""), "the dead webhook is logged");
            }
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {
        "--registry ghr://only-owner", "--registry ftp://x/y", "--registry ghr://o/r?colour=red",
        "--notifier slack://deploys", "--notifier foo://bar", "--registry file:///tmp --workdir /proc/self/nope",
        "--registry ghr://o/r -i 0", "--after-deploy-hook true", "--slot blue", "--registry file:///tmp --slot a+b",
        "--registry file:///tmp --calver yyyy", "--registry file:///tmp?calver=YYYY.MICRO --calver YYYY.0M.MICRO",
        "--registry gs:///app", "--registry gs://Bad_Bucket/app", "--registry gs://releases/app?region=x"})
    void badDeployFlagsAreOneLineUsageErrorsBeforeTheApplicationStarts(String flags) throws Exception {
        List<String> args = new ArrayList<>(List.of(flags.split(" ")));
        args.addAll(List.of("--", "touch", tmp.resolve("started").toString()));
        try (Dewy dewy = start(Map.of(), args)) {
            assertEquals(2, dewy.awaitExit(Duration.ofSeconds(20)));
            List<String> err = dewy.log().lines().toList();
            assertEquals(1, err.size(), "one line: " + err);
            assertTrue(err.get(0).startsWith("dewy: --"), err.get(0));
            assertFalse(Files.exists(tmp.resolve("started")), "the application must not start");
        }
    }
}
