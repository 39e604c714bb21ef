package dewy.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * One version for everything dewy builds: dewy itself (pom.xml), the client libraries (clients/, dewy-app/,
 * dewy-spring-boot-starter/) and the examples that depend on them (docker/examples/). Maven cannot take a parent's
 * version from a property without the flatten plugin, so each pom spells it out; this keeps the spellings equal:
 * a release that bumps pom.xml alone fails here, not in a user's build that cannot find dewy-app of that version.
 */
class ProjectVersionsTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();

    @Test
    void everyPomNamesTheRootVersionForItselfItsParentAndDewysArtifacts() throws Exception {
        String version = text(child(pom(ROOT.resolve("pom.xml")), "version"));
        List<String> wrong = new ArrayList<>();
        List<Path> poms = poms();
        assertFalse(poms.size() < 8, "the client and example poms are found: " + poms);
        for (Path file : poms) {
            Element project = pom(file);
            String name = ROOT.relativize(file).toString();
            Element own = child(project, "version");
            if (own != null && !text(own).equals(version)) {
                wrong.add(name + ": version " + text(own));
            }
            Element parent = child(project, "parent");
            if (parent != null && isDewys(parent) && !text(child(parent, "version")).equals(version)) {
                wrong.add(name + ": parent version " + text(child(parent, "version")));
            }
            NodeList deps = project.getElementsByTagName("dependency");
            for (int i = 0; i < deps.getLength(); i++) {
                Element dep = (Element) deps.item(i);
                Element v = child(dep, "version");
                if (isDewys(dep) && v != null && !text(v).equals(version) && !text(v).equals("${project.version}")) {
                    wrong.add(name + ": " + text(child(dep, "artifactId")) + " " + text(v));
                }
            }
        }
        assertEquals(List.of(), wrong, "every dewy version is " + version);
    }

    private static boolean isDewys(Element coordinates) {
        Element group = child(coordinates, "groupId");
        return group != null && text(group).startsWith("dev.dewy");
    }

    private static List<Path> poms() throws IOException {
        List<Path> out = new ArrayList<>();
        for (String dir : List.of("clients", "dewy-app", "dewy-spring-boot-starter", "docker/examples")) {
            try (Stream<Path> files = Files.walk(ROOT.resolve(dir))) {
                files.filter(p -> p.getFileName().toString().equals("pom.xml"))
                        .filter(p -> !p.toString().contains("/target/")).forEach(out::add);
            }
        }
        return out;
    }

    private static Element pom(Path file) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile()).getDocumentElement();
    }

    /** A direct child element, or null. */
    private static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }

    private static String text(Element e) {
        return e.getTextContent().strip();
    }
}
