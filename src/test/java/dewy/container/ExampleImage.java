package dewy.container;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * docker/Dockerfile built as a user would, with docker/examples/java/HelloServer.java as the application: the
 * context holds target/dewy.jar, target/jffi/ and app.jar, and BASE is the local base image the image profile used.
 */
final class ExampleImage {
    static final String TAG = "dewy-example:test";
    private static final Path TARGET = Path.of(System.getProperty("dewy.target", "target")).toAbsolutePath();
    private static boolean built;

    private ExampleImage() {
    }

    /** Builds the image once per test run and returns its tag. */
    static synchronized String build() {
        if (!built) {
            new ImageFromDockerfile(TAG, false)
                    .withFileFromPath("Dockerfile", Path.of("docker/Dockerfile"))
                    .withFileFromPath("target/dewy.jar", TARGET.resolve("dewy.jar"))
                    .withFileFromPath("target/jffi", TARGET.resolve("jffi"))
                    .withFileFromPath("app.jar", appJar())
                    .withBuildArg("BASE", System.getProperty("dewy.base.image"))
                    .get();
            built = true;
        }
        return TAG;
    }

    /** Removes the image (no Ryuk here: what a test makes, it removes). */
    static synchronized void remove() {
        if (built) {
            DockerClientFactory.instance().client().removeImageCmd(TAG).withForce(true).exec();
            built = false;
        }
    }

    /** docker/examples/java/HelloServer.java compiled with this JDK and packed as an executable jar. */
    static synchronized Path appJar() {
        Path classes = TARGET.resolve("example/classes");
        Path jar = TARGET.resolve("example/app.jar");
        try {
            Files.createDirectories(classes);
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            StringWriter diagnostics = new StringWriter();
            boolean ok = javac.getTask(diagnostics, null, null, List.of("-d", classes.toString()),
                    null, javac.getStandardFileManager(null, null, null)
                            .getJavaFileObjects(Path.of("docker/examples/java/HelloServer.java"))).call();
            if (!ok) {
                throw new IllegalStateException("HelloServer.java does not compile:\n" + diagnostics);
            }
            Manifest manifest = new Manifest();
            manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "HelloServer");
            try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out, manifest);
                    var files = Files.list(classes)) {
                for (Path c : (Iterable<Path>) files::iterator) {
                    jarOut.putNextEntry(new JarEntry(c.getFileName().toString()));
                    jarOut.write(Files.readAllBytes(c));
                    jarOut.closeEntry();
                }
            }
            return jar;
        } catch (IOException e) {
            throw new IllegalStateException("cannot build the example application: " + e, e);
        }
    }
}
