package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dewy.deploy.ImageRegistry;
import dewy.deploy.RegistryException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * img:// against Debian's docker-registry (the distribution project's registry) on 127.0.0.1, with images the
 * engine builds here ({@code docker import} of a one-file tarball) and pushes to it.
 */
class ImageRegistryIT {
    @TempDir
    Path tmp;
    private LocalRegistry registry;

    @AfterEach
    void stop() throws InterruptedException {
        if (registry != null) {
            registry.close();
        }
    }

    private int startRegistry(Path storage, String auth) throws Exception {
        registry = LocalRegistry.start(tmp, storage, auth);
        return registry.port();
    }

    /** Builds a one-file image for each tag and pushes it; returns the digest the engine recorded for the last. */
    private String push(int port, String repo, String... tags) throws Exception {
        String digest = null;
        for (String tag : tags) {
            Path dir = Files.createDirectories(tmp.resolve("img-" + tag));
            Files.writeString(dir.resolve("version"), tag + "\n");
            String ref = "127.0.0.1:" + port + "/" + repo + ":" + tag;
            sh("tar -C " + dir + " -c version | docker import - " + ref);
            sh("docker push -q " + ref);
            digest = sh("docker image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' " + ref).lines()
                    .filter(l -> l.startsWith("127.0.0.1:" + port + "/" + repo + "@")).findFirst().orElseThrow()
                    .replaceAll(".*@", "");
            sh("docker image rm -f " + ref);
        }
        return digest;
    }

    private static String sh(String command) throws Exception {
        return LocalRegistry.sh(command);
    }

    @Test
    void theNewestSemVerAndItsDigestPreReleasesOnlyWhenAskedAndOneLineErrors() throws Exception {
        Path storage = Files.createDirectories(tmp.resolve("storage"));
        int port = startRegistry(storage, "");
        push(port, "team/app", "v1.2.0", "latest", "v2.0.0-rc.1", "not-a-version");
        String newest = push(port, "team/app", "v1.10.0");

        ImageRegistry reg = ImageRegistry.parse("img://127.0.0.1:" + port + "/team/app", Map.of(), null, null);
        ImageRegistry.Image image = reg.latest();
        assertEquals("v1.10.0", image.tag(), "SemVer order, not text order; latest and junk ignored");
        assertEquals(newest, image.digest(), "the digest the engine pushed");
        assertEquals("127.0.0.1:" + port + "/team/app@" + newest, image.pinned());

        ImageRegistry pre = ImageRegistry.parse("img://127.0.0.1:" + port + "/team/app?pre-release=true", Map.of(),
                null, null);
        assertEquals("v2.0.0-rc.1", pre.latest().tag());

        push(port, "team/none", "latest");
        assertNull(ImageRegistry.parse("img://127.0.0.1:" + port + "/team/none", Map.of(), null, null).latest());

        RegistryException missing = assertThrows(RegistryException.class,
                () -> ImageRegistry.parse("img://127.0.0.1:" + port + "/team/nothing", Map.of(), null, null).latest());
        assertTrue(missing.getMessage().contains("no repository team/nothing"), missing.getMessage());
        assertEquals(1, missing.getMessage().lines().count());
    }

    @Test
    void basicCredentialsFromTheEnvironment() throws Exception {
        Path storage = Files.createDirectories(tmp.resolve("storage"));
        int open = startRegistry(storage, "");
        push(open, "team/app", "v1.0.0");
        registry.close();
        Path htpasswd = tmp.resolve("htpasswd");
        sh("htpasswd -Bbn deployer s3cret > " + htpasswd);
        int port = startRegistry(storage, "auth:\n  htpasswd:\n    realm: dewy-test\n    path: " + htpasswd + "\n");
        String url = "img://127.0.0.1:" + port + "/team/app";

        RegistryException anonymous = assertThrows(RegistryException.class,
                () -> ImageRegistry.parse(url, Map.of(), null, null).latest());
        assertEquals("registry " + url + ": access denied (401; set DOCKER_USERNAME and DOCKER_PASSWORD)",
                anonymous.getMessage());
        RegistryException wrong = assertThrows(RegistryException.class, () -> ImageRegistry.parse(url,
                Map.of("DOCKER_USERNAME", "deployer", "DOCKER_PASSWORD", "wrong"), null, null).latest());
        assertEquals("registry " + url + ": access denied (401; check the credentials)", wrong.getMessage());
        assertTrue(!wrong.getMessage().contains("wrong"), "the password is never in a message");
        ImageRegistry.Image image = ImageRegistry.parse(url,
                Map.of("DOCKER_USERNAME", "deployer", "DOCKER_PASSWORD", "s3cret"), null, null).latest();
        assertEquals("v1.0.0", image.tag());
        assertTrue(image.digest().startsWith("sha256:"), image.digest());
    }

