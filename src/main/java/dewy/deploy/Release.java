package dewy.deploy;

/**
 * The release a registry chose: its tag, the version read from it, the artifact for this platform and the asset
 * holding the artifact's sha256 ({@code checksums}), null when the release publishes none.
 */
public record Release(String tag, Version version, Asset artifact, Asset checksums) {
}
