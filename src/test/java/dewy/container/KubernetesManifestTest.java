package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.cli.CommandLine;
import dewy.cli.Config;
import dewy.starter.ListenSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker/k8s/deployment.yaml agrees with dewy's flags in it, as dewy's own parser reads them: the probes hit dewy's
 * --admin port, the served port is dewy's --port, the pod's grace covers preStop + drain delay + grace period, and
 * dewy stays the ENTRYPOINT.
 */
class KubernetesManifestTest {
    /** The rolling-restart-free reload the manifest documents; ContainerSignalsIT runs it in a real container. */
    static final String RELOAD = "kill -USR1 1";
    static final Path MANIFEST = Path.of("docker/k8s/deployment.yaml");

    private static String text;
    private static Map<String, Object> pod;
    private static Map<String, Object> container;
    private static Config dewy;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void read() throws Exception {
        text = Files.readString(MANIFEST);
        Map<String, Object> deployment = new Yaml().load(text);
        assertEquals("Deployment", deployment.get("kind"));
        pod = (Map<String, Object>) get(deployment, "spec", "template", "spec");
        List<Object> containers = (List<Object>) pod.get("containers");
        assertEquals(1, containers.size());
        container = (Map<String, Object>) containers.get(0);
        dewy = CommandLine.parseServer(args(), Map.of());
    }

    @Test
    void dewyStaysTheEntrypointAndTheArgsAreItsFlagsThenTheCommand() {
        assertFalse(container.containsKey("command"), "command: would replace the image's ENTRYPOINT, dewy");
        assertEquals(List.of("java", "-XX:+UseSerialGC", "-jar", "/srv/app.jar"), dewy.command(),
                "the server of docker/Dockerfile");
        assertTrue(dewy.drainDelay().compareTo(Duration.ZERO) > 0, "a drain delay, for the endpoints to catch up");
    }

    @Test
    void probesHitDewysAdminEndpointsOnItsAdminPort() {
        int admin = dewy.admin().port();
        assertEquals("/readyz", get(container, "readinessProbe", "httpGet", "path"));
        assertEquals(admin, containerPort(get(container, "readinessProbe", "httpGet", "port")));
        assertEquals("/healthz", get(container, "livenessProbe", "httpGet", "path"));
        assertEquals(admin, containerPort(get(container, "livenessProbe", "httpGet", "port")));
        assertTrue(dewy.admin().host() == null || dewy.admin().host().equals("0.0.0.0"),
                "the kubelet probes the pod's IP, not its loopback: " + dewy.admin());
    }

    @Test
    void theServedPortIsTheSocketDewyHoldsOnFdZero() {
        assertEquals(1, dewy.ports().size());
        ListenSpec port = dewy.ports().get(0);
        assertEquals(containerPort("http"), port.port());
        assertEquals(0, port.fd(), "the Java server takes it from System.inheritedChannel()");
    }

    @Test
    void theGracePeriodCoversPreStopDrainDelayAndDewysGracePeriod() {
        List<?> preStop = (List<?>) get(container, "lifecycle", "preStop", "exec", "command");
        assertEquals("sleep", preStop.get(0));
        Duration needed = Duration.ofSeconds(Long.parseLong(preStop.get(1).toString())).plus(dewy.drainDelay())
                .plus(dewy.gracePeriod());
        Duration pods = Duration.ofSeconds(((Number) pod.get("terminationGracePeriodSeconds")).longValue());
        assertTrue(pods.compareTo(needed) > 0, pods + " must exceed " + needed + ", or the kubelet cuts the drain");
        assertTrue(text.contains(needed.toSeconds() + " s"), "the comment explains the sum: " + needed);
    }

    @Test
    void runsAsTheImagesUserAndDocumentsTheReload() {
        assertEquals(65532, get(pod, "securityContext", "runAsUser"));
        assertTrue(text.contains("kubectl exec deploy/hello -- " + RELOAD), "the reload command is documented");
    }

    // ---- helpers ----

    @SuppressWarnings("unchecked")
    private static List<String> args() {
        return ((List<Object>) container.get("args")).stream().map(Object::toString).toList();
    }

    /** A probe's port, by number or by the name of one of the container's ports. */
    private static int containerPort(Object port) {
        if (port instanceof Number n) {
            return n.intValue();
        }
        for (Object p : (List<?>) container.get("ports")) {
            if (port.equals(((Map<?, ?>) p).get("name"))) {
                return ((Number) ((Map<?, ?>) p).get("containerPort")).intValue();
            }
        }
        throw new AssertionError("no container port named " + port);
    }

    private static Object get(Object node, String... path) {
        Object o = node;
        for (String key : path) {
            assertTrue(o instanceof Map, "no " + key + " in " + o);
            o = ((Map<?, ?>) o).get(key);
        }
        assertTrue(o != null, "missing " + String.join(".", path));
        return o;
    }
}
