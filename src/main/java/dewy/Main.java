package dewy;

import dewy.cli.Help;
import dewy.log.Log;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Properties;

/** {@code dewy server|assets|container|version|help}. Exit codes are listed in {@link Help#server()}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int status = run(args);
        Log.shutdown();
        System.exit(status);
    }

    static int run(String[] args) {
        if (args.length == 0) {
            System.err.print(Help.top());
            return Server.EXIT_USAGE;
        }
        switch (args[0]) {
            case "server":
            case "assets":
                return Server.run(Arrays.asList(args).subList(1, args.length), args[0]);
            case "container": // its classes load only here
                return dewy.container.ContainerMode.run(Arrays.asList(args).subList(1, args.length), installDir());
            case "version":
            case "--version":
                System.out.println("dewy " + version());
                return 0;
            case "help":
            case "-h":
            case "--help":
                System.out.print(Help.top());
                return 0;
            default:
                System.err.println("dewy: unknown command \"" + args[0] + "\" (see 'dewy --help')");
                return Server.EXIT_USAGE;
        }
    }

    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("/dewy/version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The directory holding dewy.jar (or the classes directory's parent), where the build puts its helpers. */
    static Path installDir() {
        try {
            return Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }
}
