package dewy.deploy;

/**
 * A release tag read by the registry's rule: {@link SemVer} (the default) or {@link CalVer} ({@code calver=FORMAT}).
 * Versions of one rule compare with each other; build metadata ({@code +blue}) never counts in the order, and is
 * what {@code --slot} matches.
 */
public interface Version extends Comparable<Version> {
    /** The text as given, {@code v} and build metadata included. */
    String tag();

    /** True when the version has pre-release identifiers ({@code -rc.1}). */
    boolean prerelease();

    /** The build metadata after {@code +}, or "" when there is none. */
    String build();
}
