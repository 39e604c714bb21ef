package dewy.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.yaml.snakeyaml.Yaml;

/**
 * pom.xml (its Jib configuration and the image profile's), jib.yaml and docker/Dockerfile describe one image: the
 * same base, files, user and working directory, and dewy's own entrypoint (ImageEntrypoint, from dewy's constants),
 * so none of them can drift from the others or from target/dewy.
 */
class ImageConfigTest {
    private static Element pom;
    private static Element jib;
    private static Map<String, Object> yaml;
    private static List<String> dockerfile;

    @BeforeAll
    static void read() throws Exception {
        pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile())
                .getDocumentElement();
        jib = plugin(child(child(pom, "build"), "plugins"), "jib-maven-plugin");
        yaml = new Yaml().load(Files.readString(Path.of("jib.yaml")));
        dockerfile = Arrays.asList(Files.readString(Path.of("docker/Dockerfile")).replace("\\\n", " ").split("\n"));
    }

    @Test
    void thePomsImageRunsDewysEntrypointFromAJre() {
        Element config = child(jib, "configuration");
        assertEquals("eclipse-temurin:17-jre", text(config, "from", "image"));
        assertEquals(ImageEntrypoint.expected(false), pomValues(child(child(config, "container"), "entrypoint")));
        assertEquals(Map.of("target/dewy.jar", "/app/dewy.jar", "target/jffi", "/app/jffi"), pomFiles(config));
        assertEquals("$", text(pom, "properties", "dollar"), "the literal $ of the entrypoint's ${VAR}");
    }

    @Test
    void theImageProfileAddsOnlyTheArchiveWrittenByTheImagesOwnJvm() {
        Element profile = profile("image");
        assertEquals("env.DEWY_BASE_IMAGE", text(profile, "activation", "property", "name"));
        assertEquals("docker://${env.DEWY_BASE_IMAGE}", text(profile, "properties", "jib.from.image"));
        Element plugins = child(child(profile, "build"), "plugins");
        Element training = execution(plugin(plugins, "jib-maven-plugin"), "image-for-cds-training");
        assertNull(child(child(training, "configuration"), "container"), "trained with the default entrypoint");
        Element image = child(execution(plugin(plugins, "jib-maven-plugin"), "image"), "configuration");
        assertEquals(ImageEntrypoint.expected(true), pomValues(child(child(image, "container"), "entrypoint")));
        Element archive = child(child(child(image, "extraDirectories"), "paths"), "path");
        assertEquals("${project.build.directory}/image-cds", text(archive, "from"));
        assertEquals(ImageEntrypoint.INSTALL_DIR, text(archive, "into"));
        assertEquals("dewy.jsa,dewy.jsa.version", text(archive, "includes"));
        // the training run writes where that path reads, from the image the first execution built
        Element train = execution(plugin(plugins, "exec-maven-plugin"), "image-cds-archive");
        List<String> args = values(child(child(train, "configuration"), "arguments"));
        assertEquals(List.of("${project.basedir}/src/build/image-cds-train.sh", "${project.build.directory}/image-cds",
                text(training, "configuration", "to", "image")), args);
    }

    @Test
    void jibYamlIsThePomsImage() {
        Element config = child(jib, "configuration");
        Element container = child(config, "container");
        assertEquals(text(config, "from", "image"), ((Map<?, ?>) yaml.get("from")).get("image"));
        // the Jib CLI fills in ${NAME} from --parameter and takes $${ as a literal ${
        List<String> yamlEntrypoint = ((List<?>) yaml.get("entrypoint")).stream().map(String::valueOf)
                .map(w -> w.replace("$${", "${")).toList();
        assertEquals(pomValues(child(container, "entrypoint")), yamlEntrypoint);
        assertTrue(((List<?>) yaml.get("entrypoint")).stream().map(String::valueOf)
                .noneMatch(w -> w.replace("$${", "").contains("${")), "an unescaped ${ in jib.yaml");
        assertEquals(text(container, "user"), yaml.get("user"));
        assertEquals(text(container, "workingDirectory"), yaml.get("workingDirectory"));
        assertEquals(pomLabels(container), yaml.get("labels"));
        // what neither sets must stay unset in both
        for (String key : List.of("ports", "environment", "volumes", "args")) {
            assertNull(child(container, key), "pom sets " + key + ": add it to jib.yaml and to this test");
        }
        for (String key : List.of("exposedPorts", "environment", "volumes", "cmd")) {
            assertNull(yaml.get(key), "jib.yaml sets " + key + ": add it to the pom and to this test");
        }
        Map<String, String> files = new LinkedHashMap<>();
        for (Object entry : (List<?>) ((Map<?, ?>) yaml.get("layers")).get("entries")) {
            for (Object f : (List<?>) ((Map<?, ?>) entry).get("files")) {
                files.put((String) ((Map<?, ?>) f).get("src"), (String) ((Map<?, ?>) f).get("dest"));
            }
        }
        assertEquals(pomFiles(config), files);
    }

    @Test
    void theDockerfileRunsTheSameEntrypointAsThePomWithTheSameLayout() {
        String entrypoint = instruction("ENTRYPOINT");
        assertTrue(entrypoint.startsWith("[") && entrypoint.endsWith("]"), "exec form, or a shell would be PID 1");
        // a JSON array of plain strings: the strings, and nothing else but commas and spaces between them
        Matcher string = Pattern.compile("\"([^\"\\\\]*)\"").matcher(entrypoint);
        List<String> words = new ArrayList<>();
        while (string.find()) {
            words.add(string.group(1));
        }
        assertEquals("[]", string.replaceAll("").replaceAll("[\\s,]", ""), entrypoint);
        assertEquals(ImageEntrypoint.expected(false), words);
        Element container = child(child(jib, "configuration"), "container");
        assertEquals(text(container, "workingDirectory"), instruction("WORKDIR"));
        assertEquals(text(container, "user"), instruction("USER"));
        Map<String, String> copies = new LinkedHashMap<>();
        for (String line : dockerfile) {
            if (line.startsWith("COPY target/")) {
                String[] w = line.split("\\s+");
                copies.put(w[1].replaceAll("/$", ""), w[2].replaceAll("/$", ""));
            }
        }
        assertEquals(pomFiles(child(jib, "configuration")), copies);
    }

    /** docker/examples/spring-boot/Dockerfile: the same entrypoint, user and layout, with a Spring Boot app. */
    @Test
    void theSpringBootExampleDockerfileRunsTheSameEntrypoint() throws Exception {
        List<String> spring = Arrays.asList(Files.readString(Path.of("docker/examples/spring-boot/Dockerfile"))
                .replace("\\\n", " ").split("\n"));
        for (String keyword : List.of("ENTRYPOINT", "WORKDIR", "USER")) {
            assertEquals(dockerfile.stream().filter(l -> l.startsWith(keyword + " ")).toList(),
                    spring.stream().filter(l -> l.startsWith(keyword + " ")).toList(), keyword);
        }
        assertEquals(dockerfile.stream().filter(l -> l.startsWith("COPY target/")).toList(),
                spring.stream().filter(l -> l.startsWith("COPY target/")).toList());
    }

    // ---- reading the three files ----

    /** The pom's extra directories as source (relative to the project) to destination. */
    private static Map<String, String> pomFiles(Element config) {
        Element path = child(child(child(config, "extraDirectories"), "paths"), "path");
        assertEquals("${project.build.directory}", text(path, "from"));
        Map<String, String> files = new LinkedHashMap<>();
        for (String include : text(path, "includes").split(",")) {
            String name = include.replaceAll("/\\*\\*$", ""); // jffi/** is the directory jffi
            files.put("target/" + name, text(path, "into") + "/" + name);
        }
        return files;
    }

    private static Map<String, String> pomLabels(Element container) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (Element label : children(child(container, "labels"))) {
            labels.put(label.getTagName(), label.getTextContent().trim()
                    .replace("${project.description}", text(pom, "description")));
        }
        return labels;
    }

    private static String instruction(String name) {
        List<String> hits = dockerfile.stream().filter(l -> l.startsWith(name + " ")).toList();
        assertEquals(1, hits.size(), name + " should appear once");
        return hits.get(0).substring(name.length() + 1).trim().replaceAll("\\s+", " ");
    }

    private static Element profile(String id) {
        for (Element p : children(child(pom, "profiles"))) {
            if (id.equals(text(p, "id"))) {
                return p;
            }
        }
        throw new AssertionError("no profile " + id);
    }

    private static Element plugin(Element plugins, String artifactId) {
        for (Element p : children(plugins)) {
            if (artifactId.equals(text(p, "artifactId"))) {
                return p;
            }
        }
        throw new AssertionError("no plugin " + artifactId);
    }

    private static Element execution(Element plugin, String id) {
        for (Element e : children(child(plugin, "executions"))) {
            if (id.equals(text(e, "id"))) {
                return e;
            }
        }
        throw new AssertionError("no execution " + id);
    }

    private static List<Element> children(Element parent) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                out.add(e);
            }
        }
        return out;
    }

    private static Element child(Element parent, String name) {
        return parent == null ? null
                : children(parent).stream().filter(e -> e.getTagName().equals(name)).findFirst().orElse(null);
    }

    private static String text(Element parent, String... path) {
        Element e = parent;
        for (String name : path) {
            e = child(e, name);
        }
        assertTrue(e != null, "missing " + String.join("/", path));
        return e.getTextContent().trim();
    }

    /** Values as Maven passes them to Jib: ${dollar} is a literal $ (a bare ${NAME} would be the build's own). */
    private static List<String> pomValues(Element list) {
        List<String> raw = values(list);
        for (String v : raw) {
            assertTrue(!v.replace("${dollar}", "").contains("${"), "Maven would fill this in: " + v);
        }
        return raw.stream().map(v -> v.replace("${dollar}", "$")).toList();
    }

    private static List<String> values(Element list) {
        return children(list).stream().map(e -> e.getTextContent().trim()).toList();
    }
}
