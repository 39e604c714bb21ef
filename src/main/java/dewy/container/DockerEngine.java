package dewy.container;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Docker Engine API ({@link EngineApi#VERSION}) over DOCKER_HOST's unix socket. Every replica runs with the
 * host's network ({@code NetworkMode: host}): dewy never makes a network. Errors are one line with the engine's
 * own message.
 */
final class DockerEngine implements Engine {
    private final EngineApi api;
    private final String registryAuth; // X-Registry-Auth for pulls, or null

    DockerEngine(EngineApi api, String registryAuth) {
        this.api = api;
        this.registryAuth = registryAuth;
    }

    /**
     * DOCKER_HOST ({@code unix://PATH}) or {@code /var/run/docker.sock}; DOCKER_USERNAME and DOCKER_PASSWORD (or
     * GITHUB_TOKEN for ghcr.io) become the pull's credentials, as for the registry's tag list.
     *
     * @throws IllegalArgumentException one line, for a DOCKER_HOST that is not a unix socket
     */
    static DockerEngine fromEnv(Map<String, String> env, String registryHost) {
        String host = env.getOrDefault("DOCKER_HOST", "unix:///var/run/docker.sock");
        if (!host.startsWith("unix://")) {
            throw new IllegalArgumentException("DOCKER_HOST=" + host + ": only a unix:// socket is supported");
        }
        String user = env.get("DOCKER_USERNAME");
        String password = env.getOrDefault("DOCKER_PASSWORD", "");
        if ((user == null || user.isEmpty()) && registryHost.contains("ghcr.io") && env.get("GITHUB_TOKEN") != null) {
            user = "token";
            password = env.get("GITHUB_TOKEN");
        }
        String auth = null;
        if (user != null && !user.isEmpty()) {
            JsonObject a = new JsonObject();
            a.addProperty("username", user);
            a.addProperty("password", password);
            a.addProperty("serveraddress", registryHost);
            auth = Base64.getUrlEncoder().encodeToString(a.toString().getBytes(StandardCharsets.UTF_8));
        }
        return new DockerEngine(new EngineApi(Path.of(host.substring("unix://".length()))), auth);
    }

    @Override
    public void pull(String reference) throws IOException {
        int at = reference.lastIndexOf('@');
        String query = "?fromImage=" + enc(reference.substring(0, at)) + "&tag=" + enc(reference.substring(at + 1));
        EngineApi.Response r = api.call("POST", "/images/create" + query, null,
                registryAuth == null ? Map.of() : Map.of("X-Registry-Auth", registryAuth));
        ok(r, "pulling " + reference);
        // A failed pull still answers 200: the error is the last message of the progress stream.
        for (String line : r.body().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonElement e = JsonParser.parseString(line);
            if (e.isJsonObject() && e.getAsJsonObject().has("error")) {
                throw new IOException("engine: pulling " + reference + ": " + e.getAsJsonObject().get("error")
                        .getAsString());
            }
        }
    }

    @Override
    public String create(Spec spec) throws IOException {
        JsonObject c = new JsonObject();
        c.addProperty("Image", spec.image());
        c.add("Env", strings(spec.env()));
        JsonObject labels = new JsonObject();
        spec.labels().forEach(labels::addProperty);
        c.add("Labels", labels);
        if (!spec.command().isEmpty()) {
            c.add("Cmd", strings(spec.command()));
        }
        RunOptions o = spec.options();
        if (o.entrypoint() != null) {
            c.add("Entrypoint", strings(List.of(o.entrypoint())));
        }
        if (o.user() != null) {
            c.addProperty("User", o.user());
        }
        if (o.workdir() != null) {
            c.addProperty("WorkingDir", o.workdir());
        }
        JsonObject host = new JsonObject();
        host.addProperty("NetworkMode", "host");
        List<String> binds = new ArrayList<>();
        JsonObject anonymous = new JsonObject();
        for (String v : o.volumes()) {
            if (v.contains(":")) {
                binds.add(v);
            } else {
                anonymous.add(v, new JsonObject());
            }
        }
        host.add("Binds", strings(binds));
        c.add("Volumes", anonymous);
        c.add("HostConfig", host);
        EngineApi.Response r = api.call("POST", "/containers/create?name=" + enc(spec.name()), c.toString(), Map.of());
        ok(r, "creating " + spec.name());
        return JsonParser.parseString(r.body()).getAsJsonObject().get("Id").getAsString();
    }

    @Override
    public void start(String id) throws IOException {
        ok(api.call("POST", "/containers/" + id + "/start", null, Map.of()), "starting " + shortId(id));
    }

    @Override
    public boolean running(String id) throws IOException {
        EngineApi.Response r = api.call("GET", "/containers/" + id + "/json", null, Map.of());
        if (r.status() == 404) {
            return false;
        }
        ok(r, "inspecting " + shortId(id));
        return JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("State").get("Running")
                .getAsBoolean();
    }

    @Override
    public void stop(String id, Duration timeout) throws IOException {
        EngineApi.Response r = api.call("POST", "/containers/" + id + "/stop?t=" + Math.max(0, timeout.toSeconds()),
                null, Map.of());
        if (r.status() != 304 && r.status() != 404) { // 304: already stopped
            ok(r, "stopping " + shortId(id));
        }
    }

    @Override
    public void remove(String id) throws IOException {
        EngineApi.Response r = api.call("DELETE", "/containers/" + id + "?force=true&v=true", null, Map.of());
        if (r.status() != 404) {
            ok(r, "removing " + shortId(id));
        }
    }

    @Override
    public List<Listed> list(Map<String, String> labels) throws IOException {
        JsonArray wanted = new JsonArray();
        labels.forEach((k, v) -> wanted.add(k + "=" + v));
        JsonObject filters = new JsonObject();
        filters.add("label", wanted);
        EngineApi.Response r = api.call("GET", "/containers/json?all=true&filters=" + enc(filters.toString()), null,
                Map.of());
        ok(r, "listing containers");
        List<Listed> out = new ArrayList<>();
        for (JsonElement e : JsonParser.parseString(r.body()).getAsJsonArray()) {
            JsonObject c = e.getAsJsonObject();
            Map<String, String> l = new LinkedHashMap<>();
            if (c.get("Labels").isJsonObject()) {
                c.getAsJsonObject("Labels").entrySet().forEach(x -> l.put(x.getKey(), x.getValue().getAsString()));
            }
            JsonArray names = c.getAsJsonArray("Names");
            String name = names == null || names.isEmpty() ? "" : names.get(0).getAsString().replaceFirst("^/", "");
            out.add(new Listed(c.get("Id").getAsString(), name, l));
        }
        return out;
    }

    private void ok(EngineApi.Response r, String what) throws IOException {
        if (!r.ok()) {
            String message = r.body().strip();
            try {
                JsonElement e = JsonParser.parseString(message);
                if (e.isJsonObject() && e.getAsJsonObject().has("message")) {
                    message = e.getAsJsonObject().get("message").getAsString();
                }
            } catch (RuntimeException notJson) {
                // the body as it came
            }
            throw new IOException("engine: " + what + ": " + message.replace('\n', ' ') + " (" + r.status() + ")");
        }
    }

    static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }

    private static JsonArray strings(List<String> values) {
        JsonArray a = new JsonArray();
        values.forEach(a::add);
        return a;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
