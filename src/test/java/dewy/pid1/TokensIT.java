package dewy.pid1;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dewy.deploy.ReleaseFixtures;
import dewy.pid1.Dewy.Mode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GITHUB_TOKEN, GH_TOKEN, SLACK_TOKEN and MAIL_USERNAME, MAIL_PASSWORD, MAIL_FROM are dewy's (the registry, Slack,
 * mail): the application and its readiness checks do not get them unless --keep-tokens (or DEWY_KEEP_TOKENS) says
 * so; deploy hooks, the operator's machinery, always do. Seen in the hook's and the check's own `env` and in the application's /proc/PID/environ.
 */
class TokensIT {
    private static final Map<String, String> TOKENS = Map.of("GITHUB_TOKEN", "ghp-secret-1", "GH_TOKEN",
            "gho-secret-2", "SLACK_TOKEN", "xoxb-secret-3", "MAIL_USERNAME", "mail-user-4", "MAIL_PASSWORD",
            "mail-secret-5", "MAIL_FROM", "dewy@example.com");

    @TempDir
    Path tmp;

    /** The tokens and the probe variable among NAME=value lines, sorted. */
    private static List<String> ofInterest(List<String> env) {
        return env.stream().filter(e -> TOKENS.containsKey(e.substring(0, Math.max(0, e.indexOf('='))))
                || e.startsWith("DEWY_TEST_PROBE=")).sorted().toList();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"default", "--keep-tokens", "DEWY_KEEP_TOKENS"})
    void theApplicationAndItsChecksGetNoTokensUnlessKeptHooksAlways(String how) throws Exception {
        Path releases = Files.createDirectories(tmp.resolve("releases/v1.0.0"));
        Files.write(releases.resolve(ReleaseFixtures.ARTIFACT), ReleaseFixtures.appTarGz("v1.0.0"));
        Path work = tmp.resolve("work");
        Path hookEnv = tmp.resolve("hook.env");
        Path checkEnv = tmp.resolve("check.env");
        Map<String, String> env = new HashMap<>(TOKENS);
        env.put("DEWY_TEST_PROBE", "passed");
        List<String> args = new ArrayList<>(List.of("--registry", "file://" + releases.getParent(), "-i", "300ms",
                "--workdir", work.toString(), "--port", "127.0.0.1:" + StarterIT.freePort(),
                "--ready", "exec:env > " + checkEnv, "--before-deploy-hook", "env > " + hookEnv));
        if (how.equals("--keep-tokens")) {
            args.add("--keep-tokens");
        } else if (how.equals("DEWY_KEEP_TOKENS")) {
            env.put("DEWY_KEEP_TOKENS", "true");
        }
        args.addAll(List.of("--", work.resolve("current/app").toString()));
        try (Dewy dewy = Dewy.start(Mode.PID1, tmp, env, args.toArray(String[]::new))) {
            dewy.awaitLog("msg=\"generation ready\"", 1, Duration.ofSeconds(30));
            int app = dewy.app();
            List<String> appEnv = Arrays.asList(Dewy.read(Path.of("/proc", Integer.toString(app), "environ"))
                    .split("\0"));
            List<String> all = TOKENS.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
            List<String> expected = new ArrayList<>(how.equals("default") ? List.of() : all);
            expected.add("DEWY_TEST_PROBE=passed");
            expected.sort(null);
            assertEquals(expected, ofInterest(appEnv), "the application");
            assertEquals(expected, ofInterest(Dewy.lines(checkEnv)), "its readiness check");
            List<String> everything = new ArrayList<>(all);
            everything.add("DEWY_TEST_PROBE=passed");
            everything.sort(null);
            assertEquals(everything, ofInterest(Dewy.lines(hookEnv)), "the deploy hook");
        }
    }
}
