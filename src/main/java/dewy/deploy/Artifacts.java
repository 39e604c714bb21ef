package dewy.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which asset of a release is this platform's artifact, and which asset holds its checksum. Pure: names in, names out.
 *
 * <p>An explicit {@code artifact=NAME} wins and must name an asset exactly. Otherwise the artifact is the one asset
 * whose name has the OS and an alias of the architecture as words ({@code app_1.2.3_linux_amd64.tar.gz},
 * {@code app-Linux-x86_64.tgz}; case-insensitive) and an archive suffix. Checksum, signature and SBOM files are never
 * artifacts.
 */
public final class Artifacts {
    private static final List<String> ARCHIVES = List.of(".tar.gz", ".tgz", ".tar", ".zip");
    private static final List<String> METADATA_SUFFIXES = List.of(".sha256", ".sha256sum", ".sha512", ".sha1", ".md5",
            "checksums.txt", "sha256sums", "sha256sums.txt", ".sig", ".asc", ".pem", ".crt", ".cert", ".bundle",
            ".intoto.jsonl", ".spdx.json", ".cdx.json");
    private static final int LISTED_MAX = 20; // keeps the error one readable line on a release with many assets

    private Artifacts() {
    }

    /** This JVM's OS as release names spell it: {@code linux}, {@code darwin}, {@code windows}. */
    public static String currentOs() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("mac") || os.startsWith("darwin")) {
            return "darwin";
        }
        return os.startsWith("windows") ? "windows" : os.replace(' ', '-');
    }

    /** This JVM's architecture in Go's spelling ({@code amd64}, {@code arm64}), the name releases use most. */
    public static String currentArch() {
        return normalizeArch(System.getProperty("os.arch", ""));
    }

    static String normalizeArch(String arch) {
        String a = arch.toLowerCase(Locale.ROOT);
        switch (a) {
            case "x86_64":
            case "x86-64":
            case "amd64":
                return "amd64";
            case "aarch64":
            case "arm64":
                return "arm64";
            default:
                return a;
        }
    }

    static List<String> archAliases(String arch) {
        switch (normalizeArch(arch)) {
            case "amd64":
                return List.of("amd64", "x86_64", "x86-64");
            case "arm64":
                return List.of("arm64", "aarch64");
            default:
                return List.of(normalizeArch(arch));
        }
    }

    /**
     * The artifact's name among {@code names}.
     *
     * @param tag      the release, for the error message
     * @param artifact the {@code artifact=} parameter, or null to choose by OS and architecture
     * @throws RegistryException (not transient) when no asset or more than one asset matches
     */
    public static String select(String tag, List<String> names, String artifact, String os, String arch)
            throws RegistryException {
        if (artifact != null) {
            if (names.contains(artifact)) {
                return artifact;
            }
            throw new RegistryException("release " + tag + " has no asset named " + artifact + " (assets: "
                    + list(names) + ")", false);
        }
        List<String> matches = new ArrayList<>();
        for (String name : names) {
            if (matchesPlatform(name, os, arch)) {
                matches.add(name);
            }
        }
        String platform = os + "/" + normalizeArch(arch);
        if (matches.isEmpty()) {
            throw new RegistryException("release " + tag + " has no asset for " + platform + " (assets: " + list(names)
                    + "); set artifact=NAME", false);
        }
        if (matches.size() > 1) {
            throw new RegistryException("release " + tag + ": " + matches.size() + " assets match " + platform + ": "
                    + list(matches) + "; set artifact=NAME", false);
        }
        return matches.get(0);
    }

    /** True when {@code name} can be the artifact for os/arch without an explicit {@code artifact=}. */
    static boolean matchesPlatform(String name, String os, String arch) {
        String n = name.toLowerCase(Locale.ROOT);
        if (isMetadata(n) || ARCHIVES.stream().noneMatch(n::endsWith) || !containsWord(n, os.toLowerCase(Locale.ROOT))) {
            return false;
        }
        return archAliases(arch).stream().anyMatch(alias -> containsWord(n, alias));
    }

    /** Checksum, signature, certificate and SBOM files: published next to artifacts, never artifacts themselves. */
    static boolean isMetadata(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return METADATA_SUFFIXES.stream().anyMatch(n::endsWith) || n.contains(".sbom") || n.contains("sbom.");
    }

    /**
     * True when {@code word} occurs in {@code s} not as part of a longer word ({@code arm} is not in
     * {@code linux_arm64}). Word characters are letters and digits: {@code _ - .} separate.
     */
    static boolean containsWord(String s, String word) {
        if (word.isEmpty()) {
            return false;
        }
        for (int i = s.indexOf(word); i >= 0; i = s.indexOf(word, i + 1)) {
            int end = i + word.length();
            boolean startOk = i == 0 || !Character.isLetterOrDigit(s.charAt(i - 1));
            boolean endOk = end == s.length() || !Character.isLetterOrDigit(s.charAt(end));
            if (startOk && endOk) {
                return true;
            }
        }
        return false;
    }

    /**
     * The asset holding {@code artifact}'s sha256: {@code <artifact>.sha256} if published, else {@code SHA256SUMS} or
     * a name ending in {@code checksums.txt} (goreleaser's {@code app_1.2.3_checksums.txt}); null when none is.
     */
    public static String checksumsFor(String artifact, List<String> names) {
        String own = artifact + ".sha256";
        if (names.contains(own)) {
            return own;
        }
        for (String name : names) {
            String n = name.toLowerCase(Locale.ROOT);
            if (n.equals("sha256sums") || n.equals("sha256sums.txt") || n.endsWith("checksums.txt")) {
                return name;
            }
        }
        return null;
    }

    private static String list(List<String> names) {
        if (names.isEmpty()) {
            return "none";
        }
        List<String> shown = names.size() > LISTED_MAX ? names.subList(0, LISTED_MAX) : names;
        String s = String.join(", ", shown);
        return names.size() > LISTED_MAX ? s + ", ... " + (names.size() - LISTED_MAX) + " more" : s;
    }

    /** {@code version} with its artifact and checksum file chosen among {@code assets} (any registry). */
    static Release release(String url, Version version, List<Asset> assets, String artifact, String os, String arch)
            throws RegistryException {
        List<String> names = new java.util.ArrayList<>(assets.size());
        for (Asset a : assets) {
            names.add(a.name());
        }
        String chosen;
        try {
            chosen = select(version.tag(), names, artifact, os, arch);
        } catch (RegistryException e) {
            throw new RegistryException("registry " + url + ": " + e.getMessage(), false);
        }
        String checksums = checksumsFor(chosen, names);
        return new Release(version.tag(), version, assets.get(names.indexOf(chosen)),
                checksums == null ? null : assets.get(names.indexOf(checksums)));
    }
}
