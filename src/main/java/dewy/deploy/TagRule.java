package dewy.deploy;

/**
 * How a registry reads its tags: as SemVer, or as CalVer in {@code calver} (non-null); and, with {@code slot}
 * ({@code --slot}, non-null), only the tags whose build metadata is that slot ({@code v1.2.3+blue}: Go dewy's
 * blue/green by tag). A tag the rule does not read is not a release for this dewy.
 */
record TagRule(CalVer.Format calver, String slot) {
    static final TagRule SEMVER = new TagRule(null, null);

    /** The version of {@code tag} under this rule, or null when it is none of this dewy's releases. */
    Version read(String tag) {
        Version v = calver == null ? SemVer.parse(tag) : calver.read(tag);
        if (v == null || (slot != null && !slot.equals(v.build()))) {
            return null;
        }
        return v;
    }

    /** For logs. */
    String describe() {
        return (calver == null ? "semver" : "calver " + calver) + (slot == null ? "" : ", slot " + slot);
    }
}