    /**
     * The bearer-token flow: the registry answers 401 with a Bearer challenge naming a token service (started here,
     * the registry's side is real: it verifies the JWT's RS256 signature and x5c chain against its root bundle).
     */
    @Test
    void aBearerChallengeIsAnsweredWithATokenFromTheRealm() throws Exception {
        Path storage = Files.createDirectories(tmp.resolve("storage"));
        int open = startRegistry(storage, "");
        String digest = push(open, "team/app", "v3.1.0");
        registry.close();

        sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + tmp.resolve("key.pem") + " -out "
                + tmp.resolve("cert.pem") + " -days 1 -subj /CN=dewy-test-issuer 2>/dev/null");
        TokenService tokens = new TokenService(tmp.resolve("key.pem"), tmp.resolve("cert.pem"), "deployer", "s3cret");
        try {
            int port = startRegistry(storage, "auth:\n  token:\n    realm: http://127.0.0.1:" + tokens.port()
                    + "/token\n    service: dewy-test\n    issuer: dewy-test-issuer\n    rootcertbundle: "
                    + tmp.resolve("cert.pem") + "\n");
            String url = "img://127.0.0.1:" + port + "/team/app";
            ImageRegistry.Image image = ImageRegistry.parse(url,
                    Map.of("DOCKER_USERNAME", "deployer", "DOCKER_PASSWORD", "s3cret"), null, null).latest();
            assertEquals("v3.1.0", image.tag());
            assertEquals(digest, image.digest());
            assertTrue(tokens.scopes().contains("repository:team/app:pull"), tokens.scopes().toString());

            RegistryException refused = assertThrows(RegistryException.class, () -> ImageRegistry.parse(url,
                    Map.of("DOCKER_USERNAME", "deployer", "DOCKER_PASSWORD", "nope"), null, null).latest());
            assertEquals("registry " + url + ": the token service refused the credentials (401)",
                    refused.getMessage());
        } finally {
            tokens.close();
        }
    }

    /** A token service as the distribution spec describes it: Basic in, a signed JWT with the asked scope out. */
    private static final class TokenService implements AutoCloseable {
        private final com.sun.net.httpserver.HttpServer server;
        private final java.util.List<String> scopes = new java.util.concurrent.CopyOnWriteArrayList<>();

        TokenService(Path keyPem, Path certPem, String user, String password) throws Exception {
            java.security.PrivateKey key = java.security.KeyFactory.getInstance("RSA").generatePrivate(
                    new java.security.spec.PKCS8EncodedKeySpec(pem(keyPem)));
            String x5c = java.util.Base64.getEncoder().encodeToString(pem(certPem));
            String expected = "Basic " + java.util.Base64.getEncoder()
                    .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
            server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/token", ex -> {
                String query = ex.getRequestURI().getQuery();
                String scope = "";
                for (String kv : query == null ? new String[0] : query.split("&")) {
                    if (kv.startsWith("scope=")) {
                        scope = java.net.URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8);
                    }
                }
                scopes.add(scope);
                byte[] body;
                int status;
                if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                    status = 401;
                    body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}".getBytes(StandardCharsets.UTF_8);
                } else {
                    String[] s = scope.split(":");
                    long now = System.currentTimeMillis() / 1000;
                    String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5c\":[\"" + x5c + "\"]}";
                    String claims = "{\"iss\":\"dewy-test-issuer\",\"sub\":\"" + user + "\",\"aud\":\"dewy-test\","
                            + "\"exp\":" + (now + 300) + ",\"nbf\":" + (now - 60) + ",\"iat\":" + now + ",\"jti\":\"" + now
                            + "\",\"access\":[{\"type\":\"" + s[0] + "\",\"name\":\"" + s[1] + "\",\"actions\":[\"pull\"]}]}";
                    String signing = b64(header.getBytes(StandardCharsets.UTF_8)) + "."
                            + b64(claims.getBytes(StandardCharsets.UTF_8));
                    try {
                        java.security.Signature rs256 = java.security.Signature.getInstance("SHA256withRSA");
                        rs256.initSign(key);
                        rs256.update(signing.getBytes(StandardCharsets.US_ASCII));
                        body = ("{\"token\":\"" + signing + "." + b64(rs256.sign()) + "\"}")
                                .getBytes(StandardCharsets.UTF_8);
                        status = 200;
                    } catch (java.security.GeneralSecurityException e) {
                        throw new IOException(e);
                    }
                }
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(status, body.length);
                ex.getResponseBody().write(body);
                ex.close();
            });
            server.start();
        }

        private static String b64(byte[] b) {
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        }

        private static byte[] pem(Path file) throws IOException {
            String text = Files.readString(file).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            return java.util.Base64.getDecoder().decode(text);
        }

        int port() {
            return server.getAddress().getPort();
        }

        java.util.List<String> scopes() {
            return scopes;
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
